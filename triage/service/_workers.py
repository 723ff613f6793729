"""Several server processes on one address, serving one policy among them.

uvicorn's own supervisor restarts every worker on SIGHUP, each reading the policy
file: a worker started on an invalid file has no old policy to keep (and uvicorn then
stops the whole server), and a worker that replaces a dead one reads whatever the file
says at that moment, so two policies could be served side by side. Here the parent
holds the policy every worker serves — the text of the last one that loaded — and:

- forks each worker (everything already imported) to build its own pipeline from that
  text, and replaces a worker that dies with another built the same way;
- on SIGHUP, loads the file itself; a policy that loads is handed to every worker, a
  refusal is recorded in every worker (``GET /v1/policy``) and nothing changes;
- when a worker reloads for ``POST /v1/policy/reload``, takes its result and hands it
  to the others;
- on SIGTERM or Ctrl-C, asks every worker to finish the requests it has accepted and
  waits for them, then exits 0; a worker left after the grace period is killed.

Workers die with the parent (``PR_SET_PDEATHSIG``), so none outlives a parent killed
outright. Messages between them are JSON, length-prefixed, on a socket pair each.
"""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import mmap
import os
import select
import signal
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import uvicorn

from .._signals import worker_signals
from ._app import create_app
from ._metrics import Metrics
from ._service import Service, Settings

__all__ = ["Board", "Supervisor", "own_listener", "reserve"]

LOG = logging.getLogger("triage.service")
_HEADER = struct.Struct("!I")
STARTUP_FAILED = 3  # a worker's exit status when it could not start serving
QUICK = 2.0  # seconds: a worker that dies sooner after its start counts as a failed start
MAX_QUICK_DEATHS = 5  # in a row: the workers cannot run here; stop rather than fork forever
# Blocked across each fork, so that none reaches a worker before it has its own handlers.
_BLOCKED = {signal.SIGTERM, signal.SIGINT, signal.SIGHUP, signal.SIGCHLD}


# -- messages --------------------------------------------------------------------------------


def send(conn: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message).encode("utf-8")
    conn.sendall(_HEADER.pack(len(data)) + data)


def receive(conn: socket.socket) -> dict[str, Any] | None:
    """The next message, or None when the other end has gone."""
    header = _exactly(conn, _HEADER.size)
    if header is None:
        return None
    body = _exactly(conn, _HEADER.unpack(header)[0])
    return None if body is None else dict(json.loads(body))


def _exactly(conn: socket.socket, n: int) -> bytes | None:
    chunks, got = [], 0
    while got < n:
        try:
            chunk = conn.recv(n - got)
        except OSError:
            return None
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


# -- the counts every worker shares ----------------------------------------------------------


class Board:
    """One slot of shared memory per worker, each holding its counts as JSON, so that a
    scrape of ``/metrics`` at any worker answers for all of them. A slot outlives its
    worker: the replacement goes on from its counts (counters never go back).

    Each slot is written under a sequence number (odd while a write is under way), so a
    reader never takes a half-written slot; no lock, which a killed worker could hold.
    """

    SLOT = 1 << 16

    def __init__(self, slots: int) -> None:
        self.slots = slots
        self._memory = mmap.mmap(-1, slots * self.SLOT)  # anonymous, shared across fork
        self._writing = threading.Lock()  # one writer process a slot; threads take turns

    def write(self, slot: int, state: dict[str, Any]) -> None:
        data = json.dumps(state, separators=(",", ":")).encode("ascii")
        if len(data) > self.SLOT - 8:
            return  # more label combinations than a slot holds: keep the last that fit
        base = slot * self.SLOT
        with self._writing:
            seq = self._read_seq(base) | 1  # odd: a write is under way
            self._memory[base : base + 8] = struct.pack("!II", seq, len(data))
            self._memory[base + 8 : base + 8 + len(data)] = data
            self._memory[base : base + 4] = struct.pack("!I", seq + 1)

    def read(self, slot: int) -> dict[str, Any] | None:
        base = slot * self.SLOT
        for _ in range(100):
            seq, size = struct.unpack("!II", self._memory[base : base + 8])
            if seq == 0:
                return None  # never written
            if seq % 2:
                time.sleep(0.0001)
                continue
            data = bytes(self._memory[base + 8 : base + 8 + size])
            if self._read_seq(base) == seq:
                return dict(json.loads(data))
        return None  # its writer died mid-write; the next write mends it

    def _read_seq(self, base: int) -> int:
        value: int = struct.unpack("!I", self._memory[base : base + 4])[0]
        return value

    def merged(self) -> Metrics:
        return Metrics.merged([s for s in map(self.read, range(self.slots)) if s is not None])


