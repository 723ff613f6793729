"""`assess` for one report, end to end and stage by stage (p50 and p99 in extra_info)."""

from __future__ import annotations

import functools
import gc
import time
from typing import Any

import pytest

import triage
from triage._pipeline import Prepared
from triage.report._normalise import normalise
from triage.risk import cohort
from triage.risk._score import score_all
from triage.routing._plan import build_plan
from triage.rules import _evaluate

from .conftest import cycle, percentiles, reports
from .instructions import cases as stored_cases


@functools.cache
def _valid() -> list[Any]:
    return [triage.validate_report(r) for r in reports()]


@functools.cache
def _answers() -> list[Any]:
    return [normalise(v) for v in _valid()]


# A report not decided before in every round, as at intake: the engine's remembered
# matches then help only where different reports give a ruleset the same facts. Each
# mode gets reports of its own, so none benefits from another's remembered matches.
MODES = {
    "durable-only": ({"engine": "durable"}, 200),
    "verify-always": ({"verify": "always"}, 300),
    "verify-load": ({"verify": "load"}, 400),
    "verify-always-json": ({"verify": "always"}, 600),  # and the decision's JSON
}


def forget_matches() -> None:
    for table in list(_evaluate._MATCHES.values()):
        table.clear()


@pytest.mark.benchmark(group="assess: one report")
def test_assess(benchmark: Any) -> None:
    """durable-rules alone (the baseline), the generated rules checked by it on every
    decision or at load, and a decision checked on every decision with its JSON, each on
    6,000 reports it has not seen, interleaved in blocks of 50 so that each meets the same
    machine. The collector's long-lived objects are frozen after warm-up, as a running
    service does. The benchmark's own timing is of the generated rules checked at load;
    each mode's p50 and p99 are in extra_info."""
    pipelines, fresh = {}, {}
    for mode, (options, seed) in MODES.items():
        t = pipelines[mode] = triage.Triage(**options)  # type: ignore[arg-type]
        for r in cohort.generate(300, seed=seed + 1).reports:
            t.assess(r)  # the model and engine loaded, outside the timings
        fresh[mode] = cohort.generate(6_000, seed=seed).reports
    forget_matches()
    gc.collect()
    gc.freeze()
    times: dict[str, list[float]] = {mode: [] for mode in MODES}
    for block in range(0, 6_000, 50):
        for mode, t in pipelines.items():
            decide = _with_json(t) if mode.endswith("-json") else t.assess
            for r in fresh[mode][block : block + 50]:
                start = time.perf_counter()
                decide(r)
                times[mode].append(time.perf_counter() - start)
    gc.unfreeze()
    for mode, data in times.items():
        data.sort()
        benchmark.extra_info[f"{mode}_p50_us"] = round(data[len(data) // 2] * 1e6, 1)
        benchmark.extra_info[f"{mode}_p99_us"] = round(data[int(len(data) * 0.99)] * 1e6, 1)
    load = pipelines["verify-load"]
    more = cohort.generate(2_000, seed=500).reports
    benchmark.pedantic(cycle(lambda i: load.assess(more[i]), len(more)), rounds=2_000)


def _with_json(t: triage.Triage) -> Any:
    def decide(report: dict[str, Any]) -> str:
        return t.assess(report).to_json()

    return decide


@pytest.mark.benchmark(group="assess: stages")
def test_stage_validate_and_normalise(benchmark: Any) -> None:
    rs = reports()
    benchmark(cycle(lambda i: Prepared(rs[i]), len(rs)))


@pytest.mark.benchmark(group="assess: stages")
def test_stage_instruments(benchmark: Any, default_triage: triage.Triage) -> None:
    options = default_triage.policy.meta.instrument_options
    valid, answers = _valid(), _answers()
    benchmark(cycle(lambda i: score_all(valid[i], answers[i], options), len(valid)))


@pytest.mark.benchmark(group="assess: stages")
def test_stage_model(benchmark: Any, default_triage: triage.Triage) -> None:
    model = default_triage.model()
    assert model is not None
    valid, answers = _valid(), _answers()
    benchmark(cycle(lambda i: model.predict(valid[i], answers[i]), len(valid)))


@pytest.mark.benchmark(group="assess: stages")
def test_stage_rules_both_worlds(benchmark: Any, default_triage: triage.Triage) -> None:
    """Both worlds as `Triage._run` makes them: instruments, model and rules, on the answers
    as given and with every unknown as yes, and the trace made as each stratum ends."""
    prepared = [Prepared(v) for v in _valid()]
    forget_matches()

    def run(i: int) -> Any:
        p = prepared[i]
        p.matched.clear()
        return default_triage._run(p)

    benchmark(cycle(run, len(prepared)))


@pytest.mark.benchmark(group="assess: stages")
def test_stage_routing(benchmark: Any, default_triage: triage.Triage) -> None:
    valid = _valid()
    runs = [default_triage._run(v) for v in valid]
    policy = default_triage.policy

    def plan(i: int) -> Any:
        run = runs[i]
        assert run.world is not None
        return build_plan(policy, valid[i], run.evaluator.rules_fired(run.world), run.world.level)

    benchmark(cycle(plan, len(valid)))


@pytest.mark.benchmark(group="assess: stages")
def test_stage_trace_and_gaps(benchmark: Any, default_triage: triage.Triage) -> None:
    runs = [default_triage._run(v) for v in _valid()]
    for run in runs:
        assert run.world is not None
        run.world.entries = None  # the trace built here, not the one each run made

    def explain(i: int) -> Any:
        run = runs[i]
        assert run.world is not None
        gaps = run.evaluator.gaps(run.world, run.maxw, run.ctx) if run.maxw else []
        return run.evaluator.trace(run.world), gaps

    benchmark(cycle(explain, len(runs)))


def _cases(n_cases: int, earlier: int) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Cases of ``earlier`` stored reports each (JSON decisions, as an intake system keeps
    them) and one new report to decide, none of them seen by the benchmark before (the
    same cases `benchmarks/instructions.py --history` counts instructions on)."""
    return stored_cases(triage.Triage(), n_cases, earlier, "B", seed=101)


@pytest.mark.benchmark(group="assess: one report")
def test_assess_with_a_history_of_20(benchmark: Any, default_triage: triage.Triage) -> None:
    """A report with its case's 20 earlier reports beside the same kind of report alone,
    taken in turn, each decided once and never seen before (default Triage)."""
    cases = _cases(400, 20)
    alone = [new for new, _ in cases[:200]]
    with_history = cases[200:]
    forget_matches()
    times: dict[str, list[float]] = {"alone": [], "history": []}
    gc.collect()
    gc.freeze()
    # One of each in turn: this machine's speed drifts by a fifth within a minute, and
    # blocks of either kind measured the drift as much as the history.
    for r, (new, h) in zip(alone, with_history, strict=True):
        start = time.perf_counter()
        default_triage.assess(r)
        times["alone"].append(time.perf_counter() - start)
        start = time.perf_counter()
        default_triage.assess(new, history=h)
        times["history"].append(time.perf_counter() - start)
    gc.unfreeze()
    p50 = {}
    for kind, data in times.items():
        data.sort()
        p50[kind] = data[len(data) // 2]
        benchmark.extra_info[f"{kind}_p50_us"] = round(p50[kind] * 1e6, 1)
    benchmark.extra_info["ratio"] = round(p50["history"] / p50["alone"], 2)
    benchmark.pedantic(
        cycle(lambda i: default_triage.assess(cases[i][0], history=cases[i][1]), len(cases)),
        rounds=400,
    )
    percentiles(benchmark)
