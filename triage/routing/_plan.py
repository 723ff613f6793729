"""Planning: the lead, the co-handlers, each task with its deadline, the follow-ups and
the re-assessment date for one report."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from .._errors import UsageError
from ..report._normalise import tri

if TYPE_CHECKING:
    from ..report._model import Report
    from ..rules._ir import RuleDef
    from ..rules._policy import Policy


from .._kept import keep
from .._trusted import trusted
from ..decision import PlannedTask, RoutingPlan, Withheld
from ._config import _SECONDS, LEAD, MANUAL_REVIEW, RoutingConfig, parse_duration


def _days(config: RoutingConfig, anchor: datetime, duration: str) -> datetime:
    """A schedule date: working days when the policy counts them, for day durations."""
    return config.calendar.add(anchor, duration, config.working_days and duration.endswith("d"))


def _consent(report: Report) -> str:
    return tri(report.consent.share_with_agencies)


_NO_CONSENT = "no_consent"  # why a co-handler is withheld

# A task request: (department, the rule's task, the rule).
Request = tuple[str, Any, "RuleDef"]
# A timed request: (UTC timestamp, counted from, department, task, rule).
Timed = tuple[float, str, str, Any, "RuleDef"]


def build_plan(
    policy: Policy, report: Report, fired: Iterable[RuleDef], level: str, case: Any = None
) -> RoutingPlan:
    """The routing plan from the rules that fired (in the order they applied).

    ``case`` (`triage.case.CaseRouting`) is the case the report belongs to: its own tasks
    (`schedule.case_tasks`, the closure) and the follow-up visits count from when it
    opened, and its lead stays unless a rule of higher precedence names another.
    """
    fired = list(fired)
    if case is None:
        plan = _moved(policy, report, fired, level)
        if plan is not None:
            return plan
    return _plan(policy, report, fired, level, case)


def _plan(
    policy: Policy, report: Report, fired: list[RuleDef], level: str, case: Any
) -> RoutingPlan:
    """`build_plan`, worked out in full."""
    config: RoutingConfig = policy.routing
    consent = _consent(report)
    lead, lead_rule = _lead(config, fired)
    if case is not None and case.lead is not None:
        lead, lead_rule = _case_lead(policy, fired, case, (lead, lead_rule))
    co, requests = _requests(fired, lead)
    opened = case.opened_at if case is not None else report.reported_at
    timed = _Deadlines(config, report.reported_at, opened).schedule(requests)
    chosen, blocked = _may_go_ahead(timed, lead, consent)
    tasks = _tasks(chosen, lead, consent)
    withheld = [
        {"department": department, "action": action, "rule": rule.id, "reason": _NO_CONSENT}
        for (department, action), rule in blocked.items()
        if (department, action) not in chosen
    ]
    co_handlers = _co_handlers(co, lead, consent, tasks, withheld)
    _sort(config, co_handlers, tasks, withheld)
    follow_ups = tuple(_days(config, opened, d) for d in config.follow_ups)
    reassess_by = _days(config, report.reported_at, config.reassess[level])
    # Built from the validated policy and report, every field in order: not validated again.
    return trusted(
        RoutingPlan,
        {
            "lead": lead,
            "lead_rule": lead_rule,
            "co_handlers": tuple(co_handlers),
            "tasks": tuple(trusted(PlannedTask, t) for t in tasks),
            "withheld": tuple(trusted(Withheld, w) for w in withheld),
            "follow_ups": follow_ups,
            "reassess_by": reassess_by,
            "timezone": config.timezone,
            "consent_to_share": consent,
            "consent_to_referral": tri(report.consent.referral),
            "labels": {
                **_labels(config, lead, co_handlers, tasks, withheld),
                **_own_labels(policy, report, fired),
            },
            **_holiday_fields(
                config,
                _working_day_dates(config, chosen),
                (*config.follow_ups, config.reassess[level]),
                (*follow_ups, reassess_by),
            ),
        },
    )


def _lead(config: RoutingConfig, fired: list[RuleDef]) -> tuple[str, str | None]:
    """The lead of the highest-precedence rule that names one (the earlier on a tie)."""
    lead, lead_rule, best = config.default_lead, None, None
    for rule in fired:
        if rule.then.lead is not None:
            rank = (rule.precedence, -rule.index)
            if best is None or rank > best:
                best, lead, lead_rule = rank, rule.then.lead, rule.id
    return lead, lead_rule


def _case_lead(
    policy: Policy, fired: list[RuleDef], case: Any, new: tuple[str, str | None]
) -> tuple[str, str | None]:
    """The case's lead, unless a rule of higher precedence than the one that named it
    names another (a handover, which the decision records)."""

    def rank(rule_id: str | None) -> float:
        try:
            return float("-inf") if rule_id is None else policy.rule(rule_id).precedence
        except KeyError:  # a rule this policy has no longer
            return float("-inf")

    if new[0] == case.lead or rank(new[1]) > rank(case.lead_rule):
        return new
    if case.lead not in policy.routing.departments:
        return new  # a lead this policy has no longer
    return case.lead, case.lead_rule


def _requests(fired: list[RuleDef], lead: str) -> tuple[dict[str, RuleDef], list[Request]]:
    """The co-handlers (each with the first rule naming it) and every task asked for."""
    co: dict[str, RuleDef] = {}
    requests: list[Request] = []
    for rule in fired:
        then = rule.then
        for department in then.co_handlers:
            co.setdefault(department, rule)
        for task in then.tasks:
            department = lead if task.department == LEAD else task.department
            if department != lead:
                co.setdefault(department, rule)
            requests.append((department, task, rule))
    return co, requests


class _Deadlines:
    """Each request's deadline, counted from the report or from another task's deadline."""

    def __init__(self, config: RoutingConfig, anchor: datetime, opened: datetime) -> None:
        self.config = config
        self.anchor = anchor.timestamp()
        self.opened = opened.timestamp()  # the case's own tasks count from here
        self.memo: dict[tuple[float, str, bool], float] = {}
        self.timed: list[Timed] = []
        self.earliest: dict[str, float] = {}  # action -> its earliest deadline

    def deadline(self, start: float, due: str, working: bool) -> float:
        """A deadline as a UTC timestamp; day arithmetic goes through the calendar once."""
        key = (start, due, working)
        stamp = self.memo.get(key)
        if stamp is None:
            n, unit = parse_duration(due)
            if unit != "d":
                stamp = start + n * _SECONDS[unit]
            else:
                calendar = self.config.calendar
                origin = datetime.fromtimestamp(start, calendar.tz)
                stamp = calendar.add(origin, due, working).timestamp()
            self.memo[key] = stamp
        return stamp

    def _add(self, start: float, counted_from: str, request: Request) -> None:
        department, task, rule = request
        working = _working(self.config, task)
        stamp = self.deadline(start, task.due, working and task.due[-1] == "d")
        self.timed.append((stamp, counted_from, department, task, rule))
        known = self.earliest.get(task.action)
        if known is None or stamp < known:
            self.earliest[task.action] = stamp

    def schedule(self, requests: list[Request]) -> list[Timed]:
        later = []
        case_tasks = self.config.case_tasks
        for request in requests:
            if request[1].after is not None:
                later.append(request)
            elif request[1].action in case_tasks and self.opened != self.anchor:
                self._add(self.opened, "case_opened", request)
            else:
                self._add(self.anchor, "reported_at", request)
        while later:  # tasks counted from another task's deadline, once that one is known
            waiting = {task.action for _, task, _ in later}
            ready = [c for c in later if c[1].after not in waiting or c[1].after == c[1].action]
            if not ready:  # unreachable: loops are refused when the policy loads
                raise UsageError("task deadlines depend on each other in a loop")
            for request in ready:
                base = self.earliest.get(request[1].after)
                if base is None:
                    self._add(self.anchor, "reported_at", request)
                else:
                    self._add(base, request[1].after, request)
            later = [c for c in later if c not in ready]
        return self.timed


def _working(config: RoutingConfig, task: Any) -> bool:
    return config.working_days if task.working_days is None else bool(task.working_days)


def _may_go_ahead(
    timed: list[Timed], lead: str, consent: str
) -> tuple[dict[tuple[str, str], tuple[float, str, Any, RuleDef]], dict[tuple[str, str], RuleDef]]:
    """Per (department, action), among the requests that may go ahead (the lead's, with
    consent, or under a legal duty) the earliest deadline wins; the rest are blocked."""
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
    return chosen, blocked


def _tasks(
    chosen: dict[tuple[str, str], tuple[float, str, Any, RuleDef]], lead: str, consent: str
) -> list[dict[str, Any]]:
    return [
        {
            "department": department,
            "action": action,
            "due": stamp,  # a UTC timestamp until `_sort` makes it a date
            "counted_from": counted_from,
            "basis": task.basis,
            "rule": rule.id,
            "consent_override": (
                rule.then.legal_duty if department != lead and consent != "yes" else None
            ),
        }
        for (department, action), (stamp, counted_from, task, rule) in chosen.items()
    ]


def _co_handlers(
    co: dict[str, RuleDef],
    lead: str,
    consent: str,
    tasks: list[dict[str, Any]],
    withheld: list[dict[str, Any]],
) -> list[str]:
    """Co-handlers that may be told; one without consent or a duty is withheld (added to
    ``withheld`` unless a task of its own already is)."""
    kept_departments = {t["department"] for t in tasks}
    withheld_departments = {w["department"] for w in withheld}
    out = []
    for department, rule in co.items():
        if department == lead:
            continue
        if consent != "yes" and rule.then.legal_duty is None and department not in kept_departments:
            if department not in withheld_departments:
                withheld.append(
                    {
                        "department": department,
                        "action": None,
                        "rule": rule.id,
                        "reason": _NO_CONSENT,
                    }
                )
                withheld_departments.add(department)
            continue
        out.append(department)
    return out


def _sort(
    config: RoutingConfig,
    co_handlers: list[str],
    tasks: list[dict[str, Any]],
    withheld: list[dict[str, Any]],
) -> None:
    """The policy's department order; tasks by deadline first. Deadlines become dates."""
    order, last, tz = config.order, len(config.order), config.calendar.tz
    co_handlers.sort(key=lambda d: order.get(d, last))
    tasks.sort(key=lambda t: (t["due"], order.get(t["department"], last), t["action"]))
    for t in tasks:
        t["due"] = datetime.fromtimestamp(t["due"], tz)
    withheld.sort(key=lambda w: (order.get(w["department"], last), w["action"] or ""))


