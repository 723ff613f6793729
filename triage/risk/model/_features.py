"""From a report to the numbers a risk model reads.

Each indicator is two columns, ``<code>:not_no`` (yes or unknown) and ``<code>:yes``;
no is both zero. A model constrained to be non-decreasing in both columns then
ranks no ≤ unknown ≤ yes, so an unanswered question never reads as lower risk
than a no, and a yes never lowers the estimate. Counts are capped, with a
column marking them unknown. Context (source, case type, relationship) is
one-hot and unconstrained.

Protected attributes (age, gender, pregnancy, disability, capacity) are not
inputs unless a model is trained with ``protected=True``; subgroup metrics
still read them from the report.

A saved model keeps the columns it was trained on. The library may since have
learnt new indicators (or a policy new sources); such a model reads the columns
it has, in the library's order, and every column it lacks is simply not one of
its inputs (`feature_set(names=...)`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...report._model import Report
from ...report._normalise import Answers, normalise, widened
from ...vocab import CASE_TYPES, GENDERS, INDICATORS, RELATIONSHIPS, SOURCES

if TYPE_CHECKING:
    import numpy as np

__all__ = ["FEATURE_VERSION", "FeatureSet", "feature_set"]

FEATURE_VERSION = "1"
COUNT_CAP = 10
_HISTORY = ("police_calls_12m", "prior_protection_orders", "protection_order_violations")
_AGE_BANDS = (
    (0, 17, "0-17"),
    (18, 29, "18-29"),
    (30, 44, "30-44"),
    (45, 59, "45-59"),
    (60, 200, "60+"),
)


def age_band(age: int | None) -> str:
    if age is None:
        return "unknown"
    for lo, hi, name in _AGE_BANDS:
        if lo <= age <= hi:
            return name
    return "unknown"


@dataclass(frozen=True)
class FeatureSet:
    """The columns of one feature encoding, with what each may do to the estimate."""

    names: tuple[str, ...]
    monotone: tuple[int, ...]  # +1: the estimate may only rise with the column; 0: free
    factor: tuple[str, ...]  # the report item each column comes from (for explanations)
    protected: bool

    def __post_init__(self) -> None:
        index = {n: i for i, n in enumerate(self.names)}
        object.__setattr__(self, "_index", index)
        cols = tuple(
            (c, (index[f"{c}:not_no"], index[f"{c}:yes"]))
            for c in INDICATORS.codes
            if f"{c}:not_no" in index
        )
        object.__setattr__(self, "_indicator_cols", cols)

    @property
    def indicators(self) -> tuple[str, ...]:
        """The indicators this encoding reads (a saved model may predate some)."""
        return tuple(c for c, _ in self._indicator_cols)  # type: ignore[attr-defined]

    @property
    def width(self) -> int:
        return len(self.names)

    def active(
        self, report: Report, answers: Answers | None = None, maxed: bool = False
    ) -> list[tuple[int, float]]:
        """(column, value) for every non-zero column: the sparse form of one row.

        ``maxed`` reads every unanswered question as yes (the max world).
        """
        answers = answers if answers is not None else normalise(report)
        if maxed:
            answers = widened(answers)
        return self._row(answers, report, maxed, self._report_columns(report))

    def active_pair(
        self, report: Report, answers: Answers
    ) -> tuple[list[tuple[int, float]], list[tuple[int, float]]]:
        """`active` as given and maxed (the columns they share read once). The maxed row
        also reads as possible a no that a yes elsewhere would overturn (`widened`)."""
        rest = self._report_columns(report)
        return (
            self._row(answers, report, False, rest),
            self._row(widened(answers), report, True, rest),
        )

    def _row(
        self, answers: Answers, report: Report, maxed: bool, rest: list[tuple[int, float]]
    ) -> list[tuple[int, float]]:
        """The indicators' columns and whether minors were exposed, in one world, with
        ``rest`` (`_report_columns`), in column order."""
        out: list[tuple[int, float]] = []
        for code, (not_no, yes) in self._indicator_cols:  # type: ignore[attr-defined]
            v = answers.values[code]
            if v != "no":
                out.append((not_no, 1.0))
                if v == "yes" or maxed:
                    out.append((yes, 1.0))
        out += self._minors_exposed(report, maxed)
        out += rest
        out.sort()
        return out

    def _minors_exposed(self, report: Report, maxed: bool) -> list[tuple[int, float]]:
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        exposed = report.children.minors_exposed
        if exposed is False:
            return []
        out = [(index["children.minors_exposed:not_no"], 1.0)]
        if exposed or maxed:
            out.append((index["children.minors_exposed:yes"], 1.0))
        return out

    def _report_columns(self, report: Report) -> list[tuple[int, float]]:
        """The columns of the report's history counts, context and (when the encoding
        has them) the people's attributes: the same in both worlds."""
        index: dict[str, int] = self._index  # type: ignore[attr-defined]
        out: list[tuple[int, float]] = []

        def one(name: str) -> None:
            # A context value the encoding has no column for (a source a policy
            # added after the model was trained) is not an input of this model.
            j = index.get(name)
            if j is not None:
                out.append((j, 1.0))

        history = report.history
        for name in _HISTORY:
            count = getattr(history, name)
            if count is None:
                out.append((index[f"history.{name}:unknown"], 1.0))
            elif count:
                out.append((index[f"history.{name}"], float(min(count, COUNT_CAP))))
        one(f"source={report.source}")
        if report.case_type != CASE_TYPES.codes[0]:
            one(f"case_type={report.case_type}")
        one(f"relationship={report.abuser.relationship or 'unknown'}")
        if self.protected:
            victim = report.victim
            out.append((index[f"victim.age={age_band(victim.age)}"], 1.0))
            out.append((index[f"victim.gender={victim.gender or 'unknown'}"], 1.0))
            out.append((index[f"abuser.gender={report.abuser.gender or 'unknown'}"], 1.0))
            for name in ("pregnant", "disability", "lacks_capacity"):
                value = getattr(victim, name)
                col = f"victim.{name}={'unknown' if value is None else 'yes' if value else 'no'}"
                out.append((index[col], 1.0))
        return out

    def row(self, report: Report, answers: Answers | None = None) -> np.ndarray:
        import numpy as np  # deferred: rows are for training and evaluation, not decisions

        x = np.zeros(self.width)
        for j, value in self.active(report, answers):
            x[j] = value
        return x

    def matrix(self, reports: Sequence[Report]) -> np.ndarray:
        import numpy as np  # deferred: see `row`

        X = np.zeros((len(reports), self.width))
        for i, report in enumerate(reports):
            for j, value in self.active(report):
                X[i, j] = value
        return X


