"""policycheck's own inventory format, CSV or JSON, for any source without a reader of its own.

The columns are documented in ``providers/devices/FORMAT.md``; keep the two in step.
"""

from __future__ import annotations

from ..columns import NONE, Column, Identity
from ..normalise import enum, os_family, os_name, os_version, parse_bool, parse_country, parse_datetime, parse_minutes
from . import Sample, register_format
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
MARKERS = ("device_id", "disk_encrypted", "screen_lock_enabled", "firewall_enabled", "os_name", "last_seen")


@register_format
class NativeCsv(CsvFormat):
    name = "policycheck-csv"
    title = "policycheck device CSV"
    columns = COLUMNS
    identity = IDENTITY

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