def _own_labels(policy: Policy, report: Report, fired: list[RuleDef]) -> dict[str, Any]:
    """The labels of the policy's own source and flags that this decision names (the
    standard ones are in `triage vocab`); their codes never clash with a department's
    or an action's (the loader refuses that)."""
    own = policy.own_labels
    if not own:
        return {}
    codes = {report.source, *(f for rule in fired for f in rule.then.flags)}
    return {code: own[code] for code in sorted(codes) if code in own}


def _labels(
    config: RoutingConfig,
    lead: str,
    co_handlers: list[str],
    tasks: list[dict[str, Any]],
    withheld: list[dict[str, Any]],
) -> dict[str, Any]:
    """The labels of every department and action the plan names."""
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
    return dict(sorted(labels.items()))


def _working_day_dates(
    config: RoutingConfig, chosen: dict[tuple[str, str], tuple[float, str, Any, RuleDef]]
) -> list[datetime]:
    """The task deadlines counted in working days."""
    return [
        datetime.fromtimestamp(stamp, config.calendar.tz)
        for stamp, _, task, _ in chosen.values()
        if task.due[-1] == "d" and _working(config, task)
    ]


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
        return {"past_holiday_list": False, "holidays_through": None}
    end = config.holidays_through
    last = max(when.astimezone(config.calendar.tz).date() for when in dates)
    return {"past_holiday_list": end is None or last > end, "holidays_through": end}


