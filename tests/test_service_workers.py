"""`triage serve --workers N`: one policy among the workers, replaced workers, a clean stop;
CORS; the counts every worker shares."""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from triage.service import Service, Settings, create_app
from triage.service._metrics import Metrics
from triage.service._workers import Board

from .conftest import ROOT, default_signals, example_reports

REPORTS = [r for _, r in example_reports()]
DEFAULT = ROOT / "triage" / "rules" / "default" / "policy.yaml"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _children(pid: int) -> set[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return set()
    return {int(p) for p in text.split()}


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


class Server:
    def __init__(self, proc: subprocess.Popen[bytes], port: int) -> None:
        self.proc, self.port = proc, port

    def request(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        """One request on a connection of its own; the status and the JSON answer."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            data = None if body is None else json.dumps(body).encode()
            headers = {} if body is None else {"content-type": "application/json"}
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            raw = response.read()
            kind = response.getheader("content-type", "")
            return response.status, json.loads(raw) if "json" in kind else raw.decode()
        finally:
            conn.close()

    def policies(self, n: int = 12) -> set[tuple[str, str | None]]:
        """(sha256, last reload error code) as ``n`` requests find them, whichever worker
        answers each."""
        out = set()
        for _ in range(n):
            status, info = self.request("GET", "/v1/policy")
            assert status == 200
            error = info["last_reload_error"]
            out.add((info["sha256"], error and error["code"]))
        return out


@contextmanager
def serving(*args: str, workers: int = 2) -> Iterator[Server]:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "triage", "serve", "--port", str(port), "--model", "none",
         "--workers", str(workers), *args],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=default_signals,
    )  # fmt: skip
    server = Server(proc, port)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if server.request("GET", "/readyz")[0] == 200 and len(_children(proc.pid)) == (
                    workers if workers > 1 else 0
                ):
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline and proc.poll() is None, "did not start"
            time.sleep(0.1)
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout:
            server.output = proc.stdout.read().decode()  # type: ignore[attr-defined]
            proc.stdout.close()


def _eventually(check: Any, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline
        time.sleep(0.1)


def test_workers_serve_one_policy_through_reloads_and_a_killed_worker(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    original = DEFAULT.read_bytes()
    path.write_bytes(original)
    changed = original + b"\n# a reviewed change\n"
    old, new = hashlib.sha256(original).hexdigest(), hashlib.sha256(changed).hexdigest()
    with serving("--policy", str(path)) as server:
        pid = server.proc.pid
        first_workers = _children(pid)
        assert server.policies() == {(old, None)}

        # a reload asked of one worker reaches every worker
        path.write_bytes(changed)
        status, answer = server.request("POST", "/v1/policy/reload")
        assert status == 200 and answer["reloaded"] is True and answer["sha256"] == new
        _eventually(lambda: server.policies() == {(new, None)})

        # an invalid file, by SIGHUP: every worker keeps the policy and says why
        path.write_bytes(original + b"\nrules: [\n")
        server.proc.send_signal(signal.SIGHUP)
        _eventually(lambda: server.policies() == {(new, "rule-file-invalid")})

        # a worker killed outright is replaced, and the replacement serves what the others
        # serve (not what the file now says, which is invalid)
        victim = min(first_workers)
        os.kill(victim, signal.SIGKILL)
        _eventually(lambda: len(_children(pid) - first_workers) == 1)
        assert victim not in _children(pid)
        _eventually(lambda: server.request("GET", "/readyz")[0] == 200)
        assert server.policies(20) == {(new, "rule-file-invalid")}
        status, decision = server.request("POST", "/v1/assess", REPORTS[0])
        assert status == 200 and decision["policy"]["sha256"] == new

        workers = _children(pid)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0
    assert not any(_alive(p) for p in workers)
    out = server.output  # type: ignore[attr-defined]
    assert "replacing it" in out and "Traceback" not in out


def test_counts_are_every_workers(tmp_path: Path) -> None:
    with serving() as server:
        for _ in range(30):
            assert server.request("GET", "/v1/vocab")[0] == 200
        line = 'triage_http_requests_total{route="/v1/vocab",status="200"} 30\n'
        # each worker puts its counts on the board every second
        _eventually(lambda: line in server.request("GET", "/metrics")[1])
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_under_load_loses_no_accepted_request(tmp_path: Path, workers: int) -> None:
    """Requests keep coming while the server is told to stop. Every decision the server
    made was answered in full, every answer is a decision (no 5xx, no half answer), and a
    request it did not take was refused at connection, never left without an answer
    after it was read."""
    log = tmp_path / "decisions.jsonl"
    answered: list[str] = []
    refused: list[str] = []
    errors: list[str] = []
    stop = threading.Event()
    with serving("--decision-log", str(log), workers=workers) as server:

        def client(k: int) -> None:
            n = 0
            while not stop.is_set() and n < 400:
                report = dict(REPORTS[n % len(REPORTS)], id=f"L{k}-{n}")
                n += 1
                try:
                    status, decision = server.request("POST", "/v1/assess", report)
                except (ConnectionRefusedError, ConnectionResetError):
                    refused.append(report["id"])  # not taken: nothing was decided
                    if server.proc.poll() is not None:
                        return
                    continue
                except (http.client.RemoteDisconnected, OSError) as exc:
                    errors.append(type(exc).__name__)
                    continue
                if status == 200 and decision["report_id"] == report["id"]:
                    answered.append(report["id"])
                else:
                    errors.append(str(status))

        threads = [threading.Thread(target=client, args=(k,)) for k in range(6)]
        for thread in threads:
            thread.start()
        _eventually(lambda: len(answered) >= 40, 60)
        # one request surely under way when the signal comes: half its body sent
        slow = socket.create_connection(("127.0.0.1", server.port), timeout=30)
        body = json.dumps(dict(REPORTS[1], id="SLOW")).encode()
        slow.sendall(
            b"POST /v1/assess HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n"
            + f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode()
            + body[:50]
        )
        time.sleep(0.3)
        server.proc.send_signal(signal.SIGTERM)
        time.sleep(0.5)
        slow.sendall(body[50:])
        answer = b"".join(iter(lambda: slow.recv(65536), b""))
        slow.close()
        assert server.proc.wait(timeout=30) == 0
        stop.set()
        for thread in threads:
            thread.join()
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200") and json.loads(payload)["report_id"] == "SLOW"
    answered.append("SLOW")
    decided = [json.loads(line)["report_id"] for line in log.read_text().splitlines()]
    assert errors == []
    assert sorted(decided) == sorted(answered)  # no decision made and then not delivered
    assert len(answered) >= 40


def _tcp_sockets(pid: int, port: int) -> list[tuple[str, int]]:
    """(state, inode) of each TCP socket process ``pid`` holds on local ``port``, from
    /proc: "0A" listening, "01" established."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            link = os.readlink(fd)
            if link.startswith("socket:["):
                inodes.add(int(link[8:-1]))
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(FileNotFoundError):
            for line in Path(table).read_text().splitlines()[1:]:
                fields = line.split()
                local_port = int(fields[1].rsplit(":", 1)[1], 16)
                if local_port == port and int(fields[9]) in inodes:
                    out.append((fields[3], int(fields[9])))
    return out


@pytest.mark.skipif(not hasattr(socket, "SO_REUSEPORT"), reason="needs SO_REUSEPORT")
def test_connections_are_spread_over_the_workers_and_no_other_server() -> None:
    """Each worker listens on a socket of its own, and the system spreads connections
    over them: on one shared socket the worker that woke first took most of a burst of
    keep-alive connections (29 of 32, measured) and its clients waited in turn."""
    with serving() as server:
        workers = sorted(_children(server.proc.pid))

        def listening() -> list[set[int]]:
            return [
                {i for st, i in _tcp_sockets(pid, server.port) if st == "0A"} for pid in workers
            ]

        _eventually(lambda: all(listening()))
        first, second = listening()
        assert first.isdisjoint(second)  # not one socket shared
        conns = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(64)]
        try:

            def held() -> list[int]:
                return [
                    sum(st == "01" for st, _ in _tcp_sockets(pid, server.port)) for pid in workers
                ]

            _eventually(lambda: sum(held()) == 64)  # every connection accepted
            # binomial(64, 1/2): fewer than 16 on either side has probability 3e-5
            assert min(held()) >= 16, held()
        finally:
            for conn in conns:
                conn.close()
        # The address is shared among the workers only: a second server started on it by
        # mistake exits 3 ("address already in use"), as uvicorn does for one process.
        second = subprocess.run(
            [sys.executable, "-m", "triage", "serve", "--port", str(server.port),
             "--model", "none", "--workers", "2"],
            capture_output=True, text=True, timeout=120, preexec_fn=default_signals,
        )  # fmt: skip
        assert second.returncode == 3, second.stderr
        assert "in use" in second.stderr and "Traceback" not in second.stderr
        assert server.request("GET", "/readyz")[0] == 200
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=30) == 0


