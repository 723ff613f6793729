"""Work spread over worker processes, in order, with a bounded number of chunks in flight.

``ProcessPoolExecutor.map`` submits its whole input at once; for an archive that
means holding the archive in memory. Here at most ``window`` chunks are
submitted ahead of the one being collected, so memory stays bounded by the chunk
size whatever the input's length.
"""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

__all__ = ["chunked", "ordered_map"]

T = TypeVar("T")
R = TypeVar("R")


def chunked(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
    window: int | None = None,
) -> Iterator[R]:
    """``map(fn, items)`` over ``jobs`` spawned processes, results in input order.

    ``fn`` and ``initializer`` must be importable module-level functions. Workers are
    stopped when the iterator is closed or garbage-collected, even part way through.
    """
    window = window or 2 * jobs
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        jobs, mp_context=context, initializer=initializer, initargs=initargs
    ) as pool:
        pending: deque[Future[R]] = deque()
        source = iter(items)
        try:
            for item in source:
                pending.append(pool.submit(fn, item))
                if len(pending) >= window:
                    yield pending.popleft().result()
            while pending:
                yield pending.popleft().result()
        finally:
            for future in pending:
                future.cancel()
