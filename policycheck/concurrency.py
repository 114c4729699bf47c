"""Bounded concurrency over a stream: at most a few items per worker in flight, so memory stays flat."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

from .deadline import Deadline

__all__ = ["map_bounded"]

T = TypeVar("T")
R = TypeVar("R")


def map_bounded(func: Callable[[T], R], items: Iterable[T], *, workers: int,
                inline: Callable[[T], bool] | None = None, deadline: Deadline | None = None,
                late: Callable[[T], R] | None = None) -> Iterator[R]:
    """Yield ``func(item)`` for every item, in completion order.

    Items for which ``inline(item)`` is true run in the calling thread (no I/O to overlap);
    the others run on ``workers`` threads with at most ``4 * workers`` pending. Once ``deadline``
    has passed, an item still running or not yet started yields ``late(item)`` instead (its
    thread is left to finish on its own).
    """
    limit = max(1, workers) * 4
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="policycheck")
    pending: dict[Future[R], T] = {}
    timeout = deadline.remaining if deadline is not None and late is not None else lambda: None

    def settle(until_below: int) -> Iterator[R]:
        nonlocal pending
        while len(pending) > until_below:
            done, _ = wait(pending, timeout=timeout(), return_when=FIRST_COMPLETED)
            if not done:  # the deadline passed: whatever is still running is late
                deadline.expired = True  # type: ignore[union-attr]
                for item in pending.values():
                    yield late(item)  # type: ignore[misc]
                pending = {}
                return
            for future in done:
                pending.pop(future)
                yield future.result()

    try:
        for item in items:
            if inline is not None and inline(item):
                yield func(item)
                continue
            if timeout() == 0.0:
                deadline.expired = True  # type: ignore[union-attr]
                yield late(item)  # type: ignore[misc]
                continue
            pending[pool.submit(func, item)] = item
            if len(pending) >= limit:
                yield from settle(len(pending) - 1)
        yield from settle(0)
    finally:  # an interrupt or a consumer that stops early: queued items are dropped, not run
        pool.shutdown(wait=not pending and not (deadline is not None and deadline.expired), cancel_futures=True)
