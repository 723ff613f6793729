"""Replaying an archive case by case: each report decided with its case's earlier ones.

The archive is read in order (intake archives are kept in time order); a report
with a ``case_id`` gets the reports of its case read so far, with the decisions
they got in this run, as its history. Memory is bounded by the cases still open:
a case with no report for a year (the repeat window, far past any review date or
closure) is forgotten, and a later report starts it afresh. Of an earlier report
only what the case reads is kept (its identity, time, channel, answers, and its
decision's level, flags and routing), a few hundred bytes, never its narrative.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ..decision import Decision
from ..report import Report, validate_report, yes_answers
from ..vocab import INDICATORS
from ._history import Answered, Earlier, History, Summary

__all__ = ["CaseReplay"]

OPEN_DAYS = 365
_CODES = INDICATORS.codes
_LETTER = {"yes": "y", "no": "n", "unknown": "u"}
_WORD = {v: k for k, v in _LETTER.items()}


class CaseReplay:
    """A decider (as `triage batch` uses one) that gives each report its case's history."""

    def __init__(self, triage: Any) -> None:
        self.triage = triage
        self.cases: OrderedDict[str, History] = OrderedDict()
        self.newest: datetime | None = None

    def assess(self, report: Report | Mapping[str, Any], *, log: bool = True) -> Decision:
        valid = validate_report(report, self.triage.policy.sources)
        if valid.case_id is None:
            decision: Decision = self.triage.assess(valid, log=log)
            return decision
        case = self.cases.get(valid.case_id)
        decision = self.triage.assess(valid, history=case, log=log)
        kept = _kept(valid, decision)
        if case is None:
            self.cases[valid.case_id] = History(valid.case_id, (kept,))
        else:
            self.cases[valid.case_id] = replace(case, items=(*case.items, kept))
            self.cases.move_to_end(valid.case_id)
        self._forget(valid.reported_at)
        return decision

    def _forget(self, moment: datetime) -> None:
        moment = moment.astimezone(UTC)
        if self.newest is None or moment > self.newest:
            self.newest = moment
        horizon = self.newest - timedelta(days=OPEN_DAYS)
        while self.cases:
            case_id, case = next(iter(self.cases.items()))
            if case.last.report.reported_at.astimezone(UTC) >= horizon:
                break
            del self.cases[case_id]

    def worker_setup(self) -> tuple[Any, tuple[Any, ...]]:
        raise NotImplementedError("a case is replayed in one process, in order")


@dataclass(frozen=True, slots=True)
class _Seen:
    """An earlier report as the case reads it."""

    id: str
    case_id: str | None
    reported_at: datetime
    source: str
    kind: str


class _Letters(Mapping[str, str]):
    """An earlier report's answers, one letter each (y, n, u) in the indicators' order."""

    __slots__ = ("_text",)

    def __init__(self, values: Mapping[str, str]) -> None:
        self._text = "".join(_LETTER[values[c]] for c in _CODES)

    def __getitem__(self, code: str) -> str:
        return _WORD[self._text[_INDEX[code]]]

    def __iter__(self) -> Iterator[str]:
        return iter(_CODES)

    def __len__(self) -> int:
        return len(_CODES)


_INDEX = {c: i for i, c in enumerate(_CODES)}


def _kept(report: Report, decision: Decision) -> Earlier:
    yes = yes_answers(report)
    compact = _Letters(Answered(report.indicators, yes))
    summary = Summary.model_validate(decision, from_attributes=True)
    seen = _Seen(report.id, report.case_id, report.reported_at, report.source, report.kind)
    # the yes answers as a tuple: a case kept open for a year holds one for each report
    return Earlier(seen, compact, summary, tuple(c for c in _CODES if c in yes))  # type: ignore[arg-type]
