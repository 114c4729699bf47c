"""Read a large JSON object member by member, one member's array one element at a time.

A report of a million findings is a few gigabytes of JSON; :func:`read_members` reads its top-level
object in chunks with ``json.JSONDecoder.raw_decode`` and hands each element of the streamed array
(``findings``) to a callback as soon as it is read, so only one element and one chunk are in memory.
A malformed document raises :class:`json.JSONDecodeError` with the message, line and column
``json.loads`` would give for the whole text.
"""

from __future__ import annotations

import codecs
import json
import re
from collections.abc import Callable
from typing import Any, BinaryIO

__all__ = ["CHUNK", "BadEncoding", "TooLarge", "read_members"]

#: Bytes read at a time (a value longer than this is read in growing pieces).
CHUNK = 1 << 18
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_DECODER = json.JSONDecoder()


class TooLarge(Exception):
    """The input holds more bytes than its cap."""


class BadEncoding(ValueError):
    """The input is not UTF-8 (the message places the first bad byte in the whole stream)."""


class _Text:
    """Decoded text of a binary stream in a sliding buffer, with the absolute place of what was discarded."""

    def __init__(self, handle: BinaryIO, cap: int):
        self.handle, self.cap = handle, cap
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
        self.buffer = ""
        self.pos = 0
        self.eof = False
        self.read_bytes = 0
        self.offset = 0  # characters discarded before buffer[0]
        self.newlines = 0  # newlines among them
        self.last_newline = -1  # absolute index of the last of them

    def more(self, at_least: int = CHUNK) -> bool:
        """Append at least ``at_least`` more bytes' worth of text; False at the end of the stream."""
        if self.eof:
            return False
        data = self.handle.read(max(CHUNK, at_least))
        self.read_bytes += len(data)
        if self.read_bytes > self.cap:
            raise TooLarge
        try:
            text = self.decoder.decode(data, final=not data)
        except UnicodeDecodeError as exc:  # placed in the whole stream, as decoding it at once would
            start = self.read_bytes - len(exc.object) + exc.start
            where = (f"byte 0x{exc.object[exc.start]:02x} in position {start}" if exc.end - exc.start == 1
                     else f"bytes in position {start}-{start + exc.end - exc.start - 1}")
            raise BadEncoding(f"'{exc.encoding}' codec can't decode {where}: {exc.reason}") from None
        if not data:
            self.eof = True
        self._discard()
        self.buffer += text
        return True

    def _discard(self) -> None:
        """Drop what was read already (keeps the buffer one chunk long)."""
        if self.pos < CHUNK:
            return
        gone = self.buffer[:self.pos]
        count = gone.count("\n")
        if count:
            self.newlines += count
            self.last_newline = self.offset + gone.rfind("\n")
        self.offset += self.pos
        self.buffer = self.buffer[self.pos:]
        self.pos = 0

    def peek(self) -> str:
        """The next character after white space ('' at the end)."""
        while True:
            self.pos = _WHITESPACE.match(self.buffer, self.pos).end()  # type: ignore[union-attr]  # always matches
            if self.pos < len(self.buffer) or not self.more():
                return self.buffer[self.pos:self.pos + 1]

    def value(self) -> Any:
        """The JSON value at the current place (after white space)."""
        self.peek()
        grow = CHUNK
        while True:
            try:
                value, end = _DECODER.raw_decode(self.buffer, self.pos)
            except json.JSONDecodeError as exc:
                if self.more(grow):
                    grow *= 2  # a long value: read in doubling pieces, so retries stay linear
                    continue
                raise self.error(exc.msg, exc.pos) from None
            if end == len(self.buffer) and self.more(grow):  # a number may go on in the next chunk
                grow *= 2
                continue
            self.pos = end
            return value

    def error(self, message: str, pos: int | None = None) -> json.JSONDecodeError:
        """``message`` at buffer position ``pos`` (the current one by default), placed as in the whole text."""
        pos = self.pos if pos is None else pos
        absolute = self.offset + pos
        newline = self.buffer.rfind("\n", 0, pos)
        lines = self.newlines + self.buffer.count("\n", 0, pos)
        last = self.offset + newline if newline >= 0 else self.last_newline
        exc = json.JSONDecodeError(message, "", 0)
        exc.msg, exc.pos, exc.lineno, exc.colno = message, absolute, lines + 1, absolute - last
        exc.args = (f"{message}: line {lines + 1} column {absolute - last} (char {absolute})",)
        return exc

    def expect(self, char: str, message: str) -> None:
        if self.peek() != char:
            raise self.error(message)
        self.pos += 1


def read_members(handle: BinaryIO, *, streamed: str, on_element: Callable[[int, Any], None],
                 on_start: Callable[[dict[str, Any]], None] = lambda members: None, placeholder: Any = None,
                 cap: int) -> Any:
    """The top-level value of ``handle`` (UTF-8, BOM allowed, at most ``cap`` bytes).

    For an object, its members but ``streamed`` when that is an array: each of its elements goes to
    ``on_element(index, value)`` instead (``on_start`` with the members read so far is called before the
    first, and again if the
    member appears twice: the last one counts, as with ``json.loads``), and the member maps to ``placeholder``.
    Raises :class:`json.JSONDecodeError`, :class:`BadEncoding`, :class:`TooLarge`, or
    :class:`RecursionError` for nesting too deep to read.
    """
    text = _Text(handle, cap)
    if text.peek() != "{":
        value = text.value()
        _end(text)
        return value
    text.pos += 1
    members: dict[str, Any] = {}
    if text.peek() == "}":
        text.pos += 1
    else:
        while True:
            if text.peek() != '"':
                raise text.error("Expecting property name enclosed in double quotes")
            key = text.value()
            text.expect(":", "Expecting ':' delimiter")
            if key == streamed and text.peek() == "[":
                text.pos += 1
                on_start(members)
                _elements(text, on_element)
                members[key] = placeholder
            else:
                members[key] = text.value()
            following = text.peek()
            text.pos += 1
            if following == "}":
                break
            if following != ",":
                text.pos -= 1
                raise text.error("Expecting ',' delimiter")
    _end(text)
    return members


def _elements(text: _Text, on_element: Callable[[int, Any], None]) -> None:
    if text.peek() == "]":
        text.pos += 1
        return
    index = 0
    while True:
        on_element(index, text.value())
        index += 1
        following = text.peek()
        text.pos += 1
        if following == "]":
            return
        if following != ",":
            text.pos -= 1
            raise text.error("Expecting ',' delimiter")


def _end(text: _Text) -> None:
    if text.peek():
        raise text.error("Extra data")
