"""osquery results: ``osqueryi --json`` arrays and osqueryd result logs (snapshot, differential, batched).

A device's facts arrive as rows of several tables, so rows are gathered per host and the host
becomes a device when the file has been read (memory grows with hosts, not with log lines).
Tables are recognised by their columns, whatever the scheduled query was called:
``system_info``, ``os_version``, ``disk_encryption``, ``bitlocker_info``, ``screenlock``, ``alf``,
``windows_security_center`` (and ``mdm``, ``time`` when present). ``osqueryi`` output has no host
identifier: one file is one host. In result logs the owner comes from a decoration
(``user_email``, ``email``, ``upn``, ``owner``; ``username``/``console_user`` as a user name).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from policycheck.errors import InputError

from ..jsonstream import JsonStream
from ..normalise import os_family, os_version, parse_bool, parse_datetime
from ..record import INVENTORY_ATTRIBUTES, DeviceRecord
from . import InventoryFormat, InventorySource, Item, Sample, register_format

Row = dict[str, Any]

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
    "time": (lambda r: "unix_time" in r and ("iso_8601" in r or "local_time" in r), lambda r: ""),
}
OWNER_KEYS = ("user_email", "email", "upn", "owner")
USER_KEYS = ("username", "console_user", "user")
LOG_KEYS = ("hostIdentifier", "calendarTime", "unixTime", "snapshot", "diffResults")
FILE_HOST = ""


@dataclass
class Host:
    """What the log says about one host so far."""

    line: int
    rows: dict[str, dict[str, tuple[int, Row]]] = field(default_factory=dict)
    owner: str | None = None
    user: str | None = None
    last_seen: int = 0

    def add(self, table: str, row: Row, line: int) -> None:
        self.rows.setdefault(table, {})[TABLES[table][1](row)] = (line, row)

    def remove(self, table: str, row: Row) -> None:
        """Drop ``row`` if it is the one held: a "removed" event for an older row (logs read out of order,
        or the removed half of a change logged after its added half) must not drop the current row."""
        rows = self.rows.get(table, {})
        key = TABLES[table][1](row)
        if key in rows and rows[key][1] == row:
            del rows[key]

    def table(self, name: str) -> list[tuple[int, Row]]:
        return list(self.rows.get(name, {}).values())


def tables_of(row: Row) -> list[str]:
    return [name for name, (belongs, _) in TABLES.items() if belongs(row)]


@register_format
class OsqueryResults(InventoryFormat):
    name = "osquery"
    title = "osquery results (osqueryi --json or result log)"
    syntax = "json"

    def score(self, sample: Sample) -> int:
        if sample.syntax != "json":
            return 0
        hits = sample.has_keys(*LOG_KEYS, "hardware_serial", "encryption_status", "protection_status",
                               "grace_period", "global_state", "platform_like", "antivirus", "filevault_status")
        return hits * 2 if hits >= 2 else 0

    def read(self, stream: TextIO, sample: Sample, source: InventorySource) -> Iterator[Item]:
        hosts: dict[str, Host] = {}
        bad: list[DeviceRecord] = []
        for line, obj in self._values(stream, sample, source, bad):
            if not isinstance(obj, Mapping):
                bad.append(_broken(source, line, "a result is not a JSON object"))
            elif any(key in obj for key in LOG_KEYS) or "columns" in obj:
                self._event(hosts, obj, line)
            else:
                self._row(hosts.setdefault(FILE_HOST, Host(line)), obj, line)
        if not hosts and not bad:
            raise InputError(f"not {self.title}: no rows of the supported tables", source=source.name)
        yield from (rec for ordinal, rec in enumerate(bad) if source.mine(ordinal))
        for ordinal, (key, host) in enumerate(hosts.items()):
            if source.mine(ordinal):
                yield self._device(key, host, source)

    # -- reading ------------------------------------------------------------------------
    def _values(self, stream: TextIO, sample: Sample, source: InventorySource,
                bad: list[DeviceRecord]) -> Iterator[tuple[int, Any]]:
        first = sample.text.lstrip().split("\n", 1)[0].strip()
        if first.startswith("{") and _is_json(first):
            for number, text in enumerate(stream, 1):  # result log: one JSON object per line
                if not text.strip():
                    continue
                try:
                    yield number, json.loads(text)
                except ValueError:
                    bad.append(_broken(source, number, "not a valid JSON result line (truncated?)"))
            return
        for record in JsonStream(stream, source.name).records():
            yield record.line, record.value

    def _event(self, hosts: dict[str, Host], event: Mapping[str, Any], line: int) -> None:
        decorations = event.get("decorations") or {}
        key = str(decorations.get("host_uuid") or event.get("hostIdentifier") or FILE_HOST)
        host = hosts.setdefault(key, Host(line))
        host.owner = next((str(decorations[k]) for k in OWNER_KEYS if decorations.get(k)), host.owner)
        host.user = next((str(decorations[k]) for k in USER_KEYS if decorations.get(k)), host.user)
        with contextlib.suppress(TypeError, ValueError):  # a log line without a time does not move last_seen
            host.last_seen = max(host.last_seen, int(event.get("unixTime") or 0))
        if "snapshot" in event:
            rows = [r for r in event.get("snapshot") or () if isinstance(r, Mapping)]
            for table in {t for r in rows for t in tables_of(r)}:
                host.rows[table] = {}
            for row in rows:
                self._row(host, row, line)
        elif "diffResults" in event:
            diff = event.get("diffResults") or {}
            for row in diff.get("removed") or ():
                self._row(host, row, line, remove=True)
            for row in diff.get("added") or ():
                self._row(host, row, line)
        elif isinstance(event.get("columns"), Mapping):
            self._row(host, event["columns"], line, remove=event.get("action") == "removed")

    @staticmethod
    def _row(host: Host, row: Mapping[str, Any], line: int, remove: bool = False) -> None:
        row = dict(row)
        for table in tables_of(row):
            if remove:
                host.remove(table, row)
            else:
                host.add(table, row, line)
        if not remove:
            host.owner = next((str(row[k]) for k in OWNER_KEYS if row.get(k)), host.owner)

    # -- normalising --------------------------------------------------------------------
    def _device(self, key: str, host: Host, source: InventorySource) -> DeviceRecord:
        rec = DeviceRecord(self.name, source.name, host.line, owner=host.owner)
        if host.user:
            rec.owner_aliases = (host.user,)
            rec.owner = rec.owner or host.user
        system = host.table("system_info")
        if system:
            info = system[-1][1]
            rec.device_id = str(info.get("uuid") or "") or None
            rec.serial = str(info.get("hardware_serial") or "") or None
            rec.hostname = str(info.get("computer_name") or info.get("hostname") or "") or None
        rec.device_id = rec.device_id or (key or None)
        for derive in DERIVED:
            derive(rec, host)
        if host.last_seen:
            rec.set("last_seen", parse_datetime(host.last_seen))
        else:
            times = host.table("time")
            if times:
                _parse(rec, "last_seen", times[-1], "unix_time", lambda v: parse_datetime(int(v)))
            else:
                rec.fail("last_seen", f"{source.name}: osqueryi output carries no time; add "
                         "'SELECT unix_time, iso_8601 FROM time' to the queries")
        return rec


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def _broken(source: InventorySource, line: int, why: str) -> DeviceRecord:
    rec = DeviceRecord("osquery", source.name, line)
    for attr in INVENTORY_ATTRIBUTES:
        rec.fail(attr, f"{source.name} line {line}: {why}")
    return rec


def _parse(rec: DeviceRecord, attr: str, item: tuple[int, Row], column: str, parse: Callable[[Any], Any]) -> None:
    line, row = item
    try:
        rec.set(attr, parse(row.get(column)))
    except (TypeError, ValueError) as exc:
        rec.fail(attr, f"{rec.source} line {line}: {exc} in '{column}'")


def _flag(value: Any) -> bool:
    text = str(value).strip()
    if text in ("1", "0"):
        return text == "1"
    raise ValueError(f"unknown value '{value}' (expected 1 or 0)")


def _os(rec: DeviceRecord, host: Host) -> None:
    rows = host.table("os_version")
    if not rows:
        for attr in ("os.name", "os.version"):
            rec.fail(attr, f"{rec.source}: no os_version results for this host")
        return
    item = rows[-1]
    _parse(rec, "os.name", item, "platform" if item[1].get("platform") else "name", os_family)
    _parse(rec, "os.version", item, "version", os_version)


def _encryption(rec: DeviceRecord, host: Host) -> None:
    bitlocker = host.table("bitlocker_info")
    if bitlocker:
        system = [i for i in bitlocker if str(i[1].get("drive_letter", "")).upper() == "C:"] or bitlocker
        try:
            rec.set("encryption.at_rest", all(
                _flag(row.get("protection_status")) and _flag(row.get("conversion_status", "1")) for _, row in system))
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
    try:
        rec.set("encryption.at_rest", all(_flag(row.get("encrypted")) for _, row in disks))
    except ValueError as exc:
        rec.fail("encryption.at_rest", f"{rec.source} line {disks[0][0]}: {exc} in 'encrypted'")


_SECURITY_CENTER = {"good": True, "poor": False, "snoozed": False}


def _firewall(rec: DeviceRecord, host: Host) -> None:
    alf = host.table("alf")
    if alf:
        def state(value: Any) -> bool:
            if str(value).strip() not in ("0", "1", "2"):
                raise ValueError(f"unknown global_state '{value}'")
            return str(value).strip() != "0"
        _parse(rec, "firewall.enabled", alf[-1], "global_state", state)
        return
    center = host.table("windows_security_center")
    if center:
        def health(value: Any) -> bool:
            verdict = _SECURITY_CENTER.get(str(value).strip().casefold())
            if verdict is None:
                raise ValueError(f"firewall health '{value}' says nothing about the firewall")
            return verdict
        _parse(rec, "firewall.enabled", center[-1], "firewall", health)
        return
    rec.fail("firewall.enabled", f"{rec.source}: no alf or windows_security_center results for this host")


def _screen_lock(rec: DeviceRecord, host: Host) -> None:
    rows = host.table("screenlock")
    if rows:
        _parse(rec, "screen_lock.enabled", rows[-1], "enabled", _flag)
    else:
        rec.fail("screen_lock.enabled", f"{rec.source}: no screenlock results for this host")
    rec.fail("screen_lock.timeout_minutes", "osquery's screenlock table does not report the idle timeout")


def _managed(rec: DeviceRecord, host: Host) -> None:
    rows = host.table("mdm")
    if rows:
        _parse(rec, "managed", rows[-1], "enrolled", parse_bool)
    else:
        rec.fail("managed", f"{rec.source}: osquery reports MDM enrolment only through the mdm table")


#: What each group of attributes is derived from, one function per group.
DERIVED: tuple[Callable[[DeviceRecord, Host], None], ...] = (_os, _encryption, _firewall, _screen_lock, _managed)
