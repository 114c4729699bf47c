"""How far collection has come in units a user counts (AWS accounts, GCP projects): done of total.

Providers say which units they will finish and how many parts each takes (an account is listed as
several type x region units); the CLI's progress display reads :meth:`UnitProgress.summary`. Thread-safe:
parts finish on worker threads.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

__all__ = ["UnitProgress"]


@dataclass
class _Kind:
    parts_left: dict[str, int] = field(default_factory=dict)
    total: int = 0
    done: int = 0


class UnitProgress:
    """Units done of total, per kind (``accounts``, ``projects``), shared by the providers of one run."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._kinds: dict[str, _Kind] = {}

    def plan(self, kind: str, parts: Mapping[str, int]) -> None:
        """Units of ``kind`` to be done, each after ``parts[unit]`` parts (a unit of 0 parts is done at once)."""
        with self._lock:
            entry = self._kinds.setdefault(kind, _Kind())
            for unit, count in parts.items():
                if unit in entry.parts_left:
                    continue
                entry.total += 1
                entry.parts_left[unit] = count
                if count <= 0:
                    entry.done += 1

    def part_done(self, kind: str, unit: str) -> None:
        """One part of ``unit`` is finished (listed, or failed: a problem is done too)."""
        with self._lock:
            entry = self._kinds.get(kind)
            if entry is None or entry.parts_left.get(unit, 0) <= 0:
                return
            entry.parts_left[unit] -= 1
            if entry.parts_left[unit] == 0:
                entry.done += 1

    def counts(self, kind: str) -> tuple[int, int]:
        """(done, total) units of ``kind``."""
        with self._lock:
            entry = self._kinds.get(kind, _Kind())
            return entry.done, entry.total

    def summary(self) -> str:
        """``accounts 3/12 done, projects 5/40 done``; kinds of a single unit are left out (nothing to count)."""
        with self._lock:
            return ", ".join(f"{kind} {entry.done}/{entry.total} done" for kind, entry in self._kinds.items()
                             if entry.total > 1)
