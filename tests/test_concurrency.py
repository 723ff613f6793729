"""Many threads, two policies at once, and policy reloads under load: every decision is
exactly the serial one for the policy version it names."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import triage
from triage.rules import DEFAULT_POLICY

from .conftest import EXAMPLES, wait_for_more
from .strategies import random_reports

ENGLAND = EXAMPLES / "policies" / "england_marac.yaml"


def _clock() -> datetime:
    return datetime(2026, 5, 1, tzinfo=UTC)


def _run_threads(n: int, work: Any) -> list[BaseException]:
    errors: list[BaseException] = []

    def guarded(k: int) -> None:
        try:
            work(k)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(k,)) for k in range(n)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return errors


@pytest.mark.parametrize("n", [96, pytest.param(400, marks=pytest.mark.slow)])
def test_sixteen_threads_two_policies_equal_serial(n: int) -> None:
    pipelines = [triage.Triage(clock=_clock), triage.Triage(ENGLAND, clock=_clock)]
    reports = random_reports(n, seed=31)
    stream = [(i % 2, r) for i, r in enumerate(reports)]
    serial = [pipelines[p].assess(r).to_json() for p, r in stream]
    results: list[list[str]] = [[] for _ in range(16)]

    def work(k: int) -> None:
        offset = k * (n // 16)
        order = stream[offset:] + stream[:offset]
        results[k] = [pipelines[p].assess(r).to_json() for p, r in order]

    assert _run_threads(16, work) == []
    for k in range(16):
        offset = k * (n // 16)
        assert results[k] == serial[offset:] + serial[:offset]


def test_reload_under_load_never_mixes_versions() -> None:
    text = Path(DEFAULT_POLICY).read_text("utf-8")
    lowered = text.replace(
        '{history.reports_12m: {">=": 3}}', '{history.reports_12m: {">=": 2}}'
    ).encode()
    versions = [text.encode(), lowered]
    references = {}
    reports = random_reports(150, seed=32)
    for source in versions:
        ref = triage.Triage(source, clock=_clock)
        references[ref.policy.sha256] = {r["id"]: ref.assess(r).to_json() for r in reports}
    assert len(references) == 2
    shared = triage.Triage(versions[0], clock=_clock)
    stop = threading.Event()
    seen: list[tuple[str, str, str]] = []
    lock = threading.Lock()

    def work(k: int) -> None:
        if k == 0:  # the reloader: each version decides some reports before the next
            for i in range(12):
                wait_for_more(seen)
                shared.reload(versions[(i + 1) % 2])
            wait_for_more(seen)
            stop.set()
            return
        while not stop.is_set():
            for r in reports[k::7]:
                d = shared.assess(r)
                with lock:
                    seen.append((d.policy.sha256, r["id"], d.to_json()))

    assert _run_threads(8, work) == []
    assert {sha for sha, _, _ in seen} == set(references)  # both versions were used
    for sha, rid, out in seen:
        assert out == references[sha][rid]
