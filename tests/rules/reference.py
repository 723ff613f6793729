"""A plain-Python evaluator of the rule language, for tests only.

It reads each condition directly (no negation normal form, no value sets, no
engine), so that comparing it with the engine on many reports checks the
compiler and the engine together. The library never calls it.
"""

from __future__ import annotations

from typing import Any

from triage.rules._evaluate import Evaluator
from triage.rules._facts import FACTS, MISSING
from triage.rules._ir import All, AnyOf, Cond, Not, Test

__all__ = ["ReferenceEvaluator", "holds_reference"]


def _rank(fact: str, value: Any) -> Any:
    spec = FACTS[fact]
    return spec.values.index(value) if spec.kind == "enum" else value


def holds_reference(cond: Cond, values: dict[str, Any]) -> bool:
    """Whether ``cond`` holds for fact values (missing facts are absent or MISSING)."""
    if isinstance(cond, All):
        return all(holds_reference(c, values) for c in cond.items)
    if isinstance(cond, AnyOf):
        return any(holds_reference(c, values) for c in cond.items)
    if isinstance(cond, Not):
        return not holds_reference(cond.item, values)
    assert isinstance(cond, Test)
    value = values.get(cond.fact, MISSING)
    if cond.op == "exists":
        return bool((value is not MISSING) == cond.value)
    if value is MISSING:
        return False
    if cond.op == "==":
        return bool(value == cond.value)
    if cond.op == "!=":
        return bool(value != cond.value)
    if cond.op == "in":
        return bool(value in cond.value)
    if cond.op == "not_in":
        return bool(value not in cond.value)
    left, right = _rank(cond.fact, value), _rank(cond.fact, cond.value)
    if cond.op == "<":
        return bool(left < right)
    if cond.op == "<=":
        return bool(left <= right)
    if cond.op == ">":
        return bool(left > right)
    return bool(left >= right)


class ReferenceEvaluator(Evaluator):
    """Runs a policy exactly like `Evaluator`, deciding matches in Python instead."""

    def _fire(self, engine: Any, stratum: int, fact_json: str, values: dict[str, Any]) -> set[int]:
        return {
            rule.index
            for rule in self.policy.rules
            if self.policy.strata[rule.index] == stratum and holds_reference(rule.when, values)
        }
