"""Jamf Pro computers inventory: ``GET /api/v1/computers-inventory`` (``{"totalCount": n, "results": [...]}``).

Sections read: ``general`` (name, last contact, remote management), ``hardware`` (serial),
``userAndLocation`` (e-mail, user name), ``operatingSystem``, ``security`` (firewall),
``diskEncryption`` and ``storage``. FileVault is judged per partition: the boot partition's
``partitionFileVault2State`` (or every ``BOOT`` partition's ``fileVault2State``) must be
``ENCRYPTED``; ``operatingSystem.fileVault2Status`` is the last resort. Jamf's inventory has no
screen-lock timeout.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..columns import Column, Identity, lookup, read_object
from ..normalise import describe, os_family, os_name, os_version, parse_bool, parse_datetime
from ..record import DeviceRecord
from . import InventorySource, Sample, register_format
from .tabular import JsonFormat, not_reported

#: FileVault 2 partition states: True encrypted, False not (yet) encrypted, None not known.
PARTITION_STATES: dict[str, bool | None] = {
    "ENCRYPTED": True, "UNENCRYPTED": False, "DECRYPTED": False, "DECRYPTING": False, "DECRYPTING_PAUSED": False,
    "ENCRYPTING": False, "ENCRYPTING_PAUSED": False, "RESTART_NEEDED": False, "INELIGIBLE": False,
    "OPTIMIZING": True, "UNKNOWN": None,
}
DISK_STATUS: dict[str, bool | None] = {
    "ALL_ENCRYPTED": True, "BOOT_ENCRYPTED": True, "SOME_ENCRYPTED": None, "NOT_ENCRYPTED": False,
    "NOT_APPLICABLE": None,
}

COLUMNS = (
    Column("os.name", ("operatingSystem.name", "general.platform"), os_name),
    Column("os.family", ("operatingSystem.name", "general.platform"), os_family),
    Column("os.version", ("operatingSystem.version",), os_version),
    Column("last_seen", ("general.lastContactTime", "general.reportDate"), parse_datetime),
    Column("managed", ("general.remoteManagement.managed",), parse_bool),
    Column("firewall.enabled", ("security.firewallEnabled",), parse_bool),
)
IDENTITY = Identity(device_id=("udid", "id"), serial=("hardware.serialNumber",), hostname=("general.name",),
                    owner=("userAndLocation.email",))


def filevault(rec: DeviceRecord, computer: Mapping[str, Any]) -> None:
    """``encryption.at_rest`` from the partition states, with the per-partition view under ``raw.jamf``."""
    partitions: dict[str, str] = {}
    boot_states: list[str] = []
    for disk in lookup(computer, "storage.disks")[1] or ():
        for part in (disk or {}).get("partitions") or ():
            state = str(part.get("fileVault2State") or "UNKNOWN").upper()
            kind = str(part.get("partitionType") or "OTHER").upper()
            # keyed by position and type, not by volume name (a volume may be named after its owner)
            partitions[f"{len(partitions) + 1}:{kind}"] = state
            if kind == "BOOT":
                boot_states.append(state)
    rec.raw["filevault_partitions"] = partitions
    found, boot = lookup(computer, "diskEncryption.bootPartitionEncryptionDetails.partitionFileVault2State")
    states = [str(boot).upper()] if found and boot else boot_states
    if states:
        unknown = [s for s in states if s not in PARTITION_STATES]
        if unknown:
            rec.fail("encryption.at_rest", f"{rec.where()}: unknown FileVault state {describe(unknown[0])} in "
                     "partitionFileVault2State")
            return
        verdicts = [PARTITION_STATES[s] for s in states]
        if None not in verdicts:
            rec.set("encryption.at_rest", all(verdicts))
            return
    found, status = lookup(computer, "operatingSystem.fileVault2Status")
    verdict = DISK_STATUS.get(str(status).upper()) if found and status else None
    if verdict is None:
        rec.fail("encryption.at_rest", f"{rec.where()}: Jamf reports no known FileVault state for the boot partition")
    else:
        rec.set("encryption.at_rest", verdict)


@register_format
class JamfInventory(JsonFormat):
    name = "jamf"
    title = "Jamf Pro computers-inventory JSON"
    record_keys = frozenset({"results"})
    columns = COLUMNS
    identity = IDENTITY

    def score(self, sample: Sample) -> int:
        if sample.syntax != "json":
            return 0
        hits = sample.has_keys("general", "diskEncryption", "operatingSystem", "userAndLocation",
                               "lastContactTime", "remoteManagement", "partitionFileVault2State", "udid")
        return hits * 2 + sample.has_keys("totalCount", "results") if hits >= 2 else 0

    def is_record(self, obj: Mapping[str, Any]) -> bool:
        return "general" in obj or "udid" in obj or "hardware" in obj

    def parse(self, rec: DeviceRecord, obj: Mapping[str, Any], source: InventorySource) -> DeviceRecord:
        read_object(rec, obj, self.bind(source), self.identity,
                    not_reported(self.title, ("screen_lock.enabled", "screen_lock.timeout_minutes")))
        found, username = lookup(obj, "userAndLocation.username")
        if found and username:
            rec.owner_aliases = (str(username),)
            rec.owner = rec.owner or str(username)
        filevault(rec, obj)
        return rec
