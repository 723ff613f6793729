"""Multi-agency routing: who leads, who co-handles, which task each has, and by when.

Routing is configured in the policy file, not in code: a department registry,
action codes, a schedule (working days, holidays, follow-ups, re-assessment
intervals) and rules whose ``then`` sets a lead, co-handlers and tasks.

Deadlines count from ``reported_at`` (or from another task's deadline) in the
policy's time zone:

- ``s``, ``m`` and ``h`` durations are elapsed time;
- ``d`` durations are calendar days: the same wall-clock time n days later (a
  time that does not exist because clocks moved forward moves forward with
  them; a time that occurs twice is the first one);
- with working days, ``d`` counts working days (weekends and holidays skipped,
  make-up workdays counted), at the same wall-clock time.

``overdue(decision, events, now)`` lists the tasks, follow-up visits and
re-assessments that are overdue, done late, or due within a window.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from ._errors import UsageError
from .rules._outcome import Translated
from .vocab import DEPARTMENTS

if TYPE_CHECKING:
    from ._decision import Decision
    from ._report import Report
    from .rules._ir import RuleDef
    from .rules._policy import Policy

__all__ = [
    "Breach",
    "Calendar",
    "Event",
    "PlannedTask",
    "RoutingPlan",
    "Withheld",
    "build_plan",
    "explain_routing",
    "fallback_plan",
    "overdue",
]

_DURATION = re.compile(r"^([0-9]{1,6})([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours"}
_SECONDS = {"s": 1, "m": 60, "h": 3600}
MANUAL_REVIEW = "manual_review"
LEAD = "lead"  # a task's department meaning "whichever department leads the case"
_BUILTIN_ACTIONS = {
    MANUAL_REVIEW: Translated(
        zh="立即人工复核（规则引擎故障）", en="manual review now (rule engine failure)"
    ),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlannedTask(_Frozen):
    department: str
    action: str
    due: datetime = Field(description="deadline, ISO 8601 with the policy's UTC offset")
    counted_from: str = Field(description="'reported_at' or the action it counts from")
    basis: str | None = None
    rule: str = Field(description="the rule that added the task")
    consent_override: str | None = Field(
        None, description="the legal duty under which the task goes ahead without consent"
    )


class Withheld(_Frozen):
    """A co-handler left out for want of consent, and no legal duty overriding it."""

    department: str
    action: str | None
    rule: str
    reason: Literal["no_consent"] = "no_consent"


class RoutingPlan(_Frozen):
    lead: str
    lead_rule: str | None = Field(description="the rule whose lead won (None: the default)")
    co_handlers: tuple[str, ...]
    tasks: tuple[PlannedTask, ...]
    withheld: tuple[Withheld, ...] = ()
    follow_ups: tuple[datetime, ...]
    reassess_by: datetime
    timezone: str
    consent_to_share: str = Field(description="yes, no or unknown, as reported")
    consent_to_referral: str = Field("unknown", description="yes, no or unknown, as reported")
    labels: dict[str, Translated] = Field(
        default_factory=dict, description="labels of the departments and actions in this plan"
    )
    past_holiday_list: bool = Field(
        False,
        description="a working-day date in this plan falls after the policy's last listed "
        "holiday (or the policy lists none), so every weekday was counted there",
    )
    holidays_through: date | None = Field(
        None, description="the last date the policy's holiday list covers (working days only)"
    )


# -- time ----------------------------------------------------------------------------------


@lru_cache(maxsize=1024)
def parse_duration(text: str) -> tuple[int, str]:
    match = _DURATION.match(text)
    if match is None:
        raise UsageError(f"not a duration: {text!r} (use e.g. 2s, 30m, 24h, 15d)")
    return int(match.group(1)), match.group(2)


@dataclass(frozen=True)
class Calendar:
    """Deadline arithmetic in one time zone, with optional working days."""

    tz: ZoneInfo
    weekend: frozenset[int] = frozenset({6, 7})
    holidays: frozenset[date] = frozenset()
    extra_workdays: frozenset[date] = frozenset()

    def is_workday(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        return day.isoweekday() not in self.weekend and day not in self.holidays

    def _wall(self, local: datetime, day: date) -> datetime:
        naive = datetime.combine(day, local.time().replace(tzinfo=None))
        # fold=0 picks the first of two equal wall times; through UTC, a time inside a
        # spring-forward gap lands after the gap.
        aware = naive.replace(tzinfo=self.tz, fold=0)
        return datetime.fromtimestamp(aware.timestamp(), self.tz)

    def add(self, anchor: datetime, duration: str, working_days: bool = False) -> datetime:
        """``anchor`` plus a duration, in this calendar's time zone."""
        n, unit = parse_duration(duration)
        if unit != "d":
            return (anchor.astimezone(UTC) + timedelta(**{_UNITS[unit]: n})).astimezone(self.tz)
        local = anchor.astimezone(self.tz)
        if not working_days:
            return self._wall(local, local.date() + timedelta(days=n))
        day = local.date()
        counted = 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_workday(day):
                counted += 1
        return self._wall(local, day)


