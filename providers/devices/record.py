"""One device as an inventory reports it, before the staff register and pseudonyms are applied."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

#: Device attributes an inventory row can supply (the rest come from the staff register).
INVENTORY_ATTRIBUTES = (
    "encryption.at_rest", "screen_lock.enabled", "screen_lock.timeout_minutes", "firewall.enabled",
    "os.name", "os.family", "os.version", "last_seen", "managed", "compliance.state",
)


@dataclass(slots=True)
class DeviceRecord:
    """Facts about one device from one inventory file.

    Identifiers (``device_id``, ``serial``, ``hostname``, ``owner``) are kept in the clear here and
    pseudonymised when the record becomes a resource. ``values`` holds vocabulary attributes
    (``last_seen`` is a datetime, turned into ``last_seen_days`` later); ``problems`` maps an
    attribute to the reason it could not be read; ``raw`` holds non-identifying vendor values
    exposed under ``raw.<format>.``; ``bounds`` keeps what is still known about an unknown number.
    """

    format: str
    source: str
    line: int
    device_id: str | None = None
    serial: str | None = None
    hostname: str | None = None
    owner: str | None = None
    owner_aliases: tuple[str, ...] = ()
    values: dict[str, Any] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    bounds: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)

    def set(self, attr: str, value: Any) -> None:
        self.values[attr] = value
        self.problems.pop(attr, None)
        self.bounds.pop(attr, None)

    def fail(self, attr: str, reason: str) -> None:
        """Mark ``attr`` unknown, keeping the first reason given."""
        self.problems.setdefault(attr, reason)
        self.values.pop(attr, None)

    def bound(self, attr: str, reason: str, lower: float | None = None, upper: float | None = None) -> None:
        """Mark ``attr`` unknown but known to lie within [lower, upper] (rules may decide from that alone)."""
        self.fail(attr, reason)
        self.bounds[attr] = (lower, upper)

    def where(self) -> str:
        return f"{self.source} line {self.line}"

    @property
    def last_seen(self) -> datetime | None:
        return self.values.get("last_seen")


@dataclass(frozen=True, slots=True)
class PageMark:
    """One page of a paged export was read (Graph's ``@odata.nextLink``).

    A complete set of pages has exactly one page without a next link; when every page read has
    one, the last page is missing and the provider reports the gap as a device whose facts are
    all unknown, so the run fails instead of silently checking part of the estate.
    """

    format: str
    source: str
    line: int
    has_next: bool