# -- the parent ------------------------------------------------------------------------------


@dataclass
class _Worker:
    slot: int
    pid: int
    conn: socket.socket
    started: float


class Supervisor:
    """Runs ``workers`` processes serving ``service``'s policy on one address (`reserve`).

    ``config(app)`` is the uvicorn configuration each worker serves ``app`` with;
    ``grace`` is how long a worker may take to finish its requests after SIGTERM.
    """

    def __init__(
        self,
        service: Service,
        workers: int,
        config: Callable[[Any], uvicorn.Config],
        grace: float,
    ) -> None:
        self.service = service  # the parent's: loads the file on SIGHUP, never serves
        self.count = workers
        self.config = config
        self.grace = grace
        self.pid = os.getpid()
        self.board = Board(workers)
        self.workers: dict[int, _Worker] = {}  # by slot
        self._signals: list[int] = []
        self._quick_deaths = 0
        self.serving = False  # in a worker: it has started serving (a failure is no start-up's)

    def run(self, sock: socket.socket) -> int:
        """Serve until SIGTERM, SIGINT or a worker that cannot start; the exit status."""
        wake_r, wake_w = socket.socketpair()
        wake_r.setblocking(False)
        wake_w.setblocking(False)
        previous_wakeup = signal.set_wakeup_fd(wake_w.fileno())
        handled = (signal.SIGHUP, signal.SIGTERM, signal.SIGINT, signal.SIGCHLD)
        previous = {sig: signal.signal(sig, self._noted) for sig in handled}
        status = 0
        try:
            for slot in range(self.count):
                self._start(slot, sock)
            status = self._loop(sock, wake_r)
        finally:
            sock.close()  # the address is free once the workers' own sockets close too
            self._stop_all()
            signal.set_wakeup_fd(previous_wakeup)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            wake_r.close()
            wake_w.close()
        return status

    def _noted(self, signum: int, frame: Any) -> None:
        self._signals.append(signum)

    def _loop(self, sock: socket.socket, wake: socket.socket) -> int:
        while True:
            conns = {w.conn: w for w in self.workers.values()}
            try:
                ready, _, _ = select.select([wake, *conns], [], [], 1.0)
            except InterruptedError:
                ready = []
            if wake in ready:
                with contextlib.suppress(BlockingIOError):
                    wake.recv(4096)
            for conn in ready:
                if conn in conns:
                    self._from_worker(conns[conn])
            while self._signals:
                sig = self._signals.pop(0)
                if sig in (signal.SIGTERM, signal.SIGINT):
                    LOG.info("stopping: %d workers finish their requests", len(self.workers))
                    return 0
                if sig == signal.SIGHUP:
                    self._reload()
            if not self._reap(sock):
                return 1

    def _start(self, slot: int, sock: socket.socket) -> None:
        here, there = socket.socketpair()
        news = self.service.reload_news()
        signal.pthread_sigmask(signal.SIG_BLOCK, _BLOCKED)
        pid = os.fork()
        if pid == 0:  # the worker: never returns into the parent's code
            status = STARTUP_FAILED
            try:
                here.close()
                for other in self.workers.values():
                    other.conn.close()
                status = _worker(slot, there, sock, self.service.settings, news, self)
            except BaseException as exc:  # its type only: a message may hold report data
                LOG.error("worker %d failed (%s)", slot, type(exc).__name__)
                status = 1 if self.serving else STARTUP_FAILED
            finally:
                os._exit(status)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED)
        there.close()
        self.workers[slot] = _Worker(slot, pid, here, time.monotonic())
        LOG.info("worker %d started (pid %d)", slot, pid)

    def _from_worker(self, worker: _Worker) -> None:
        message = receive(worker.conn)
        if message is None:
            return  # it is going; _reap sees to it
        if "news" in message:  # it reloaded for POST /v1/policy/reload
            self._share(message["news"])

    def _reload(self) -> None:
        failed = self.service.reload()
        if failed is None:
            LOG.info("policy reloaded: sha256 %s", self.service.triage.policy.sha256)
        else:
            LOG.warning("policy reload refused (%s); the old policy serves", failed["code"])
        self._broadcast(self.service.reload_news())

    def _share(self, news: dict[str, Any]) -> None:
        try:
            self.service.adopt(news)
        except Exception:  # a worker's check passed; this one must not stop the parent
            LOG.exception("a worker's reload could not be shared")
            return
        self._broadcast(news)

    def _broadcast(self, news: dict[str, Any]) -> None:
        for worker in self.workers.values():
            with contextlib.suppress(OSError):  # a dying worker is replaced with the news
                send(worker.conn, {"news": news})

    def _reap(self, sock: socket.socket) -> bool:
        """Replace each worker that has died; False when they die as fast as they start."""
        for slot, worker in list(self.workers.items()):
            pid, status = os.waitpid(worker.pid, os.WNOHANG)
            if pid == 0:
                continue
            worker.conn.close()
            del self.workers[slot]
            code = os.waitstatus_to_exitcode(status)
            quick = time.monotonic() - worker.started < QUICK
            self._quick_deaths = self._quick_deaths + 1 if quick else 0
            if code == STARTUP_FAILED or self._quick_deaths >= MAX_QUICK_DEATHS:
                LOG.error("worker %d could not start serving (status %d): stopping", slot, code)
                return False
            LOG.warning("worker %d (pid %d) ended (status %d): replacing it", slot, pid, code)
            self._start(slot, sock)
        return True

    def _stop_all(self) -> None:
        for worker in self.workers.values():
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace
        while self.workers and time.monotonic() < deadline:
            for slot, worker in list(self.workers.items()):
                if os.waitpid(worker.pid, os.WNOHANG)[0] != 0:
                    worker.conn.close()
                    del self.workers[slot]
            time.sleep(0.02)
        for worker in self.workers.values():  # past the grace period
            LOG.error("worker %d did not stop within %.0f s: killed", worker.slot, self.grace)
            with contextlib.suppress(ProcessLookupError):
                os.kill(worker.pid, signal.SIGKILL)
            os.waitpid(worker.pid, 0)
            worker.conn.close()
        self.workers.clear()


