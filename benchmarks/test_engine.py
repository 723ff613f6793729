"""The rules stage against durable-rules used the naive way and against its C floor.

All three evaluate the same compiled policy on the same reports, one world each:

- library: `Evaluator.run` with durable-rules alone (facts built from the report, the C
  core driven directly), as used, remembering each ruleset's matches under the values
  of the facts it reads, on reports not seen before (each round a new one); and with
  that table off, so every ruleset asks the engine;
- generated Python: the same rules compiled to Python, alone and checked by
  durable-rules on every evaluation (unseen reports too);
- naive: the same rulesets in durable's ``Host`` with a Python action per rule, the
  fact dict asserted and retracted through the Host API (it also re-parses the fact,
  a few microseconds, because it is handed the same encoded fact);
- floor: the C calls alone (assert, drain the matched rules, retract) on facts
  encoded beforehand: no Python work besides the calls.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

import triage
from benchmarks.naive_host import NaiveHost
from triage._pipeline import Prepared
from triage.risk import cohort
from triage.rules import _evaluate
from triage.rules._evaluate import Evaluator

from .conftest import cycle, reports

N = 1000


@pytest.fixture(scope="module")
def contexts(default_triage: triage.Triage) -> list[Any]:
    runs = [default_triage._run(Prepared(r)) for r in reports()[:N]]
    return [(run.ctx, run.judgement, run.maxw.level if run.maxw else None) for run in runs]


class _Naive(Evaluator):
    def __init__(self, policy: Any, host: NaiveHost) -> None:
        super().__init__(policy)
        self.host = host

    def _fire(self, engine: Any, stratum: int, fact_json: str, values: dict[str, Any]) -> Any:
        return self.host.fire(stratum, json.loads(fact_json))


class _Recorder(Evaluator):
    """Keeps every stratum's encoded fact, to replay them against the C core alone."""

    def __init__(self, policy: Any) -> None:
        super().__init__(policy)
        self.facts: list[tuple[int, str]] = []

    def _fire(self, engine: Any, stratum: int, fact_json: str, values: dict[str, Any]) -> Any:
        self.facts.append((stratum, fact_json))
        return super()._fire(engine, stratum, fact_json, values)


def _run(benchmark: Any, ev: Evaluator, contexts: list[Any]) -> None:
    """One world per round, the reports in turn."""
    benchmark(
        cycle(
            lambda i: ev.run(
                contexts[i][0], contexts[i][1], level_max=contexts[i][2], record=False
            ),
            N,
        )
    )


@pytest.fixture(scope="module")
def unseen(default_triage: triage.Triage) -> list[Any]:
    """Contexts of reports no benchmark has decided (one per round, never repeated)."""
    reports = cohort.generate(UNSEEN, seed=404).reports
    runs = [default_triage._run(Prepared(r)) for r in reports]
    return [(run.ctx, run.judgement, run.maxw.level if run.maxw else None) for run in runs]


def _run_unseen(benchmark: Any, ev: Evaluator, unseen: list[Any]) -> None:
    for table in list(_evaluate._MATCHES.values()):
        table.clear()
    for ctx, judgement, level_max in unseen[:WARM]:  # as a running service has
        ev.run(ctx, judgement, level_max=level_max, record=False)
    benchmark.pedantic(
        cycle(
            lambda i: ev.run(
                unseen[WARM + i][0], unseen[WARM + i][1], level_max=unseen[WARM + i][2],
                record=False,
            ),
            UNSEEN - WARM,
        ),
        rounds=UNSEEN - WARM,
        warmup_rounds=0,
    )  # fmt: skip


UNSEEN, WARM = 6_000, 1_000


@pytest.mark.benchmark(group="rules stage: one world, one report")
def test_library(benchmark: Any, default_triage: triage.Triage, unseen: list[Any]) -> None:
    _run_unseen(benchmark, Evaluator(default_triage.policy, engine="durable"), unseen)


@pytest.mark.benchmark(group="rules stage: one world, one report")
def test_generated_python(benchmark: Any, default_triage: triage.Triage, unseen: list[Any]) -> None:
    _run_unseen(benchmark, Evaluator(default_triage.policy, verify="load"), unseen)


@pytest.mark.benchmark(group="rules stage: one world, one report")
def test_generated_python_checked(
    benchmark: Any, default_triage: triage.Triage, unseen: list[Any]
) -> None:
    _run_unseen(benchmark, Evaluator(default_triage.policy, verify="always"), unseen)


@pytest.mark.benchmark(group="rules stage: one world, one report")
def test_library_engine_every_time(
    benchmark: Any,
    default_triage: triage.Triage,
    contexts: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_evaluate, "MATCH_CACHE", 0)
    _run(benchmark, Evaluator(default_triage.policy, engine="durable"), contexts)


@pytest.mark.benchmark(group="rules stage: one world, one report")
def test_baseline_naive_host(
    benchmark: Any, default_triage: triage.Triage, contexts: list[Any]
) -> None:
    host = NaiveHost(default_triage.policy.layout)
    ev = _Naive(default_triage.policy, host)
    try:
        reference = Evaluator(default_triage.policy)
        for ctx, judgement, level_max in contexts[:50]:  # the same answers, or no comparison
            assert (
                ev.run(ctx, judgement, level_max=level_max).fired
                == reference.run(ctx, judgement, level_max=level_max).fired
            )
        _run(benchmark, ev, contexts)
    finally:
        host.close()


@pytest.mark.benchmark(group="rules stage: one world, one report")
def test_floor_c_calls_only(
    benchmark: Any,
    default_triage: triage.Triage,
    contexts: list[Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The engine calls the library makes when it asks every ruleset (no remembered
    matches), replayed on facts encoded beforehand."""
    monkeypatch.setattr(_evaluate, "MATCH_CACHE", 0)
    ev = Evaluator(default_triage.policy, engine="durable")
    engine = default_triage.policy.engine()
    real = engine.fire_ruleset
    per_report: list[list[tuple[int, int, str]]] = []

    def recording(stratum: int, k: int, fact: str) -> Any:
        per_report[-1].append((stratum, k, fact))
        return real(stratum, k, fact)

    monkeypatch.setattr(engine, "fire_ruleset", recording)
    for ctx, judgement, level_max in contexts:
        per_report.append([])
        ev.run(ctx, judgement, level_max=level_max, record=False)
    monkeypatch.setattr(engine, "fire_ruleset", real)

    def replay(i: int) -> None:
        for stratum, k, fact in per_report[i]:
            real(stratum, k, fact)

    benchmark(cycle(replay, N))
