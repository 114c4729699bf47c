"""Open inventory files whatever Excel or an admin console did to them, and read CSV rows with line numbers.

Handled: UTF-8 with or without BOM, UTF-16 (LE/BE, with BOM or recognisably without), Windows-1252
("CSV" saved by a German or French Excel), ``,`` ``;`` or tab delimiters, Excel's ``sep=;`` first
line. Refused with one line naming the file: empty files, Excel workbooks, archives and other
binary files, undecodable bytes.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from policycheck.errors import InputError
from policycheck.registry import did_you_mean

log = logging.getLogger(__name__)

SAMPLE_BYTES = 64 * 1024
_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_BINARY = (
    (b"PK\x03\x04", "a ZIP archive or an Excel workbook (.xlsx); export it as CSV (UTF-8)"),
    (b"\xd0\xcf\x11\xe0", "an old Excel workbook (.xls); export it as CSV (UTF-8)"),
    (b"\x1f\x8b", "gzip-compressed; decompress it first"),
    (b"%PDF", "a PDF document"),
    (b"SQLite format 3", "an SQLite database"),
)


def label_of(path: Path) -> str:
    """How a file is named in findings and messages: its file name only (no directories)."""
    return path.name


def sniff_encoding(path: Path, head: bytes, declared: str | None = None) -> str:
    """The encoding to read ``path`` with, judged from its first bytes."""
    name = label_of(path)
    if declared:
        try:
            codecs.lookup(declared)
        except LookupError:
            raise InputError(f"unknown encoding '{declared}'", source=name) from None
        return declared
    for magic, what in _BINARY:
        if head.startswith(magic):
            raise InputError(f"this is {what}, not a device inventory", source=name)
    for bom, encoding in _BOMS:
        if head.startswith(bom):
            return encoding
    if b"\x00" in head[:4096]:
        return _bomless_utf16(head, name)
    try:
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    if _looks_like_cp1252(head):
        log.info("%s is not UTF-8; reading it as Windows-1252", name)
        return "cp1252"
    raise InputError("not a text file in a known encoding (save it as UTF-8 or UTF-16)", source=name)


def _bomless_utf16(head: bytes, name: str) -> str:
    """UTF-16 without a BOM: mostly-ASCII text has a NUL in every other byte, and decodes to printable text."""
    sample = head[:4096 & ~1]
    even_nuls, odd_nuls, half = sample[0::2].count(0), sample[1::2].count(0), len(sample) // 2
    for encoding, zeros, others in (("utf-16-le", odd_nuls, even_nuls), ("utf-16-be", even_nuls, odd_nuls)):
        if zeros > 0.7 * half and others < 0.02 * half and _printable(sample, encoding):
            return encoding
    raise InputError("binary data (NUL bytes); not a CSV or JSON device inventory", source=name)


def _printable(sample: bytes, encoding: str) -> bool:
    try:
        text = sample.decode(encoding)
    except UnicodeDecodeError:
        return False
    return all(ch.isprintable() or ch in "\r\n\t" for ch in text)


def _looks_like_cp1252(head: bytes) -> bool:
    try:
        text = head.decode("cp1252")
    except UnicodeDecodeError:
        return False
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t")
    return controls == 0


@contextmanager
def open_text(path: Path, encoding: str | None = None) -> Iterator[tuple[TextIO, str]]:
    """Open ``path`` for reading text (universal newlines kept for csv); yields (stream, first 64 KiB of text)."""
    name = label_of(path)
    try:
        raw = path.open("rb")
    except FileNotFoundError:
        raise InputError("no such file", source=str(path)) from None
    except IsADirectoryError:
        raise InputError("is a directory, not an inventory file", source=str(path)) from None
    except OSError as exc:
        raise InputError(f"cannot open: {exc.strerror}", source=str(path)) from None
    with raw:
        head = raw.read(SAMPLE_BYTES)
        if not head.strip(b" \t\r\n\x00" + codecs.BOM_UTF8 + codecs.BOM_UTF16_LE + codecs.BOM_UTF16_BE):
            raise InputError("the file is empty", source=name)
        chosen = sniff_encoding(path, head, encoding)
        raw.seek(0)
        stream = io.TextIOWrapper(raw, encoding=chosen, newline="", errors="strict")
        try:
            sample = stream.read(SAMPLE_BYTES // 2)
            stream.seek(0)
            yield stream, sample.lstrip("\ufeff")
        except UnicodeDecodeError as exc:
            line = _line_of_bad_bytes(path, chosen)
            raise InputError(f"cannot decode the text as {chosen} ({exc.reason}); save the file as UTF-8",
                             source=name, place=f"line {line}" if line else None) from None
        finally:
            stream.detach()


def _line_of_bad_bytes(path: Path, encoding: str) -> int | None:
    """The line holding the first byte ``encoding`` cannot decode (read again only on this error path)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as raw:
        while chunk := raw.read(SAMPLE_BYTES):
            try:
                line += decoder.decode(chunk).count("\n")
            except UnicodeDecodeError as exc:
                return line + decoder.decode(chunk[:exc.start]).count("\n") if exc.start else line
    return None


