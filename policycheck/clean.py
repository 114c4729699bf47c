"""The one sanitising boundary: text from scanned systems and input files made safe to show anywhere.

Names, ids, tags, string attributes and messages pass :func:`clean_text` when they enter the
model (:class:`~policycheck.model.Resource`, :class:`~policycheck.model.CollectionProblem`,
:class:`~policycheck.model.Finding`, a report read back). Afterwards no text holds a lone UTF-16
surrogate (which no UTF-8 writer can encode), a C0/C1 control character (ESC starts ANSI and OSC
terminal sequences; a newline starts a new log line, e.g. ``::error::`` in a CI log) or a bidi
override (which makes a name read differently from what it is). Each writer then escapes only for
its own syntax.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["REPLACEMENT", "clean_mapping", "clean_text", "clean_value"]

#: What stands in for a lone surrogate, a control character or a bidi override: visible, never silent.
REPLACEMENT = "\ufffd"

_WHITESPACE = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def clean_text(text: str) -> str:
    """``text`` on one line, with white-space controls as a space and other unsafe characters replaced."""
    if text.isascii() and text.isprintable():
        return text
    if not _UNSAFE.search(text) and "\u2028" not in text and "\u2029" not in text:
        return text
    return _UNSAFE.sub(REPLACEMENT, _WHITESPACE.sub(" ", text))


#: Values that hold no text: returned as they are without further checks (the hot path of every resource).
_PLAIN = frozenset({int, float, bool, type(None)})


def clean_value(value: Any) -> Any:
    """``value`` with every string in it (keys too) cleaned; other values unchanged."""
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is str:
        return value if value.isascii() and value.isprintable() else clean_text(value)
    if isinstance(value, Mapping):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clean_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(clean_value(v) for v in value)
    if isinstance(value, str):  # a str subclass
        return clean_text(value)
    return value


#: Keys found safe: attribute names recur on every resource, so each is checked once (up to a bound).
_SAFE_KEYS: set[str] = set()
_SAFE_KEYS_KEPT = 4096


def clean_mapping(mapping: Mapping[Any, Any]) -> dict[Any, Any]:
    """A new dict of ``mapping`` with every string in it cleaned (as :func:`clean_value`).

    The hot path of every resource: a flat mapping of safe text keys to plain values or safe text is
    checked in one loop and copied as it is.
    """
    plain, safe_keys = _PLAIN, _SAFE_KEYS
    for key, value in mapping.items():
        if key not in safe_keys:
            if key.__class__ is not str or not (key.isascii() and key.isprintable()):
                break
            if len(safe_keys) < _SAFE_KEYS_KEPT:
                safe_keys.add(key)
        kind = value.__class__
        if kind not in plain and not (kind is str and value.isascii() and value.isprintable()):
            break
    else:
        return dict(mapping)
    return {clean_value(k): clean_value(v) for k, v in mapping.items()}
