"""The settings both database providers share, declared once (each engine adds its own flags and section)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from policycheck.provider import ProviderSettings
from policycheck.settings import setting

from .dsn import Dsn, parse_dsn
from .tags import mapping_tags

__all__ = ["DbSettings", "claimed_by"]


def claimed_by(schemes: tuple[str, ...]) -> Callable[[str], bool]:
    """Whether a ``--dsn`` value belongs to the engine of these URL schemes (``postgresql://``, ``mysql://``)."""
    return lambda text: text.split("://", 1)[0].strip().lower() in schemes

_TAGS = {"type": "object", "additionalProperties": {"type": "object", "additionalProperties": {
    "type": ["string", "integer", "boolean"]}}}
_SECONDS = {"type": "number", "exclusiveMinimum": 0}


@dataclass(frozen=True)
class DbSettings(ProviderSettings):
    """Servers to scan and how; subclasses name the engine (section, DSN schemes, flags)."""

    schemes: ClassVar[tuple[str, ...]] = ()
    default_port: ClassVar[int] = 0

    dsns: tuple[str, ...] = setting((), "Servers as URLs USER@HOST:PORT/DB; a DSN with a password is refused.")
    password_file: str | None = setting(None, "File whose first line is the scanning role's password.",
                                        path="always")
    databases: tuple[str, ...] = setting((), "Scan only these databases (default: every database).")
    tables: dict[str, Any] = setting(None, "Tags per table for schemas you do not own (override comments).",
                                     schema=_TAGS)
    database_tags: dict[str, Any] = setting(None, "Tags per database.", schema=_TAGS)
    country: str | None = setting(None, "ISO country of the servers (location.*), unless tagged.")
    region: str | None = setting(None, "Region or site name of the servers, unless tagged.")
    encryption_at_rest: bool | None = setting(None, "Declared disk/volume encryption of the database hosts.")
    allow_unindexed: bool = setting(False, "Read min(timestamp column) even without an index on it (a full scan).")
    statement_timeout: float = setting(30.0, "Seconds any one statement may run.", schema=_SECONDS,
                                       expect="a positive number of seconds")
    connect_timeout: float = setting(10.0, "Seconds to wait for a connection.", schema=_SECONDS,
                                     expect="a positive number of seconds")

    def __post_init__(self) -> None:
        for key in ("tables", "database_tags"):  # tag values as text, like every other tag
            object.__setattr__(self, key, mapping_tags({key: getattr(self, key) or {}}, key, self.section))

    def check(self) -> None:
        self.servers  # noqa: B018 - a malformed DSN, or one carrying a password, is refused up front

    @property
    def servers(self) -> tuple[Dsn, ...]:
        """The DSNs parsed (never echoing a password in an error)."""
        return tuple(parse_dsn(text, where=f"dsns[{i}]", schemes=self.schemes, default_port=self.default_port,
                               engine=self.section) for i, text in enumerate(self.dsns))
