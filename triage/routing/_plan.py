"""Planning: the lead, the co-handlers, each task with its deadline, the follow-ups and
the re-assessment date for one report."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .._errors import UsageError

if TYPE_CHECKING:
    from ..report._model import Report
    from ..rules._ir import RuleDef
    from ..rules._policy import Policy


from ..decision import PlannedTask, RoutingPlan
from ._config import _SECONDS, LEAD, MANUAL_REVIEW, RoutingConfig, parse_duration


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
