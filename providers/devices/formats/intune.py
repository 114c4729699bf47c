"""Microsoft Intune managed devices: Graph ``managedDevice`` JSON and the admin-centre CSV export.

Graph: ``GET /deviceManagement/managedDevices`` pages (``{"value": [...], "@odata.nextLink": ...}``),
saved one page per file or several pages concatenated in one file. CSV: *Devices > All devices >
Export* (``Device ID``, ``Last check-in``, ``Primary user UPN``, ...) and the reports export
(``DeviceId``, ``LastContact``, ``UPN``, ...), whose enumerations come with a localised ``<name>_loc``
twin column; the code column is read first, the localised text when the code is not recognised, and a
numeric code (``OS`` 1-4) last. German admin-centre headers are recognised too.
Intune does not report screen lock or firewall state in these exports.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..columns import NONE, Column, Identity
from ..jsonstream import Envelope
from ..normalise import describe, enum, os_family, os_name, os_version, parse_bool, parse_datetime
from ..record import PageMark
from . import InventorySource, Item, Sample, register_format
from .tabular import CsvFormat, JsonFormat

_COMPLIANCE_NAMES = {
    "compliant": ("compliant", "konform", "conforme", "compatible"),
    "noncompliant": ("noncompliant", "not compliant", "non-compliant", "nicht konform", "non conforme",
                     "no conforme"),
    "in-grace-period": ("ingraceperiod", "in grace period", "in toleranzperiode", "en période de grâce"),
    "conflict": ("conflict", "konflikt", "conflit"),
    "error": ("error", "fehler", "erreur"),
    "not-evaluated": ("not evaluated", "nicht ausgewertet", "non évalué", "notevaluated"),
    "config-manager": ("configmanager", "config manager", "configuration manager"),
    "unknown": ("unknown", "unbekannt", "inconnu"),
}
COMPLIANCE = enum({alias: state for state, aliases in _COMPLIANCE_NAMES.items() for alias in aliases},
                  "compliance state")

_MANAGED = ("mdm", "intune", "microsoft intune", "co-managed", "comanaged", "gemeinsam verwaltet", "cogéré",
            "configmgr", "configuration manager", "mdm/configmgr agent", "intune/configmgr", "eas/mdm", "easmdm",
            "intuneclient", "easintuneclient", "configurationmanagerclient", "configurationmanagerclientmdm",
            "configurationmanagerclientmdmeas", "jamf", "googleclouddevicepolicycontroller",
            "microsoft365managedmdm", "intuneaosp", "windowsmanagementcloudapi")
_UNMANAGED = ("eas", "exchange activesync", "mssense", "none", "unmanaged", "nicht verwaltet", "non géré")
MANAGED = enum({a: True for a in _MANAGED} | {a: False for a in _UNMANAGED}, "management agent")

ABSENT = ("screen_lock.enabled", "screen_lock.timeout_minutes", "firewall.enabled")


@register_format
class IntuneGraph(JsonFormat):
    name = "intune"
    title = "Microsoft Intune managedDevice (Graph) export"
    record_keys = frozenset({"value"})
    columns = (
        Column("encryption.at_rest", ("isEncrypted",), parse_bool),
        Column("os.name", ("operatingSystem",), os_name),
        Column("os.family", ("operatingSystem",), os_family),
        Column("os.version", ("osVersion",), os_version),
        Column("last_seen", ("lastSyncDateTime",), parse_datetime),
        Column("compliance.state", ("complianceState",), COMPLIANCE, empty=NONE, raw="complianceState"),
        Column("managed", ("managementAgent",), MANAGED, raw="managementAgent"),
    )
    identity = Identity(device_id=("id",), serial=("serialNumber",), hostname=("deviceName", "managedDeviceName"),
                        owner=("userPrincipalName", "emailAddress"))
    absent = ABSENT

    def score(self, sample: Sample) -> int:
        if sample.syntax != "json":
            return 0
        hits = sample.has_keys("complianceState", "lastSyncDateTime", "userPrincipalName", "managementAgent",
                               "isEncrypted", "deviceName", "azureADDeviceId", "osVersion")
        return hits * 2 + sample.has_keys("@odata.context", "@odata.nextLink") if hits >= 2 else 0

    def envelope(self, event: Envelope, source: InventorySource) -> Iterator[Item]:
        yield PageMark(self.name, source.name, event.line, bool(event.members.get("@odata.nextLink")))


#: Intune's reports export (``localizationType=LocalizedValuesAsAdditionalColumn``, see Microsoft Learn "Export
#: Intune reports using Graph APIs") writes the ``OS`` column of DeviceCompliance as a code with the text in
#: ``OS_loc``; the text is read first, the code only when no twin says more.
INTUNE_OS_CODES = {"1": "Windows", "2": "iOS", "3": "Android", "4": "macOS"}


def coded(parse: Callable[[Any], Any], codes: Mapping[str, str]) -> Callable[[Any], Any]:
    """``parse`` of the text a numeric enum code stands for (used after the localised twin)."""
    def parse_code(value: Any) -> Any:
        text = str(value).strip()
        if text not in codes:
            raise ValueError(f"unknown code {describe(text)}")
        return parse(codes[text])
    return parse_code


#: German admin-centre labels next to the English ones (Devices > All devices > Export in a German UI).
_DE = {
    "device_id": ("Geräte-ID", "Intune-Geräte-ID"),
    "name": ("Gerätename",),
    "serial": ("Seriennummer",),
    "owner": ("UPN des primären Benutzers", "Primärer Benutzer UPN", "E-Mail-Adresse des primären Benutzers"),
    "last_seen": ("Letzter Check-In", "Letzter Check-in", "Letzter Kontakt"),
    "os": ("Betriebssystem",),
    "os_version": ("Betriebssystemversion", "Version des Betriebssystems"),
    "encrypted": ("Verschlüsselt", "Verschlüsselung"),
    "compliance": ("Konformität", "Kompatibilität", "Konformitätsstatus"),
    "managed_by": ("Verwaltet von", "Verwaltungs-Agent", "Verwaltungsagent"),
}
_OS_NAMES = ("OS", "Operating system", "OperatingSystem", *_DE["os"])


@register_format
class IntuneCsv(CsvFormat):
    name = "intune-csv"
    title = "Microsoft Intune devices CSV export"
    columns = (
        Column("encryption.at_rest", ("Encrypted", "IsEncrypted", "Encryption status", *_DE["encrypted"]), parse_bool,
               localised=True),
        Column("os.name", _OS_NAMES, os_name, localised=True, coded=coded(os_name, INTUNE_OS_CODES)),
        Column("os.family", _OS_NAMES, os_family, localised=True, coded=coded(os_family, INTUNE_OS_CODES)),
        Column("os.version", ("OS version", "OSVersion", *_DE["os_version"]), os_version),
        Column("last_seen", ("Last check-in", "LastContact", "Last sync date time", "lastSyncDateTime",
                             *_DE["last_seen"]), parse_datetime),
        Column("compliance.state", ("Compliance", "ComplianceState", "CompliantState", *_DE["compliance"]), COMPLIANCE,
               empty=NONE, localised=True, raw="compliance"),
        Column("managed", ("Managed by", "ManagementAgents", "ManagementAgent", "Management agent",
                           *_DE["managed_by"]), MANAGED, localised=True, raw="managedBy"),
    )
    identity = Identity(device_id=("Device ID", "DeviceId", "Intune device ID", *_DE["device_id"]),
                        serial=("Serial number", "SerialNumber", *_DE["serial"]),
                        hostname=("Device name", "DeviceName", *_DE["name"]),
                        owner=("Primary user UPN", "UPN", "UserPrincipalName", "Primary user email address",
                               "UserEmail", *_DE["owner"]))
    absent = ABSENT

    def score(self, sample: Sample) -> int:
        if sample.syntax != "csv":
            return 0
        hits = sample.has_columns("Device ID", "DeviceId", "Last check-in", "LastContact", "Primary user UPN",
                                  "UPN", "Compliance", "ComplianceState", "Managed by", "ManagementAgents",
                                  "Encrypted", "OS version", "OSVersion", *_DE["device_id"], *_DE["last_seen"],
                                  *_DE["owner"], *_DE["os_version"], *_DE["compliance"], *_DE["managed_by"])
        return hits * 2 if hits >= 2 else 0
