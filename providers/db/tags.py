"""Tags of databases and tables: ``policycheck:`` comments, or a mapping in the config.

``COMMENT ON TABLE tickets IS 'policycheck: data-classification=personal retention-days=365
timestamp-column=created_at'`` (PostgreSQL), ``ALTER TABLE ticket COMMENT = 'policycheck: ...'``
(MySQL/MariaDB). Text before ``policycheck:`` is kept free for people. A config mapping
(``providers.postgres.tables``) adds or overrides tags for schemas you do not own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from policycheck.errors import ConfigError

__all__ = ["MARKER", "RETENTION_TAG", "TIMESTAMP_TAG", "comment_tags", "mapping_tags", "retention_days"]

MARKER = "policycheck:"
RETENTION_TAG = "retention-days"
TIMESTAMP_TAG = "timestamp-column"
_PAIR = re.compile(r"([A-Za-z0-9_.:/-]+)=(\"[^\"]*\"|'[^']*'|\S*)")


def comment_tags(comment: str | None) -> dict[str, str]:
    """``key=value`` pairs after the ``policycheck:`` marker of a comment; {} without the marker."""
    if not comment:
        return {}
    _, marker, rest = comment.partition(MARKER)
    if not marker:
        return {}
    return {key: value.strip("\"'") for key, value in _PAIR.findall(rest)}


def mapping_tags(config: Mapping[str, Any], key: str, where: str) -> dict[str, dict[str, str]]:
    """The config's ``key`` mapping (object name -> tags), values as strings; ConfigError when malformed."""
    mapping = config.get(key) or {}
    if not isinstance(mapping, Mapping):
        raise ConfigError(f"{where}.{key}: expected a mapping of names to tags")
    out = {}
    for name, tags in mapping.items():
        if not isinstance(tags, Mapping):
            raise ConfigError(f"{where}.{key}.{name}: expected a mapping of tag names to values")
        out[str(name)] = {str(k): _text(v) for k, v in tags.items()}
    return out


def retention_days(tags: Mapping[str, str]) -> int | None:
    """The declared retention in whole days; None when not declared or not a whole number."""
    value = tags.get(RETENTION_TAG, "")
    return int(value) if value.isdigit() else None


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
