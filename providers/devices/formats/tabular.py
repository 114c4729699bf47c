"""Shared readers for formats that are one device per CSV row or per JSON object."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import replace
from functools import lru_cache, partial
from typing import Any, ClassVar, TextIO

from policycheck.errors import InputError

from ..columns import Column, CsvTable, Identity, read_object
from ..jsonstream import Envelope, JsonStream
from ..normalise import parse_datetime
from ..record import DeviceRecord
from ..textio import CsvRows, Header
from . import InventoryFormat, InventorySource, Item, Sample


def not_reported(fmt_title: str, attrs: Sequence[str]) -> dict[str, str]:
    """Reasons for attributes a vendor's export never contains."""
    return {attr: f"{fmt_title} does not report {attr}" for attr in attrs}


class CsvFormat(InventoryFormat):
    """One device per row; the subclass supplies the column table."""

    syntax = "csv"
    columns: ClassVar[tuple[Column, ...]]
    identity: ClassVar[Identity]
    absent: ClassVar[tuple[str, ...]] = ()

    def read(self, stream: TextIO, sample: Sample, source: InventorySource) -> Iterator[Item]:
        rows = CsvRows(stream, sample.text, source.name)
        table = self.table(rows.columns, source, rows.delimiter)
        if source.shard[1] == 1:  # the whole file
            for line, row in rows:
                yield self.finish(table.read(line, row))
            return
        for ordinal, (line, row) in enumerate(rows):
            if source.mine(ordinal):
                yield self.finish(table.read(line, row))

    def check(self, sample: Sample, source: InventorySource) -> None:
        header = Header(sample.header, source.name, sample.header_line)
        self.table(header, source, sample.delimiter)

    def table(self, header: Header, source: InventorySource, delimiter: str) -> CsvTable:
        """The column table bound to ``header``; InputError for a duplicate or missing column the reader needs."""
        columns, identity = self.bind(source), self.bind_identity(source)
        for key, names in source.columns:
            for name in names:
                header.require(name, f"mapped to '{key}' by the inventory column mapping")
        table = CsvTable(self.name, header, columns, identity, not_reported(self.title, self.absent))
        if not table.has_identity:
            tried = ", ".join(repr(n) for n in identity.all_names()[:4])
            raise InputError(f"not a {self.title}: none of the columns {tried} is in the header "
                             f"(delimiter '{delimiter}')", source=source.name, place=f"line {header.line}")
        return table

    def bind(self, source: InventorySource) -> Sequence[Column]:
        """The column table for ``source``, its dates read in the file's date order."""
        return with_date_order(self.columns, source.date_order)

    def bind_identity(self, source: InventorySource) -> Identity:
        """Where ``source`` keeps the identifying fields (hook for a format with a column mapping)."""
        return self.identity

    def finish(self, rec: DeviceRecord) -> DeviceRecord:
        """Derive what the table alone cannot (hook for subclasses)."""
        return rec


class JsonFormat(InventoryFormat):
    """One device per JSON object, found at top level or under one of ``record_keys``."""

    syntax = "json"
    record_keys: ClassVar[frozenset[str]] = frozenset()
    columns: ClassVar[tuple[Column, ...]] = ()
    identity: ClassVar[Identity] = Identity()
    absent: ClassVar[tuple[str, ...]] = ()

    def read(self, stream: TextIO, sample: Sample, source: InventorySource) -> Iterator[Item]:
        seen = 0
        for event in JsonStream(stream, source.name, self.record_keys).events():
            if isinstance(event, Envelope):
                yield from self.envelope(event, source)
                continue
            obj = event.value
            rec = DeviceRecord(self.name, source.name, event.line)
            if not isinstance(obj, Mapping):
                yield self.malformed(rec, f"{rec.where()}: a record is not a JSON object")
                continue
            if not self.is_record(obj) and seen == 0:
                raise InputError(f"not a {self.title}: no device record found", source=source.name,
                                 place=f"line {event.line}")
            seen += 1  # later objects without identifiers still count: their facts end up unknown, not dropped
            if source.mine(seen - 1):
                yield self.parse(rec, obj, source)

    def is_record(self, obj: Mapping[str, Any]) -> bool:
        """Whether ``obj`` describes a device (and not, say, an empty page envelope)."""
        return any(key in obj for key in self.identity.all_names()) or any(
            "." in key and key.split(".", 1)[0] in obj for key in self.identity.all_names())

    def parse(self, rec: DeviceRecord, obj: Mapping[str, Any], source: InventorySource) -> DeviceRecord:
        return read_object(rec, obj, self.bind(source), self.identity, not_reported(self.title, self.absent))

    def bind(self, source: InventorySource) -> Sequence[Column]:
        return with_date_order(self.columns, source.date_order)

    def envelope(self, event: Envelope, source: InventorySource) -> Iterator[Item]:
        """React to the members around streamed records (e.g. paging links); nothing by default."""
        return iter(())

    @staticmethod
    def malformed(rec: DeviceRecord, reason: str) -> DeviceRecord:
        from ..record import INVENTORY_ATTRIBUTES
        for attr in INVENTORY_ATTRIBUTES:
            rec.fail(attr, reason)
        return rec


@lru_cache(maxsize=64)
def with_date_order(columns: tuple[Column, ...], date_order: str) -> tuple[Column, ...]:
    """``columns`` with their date parser reading slashed dates in ``date_order``."""
    if date_order == "mdy":
        return columns
    parse = partial(parse_datetime, date_order=date_order)
    return tuple(replace(c, parse=parse) if c.parse is parse_datetime else c for c in columns)
