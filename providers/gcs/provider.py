"""The ``gcs`` provider: Cloud Storage buckets of one or more projects."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Any, ClassVar

from policycheck.errors import ConfigError
from policycheck.model import Resource
from policycheck.provider import CollectPlan, Provider

from .api import GcsApi
from .collector import Collector
from .connection import connect
from .schema import BUCKET, GET_PERMISSION, GROUP_PERMISSIONS, LIST_PERMISSION
from .settings import GcsSettings


class GcsProvider(Provider):
    """Google Cloud Storage buckets, normalised to the shared data-store vocabulary.

    Read-only: one buckets.list per project, plus buckets.getIamPolicy (and legacy ACL reads)
    only for buckets whose public exposure a rule reads. Resource ids are
    ``projects/PROJECT/buckets/NAME``; labels are the tags. Cloud Storage has no bucket setting
    for ``backup.*`` or ``deletion_protection.*``: those read as null.
    """

    name: ClassVar[str] = "gcs"
    description: ClassVar[str] = "Google Cloud Storage buckets (google-cloud-storage)"
    extra: ClassVar[str | None] = "gcp"
    resource_types = (BUCKET,)
    settings_class = GcsSettings
    settings: GcsSettings

    def collect(self, plan: CollectPlan) -> Iterator[Resource]:
        if not plan.wants_type(BUCKET.name):
            return
        connection = connect(self.settings, pool_size=max(10, plan.max_workers))
        api = GcsApi(connection.client, endpoint=connection.endpoint, timeout=self.settings.request_timeout)
        collector = Collector(api, plan, self.context.report_problem, self.settings.allowed_domains)
        if self.settings.buckets:
            yield from collector.named(self.settings.bucket_refs)
        else:
            yield from collector.listed(self.settings.projects or _default(connection.default_project))

    def permissions(self, plan: CollectPlan) -> list[str]:
        if not plan.wants_type(BUCKET.name):
            return []
        needed = {GET_PERMISSION if self.settings.buckets else LIST_PERMISSION}
        for group in plan.groups(BUCKET):
            needed.update(GROUP_PERMISSIONS.get(group, ()))
        return sorted(needed)

    @classmethod
    def demo_estate(cls) -> AbstractContextManager[dict[str, Any]] | None:
        from .demo import demo_estate

        return demo_estate()


def _default(project: str | None) -> tuple[str, ...]:
    if not project:
        raise ConfigError("gcs: no GCP project to scan; set providers.gcs.projects in policycheck.yaml "
                          "or pass --project")
    return (project,)