# -- a worker --------------------------------------------------------------------------------


def _worker(
    slot: int,
    conn: socket.socket,
    sock: socket.socket,
    settings: Settings,
    news: dict[str, Any],
    supervisor: Supervisor,
) -> int:
    """Build this worker's own pipeline from the parent's policy text and serve."""
    stop = _worker_signals(supervisor.pid)
    board = supervisor.board
    service = Service(
        settings,
        source=base64.b64decode(news["source"]),
        metrics=Metrics(board.read(slot)),
    )
    service.adopt(news)  # the parent's load time and last refusal; the policy is the same
    if not service.ready():
        return STARTUP_FAILED
    service.warm()

    def counts() -> str:
        board.write(slot, service.metrics.state())
        return board.merged().render(service.triage.policy.sha256)

    service.render_metrics = counts
    lock = threading.Lock()

    def announce(news: dict[str, Any]) -> None:
        with lock, contextlib.suppress(OSError):
            send(conn, {"news": news})

    service.announce = announce
    threading.Thread(target=_listen, args=(conn, service), daemon=True).start()
    threading.Thread(target=_publish, args=(board, slot, service), daemon=True).start()
    supervisor.serving = True
    listener = own_listener(sock)
    _Server(supervisor.config(create_app(service)), stop).run(sockets=[listener])
    board.write(slot, service.metrics.state())
    sys.stdout.flush()
    sys.stderr.flush()
    return 0