# ---------------------------------------------------------------- CSV

_DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True)
class CsvLayout:
    delimiter: str
    skip_lines: int  # Excel's "sep=;" line


def csv_layout(sample: str) -> CsvLayout:
    """Delimiter and preamble of a CSV from its first line(s)."""
    first = sample.split("\n", 1)[0].strip("\r\ufeff")
    if first.lower().startswith("sep=") and len(first) == 5:
        return CsvLayout(first[4], 1)
    counts = {d: _count_outside_quotes(first, d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return CsvLayout(best if counts[best] else ",", 0)


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


@dataclass(frozen=True)
class BadRow:
    """A row the CSV reader could not split (stray quote); its device's facts are all unknown."""

    problem: str


class Header:
    """A CSV header: column positions by name (case-insensitive). A name the header holds twice is refused
    when it is looked up, since either column could be the one meant."""

    def __init__(self, names: Sequence[str], source: str, line: int = 1):
        self.names = list(names)
        self.source, self.line = source, line
        self._positions: dict[str, list[int]] = {}
        for index, name in enumerate(self.names):
            if name.strip():
                self._positions.setdefault(name.casefold(), []).append(index)

    def __len__(self) -> int:
        return len(self.names)

    def position(self, name: str) -> int | None:
        """Where column ``name`` is, or None; InputError if the header names it twice."""
        found = self._positions.get(name.casefold())
        if not found:
            return None
        if len(found) > 1:
            numbers = " and ".join(str(i + 1) for i in found)
            raise InputError(f"the header has column '{self.names[found[0]]}' {len(found)} times (columns "
                             f"{numbers}); rename or remove all but one", source=self.source, place=f"line {self.line}")
        return found[0]

    def require(self, name: str, why: str) -> int:
        """Position of ``name``; InputError with a did-you-mean when the file has no such column."""
        index = self.position(name)
        if index is None:
            raise InputError(f"no column '{name}' ({why}){did_you_mean(name, [n for n in self.names if n])}",
                             source=self.source, place=f"line {self.line}")
        return index


class CsvRows:
    """The header and the data rows of a CSV file, each row with the line it starts on."""

    def __init__(self, stream: TextIO, sample: str, name: str):
        self.name = name
        layout = csv_layout(sample)
        for _ in range(layout.skip_lines):
            stream.readline()
        self._offset = layout.skip_lines
        self._reader = csv.reader(stream, delimiter=layout.delimiter, strict=True)
        self.delimiter = layout.delimiter
        self.header: list[str] | None = None
        first = self._next()
        if first is None:
            raise InputError("the file is empty", source=name)
        self.header_line = first[0]
        assert isinstance(first[1], list)  # _next raises on a malformed header rather than returning BadRow
        self.header = [h.strip().lstrip("\ufeff").strip('"') for h in first[1]]
        self.columns = Header(self.header, name, self.header_line)

    def _next(self) -> tuple[int, list[str] | BadRow] | None:
        while True:
            start = self._reader.line_num + 1
            try:
                row = next(self._reader)
            except StopIteration:
                return None
            except csv.Error as exc:
                if "unexpected end of data" in str(exc):
                    raise InputError("the file ends inside a quoted field (truncated?)", source=self.name,
                                     place=f"line {self._offset + start}") from None
                if self.header is None:
                    raise InputError(f"malformed CSV header ({exc})", source=self.name,
                                     place=f"line {self._offset + start}") from None
                return self._offset + start, BadRow(f"malformed CSV ({exc})")
            if row and (row[0].strip() or any(cell.strip() for cell in row)):
                return self._offset + start, row

    def __iter__(self) -> Iterator[tuple[int, list[str] | BadRow]]:
        while (item := self._next()) is not None:
            yield item
