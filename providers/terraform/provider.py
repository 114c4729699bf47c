"""``TerraformProvider``: Terraform/OpenTofu plan and state JSON in the cloud providers' resource types."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from policycheck.model import Resource
from policycheck.provider import CollectPlan, Provider

from ..gcs.locations import location_code
from . import aws_dynamodb, aws_rds, aws_s3, google_storage
from .plan import Plan
from .settings import TerraformSettings
from .values import NotKnown

#: Terraform resource type -> (policycheck resource type, mapper). One entry per supported type.
MAPPERS = {**aws_s3.TYPES, **aws_rds.TYPES, **aws_dynamodb.TYPES, **google_storage.TYPES}


class TerraformProvider(Provider):
    """Planned (or recorded) resources of Terraform/OpenTofu, judged before they are deployed.

    Resource ids and names are the resource addresses (``module.crm.aws_s3_bucket.attachments["eu"]``);
    the account is the plan file's name. Resources being destroyed are left out; replaced ones
    are evaluated as they will be after apply.
    """

    name: ClassVar[str] = "terraform"
    description: ClassVar[str] = "Terraform/OpenTofu plan or state JSON (terraform show -json)"
    extra: ClassVar[str | None] = None  # python-hcl2 (extra "terraform") only for --terraform-dir
    resource_types = tuple(dict.fromkeys(resource_type for resource_type, _ in MAPPERS.values()))
    settings_class = TerraformSettings
    settings: TerraformSettings

    def collect(self, plan: CollectPlan) -> Iterator[Resource]:
        wanted = {name: mapper for name, (resource_type, mapper) in MAPPERS.items()
                  if plan.wants_type(resource_type.name)}
        if not wanted:
            return
        cap = self.context.max_input_bytes
        # every file is checked before anything is yielded
        plans = [Plan(path, cap=cap) for path in self.settings.plan_paths]
        for document in plans:
            sources = None
            if self.settings.folder is not None:
                from .source import Sources

                sources = Sources(self.settings.folder, document.config, cap=cap)
            context = _context(document, sources)
            for mapper in dict.fromkeys(wanted.values()):
                yield from mapper(document, context, self.settings)


def _context(document: Plan, sources: Any) -> Any:
    account = document.path.name

    def context(instance: Any, gcp: bool = False) -> dict[str, Any]:
        if gcp:
            region = location_code(instance.values)
        else:
            try:
                region = document.region(instance)
            except NotKnown:
                region = ""
        return {"account": account, "region": region, "source": sources.locate(instance) if sources else None}

    return context
