"""Bounded concurrency over a stream: at most a few items per worker in flight, so memory stays flat."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from typing import TypeVar

__all__ = ["map_bounded"]

T = TypeVar("T")
R = TypeVar("R")


def map_bounded(func: Callable[[T], R], items: Iterable[T], *, workers: int,
                inline: Callable[[T], bool] | None = None) -> Iterator[R]:
    """Yield ``func(item)`` for every item, in completion order.

    Items for which ``inline(item)`` is true run in the calling thread (no I/O to overlap);
    the others run on ``workers`` threads with at most ``4 * workers`` pending.
    """
    limit = max(1, workers) * 4
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="policycheck")
    pending: set[Future[R]] = set()
    try:
        for item in items:
            if inline is not None and inline(item):
                yield func(item)
                continue
            pending.add(pool.submit(func, item))
            if len(pending) >= limit:
                done, pending = wait(pending, return_when=FIRST_COMPLETED)
                for future in done:
                    yield future.result()
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield future.result()
    finally:  # an interrupt or a consumer that stops early: queued items are dropped, not run
        pool.shutdown(wait=not pending, cancel_futures=True)
