"""Rule conditions as formulas in negation normal form over value sets.

``not`` is pushed down to the tests, so no engine needs to support it and a
missing value keeps its meaning ("not given" is neither yes nor no). The same
formulas feed the engine compiler, the satisfiability check at load time, and
the pure-Python predicates.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ._facts import MISSING
from ._ir import All, Cond, Not, Test
from ._sets import INF, ValueSet, from_test

__all__ = [
    "MAX_ALTERNATIVES",
    "And",
    "CompileError",
    "Const",
    "Formula",
    "Lit",
    "Or",
    "alternatives",
    "formula",
    "holds",
    "literals",
    "lowering_model_facts",
    "predicate",
    "reasons",
    "satisfiable",
]

MAX_ALTERNATIVES = 64


class CompileError(Exception):
    """A rule cannot be compiled within the engine's limits."""


# -- formulas: negation normal form over value sets ----------------------------------


@dataclass(frozen=True, slots=True)
class Lit:
    vs: ValueSet


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Formula, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Formula, ...]


@dataclass(frozen=True, slots=True)
class Const:
    value: bool


Formula = Lit | And | Or | Const
TRUE, FALSE = Const(True), Const(False)


def _lit(vs: ValueSet) -> Formula:
    if vs.is_empty():
        return FALSE
    if vs.is_universe():
        return TRUE
    return Lit(vs)


def _nnf(cond: Cond, negate: bool) -> Formula:
    if isinstance(cond, Test):
        vs = from_test(cond)
        return _lit(vs.complement() if negate else vs)
    if isinstance(cond, Not):
        return _nnf(cond.item, not negate)
    items = tuple(_nnf(c, negate) for c in cond.items)
    is_and = isinstance(cond, All) != negate
    if not cond.items:  # all: [] is true; any: [] is false
        return Const(is_and)
    return _simplify(And(items) if is_and else Or(items))


def _simplify(f: Formula) -> Formula:
    if not isinstance(f, And | Or):
        return f
    is_and = isinstance(f, And)
    flat: list[Formula] = []
    for item in f.items:
        item = _simplify(item)
        if isinstance(item, Const):
            if item.value != is_and:
                return item  # false in an and, true in an or
            continue
        if isinstance(item, type(f)):
            flat.extend(item.items)
        else:
            flat.append(item)
    merged: dict[str, ValueSet] = {}
    rest: list[Formula] = []
    for item in flat:
        if isinstance(item, Lit):
            prev = merged.get(item.vs.fact)
            if prev is None:
                merged[item.vs.fact] = item.vs
            else:
                merged[item.vs.fact] = prev.intersect(item.vs) if is_and else prev.union(item.vs)
        else:
            rest.append(item)
    items: list[Formula] = []
    for vs in merged.values():
        lit = _lit(vs)
        if isinstance(lit, Const):
            if lit.value != is_and:
                return lit
            continue
        items.append(lit)
    items.extend(rest)
    if not items:
        return Const(is_and)
    if len(items) == 1:
        return items[0]
    return And(tuple(items)) if is_and else Or(tuple(items))


def formula(cond: Cond) -> Formula:
    """A condition in negation normal form with literals merged per fact."""
    return _simplify(_nnf(cond, False))


def literals(f: Formula) -> Iterator[ValueSet]:
    """Every literal of ``f``, in order."""
    if isinstance(f, Lit):
        yield f.vs
    elif isinstance(f, And | Or):
        for item in f.items:
            yield from literals(item)


def holds(f: Formula, values: dict[str, Any]) -> bool:
    """Whether ``f`` is true for concrete fact values (for explanations, not decisions)."""
    if isinstance(f, Const):
        return f.value
    if isinstance(f, Lit):
        return f.vs.contains(values.get(f.vs.fact))
    if isinstance(f, And):
        return all(holds(item, values) for item in f.items)
    return any(holds(item, values) for item in f.items)


def predicate(f: Formula) -> Callable[[dict[str, Any]], bool]:
    """``holds`` compiled into closures, for checking many value sets quickly."""
    if isinstance(f, Const):
        value = f.value
        return lambda values: value
    if isinstance(f, Lit):
        contains, fact = f.vs.contains, f.vs.fact
        return lambda values: contains(values.get(fact))
    parts = tuple(predicate(item) for item in f.items)
    if isinstance(f, And):
        return lambda values: all(p(values) for p in parts)
    return lambda values: any(p(values) for p in parts)


