"""How well a risk estimate separates and calibrates: AUC with a DeLong interval,
Brier score, expected calibration error, and sensitivity, specificity and PPV at
chosen thresholds, overall and per subgroup."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy.stats import rankdata

__all__ = ["auc_ci", "binary_metrics", "brier", "ece", "summary"]

Z95 = 1.959963984540054


def auc_ci(y: np.ndarray, score: np.ndarray) -> tuple[float, float, float]:
    """AUC and its 95% interval by DeLong's method (DeLong et al. 1988, Biometrics 44:837)."""
    y = np.asarray(y).astype(bool)
    score = np.asarray(score, dtype=float)
    pos, neg = score[y], score[~y]
    m, n = len(pos), len(neg)
    if m == 0 or n == 0:
        return math.nan, math.nan, math.nan
    ranks = rankdata(np.concatenate([pos, neg]))
    v10 = (ranks[:m] - rankdata(pos)) / n  # per positive: share of negatives scored lower
    v01 = 1.0 - (ranks[m:] - rankdata(neg)) / m  # per negative: share of positives scored higher
    auc = float(v10.mean())
    var = (v10.var(ddof=1) / m if m > 1 else 0.0) + (v01.var(ddof=1) / n if n > 1 else 0.0)
    half = Z95 * math.sqrt(max(var, 0.0))
    return auc, max(0.0, auc - half), min(1.0, auc + half)


def brier(y: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean((np.asarray(p, dtype=float) - np.asarray(y, dtype=float)) ** 2))


def ece(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """Expected calibration error over ``bins`` equal-frequency bins of the estimate."""
    y = np.asarray(y, dtype=float)
    p = np.asarray(p, dtype=float)
    if len(p) == 0:
        return math.nan
    order = np.argsort(p, kind="stable")
    total = 0.0
    for part in np.array_split(order, min(bins, len(p))):
        if len(part):
            total += len(part) * abs(p[part].mean() - y[part].mean())
    return total / len(p)


def binary_metrics(y: np.ndarray, flagged: np.ndarray) -> dict[str, float | int]:
    """Sensitivity, specificity and PPV of a yes/no flag."""
    y = np.asarray(y).astype(bool)
    f = np.asarray(flagged).astype(bool)
    tp, fp = int(np.sum(f & y)), int(np.sum(f & ~y))
    fn, tn = int(np.sum(~f & y)), int(np.sum(~f & ~y))

    def ratio(a: int, b: int) -> float:
        return a / b if b else math.nan

    return {
        "flagged": int(f.sum()),
        "sensitivity": ratio(tp, tp + fn),
        "specificity": ratio(tn, tn + fp),
        "ppv": ratio(tp, tp + fp),
        "npv": ratio(tn, tn + fn),
    }


def summary(
    y: np.ndarray, p: np.ndarray, thresholds: Sequence[tuple[str, float]] = ()
) -> dict[str, Any]:
    """Everything about one estimate on one set of cases."""
    auc, lo, hi = auc_ci(y, p)
    out: dict[str, Any] = {
        "n": len(y),
        "positives": int(np.sum(y)),
        "prevalence": float(np.mean(y)) if len(y) else math.nan,
        "auc": auc,
        "auc_ci": [lo, hi],
        "brier": brier(y, p),
        "ece": ece(y, p),
        "mean_estimate": float(np.mean(p)) if len(p) else math.nan,
        "at": {},
    }
    for name, threshold in thresholds:
        out["at"][name] = {"threshold": threshold, **binary_metrics(y, np.asarray(p) >= threshold)}
    return out
