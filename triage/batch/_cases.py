"""Replaying an archive case by case: each report decided with its case's earlier ones.

The archive is read in order (intake archives are kept in time order); a report
with a ``case_id`` gets the reports of its case read so far, with the decisions
they got in this run, as its history. Memory is bounded by the cases still open:
a case with no report for a year (the repeat window, far past any review date or
closure) is forgotten, and a later report starts it afresh. What is kept of an
earlier report is what the case needs (answers, times, levels, flags, routing),
never its narrative.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from ..decision import Decision
from ..report import Report, validate_report

__all__ = ["CaseReplay"]

OPEN_DAYS = 365


class CaseReplay:
    """A decider (as `triage batch` uses one) that gives each report its case's history."""

    def __init__(self, triage: Any) -> None:
        self.triage = triage
        self.cases: OrderedDict[str, list[dict[str, Any]]] = OrderedDict()
        self.newest: datetime | None = None

    def assess(self, report: Report | Mapping[str, Any], *, log: bool = True) -> Decision:
        valid = validate_report(report, self.triage.policy.sources)
        if valid.case_id is None:
            decision: Decision = self.triage.assess(valid, log=log)
            return decision
        earlier = self.cases.get(valid.case_id)
        decision = self.triage.assess(valid, history=earlier or None, log=log)
        kept = {"report": _slim_report(valid), "decision": _slim_decision(decision)}
        if earlier is None:
            self.cases[valid.case_id] = [kept]
        else:
            earlier.append(kept)
            self.cases.move_to_end(valid.case_id)
        self._forget(valid.reported_at)
        return decision

    def _forget(self, moment: datetime) -> None:
        moment = moment.astimezone(UTC)
        if self.newest is None or moment > self.newest:
            self.newest = moment
        horizon = self.newest - timedelta(days=OPEN_DAYS)
        while self.cases:
            case_id, items = next(iter(self.cases.items()))
            if items[-1]["report"].reported_at.astimezone(UTC) >= horizon:
                break
            del self.cases[case_id]

    def worker_setup(self) -> tuple[Any, tuple[Any, ...]]:
        raise NotImplementedError("a case is replayed in one process, in order")


def _slim_report(report: Report) -> Report:
    return report.model_copy(update={"narrative": None}) if report.narrative else report


def _slim_decision(decision: Decision) -> Decision:
    # The case reads levels, flags, the routing plan and the report's identity; the
    # trace, the gaps and the instrument results are for the caller, not the case.
    return decision.model_copy(
        update={"trace": (), "information_gaps": (), "instruments": {}, "derived_indicators": ()}
    )
