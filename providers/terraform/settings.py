"""The ``terraform`` settings, declared once: config section ``providers.terraform``, flags and environment."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from policycheck.errors import ConfigError
from policycheck.settings import Settings, setting

__all__ = ["TerraformSettings"]


@dataclass(frozen=True)
class TerraformSettings(Settings):
    """Terraform/OpenTofu: the plan or state files to judge before (or instead of) the cloud itself."""

    section = "terraform"

    plans: tuple[str, ...] = setting(
        (), "Terraform/OpenTofu plan or state as JSON (terraform show -json), repeatable.", flag="--plan",
        path="always", metavar="FILE")
    terraform_dir: str | None = setting(
        None, "Folder with the .tf files of the plan: findings point at the file and line declaring each resource.",
        flag="--terraform-dir", path="always", metavar="DIR")

    def __post_init__(self) -> None:
        object.__setattr__(self, "plans", tuple(dict.fromkeys(self.plans)))

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
