"""policycheck's own inventory format, CSV or JSON, for any source without a reader of its own.

The columns are documented in ``providers/devices/FORMAT.md``; keep the two in step.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace

from ..columns import NONE, Column, Identity
from ..normalise import enum, os_family, os_name, os_version, parse_bool, parse_country, parse_datetime, parse_minutes
from . import InventorySource, Sample, register_format
from .tabular import CsvFormat, JsonFormat

COMPLIANCE = enum({s: s for s in ("compliant", "noncompliant", "unknown", "in-grace-period", "error")}
                  | {"non-compliant": "noncompliant", "ingraceperiod": "in-grace-period"}, "compliance state")

COLUMNS = (
    Column("encryption.at_rest", ("disk_encrypted",), parse_bool),
    Column("screen_lock.enabled", ("screen_lock_enabled",), parse_bool),
    Column("screen_lock.timeout_minutes", ("screen_lock_timeout_minutes",), parse_minutes, empty=NONE),
    Column("firewall.enabled", ("firewall_enabled",), parse_bool),
    Column("os.name", ("os_name",), os_name),
    Column("os.family", ("os_name",), os_family),
    Column("os.version", ("os_version",), os_version),
    Column("last_seen", ("last_seen",), parse_datetime),
    Column("managed", ("managed",), parse_bool),
    Column("compliance.state", ("compliance_state",), COMPLIANCE, empty=NONE, optional=True),
    Column("location.country", ("country",), parse_country, empty=NONE, optional=True),
)
IDENTITY = Identity(device_id=("device_id",), serial=("serial",), hostname=("hostname",), owner=("owner",))
#: The column names of our format: the keys of a column mapping (``inventory_columns``, ``--inventory-column``).
KEYS = tuple(dict.fromkeys([*IDENTITY.all_names(), *(n for c in COLUMNS for n in c.names)]))
MARKERS = ("device_id", "disk_encrypted", "screen_lock_enabled", "firewall_enabled", "os_name", "last_seen")


def _renamed(names: tuple[str, ...], mapping: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    return tuple(column for name in names for column in mapping.get(name, (name,)))


@register_format
class NativeCsv(CsvFormat):
    name = "policycheck-csv"
    title = "policycheck device CSV"
    columns = COLUMNS
    identity = IDENTITY

    def bind(self, source: InventorySource) -> Sequence[Column]:
        mapping = dict(source.columns)
        return [replace(c, names=_renamed(c.names, mapping)) for c in super().bind(source)] if mapping \
            else super().bind(source)

    def bind_identity(self, source: InventorySource) -> Identity:
        mapping = dict(source.columns)
        return Identity(*(_renamed(names, mapping) for _, names in self.identity.fields()))

    def score(self, sample: Sample) -> int:
        return 3 * sample.has_columns(*MARKERS) if sample.syntax == "csv" and sample.has_columns("device_id") else 0


@register_format
class NativeJson(JsonFormat):
    name = "policycheck-json"
    title = "policycheck device JSON"
    record_keys = frozenset({"devices"})
    columns = COLUMNS
    identity = IDENTITY

    def score(self, sample: Sample) -> int:
        return 3 * sample.has_keys(*MARKERS) if sample.syntax == "json" and sample.has_keys("device_id") else 0
