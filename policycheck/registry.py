"""A small named registry: the one table behind providers, operators, reporters, ..."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from typing import Generic, TypeVar

__all__ = ["Registry", "did_you_mean"]

T = TypeVar("T")


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """Return `` (did you mean 'x'?)`` for the closest choice, or an empty string."""
    close = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


class Registry(Generic[T]):
    """Names mapped to items, filled by ``register`` (also usable as a decorator)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._items: dict[str, T] = {}

    def register(self, name: str, item: T | None = None) -> T | Callable[[T], T]:
        """Add ``item`` as ``name`` (or, without ``item``, return a decorator that does); a second, different item
        under one name is a ValueError."""
        if item is None:
            def decorator(obj: T) -> T:
                self.register(name, obj)
                return obj
            return decorator
        if name in self._items and self._items[name] is not item:
            raise ValueError(f"{self.kind} '{name}' is already registered")
        self._items[name] = item
        return item

    def get(self, name: str) -> T:
        """The item registered as ``name``; KeyError naming the known ones, with a did-you-mean."""
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise KeyError(
                f"unknown {self.kind} '{name}'{did_you_mean(name, self._items.keys())}; known: {known}"
            ) from None

    def names(self) -> list[str]:
        """Registered names, sorted."""
        return sorted(self._items)

    def items(self) -> Iterator[tuple[str, T]]:
        """(name, item) pairs, sorted by name."""
        return iter(sorted(self._items.items()))

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __len__(self) -> int:
        return len(self._items)
