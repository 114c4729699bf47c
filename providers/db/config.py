"""The typed settings both database providers read from their config section (validated there by JSON Schema)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from policycheck.errors import ConfigError

from .dsn import Dsn, parse_dsn
from .tags import mapping_tags

__all__ = ["DbSettings"]


@dataclass(frozen=True)
class DbSettings:
    dsns: tuple[Dsn, ...]
    password_file: str | None = None
    databases: tuple[str, ...] = ()
    tables: dict[str, dict[str, str]] = field(default_factory=dict)
    database_tags: dict[str, dict[str, str]] = field(default_factory=dict)
    country: str | None = None
    region: str | None = None
    encryption_at_rest: bool | None = None
    allow_unindexed: bool = False
    statement_timeout: float = 30.0
    connect_timeout: float = 10.0

    @classmethod
    def from_config(cls, config: Mapping[str, Any], *, engine: str, schemes: tuple[str, ...],
                    default_port: int) -> DbSettings:
        """Check the section; a bad value is a one-line ConfigError naming the key (never a password)."""
        where = engine
        dsns = config.get("dsns") or []
        if isinstance(dsns, str):
            dsns = [dsns]
        parsed = tuple(parse_dsn(text, where=f"{where}.dsns[{i}]", schemes=schemes, default_port=default_port,
                                 engine=engine) for i, text in enumerate(dsns))
        for key in ("statement_timeout", "connect_timeout"):
            value = config.get(key, 1)
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                raise ConfigError(f"{where}.{key}: expected a positive number of seconds, got {value!r}")
        at_rest = config.get("encryption_at_rest")
        if at_rest is not None and not isinstance(at_rest, bool):
            raise ConfigError(f"{where}.encryption_at_rest: expected true or false")
        return cls(
            dsns=parsed,
            password_file=config.get("password_file") or None,
            databases=tuple(config.get("databases") or ()),
            tables=mapping_tags(config, "tables", where),
            database_tags=mapping_tags(config, "database_tags", where),
            country=(config.get("country") or None),
            region=(config.get("region") or None),
            encryption_at_rest=at_rest,
            allow_unindexed=bool(config.get("allow_unindexed", False)),
            statement_timeout=float(config.get("statement_timeout", 30.0)),
            connect_timeout=float(config.get("connect_timeout", 10.0)),
        )
