"""Fleet (fleetdm.com): host API JSON and the hosts CSV report.

JSON: ``GET /api/v1/fleet/hosts`` (``{"hosts": [...]}``) or ``GET /api/v1/fleet/hosts/:id``
(``{"host": {...}}``), one or many responses per file. CSV: ``GET /api/v1/fleet/hosts/report?format=csv``
(flattened columns such as ``mdm.enrollment_status``). Disk encryption comes from
``disk_encryption_enabled`` or ``mdm.os_settings.disk_encryption.status``; the owner from
``device_mapping``/``end_users``. Fleet reports firewall and screen lock only through policies: a
policy whose name says a firewall (or screen lock) is enabled/on supplies that attribute from its
response (pass -> true, fail -> false).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from ..columns import NONE, Column, Identity, blank, read_object
from ..normalise import describe, enum, os_family, os_name, os_version, parse_bool, parse_datetime
from ..record import DeviceRecord
from . import InventorySource, Sample, register_format
from .tabular import CsvFormat, JsonFormat

_DISK_STATUS = {"verified": True, "verifying": True, "action_required": False, "enforcing": False,
                "failed": False, "removing_enforcement": False}


def disk_encryption(value: Any) -> bool:
    """``disk_encryption_enabled`` (bool) or a Fleet OS-settings disk-encryption status."""
    if isinstance(value, str) and value.strip().casefold() in _DISK_STATUS:
        return _DISK_STATUS[value.strip().casefold()]
    try:
        return parse_bool(value)
    except ValueError:
        raise ValueError(f"unknown disk encryption status {describe(value)}") from None


MDM_ENROLMENT = enum({"on (manual)": True, "on (automatic)": True, "manual": True, "automatic": True,
                      "enrolled": True, "off": False, "unenrolled": False, "pending": False}, "MDM enrollment status")


def failing_count(value: Any) -> str:
    count = int(str(value).strip())
    if count < 0:
        raise ValueError(f"negative policy count {describe(value)}")
    return "compliant" if count == 0 else "noncompliant"


COLUMNS = (
    Column("encryption.at_rest", ("disk_encryption_enabled", "mdm.os_settings.disk_encryption.status",
                                  "mdm.macos_settings.disk_encryption"), disk_encryption),
    # os_version ("Ubuntu 22.04.5 LTS", "Fedora Linux 41.0.0") names the distribution; platform ("ubuntu", "darwin",
    # "windows", "rhel", "chrome") the platform, per the Fleet REST API host object
    Column("os.name", ("os_version", "platform"), os_name),
    Column("os.family", ("platform", "os_version"), os_family),
    Column("os.version", ("os_version",), os_version),
    Column("last_seen", ("seen_time",), parse_datetime),
    Column("managed", ("mdm.enrollment_status",), MDM_ENROLMENT),
    Column("compliance.state", ("issues.failing_policies_count", "failing_policies_count"), failing_count,
           empty=NONE, optional=True),
)
IDENTITY = Identity(device_id=("uuid", "id"), serial=("hardware_serial",),
                    hostname=("computer_name", "display_name", "hostname"))

#: Fleet policies whose name states that a setting is on supply that attribute.
POLICY_ATTRIBUTES = (
    (re.compile(r"\bfirewall\b.*\b(enabled|on|active|turned on)\b", re.I), "firewall.enabled"),
    (re.compile(r"\b(screen ?lock|screen saver|screensaver|lock screen)\b.*\b(enabled|on|active|required)\b",
                re.I), "screen_lock.enabled"),
)
POLICY_ABSENT = {
    "firewall.enabled": "Fleet reports the firewall only through a policy named like 'Firewall enabled'",
    "screen_lock.enabled": "Fleet reports the screen lock only through a policy named like 'Screen lock enabled'",
    "screen_lock.timeout_minutes": "Fleet does not report screen_lock.timeout_minutes",
}


def owner_of(host: Mapping[str, Any]) -> str | None:
    """The first e-mail Fleet maps to the host (device_mapping, end_users), as JSON or a CSV cell."""
    mapping = host.get("device_mapping")
    if isinstance(mapping, str) and mapping.strip().startswith("["):
        try:
            mapping = json.loads(mapping)
        except ValueError:
            mapping = None
    if isinstance(mapping, str) and not blank(mapping):
        return mapping.replace(";", ",").split(",")[0].strip() or None
    for entry in mapping or ():
        if isinstance(entry, Mapping) and entry.get("email"):
            return str(entry["email"]).strip()
    for user in host.get("end_users") or ():
        if isinstance(user, Mapping) and user.get("idp_username"):
            return str(user["idp_username"]).strip()
    return None


def apply_policies(rec: DeviceRecord, policies: Iterable[Mapping[str, Any]]) -> None:
    """Firewall / screen lock from policy responses; failing policy names under ``raw.fleet``."""
    failing = []
    answered = 0
    for policy in policies:
        name, response = str(policy.get("name", "")), str(policy.get("response", "")).casefold()
        if response == "fail":
            failing.append(name)
        if response not in ("pass", "fail"):
            continue
        answered += 1
        for pattern, attr in POLICY_ATTRIBUTES:
            if pattern.search(name):
                rec.set(attr, response == "pass")
    rec.raw["failing_policies"] = failing
    if "compliance.state" not in rec.values:
        if answered:
            rec.set("compliance.state", "noncompliant" if failing else "compliant")
        else:  # no policy answered yet (none assigned, or all pending): nothing shows compliance
            rec.fail("compliance.state", "no Fleet policy has answered pass or fail for this host")


def _absent_policies(rec: DeviceRecord) -> None:
    for attr, why in POLICY_ABSENT.items():
        if attr not in rec.values:
            rec.fail(attr, why)


@register_format
class FleetJson(JsonFormat):
    name = "fleet"
    title = "Fleet host API JSON"
    record_keys = frozenset({"hosts", "host"})
    columns = COLUMNS
    identity = IDENTITY

    def score(self, sample: Sample) -> int:
        if sample.syntax != "json":
            return 0
        hits = sample.has_keys("seen_time", "hardware_serial", "osquery_version", "computer_name", "platform_like",
                               "disk_encryption_enabled", "device_mapping", "primary_ip")
        return hits * 2 + sample.has_keys("hosts", "host") if hits >= 2 else 0

    def parse(self, rec: DeviceRecord, obj: Mapping[str, Any], source: InventorySource) -> DeviceRecord:
        read_object(rec, obj, self.bind(source), self.identity)
        rec.owner = owner_of(obj)
        policies = obj.get("policies")
        if isinstance(policies, list):
            apply_policies(rec, (p for p in policies if isinstance(p, Mapping)))
        _absent_policies(rec)
        return rec


@register_format
class FleetCsv(CsvFormat):
    name = "fleet-csv"
    title = "Fleet hosts CSV report"
    columns = COLUMNS
    identity = Identity(device_id=IDENTITY.device_id, serial=IDENTITY.serial, hostname=IDENTITY.hostname,
                        owner=("device_mapping",))
    absent = tuple(POLICY_ABSENT)

    def score(self, sample: Sample) -> int:
        if sample.syntax != "csv":
            return 0
        hits = sample.has_columns("seen_time", "hardware_serial", "osquery_version", "computer_name",
                                  "platform_like", "mdm.enrollment_status", "primary_ip", "uuid")
        return hits * 2 if hits >= 2 else 0

    def finish(self, rec: DeviceRecord) -> DeviceRecord:
        if rec.owner:
            rec.owner = owner_of({"device_mapping": rec.owner})
        return rec

