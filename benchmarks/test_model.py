"""What the risk model adds to a decision: the direct scorer against scikit-learn's own
single-row ``predict_proba`` (the baseline), and `assess` with and without the model.

Run with ``make bench``; the groups put each baseline beside what it is compared with.
"""

from __future__ import annotations

from typing import Any

import pytest

import triage
from triage.report._normalise import normalise
from triage.risk import cohort
from triage.risk.model import _model as m

REPORTS = cohort.generate(400, seed=99).reports
VALID = [triage.validate_report(r) for r in REPORTS]
ANSWERS = [normalise(r) for r in VALID]


def _cycle(fn: Any) -> Any:
    state = {"i": 0}

    def step() -> Any:
        i = state["i"] = (state["i"] + 1) % len(VALID)
        return fn(i)

    return step


@pytest.fixture(scope="module", name="boosted")
def _boosted() -> m.RiskModel:
    data = cohort.generate(8000, seed=5)
    return m.train(data.reports, data.outcomes, kinds=("boosted",), holdout=0, seed=5)


@pytest.mark.benchmark(group="model: one report")
def test_direct_logistic(benchmark: Any) -> None:
    model = m.demo_model()
    benchmark(_cycle(lambda i: model.predict(VALID[i], ANSWERS[i])))


@pytest.mark.benchmark(group="model: one report")
def test_direct_boosted(benchmark: Any, boosted: m.RiskModel) -> None:
    benchmark(_cycle(lambda i: boosted.predict(VALID[i], ANSWERS[i])))


@pytest.mark.benchmark(group="model: one report")
def test_baseline_sklearn_predict_proba_logistic(benchmark: Any) -> None:
    model = m.demo_model()
    rows = [model.features.row(r).reshape(1, -1) for r in VALID]
    benchmark(_cycle(lambda i: model.estimator.predict_proba(rows[i])))


@pytest.mark.benchmark(group="model: one report")
def test_baseline_sklearn_predict_proba_boosted(benchmark: Any, boosted: m.RiskModel) -> None:
    rows = [boosted.features.row(r).reshape(1, -1) for r in VALID]
    benchmark(_cycle(lambda i: boosted.estimator.predict_proba(rows[i])))


@pytest.mark.benchmark(group="assess: with and without the model")
def test_assess_with_model(benchmark: Any) -> None:
    t = triage.Triage()
    benchmark(_cycle(lambda i: t.assess(VALID[i])))


@pytest.mark.benchmark(group="assess: with and without the model")
def test_assess_without_model(benchmark: Any) -> None:
    t = triage.Triage(model=None)
    benchmark(_cycle(lambda i: t.assess(VALID[i])))