PREFLIGHT = {
    "origin": "https://intake.example",
    "access-control-request-method": "POST",
    "access-control-request-headers": "authorization, content-type",
}


class TestCors:
    def test_off_unless_configured(self) -> None:
        c = TestClient(create_app(Service(Settings(model=None))))
        response = c.options("/v1/assess", headers=PREFLIGHT)
        assert "access-control-allow-origin" not in response.headers
        response = c.get("/v1/vocab", headers={"origin": "https://intake.example"})
        assert "access-control-allow-origin" not in response.headers

    def test_only_the_origins_given(self) -> None:
        settings = Settings(model=None, cors_origins=("https://intake.example",))
        c = TestClient(create_app(Service(settings)))
        response = c.options("/v1/assess", headers=PREFLIGHT)
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://intake.example"
        other = {**PREFLIGHT, "origin": "https://elsewhere.example"}
        response = c.options("/v1/assess", headers=other)
        assert "access-control-allow-origin" not in response.headers
        response = c.post(
            "/v1/assess", json=REPORTS[0], headers={"origin": "https://intake.example"}
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == "https://intake.example"


class TestBoard:
    def test_merged_counts_are_the_sum_of_each_workers(self) -> None:
        a, b = Metrics(), Metrics()
        a.decision("high", "P2", "ok")
        a.request("/v1/assess", 200, 0.002)
        b.decision("high", "P2", "ok")
        b.rejection("invalid-report")
        b.request("/v1/assess", 422, 0.0004)
        board = Board(3)
        board.write(0, a.state())
        board.write(2, b.state())
        assert board.read(1) is None
        text = board.merged().render("x")
        assert 'triage_decisions_total{level="high",priority="P2",status="ok"} 2' in text
        assert 'triage_rejections_total{code="invalid-report"} 1' in text
        assert 'triage_http_requests_total{route="/v1/assess",status="422"} 1' in text
        assert 'triage_request_seconds_bucket{le="0.001"} 1' in text
        assert 'triage_request_seconds_bucket{le="0.0025"} 2' in text
        assert "triage_request_seconds_count 2" in text

    def test_a_replacement_goes_on_from_its_slots_counts(self) -> None:
        before = Metrics()
        before.request("/v1/assess", 200, 0.01)
        board = Board(1)
        board.write(0, before.state())
        after = Metrics(board.read(0))
        after.request("/v1/assess", 200, 0.01)
        assert 'route="/v1/assess",status="200"} 2' in after.render("x")

    def test_a_half_written_slot_is_never_read(self) -> None:
        board = Board(1)
        board.write(0, Metrics().state())
        board._memory[0:4] = (7).to_bytes(4, "big")  # odd: its writer died mid-write
        assert board.read(0) is None
        board.write(0, Metrics().state())  # the next write mends it
        assert board.read(0) is not None


@pytest.mark.parametrize("workers", [1, 2])
def test_ctrl_c_stops_every_process(workers: int) -> None:
    with serving(workers=workers) as server:
        pids = _children(server.proc.pid)
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(timeout=30) == 0
    assert not any(_alive(p) for p in pids)


def test_a_stop_while_a_worker_is_replaced_reaches_the_replacement() -> None:
    """SIGTERM just after a worker died: its replacement, still starting, stops too
    (a signal that reached it before its own handlers once left it serving until the
    parent's grace period ran out)."""
    with serving() as server:
        pid = server.proc.pid
        before = _children(pid)
        os.kill(min(before), signal.SIGKILL)
        _eventually(lambda: len(_children(pid) - before) == 1)
        after = _children(pid)
        server.proc.send_signal(signal.SIGTERM)
        assert server.proc.wait(timeout=60) == 0
    assert not any(_alive(p) for p in after)
    assert "did not stop" not in server.output  # type: ignore[attr-defined]


def test_the_warm_up_decision_is_in_no_log_and_no_count(tmp_path: Path) -> None:
    """Before serving, a synthetic decision warms the pipeline up: it is nobody's report,
    so it appears in neither the decision log nor the counts."""
    import gc

    log = tmp_path / "decisions.jsonl"
    service = Service(Settings(model="default", decision_log=str(log)))
    frozen = gc.get_freeze_count()
    try:
        service.warm()
        assert gc.get_freeze_count() > frozen  # what it built is out of the collector's way
    finally:
        gc.unfreeze()
    assert not log.exists() or log.read_text() == ""
    assert "triage_decisions_total{" not in service.render_metrics()


def test_the_warm_up_runs_every_stage_and_imports_no_cohort() -> None:
    """The made-up warm-up report decides with the packaged policy and model (an error
    would be passed over in `warm`, leaving nothing warmed), reaches a higher level in
    the world where its unknowns are answered, has gaps to ask; and warming up imports
    neither the synthetic cohort nor numpy, which decisions do not need."""
    from triage import Triage
    from triage.service._service import WARM_UP

    decision = Triage(model="default").assess(WARM_UP, log=False)
    assert decision.status == "ok" and decision.model is not None
    assert decision.risk_level != decision.risk_level_max and decision.information_gaps
    code = (
        "import sys\n"
        "from triage.service._service import Service, Settings\n"
        "Service(Settings(model='default')).warm()\n"
        "print(sorted(m for m in ('numpy', 'triage.risk.cohort') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]", out.stderr
