"""Batch throughput: 12,000 reports from a JSON Lines file, every decision checked by
durable-rules or 1% of them, with 1 and 2 worker processes taking turns (reports per
second and their ratio in extra_info; process start-up included)."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from triage.batch._run import run_batch
from triage.risk import cohort

COUNT = 12_000
TURNS = 3


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12,000 distinct reports: each run decides reports its process has not seen."""
    path = tmp_path_factory.mktemp("batch") / "reports.jsonl"
    reports = cohort.generate(COUNT, seed=303).reports
    path.write_text("".join(json.dumps(r) + "\n" for r in reports), "utf-8")
    return path


@pytest.mark.parametrize("verify", ["always", "1%"])
@pytest.mark.benchmark(group="batch: 12,000 reports")
def test_batch(benchmark: Any, archive: Path, tmp_path: Path, verify: str) -> None:
    """One process and two take turns, three runs each: this machine's speed drifts
    within minutes, and runs of each kind minutes apart measured the drift in the
    ratio as much as the second process."""
    seconds: dict[int, list[float]] = {1: [], 2: []}
    for _ in range(TURNS):
        for jobs in seconds:
            start = time.perf_counter()
            summary = run_batch(
                str(archive),
                str(tmp_path / "out.jsonl"),
                str(tmp_path / "err.jsonl"),
                jobs=jobs,
                verify=verify,
            )
            seconds[jobs].append(time.perf_counter() - start)
            assert summary.decided == COUNT
    rate = {jobs: COUNT / statistics.median(runs) for jobs, runs in seconds.items()}
    benchmark.extra_info.update(
        one_process_reports_per_s=round(rate[1]),
        two_processes_reports_per_s=round(rate[2]),
        ratio=round(rate[2] / rate[1], 2),
    )
    benchmark.pedantic(lambda: None, rounds=1)
