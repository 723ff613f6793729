"""Supervision (督查考核): which tasks, visits and re-assessments are overdue, done late,
or due soon."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal

from .._errors import UsageError
from ..decision import _Frozen

if TYPE_CHECKING:
    from ..decision import Decision
    from ..report._model import Report


from ..decision import RoutingPlan


@dataclass(frozen=True)
class Event:
    """Something that happened to a case: a task done, a visit made, a review, closure."""

    kind: Literal["task_done", "follow_up", "reassessed", "case_closed"]
    at: datetime
    department: str | None = None
    action: str | None = None


class Breach(_Frozen):
    """A deadline that was missed, was met late, or falls due soon."""

    kind: Literal["task", "follow_up", "reassessment"]
    department: str | None = None
    action: str | None = None
    due: datetime
    status: Literal["overdue", "done_late", "due_soon"]
    done_at: datetime | None = None


def parse_event(raw: Event | Mapping[str, Any]) -> Event:
    """An event from its mapping form ({kind, at, department?, action?}), checked."""
    if isinstance(raw, Event):
        event = raw
    else:
        try:
            at = raw["at"]
            if isinstance(at, str):
                at = datetime.fromisoformat(at)
            event = Event(
                kind=raw["kind"], at=at, department=raw.get("department"), action=raw.get("action")
            )
        except (KeyError, TypeError, ValueError):
            raise UsageError("an event needs a kind and an ISO 8601 'at'") from None
    if event.kind not in ("task_done", "follow_up", "reassessed", "case_closed"):
        raise UsageError(f"unknown event kind {event.kind!r}")
    if event.at.tzinfo is None:
        raise UsageError("event times must carry a UTC offset")
    return event


def _utc(moment: datetime) -> datetime:
    # Aware datetimes sharing a tzinfo object compare and subtract by wall clock, which is
    # wrong around daylight-saving changes; every comparison here is made in UTC.
    return moment.astimezone(UTC)


def _status(
    due: datetime, done: datetime | None, now: datetime, window: timedelta
) -> Literal["overdue", "done_late", "due_soon"] | None:
    due, now = _utc(due), _utc(now)
    done = None if done is None else _utc(done)
    if done is not None:
        return "done_late" if done > due else None
    if now > due:
        return "overdue"
    if due - now <= window:
        return "due_soon"
    return None


def overdue(
    decision: Decision,
    events: Iterable[Event | Mapping[str, Any]],
    now: datetime,
    window: timedelta = timedelta(0),
) -> tuple[Breach, ...]:
    """Deadlines of a decision's routing plan that are breached or due within ``window``.

    A deadline is met by something done at or before it: at the deadline a task is
    still on time (``due_soon``), a moment later it is ``overdue``. ``case_closed``
    completes any ``close_case`` task; the i-th follow-up visit (in time order)
    serves the i-th follow-up date.
    """
    if now.tzinfo is None:
        raise UsageError("now must carry a UTC offset")
    plan = decision.routing
    if not isinstance(plan, RoutingPlan):
        raise UsageError("this decision has no routing plan")
    parsed = sorted((parse_event(e) for e in events), key=lambda e: _utc(e.at))
    out: list[Breach] = []
    for task in plan.tasks:
        done = None
        for e in parsed:
            if (
                e.kind == "task_done"
                and e.department == task.department
                and e.action == task.action
            ) or (e.kind == "case_closed" and task.action == "close_case"):
                done = e.at
                break
        status = _status(task.due, done, now, window)
        if status is not None:
            out.append(
                Breach(
                    kind="task",
                    department=task.department,
                    action=task.action,
                    due=task.due,
                    status=status,
                    done_at=done,
                )
            )
    visits = [e.at for e in parsed if e.kind == "follow_up"]
    for i, when in enumerate(plan.follow_ups):
        done = visits[i] if i < len(visits) else None
        status = _status(when, done, now, window)
        if status is not None:
            out.append(Breach(kind="follow_up", due=when, status=status, done_at=done))
    reviews = [e.at for e in parsed if e.kind == "reassessed"]
    status = _status(plan.reassess_by, reviews[0] if reviews else None, now, window)
    if status is not None:
        out.append(
            Breach(
                kind="reassessment",
                due=plan.reassess_by,
                status=status,
                done_at=reviews[0] if reviews else None,
            )
        )
    out.sort(key=lambda b: (_utc(b.due), b.kind, b.department or "", b.action or ""))
    return tuple(out)


def overdue_case(
    case: Sequence[tuple[Report, Decision]],
    events: Iterable[Event | Mapping[str, Any]],
    now: datetime,
    window: timedelta = timedelta(0),
) -> tuple[Breach, ...]:
    """`overdue` for a whole case: its reports with their decisions, oldest first.

    Every decision's tasks are supervised (a later report adds tasks, it does not
    cancel earlier ones), the case's own tasks once, as the latest decision plans
    them; the follow-up visits and the review come from the latest decision, whose
    visits count from the case's opening. A report of kind ``follow_up_visit`` is the
    visit it fulfils. No report of the case can be the latest decision's review (that
    comes after it): only a ``reassessed`` event is.
    """
    if not case:
        raise UsageError("a case needs at least one report and its decision")
    given = [parse_event(e) for e in events]
    last = case[-1][1]
    plan = last.routing
    if not isinstance(plan, RoutingPlan):
        raise UsageError("the case's latest decision has no routing plan")
    visits = [Event("follow_up", r.reported_at) for r, _ in case if r.kind == "follow_up_visit"]
    # Each report's tasks are obligations of their own; a task that belongs to the case
    # (counted from its opening) is supervised once, as the latest decision plans it.
    case_actions = {t.action for t in plan.tasks if t.counted_from == "case_opened"}
    tasks: dict[tuple[str, str, datetime], Any] = {}
    for i, (_, decision) in enumerate(case):
        if decision.routing is None:
            continue
        for task in decision.routing.tasks:
            if task.action in case_actions and i < len(case) - 1:
                continue
            tasks.setdefault((task.department, task.action, _utc(task.due)), task)
    merged = RoutingPlan.model_validate(
        {**plan.model_dump(), "tasks": [t.model_dump() for t in tasks.values()]}
    )
    whole = last.model_copy(update={"routing": merged})
    return overdue(whole, [*given, *visits], now, window)
