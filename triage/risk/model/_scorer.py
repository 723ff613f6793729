"""The fitted model's function, computed directly for one report.

A single-row ``predict_proba`` costs tens of microseconds in scikit-learn's input
checks alone; a decision needs one prediction in a few. The scorer reads the
fitted parameters once (coefficients, or the trees' nodes) and evaluates them
on the sparse row of one report. Tests hold it equal to ``predict_proba``.

Contributions, summed per report item: for a linear model, each active column's
coefficient times its value (in log-odds, after calibration); for trees, the
change in each tree's expected value along the path a report takes, credited
to the split's column (Saabas' path attribution), weighted by the training
counts at each node.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._trees import TreeScorer

__all__ = ["LinearScorer", "scorer_for"]


class LinearScorer:
    """``a * (w . x + c) + b`` on a sparse row."""

    def __init__(
        self, coef: Sequence[float], intercept: float, a: float, b: float, factors: Sequence[int]
    ) -> None:
        self.weights = [float(w) for w in coef]
        self.intercept = float(intercept)
        self.a, self.b = float(a), float(b)
        self._factor_of = [int(f) for f in factors]
        self.n_factors = max(self._factor_of) + 1

    def logit(self, active: list[tuple[int, float]]) -> float:
        w = self.weights
        raw = self.intercept
        for j, value in active:
            raw += w[j] * value
        return self.a * raw + self.b

    def explain_pair(
        self, active: list[tuple[int, float]], maxed: list[tuple[int, float]]
    ) -> tuple[float, list[float], float]:
        logit, by_factor = self.explain(active)
        return logit, by_factor, (logit if maxed == active else self.logit(maxed))

    def explain(self, active: list[tuple[int, float]]) -> tuple[float, list[float]]:
        """The logit, and what each factor adds to it (summed in the row's order, as
        ``np.bincount`` would: the same floats, without numpy's per-call cost)."""
        w, a, factor_of = self.weights, self.a, self._factor_of
        totals = [0.0] * self.n_factors
        for j, value in active:
            totals[factor_of[j]] += a * w[j] * value
        return self.logit(active), totals


def scorer_for(model: Any, factors: Sequence[int]) -> LinearScorer | TreeScorer:
    """The direct scorer of a fitted, calibrated model (`PlattCalibrated`); ``factors``
    numbers each column's report item, for explanations."""
    from .._estimators import MonotoneLogisticRegression  # deferred: imports scikit-learn

    inner = model.estimator_
    if isinstance(inner, MonotoneLogisticRegression):
        return LinearScorer(inner.coef_[0], float(inner.intercept_[0]), model.a_, model.b_, factors)
    if type(inner).__name__ == "HistGradientBoostingClassifier":
        from ._trees import TreeScorer

        return TreeScorer(inner, model.a_, model.b_, len(factors), factors)
    raise TypeError(f"no direct scorer for {type(inner).__name__}")
