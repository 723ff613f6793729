"""Batch triage: every input accounted for, in order, files whole or absent, and an audit log."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import triage
from triage import DecisionLogError, Rejected
from triage._io._output import open_output
from triage.cli import cli
from triage.risk import cohort

from .conftest import default_signals
from .strategies import random_reports

MARK = "ZZSECRETZZ"


def fixed_clock() -> Any:
    from datetime import UTC, datetime

    return datetime(2026, 5, 1, tzinfo=UTC)


def undated(text: str) -> list[dict[str, Any]]:
    """The records of JSON Lines text, without the one field that varies (decided_at)."""
    return [
        {k: v for k, v in json.loads(x).items() if k != "decided_at"} for x in text.splitlines()
    ]


def mixed_lines(n: int) -> tuple[list[str], list[int]]:
    """JSON lines with bad ones among them; returns the lines and the bad ones' numbers."""
    lines, bad = [], []
    for i, report in enumerate(random_reports(n, seed=4)):
        lines.append(json.dumps(report))
        if i % 50 == 7:
            lines.append('{"id": "' + MARK + '", "source": "nowhere"}')
            bad.append(len(lines))
        if i % 70 == 3:
            lines.append("{not json " + MARK)
            bad.append(len(lines))
        if i % 90 == 5:
            lines.append("")
    return lines, bad


class TestAssessMany:
    def test_order_and_one_result_per_input(self) -> None:
        reports: list[Any] = random_reports(300, seed=2)
        reports.insert(17, {"id": MARK})
        reports.insert(40, json.dumps(random_reports(1, seed=9)[0]))
        t = triage.Triage(clock=fixed_clock)
        out = list(t.assess_many(reports))
        assert len(out) == len(reports)
        assert isinstance(out[17], Rejected) and out[17].index == 17
        assert out[17].code == "report-invalid" and MARK not in str(out[17].as_dict())
        serial = [t.assess(r).to_json() for i, r in enumerate(reports) if i not in (17, 40)]
        got = [d.to_json() for i, d in enumerate(out) if i not in (17, 40)]
        assert got == serial
        assert out[40].report_id == random_reports(1, seed=9)[0]["id"]

    def test_worker_processes_give_the_serial_results(self) -> None:
        reports = random_reports(600, seed=5)
        t = triage.Triage(clock=fixed_clock)
        serial = [d.model_dump(exclude={"decided_at"}) for d in t.assess_many(reports)]
        parallel = [d.model_dump(exclude={"decided_at"}) for d in t.assess_many(reports, jobs=2)]
        assert parallel == serial

    def test_memory_is_bounded(self) -> None:
        """The input is read only a few chunks ahead of the results."""
        read = {"n": 0}

        def source() -> Any:
            for r in random_reports(2000, seed=6):
                read["n"] += 1
                yield r

        t = triage.Triage(model=None)  # the window is the point, not the model
        results = t.assess_many(source(), jobs=2)
        next(results)
        assert read["n"] <= 2 * 2 * 200 + 200  # window of 2 x jobs chunks of 200
        results.close()


