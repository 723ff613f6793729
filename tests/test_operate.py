"""Safe to operate: output paths that are not plain files, signals, streaming, archives.

Special files and links are made in a temporary directory (never /dev/null itself);
signals go by PID to real `triage` processes.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from triage._io._output import check_distinct, open_output, resolve_output
from triage.cli import cli
from triage.risk.model import _model as m

from .conftest import default_signals
from .strategies import random_reports

ROOT = Path(__file__).resolve().parent.parent
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def run(*args: str, stdin: str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)


def jsonl(path: Path, reports: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in reports), "utf-8")
    return path


def triage_process(*args: str, **kwargs: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "triage", *args], preexec_fn=default_signals, **kwargs
    )


# -- output paths ------------------------------------------------------------------------------


class TestOutputPaths:
    def test_symlink_target_is_replaced_and_the_link_kept(self, tmp_path: Path) -> None:
        src = jsonl(tmp_path / "in.jsonl", random_reports(3, seed=1))
        real = tmp_path / "real.jsonl"
        real.write_text("old\n")
        real.chmod(0o640)
        link = tmp_path / "link.jsonl"
        link.symlink_to(real.name)
        result = run("batch", str(src), "-o", str(link), "--model", "none")
        assert result.exit_code == 0, result.output
        assert link.is_symlink() and os.readlink(link) == real.name
        lines = real.read_text("utf-8").splitlines()
        assert [json.loads(x)["line"] for x in lines] == [1, 2, 3]
        assert stat.S_IMODE(real.stat().st_mode) == 0o640  # the replaced file keeps its mode
        assert sorted(p.name for p in tmp_path.iterdir()) == [
            "in.jsonl",
            "link.jsonl",
            "real.jsonl",
        ]

    def test_dangling_symlink_creates_its_target(self, tmp_path: Path) -> None:
        link = tmp_path / "link.md"
        link.symlink_to("made.md")
        assert run("rules", "doc", "default", "--lang", "en", "-o", str(link)).exit_code == 0
        assert link.is_symlink() and (tmp_path / "made.md").read_text("utf-8").startswith("#")

    def test_fifo_is_streamed_not_replaced(self, tmp_path: Path) -> None:
        src = jsonl(tmp_path / "in.jsonl", random_reports(4, seed=2))
        fifo = tmp_path / "out.fifo"
        os.mkfifo(fifo)
        got: list[bytes] = []
        reader = threading.Thread(target=lambda: got.append(fifo.read_bytes()))
        reader.start()
        result = run("batch", str(src), "-o", str(fifo), "--model", "none")
        reader.join(timeout=60)
        assert result.exit_code == 0, result.output
        assert stat.S_ISFIFO(fifo.lstat().st_mode)
        assert len(got[0].splitlines()) == 4
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl", "out.fifo"]

    @pytest.mark.skipif(not IS_ROOT, reason="making a device node needs root")
    def test_character_device_is_written_not_replaced(self, tmp_path: Path) -> None:
        null = tmp_path / "null"
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # what /dev/null is
        src = jsonl(tmp_path / "in.jsonl", random_reports(2, seed=3))
        for args in (
            ("batch", str(src), "-o", str(null), "--errors", str(null), "--model", "none"),
            ("rules", "doc", "default", "-o", str(null)),
        ):
            assert run(*args).exit_code == 0
            assert stat.S_ISCHR(null.lstat().st_mode)
        m.save(m.demo_model(), null)
        assert stat.S_ISCHR(null.lstat().st_mode)

    @pytest.mark.skipif(not IS_ROOT, reason="making a device node needs root")
    def test_block_device_is_refused(self, tmp_path: Path) -> None:
        disk = tmp_path / "disk"
        os.mknod(disk, stat.S_IFBLK | 0o600, os.makedev(7, 200))  # never opened
        result = run("rules", "doc", "default", "-o", str(disk))
        assert result.exit_code == 2
        assert "block device" in result.output

    def test_directory_is_an_error(self, tmp_path: Path) -> None:
        src = jsonl(tmp_path / "in.jsonl", random_reports(1, seed=4))
        (tmp_path / "d").mkdir()
        for args in (
            ("batch", str(src), "-o", str(tmp_path / "d")),
            ("batch", str(src), "--errors", str(tmp_path / "d")),
            ("rules", "doc", "default", "-o", str(tmp_path / "d")),
            ("rules", "diff", "default", "default", "--cases", str(src), "-o", str(tmp_path / "d")),
        ):
            result = run(*args)
            assert result.exit_code == 2, args
            assert "is a directory" in result.output
        assert list((tmp_path / "d").iterdir()) == []

    def test_dash_is_standard_output(self, tmp_path: Path) -> None:
        src = jsonl(tmp_path / "in.jsonl", random_reports(2, seed=5))
        result = run("batch", str(src), "-o", "-", "--model", "none")
        assert result.exit_code == 0
        assert [json.loads(x)["line"] for x in result.stdout.splitlines()] == [1, 2]
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
        doc = run("rules", "doc", "default", "--lang", "en", "-o", "-")
        assert doc.exit_code == 0 and doc.stdout.startswith("#")

    def test_same_path_twice_is_refused_up_front(self, tmp_path: Path) -> None:
        src = jsonl(tmp_path / "in.jsonl", random_reports(2, seed=6))
        before = src.read_bytes()
        out = tmp_path / "out.jsonl"
        alias = tmp_path / "alias.jsonl"
        alias.symlink_to(src.name)
        for args in (
            ("batch", str(src), "-o", str(out), "--errors", str(out)),
            ("batch", str(src), "-o", str(src)),
            ("batch", str(src), "-o", str(alias)),  # the input, through a link
            ("batch", str(src), "-o", "-", "--errors", "-"),
            ("rules", "diff", "default", "default", "--cases", str(src), "-o", str(src)),
        ):
            result = run(*args)
            assert result.exit_code == 2, args
            assert "internal error" not in result.output
            assert "error [usage]" in result.output
        assert src.read_bytes() == before
        assert not out.exists()

    def test_failed_write_keeps_the_old_file_and_leaves_no_temporary(self, tmp_path: Path) -> None:
        target = tmp_path / "keep.txt"
        target.write_text("old")
        with pytest.raises(KeyboardInterrupt), open_output(target) as fh:
            fh.write("half")
            raise KeyboardInterrupt
        assert target.read_text() == "old"
        assert [p.name for p in tmp_path.iterdir()] == ["keep.txt"]

    def test_resolution(self, tmp_path: Path) -> None:
        assert resolve_output("-").kind == "stdout"
        assert resolve_output(tmp_path / "new").kind == "replace"
        with pytest.raises(Exception, match="does not exist"):
            resolve_output(tmp_path / "no" / "such")
        (tmp_path / "a").write_text("")
        targets = check_distinct({"a": tmp_path / "a", "b": tmp_path / "b"})
        assert set(targets) == {"a", "b"}


class TestSignalWhileAPoolStarts:
    """A signal while a process pool was starting its manager thread left a thread never
    started, and the pool's shutdown then failed: the batch exited 70 (internal error)
    instead of 143 (test_sigterm_while_workers_start, now and then under load)."""

    def test_a_held_signal_is_handled_when_the_block_ends(self) -> None:
        from triage._signals import Terminated, held, interrupts

        inside = []
        previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            with pytest.raises(Terminated), interrupts():
                with held():
                    signal.raise_signal(signal.SIGTERM)
                    inside.append("finished")  # not interrupted here
                inside.append("after")  # the signal stops the run before this
        finally:
            signal.signal(signal.SIGTERM, previous)
        assert inside == ["finished"]

    def test_another_thread_holds_nothing(self) -> None:
        """A signal arriving while another thread is in `held()` (a pool started by a
        caller's thread) stops the main thread at once, as it would without it."""
        from triage._signals import Terminated, held, interrupts

        inside, ready, release = [], threading.Event(), threading.Event()

        def other() -> None:
            with held():
                ready.set()
                release.wait(5)

        thread = threading.Thread(target=other)
        previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            with pytest.raises(Terminated), interrupts():
                thread.start()
                ready.wait(5)
                signal.raise_signal(signal.SIGTERM)
                inside.append("after")  # not reached: the signal was not held
                release.set()  # (held, it would come as the other thread leaves)
                thread.join(5)
        finally:
            signal.signal(signal.SIGTERM, previous)
            release.set()
            thread.join(5)
        assert inside == []

    def test_the_pool_shuts_down_and_the_run_is_interrupted(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        import multiprocessing
        from concurrent.futures import process

        from triage._parallel import ordered_map
        from triage._signals import Terminated, interrupts

        real_start = process._ExecutorManagerThread.start

        def start(thread: threading.Thread) -> None:
            signal.raise_signal(signal.SIGTERM)  # arrives as the thread starts
            real_start(thread)

        monkeypatch.setattr(process._ExecutorManagerThread, "start", start)
        previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            with pytest.raises(Terminated), interrupts():
                list(ordered_map(abs, [-1, -2, -3], jobs=2))
            left = multiprocessing.active_children()
        finally:
            signal.signal(signal.SIGTERM, previous)
            for child in multiprocessing.active_children():
                child.kill()  # a failed shutdown leaves them: the test must not hang
        assert left == []


# -- batch records -----------------------------------------------------------------------------


class TestSignalInAFinaliser:
    """A signal that lands while a finaliser runs is raised there, where Python ignores
    it; it must still stop the run (a batch once finished with exit 0 after Ctrl-C)."""

    @pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
    def test_it_is_raised_again_where_it_can_stop_the_run(self, sig: int) -> None:
        from triage._signals import Terminated, interrupts

        class Finalised:
            def __del__(self) -> None:
                signal.raise_signal(sig)  # the signal arrives during the finaliser

        expected = KeyboardInterrupt if sig == signal.SIGINT else Terminated
        reached = []
        # A run started in the background inherits SIGINT ignored, and interrupts() keeps
        # an ignored signal ignored: the test gives what a shell in the foreground gives.
        previous = signal.signal(sig, signal.SIG_DFL)
        try:
            with pytest.raises(expected), interrupts():
                Finalised()  # dropped at once: its finaliser runs here
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    reached.append(1)  # the re-sent signal stops the loop
        finally:
            signal.signal(sig, previous)
        assert time.monotonic() < deadline

    def test_a_signal_resent_into_the_hook_itself_is_sent_again(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """The re-sent signal once landed while the hook was still running (starting the
        thread that sends it lets the main thread handle signals): raised there, it was
        ignored a second time and the run went on."""
        import triage._signals as signals

        real = threading.Timer
        sent: list[int] = []

        class FirstAtOnce:
            """The first re-send arrives at once, inside the hook; the others as usual."""

            def __init__(self, delay: float, function: Any, args: Any) -> None:
                sent.append(1)
                self.call = (function, args) if len(sent) == 1 else None
                self.timer = real(delay, function, args)
                self.daemon = True

            def start(self) -> None:
                if self.call is not None:
                    function, args = self.call
                    function(*args)
                    time.sleep(0.01)  # calls in the hook: the signal is handled here
                else:
                    self.timer.daemon = True
                    self.timer.start()

        monkeypatch.setattr(signals.threading, "Timer", FirstAtOnce)

        class Finalised:
            def __del__(self) -> None:
                signal.raise_signal(signal.SIGTERM)

        previous = signal.signal(signal.SIGTERM, signal.SIG_DFL)
        try:
            with pytest.raises(signals.Terminated), signals.interrupts():
                Finalised()
                deadline = time.monotonic() + 5
                while time.monotonic() < deadline:
                    pass
        finally:
            signal.signal(signal.SIGTERM, previous)
        assert time.monotonic() < deadline and len(sent) >= 2


class TestBatchRecords:
    def test_every_record_has_its_line_and_rejections_are_in_order(self, tmp_path: Path) -> None:
        good = random_reports(3, seed=7)
        lines = [
            "{not json",  # 1: rejected
            json.dumps(good[0]),  # 2
            "x" * (1024 * 1024 + 10),  # 3: too long, refused before parsing
            "",  # 4: blank
            json.dumps({"id": "only"}),  # 5: rejected
            json.dumps(good[1]),  # 6
        ]
        src = tmp_path / "in.jsonl"
        src.write_text("\n".join(lines) + "\n", "utf-8")
        out, errs = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
        result = run("batch", str(src), "-o", str(out), "--errors", str(errs), "--model", "none")
        assert result.exit_code == 1
        decided = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
        assert [(d["line"], d["report_id"]) for d in decided] == [
            (2, good[0]["id"]),
            (6, good[1]["id"]),
        ]
        rejected = [json.loads(x) for x in errs.read_text("utf-8").splitlines()]
        assert [(r["record"], r["line"]) for r in rejected] == [
            ("rejected", 1),
            ("rejected", 3),
            ("rejected", 5),
        ]

    def test_report_id_seen_twice_is_reported(self, tmp_path: Path) -> None:
        a, b = random_reports(2, seed=8)
        src = jsonl(tmp_path / "in.jsonl", [a, b, {**b, "source": a["source"]}, a])
        errs = tmp_path / "err.jsonl"
        result = run("batch", str(src), "-o", str(tmp_path / "o"), "--errors", str(errs))
        assert result.exit_code == 0
        warnings = [json.loads(x) for x in errs.read_text("utf-8").splitlines()]
        assert [(w["record"], w["code"], w["line"], w["first_line"]) for w in warnings] == [
            ("warning", "duplicate-id", 3, 2),
            ("warning", "duplicate-id", 4, 1),
        ]
        assert "2 repeated report ids" in result.stderr
        assert a["id"] not in errs.read_text("utf-8")

    def test_decision_log_names_the_run_and_the_line(self, tmp_path: Path) -> None:
        src = jsonl(tmp_path / "in.jsonl", random_reports(3, seed=9))
        log = tmp_path / "decisions.log"
        for _ in range(2):
            assert run("batch", str(src), "-o", str(tmp_path / "o"), "--decision-log", str(log))
        records = [json.loads(x) for x in log.read_text("utf-8").splitlines()]
        starts = [r for r in records if r.get("event") == "run_started"]
        ends = [r for r in records if r.get("event") == "run_ended"]
        assert len(starts) == len(ends) == 2 and starts[0]["run"] != starts[1]["run"]
        for start, end in zip(starts, ends, strict=True):
            assert end["run"] == start["run"]
            assert (end["status"], end["output"], end["decided"]) == ("completed", "kept", 3)
            mine = [r for r in records if r.get("run") == start["run"] and "report_id" in r]
            assert [r["line"] for r in mine] == [1, 2, 3]


# -- signals -----------------------------------------------------------------------------------


def _children(pid: int) -> set[int]:
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):  # the task may have ended
            found.update(int(x) for x in (task / "children").read_text().split())
    return found


def _many_reports(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` reports with distinct ids, from 500 generated ones (a run to interrupt needs
    many; generating each would take longer than the run)."""
    base = random_reports(500, seed=seed)
    return [dict(r, id=f"{r['id']}-{k}") for k in range(-(-n // 500)) for r in base][:n]


def _descendants(pid: int) -> set[int]:
    found = _children(pid)
    for child in list(found):
        found |= _descendants(child)
    return found


# A caller running a thread of its own: its workers cannot be forked from it.
_THREADED_CALLER = """
import threading, time
import triage
from tests.strategies import random_reports
if __name__ == "__main__":
    threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
    reports = random_reports(200, seed=4)
    results = triage.Triage(model=None).assess_many(reports * 100, jobs=2)
    next(results)
    print("deciding", flush=True)
    for _ in results:
        pass
"""


def _decided(folder: Path) -> int:
    """Lines written so far to the temporary output in ``folder``."""
    for path in folder.iterdir():
        if path.name.startswith(".out.jsonl."):
            with contextlib.suppress(OSError):
                return path.read_bytes().count(b"\n")
    return 0


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _wait_gone(pids: set[int], seconds: float = 20) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        alive = {p for p in pids if _alive(p)}
        if not alive:
            return alive
        time.sleep(0.1)
    return {p for p in pids if _alive(p)}


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="needs /proc")
class TestSignals:
    @pytest.mark.parametrize("jobs", [1, 2])
    def test_sigterm_stops_workers_removes_temporaries_and_exits_143(
        self, tmp_path: Path, jobs: int
    ) -> None:
        src = jsonl(tmp_path / "in.jsonl", _many_reports(20000, seed=3))
        out, log = tmp_path / "out.jsonl", tmp_path / "decisions.log"
        proc = triage_process(
            "batch", str(src), "-o", str(out), "--jobs", str(jobs), "--model", "none",
            "--decision-log", str(log),
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        children: set[int] = set()
        # Wait until decisions flow from every worker (three chunks of 200 written): a
        # signal while a spawned worker is still starting up is a different case (see
        # test_sigterm_while_workers_start).
        while time.monotonic() < deadline:
            children |= _children(proc.pid)
            if _decided(tmp_path) >= 600 and (jobs == 1 or len(children) >= jobs):
                break
            time.sleep(0.05)
        children |= _children(proc.pid)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 143, stderr
        assert b"Traceback" not in stderr
        assert b"leaked" not in stderr  # the resource tracker finds no semaphore left
        assert _wait_gone(children) == set()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["decisions.log", "in.jsonl"]
        end = json.loads(log.read_text("utf-8").splitlines()[-1])
        assert (end["event"], end["status"], end["signal"], end["output"]) == (
            "run_ended",
            "interrupted",
            "SIGTERM",
            "discarded",
        )

    def test_sigterm_while_workers_start(self, tmp_path: Path) -> None:
        """A signal while spawned workers are still starting: still exit 143, no process
        left and no temporary file (a worker killed half-way through its start-up may
        print its own start-up error; the command's own output stays clean)."""
        src = jsonl(tmp_path / "in.jsonl", random_reports(3000, seed=5))
        proc = triage_process(
            "batch", str(src), "-o", str(tmp_path / "out.jsonl"), "--jobs", "2",
            "--model", "none", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 60
        children: set[int] = set()
        while time.monotonic() < deadline and not children:
            children |= _children(proc.pid)
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
        children |= _children(proc.pid) if proc.poll() is None else set()
        assert proc.returncode == 143, stderr
        assert b"interrupted (SIGTERM)" in stderr
        assert _wait_gone(children) == set()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]

    def test_workers_die_with_a_killed_parent(self, tmp_path: Path) -> None:
        src = jsonl(tmp_path / "in.jsonl", _many_reports(20000, seed=4))
        proc = triage_process(
            "batch", str(src), "-o", str(tmp_path / "o"), "--jobs", "2", "--model", "none",
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        deadline = time.monotonic() + 90
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:  # 2 workers (and a
            workers |= _children(proc.pid)  # resource tracker where they are spawned)
            time.sleep(0.05)
        time.sleep(1)
        workers |= _children(proc.pid)
        proc.kill()
        proc.wait(timeout=30)
        assert _wait_gone(workers) == set()

    def test_workers_of_a_threaded_program_die_with_it(self) -> None:
        """A program with threads of its own gets spawned workers, not ones forked from
        it: killed outright, it leaves no worker behind (nor their resource tracker)."""
        proc = subprocess.Popen(
            [sys.executable, "-c", _THREADED_CALLER], cwd=ROOT, stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL, preexec_fn=default_signals,
        )  # fmt: skip
        assert proc.stdout is not None
        assert proc.stdout.readline() == b"deciding\n"
        processes = _descendants(proc.pid)
        assert len(processes) >= 3  # two workers and the resource tracker
        proc.kill()
        proc.wait(timeout=30)
        proc.stdout.close()
        assert _wait_gone(processes) == set()


# -- streaming ---------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_pipe_gets_each_answer_before_the_next_line(jobs: str) -> None:
    """An intake system keeps one process open and sends a line, then waits for its answer."""
    reports = random_reports(4, seed=10)
    bad = "{not json"
    proc = triage_process(
        "batch", "-", "-o", "-", "--jobs", jobs, "--model", "none",
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
    try:
        for number, report in enumerate(reports, start=1):
            proc.stdin.write((json.dumps(report) + "\n").encode())
            proc.stdin.flush()
            ready, _, _ = select.select([proc.stdout], [], [], 60)
            assert ready, f"no answer to line {number} within 60 s"
            answer = json.loads(proc.stdout.readline())
            assert (answer["line"], answer["report_id"]) == (number, report["id"])
        proc.stdin.write((bad + "\n").encode())
        proc.stdin.flush()
        ready, _, _ = select.select([proc.stderr], [], [], 60)
        assert ready, "no rejection within 60 s"
        rejection = json.loads(proc.stderr.readline())
        assert (rejection["record"], rejection["line"]) == ("rejected", 5)
        proc.stdin.close()
        assert proc.wait(timeout=60) == 1
    finally:
        proc.kill()
        proc.wait()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            stream.close()


# -- archives ----------------------------------------------------------------------------------


class TestArchives:
    def test_cohort_archive_is_valid_input_everywhere(self, tmp_path: Path) -> None:
        archive, outcomes = tmp_path / "archive.jsonl", tmp_path / "outcomes.jsonl"
        made = run("cohort", "--n", "400", "--seed", "7", "-o", str(archive),
                   "--outcomes", str(outcomes))  # fmt: skip
        assert made.exit_code == 0 and "synthetic" in made.stderr.lower()
        again = run("cohort", "--n", "400", "--seed", "7")
        assert again.stdout == archive.read_text("utf-8")  # same seed, same archive
        batch = run("batch", str(archive), "-o", str(tmp_path / "d.jsonl"), "--model", "none")
        assert batch.exit_code == 0 and "400 decided" in batch.stderr
        diff = run("rules", "diff", "default", "default", "--cases", str(archive),
                   "--format", "json", "--jobs", "1")  # fmt: skip
        assert diff.exit_code == 0
        assert (json.loads(diff.stdout)["reports"], json.loads(diff.stdout)["invalid"]) == (400, 0)
        evaluated = run("model", "evaluate", "default", "--data", str(archive),
                        "--outcomes", str(outcomes), "--format", "json")  # fmt: skip
        assert evaluated.exit_code == 0, evaluated.output
        assert json.loads(evaluated.stdout)["overall"]["n"] == 400
        ids = [json.loads(x)["id"] for x in outcomes.read_text().splitlines()]
        assert ids == [json.loads(x)["id"] for x in archive.read_text().splitlines()]

    def test_rules_diff_says_why_each_report_is_invalid(self, tmp_path: Path) -> None:
        good = random_reports(2, seed=11)
        src = tmp_path / "in.jsonl"
        lines = [json.dumps(good[0]), json.dumps({**good[1], "outcome": 1}), "{oops"]
        src.write_text("\n".join(lines) + "\n", "utf-8")
        errs = tmp_path / "invalid.jsonl"
        result = run("rules", "diff", "default", "default", "--cases", str(src), "--format", "json",
                     "--jobs", "1", "--errors", str(errs))  # fmt: skip
        assert result.exit_code == 1
        data = json.loads(result.stdout)
        assert (data["reports"], data["invalid"]) == (1, 2)
        records = [json.loads(x) for x in errs.read_text("utf-8").splitlines()]
        assert [(r["line"], r["code"]) for r in records] == [
            (2, "report-invalid"),
            (3, "report-invalid"),
        ]
        assert [p["path"] for p in records[0]["problems"]] == ["outcome"]
        assert records[0]["problems"][0]["code"] == "unknown-field"
        assert records[1]["problems"][0]["code"] == "invalid-json"
        assert "2 invalid reports" in result.stderr

    def test_all_invalid_is_never_a_success(self, tmp_path: Path) -> None:
        src = tmp_path / "in.jsonl"
        src.write_text('{"id": 1}\n{"id": 2}\n', "utf-8")
        result = run("rules", "diff", "default", "default", "--cases", str(src), "--jobs", "1")
        assert result.exit_code == 1
        assert "0 reports" in result.stdout and "2 invalid" in result.stdout
        assert result.stderr.count('"record": "rejected"') == 2


def test_flag_examples_say_who_gained_and_who_lost() -> None:
    from triage.explanation._tables import diff_text
    from triage.policytest._diff import DiffResult

    result = DiffResult(old={"id": "a", "version": "1", "sha256": "x"}, new=dict.fromkeys(
        ("id", "version", "sha256"), "b"))  # fmt: skip
    result.flags_gained["protection_order"] = 1
    result.flags_lost["protection_order"] = 1
    result.examples = {"flag+:protection_order": ["GAINED-1"], "flag-:protection_order": ["LOST-1"]}
    text = diff_text(result, "en")
    header = next(line for line in text.splitlines() if "gained by" in line)
    row = next(line for line in text.splitlines() if "protection_order" in line)
    cells = [c.strip() for c in row.split("│")]
    names = [c.strip() for c in header.split("┃")]
    assert cells[names.index("gained by")] == "GAINED-1"
    assert cells[names.index("lost by")] == "LOST-1"
