"""Estimators behind the risk model, following the scikit-learn estimator contract.

`MonotoneLogisticRegression` is an L2-penalised logistic regression whose
coefficients on "monotone" columns are held at or above zero, so a yes answer
(or an unanswered one) can never lower the estimate. `PlattCalibrated` wraps
any binary classifier with a ``decision_function`` and maps it to calibrated
probabilities with a logistic (Platt) curve fitted on out-of-fold predictions.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.base import BaseEstimator, ClassifierMixin, clone
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.utils.multiclass import check_classification_targets, type_of_target
from sklearn.utils.validation import check_is_fitted, validate_data
from threadpoolctl import threadpool_limits

__all__ = ["MonotoneLogisticRegression", "PlattCalibrated"]


def _two_classes(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The two classes of ``y`` (any labels, as scikit-learn allows) and ``y`` as 0/1."""
    check_classification_targets(y)
    kind = type_of_target(y, input_name="y", raise_unknown=True)
    if kind != "binary":
        raise ValueError(
            f"Only binary classification is supported. The type of the target is {kind}."
        )
    classes, encoded = np.unique(y, return_inverse=True)
    if len(classes) != 2:
        raise ValueError(f"a binary classifier needs 2 classes in y; got {len(classes)} class")
    return classes, encoded


class _Logistic:
    """``predict_proba`` and ``predict`` from a decision function in log-odds."""

    classes_: np.ndarray

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()  # type: ignore[misc]
        tags.classifier_tags.multi_class = False  # binary outcomes only
        return tags

    def decision_function(self, X: Any) -> np.ndarray:
        raise NotImplementedError

    def predict_proba(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        p = expit(self.decision_function(X))
        return np.column_stack([1 - p, p])

    def predict(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        out: np.ndarray = self.classes_[(self.decision_function(X) > 0).astype(int)]
        return out


class MonotoneLogisticRegression(_Logistic, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """Logistic regression with non-negative coefficients on chosen columns.

    Args:
        C: inverse strength of the L2 penalty on the coefficients (as in scikit-learn).
        monotone: per column, +1 to keep its coefficient at or above zero, 0 for free.
        max_iter: L-BFGS-B iterations.
    """

    def __init__(
        self, C: float = 1.0, monotone: tuple[int, ...] | None = None, max_iter: int = 1000
    ) -> None:
        self.C = C
        self.monotone = monotone
        self.max_iter = max_iter

    def fit(self, X: Any, y: Any) -> MonotoneLogisticRegression:
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_, y = _two_classes(y)
        n, p = X.shape
        monotone = self.monotone if self.monotone is not None else (0,) * p
        if len(monotone) != p:
            raise ValueError(f"monotone has {len(monotone)} entries for {p} columns")
        yf = y.astype(np.float64)
        penalty = 1.0 / (self.C * n)

        def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
            w, b = theta[:-1], theta[-1]
            z = X @ w + b
            value = float(np.mean(np.logaddexp(0.0, z) - yf * z) + 0.5 * penalty * (w @ w))
            r = (expit(z) - yf) / n
            grad = np.empty_like(theta)
            grad[:-1] = X.T @ r + penalty * w
            grad[-1] = r.sum()
            return value, grad

        bounds = [(0.0, None) if m > 0 else (None, None) for m in monotone] + [(None, None)]
        prior = float(np.clip(yf.mean(), 1e-6, 1 - 1e-6))
        start = np.zeros(p + 1)
        start[-1] = np.log(prior / (1 - prior))
        # Each step is two matrix-vector products: waking BLAS threads for them costs
        # more than they save (training the demo model: 16 s of CPU with them, 10 s
        # without, and sooner done).
        with threadpool_limits(limits=1, user_api="blas"):
            result = minimize(
                loss,
                start,
                jac=True,
                method="L-BFGS-B",
                bounds=bounds,
                options={"maxiter": self.max_iter, "gtol": 1e-8},
            )
        self.coef_ = result.x[:-1].reshape(1, -1)
        self.intercept_ = np.array([result.x[-1]])
        self.n_iter_ = np.array([result.nit])
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        out: np.ndarray = X @ self.coef_[0] + self.intercept_[0]
        return out


class PlattCalibrated(_Logistic, ClassifierMixin, BaseEstimator):  # type: ignore[misc]
    """A classifier fitted on all the data, calibrated on its out-of-fold scores.

    ``probability = 1 / (1 + exp(-(a * f(x) + b)))`` where ``f`` is the wrapped
    estimator's decision function; ``a`` is kept positive so calibration never
    reverses the estimator's ordering. ``cv_scores_`` holds the calibrated
    out-of-fold probabilities (for choosing between models).
    """

    def __init__(
        self, estimator: Any = None, cv: int = 3, random_state: int = 0, n_jobs: int | None = None
    ) -> None:
        # estimator None: a MonotoneLogisticRegression with no constraints.
        self.estimator = estimator
        self.cv = cv
        self.random_state = random_state
        self.n_jobs = n_jobs

    def fit(self, X: Any, y: Any) -> PlattCalibrated:
        X, y = validate_data(self, X, y, dtype=np.float64)
        self.classes_, y = _two_classes(y)
        base = self.estimator if self.estimator is not None else MonotoneLogisticRegression()
        folds = StratifiedKFold(self.cv, shuffle=True, random_state=self.random_state)
        oof = cross_val_predict(
            clone(base), X, y, cv=folds, method="decision_function", n_jobs=self.n_jobs
        )
        self.a_, self.b_ = _platt(oof, y)
        self.cv_scores_ = expit(self.a_ * oof + self.b_)
        self.estimator_ = clone(base).fit(X, y)
        return self

    def decision_function(self, X: Any) -> np.ndarray:
        check_is_fitted(self)
        X = validate_data(self, X, dtype=np.float64, reset=False)
        out: np.ndarray = self.a_ * self.estimator_.decision_function(X) + self.b_
        return out


def _platt(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Slope and intercept of the logistic curve from scores to outcomes (slope > 0)."""
    yf = y.astype(np.float64)
    n = len(yf)

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        z = theta[0] * scores + theta[1]
        r = (expit(z) - yf) / n
        return float(np.mean(np.logaddexp(0.0, z) - yf * z)), np.array([r @ scores, r.sum()])

    result = minimize(
        loss, np.array([1.0, 0.0]), jac=True, method="L-BFGS-B", bounds=[(1e-6, None), (None, None)]
    )
    return float(result.x[0]), float(result.x[1])
