"""The run's overall time limit (``--timeout``): one deadline every stage waits against.

Python cannot cancel a thread stuck in a socket read, so stages stop *waiting* when the deadline
passes: what is not yet read becomes ``error`` "timed out", the report is still written, and the
CLI ends the process without joining the threads still stuck (:attr:`Deadline.expired`).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

__all__ = ["Deadline", "TimedOut", "within"]

T = TypeVar("T")


class TimedOut(Exception):
    """The deadline passed while waiting for the next item of a stream."""


@dataclass
class Deadline:
    """``seconds`` from its start (monotonic clock); ``None``: no limit.

    A provider's own limit (``providers.NAME.timeout``) is a deadline whose ``parent`` is the run's
    (``--timeout``): it passes when either does, and its message names the one that ran out.
    """

    seconds: float | None = None
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    expired: bool = False  # set once some stage stopped waiting because of it
    label: str = "--timeout"  # the setting that set it, for messages
    parent: Deadline | None = None

    def __post_init__(self) -> None:
        self.started = self.clock()

    def begin(self) -> None:
        """Count from now (a provider's limit runs from when its listing begins)."""
        self.started = self.clock()

    def _own_remaining(self) -> float | None:
        if self.seconds is None:
            return None
        return max(0.0, self.started + self.seconds - self.clock())

    def remaining(self) -> float | None:
        """Seconds left (never below 0), None without a limit."""
        own = self._own_remaining()
        above = self.parent.remaining() if self.parent is not None else None
        return own if above is None else above if own is None else min(own, above)

    def passed(self) -> bool:
        return self.remaining() == 0.0

    def own_passed(self) -> bool:
        """Its own limit (not the run's above it) has run out."""
        return self._own_remaining() == 0.0

    def elapsed(self) -> float:
        return self.clock() - self.started

    def binding(self) -> Deadline:
        """The deadline that runs out first: this one, or the run's above it."""
        if self.parent is None:
            return self
        above = self.parent.binding()
        own, theirs = self._own_remaining(), above.remaining()
        return above if own is None or (theirs is not None and theirs <= own) else self

    def expire(self) -> None:
        """Record that a stage stopped waiting: on this deadline and on the one that ran out."""
        self.expired = True
        self.binding().expired = True

    def message(self) -> str:
        binding = self.binding()
        return f"timed out ({binding.label} {binding.seconds:g} s)"


_END = object()


def within(items: Iterable[T], deadline: Deadline, *, buffer: int = 64) -> Iterator[T]:
    """The items of ``items``, produced on a daemon thread; :class:`TimedOut` when the deadline passes first.

    Without a limit the items are iterated directly. An exception of the producer is raised here.
    """
    if deadline.remaining() is None:
        yield from items
        return
    handoff: queue.Queue[object] = queue.Queue(maxsize=buffer)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                while not stop.is_set():
                    try:
                        handoff.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            handoff.put(_END)
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            handoff.put(exc)

    threading.Thread(target=produce, name="policycheck-collect", daemon=True).start()
    try:
        while True:
            try:
                item = handoff.get(timeout=deadline.remaining())
            except queue.Empty:
                deadline.expire()
                raise TimedOut(deadline.message()) from None
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