# -- building a plan -------------------------------------------------------------------------


@dataclass(frozen=True)
class RoutingConfig:
    """What a policy says about routing, ready to use."""

    calendar: Calendar
    working_days: bool
    follow_ups: tuple[str, ...]
    reassess: dict[str, str]
    default_lead: str
    departments: dict[str, Translated]
    actions: dict[str, Translated]
    timezone: str
    fingerprint: str = ""  # equal for equal routing sections: plans may then be shared

    @property
    def holidays_through(self) -> date | None:
        """The last date the holiday list speaks of (None: no list)."""
        listed = self.calendar.holidays | self.calendar.extra_workdays
        return max(listed) if listed else None

    def notices(self) -> list[tuple[str, str, str]]:
        """Advice on the schedule that is not an error: (code, zh, en)."""
        if not self.working_days:
            return []
        end = self.holidays_through
        if end is None:
            return [
                (
                    "no-holidays",
                    "按工作日计算期限但未列出节假日：除周末外每天都计为工作日",
                    "working-day deadlines with no holiday list: every day but the weekend counts",
                )
            ]
        return [
            (
                "holidays-end",
                f"节假日只列到 {end.isoformat()}；此后的工作日期限把每个非周末日都计为工作日"
                "（期限只会更早，不会更晚），请逐年补充",
                f"holidays are listed only through {end.isoformat()}; working-day deadlines "
                "after it count every day but the weekend (earlier, never later): extend the "
                "list each year",
            )
        ]

    @property
    def order(self) -> dict[str, int]:
        """Departments in registry order, for stable listings."""
        return {code: i for i, code in enumerate(self.departments)}

    @classmethod
    def from_parsed(cls, parsed: Any, timezone: str) -> RoutingConfig:
        schedule = parsed.schedule
        departments = {t.code: Translated(zh=t.zh, en=t.en) for t in DEPARTMENTS}
        departments.update({k: Translated(zh=v.zh, en=v.en) for k, v in parsed.departments.items()})
        actions = dict(_BUILTIN_ACTIONS)
        actions.update({k: Translated(zh=v.zh, en=v.en) for k, v in parsed.actions.items()})
        calendar = Calendar(
            ZoneInfo(timezone),
            frozenset(schedule.weekend),
            frozenset(schedule.holidays),
            frozenset(schedule.extra_workdays),
        )
        sections = {
            **parsed.model_dump(mode="json", include={"schedule", "departments", "actions"}),
            "timezone": timezone,
        }
        fingerprint = hashlib.sha256(
            json.dumps(sections, sort_keys=True, ensure_ascii=False).encode()
        ).hexdigest()
        return cls(
            calendar,
            schedule.working_days,
            tuple(schedule.follow_ups),
            dict(schedule.reassess),
            schedule.default_lead,
            departments,
            actions,
            timezone,
            fingerprint,
        )


def _days(config: RoutingConfig, anchor: datetime, duration: str) -> datetime:
    """A schedule date: working days when the policy counts them, for day durations."""
    return config.calendar.add(anchor, duration, config.working_days and duration.endswith("d"))


