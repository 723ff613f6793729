"""Memory and threads over 1,000,000 evaluations of the policy (one world each), reported
in extra_info: growth of the resident set after warm-up, and the thread count.

The table of remembered matches is off, so every evaluation goes through the engine
(its own bound is tested in tests/rules/test_match_cache.py)."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import triage
from triage._pipeline import Prepared
from triage.rules import _evaluate

from .conftest import reports

EVALUATIONS = 1_000_000


def _rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


@pytest.mark.benchmark(group="memory: a million evaluations")
def test_memory_and_threads(
    benchmark: Any, default_triage: triage.Triage, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not Path("/proc/self/status").exists():
        pytest.skip("needs /proc")
    monkeypatch.setattr(_evaluate, "MATCH_CACHE", 0)
    runs = [default_triage._run(Prepared(r)) for r in reports()]
    work = [(run.evaluator, run.ctx, run.judgement) for run in runs]
    n = len(work)

    def million() -> tuple[int, int]:
        for i in range(100_000):  # warm-up: caches and allocator settle
            ev, ctx, judgement = work[i % n]
            ev.run(ctx, judgement, record=False)
        start = _rss_kib()
        for i in range(EVALUATIONS):
            ev, ctx, judgement = work[i % n]
            ev.run(ctx, judgement, record=False)
        return start, _rss_kib()

    start, end = benchmark.pedantic(million, rounds=1, iterations=1)
    benchmark.extra_info["rss_growth_kib"] = end - start
    benchmark.extra_info["rss_end_mib"] = round(end / 1024, 1)
    benchmark.extra_info["threads"] = threading.active_count()
    benchmark.extra_info["os_threads"] = len(list(Path("/proc/self/task").iterdir()))