# -- plans moved in time ------------------------------------------------------------------------
#
# Without working days, what a plan says besides its dates depends only on the rules that
# ask for routing, the level, the consent and the labels it names; its dates are the
# report's time plus fixed amounts wherever the time zone keeps one UTC offset. Such a
# plan is kept (a bounded table per policy) and moved to the next report with the same
# routing; any date where the offset differs is worked out in full instead.

_PLANS_KEPT = 4096
_NOT_MOVABLE: Any = object()  # routing that counts working days: always worked out


class _Moved(Exception):
    """A date of a moved plan lands where the UTC offset is not the report's."""


class _Shape:
    """A plan without its dates: its other fields, and each date as an amount of time
    after the report."""

    def __init__(self, plan: RoutingPlan, anchor: datetime) -> None:
        origin = anchor.astimezone(UTC)
        self.fields = dict(plan.__dict__)
        self.tasks = tuple(({**t.__dict__}, t.due.astimezone(UTC) - origin) for t in plan.tasks)
        self.follow_ups = tuple(f.astimezone(UTC) - origin for f in plan.follow_ups)
        self.reassess_by = plan.reassess_by.astimezone(UTC) - origin

    def at(self, report: Report, tz: Any) -> RoutingPlan:
        """This plan for ``report`` (`_Moved` where a date would cross an offset change)."""
        origin = report.reported_at.astimezone(UTC)
        offset = origin.astimezone(tz).utcoffset()
        made: dict[timedelta, datetime] = {}  # tasks often fall due together

        def when(after: timedelta) -> datetime:
            moment = made.get(after)
            if moment is None:
                moment = made[after] = (origin + after).astimezone(tz)
                if moment.fold or moment.utcoffset() != offset:
                    raise _Moved
            return moment

        tasks = []
        for fields, after in self.tasks:
            task = fields.copy()
            task["due"] = when(after)
            tasks.append(trusted(PlannedTask, task))
        plan = self.fields.copy()
        plan["tasks"] = tuple(tasks)
        plan["follow_ups"] = tuple(when(after) for after in self.follow_ups)
        plan["reassess_by"] = when(self.reassess_by)
        plan["consent_to_referral"] = tri(report.consent.referral)
        plan["labels"] = dict(plan["labels"])  # each plan its own
        return trusted(RoutingPlan, plan)


