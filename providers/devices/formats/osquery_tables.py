"""What osquery's tables say about a device: the tables recognised, one host's rows, and the derived attributes.

Table columns follow the osquery schema (``specs/*.table``: ``system_info``, ``os_version``,
``disk_encryption``, ``bitlocker_info``, ``screenlock``, ``alf``, ``windows_security_center``, ``mdm``,
``mounts``, ``time``). A host's rows come from result-log events in any order: each row carries the
moment it was logged (``unixTime``, then ``counter``; a ``removed`` before an ``added`` of the same
moment, as osquery's differential results are meant), and the newest state wins, as
osquery's ``docs/wiki/deployment/logging.md`` describes snapshots and differential results.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..normalise import describe, os_family, os_name, os_version, parse_bool
from ..record import DeviceRecord

Row = dict[str, Any]
#: When a row was logged: (unixTime, counter, 0 for removed / 1 for added or snapshot).
Stamp = tuple[int, int, int]
NO_STAMP: Stamp = (-1, -1, -1)

#: table -> (does a row belong to it, the key of a row within one host's table).
TABLES: dict[str, tuple[Callable[[Row], bool], Callable[[Row], str]]] = {
    "system_info": (lambda r: "hardware_serial" in r or "cpu_brand" in r, lambda r: ""),
    "os_version": (lambda r: "platform" in r and ("major" in r or "build" in r), lambda r: ""),
    "disk_encryption": (lambda r: "encryption_status" in r or ("encrypted" in r and "type" in r),
                        lambda r: str(r.get("name", ""))),
    "bitlocker_info": (lambda r: "protection_status" in r or "conversion_status" in r,
                       lambda r: str(r.get("drive_letter") or r.get("device_id") or "")),
    "screenlock": (lambda r: "grace_period" in r, lambda r: ""),
    "alf": (lambda r: "global_state" in r, lambda r: ""),
    "windows_security_center": (lambda r: "firewall" in r and "antivirus" in r, lambda r: ""),
    "mdm": (lambda r: "enrolled" in r and "server_url" in r, lambda r: ""),
    "mounts": (lambda r: "path" in r and "device" in r and ("device_alias" in r or "blocks_size" in r),
               lambda r: str(r.get("path", ""))),
    "time": (lambda r: "unix_time" in r and ("iso_8601" in r or "local_time" in r), lambda r: ""),
}


def tables_of(row: Row) -> list[str]:
    return [name for name, (belongs, _) in TABLES.items() if belongs(row)]


@dataclass
class _Entry:
    stamp: Stamp
    line: int
    row: Row | None  # None: removed at ``stamp``


@dataclass
class _Table:
    snapshot: Stamp = NO_STAMP  # a snapshot replaces every row logged before it
    entries: dict[str, _Entry] = field(default_factory=dict)


_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


@dataclass
class Host:
    """What the results say about one host so far, newest state per row whatever the file order."""

    line: int
    tables: dict[str, _Table] = field(default_factory=dict)
    owner: str | None = None
    user: str | None = None
    hostname: str | None = None  # decorations.hostname, else a hostIdentifier that is not a UUID
    last_seen: int = 0
    _named_at: Stamp = NO_STAMP

    def name(self, stamp: Stamp, owner: str | None, user: str | None, hostname: str | None) -> None:
        """Owner and names from an event's decorations: the newest event's win."""
        if stamp >= self._named_at:
            self._named_at = stamp
            self.owner, self.user = owner or self.owner, user or self.user
            if hostname and not _UUID.match(hostname):
                self.hostname = hostname

    def snapshot(self, table: str, stamp: Stamp) -> bool:
        """A snapshot of ``table`` at ``stamp`` begins; False if a newer one is already held."""
        held = self.tables.setdefault(table, _Table())
        if stamp < held.snapshot:
            return False
        held.snapshot = stamp
        held.entries = {k: e for k, e in held.entries.items() if e.stamp >= stamp}
        return True

    def add(self, table: str, row: Row, line: int, stamp: Stamp) -> None:
        held = self.tables.setdefault(table, _Table())
        key = TABLES[table][1](row)
        current = held.entries.get(key)
        if stamp >= held.snapshot and (current is None or current.stamp <= stamp):
            held.entries[key] = _Entry(stamp, line, row)

    def remove(self, table: str, row: Row, stamp: Stamp) -> None:
        """Drop ``row`` as of ``stamp``, unless a newer row is held or the row held is another one (the
        removed half of an older change must not drop the current row)."""
        held = self.tables.setdefault(table, _Table())
        key = TABLES[table][1](row)
        current = held.entries.get(key)
        if stamp < held.snapshot or (current is not None and (current.stamp >= stamp or
                                                                (current.row is not None and current.row != row))):
            return
        held.entries[key] = _Entry(stamp, 0, None)

    def table(self, name: str) -> list[tuple[int, Row]]:
        held = self.tables.get(name)
        if held is None:
            return []
        live = sorted((e for e in held.entries.values() if e.row is not None), key=lambda e: (e.stamp, e.line))
        return [(e.line, e.row) for e in live if e.row is not None]


# -- attributes ---------------------------------------------------------------------------

def parse_into(rec: DeviceRecord, attr: str, item: tuple[int, Row], column: str, parse: Callable[[Any], Any]) -> None:
    line, row = item
    try:
        rec.set(attr, parse(row.get(column)))
    except (TypeError, ValueError) as exc:
        rec.fail(attr, f"{rec.source} line {line}: {exc} in '{column}'")


def flag(value: Any) -> bool:
    text = str(value).strip()
    if text in ("1", "0"):
        return text == "1"
    raise ValueError(f"unknown value {describe(value)} (expected 1 or 0)")


def _os(rec: DeviceRecord, host: Host) -> None:
    rows = host.table("os_version")
    if not rows:
        for attr in ("os.name", "os.family", "os.version"):
            rec.fail(attr, f"{rec.source}: no os_version results for this host")
        return
    item = rows[-1]
    row = item[1]
    # name is the distribution ("Ubuntu", "Red Hat Enterprise Linux"), platform its family-ish id ("ubuntu", "darwin")
    parse_into(rec, "os.name", item, "name" if row.get("name") else "platform", os_name)
    if "os.name" in rec.problems and row.get("platform"):
        parse_into(rec, "os.name", item, "platform", os_name)
    parse_into(rec, "os.family", item, "platform" if row.get("platform") else "name", os_family)
    parse_into(rec, "os.version", item, "version", os_version)


def _encryption(rec: DeviceRecord, host: Host) -> None:
    bitlocker = host.table("bitlocker_info")
    if bitlocker:
        system = [i for i in bitlocker if str(i[1].get("drive_letter", "")).upper() == "C:"] or bitlocker
        try:
            rec.set("encryption.at_rest", all(
                flag(row.get("protection_status")) and flag(row.get("conversion_status", "1")) for _, row in system))
        except ValueError as exc:
            rec.fail("encryption.at_rest", f"{rec.source} line {system[0][0]}: {exc} in 'protection_status'")
        return
    disks = host.table("disk_encryption")
    if not disks:
        rec.fail("encryption.at_rest", f"{rec.source}: no disk_encryption or bitlocker_info results for this host")
        return
    filevault = [row for _, row in disks if row.get("filevault_status")]
    if filevault:
        rec.set("encryption.at_rest", any(str(r["filevault_status"]).casefold() == "on" for r in filevault))
        return
    _root_encryption(rec, host, disks)


def _root_encryption(rec: DeviceRecord, host: Host, disks: list[tuple[int, Row]]) -> None:
    """Linux: encrypted when the block device behind ``/`` is. osquery marks a device encrypted when it is a
    dm-crypt mapping or sits on one (an LVM volume inside LUKS), while the raw disk, the EFI partition and
    the partition holding the LUKS container always report 0 (``osquery/tables/system/linux/disk_encryption.cpp``)."""
    root = [row for _, row in host.table("mounts") if row.get("path") == "/"]
    try:
        states = {str(row.get("name")): flag(row.get("encrypted")) for _, row in disks}
    except ValueError as exc:
        rec.fail("encryption.at_rest", f"{rec.source} line {disks[0][0]}: {exc} in 'encrypted'")
        return
    if root:
        devices = [str(root[-1].get(column) or "") for column in ("device_alias", "device")]
        found = [states[d] for d in devices if d in states]
        if found:
            rec.set("encryption.at_rest", found[0])
        else:
            rec.fail("encryption.at_rest", f"{rec.source}: no disk_encryption row for the device behind / "
                     "(mounts.device/device_alias)")
        return
    if all(states.values()) or not any(states.values()):  # every device (or none) encrypted: so is the one behind /
        rec.set("encryption.at_rest", all(states.values()))
        return
    rec.fail("encryption.at_rest", f"{rec.source}: some block devices are encrypted and some not, and no mounts "
             "row tells which holds /; add \"SELECT device, device_alias, path FROM mounts WHERE path = '/'\"")


_SECURITY_CENTER = {"good": True, "poor": False, "snoozed": False}


def _firewall(rec: DeviceRecord, host: Host) -> None:
    alf = host.table("alf")
    if alf:
        def state(value: Any) -> bool:
            if str(value).strip() not in ("0", "1", "2"):
                raise ValueError(f"unknown global_state {describe(value)}")
            return str(value).strip() != "0"
        parse_into(rec, "firewall.enabled", alf[-1], "global_state", state)
        return
    center = host.table("windows_security_center")
    if center:
        def health(value: Any) -> bool:
            verdict = _SECURITY_CENTER.get(str(value).strip().casefold())
            if verdict is None:
                raise ValueError(f"firewall health {describe(value)} says nothing about the firewall")
            return verdict
        parse_into(rec, "firewall.enabled", center[-1], "firewall", health)
        return
    rec.fail("firewall.enabled", f"{rec.source}: no alf or windows_security_center results for this host")


def _screen_lock(rec: DeviceRecord, host: Host) -> None:
    """``screenlock.grace_period`` is the delay, in seconds, between the screensaver starting and the password
    being asked (osquery ``specs/darwin/screenlock.table``), not the idle timeout: the lock comes after the idle
    time plus the grace period, so the grace period is only a lower bound of the timeout."""
    why = "osquery's screenlock table does not report the idle timeout (grace_period is the delay after it)"
    rows = host.table("screenlock")
    if not rows:
        rec.fail("screen_lock.enabled", f"{rec.source}: no screenlock results for this host")
        rec.fail("screen_lock.timeout_minutes", why)
        return
    parse_into(rec, "screen_lock.enabled", rows[-1], "enabled", flag)
    try:
        grace = int(str(rows[-1][1].get("grace_period")).strip())
    except ValueError:
        grace = -1
    if grace > 0:  # 0: asked at once (no bound beyond 0); -1: never asked (enabled is 0)
        rec.bound("screen_lock.timeout_minutes", f"{why}; the grace period alone makes it at least "
                  f"{grace / 60:g} minutes", lower=grace / 60)
    else:
        rec.fail("screen_lock.timeout_minutes", why)


def _managed(rec: DeviceRecord, host: Host) -> None:
    rows = host.table("mdm")
    if rows:
        parse_into(rec, "managed", rows[-1], "enrolled", parse_bool)
    else:
        rec.fail("managed", f"{rec.source}: osquery reports MDM enrolment only through the mdm table")


#: What each group of attributes is derived from, one function per group.
DERIVED: tuple[Callable[[DeviceRecord, Host], None], ...] = (_os, _encryption, _firewall, _screen_lock, _managed)
