"""Table-driven reading of flat records: which column feeds which attribute, through which parser.

A format declares its columns once (``Column("encryption.at_rest", ("Encrypted", "IsEncrypted"), parse_bool)``);
the same table reads CSV rows (by header position) and JSON objects (by key or dotted path).
A column the file lacks, a short row, an empty cell or an unparseable value makes that one
attribute unknown with a reason naming the file, the line and the column.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .record import DeviceRecord
from .textio import BadRow, Header

#: How an empty cell (or JSON null) is read: as unknown, or as a plain None ("not set").
UNKNOWN, NONE = "unknown", "none"


@dataclass(frozen=True)
class Column:
    """One vocabulary attribute read from the first present of ``names`` through ``parse``.

    ``localised``: read ``<name>_loc`` (Intune's localised twin column) when the value itself does
    not parse; ``coded``: the parser of the value as an enum code, tried last. ``raw``: also keep the
    value as reported under ``raw.<format>.<raw>``.
    """

    attr: str
    names: tuple[str, ...]
    parse: Callable[[Any], Any]
    empty: str = UNKNOWN
    localised: bool = False
    raw: str | None = None
    optional: bool = False  # a file without this column is fine: the attribute is simply not set
    coded: Callable[[Any], Any] | None = None


@dataclass(frozen=True)
class Identity:
    """Where a format keeps the identifying fields (all optional; at least one must be present)."""

    device_id: tuple[str, ...] = ()
    serial: tuple[str, ...] = ()
    hostname: tuple[str, ...] = ()
    owner: tuple[str, ...] = ()

    def fields(self) -> Iterable[tuple[str, tuple[str, ...]]]:
        return (("device_id", self.device_id), ("serial", self.serial), ("hostname", self.hostname),
                ("owner", self.owner))

    def all_names(self) -> tuple[str, ...]:
        return self.device_id + self.serial + self.hostname + self.owner


_BLANK = frozenset(("", "null", "none", "n/a", "-", "--", "---"))
_MISS = object()
#: Parsed values a column may share between devices (nothing a later step could change in place).
_IMMUTABLE = frozenset({bool, int, float, str, datetime})
#: Distinct cells remembered per column; a column of unique cells (timestamps) starts over when it is full.
_CELLS_KEPT = 1024


def blank(value: Any) -> bool:
    """None, an empty or whitespace cell, or a spelled-out nothing (null, n/a, -)."""
    if value is None:
        return True
    if value.__class__ is not str:
        return False
    return len(value) <= 8 and value.strip().casefold() in _BLANK


class CsvTable:
    """A column table bound to one CSV header: positions resolved once, rows read by index."""

    def __init__(self, fmt: str, header: Header, columns: Sequence[Column], identity: Identity,
                 not_reported: Mapping[str, str] | None = None):
        self.fmt, self.source = fmt, header.source
        self.width = len(header)

        def find(names: Iterable[str]) -> list[tuple[int, str]]:
            positions = (header.position(n) for n in names)
            return [(i, header.names[i]) for i in positions if i is not None]

        self.identity = [(name, find(names)) for name, names in identity.fields()]
        self.columns: list[tuple[Column, tuple[int, str] | None, int | None, str | None, dict[str, Any]]] = []
        for col in columns:
            found = find(col.names)
            where = found[0] if found else None
            loc = header.position(f"{where[1]}_loc") if (where and col.localised) else None
            missing = None if (where or col.optional) else f"{self.source}: the file has no '{col.names[0]}' column"
            # cells repeat (a few OS versions, true/false, timeouts): each distinct cell is parsed once
            self.columns.append((col, where, loc, missing, {}))
        self.absent = dict(not_reported or {})

    @property
    def has_identity(self) -> bool:
        return any(found for _, found in self.identity)

    def read(self, line: int, row: list[str] | BadRow) -> DeviceRecord:
        rec = DeviceRecord(self.fmt, self.source, line)
        if isinstance(row, BadRow) or len(row) > self.width:
            reason = f"{self.source} line {line}: " + (
                row.problem if isinstance(row, BadRow)
                else f"{len(row)} fields but the header has {self.width} (an unquoted delimiter?)")
            for col, *_ in self.columns:
                rec.fail(col.attr, reason)
            for attr, why in self.absent.items():
                rec.fail(attr, why)
            return rec
        width = len(row)
        for name, found in self.identity:
            for index, _ in found:
                if index < width and not blank(row[index]):
                    setattr(rec, name, row[index].strip())
                    break
        values = rec.values
        for col, where, loc, missing, parsed in self.columns:
            if where is None:
                if missing:
                    rec.problems[col.attr] = missing
                continue
            index, header_name = where
            if index >= width:
                rec.problems[col.attr] = f"{self.source} line {line}: missing column '{header_name}' (short row)"
                continue
            value = row[index]
            # the common case, inlined (as read_value does it): a present value that parses, or did before
            known = parsed.get(value, _MISS)
            raw = col.raw
            if known is not _MISS:
                values[col.attr] = known
                if raw is not None:
                    rec.raw[raw] = value.strip()
                continue
            if not (len(value) <= 8 and value.strip().casefold() in _BLANK):
                if raw is not None:
                    rec.raw[raw] = value.strip()
                try:
                    known = values[col.attr] = col.parse(value)
                except (ValueError, TypeError):
                    pass
                else:
                    if known.__class__ in _IMMUTABLE:
                        if len(parsed) >= _CELLS_KEPT:
                            parsed.clear()
                        parsed[value] = known
                    continue
            localised = row[loc] if loc is not None and loc < width else None
            read_value(rec, col, value, header_name, localised)
        for attr, why in self.absent.items():
            rec.problems[attr] = why
        return rec


def read_value(rec: DeviceRecord, col: Column, value: Any, where: str, localised: Any = None) -> None:
    """Parse ``value`` for ``col`` into ``rec`` (or record why it is unknown)."""
    if blank(value):
        if col.empty == NONE:
            rec.set(col.attr, None)
        else:
            rec.fail(col.attr, f"{rec.where()}: no value in '{where}'")
        return
    if col.raw:
        rec.raw[col.raw] = value.strip() if isinstance(value, str) else value
    try:
        rec.set(col.attr, col.parse(value))
        return
    except (ValueError, TypeError) as exc:
        problem = str(exc) if isinstance(exc, ValueError) else f"unexpected {type(value).__name__} value"
    if localised is not None and not blank(localised):
        try:
            rec.set(col.attr, col.parse(localised))
            return
        except (ValueError, TypeError):
            pass
    if col.coded is not None:
        try:
            rec.set(col.attr, col.coded(value))
            return
        except (ValueError, TypeError):
            pass
    rec.fail(col.attr, f"{rec.where()}: {problem} in '{where}'")


def lookup(obj: Mapping[str, Any], path: str) -> tuple[bool, Any]:
    """(found, value) for a key or a dotted path into nested objects; a flat key wins over a path."""
    if path in obj:
        return True, obj[path]
    node: Any = obj
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def read_object(rec: DeviceRecord, obj: Mapping[str, Any], columns: Sequence[Column], identity: Identity,
                not_reported: Mapping[str, str] | None = None) -> DeviceRecord:
    """Fill ``rec`` from a JSON object through the column table; a missing key is a missing column."""
    for name, paths in identity.fields():
        for path in paths:
            found, value = lookup(obj, path)
            if found and not blank(value) and not isinstance(value, dict | list):
                setattr(rec, name, str(value).strip())
                break
    for col in columns:
        for path in col.names:
            found, value = lookup(obj, path)
            if found:
                localised = lookup(obj, f"{path}_loc")[1] if col.localised else None
                read_value(rec, col, value, path, localised)
                break
        else:
            if not col.optional:
                rec.fail(col.attr, f"{rec.where()}: missing field '{col.names[0]}'")
    for attr, why in (not_reported or {}).items():
        rec.fail(attr, why)
    return rec
