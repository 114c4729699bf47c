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
    """``seconds`` from its creation (monotonic clock); ``None``: no limit."""

    seconds: float | None = None
    clock: Callable[[], float] = time.monotonic
    started: float = field(default=0.0)
    expired: bool = False  # set once some stage stopped waiting because of it

    def __post_init__(self) -> None:
        self.started = self.clock()

    def remaining(self) -> float | None:
        """Seconds left (never below 0), None without a limit."""
        if self.seconds is None:
            return None
        return max(0.0, self.started + self.seconds - self.clock())

    def passed(self) -> bool:
        return self.remaining() == 0.0

    def elapsed(self) -> float:
        return self.clock() - self.started

    def message(self) -> str:
        return f"timed out (--timeout {self.seconds:g} s)"


_END = object()


def within(items: Iterable[T], deadline: Deadline, *, buffer: int = 64) -> Iterator[T]:
    """The items of ``items``, produced on a daemon thread; :class:`TimedOut` when the deadline passes first.

    Without a limit the items are iterated directly. An exception of the producer is raised here.
    """
    if deadline.seconds is None:
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
                deadline.expired = True
                raise TimedOut(deadline.message()) from None
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
