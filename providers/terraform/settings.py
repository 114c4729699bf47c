"""The ``terraform`` settings, declared once: config section ``providers.terraform``, flags and environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policycheck.errors import ConfigError
from policycheck.provider import ProviderSettings
from policycheck.settings import setting

from ..gcs.settings import DOMAIN

#: What ``allowed_accounts`` accepts: AWS account ids, S3 canonical user ids, AWS Organizations ids.
OWN_ID = r"^([0-9]{12}|[0-9a-f]{64}|o-[a-z0-9]{10,32})$"

__all__ = ["TerraformSettings"]


@dataclass(frozen=True)
class TerraformSettings(ProviderSettings):
    """Terraform/OpenTofu: the plan or state files to judge before (or instead of) the cloud itself."""

    section = "terraform"

    plans: tuple[str, ...] = setting(
        (), "Terraform/OpenTofu plan or state as JSON (terraform show -json), repeatable.", flag="--plan",
        path="always", metavar="FILE")
    terraform_dir: str | None = setting(
        None, "Folder with the .tf files of the plan: findings point at the file and line declaring each resource.",
        flag="--terraform-dir", path="always", metavar="DIR")
    allowed_accounts: frozenset[str] = setting(
        frozenset(), "Your own AWS account ids, S3 canonical user ids and organisation ids (o-...): bucket policies, "
        "ACLs and DynamoDB resource policies naming them grant no external principal (a plan does not tell which "
        "account it deploys to).", schema={"type": "array", "items": {"type": "string", "pattern": OWN_ID}},
        expect="a 12-digit account id, a 64-character canonical user id or an organisation id (o-...)")
    allowed_domains: frozenset[str] = setting(
        frozenset(), "Your organisation's own domains (as providers.gcs.allowed_domains): IAM members and ACL "
        "entities of these domains on planned Cloud Storage buckets are not external principals.",
        schema={"type": "array", "items": {"type": "string", "pattern": DOMAIN.pattern.replace("a-z", "a-zA-Z")}},
        expect="a domain name (e.g. acme.example)")

    def __post_init__(self) -> None:
        object.__setattr__(self, "plans", tuple(dict.fromkeys(self.plans)))
        object.__setattr__(self, "allowed_domains", frozenset(d.lower() for d in self.allowed_domains))
        object.__setattr__(self, "allowed_accounts", frozenset(self.allowed_accounts))

    def check(self) -> None:
        if not self.plans:
            raise ConfigError("no plan given (--plan plan.json or providers.terraform.plans)", source="terraform")
        if self.terraform_dir and not Path(self.terraform_dir).is_dir():
            raise ConfigError(f"terraform_dir: '{self.terraform_dir}' is not a folder")

    @property
    def plan_paths(self) -> tuple[Path, ...]:
        """The plan files as paths."""
        return tuple(Path(p) for p in self.plans)

    @property
    def folder(self) -> Path | None:
        """``terraform_dir`` as a path."""
        return Path(self.terraform_dir) if self.terraform_dir else None