def satisfiable(f: Formula, budget: int = 200_000) -> bool:
    """Whether some report can make ``f`` true (True when the search is too long)."""
    steps = [0]

    def sat(stack: list[Formula], env: dict[str, ValueSet]) -> bool:
        steps[0] += 1
        if steps[0] > budget:
            return True
        if not stack:
            return True
        node, rest = stack[-1], stack[:-1]
        if isinstance(node, Const):
            return node.value and sat(rest, env)
        if isinstance(node, Lit):
            prev = env.get(node.vs.fact)
            vs = node.vs if prev is None else prev.intersect(node.vs)
            if vs.is_empty():
                return False
            return sat(rest, {**env, node.vs.fact: vs})
        if isinstance(node, And):
            return sat(rest + list(node.items), env)
        return any(sat([*rest, item], env) for item in node.items)

    return sat([f], {})


def lowering_model_facts(f: Formula) -> list[str]:
    """Model facts that ``f`` reads other than as "at least": such a test could fire
    without a model, or for a lower estimate and not a higher one, and so let the model
    lower a decision. Each literal on a model fact must exclude "no model" and be
    upward closed (every higher probability or band also satisfies it)."""
    return sorted(
        {vs.fact for vs in literals(f) if vs.fact.startswith("model.") and not _upward_closed(vs)}
    )


def _upward_closed(vs: ValueSet) -> bool:
    if vs.missing:
        return False
    spec = vs.spec
    if spec.numeric:
        if len(vs.intervals) != 1:
            return False
        iv = vs.intervals[0]
        top = INF if spec.hi is None else spec.hi
        return bool(iv.hi == INF or (iv.hi >= top and iv.hi_in))
    if vs.cofinite:
        return False
    order = list(spec.values)
    ranks = sorted(order.index(v) for v in vs.values)
    return bool(ranks) and ranks == list(range(ranks[0], len(order)))


def alternatives(f: Formula, limit: int = MAX_ALTERNATIVES) -> list[Formula]:
    """``f`` as a disjunction of formulas without a top-level or (its DNF), bounded."""
    if isinstance(f, Or):
        out: list[Formula] = []
        for item in f.items:
            out.extend(alternatives(item, limit))
            if len(out) > limit:
                raise CompileError("too many alternatives")
        return out
    if isinstance(f, And):
        product: list[list[Formula]] = [[]]
        for item in f.items:
            choices = alternatives(item, limit) if isinstance(item, Or | And) else [item]
            product = [[*p, c] for p in product for c in choices]
            if len(product) > limit:
                raise CompileError("too many alternatives")
        return [_simplify(And(tuple(p))) for p in product]
    return [f]


def reasons(f: Formula, values: dict[str, Any]) -> tuple[str, ...] | None:
    """The facts that make ``f`` true for ``values`` (None when it is false).

    For an ``or``, the satisfied branch that rests on the fewest unknown or missing
    values is the reason; a rule that fired on a known yes is not explained by an
    unknown it also read.
    """
    if isinstance(f, Const):
        return () if f.value else None
    if isinstance(f, Lit):
        return (f.vs.fact,) if f.vs.contains(values.get(f.vs.fact)) else None
    if isinstance(f, And):
        out: list[str] = []
        for item in f.items:
            found = reasons(item, values)
            if found is None:
                return None
            out.extend(n for n in found if n not in out)
        return tuple(out)
    best: tuple[str, ...] | None = None
    fewest = 0
    for item in f.items:
        found = reasons(item, values)
        if found is None:
            continue
        unknowns = _unknowns(found, values)
        if best is None or unknowns < fewest:
            best, fewest = found, unknowns
            if not fewest:  # no later branch has fewer: the first of the fewest stays
                break
    return best


def _unknowns(facts: tuple[str, ...], values: dict[str, Any]) -> int:
    return sum(1 for n in facts if _unknown(values.get(n)))


def _unknown(value: Any) -> bool:
    return value is None or value is MISSING or value == "unknown"
