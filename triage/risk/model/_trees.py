"""Gradient-boosted trees scored directly for one report (see `_scorer`).

Kept apart from the linear scorer so that a decision with the packaged logistic
model never imports numpy.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["TreeScorer"]


class TreeScorer:
    """Gradient-boosted trees, all walked at once, one level per step."""

    def __init__(
        self, estimator: Any, a: float, b: float, width: int, factors: Sequence[int]
    ) -> None:
        self.factors = np.asarray(factors, dtype=np.intp)
        self.n_factors = int(self.factors.max()) + 1
        predictors = [tree[0] for tree in estimator._predictors]
        self.baseline = float(np.ravel(estimator._baseline_prediction)[0])
        self.a, self.b = float(a), float(b)
        self.width = width
        feature, threshold, left, right, value, mean, roots = [], [], [], [], [], [], []
        offset = 0
        depth = 0
        for predictor in predictors:
            nodes = predictor.nodes
            if np.any(nodes["is_categorical"]):
                raise ValueError("categorical splits are not supported")
            n = len(nodes)
            roots.append(offset)
            leaf = nodes["is_leaf"].astype(bool)
            # Leaves point to themselves, so every tree can be walked the same number of steps.
            idx = np.arange(n)
            left.append(np.where(leaf, idx, nodes["left"]) + offset)
            right.append(np.where(leaf, idx, nodes["right"]) + offset)
            feature.append(np.where(leaf, 0, nodes["feature_idx"]))
            threshold.append(np.where(leaf, np.inf, nodes["num_threshold"]))
            value.append(np.where(leaf, nodes["value"], 0.0))
            mean.append(_node_means(nodes))
            depth = max(depth, int(nodes["depth"].max()))
            offset += n
        self.feature = np.concatenate(feature).astype(np.intp)
        self.threshold = np.concatenate(threshold)
        self.left = np.concatenate(left).astype(np.intp)
        self.right = np.concatenate(right).astype(np.intp)
        self.value = np.concatenate(value)
        self.mean = np.concatenate(mean)
        self.roots = np.asarray(roots, dtype=np.intp)
        self.child = np.column_stack([self.left, self.right]).ravel()  # [2i]: left, [2i+1]: right
        self.depth = depth
        path_feature, path_delta = self._paths()
        self.path_factor = self.factors[path_feature]
        self.path_share = self.a * path_delta

    def _paths(self) -> tuple[np.ndarray, np.ndarray]:
        """Per leaf, the (column, change in expected value) of each step from its root."""
        n = len(self.feature)
        feature = np.zeros((n, max(self.depth, 1)), dtype=np.intp)
        delta = np.zeros((n, max(self.depth, 1)))
        for root in self.roots:
            stack: list[tuple[int, list[tuple[int, float]]]] = [(int(root), [])]
            while stack:
                node, path = stack.pop()
                kids = (int(self.left[node]), int(self.right[node]))
                if kids == (node, node):  # a leaf
                    for step, (col, change) in enumerate(path):
                        feature[node, step], delta[node, step] = col, change
                    continue
                for kid in kids:
                    change = self.mean[kid] - self.mean[node]
                    stack.append((kid, [*path, (int(self.feature[node]), change)]))
        return feature, delta

    def _dense(self, active: list[tuple[int, float]]) -> np.ndarray:
        x = np.zeros(self.width)
        for j, v in active:
            x[j] = v
        return x

    def _walk(self, active: list[tuple[int, float]], explain: bool) -> tuple[float, np.ndarray]:
        """The raw score, and each column's share of it when ``explain``."""
        x = self._dense(active)
        # Which way every node sends this report, all at once; then step down the trees.
        right = x[self.feature] > self.threshold
        child = self.child
        idx = self.roots
        for _ in range(self.depth):
            idx = child[2 * idx + right[idx]]
        raw = self.baseline + float(self.value[idx].sum())
        if not explain:
            return raw, _EMPTY
        # Each leaf's path shares (calibrated, per report item) were worked out once.
        by_factor = np.bincount(
            self.path_factor[idx].ravel(),
            weights=self.path_share[idx].ravel(),
            minlength=self.n_factors,
        )
        return raw, by_factor

    def logit(self, active: list[tuple[int, float]]) -> float:
        return self.a * self._walk(active, False)[0] + self.b

    def explain(self, active: list[tuple[int, float]]) -> tuple[float, np.ndarray]:
        """The logit, and what each factor adds to it, in one walk."""
        raw, by_factor = self._walk(active, True)
        return self.a * raw + self.b, by_factor

    def explain_pair(
        self, active: list[tuple[int, float]], maxed: list[tuple[int, float]]
    ) -> tuple[float, np.ndarray, float]:
        """`explain` for ``active``, and the logit for ``maxed`` (walked only if different)."""
        logit, by_factor = self.explain(active)
        return logit, by_factor, (logit if maxed == active else self.logit(maxed))


_EMPTY = np.zeros(0)


def _node_means(nodes: np.ndarray) -> np.ndarray:
    """Each node's training-count-weighted mean leaf value (the tree's expectation there)."""
    n = len(nodes)
    mean = np.zeros(n)
    weight = nodes["count"].astype(float)
    order = np.argsort(-nodes["depth"].astype(int), kind="stable")  # children before parents
    for i in order:
        if nodes["is_leaf"][i]:
            mean[i] = nodes["value"][i]
        else:
            lft, rgt = nodes["left"][i], nodes["right"][i]
            total = weight[lft] + weight[rgt]
            mean[i] = (mean[lft] * weight[lft] + mean[rgt] * weight[rgt]) / total if total else 0.0
    return mean
