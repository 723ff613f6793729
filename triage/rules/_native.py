"""The policy's rules as generated Python: the fast evaluation path.

Each stratum becomes one function from the stratum's fact values to the indexes
of the rules that match, and each rule also becomes a predicate of its own (for
the information gaps). Both are generated from the same formulas that feed the
durable-rules compiler (negation normal form over value sets), so the two
engines are two implementations of one intermediate form, and durable-rules
checks this one (`Evaluator` with ``verify``).

Nothing from the policy file reaches the generated source as text: fact names,
codes and numbers are bound as constants (``_c0``, ``_c1``, …) in the namespace
the source is compiled in; the source holds only identifiers made here, the
library's own attribute names (where a fact is read in place), rule indexes and
operators. The source is compiled once per policy.
"""

from __future__ import annotations

import keyword
import math
import random
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from ._facts import FACTS, MISSING
from ._formula import And, Const, Formula, Lit, literals
from ._sets import INF, ValueSet

__all__ = ["Native", "build_getters", "build_native", "sample_facts"]

StratumFn = Callable[[dict[str, Any]], list[int]]
Predicate = Callable[[dict[str, Any]], bool]


class _Source:
    """Generated lines and the constants they refer to by name."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {"_M": MISSING}
        self._ids: dict[tuple[type, Any], str] = {}

    def const(self, value: Any) -> str:
        key = (type(value), value)
        name = self._ids.get(key)
        if name is None:
            name = self._ids[key] = f"_c{len(self._ids)}"
            self.consts[name] = value
        return name

    def compile(self, filename: str) -> dict[str, Any]:
        namespace = dict(self.consts)
        code = compile("\n".join(self.lines) + "\n", filename, "exec")
        exec(code, namespace)  # the source is built here from identifiers and indexes only
        return namespace


def _literal(vs: ValueSet, x: str, src: _Source) -> str:
    """``x`` (a variable holding the fact's value or MISSING) admitted by ``vs``."""
    spec = vs.spec
    if vs.numeric:
        parts = []
        for iv in vs.intervals:
            tests = []
            if iv.lo != -INF:
                tests.append(f"{src.const(iv.lo)} {'<=' if iv.lo_in else '<'} {x}")
            if iv.hi != INF:
                tests.append(f"{x} {'<=' if iv.hi_in else '<'} {src.const(iv.hi)}")
            parts.append(" and ".join(tests) if tests else "True")
        core = f"({x} is not _M and ({' or '.join(f'({p})' for p in parts)}))" if parts else None
    elif spec.kind == "code":
        values = src.const(frozenset(vs.values))
        if vs.cofinite:
            core = f"({x} is not _M and {x} not in {values})"
        else:
            core = f"({x} in {values})" if vs.values else None
    else:
        core = f"({x} in {src.const(frozenset(vs.values))})" if vs.values else None
    if vs.missing:
        return f"({x} is _M)" if core is None else f"({x} is _M or {core})"
    return core if core is not None else "False"


def _expr(f: Formula, var: Callable[[str], str], src: _Source) -> str:
    if isinstance(f, Const):
        return "True" if f.value else "False"
    if isinstance(f, Lit):
        return _literal(f.vs, var(f.vs.fact), src)
    joiner = " and " if isinstance(f, And) else " or "
    return "(" + joiner.join(_expr(item, var, src) for item in f.items) + ")"


class Native:
    """Generated matchers of one policy: ``fire[stratum](values)`` and ``holds[index](values)``."""

    def __init__(
        self,
        formulas: dict[int, Formula],
        fire: list[StratumFn],
        holds: dict[int, Predicate],
        values: list[ValuesFn],
        source: str,
    ) -> None:
        self.formulas = formulas
        self.fire = fire
        self.holds = holds
        self.values = values  # each stratum's fact values (`build_getters`)
        self.source = source  # kept for inspection and tests

    def copy(self) -> Native:
        """The same matchers in lists of its own (what one changes reaches no other)."""
        return Native(
            self.formulas, list(self.fire), dict(self.holds), list(self.values), self.source
        )


def build_native(
    formulas: dict[int, Formula],
    strata: Sequence[int],
    stratum_facts: Sequence[tuple[str, ...]],
    tag: str,
) -> Native:
    """Generate and compile the matchers for rules ``formulas`` (rule index -> formula)."""
    src = _Source()
    for k, names in enumerate(stratum_facts):
        local = {name: f"x{i}" for i, name in enumerate(names)}
        src.lines.append(f"def _stratum{k}(v):")
        for name, x in local.items():
            src.lines.append(f"    {x} = v[{src.const(name)}]")
        src.lines.append("    out = []")
        for index in sorted(i for i in formulas if strata[i] == k):
            cond = _expr(formulas[index], local.__getitem__, src)
            src.lines.append(f"    if {cond}:")
            src.lines.append(f"        out.append({int(index)})")
        src.lines.append("    return out")
    for index, f in sorted(formulas.items()):
        # A predicate reads what it is given; a fact left out is missing.
        def var(name: str) -> str:
            return f"v.get({src.const(name)}, _M)"

        src.lines.append(f"def _rule{int(index)}(v):")
        src.lines.append(f"    return {_expr(f, var, src)}")
    namespace = src.compile(f"<policy {tag} rules>")
    fire = [namespace[f"_stratum{k}"] for k in range(len(stratum_facts))]
    holds = {index: namespace[f"_rule{int(index)}"] for index in formulas}
    values = build_getters(stratum_facts, tag)
    return Native(formulas, fire, holds, values, "\n".join(src.lines))


# -- reading a stratum's facts ------------------------------------------------------------

ValuesFn = Callable[[Any, bool], dict[str, Any]]


def build_getters(stratum_facts: Sequence[tuple[str, ...]], tag: str) -> list[ValuesFn]:
    """For each stratum, a function of (fact context, max world) giving the values its
    rules read, in one dict display: an answer straight from the answers, any other
    fact in place where its getter says what it reads, otherwise through its getter; in
    the max world an unknown that may hide a risk is yes. What several facts read (the
    report, its sections, the instruments, the flags) is read once into a local."""
    src = _Source()
    for k, names in enumerate(stratum_facts):
        reads = [_read(FACTS[name], src) for name in names]
        src.lines.append(f"def _values{k}(c, maxed):")
        src.lines.extend(f"    {line}" for line in _locals(reads, src))
        for maxed in (True, False):
            src.lines.append("    if maxed:" if maxed else "    else:")
            src.lines.append("        return {")
            for name, read in zip(names, reads, strict=True):
                expr = _at_most(read) if maxed and FACTS[name].raises_risk else read.expr
                src.lines.append(f"            {src.const(name)}: {expr},")
            src.lines.append("        }")
    namespace = src.compile(f"<policy {tag} facts>")
    return [namespace[f"_values{k}"] for k in range(len(stratum_facts))]


def _at_most(read: _Read) -> str:
    """A read in the max world, where an unknown that may hide a risk reads as yes."""
    if read.at_most is not None:
        return read.at_most
    return f"('yes' if (u := {read.expr}) == 'unknown' else u)"


# What a read needs read first, into a local of the generated function, in this order.
_LOCALS = {
    "a": "c.answers",
    "r": "c.report",
    "ins": "c.instruments",
    "d": "c.derived",
}


def _locals(reads: list[_Read], src: _Source) -> list[str]:
    """The assignments of the locals ``reads`` use: ``a``, ``r``, ``ins``, ``d``, ``fl``
    (the flags so far) and ``s_<section>`` (a report section)."""
    used: set[str] = set().union(*(read.needs for read in reads))
    lines = [f"{name} = {expr}" for name, expr in _LOCALS.items() if name in used]
    if "fl" in used:
        lines.append(f"fl = d[{src.const('flags')}]")
    lines += [f"{name} = r.{name[2:]}" for name in sorted(used) if name.startswith("s_")]
    return lines


class _Read(NamedTuple):
    """How generated code reads one fact: the expression, the locals it uses (see
    `_locals`), and where simpler than the general form, the expression in the max
    world."""

    expr: str
    needs: frozenset[str] = frozenset()
    at_most: str | None = None


def _read(spec: Any, src: _Source) -> _Read:
    """How to read one fact from the context ``c``: in place where its getter says what
    it reads (`_facts._inline`), otherwise a call of its getter. A value from a policy
    (a flag's code) is a constant; attribute names are the library's own identifiers."""
    if spec.answer:
        return _Read(f"a[{src.const(spec.answer)}]", frozenset({"a"}))
    how = getattr(spec.get, "inline", None)
    if how is None:
        return _Read(f"{src.const(spec.get)}(c)")
    kind, *args = how
    if kind in ("yes_no", "optional"):
        section, name = _identifiers(args)
        field, needs = f"s_{section}.{name}", frozenset({"r", f"s_{section}"})
        if kind == "optional":
            return _Read(f"(_M if (t := {field}) is None else t)", needs)
        return _Read(  # `tri`, written out; in the max world not given is yes
            f"('unknown' if (t := {field}) is None else 'yes' if t else 'no')",
            needs,
            f"('yes' if (t := {field}) is None or t else 'no')",
        )
    if kind == "report":
        return _Read(f"r.{_identifiers(args)[0]}", frozenset({"r"}))
    if kind == "context":
        return _Read(f"c.{_identifiers(args)[0]}")
    if kind == "instrument":
        iid, attribute = args
        return _Read(f"ins[{src.const(iid)}].{_identifiers([attribute])[0]}", frozenset({"ins"}))
    if kind == "derived":
        return _Read(f"d[{src.const(args[0])}]", frozenset({"d"}))
    if kind == "flag":
        return _Read(f"({src.const(args[0])} in fl)", frozenset({"d", "fl"}))
    raise ValueError(f"no inline read of kind {kind!r}")


def _identifiers(names: Sequence[str]) -> Sequence[str]:
    for name in names:
        if not name.isidentifier() or keyword.iskeyword(name):
            raise ValueError(f"not an attribute name: {name!r}")
    return names


# -- generated facts for checking one engine against the other -----------------------


def _candidates(name: str, tested: list[ValueSet]) -> list[Any]:
    """Values worth trying for one fact: every value of its domain, every code a rule
    names and one none does, numbers at, just below and just above every bound."""
    spec = FACTS[name]
    out: list[Any] = [MISSING] if spec.optional else []
    if spec.kind == "bool":
        return [*out, True, False]
    if spec.kind in ("tri", "enum"):
        return [*out, *spec.domain()]
    if spec.kind == "code":
        named = sorted({v for vs in tested for v in vs.values})
        return [*out, *named, "zz-none-of-these"]
    integer = spec.kind == "int"
    points: set[float] = {0.0, 1.0}
    for bound in (spec.lo, spec.hi):
        if bound is not None:
            points.add(float(bound))
    for vs in tested:
        for iv in vs.intervals:
            for bound in (iv.lo, iv.hi):
                if math.isfinite(bound):
                    points.add(bound)
    numbers: set[float] = set()
    for p in points:
        if integer:
            numbers.update((p - 1, p, p + 1))
        else:
            numbers.update((math.nextafter(p, -INF), p, math.nextafter(p, INF), p - 0.5, p + 0.5))
    lo = -INF if spec.lo is None else spec.lo
    hi = INF if spec.hi is None else spec.hi
    kept = sorted(v for v in numbers if lo <= v <= hi)
    return [*out, *((int(v) for v in kept) if integer else kept)]


def sample_facts(
    formulas: dict[int, Formula],
    strata: Sequence[int],
    stratum_facts: Sequence[tuple[str, ...]],
    n: int,
    seed: str,
) -> Iterator[tuple[int, dict[str, Any]]]:
    """``n`` (stratum, fact values) pairs drawn from each fact's candidates, the strata
    in turn, reproducibly for ``seed``."""
    rng = random.Random(seed)
    choices = []
    for k, names in enumerate(stratum_facts):
        tested: dict[str, list[ValueSet]] = {name: [] for name in names}
        for index, f in formulas.items():
            if strata[index] == k:
                for vs in literals(f):
                    tested.setdefault(vs.fact, []).append(vs)
        if names:
            choices.append((k, [(name, _candidates(name, tested[name])) for name in names]))
    if not choices:
        return
    for i in range(n):
        k, facts = choices[i % len(choices)]
        yield k, {name: rng.choice(values) for name, values in facts}