def _columns(protected: bool) -> Iterable[tuple[str, int, str]]:
    for code in INDICATORS.codes:
        yield f"{code}:not_no", 1, f"indicators.{code}"
        yield f"{code}:yes", 1, f"indicators.{code}"
    for name in _HISTORY:
        yield f"history.{name}", 1, f"history.{name}"
        yield f"history.{name}:unknown", 1, f"history.{name}"
    yield "children.minors_exposed:not_no", 1, "children.minors_exposed"
    yield "children.minors_exposed:yes", 1, "children.minors_exposed"
    for code in SOURCES.codes:
        yield f"source={code}", 0, "source"
    for code in CASE_TYPES.codes[1:]:
        yield f"case_type={code}", 0, "case_type"
    for code in (*RELATIONSHIPS.codes, "unknown"):
        yield f"relationship={code}", 0, "abuser.relationship"
    if protected:
        for _, _, band in _AGE_BANDS:
            yield f"victim.age={band}", 0, "victim.age"
        yield "victim.age=unknown", 0, "victim.age"
        for code in (*GENDERS.codes, "unknown"):
            yield f"victim.gender={code}", 0, "victim.gender"
        for code in (*GENDERS.codes, "unknown"):
            yield f"abuser.gender={code}", 0, "abuser.gender"
        for name in ("pregnant", "disability", "lacks_capacity"):
            for value in ("yes", "no", "unknown"):
                yield f"victim.{name}={value}", 0, f"victim.{name}"


_SETS: dict[tuple[bool, tuple[str, ...] | None], FeatureSet] = {}


def feature_set(protected: bool = False, names: Sequence[str] | None = None) -> FeatureSet:
    """The library's feature encoding (version `FEATURE_VERSION`).

    ``names`` (a saved model's columns) keeps only those columns; they must be
    columns of this library, in its order, or ValueError says which is not.
    """
    key = (protected, None if names is None else tuple(names))
    found = _SETS.get(key)
    if found is None:
        cols = list(_columns(protected))
        if names is not None:
            cols = _subset(cols, tuple(names))
        found = _SETS[key] = FeatureSet(
            tuple(c[0] for c in cols),
            tuple(c[1] for c in cols),
            tuple(c[2] for c in cols),
            protected,
        )
    return found


def _subset(cols: list[tuple[str, int, str]], names: tuple[str, ...]) -> list[tuple[str, int, str]]:
    by_name = {c[0]: c for c in cols}
    order = {c[0]: i for i, c in enumerate(cols)}
    for name in names:
        if name not in by_name:
            raise ValueError(f"the column {name!r} is not one this library computes")
    ranks = [order[n] for n in names]
    if ranks != sorted(set(ranks)):
        raise ValueError("its columns are repeated or not in this library's order")
    # An indicator is two columns; a model reads both or neither.
    for c in INDICATORS.codes:
        if (f"{c}:not_no" in names) != (f"{c}:yes" in names):
            raise ValueError(f"it has only one of the two columns of {c}")
    return [by_name[n] for n in names]
