"""Shared test set-up: hypothesis profiles and common fixtures."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

# Two test processes share two cores (make test): numeric libraries' own thread pools
# would only contend with the other one and with the processes tests start. Set before
# anything loads numpy; subprocesses inherit it.
for _pool in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_pool, "1")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# Property tests take their number of examples from the profile, never pinned:
# "ci" for `make test`, "full" for `make test-all` (HYPOTHESIS_PROFILE=full), "fast"
# for a quick local run (FAST=1).
settings.register_profile(
    "ci", max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "full", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("fast", max_examples=25, deadline=None)
settings.load_profile(
    "fast" if os.environ.get("FAST") == "1" else os.environ.get("HYPOTHESIS_PROFILE", "ci")
)


def example_reports() -> list[tuple[str, dict[str, object]]]:
    return [
        (path.stem, json.loads(path.read_text("utf-8")))
        for path in sorted((EXAMPLES / "reports").glob("*.json"))
    ]


def example_case() -> list[dict[str, object]]:
    """The example case: a family reported by a grid worker, then by 110, then visited."""
    path = EXAMPLES / "case_xinan" / "reports.jsonl"
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line]


@pytest.fixture(name="minimal_report")
def _minimal_report() -> dict[str, object]:
    return {
        "id": "T-1",
        "reported_at": "2026-03-02T21:15:00+08:00",
        "source": "police_110",
        "case_type": "domestic_violence",
    }


def wait_for_more(seen: list[Any], seconds: float = 30) -> None:
    """Until another item is appended to ``seen`` by another thread: a reload under load
    as fast as the decisions, or faster, would otherwise leave a version unused."""
    start = len(seen)
    deadline = time.monotonic() + seconds
    while len(seen) == start and time.monotonic() < deadline:
        time.sleep(0.001)


def default_signals() -> None:
    """For a child process (``preexec_fn``): the signal handling a user's shell gives it.

    A test run started in the background inherits SIGINT as ignored, and Python keeps
    an ignored SIGINT ignored; a test that interrupts a child must not depend on that.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
