"""Bounded concurrency over a stream: at most a few items per worker in flight, so memory stays flat."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from .deadline import Deadline

__all__ = ["Deadlines", "map_bounded"]

T = TypeVar("T")
R = TypeVar("R")

#: The deadline an item is waited for: one for all items, or one per item (a provider's own limit).
Deadlines = Deadline | Callable[[T], Deadline | None] | None


def map_bounded(func: Callable[[T], R], items: Iterable[T], *, workers: int,
                inline: Callable[[T], bool] | None = None, deadline: Deadlines[T] = None,
                late: Callable[[T], R] | None = None) -> Iterator[R]:
    """Yield ``func(item)`` for every item, in completion order.

    Items for which ``inline(item)`` is true run in the calling thread (no I/O to overlap);
    the others run on ``workers`` threads with at most ``4 * workers`` pending. Once an item's
    deadline (``deadline``, or ``deadline(item)``) has passed, that item, still running or not yet
    started, yields ``late(item)`` instead (its thread is left to finish on its own).
    """
    limit = max(1, workers) * 4
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="policycheck")
    pending: dict[Future[R], T] = {}
    deadline_of = _per_item(deadline) if late is not None else (lambda item: None)
    abandoned = False

    def soonest() -> float | None:
        """Seconds until the first pending item's deadline passes (None: no pending item has one)."""
        limits = {id(d): d for d in map(deadline_of, pending.values()) if d is not None}
        left = [seconds for d in limits.values() if (seconds := d.remaining()) is not None]
        return min(left, default=None)

    def overdue(item: T) -> bool:
        limit_of = deadline_of(item)
        if limit_of is None or not limit_of.passed():
            return False
        limit_of.expire()
        return True

    def settle(until_below: int) -> Iterator[R]:
        nonlocal abandoned
        while len(pending) > until_below:
            done, _ = wait(pending, timeout=soonest(), return_when=FIRST_COMPLETED)
            for future in done:
                pending.pop(future)
                yield future.result()
            if not done:  # a deadline passed: its items still running are late
                for future, item in list(pending.items()):
                    if overdue(item):
                        pending.pop(future)
                        abandoned = True
                        yield late(item)  # type: ignore[misc]

    try:
        for item in items:
            if inline is not None and inline(item):
                yield func(item)
                continue
            if overdue(item):
                yield late(item)  # type: ignore[misc]
                continue
            pending[pool.submit(func, item)] = item
            if len(pending) >= limit:
                yield from settle(len(pending) - 1)
        yield from settle(0)
    finally:  # an interrupt or a consumer that stops early: queued items are dropped, not run
        pool.shutdown(wait=not pending and not abandoned, cancel_futures=True)


def _per_item(deadline: Deadlines[T]) -> Callable[[T], Deadline | None]:
    if callable(deadline):
        return deadline
    return lambda item: deadline