def reserve(host: str, port: int) -> socket.socket:
    """The parent's socket: bound to the address the workers serve, never listening.

    It holds the address while workers come and go, and names the port the system
    chose for port 0. Where the system has SO_REUSEPORT, each worker listens on a
    socket of its own bound beside it (`own_listener`)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        if _REUSEPORT is not None:
            # First without SO_REUSEPORT, so that an address another server holds (a
            # second `triage serve` started by mistake among them) is refused, not shared.
            with _tcp(family) as probe:
                probe.bind((host, port))
                port = probe.getsockname()[1]  # the system's choice for port 0
        sock = _tcp(family, reuse_port=_REUSEPORT is not None)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            raise
    except OSError as exc:
        raise OSError(exc.errno, f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


def _tcp(family: int, reuse_port: bool = False) -> socket.socket:
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # past TIME_WAIT, as uvicorn
    if reuse_port and _REUSEPORT is not None:
        sock.setsockopt(socket.SOL_SOCKET, _REUSEPORT, 1)
    return sock


def own_listener(reserved: socket.socket) -> socket.socket:
    """This worker's own socket on the reserved address: the kernel spreads new
    connections over the workers' sockets by their addresses. On one shared socket the
    worker that woke first took every connection waiting (29 of 32 keep-alive clients
    on one worker, measured), and those clients queued behind each other while the
    other worker idled. Without SO_REUSEPORT, the shared socket."""
    if _REUSEPORT is None:
        return reserved
    own = _tcp(reserved.family, reuse_port=True)
    own.bind(reserved.getsockname()[:2])
    reserved.close()  # the parent's copy holds the address; this one is not needed here
    return own


_REUSEPORT: int | None = getattr(socket, "SO_REUSEPORT", None)


def _worker_signals(parent: int) -> list[int]:
    """A worker's signals, set while the parent's fork has them blocked: SIGTERM is
    noted (the server stops on it, however early it came), Ctrl-C is the parent's,
    SIGHUP goes to the parent (which loads the file for all). Returns the list SIGTERM
    is noted in."""
    worker_signals()  # Ctrl-C ignored; SIGTERM when the parent dies
    stop: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stop.append(signum))
    signal.signal(signal.SIGHUP, lambda signum, frame: os.kill(parent, signal.SIGHUP))
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    signal.set_wakeup_fd(-1)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _BLOCKED)
    if os.getppid() != parent:  # it died before the worker asked to die with it
        os._exit(1)
    return stop


class _Server(uvicorn.Server):
    """uvicorn's server, stopped by SIGTERM alone (noted before it started, or after),
    and not raising the signal again when it is done: the worker then writes its counts
    and exits 0."""

    def __init__(self, config: uvicorn.Config, stop: list[int]) -> None:
        super().__init__(config)
        self._stop = stop

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        signal.signal(signal.SIGTERM, self.handle_exit)
        if self._stop:
            self.should_exit = True
        yield


def _listen(conn: socket.socket, service: Service) -> None:
    """Take the policy the parent hands over, until it goes."""
    while (message := receive(conn)) is not None:
        news = message.get("news")
        if news is None:
            continue
        try:
            service.adopt(news)
        except Exception:  # checked by the parent already; keep serving the old one
            LOG.exception("the parent's policy could not be adopted")


def _publish(board: Board, slot: int, service: Service) -> None:
    """This worker's counts on the board every second, for scrapes at other workers."""
    while True:
        time.sleep(1.0)
        board.write(slot, service.metrics.state())
