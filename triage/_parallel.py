"""Work spread over worker processes, in order, with a bounded number of chunks in flight.

``ProcessPoolExecutor.map`` submits its whole input at once; for an archive that
means holding the archive in memory. Here at most ``window`` chunks are
submitted ahead of the one being collected, so memory stays bounded by the chunk
size whatever the input's length.

An input read from a pipe may pause: the writer waits for answers before it sends
more. The reader then puts `PAUSE` in the stream; `chunked` hands over the part of
a chunk it has, and `ordered_map` returns every result still in flight before it
asks for more input, so nothing waits on the other.

Workers ignore Ctrl-C (the parent handles it and shuts them down) and die with
their parent (`worker_signals`), so no worker outlives an interrupted run.
"""

from __future__ import annotations

import gc
import multiprocessing
import threading
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

from ._signals import held, worker_signals

__all__ = ["PAUSE", "chunked", "ordered_map"]

T = TypeVar("T")
R = TypeVar("R")


class _Pause:
    def __repr__(self) -> str:
        return "PAUSE"


PAUSE: Any = _Pause()  # the input has no more for now: finish what is in flight


def chunked(items: Iterable[T], size: int) -> Iterator[Any]:
    """Lists of up to ``size`` items; a `PAUSE` ends the current list early and follows it."""
    batch: list[T] = []
    for item in items:
        if item is PAUSE:
            if batch:
                yield batch
                batch = []
            yield PAUSE
            continue
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


FREEZE_EVERY = 1_000  # decisions between two `freeze_survivors`


def freeze_long_lived() -> None:
    """Move what a process has built so far out of the collector's way, after a full
    collection: once it has warmed up (a batch, the service) or started (a batch's
    worker); later `Survivors` freezes what survived every `FREEZE_EVERY` decisions.
    Decisions are freed by reference counting, which freezing does not stop."""
    gc.collect()
    gc.freeze()


def freeze_survivors() -> None:
    """Move what has outlived the young collections out of the collector's way: the
    tables decisions share (remembered matches, trace entries, gaps, plans) grow as
    reports come, and full collections walking them paused a process 20-100 ms each,
    several times in 10,000 decisions. A young collection first frees the young cycles
    (a decision leaves none; an exception's traceback does), then the survivors are
    frozen: 1-3 ms, and no full collection. Frozen objects are still freed by reference
    counting when their table lets them go."""
    gc.collect(1)
    gc.freeze()


class Survivors:
    """Counts a process's decisions and calls `freeze_survivors` each time the count
    passes a multiple of `FREEZE_EVERY` (the service, a batch, a batch's worker)."""

    def __init__(self) -> None:
        self.decided = 0

    def count(self, n: int = 1) -> None:
        before, self.decided = self.decided, self.decided + n
        if self.decided // FREEZE_EVERY > before // FREEZE_EVERY:
            freeze_survivors()


def _start_worker(initializer: Callable[..., Any] | None, *initargs: Any) -> None:
    worker_signals()
    if initializer is not None:
        initializer(*initargs)
    freeze_long_lived()  # what the worker built stays for its life


def _context() -> Any:
    """Fork where it is safe: a process running no other thread (the command line) forks
    its workers, which start with every module imported and die with it. Where other
    threads run (a caller's), forking could copy a lock one of them holds, so workers
    are spawned and import what they need."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("spawn")


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    *,
    jobs: int,
    initializer: Callable[..., Any] | None = None,
    initargs: tuple[Any, ...] = (),
    window: int | None = None,
) -> Generator[R, None, None]:
    """``map(fn, items)`` over ``jobs`` worker processes, results in input order.

    ``fn`` and ``initializer`` must be importable module-level functions. A `PAUSE`
    among the items yields every pending result before the next item is read.
    Workers are stopped when the iterator is closed, even part way through (an
    interrupt): chunks not started are cancelled and running ones are let finish.
    """
    window = window or 2 * jobs
    context = _context()
    pool = ProcessPoolExecutor(
        jobs, mp_context=context, initializer=_start_worker, initargs=(initializer, *initargs)
    )
    pending: deque[Future[R]] = deque()
    try:
        for item in items:
            if item is PAUSE:
                while pending:
                    yield pending.popleft().result()
                continue
            with held():  # a pool stopped while it starts cannot shut down
                pending.append(pool.submit(fn, item))
            if len(pending) >= window:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