def _tri(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def _consent(report: Report) -> str:
    return _tri(report.consent.share_with_agencies)


def build_plan(policy: Policy, report: Report, fired: Iterable[RuleDef], level: str) -> RoutingPlan:
    """The routing plan from the rules that fired (in the order they applied)."""
    config: RoutingConfig = policy.routing
    calendar = config.calendar
    anchor = report.reported_at
    consent = _consent(report)
    fired = list(fired)
    lead, lead_rule, best = config.default_lead, None, None
    for rule in fired:
        if rule.then.lead is not None:
            rank = (rule.precedence, -rule.index)
            if best is None or rank > best:
                best, lead, lead_rule = rank, rule.then.lead, rule.id
    # Every task any fired rule asks for, with its deadline; then per (department,
    # action) the earliest deadline wins (a tighter deadline is the safer one).
    co: dict[str, RuleDef] = {}
    candidates: list[tuple[str, Any, RuleDef]] = []
    for rule in fired:
        then = rule.then
        for department in then.co_handlers:
            co.setdefault(department, rule)
        for task in then.tasks:
            department = lead if task.department == LEAD else task.department
            if department != lead:
                co.setdefault(department, rule)
            candidates.append((department, task, rule))
    default_working = config.working_days
    anchor_stamp = anchor.timestamp()
    memo: dict[tuple[float, str, bool], float] = {}

    def deadline(start: float, due: str, working: bool) -> float:
        """A deadline as a UTC timestamp; day arithmetic goes through the calendar once."""
        key = (start, due, working)
        stamp = memo.get(key)
        if stamp is None:
            n, unit = parse_duration(due)
            if unit != "d":
                stamp = start + n * _SECONDS[unit]
            else:
                origin = datetime.fromtimestamp(start, calendar.tz)
                stamp = calendar.add(origin, due, working).timestamp()
            memo[key] = stamp
        return stamp

    # (timestamp, counted from, department, task, rule)
    timed: list[tuple[float, str, str, Any, RuleDef]] = []
    earliest: dict[str, float] = {}  # action -> its earliest deadline

    def schedule(
        start: float, counted_from: str, department: str, task: Any, rule: RuleDef
    ) -> None:
        working = default_working if task.working_days is None else task.working_days
        stamp = deadline(start, task.due, working and task.due[-1] == "d")
        timed.append((stamp, counted_from, department, task, rule))
        known = earliest.get(task.action)
        if known is None or stamp < known:
            earliest[task.action] = stamp

    later = []
    for department, task, rule in candidates:
        if task.after is None:
            schedule(anchor_stamp, "reported_at", department, task, rule)
        else:
            later.append((department, task, rule))
    while later:  # tasks counted from another task's deadline, once that one is known
        waiting = {task.action for _, task, _ in later}
        ready = [c for c in later if c[1].after not in waiting or c[1].after == c[1].action]
        if not ready:  # unreachable: loops are refused when the policy loads
            raise UsageError("task deadlines depend on each other in a loop")
        for department, task, rule in ready:
            base = earliest.get(task.after)
            if base is None:
                schedule(anchor_stamp, "reported_at", department, task, rule)
            else:
                schedule(base, task.after, department, task, rule)
        later = [c for c in later if c not in ready]

    # Per (department, action): among the requests that may go ahead (the lead's,
    # with consent, or under a legal duty) the earliest deadline wins; a task none of
    # whose requests may go ahead is withheld.
    chosen: dict[tuple[str, str], tuple[float, str, Any, RuleDef]] = {}
    blocked: dict[tuple[str, str], RuleDef] = {}
    for stamp, counted_from, department, task, rule in timed:
        key = (department, task.action)
        if department != lead and consent != "yes" and rule.then.legal_duty is None:
            blocked.setdefault(key, rule)
            continue
        best_so_far = chosen.get(key)
        if best_so_far is None or (stamp, rule.index) < (best_so_far[0], best_so_far[3].index):
            chosen[key] = (stamp, counted_from, task, rule)
    tz = calendar.tz
    tasks: list[dict[str, Any]] = []
    withheld: list[dict[str, Any]] = [
        {"department": department, "action": action, "rule": rule.id}
        for (department, action), rule in blocked.items()
        if (department, action) not in chosen
    ]
    kept_departments: set[str] = set()
    for (department, action), (stamp, counted_from, task, rule) in chosen.items():
        kept_departments.add(department)
        tasks.append(
            {
                "department": department,
                "action": action,
                "due": datetime.fromtimestamp(stamp, tz),
                "stamp": stamp,
                "counted_from": counted_from,
                "basis": task.basis,
                "rule": rule.id,
                "consent_override": (
                    rule.then.legal_duty if department != lead and consent != "yes" else None
                ),
            }
        )
    co_handlers = []
    withheld_departments = {w["department"] for w in withheld}
    for department, rule in co.items():
        if department == lead:
            continue
        if consent != "yes" and rule.then.legal_duty is None and department not in kept_departments:
            if department not in withheld_departments:
                withheld.append({"department": department, "action": None, "rule": rule.id})
                withheld_departments.add(department)
            continue
        co_handlers.append(department)
    order = config.order
    last = len(order)
    co_handlers.sort(key=lambda d: order.get(d, last))
    tasks.sort(key=lambda t: (t["stamp"], order.get(t["department"], last), t["action"]))
    for t in tasks:
        del t["stamp"]
    withheld.sort(key=lambda w: (order.get(w["department"], last), w["action"] or ""))
    departments, actions = config.departments, config.actions
    used = {
        lead,
        *co_handlers,
        *(t["department"] for t in tasks),
        *(w["department"] for w in withheld),
    }
    labels = {code: departments[code] for code in sorted(used) if code in departments}
    for item in (*tasks, *withheld):
        action = item["action"]
        if action and action in actions:
            labels[action] = actions[action]
    follow_ups = tuple(_days(config, anchor, d) for d in config.follow_ups)
    reassess_by = _days(config, anchor, config.reassess[level])
    # One validation of the whole plan (in pydantic's core) instead of one per task.
    return RoutingPlan.model_validate(
        {
            "lead": lead,
            "lead_rule": lead_rule,
            "co_handlers": tuple(co_handlers),
            "tasks": tasks,
            "withheld": withheld,
            "follow_ups": follow_ups,
            "reassess_by": reassess_by,
            "timezone": config.timezone,
            "consent_to_share": consent,
            "consent_to_referral": _tri(report.consent.referral),
            "labels": dict(sorted(labels.items())),
            **_holiday_fields(
                config,
                [
                    datetime.fromtimestamp(stamp, calendar.tz)
                    for stamp, _, task, _ in chosen.values()
                    if task.due[-1] == "d"
                    and (default_working if task.working_days is None else task.working_days)
                ],
                (*config.follow_ups, config.reassess[level]),
                (*follow_ups, reassess_by),
            ),
        }
    )


def _holiday_fields(
    config: RoutingConfig,
    counted: list[datetime],
    durations: tuple[str, ...],
    schedule: tuple[datetime, ...],
) -> dict[str, Any]:
    """Whether a date counted in working days (``counted``, and the schedule's day
    durations) lies past the policy's holiday list (see `RoutingConfig.notices`)."""
    dates = list(counted)  # a task may count working days in a calendar-day policy
    if config.working_days:
        dates += [when for d, when in zip(durations, schedule, strict=True) if d[-1] == "d"]
    if not dates:
        return {}
    end = config.holidays_through
    last = max(when.astimezone(config.calendar.tz).date() for when in dates)
    return {"past_holiday_list": end is None or last > end, "holidays_through": end}


def fallback_plan(policy: Policy, report: Report, level: str) -> RoutingPlan:
    """For a decision the engine could not make: the default lead reviews it now."""
    config: RoutingConfig = policy.routing
    anchor = report.reported_at
    lead = config.default_lead
    task = PlannedTask(
        department=lead,
        action=MANUAL_REVIEW,
        due=config.calendar.add(anchor, "0s"),
        counted_from="reported_at",
        basis="rule engine failure",
        rule="(engine failure)",
    )
    follow_ups = tuple(_days(config, anchor, d) for d in config.follow_ups)
    reassess_by = _days(config, anchor, config.reassess[level])
    return RoutingPlan(
        lead=lead,
        lead_rule=None,
        co_handlers=(),
        tasks=(task,),
        follow_ups=follow_ups,
        reassess_by=reassess_by,
        timezone=config.timezone,
        consent_to_share=_consent(report),
        labels={lead: config.departments[lead], MANUAL_REVIEW: config.actions[MANUAL_REVIEW]},
        **_holiday_fields(
            config,
            [],
            (*config.follow_ups, config.reassess[level]),
            (*follow_ups, reassess_by),
        ),
    )


# -- supervision ------------------------------------------------------------------------------


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


def _event(raw: Event | Mapping[str, Any]) -> Event:
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
    parsed = sorted((_event(e) for e in events), key=lambda e: _utc(e.at))
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


# -- words ------------------------------------------------------------------------------------


def explain_routing(plan: RoutingPlan, lang: str = "zh") -> list[str]:
    zh = lang == "zh"

    def label(code: str) -> str:
        t = plan.labels.get(code)
        return t.get(lang) if t is not None else code

    sep = "、" if zh else ", "
    lines = []
    why = (
        (f"（规则 {plan.lead_rule}）" if zh else f" (rule {plan.lead_rule})")
        if (plan.lead_rule)
        else ("（默认）" if zh else " (default)")
    )
    lines.append(("分派：牵头部门 " if zh else "Routing: lead ") + label(plan.lead) + why)
    if plan.co_handlers:
        lines.append(
            ("  协办部门：" if zh else "  co-handlers: ")
            + sep.join(label(d) for d in plan.co_handlers)
        )
    lines.append("  任务：" if zh else "  tasks:")
    for t in plan.tasks:
        basis = (f"（依据：{t.basis}）" if zh else f" (basis: {t.basis})") if t.basis else ""
        counted = (
            ""
            if t.counted_from == "reported_at"
            else (
                f"，自“{label(t.counted_from)}”期限起算"
                if zh
                else f", counted from '{label(t.counted_from)}'"
            )
        )
        override = ""
        if t.consent_override:
            override = (
                f"；未经同意，依法定义务办理：{t.consent_override}"
                if zh
                else f"; without consent, under a legal duty: {t.consent_override}"
            )
        lines.append(
            f"    - {label(t.department)}：{label(t.action)}，期限 {t.due.isoformat()}"
            f"{counted}{basis}{override}"
            if zh
            else f"    - {label(t.department)}: {label(t.action)} by {t.due.isoformat()}"
            f"{counted}{basis}{override}"
        )
    if plan.past_holiday_list:
        end = plan.holidays_through
        lines.append(
            (
                f"  注意：部分期限按工作日计算，晚于节假日表的最后日期 {end}；此后每个非周末日都"
                "计为工作日（期限只会更早）"
                if end
                else "  注意：按工作日计算期限，但政策未列出节假日；每个非周末日都计为工作日"
            )
            if zh
            else (
                f"  note: some working-day dates fall after the last listed holiday ({end}); "
                "every weekday was counted there (deadlines can only be earlier)"
                if end
                else "  note: working days are counted, but the policy lists no holidays; "
                "every weekday was counted"
            )
        )
    if plan.withheld:
        items = [
            label(w.department) + (f"（{label(w.action)}）" if zh else f" ({label(w.action)})")
            if w.action
            else label(w.department)
            for w in plan.withheld
        ]
        lines.append(
            (
                "  因未获同意且无法定义务而未分派："
                if zh
                else "  not referred (no consent and no legal duty): "
            )
            + sep.join(items)
        )
    dates = sep.join(d.isoformat() for d in plan.follow_ups)
    lines.append(("  回访：" if zh else "  follow-up visits: ") + dates)
    lines.append(("  复评期限：" if zh else "  re-assess by: ") + plan.reassess_by.isoformat())
    return lines
