"""Numeric version comparison: 14.10 is newer than 14.9, 10.0.19045 than 10.0.9200."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

__all__ = ["parse_version"]

_DOTTED = re.compile(r"\d+(?:\.\d+)*")


def parse_version(value: Any) -> tuple[int, ...] | None:
    """The first dotted number of a version (``"macOS 14.2.1 (23C71)"`` -> (14, 2, 1)).

    Trailing zeros are dropped so that 14 == 14.0; None when there is no number at all.
    """
    if value.__class__ is str:
        return _parse_text(value)
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    return _parse_text(value)


@lru_cache(maxsize=4096)
def _parse_text(value: str) -> tuple[int, ...] | None:
    """parse_version of a string, once per distinct string (a fleet has few versions, each rule compares them)."""
    match = _DOTTED.search(value)
    if match is None:
        return None
    parts = [int(p) for p in match.group().split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)
