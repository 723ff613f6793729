"""Termination signals handled like Ctrl-C, so every command cleans up the same way.

``timeout``, systemd and container runtimes stop a process with SIGTERM; a closed
terminal sends SIGHUP. By default either kills Python at once: worker processes
are orphaned and temporary files stay. Inside `interrupts()` they raise
`Terminated`, a `KeyboardInterrupt`, so the code that already stops workers and
removes temporary files on Ctrl-C runs for them too, and the command exits with
128 + the signal's number. A signal that was ignored when the program started
(``nohup``, a background job) stays ignored. Once the first signal has arrived,
later ones are noted but do not interrupt the clean-up. Inside `held()` a signal
waits until the block has ended: some library code cannot be stopped half-way and
cleaned up after (a process pool starting its workers).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any, ClassVar

__all__ = ["Terminated", "exit_status", "held", "interrupts", "worker_signals"]

HANDLED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class _Hold:
    depth = 0  # nested `held()` blocks the main thread is in
    waiting: ClassVar[list[int]] = []  # signals that came during them


class Terminated(KeyboardInterrupt):
    """A termination signal, raised where the main thread was."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def exit_status(exc: BaseException) -> int:
    """The conventional exit status for an interrupt: 128 + the signal's number."""
    return 128 + int(getattr(exc, "signum", signal.SIGINT))


@contextlib.contextmanager
def interrupts() -> Iterator[None]:
    """Raise `Terminated` (or KeyboardInterrupt for SIGINT) on the first handled signal."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    fired: list[int] = []
    in_hook = [False]  # the unraisable hook below is running

    def resend(signum: int) -> None:
        # From another thread, after a moment: by then the main thread is back where an
        # exception stops the run.
        again = threading.Timer(0.001, os.kill, (os.getpid(), signum))
        again.daemon = True
        again.start()

    def handler(signum: int, frame: FrameType | None) -> None:
        if _Hold.depth:
            _Hold.waiting.append(signum)  # handled when the block ends
            return
        fired.append(signum)
        if len(fired) > 1:
            return  # already stopping: let the clean-up finish
        if in_hook[0]:  # raised inside the hook it would be ignored too: once more, later
            fired.pop()
            resend(signum)
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Terminated(signum)

    def unraisable(info: Any) -> None:
        # A signal that lands while a finaliser runs raises there, where Python ignores
        # the exception: the run would go on as if nothing had been asked. Send the same
        # signal again, to be raised where it can stop the run; should it land in a
        # finaliser again, or in this hook (starting the thread lets the main thread
        # handle signals), it is sent once more.
        if isinstance(info.exc_value, (KeyboardInterrupt, Terminated)) and len(fired) == 1:
            in_hook[0] = True
            try:
                resend(fired.pop())
            finally:
                in_hook[0] = False  # no call follows: no signal is handled before return
            return
        previous_hook(info)

    previous = {}
    for sig in HANDLED:
        current = signal.getsignal(sig)
        if current is signal.SIG_IGN:
            continue
        previous[sig] = current
        signal.signal(sig, handler)
    previous_hook = sys.unraisablehook
    sys.unraisablehook = unraisable
    try:
        yield
    finally:
        sys.unraisablehook = previous_hook
        for sig, old in previous.items():
            signal.signal(sig, old)


@contextlib.contextmanager
def held() -> Iterator[None]:
    """Hold a handled signal until the block ends, then handle it as if it came then.

    ``ProcessPoolExecutor.submit`` starts the pool's processes and its manager thread.
    A signal raised while it waits for that thread to start left a thread that was
    never started, and the pool's shutdown then failed ("cannot join thread before it
    is started"): the run ended as an internal error, not as interrupted. Only the
    first signal held is sent again; a later one would not interrupt anyway. Signals
    are handled in the main thread only, so another thread holds nothing (a pool it
    starts is not where the signal is raised).
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    _Hold.depth += 1
    try:
        yield
    finally:
        _Hold.depth -= 1
        if not _Hold.depth and _Hold.waiting:
            signum = _Hold.waiting[0]
            _Hold.waiting.clear()
            signal.raise_signal(signum)  # handled here, by the handler above


def worker_signals() -> None:
    """Set up a worker process: the parent decides when it stops.

    Ctrl-C reaches the whole process group; the parent, not each worker, handles it
    and then shuts the workers down. SIGTERM keeps its default (the parent's
    shutdown may use it), and on Linux the worker asks to be sent SIGTERM when its
    parent dies, so it never outlives a parent killed outright (SIGKILL).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            pr_set_pdeathsig = 1
            libc.prctl(pr_set_pdeathsig, int(signal.SIGTERM), 0, 0, 0)
    parent = multiprocessing.parent_process()
    if parent is not None and parent.pid != os.getppid():  # it died before the request
        os._exit(1)
