"""Read large JSON inventories one record at a time, with the line each record starts on.

Understands the shapes device exports come in: a top-level array of records (``osqueryi --json``),
an object whose array member holds the records (Graph's ``{"value": [...], "@odata.nextLink": ...}``,
Jamf's ``{"results": [...]}``, Fleet's ``{"hosts": [...]}``), and any number of such values one after
another (JSON Lines result logs, concatenated pages). Only one record is in memory at a time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, TextIO

from policycheck.errors import InputError

_WS = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()
CHUNK = 1 << 16
MAX_RECORD = 64 << 20  # a single record larger than this is not a device


@dataclass(frozen=True)
class Record:
    """One record and the line it starts on."""

    value: Any
    line: int


@dataclass(frozen=True)
class Envelope:
    """The other members of an object whose records were streamed (e.g. ``@odata.nextLink``)."""

    members: dict[str, Any] = field(default_factory=dict)
    line: int = 1


class JsonStream:
    """A pull parser over ``stream`` that yields :class:`Record` and :class:`Envelope` events."""

    def __init__(self, stream: TextIO, name: str, record_keys: frozenset[str] = frozenset()):
        self._stream = stream
        self._name = name
        self._keys = record_keys
        self._buf = ""
        self._pos = 0
        self._line = 1
        self._eof = False

    # -- buffer -------------------------------------------------------------------------
    def _fill(self) -> bool:
        if self._eof:
            return False
        chunk = self._stream.read(CHUNK)  # a decoding error is located and reported by textio.open_text
        if not chunk:
            self._eof = True
            return False
        self._buf = self._buf[self._pos:] + chunk
        self._pos = 0
        return True

    def _peek(self) -> str:
        """The next non-blank character ('' at the end of the file)."""
        while True:
            match = _WS.match(self._buf, self._pos)
            assert match is not None  # the pattern matches the empty string
            end = match.end()
            if end > self._pos:
                self._line += self._buf.count("\n", self._pos, end)
                self._pos = end
            if self._pos < len(self._buf):
                return self._buf[self._pos]
            if not self._fill():
                return ""

    def _value(self) -> Any:
        while True:
            try:
                value, end = _DECODER.raw_decode(self._buf, self._pos)
            except json.JSONDecodeError as exc:
                if self._may_continue(exc) and self._fill():
                    continue
                raise self._decode_error(exc) from None
            number_may_continue = isinstance(value, int | float) and not self._buf[end:].strip("0123456789.eE+-")
            if number_may_continue and not self._eof and self._fill():
                continue
            self._line += self._buf.count("\n", self._pos, end)
            self._pos = end
            return value

    def _may_continue(self, exc: json.JSONDecodeError) -> bool:
        """Whether more input could complete the value (the error is at the end of what was read)."""
        if self._eof or len(self._buf) - self._pos >= MAX_RECORD:
            return False
        return exc.pos >= len(self._buf) - 8 or exc.msg.startswith("Unterminated") or \
            not self._buf[exc.pos:].strip()

    def _decode_error(self, exc: json.JSONDecodeError) -> InputError:
        line = self._line + self._buf.count("\n", self._pos, exc.pos)
        truncated = self._eof and (exc.pos >= len(self._buf.rstrip()) - 1 or exc.msg.startswith("Unterminated"))
        why = "the file ends in the middle of a value (truncated?)" if truncated else f"invalid JSON: {exc.msg}"
        return InputError(why, source=self._name, place=f"line {line}")

    def _error(self, message: str) -> InputError:
        return InputError(message, source=self._name, place=f"line {self._line}")

    def _expect(self, options: str) -> str:
        ch = self._peek()
        if ch == "":
            raise self._error(f"the file ends where {' or '.join(repr(o) for o in options)} was expected (truncated?)")
        if ch not in options:
            raise self._error(f"invalid JSON: expected {' or '.join(repr(o) for o in options)}, found {ch!r}")
        self._pos += 1
        return ch

    # -- events -------------------------------------------------------------------------
    def events(self) -> Iterator[Record | Envelope]:
        """Records of every top-level value, in file order."""
        while (ch := self._peek()) != "":
            if ch == "[":
                yield from self._array()
            elif ch == "{":
                yield from self._object()
            else:
                raise self._error(f"expected a JSON object or array, found {ch!r}")

    def records(self) -> Iterator[Record]:
        for event in self.events():
            if isinstance(event, Record):
                yield event

    def _array(self) -> Iterator[Record]:
        self._expect("[")
        if self._peek() == "]":
            self._pos += 1
            return
        while True:
            self._peek()
            line = self._line
            yield Record(self._value(), line)
            if self._expect(",]") == "]":
                return

    def _object(self) -> Iterator[Record | Envelope]:
        line = self._line
        self._expect("{")
        members: dict[str, Any] = {}
        streamed = False
        if self._peek() == "}":
            self._pos += 1
            yield Record(members, line)
            return
        while True:
            if self._peek() != '"':
                raise self._error("invalid JSON: expected a member name in double quotes")
            key = self._value()
            self._expect(":")
            ch = self._peek()
            if key in self._keys and ch in "[{":
                streamed = True
                if ch == "[":
                    yield from self._array()
                else:
                    inner_line = self._line
                    yield Record(self._value(), inner_line)
            else:
                members[key] = self._value()
            if self._expect(",}") == "}":
                break
        yield Envelope(members, line) if streamed else Record(members, line)