class TestEngineFailureMidBatch:
    def test_escalate_and_raise_both_account_for_every_report(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from triage.rules.engine import _durable

        reports = random_reports(120, seed=8)
        real = _durable._dre.assert_fact
        calls = {"n": 0}

        def flaky(handle: Any, fact: str) -> Any:
            calls["n"] += 1
            if 200 <= calls["n"] < 260:
                raise _durable._dre.error("Could not assert fact, error code: 303")
            return real(handle, fact)

        monkeypatch.setattr(_durable._dre, "assert_fact", flaky)
        monkeypatch.setattr("triage.rules._evaluate.MATCH_CACHE", 0)
        escalated = list(triage.Triage(on_error="escalate").assess_many(reports))
        assert len(escalated) == 120
        failed = [d for d in escalated if d.status == "engine_error"]
        assert failed and all(d.priority == "P1" for d in failed)
        assert all(not isinstance(d, Rejected) for d in escalated)
        calls["n"] = 0
        raised = list(triage.Triage(on_error="raise").assess_many(reports))
        assert len(raised) == 120
        rejected = [r for r in raised if isinstance(r, Rejected)]
        assert rejected and all(r.code == "engine-failure" for r in rejected)


@pytest.mark.parametrize("mode", ["escalate", "raise"])
def test_engine_failure_mid_batch_on_the_command_line(
    mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from triage.rules.engine import _durable

    reports = random_reports(60, seed=9)
    src = tmp_path / "in.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in reports), "utf-8")
    real = _durable._dre.assert_fact
    calls = {"n": 0}

    def flaky(handle: Any, fact: str) -> Any:
        calls["n"] += 1
        if 100 <= calls["n"] < 140:
            raise _durable._dre.error("Could not assert fact, error code: 303")
        return real(handle, fact)

    monkeypatch.setattr(_durable._dre, "assert_fact", flaky)
    monkeypatch.setattr("triage.rules._evaluate.MATCH_CACHE", 0)
    out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
    result = CliRunner().invoke(
        cli,
        ["batch", str(src), "-o", str(out), "--errors", str(err), "--on-error", mode],
        catch_exceptions=False,
    )
    decisions = [json.loads(x) for x in out.read_text("utf-8").splitlines()]
    errors = [json.loads(x) for x in err.read_text("utf-8").splitlines()]
    assert len(decisions) + len(errors) == 60
    if mode == "escalate":
        assert result.exit_code == 0 and not errors
        assert any(d["status"] == "engine_error" and d["priority"] == "P1" for d in decisions)
    else:
        assert result.exit_code == 1 and errors
        assert all(e["code"] == "engine-failure" for e in errors)
    ids = [d["report_id"] for d in decisions]
    assert ids == [r["id"] for i, r in enumerate(reports) if i not in {e["index"] for e in errors}]


class TestCommand:
    def test_every_line_accounted_for(self, tmp_path: Path) -> None:
        lines, bad = mixed_lines(200)
        src = tmp_path / "in.jsonl"
        src.write_text("\n".join(lines) + "\n", "utf-8")
        out, err = tmp_path / "out.jsonl", tmp_path / "err.jsonl"
        result = CliRunner().invoke(
            cli, ["batch", str(src), "-o", str(out), "--errors", str(err)], catch_exceptions=False
        )
        assert result.exit_code == 1  # some reports were rejected
        decisions = out.read_text("utf-8").splitlines()
        errors = [json.loads(x) for x in err.read_text("utf-8").splitlines()]
        blank = sum(1 for x in lines if not x.strip())
        assert len(decisions) + len(errors) + blank == len(lines)
        assert sorted(e["line"] for e in errors) == bad
        assert [json.loads(d)["report_id"] for d in decisions] == [
            r["id"] for r in random_reports(200, seed=4)
        ]
        assert MARK not in err.read_text("utf-8") and MARK not in result.output
        assert f"{len(lines)} lines: 200 decided" in result.output

    def test_standard_output_without_a_binary_buffer(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Decisions are written as UTF-8 bytes; where standard output is a text-only
        stand-in (an embedding application's), they go out as text, in input order with
        the rejections, and the same as in a file."""
        import io

        from triage.batch._run import run_batch

        lines, bad = mixed_lines(60)
        src = tmp_path / "in.jsonl"
        src.write_text("\n".join(lines) + "\n", "utf-8")
        out = tmp_path / "out.jsonl"
        run_batch(str(src), str(out), str(tmp_path / "err.jsonl"))
        stand_in = io.StringIO()
        monkeypatch.setattr(sys, "stdout", stand_in)
        run_batch(str(src), None, "-")
        records = undated(stand_in.getvalue())
        given = [n for n, x in enumerate(lines, start=1) if x.strip()]
        assert [r["line"] for r in records] == given
        assert [r["line"] for r in records if r.get("record") == "rejected"] == bad
        assert [r for r in records if "record" not in r] == undated(out.read_text("utf-8"))

    def test_two_jobs_same_output(self, tmp_path: Path) -> None:
        lines, _ = mixed_lines(300)
        src = tmp_path / "in.jsonl"
        src.write_text("\n".join(lines) + "\n", "utf-8")
        outputs = []
        for jobs in ("1", "2"):
            out = tmp_path / f"out{jobs}.jsonl"
            CliRunner().invoke(
                cli,
                [
                    "batch",
                    str(src),
                    "-o",
                    str(out),
                    "--errors",
                    str(tmp_path / f"err{jobs}.jsonl"),
                    "--jobs",
                    jobs,
                ],
                catch_exceptions=False,
            )
            outputs.append(undated(out.read_text("utf-8")))
        assert outputs[0] == outputs[1]
        assert (tmp_path / "err1.jsonl").read_text() == (tmp_path / "err2.jsonl").read_text()

    @pytest.mark.parametrize(
        ("verify", "said"),
        [
            ("1%", "1% of decisions (by report id) checked by durable-rules"),
            ("load", "rules checked by durable-rules at start only"),
            ("always", "every decision checked by durable-rules"),
        ],
    )
    def test_verification_is_chosen_and_stated(
        self, tmp_path: Path, verify: str, said: str
    ) -> None:
        """Sampled or load-time checking gives the same decisions; the summary and the
        decision log's run record say how they were checked."""
        lines, _ = mixed_lines(200)
        src = tmp_path / "in.jsonl"
        src.write_text("\n".join(lines) + "\n", "utf-8")
        out, log = tmp_path / f"out-{verify}.jsonl", tmp_path / "log.jsonl"
        result = CliRunner().invoke(
            cli,
            ["batch", str(src), "-o", str(out), "--errors", str(tmp_path / "e.jsonl"),
             "--verify", verify, "--decision-log", str(log)],
            catch_exceptions=False,
        )  # fmt: skip
        assert said in result.output
        started = json.loads(log.read_text("utf-8").splitlines()[0])
        assert started["event"] == "run_started" and started["verify"] == verify
        reference = tmp_path / "reference.jsonl"
        CliRunner().invoke(
            cli,
            ["batch", str(src), "-o", str(reference), "--errors", str(tmp_path / "e2.jsonl")],
            catch_exceptions=False,
        )  # fmt: skip

        assert undated(out.read_text("utf-8")) == undated(reference.read_text("utf-8"))

    def test_a_bad_verify_setting_is_a_usage_error(self, tmp_path: Path) -> None:
        src = tmp_path / "in.jsonl"
        src.write_text("", "utf-8")
        result = CliRunner().invoke(cli, ["batch", str(src), "--verify", "sometimes"])
        assert result.exit_code == 2
        assert "verify must be" in result.output

    def test_interrupted_run_leaves_no_output(self, tmp_path: Path) -> None:
        """A run stopped part way leaves neither a half-written output nor its temp file."""
        src = tmp_path / "in.jsonl"
        base = random_reports(500, seed=3)  # 20,000 with distinct ids
        src.write_text(
            "".join(
                json.dumps(dict(r, id=f"{r['id']}-{k}")) + "\n" for k in range(40) for r in base
            ),
            "utf-8",
        )
        out = tmp_path / "out.jsonl"
        proc = subprocess.Popen(
            [sys.executable, "-m", "triage", "batch", str(src), "-o", str(out), "--model", "none"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=default_signals,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait until it is writing
            if any(p.name.startswith(".out.jsonl.") for p in tmp_path.iterdir()):
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert not out.exists()
        assert sorted(p.name for p in tmp_path.iterdir()) == ["in.jsonl"]
        assert b"Traceback" not in stderr

    def test_stdin_to_stdout(self) -> None:
        reports = random_reports(5, seed=1)
        data = "".join(json.dumps(r) + "\n" for r in reports)
        result = CliRunner().invoke(cli, ["batch", "-"], input=data, catch_exceptions=False)
        assert result.exit_code == 0
        ids = [json.loads(x)["report_id"] for x in result.stdout.splitlines()]
        assert ids == [r["id"] for r in reports]


def test_atomic_writer_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    target = tmp_path / "f.txt"
    target.write_text("old", "utf-8")
    with pytest.raises(RuntimeError), open_output(target) as fh:
        fh.write("new, half")
        raise RuntimeError
    assert target.read_text("utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f.txt"]


class TestDecisionLog:
    def test_records_identify_without_content(self, tmp_path: Path) -> None:
        log = tmp_path / "decisions.log"
        report = {
            **random_reports(1, seed=3)[0],
            "narrative": MARK,
            "location": {"street": "xixiang", "community": MARK},
        }
        decision = triage.Triage(decision_log=log).assess(report)
        (line,) = log.read_text("utf-8").splitlines()
        record = json.loads(line)
        assert MARK not in line
        assert record["report_id"] == decision.report_id
        assert record["policy"]["sha256"] == decision.policy.sha256
        assert record["model"] == (decision.model.sha256 if decision.model else None)
        assert record["rules"] == [e.rule for e in decision.trace]
        assert (record["risk_level"], record["priority"], record["flags"]) == (
            decision.risk_level,
            decision.priority,
            list(decision.flags),
        )
        assert set(record) == {
            "report_id",
            "reported_at",
            "decided_at",
            "library_version",
            "policy",
            "model",
            "status",
            "risk_level",
            "risk_level_max",
            "priority",
            "flags",
            "lead",
            "rules",
        }

    def test_callable(self) -> None:
        got: list[dict[str, Any]] = []
        triage.Triage(decision_log=got.append).assess(random_reports(1, seed=1)[0])
        assert len(got) == 1 and got[0]["report_id"] == random_reports(1, seed=1)[0]["id"]

    def test_threads_and_processes_append_whole_lines(self, tmp_path: Path) -> None:
        log = tmp_path / "decisions.log"
        reports = random_reports(80, seed=7)
        t = triage.Triage(decision_log=log, model=None)
        threads = [
            threading.Thread(target=lambda: [t.assess(r) for r in reports]) for _ in range(4)
        ]
        for th in threads:
            th.start()
        ctx = multiprocessing.get_context("spawn")
        procs = [ctx.Process(target=_log_from_process, args=(str(log), reports)) for _ in range(2)]
        for p in procs:
            p.start()
        for th in threads:
            th.join()
        for p in procs:
            p.join()
            assert p.exitcode == 0
        lines = log.read_text("utf-8").splitlines()
        assert len(lines) == 6 * 80
        ids = [json.loads(x)["report_id"] for x in lines]  # every line is whole JSON
        assert sorted(ids) == sorted([r["id"] for r in reports] * 6)

    def test_batch_logs_each_decision_once(self, tmp_path: Path) -> None:
        log = tmp_path / "d.log"
        reports = random_reports(50, seed=2)
        t = triage.Triage(decision_log=log)
        assert len(list(t.assess_many(reports, jobs=2))) == 50
        assert len(log.read_text("utf-8").splitlines()) == 50

    def test_unwritable_log_is_an_error_up_front(self, tmp_path: Path) -> None:
        with pytest.raises(DecisionLogError):
            triage.Triage(decision_log=tmp_path / "missing-dir" / "d.log")
        if os.geteuid() != 0:  # root may write anywhere
            locked = tmp_path / "ro.log"
            locked.write_text("")
            locked.chmod(0o400)
            with pytest.raises(DecisionLogError):
                triage.Triage(decision_log=locked)


def _log_from_process(path: str, reports: list[dict[str, Any]]) -> None:
    t = triage.Triage(decision_log=path, model=None)
    for r in reports:
        t.assess(r)


def test_cohort_batch_round_trip(tmp_path: Path) -> None:
    """Reports with an extra `outcome` field are rejected by batch (the contract is strict)."""
    path = tmp_path / "c.jsonl"
    cohort.write_jsonl(cohort.generate(3, seed=1), path)
    result = CliRunner().invoke(
        cli, ["batch", str(path), "--errors", str(tmp_path / "e.jsonl")], catch_exceptions=False
    )
    assert result.exit_code == 1
    errors = [json.loads(x) for x in (tmp_path / "e.jsonl").read_text().splitlines()]
    assert [p["path"] for e in errors for p in e["problems"]] == ["outcome"] * 3


_FORKED = """
import sys
import triage
from triage._parallel import _context
from triage.risk import cohort
from triage.rules import _load
from triage.rules._evaluate import Evaluator

assert _context().get_start_method() == "fork"
t = triage.Triage(verify="1%")  # compiled, and checked against durable-rules, here

def again(*args, **kwargs):
    raise AssertionError("compiled or checked again in a worker")

_load._compile = again
Evaluator.check_generated = again
reports = cohort.generate(450, seed=71).reports
out = list(t.assess_many(reports, jobs=2))
assert [d.report_id for d in out] == [r["id"] for r in reports]
assert all(d.status == "ok" for d in out)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="no fork")
def test_forked_workers_find_the_policy_compiled_and_checked() -> None:
    """A process without other threads (the command line) forks its workers after it
    has loaded the policy: they use what it compiled and checked, and compile and check
    nothing again (each did both from the policy's bytes before). Run in a process of
    its own, which has no other thread."""
    done = subprocess.run(
        [sys.executable, "-c", _FORKED], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_a_worker_freezes_what_survives_every_so_many_decisions(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tables decisions share grow in a worker as reports come; every
    `FREEZE_EVERY` decisions what survived is moved out of the collector's way, so no
    full collection has to walk it."""
    from triage import _many, _parallel

    frozen = []
    monkeypatch.setattr(_parallel, "FREEZE_EVERY", 10)
    monkeypatch.setattr(_parallel, "freeze_survivors", lambda: frozen.append(1))
    monkeypatch.setitem(_many._WORKER, "decider", triage.Triage())
    monkeypatch.setitem(_many._WORKER, "survivors", _parallel.Survivors())
    reports = cohort.generate(24, seed=72).reports
    for start in range(0, 24, 4):
        chunk = [(i, i + 1, None, r) for i, r in enumerate(reports[start : start + 4], start)]
        _many._work((chunk, True, False))
    assert len(frozen) == 2  # on passing 10 and 20 decisions
