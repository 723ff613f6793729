"""What the risk model adds to a decision: the direct scorer against scikit-learn's own
single-row ``predict_proba`` (the baseline), and `assess` with and without the model.

Run with ``make bench``; the groups put each baseline beside what it is compared with.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest

import triage
from triage.report._normalise import normalise
from triage.risk import cohort
from triage.risk.model import _model as m


@functools.cache
def _valid() -> list[Any]:
    return [triage.validate_report(r) for r in cohort.generate(400, seed=99).reports]


@functools.cache
def _answers() -> list[Any]:
    return [normalise(r) for r in _valid()]


def _cycle(fn: Any) -> Any:
    state = {"i": 0}

    def step() -> Any:
        i = state["i"] = (state["i"] + 1) % len(_valid())
        return fn(i)

    return step


@pytest.fixture(scope="module", name="boosted")
def _boosted() -> m.RiskModel:
    data = cohort.generate(8000, seed=5)
    return m.train(data.reports, data.outcomes, kinds=("boosted",), holdout=0, seed=5)


@pytest.mark.benchmark(group="model: one report")
def test_direct_logistic(benchmark: Any) -> None:
    model = m.demo_model()
    benchmark(_cycle(lambda i: model.predict(_valid()[i], _answers()[i])))


@pytest.mark.benchmark(group="model: one report")
def test_direct_boosted(benchmark: Any, boosted: m.RiskModel) -> None:
    benchmark(_cycle(lambda i: boosted.predict(_valid()[i], _answers()[i])))


@pytest.mark.benchmark(group="model: one report")
def test_baseline_sklearn_predict_proba_logistic(benchmark: Any) -> None:
    model = m.demo_model()
    rows = [model.features.row(r).reshape(1, -1) for r in _valid()]
    benchmark(_cycle(lambda i: model.estimator.predict_proba(rows[i])))


@pytest.mark.benchmark(group="model: one report")
def test_baseline_sklearn_predict_proba_boosted(benchmark: Any, boosted: m.RiskModel) -> None:
    rows = [boosted.features.row(r).reshape(1, -1) for r in _valid()]
    benchmark(_cycle(lambda i: boosted.estimator.predict_proba(rows[i])))


@pytest.mark.benchmark(group="assess: with and without the model")
def test_assess_with_model(benchmark: Any) -> None:
    t = triage.Triage()
    benchmark(_cycle(lambda i: t.assess(_valid()[i])))


@pytest.mark.benchmark(group="assess: with and without the model")
def test_assess_without_model(benchmark: Any) -> None:
    t = triage.Triage(model=None)
    benchmark(_cycle(lambda i: t.assess(_valid()[i])))