def _moved(policy: Policy, report: Report, fired: list[RuleDef], level: str) -> RoutingPlan | None:
    """The plan of an earlier report with the same routing, moved to this report's time;
    None where it must be worked out in full."""
    config: RoutingConfig = policy.routing
    if config.working_days:
        return None
    routed = tuple(r.index for r in fired if r.then.lead or r.then.co_handlers or r.then.tasks)
    own = tuple(_own_labels(policy, report, fired)) if policy.own_labels else ()
    key = (routed, level, _consent(report), own)
    shapes = config.shapes
    shape = shapes.get(key)
    if shape is _NOT_MOVABLE:
        return None
    if shape is not None:
        try:
            return shape.at(report, config.calendar.tz)  # type: ignore[no-any-return]
        except _Moved:
            return None
    plan = _plan(policy, report, fired, level, None)
    if any(task.working_days for r in fired for task in r.then.tasks):
        keep(shapes, key, _NOT_MOVABLE, _PLANS_KEPT)
        return plan
    candidate = _Shape(plan, report.reported_at)
    try:  # kept only when moving it to its own report gives the plan itself
        if candidate.at(report, config.calendar.tz) == plan:
            keep(shapes, key, candidate, _PLANS_KEPT)
    except _Moved:
        pass
    return plan


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
