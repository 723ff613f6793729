"""What a case holds a new decision to, and where its deadlines count from.

Before the last decision's review date (`reassess_by`) a later report cannot lower the
level or drop a safety flag: the case keeps them and says which decision holds them.
A re-assessment, or any report on or after that date, may set a lower level. The
closure deadline and the follow-up visits count from the case's first report (or from
its reopening after it was closed), so a later report never restarts the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from ..report import Report
from ..vocab import SAFETY_FLAGS
from ._history import History

__all__ = ["CaseRouting", "Hold", "case_routing", "hold_for"]


@dataclass(frozen=True, slots=True)
class Hold:
    """A floor the case sets: a level and safety flags, held by an earlier decision."""

    level: str
    flags: frozenset[str]
    by: str  # the report whose decision holds them
    until: datetime


def hold_for(report: Report, history: History) -> Hold | None:
    """The case's floor for ``report``, or None when it may stand on its own."""
    last = history.last.decision
    plan = last.routing
    if report.kind == "reassessment" or plan is None or last.status != "ok":
        return None
    if _utc(report.reported_at) >= _utc(plan.reassess_by):
        return None
    flags = frozenset(f for f in last.flags if f in SAFETY_FLAGS)
    return Hold(last.risk_level, flags, last.report_id, plan.reassess_by)


@dataclass(frozen=True, slots=True)
class CaseRouting:
    """What routing needs from the case: when it opened, and who leads it."""

    opened_at: datetime  # the first report, or the one that reopened it
    reopened: bool
    lead: str | None  # the lead the case has, and the rule that named it
    lead_rule: str | None


def case_routing(report: Report, history: History) -> CaseRouting:
    """The case's anchor for its own deadlines, and its lead so far. A report after the
    case was closed reopens it: its deadlines count from that report, with a new lead."""
    closed = [e.at for e in history.events if e.kind == "case_closed"]
    last_closed = max(closed, key=_utc) if closed else None
    plan = history.last.decision.routing
    lead = (plan.lead, plan.lead_rule) if plan is not None else (None, None)
    if last_closed is None or _utc(last_closed) > _utc(report.reported_at):
        return CaseRouting(history.items[0].report.reported_at, False, *lead)
    after = [e for e in history.items if _utc(e.report.reported_at) > _utc(last_closed)]
    if not after:  # this report reopens the case
        return CaseRouting(report.reported_at, True, None, None)
    return CaseRouting(after[0].report.reported_at, False, *lead)


def _utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
