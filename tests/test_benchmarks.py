"""The benchmarks are not run by `make test` (they take minutes and timings belong there,
not here), but they must still import and be collected, so they cannot rot unseen."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_benchmarks_are_collected() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "benchmarks"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    collected = [line for line in done.stdout.splitlines() if "::test_" in line]
    names = {line.split("::")[1].split("[")[0] for line in collected}
    # every measure the README's table reports
    spec = importlib.util.spec_from_file_location("bench_report", ROOT / "benchmarks" / "report.py")
    assert spec is not None and spec.loader is not None
    report = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(report)
    assert {name.split("[")[0] for name in report.TARGETS} <= names


@pytest.mark.parametrize("history", ["0", "3"])
def test_the_counted_process_decides_with_the_load_check_bounded_by_facts(history: str) -> None:
    """`benchmarks/instructions.py` (run under valgrind by hand) replaces the load-time
    check's defaults to make it count the same every run: its measured process must
    still decide, alone and with a case history, and the check must still take (facts,
    seconds) as its two defaults."""
    import inspect

    from triage.rules._evaluate import LOAD_CHECK_FACTS, Evaluator

    params = list(inspect.signature(Evaluator.check_generated).parameters.values())[1:]
    assert [p.name for p in params] == ["n", "seconds"]
    assert params[0].default == LOAD_CHECK_FACTS
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "benchmarks" / "instructions.py"),
            "--child",
            "load",
            "5",
            "1",
            history,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
