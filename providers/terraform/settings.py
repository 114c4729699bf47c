"""The provider's settings (``providers.terraform`` in policycheck.yaml, or CLI options), declared once here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from policycheck.errors import ConfigError
from policycheck.provider import ProviderOption

OPTIONS = (
    ProviderOption("--plan", "plans", "Terraform/OpenTofu plan or state as JSON (terraform show -json), "
                   "repeatable."),
    ProviderOption("--terraform-dir", "terraform_dir", "Folder with the .tf files of the plan: findings point at "
                   "the file and line declaring each resource.", multiple=False),
)

CONFIG_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "plans": {"type": "array", "items": {"type": "string"}, "minItems": 1,
                  "description": "Plan or state JSON files (terraform show -json [tfplan])."},
        "terraform_dir": {"type": "string", "description": "Root module folder, to locate resources in .tf files."},
    },
}


@dataclass(frozen=True)
class TerraformSettings:
    plans: tuple[Path, ...]
    terraform_dir: Path | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> TerraformSettings:
        """Check the section; a bad value is a one-line ConfigError naming the key."""
        unknown = sorted(set(config) - set(CONFIG_SCHEMA["properties"]))
        if unknown:
            raise ConfigError(f"terraform: unknown setting '{unknown[0]}'; known: "
                              + ", ".join(sorted(CONFIG_SCHEMA["properties"])))
        plans = config.get("plans") or []
        if isinstance(plans, str):
            plans = [plans]
        if not isinstance(plans, list | tuple) or not all(isinstance(p, str) and p for p in plans):
            raise ConfigError("terraform.plans: expected a list of file names")
        if not plans:
            raise ConfigError("terraform: no plan given (--plan plan.json or providers.terraform.plans)")
        folder = config.get("terraform_dir")
        if folder is not None and not isinstance(folder, str):
            raise ConfigError("terraform.terraform_dir: expected a folder name")
        if folder and not Path(folder).is_dir():
            raise ConfigError(f"terraform.terraform_dir: '{folder}' is not a folder")
        return cls(tuple(Path(p) for p in dict.fromkeys(plans)), Path(folder) if folder else None)
