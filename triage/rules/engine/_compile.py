"""From validated rules to durable-rules rulesets that stay inside the engine's limits.

durable-rules evaluates a fact through an alpha network with a fixed stack of
64 nodes, allows 15 ``$and``/``$or`` groups per rule, at most about 250
properties per fact, and crashes when more than 255 rules match one fact in
one ruleset. None of that may depend on the report being evaluated, so the
compiler bounds every ruleset it builds from the rules alone:

- a condition is rewritten into negation normal form over value sets, so
  ``not`` needs no engine support and missing values keep their meaning;
- a rule whose expression is too large is split into alternatives (its
  disjunctive normal form), each a separate engine rule;
- rules are packed into chunks whose worst-case alpha stack (every test
  matching, in the worst order) and rule count stay well below the limits.
A rule that cannot be made to fit is reported as too complex.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from .._facts import FACTS
from .._formula import (
    And,
    CompileError,
    Const,
    Formula,
    Lit,
    alternatives,
    formula,
    literals,
)
from .._ir import Cond
from .._sets import ValueSet

__all__ = [
    "CATCH_ALL",
    "PRESENT",
    "Chunk",
    "CompileError",
    "Layout",
    "compile_alternatives",
    "compile_rule",
    "fnv1a32",
    "make_keys",
    "pack",
]

MAX_GROUPS = 15  # $and/$or groups per engine rule (MAX_SEQUENCE_EXPRESSIONS 32, two entries each)
STACK_BUDGET = 48  # of the engine's 64-entry alpha stack
RULES_PER_CHUNK = 60  # far below the 255 simultaneous matches that crash the engine
MAX_KEYS = 200  # of about 250 properties per fact
FACTS_PER_CHUNK = 6  # facts a chunk may read before a rule reading others starts a new one
MAX_SPLIT = 16  # alternatives a rule that fits whole may still be split into
CATCH_ALL = "_"  # a key every fact carries (= 1), so every assert is "handled"
PRESENT = "?"  # keys["?victim.age"] is the key telling whether victim.age was given


# -- durable expressions ------------------------------------------------------------


def fnv1a32(text: str) -> int:
    """The engine's property-name hash (FNV-1a over the bytes, as signed chars)."""
    h = 0x811C9DC5
    for byte in text.encode("utf-8"):
        signed = byte - 256 if byte > 127 else byte
        h ^= signed & 0xFFFFFFFF
        h = (h * 16777619) & 0xFFFFFFFF
    return h


def _cmp(op: str, key: str, value: Any) -> dict[str, Any]:
    return {key: value} if op == "$eq" else {op: {key: value}}


