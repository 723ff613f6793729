"""Batch throughput: 12,000 reports from a JSON Lines file, with 1 and 2 worker processes,
every decision checked by durable-rules or 1% of them (reports per second in extra_info;
process start-up included)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from triage.batch._run import run_batch
from triage.risk import cohort

COUNT = 12_000


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """12,000 distinct reports: each run decides reports its process has not seen."""
    path = tmp_path_factory.mktemp("batch") / "reports.jsonl"
    reports = cohort.generate(COUNT, seed=303).reports
    path.write_text("".join(json.dumps(r) + "\n" for r in reports), "utf-8")
    return path


@pytest.mark.parametrize(("jobs", "verify"), [(1, "always"), (2, "always"), (1, "1%"), (2, "1%")])
@pytest.mark.benchmark(group="batch: 12,000 reports")
def test_batch(benchmark: Any, archive: Path, tmp_path: Path, jobs: int, verify: str) -> None:
    out = tmp_path / "out.jsonl"

    def run() -> Any:
        return run_batch(
            str(archive), str(out), str(tmp_path / "err.jsonl"), jobs=jobs, verify=verify
        )

    summary = benchmark.pedantic(run, rounds=2, iterations=1)
    assert summary.decided == COUNT
    benchmark.extra_info["reports_per_s"] = round(COUNT / benchmark.stats.stats.median)
