"""The config file (``policycheck.yaml``): what a team would otherwise repeat on every call."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .model import SEVERITIES
from .schema import DRAFT, error_path, explain_schema_error, validation_error
from .yamlsource import format_path, load_yaml

__all__ = ["DEFAULT_NAME", "Config", "config_schema", "load_config"]

DEFAULT_NAME = "policycheck.yaml"


def config_schema(provider_schemas: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """JSON Schema of the config file; each provider's section uses that provider's own schema."""
    return {
        "$schema": DRAFT,
        "title": "policycheck config file",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "policies": {"type": "array", "items": {"type": "string"}},
            "params": {"type": "object"},
            "fail_on": {"enum": list(SEVERITIES)},
            "fail_on_error": {"type": "boolean"},
            "waivers": {"type": "string"},
            "max_waiver_days": {"type": "integer", "minimum": 1},
            "baseline": {"type": "string"},
            "workers": {"type": "integer", "minimum": 1, "maximum": 256},
            "outputs": {
                "type": "array",
                "items": {"type": "object", "required": ["format"], "additionalProperties": False,
                          "properties": {"format": {"type": "string"}, "path": {"type": "string"}}},
            },
            "providers": {
                "type": "object",
                "additionalProperties": False,
                "properties": provider_schemas,
            },
        },
    }


@dataclass
class Config:
    """The loaded config file (empty without one); ``source`` is its path, for relative paths and messages."""

    source: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def get(self, key: str, default: Any = None) -> Any:
        """A top-level setting, or ``default``."""
        return self.data.get(key, default)

    def provider(self, name: str) -> dict[str, Any]:
        """The ``providers.NAME`` section (empty when absent)."""
        return dict((self.data.get("providers") or {}).get(name) or {})

    def path(self, key: str) -> str | None:
        """A path setting, relative to the config file's folder."""
        value = self.data.get(key)
        if value is None or self.source is None:
            return value
        return str(Path(self.source).parent / value) if not Path(value).is_absolute() else value

    def policies(self) -> list[str]:
        """The ``policies`` setting: a file or folder beside the config file resolves there, like ``waivers``;
        anything else (a built-in pack name) stays as written."""
        values = [str(v) for v in self.data.get("policies") or []]
        if self.source is None:
            return values
        base = Path(self.source).parent
        return [str(base / v) if not Path(v).is_absolute() and (base / v).exists() else v for v in values]


def load_config(explicit: str | None, provider_schemas: dict[str, dict[str, Any]]) -> Config:
    """Load ``--config`` or ``./policycheck.yaml`` if present; validate against the schema."""
    path = Path(explicit) if explicit else Path(DEFAULT_NAME)
    if not explicit and not path.exists():
        return Config()
    doc = load_yaml(path, ConfigError, what="config file", allow_empty=True)
    if doc.data is None:
        return Config(str(path))
    error = validation_error(config_schema(provider_schemas), doc.data)
    if error is not None:
        where = tuple(error.absolute_path)
        raise ConfigError(f"{format_path(where)}: {explain_schema_error(error)}", source=str(path),
                          place=doc.place(error_path(error)))
    return Config(str(path), doc.data)