def _group(op: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return items[0] if len(items) == 1 else {op: items}


def _lit_expr(vs: ValueSet, key: str, present: str | None) -> dict[str, Any]:
    """One literal as an engine expression.

    Whether an optional fact was given is a separate presence key (1 or 0):
    the engine's ``$nex`` was seen to match facts that do have the property,
    so neither ``$ex`` nor ``$nex`` is ever used.
    """
    spec = vs.spec
    given = {present: 1} if present is not None else {CATCH_ALL: 1}
    core: dict[str, Any] | None
    if vs.numeric:
        parts = []
        for iv in vs.intervals:
            lo = None if iv.lo == float("-inf") else iv.lo
            hi = None if iv.hi == float("inf") else iv.hi
            if spec.kind == "int":
                lo = None if lo is None else int(lo)
                hi = None if hi is None else int(hi)
            if lo is not None and lo == hi:
                parts.append(_cmp("$eq", key, lo))
                continue
            bounds = []
            if lo is not None:
                bounds.append(_cmp("$gte" if iv.lo_in else "$gt", key, lo))
            if hi is not None:
                bounds.append(_cmp("$lte" if iv.hi_in else "$lt", key, hi))
            parts.append(_group("$and", bounds) if bounds else given)
        core = _group("$or", parts) if parts else None
    elif spec.kind == "code":
        values = sorted(vs.values)
        if vs.cofinite:
            core = _group("$and", [_cmp("$neq", key, v) for v in values]) if values else given
        else:
            core = _group("$or", [_cmp("$eq", key, v) for v in values]) if values else None
    else:
        domain = ValueSet.universe(vs.fact).values
        admitted = sorted(vs.values, key=repr)
        excluded = sorted(domain - vs.values, key=repr)
        if not admitted:
            core = None
        elif not excluded:
            core = given
        elif len(admitted) <= len(excluded):
            core = _group("$or", [_cmp("$eq", key, v) for v in admitted])
        else:
            core = _group("$and", [_cmp("$neq", key, v) for v in excluded])
    if not vs.missing:
        assert core is not None
        return core
    assert present is not None, f"{vs.fact} cannot be missing"
    absent = {present: 0}
    return absent if core is None else {"$or": [core, absent]}


def expression(f: Formula, keys: dict[str, str]) -> dict[str, Any]:
    """The durable-rules expression for a formula (TRUE tests the constant key)."""
    if isinstance(f, Const):
        if not f.value:
            raise CompileError("a condition that is always false")
        return {CATCH_ALL: 1}
    if isinstance(f, Lit):
        fact = f.vs.fact
        return _lit_expr(f.vs, keys[fact], keys.get(PRESENT + fact))
    op = "$and" if isinstance(f, And) else "$or"
    return {op: [expression(item, keys) for item in f.items]}


def groups(expr: Any) -> int:
    """How many $and/$or groups an expression uses."""
    if isinstance(expr, dict):
        own = sum(1 for k in expr if k in ("$and", "$or"))
        return own + sum(groups(v) for v in expr.values())
    if isinstance(expr, list):
        return sum(groups(v) for v in expr)
    return 0


# -- the alpha network bound ------------------------------------------------------------


@dataclass(eq=False)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    links: list[_Node] = field(default_factory=list)


def _add(expr: dict[str, Any], parent: _Node, share: bool) -> _Node:
    """Mirror of the engine's createAlpha: chain for $and, join node for $or."""
    if "$and" in expr:
        node = parent
        for item in expr["$and"]:
            node = _add(item, node, share)
        return node
    if "$or" in expr:
        join = _Node()
        for item in expr["$or"]:
            _add(item, parent, share).links.append(join)
        return join
    sig = json.dumps(expr, sort_keys=True) if share else str(len(parent.children))
    child = parent.children.get(sig)
    if child is None:
        child = parent.children[sig] = _Node()
    return child


def stack_bound(exprs: list[dict[str, Any]]) -> int:
    """Worst-case alpha stack depth if every test matched, in the worst order.

    Computed with and without the engine's sharing of identical tests, so the
    bound holds whichever way the engine builds the network.
    """
    return max(_bound(exprs, share=True), _bound(exprs, share=False))


def _bound(exprs: list[dict[str, Any]], share: bool) -> int:
    root = _Node()
    for expr in exprs:
        _add(expr, root, share)
    memo: dict[int, int] = {}

    def peak(node: _Node) -> int:
        key = id(node)
        if key in memo:
            return memo[key]
        succ = list(node.children.values()) + node.links
        value = 0 if not succ else max(len(succ), len(succ) - 1 + max(peak(s) for s in succ))
        memo[key] = value
        return value

    return peak(root)


# -- layout -------------------------------------------------------------------------------


@dataclass
class Chunk:
    """One engine ruleset: engine rule names mapped to policy rule indexes."""

    rules: dict[str, dict[str, Any]] = field(default_factory=dict)
    owners: dict[str, int] = field(default_factory=dict)
    facts: set[str] = field(default_factory=set)  # the fact names its rules read

    def definition(self) -> dict[str, Any]:
        out = {name: {"all": [{"m": expr}]} for name, expr in self.rules.items()}
        out[CATCH_ALL] = {"all": [{"m": {CATCH_ALL: 1}}]}
        return out


@dataclass
class Layout:
    keys: dict[str, str]  # fact name -> engine property key
    strata: list[list[Chunk]]
    stratum_facts: list[tuple[str, ...]]  # fact names each stratum's fact carries


def make_keys(facts: list[str]) -> dict[str, str]:
    """A short engine key for every fact (and a presence key for each optional one),
    no two with the same engine hash."""
    keys: dict[str, str] = {}
    hashes = {fnv1a32(CATCH_ALL)}
    n = 0
    names = sorted(facts) + sorted(PRESENT + f for f in facts if FACTS[f].optional)
    for name in names:
        while True:
            key = f"k{n:x}"
            n += 1
            h = fnv1a32(key)
            if h not in hashes:  # the engine tells properties apart by hash alone
                hashes.add(h)
                keys[name] = key
                break
    for name in facts:
        spec = FACTS[name]  # string values are compared by hash too
        values = [v for v in spec.domain() if isinstance(v, str)]
        if len({fnv1a32(v) for v in values}) != len(values):
            raise CompileError(f"values of {name} collide in the engine's hash")
    return keys


def compile_rule(cond: Cond, keys: dict[str, str]) -> list[dict[str, Any]]:
    """Engine expressions (one per alternative) for one rule's condition."""
    return [expr for expr, _ in compile_alternatives(cond, keys)]


def _fits(expr: dict[str, Any]) -> bool:
    return groups(expr) <= MAX_GROUPS and stack_bound([expr]) <= STACK_BUDGET // 2


def _facts(f: Formula) -> frozenset[str]:
    return frozenset(vs.fact for vs in literals(f))


def compile_alternatives(
    cond: Cond, keys: dict[str, str]
) -> list[tuple[dict[str, Any], frozenset[str]]]:
    """Engine expressions for one rule's condition, each with the facts it reads.

    A rule that fits the engine stays one expression, unless it reads many facts and
    its alternatives each read fewer: then each alternative is its own engine rule,
    so that the ruleset it lands in is given (and remembers) fewer facts.
    """
    f = formula(cond)
    whole = expression(f, keys)
    facts = _facts(f)
    if _fits(whole) and len(facts) <= FACTS_PER_CHUNK:
        return [(whole, facts)]
    try:
        alts = alternatives(f)
    except CompileError:
        if _fits(whole):
            return [(whole, facts)]
        raise
    split = [(expression(alt, keys), _facts(alt)) for alt in alts]
    if _fits(whole) and (len(split) > MAX_SPLIT or max(len(fs) for _, fs in split) >= len(facts)):
        return [(whole, facts)]
    for expr, _ in split:
        if not _fits(expr):
            raise CompileError("an alternative is still too large")
    return split


def pack(
    compiled: list[tuple[int, int, list[tuple[dict[str, Any], frozenset[str]]]]],
    n_strata: int,
    stratum_facts: list[tuple[str, ...]],
    keys: dict[str, str],
) -> Layout:
    """Pack ``(rule index, stratum, [(expression, facts it reads)])`` into chunks within
    the engine's limits.

    Expressions that read the same facts go together: a chunk is given only the facts
    its rules read, and what it matched is remembered under their values, so a chunk
    reading a few facts meets the same values again and again, while one reading forty
    almost never does.
    """
    strata: list[list[Chunk]] = [[] for _ in range(n_strata)]
    items = [
        (stratum, sorted(facts), index, alt, len(exprs), expr, facts)
        for index, stratum, exprs in compiled
        for alt, (expr, facts) in enumerate(exprs)
    ]
    items.sort(key=lambda item: (item[0], len(item[1]), item[1], item[2], item[3]))
    for stratum, _, index, alt, n_alts, expr, own in items:
        name = f"r{index}" if n_alts == 1 else f"r{index}_{alt}"
        chunk = _chunk_for(strata[stratum], expr, own)
        chunk.rules[name] = expr
        chunk.owners[name] = index
        chunk.facts |= own
    for names in stratum_facts:
        if len(names) > MAX_KEYS:
            raise CompileError(f"a stratum reads {len(names)} facts; the engine takes {MAX_KEYS}")
    return Layout(keys, strata, stratum_facts)


def _numbers(facts: frozenset[str] | set[str]) -> set[str]:
    """The facts among ``facts`` that hold a number (a count, an age, a score)."""
    return {f for f in facts if f in FACTS and FACTS[f].numeric}


def _chunk_for(chunks: list[Chunk], expr: dict[str, Any], own: frozenset[str]) -> Chunk:
    """The chunk whose facts grow least by ``own`` (within the engine's limits, and
    FACTS_PER_CHUNK and one number unless it grows not at all: two numbers together make
    most of a chunk's values new, and its remembered matches seldom serve), or a new
    one."""
    best: Chunk | None = None
    best_growth = 0
    for chunk in chunks:
        if len(chunk.rules) >= RULES_PER_CHUNK:
            continue
        union = chunk.facts | own
        growth = len(union) - len(chunk.facts)
        if growth and len(union) > max(FACTS_PER_CHUNK, len(own)):
            continue
        if growth and len(_numbers(union)) > max(1, len(_numbers(own))):
            continue
        if best is not None and growth >= best_growth:
            continue
        if stack_bound([*chunk.rules.values(), expr, {CATCH_ALL: 1}]) <= STACK_BUDGET:
            best, best_growth = chunk, growth
    if best is None:
        best = Chunk()
        chunks.append(best)
    return best
