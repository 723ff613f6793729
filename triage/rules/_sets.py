"""The set of values a test admits, per fact, with the exact semantics of the rule language.

A fact's universe is its domain (yes/no/unknown, true/false, its codes, or a
numeric range) plus "missing" when the fact is optional. A test admits a
subset of the universe; comparisons never admit "missing", ``exists: false``
admits only "missing", and ``not`` is the complement within the universe.
These sets decide whether a rule can ever fire and how a negation compiles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ._facts import FACTS, MISSING, Fact
from ._ir import Test

__all__ = ["Interval", "ValueSet", "from_test"]

INF = math.inf


@dataclass(frozen=True, slots=True)
class Interval:
    lo: float
    lo_in: bool
    hi: float
    hi_in: bool


def _normalise(ivs: list[Interval], integer: bool) -> tuple[Interval, ...]:
    out: list[Interval] = []
    for iv in ivs:
        lo, lo_in, hi, hi_in = iv.lo, iv.lo_in, iv.hi, iv.hi_in
        if integer:
            if lo != -INF:
                lo = math.ceil(lo) if lo_in else math.floor(lo) + 1
                lo_in = True
            if hi != INF:
                hi = math.floor(hi) if hi_in else math.ceil(hi) - 1
                hi_in = True
        if lo > hi or (lo == hi and not (lo_in and hi_in)):
            continue
        out.append(Interval(lo, lo_in, hi, hi_in))
    out.sort(key=lambda i: (i.lo, not i.lo_in))
    merged: list[Interval] = []
    for iv in out:
        if merged:
            last = merged[-1]
            touching = iv.lo < last.hi or (iv.lo == last.hi and (iv.lo_in or last.hi_in))
            if integer and last.hi != INF and iv.lo != -INF and iv.lo <= last.hi + 1:
                touching = True
            if touching:
                if iv.hi > last.hi or (iv.hi == last.hi and iv.hi_in):
                    merged[-1] = Interval(last.lo, last.lo_in, iv.hi, iv.hi_in)
                continue
        merged.append(iv)
    return tuple(merged)


def _intersect_iv(
    a: tuple[Interval, ...], b: tuple[Interval, ...], integer: bool
) -> tuple[Interval, ...]:
    out = []
    for x in a:
        for y in b:
            if x.lo > y.lo or (x.lo == y.lo and not x.lo_in):
                lo, lo_in = x.lo, x.lo_in
            else:
                lo, lo_in = y.lo, y.lo_in
            if x.hi < y.hi or (x.hi == y.hi and not x.hi_in):
                hi, hi_in = x.hi, x.hi_in
            else:
                hi, hi_in = y.hi, y.hi_in
            out.append(Interval(lo, lo_in, hi, hi_in))
    return _normalise(out, integer)


def _complement_iv(
    a: tuple[Interval, ...], domain: Interval, integer: bool
) -> tuple[Interval, ...]:
    out = []
    lo, lo_in = domain.lo, domain.lo_in
    for iv in a:
        out.append(Interval(lo, lo_in, iv.lo, not iv.lo_in))
        lo, lo_in = iv.hi, not iv.hi_in
    out.append(Interval(lo, lo_in, domain.hi, domain.hi_in))
    return _normalise(out, integer)


@dataclass(frozen=True, slots=True)
class ValueSet:
    """Values of one fact a condition admits. ``values`` for finite and code facts
    (``cofinite`` code sets admit everything but ``values``), ``intervals`` for numbers."""

    fact: str
    missing: bool = False
    values: frozenset[Any] = frozenset()
    cofinite: bool = False
    intervals: tuple[Interval, ...] = ()

    @property
    def spec(self) -> Fact:
        return FACTS[self.fact]

    @property
    def numeric(self) -> bool:
        return self.spec.numeric

    @property
    def integer(self) -> bool:
        return self.spec.kind == "int"

    def _domain_iv(self) -> Interval:
        spec = self.spec
        lo = -INF if spec.lo is None else spec.lo
        hi = INF if spec.hi is None else spec.hi
        return Interval(lo, True, hi, True)

    def _domain_values(self) -> frozenset[Any]:
        spec = self.spec
        if spec.kind == "bool":
            return frozenset({True, False})
        return frozenset(spec.domain())

    @classmethod
    def universe(cls, fact: str) -> ValueSet:
        spec = FACTS[fact]
        empty = cls(fact)
        if spec.numeric:
            return cls(
                fact,
                missing=spec.optional,
                intervals=_normalise([empty._domain_iv()], spec.kind == "int"),
            )
        if spec.kind == "code":
            return cls(fact, missing=spec.optional, cofinite=True)
        return cls(fact, missing=spec.optional, values=empty._domain_values())

    def is_empty(self) -> bool:
        if self.missing:
            return False
        if self.numeric:
            return not self.intervals
        if self.spec.kind == "code":
            return not self.cofinite and not self.values
        return not self.values

    def is_universe(self) -> bool:
        return self == ValueSet.universe(self.fact)

    def intersect(self, other: ValueSet) -> ValueSet:
        missing = self.missing and other.missing
        if self.numeric:
            return ValueSet(
                self.fact,
                missing,
                intervals=_intersect_iv(self.intervals, other.intervals, self.integer),
            )
        if self.spec.kind == "code":
            if self.cofinite and other.cofinite:
                return ValueSet(self.fact, missing, self.values | other.values, True)
            if self.cofinite:
                return ValueSet(self.fact, missing, other.values - self.values, False)
            if other.cofinite:
                return ValueSet(self.fact, missing, self.values - other.values, False)
            return ValueSet(self.fact, missing, self.values & other.values, False)
        return ValueSet(self.fact, missing, self.values & other.values)

    def complement(self) -> ValueSet:
        missing = self.spec.optional and not self.missing
        if self.numeric:
            return ValueSet(
                self.fact,
                missing,
                intervals=_complement_iv(self.intervals, self._domain_iv(), self.integer),
            )
        if self.spec.kind == "code":
            return ValueSet(self.fact, missing, self.values, not self.cofinite)
        return ValueSet(self.fact, missing, self._domain_values() - self.values)

    def union(self, other: ValueSet) -> ValueSet:
        return self.complement().intersect(other.complement()).complement()

    def contains(self, value: Any) -> bool:
        """Whether a concrete value (or ``MISSING``) is admitted."""
        if value is MISSING or value is None:
            return self.missing
        if self.numeric:
            return any(
                (iv.lo < value or (iv.lo_in and iv.lo == value))
                and (value < iv.hi or (iv.hi_in and value == iv.hi))
                for iv in self.intervals
            )
        if self.spec.kind == "code":
            return (value not in self.values) if self.cofinite else (value in self.values)
        return value in self.values


def _points(fact: str, values: tuple[Any, ...], integer: bool) -> tuple[Interval, ...]:
    return _normalise([Interval(float(v), True, float(v), True) for v in values], integer)


def from_test(test: Test) -> ValueSet:
    """The values a single test admits."""
    spec = FACTS[test.fact]
    universe = ValueSet.universe(test.fact)
    present = ValueSet(test.fact, False, universe.values, universe.cofinite, universe.intervals)
    op, v = test.op, test.value
    if op == "exists":
        return present if v else ValueSet(test.fact, missing=True)
    if spec.numeric:
        integer = spec.kind == "int"
        if op in ("==", "in"):
            pts = _points(test.fact, v if op == "in" else (v,), integer)
            admitted = ValueSet(test.fact, intervals=pts)
        elif op in ("!=", "not_in"):
            pts = _points(test.fact, v if op == "not_in" else (v,), integer)
            admitted = ValueSet(test.fact, intervals=pts).complement()
            admitted = ValueSet(test.fact, False, intervals=admitted.intervals)
        else:
            lo, lo_in, hi, hi_in = -INF, True, INF, True
            if op == "<":
                hi, hi_in = float(v), False
            elif op == "<=":
                hi = float(v)
            elif op == ">":
                lo, lo_in = float(v), False
            else:
                lo = float(v)
            admitted = ValueSet(
                test.fact, intervals=_normalise([Interval(lo, lo_in, hi, hi_in)], integer)
            )
        return admitted.intersect(present)
    if spec.kind == "code":
        values = frozenset(v if op in ("in", "not_in") else (v,))
        if op in ("==", "in"):
            return ValueSet(test.fact, False, values, False)
        return ValueSet(test.fact, False, values, True)
    domain = universe.values
    if op in ("<", "<=", ">", ">="):
        order = spec.values
        rank = order.index(v)
        keep = {
            "<": order[:rank],
            "<=": order[: rank + 1],
            ">": order[rank + 1 :],
            ">=": order[rank:],
        }[op]
        return ValueSet(test.fact, False, frozenset(keep))
    values = frozenset(v if op in ("in", "not_in") else (v,))
    if op in ("==", "in"):
        return ValueSet(test.fact, False, values & domain)
    return ValueSet(test.fact, False, domain - values)
