"""The inventory formats: one module each, registered in :data:`FORMATS`.

A format says how sure it is that a file is its own (:meth:`InventoryFormat.score`, from the
first 32 KiB) and reads an open file into :class:`~..record.DeviceRecord` items, one at a time.
Adding a format is one module here plus one import line below.
"""

from __future__ import annotations

import abc
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import ClassVar, TextIO

from policycheck.registry import Registry

from ..record import DeviceRecord, PageMark


@dataclass(frozen=True)
class InventorySource:
    """One inventory file to read, as configured."""

    path: Path
    format: str | None = None  # None: detect
    label: str = ""
    date_order: str = "mdy"  # how to read 03/04/2026: mdy (US, Intune's default) or dmy
    encoding: str | None = None
    shard: tuple[int, int] = (0, 1)  # (index, count): read only every count-th device, starting at index
    columns: tuple[tuple[str, tuple[str, ...]], ...] = ()  # column mapping of our own CSV format: key -> columns

    @property
    def name(self) -> str:
        return self.label or self.path.name

    def mine(self, ordinal: int) -> bool:
        """Whether the ``ordinal``-th device of the file belongs to this run's shard."""
        index, count = self.shard
        return count == 1 or ordinal % count == index


_KEY = re.compile(r'"([^"\\\n]{1,80})"\s*:')


@dataclass
class Sample:
    """The start of a file, for format detection."""

    text: str
    header: list[str] = field(default_factory=list)
    header_line: int = 1
    delimiter: str = ","
    aliases: frozenset[str] = frozenset()  # column names a mapping supplies (the keys of mapped columns present)

    @cached_property
    def syntax(self) -> str:
        return "json" if self.text.lstrip()[:1] in ("[", "{") else "csv"

    @cached_property
    def keys(self) -> frozenset[str]:
        """JSON member names seen in the sample (at any depth)."""
        return frozenset(_KEY.findall(self.text)) if self.syntax == "json" else frozenset()

    @cached_property
    def columns(self) -> frozenset[str]:
        return frozenset(h.casefold() for h in self.header) | self.aliases

    def has_keys(self, *names: str) -> int:
        return sum(1 for n in names if n in self.keys)

    def has_columns(self, *names: str) -> int:
        return sum(1 for n in names if n.casefold() in self.columns)


Item = DeviceRecord | PageMark


class InventoryFormat(abc.ABC):
    """How one kind of export is recognised and read."""

    name: ClassVar[str]
    title: ClassVar[str]
    syntax: ClassVar[str]  # "csv" or "json"

    @abc.abstractmethod
    def score(self, sample: Sample) -> int:
        """0 when the sample is not this format; higher is surer (a few matching names each count 1)."""

    def check(self, sample: Sample, source: InventorySource) -> None:
        """Raise InputError now for a problem the start of the file already shows (nothing by default)."""
        return None

    @abc.abstractmethod
    def read(self, stream: TextIO, sample: Sample, source: InventorySource) -> Iterator[Item]:
        """Yield the devices of ``stream``; raise InputError when the file is not this format at all."""


FORMATS: Registry[InventoryFormat] = Registry("inventory format")


def register_format(cls: type[InventoryFormat]) -> type[InventoryFormat]:
    FORMATS.register(cls.name, cls())
    return cls


from . import fleet, intune, jamf, native, osquery  # noqa: E402,F401  (registration)
