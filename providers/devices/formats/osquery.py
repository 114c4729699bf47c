"""osquery results: ``osqueryi --json`` arrays and osqueryd result logs (snapshot, differential, batched).

A device's facts arrive as rows of several tables, so rows are gathered per host and the host
becomes a device when the file has been read (memory grows with hosts, not with log lines).
Tables are recognised by their columns, whatever the scheduled query was called:
``system_info``, ``os_version``, ``disk_encryption``, ``bitlocker_info``, ``screenlock``, ``alf``,
``windows_security_center`` (and ``mdm``, ``time`` when present). ``osqueryi`` output has no host
identifier: one file is one host. In result logs a host is its ``decorations.host_uuid`` (else its
``hostIdentifier``) and is named by ``system_info``, else ``decorations.hostname`` or ``hostIdentifier``;
the owner comes from a decoration (``user_email``, ``email``, ``upn``, ``owner``; ``username``/``console_user``
as a user name). Events are applied by the time they were logged, not by their place in the file.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator, Mapping
from typing import Any, TextIO

from policycheck.errors import InputError

from ..jsonstream import JsonStream
from ..normalise import parse_datetime
from ..record import INVENTORY_ATTRIBUTES, DeviceRecord
from . import InventoryFormat, InventorySource, Item, Sample, register_format
from .osquery_tables import DERIVED, Host, Row, Stamp, parse_into, tables_of

OWNER_KEYS = ("user_email", "email", "upn", "owner")
USER_KEYS = ("username", "console_user", "user")
LOG_KEYS = ("hostIdentifier", "calendarTime", "unixTime", "snapshot", "diffResults")
FILE_HOST = ""
#: osqueryi rows carry no time: they all count as logged at once, later lines winning.
NO_TIME: Stamp = (0, 0, 1)


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
                self._row(hosts.setdefault(FILE_HOST, Host(line)), obj, line, NO_TIME)
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
        decorations = event.get("decorations")
        decorations = decorations if isinstance(decorations, Mapping) else {}
        identifier = str(event.get("hostIdentifier") or "") or None
        key = str(decorations.get("host_uuid") or identifier or FILE_HOST)
        host = hosts.setdefault(key, Host(line))
        moment = _int(event.get("unixTime"))
        host.last_seen = max(host.last_seen, moment)
        added: Stamp = (moment, _int(event.get("counter")), 1)
        removed: Stamp = (added[0], added[1], 0)
        host.name(added, next((str(decorations[k]) for k in OWNER_KEYS if decorations.get(k)), None),
                  next((str(decorations[k]) for k in USER_KEYS if decorations.get(k)), None),
                  str(decorations.get("hostname") or "") or identifier)
        if "snapshot" in event:
            rows = [r for r in event.get("snapshot") or () if isinstance(r, dict)]
            fresh = {t for t in {t for r in rows for t in tables_of(r)} if host.snapshot(t, added)}
            for row in rows:
                self._row(host, row, line, added, only=fresh)
        elif "diffResults" in event:
            diff = event.get("diffResults") or {}
            for row in diff.get("removed") or ():
                self._row(host, row, line, removed, remove=True)
            for row in diff.get("added") or ():
                self._row(host, row, line, added)
        elif isinstance(event.get("columns"), Mapping):
            is_removal = event.get("action") == "removed"
            self._row(host, event["columns"], line, removed if is_removal else added, remove=is_removal)

    @staticmethod
    def _row(host: Host, row: Mapping[str, Any], line: int, stamp: Stamp, remove: bool = False,
             only: set[str] | None = None) -> None:
        if not isinstance(row, Mapping):
            return
        row = dict(row)
        for table in tables_of(row):
            if only is not None and table not in only:
                continue
            if remove:
                host.remove(table, row, stamp)
            else:
                host.add(table, row, line, stamp)
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
        rec.hostname = rec.hostname or host.hostname
        for derive in DERIVED:
            derive(rec, host)
        if host.last_seen:
            rec.set("last_seen", parse_datetime(host.last_seen))
        else:
            times = host.table("time")
            if times:
                parse_into(rec, "last_seen", times[-1], "unix_time", lambda v: parse_datetime(int(v)))
            else:
                rec.fail("last_seen", f"{source.name}: osqueryi output carries no time; add "
                         "'SELECT unix_time, iso_8601 FROM time' to the queries")
        return rec


def _int(value: Any) -> int:
    """A log's unixTime or counter; 0 when missing or not a number (such a line does not move time)."""
    with contextlib.suppress(TypeError, ValueError):
        return max(0, int(value or 0))
    return 0


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


__all__ = ["OsqueryResults", "Row"]
