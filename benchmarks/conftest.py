"""Shared inputs: reports from the synthetic cohort, decided with the packaged default
policy and demonstration model, as the README's table is."""

from __future__ import annotations

import functools
import os
import platform
from typing import Any

import pytest

import triage
from triage.risk import cohort


@functools.cache
def reports() -> list[dict[str, Any]]:
    """2,000 cohort reports, made when a benchmark first asks (collecting makes none)."""
    return cohort.generate(2000, seed=99).reports


def percentiles(benchmark: Any) -> None:
    """Add p50 and p99 (in microseconds) of every measured round to the benchmark's record."""
    if benchmark.stats is None:  # run with --benchmark-disable: nothing was timed
        return
    data = sorted(benchmark.stats.stats.data)
    if data:
        benchmark.extra_info["p50_us"] = round(data[len(data) // 2] * 1e6, 1)
        benchmark.extra_info["p99_us"] = round(
            data[min(len(data) - 1, int(len(data) * 0.99))] * 1e6, 1
        )


def cycle(fn: Any, n: int) -> Any:
    """A function of no arguments that calls ``fn(i)`` for i = 0, 1, … n-1, 0, 1, …"""
    state = {"i": -1}

    def step() -> Any:
        state["i"] = (state["i"] + 1) % n
        return fn(state["i"])

    return step


def cpu_ticks() -> list[int] | None:
    """The machine's CPU time so far by kind, in clock ticks (Linux's /proc/stat: user,
    nice, system, idle, iowait, irq, softirq, steal, ...); None where there is none."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            fields = fh.readline().split()
    except OSError:
        return None
    return [int(x) for x in fields[1:]] if fields[:1] == ["cpu"] and len(fields) > 8 else None


def steal_share(before: list[int] | None, after: list[int] | None) -> float | None:
    """The share of CPU time the hypervisor gave to other machines between two readings
    of `cpu_ticks` (steal), in percent: on a virtual machine the timings move with it."""
    if before is None or after is None:
        return None
    spent = [b - a for a, b in zip(before[:8], after[:8], strict=True)]
    total = sum(spent)  # guest time is counted in user already
    return round(100 * spent[7] / total, 1) if total else None


@pytest.fixture(autouse=True)
def _record_steal(request: pytest.FixtureRequest) -> Any:
    """Every benchmark's record says how much CPU the machine lost to steal meanwhile."""
    before = cpu_ticks()
    yield
    benchmark = request.node.funcargs.get("benchmark")
    share = steal_share(before, cpu_ticks())
    if benchmark is not None and share is not None:
        benchmark.extra_info.setdefault("cpu_steal_pct", share)


@pytest.fixture(scope="session")
def default_triage() -> triage.Triage:
    t = triage.Triage()
    t.assess(reports()[0])  # the model is loaded on first use; keep that out of the timings
    return t


def pytest_report_header() -> str:
    cpus = os.cpu_count()
    cpu = platform.processor() or platform.machine()
    return f"machine: {cpu}, {cpus} CPUs, Python {platform.python_version()}"
