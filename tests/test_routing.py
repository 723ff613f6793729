"""Routing: leads, co-handlers, tasks and deadlines, consent, and supervision of breaches."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

import triage
from triage import RuleFileError, UsageError, explain
from triage.risk import cohort
from triage.routing._config import Calendar
from triage.routing._supervise import Event, overdue

from .conftest import EXAMPLES, example_case, example_reports

DEFAULT = triage.Triage()
ENGLAND = triage.Triage(EXAMPLES / "policies" / "england_marac.yaml")


def report(**parts: Any) -> dict[str, Any]:
    return {
        "id": "RT-1",
        "reported_at": "2026-03-02T21:15:00+08:00",
        "source": "police_110",
        "case_type": "domestic_violence",
        **parts,
    }


def elapsed(start: datetime, end: datetime) -> timedelta:
    """Real time between two instants (same-zone subtraction would use wall clocks)."""
    return end.astimezone(UTC) - start.astimezone(UTC)


def by_action(decision: triage.Decision) -> dict[tuple[str, str], Any]:
    assert decision.routing is not None
    return {(t.department, t.action): t for t in decision.routing.tasks}


class TestDefaultRouting:
    def test_every_routing_rule_exercised_by_an_example(self) -> None:
        """Each default routing rule (lead, co-handlers or tasks) fires for some example."""
        routing_rules = {
            r.id for r in DEFAULT.policy.rules if r.then.lead or r.then.co_handlers or r.then.tasks
        }
        decisions = [DEFAULT.assess(r) for _, r in example_reports()]
        decisions += DEFAULT.replay(example_case())
        fired = {e.rule for d in decisions for e in d.trace}
        assert routing_rules - fired == set()

    def test_every_case_dispatched_handled_and_closed(self) -> None:
        d = DEFAULT.assess(report())
        tasks = by_action(d)
        anchor = datetime(2026, 3, 2, 21, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
        assert tasks[("governance", "dispatch")].due == anchor + timedelta(seconds=2)
        assert tasks[("police", "first_response")].due == anchor + timedelta(hours=24)
        assert tasks[("police", "close_case")].due == anchor + timedelta(days=15)
        assert d.routing is not None
        assert len(d.routing.follow_ups) == 4
        assert d.routing.follow_ups[-1] == anchor + timedelta(days=60)

    @pytest.mark.parametrize(
        ("source", "lead"),
        [
            ("police_110", "police"),
            ("court", "court"),
            ("womens_federation", "womens_federation"),
            ("hotline_12338", "womens_federation"),
            ("mediation_referral", "justice"),
            ("grid_patrol", "governance"),
            ("school", "education"),
            ("hospital", "health"),
            ("civil_affairs", "civil_affairs"),
        ],
    )
    def test_lead_by_source(self, source: str, lead: str) -> None:
        d = DEFAULT.assess(report(source=source, victim={"age": 40}))
        assert d.routing is not None and d.routing.lead == lead

    def test_emergency_police_lead_wins(self) -> None:
        """A risk rule's lead outranks the source's; the trace-named rule is the winner."""
        d = DEFAULT.assess(
            report(
                source="court",
                indicators={"strangulation": "yes", "threat_to_kill": "yes"},
                consent={"share_with_agencies": True},
            )
        )
        assert d.routing is not None
        assert (d.routing.lead, d.routing.lead_rule) == ("police", "route_emergency")
        assert "womens_federation" in d.routing.co_handlers
        assert by_action(d)[("police", "emergency_response")].due == d.reported_at

    def test_protection_order_deadlines(self) -> None:
        """Court decides in 72 h (24 h when urgent); police verify 24 h after the decision."""
        ordinary = DEFAULT.assess(
            report(
                indicators={"stalking": "yes"},
                requests={"protection_order": True},
                consent={"share_with_agencies": True},
            )
        )
        court = by_action(ordinary)[("court", "decide_protection_order")]
        police = by_action(ordinary)[("police", "verify_protection_order")]
        assert court.due - ordinary.reported_at == timedelta(hours=72)
        assert police.counted_from == "decide_protection_order"
        assert police.due - court.due == timedelta(hours=24)
        urgent = DEFAULT.assess(
            report(
                indicators={"strangulation": "yes", "threat_to_kill": "yes"},
                requests={"protection_order": True},
            )
        )
        court = by_action(urgent)[("court", "decide_protection_order")]
        assert court.due - urgent.reported_at == timedelta(hours=24)

    def test_no_consent_keeps_mandatory_routing(self) -> None:
        """Consent refused: the mandatory report still goes to the police, naming the duty."""
        d = DEFAULT.assess(
            report(
                source="school",
                victim={"age": 9, "lacks_capacity": True},
                indicators={"physical_violence": "yes"},
                consent={"share_with_agencies": False},
            )
        )
        assert d.routing is not None
        assert d.routing.lead == "police"
        task = by_action(d)[("education", "report_to_police")]
        assert task.consent_override and "第14条" in task.consent_override
        assert task.due == d.reported_at

    def test_no_consent_withholds_voluntary_referrals(self) -> None:
        """Consent refused, no legal duty: counselling and legal aid are withheld, and said so."""
        d = DEFAULT.assess(
            report(
                source="self_report",
                case_type="emotional_dispute",
                indicators={"victim_depressed_or_suicidal": "yes"},
                victim={"age": 30},
                consent={"share_with_agencies": False},
            )
        )
        assert d.routing is not None
        withheld = {(w.department, w.action) for w in d.routing.withheld}
        assert ("womens_federation", "psychological_support") in withheld
        assert ("womens_federation", "psychological_support") not in by_action(d)
        with_consent = DEFAULT.assess(
            report(
                source="self_report",
                case_type="emotional_dispute",
                indicators={"victim_depressed_or_suicidal": "yes"},
                victim={"age": 30},
                consent={"share_with_agencies": True},
            )
        )
        assert ("womens_federation", "psychological_support") in by_action(with_consent)

    def test_emotional_dispute_with_violence_is_never_mediated(self) -> None:
        d = DEFAULT.assess(
            report(
                case_type="emotional_dispute",
                indicators={"stalking": "yes", "threat_to_kill": "yes"},
            )
        )
        assert not any(t.action == "people_mediation" for t in d.routing.tasks)  # type: ignore[union-attr]
        assert d.routing.lead == "police"  # type: ignore[union-attr]

    def test_reassessment_by_level(self) -> None:
        anchor = datetime(2026, 3, 2, 21, 15, tzinfo=ZoneInfo("Asia/Shanghai"))
        for indicators, delta in [
            ({"strangulation": "yes", "threat_to_kill": "yes"}, timedelta(hours=72)),
            ({"strangulation": "yes"}, timedelta(days=7)),
        ]:
            d = DEFAULT.assess(report(indicators=indicators))
            assert d.routing is not None and d.routing.reassess_by == anchor + delta


@given(st.integers(min_value=-(10**7), max_value=10**7))
def test_shifting_reported_at_shifts_every_deadline(seconds: int) -> None:
    """Two reports differing only in reported_at get deadlines shifted by exactly that much."""
    base = report(
        indicators={"stalking": "yes", "strangulation": "yes"},
        requests={"protection_order": True},
        consent={"share_with_agencies": True},
    )
    moved = dict(base)
    at = datetime.fromisoformat(base["reported_at"]) + timedelta(seconds=seconds)
    moved["reported_at"] = at.isoformat()
    a, b = DEFAULT.assess(base).routing, DEFAULT.assess(moved).routing
    assert a is not None and b is not None
    delta = timedelta(seconds=seconds)
    assert [t.due + delta for t in a.tasks] == [t.due for t in b.tasks]
    assert [f + delta for f in a.follow_ups] == list(b.follow_ups)
    assert a.reassess_by + delta == b.reassess_by


class TestCalendar:
    LONDON = Calendar(ZoneInfo("Europe/London"))
    NEW_YORK = Calendar(ZoneInfo("America/New_York"))

    def test_days_across_spring_forward(self) -> None:
        """A day deadline keeps the wall-clock time across the clocks going forward."""
        start = datetime(2026, 3, 28, 12, 0, tzinfo=ZoneInfo("Europe/London"))  # GMT
        due = self.LONDON.add(start, "1d")
        assert (due.hour, due.utcoffset()) == (12, timedelta(hours=1))
        assert elapsed(start, due) == timedelta(hours=23)
        assert elapsed(start, self.LONDON.add(start, "24h")) == timedelta(hours=24)

    def test_nonexistent_time_moves_forward(self) -> None:
        """01:30 on 29 March 2026 does not exist in London: the deadline is 02:30 BST."""
        start = datetime(2026, 3, 28, 1, 30, tzinfo=ZoneInfo("Europe/London"))
        due = self.LONDON.add(start, "1d")
        assert (due.day, due.hour, due.minute, due.utcoffset()) == (29, 2, 30, timedelta(hours=1))

    def test_days_across_fall_back(self) -> None:
        """Across the clocks going back, a day is 25 hours; 24h is elapsed time."""
        start = datetime(2026, 11, 1, 9, 0, tzinfo=ZoneInfo("America/New_York")) - timedelta(days=1)
        due = self.NEW_YORK.add(start, "1d")
        assert due.hour == 9 and elapsed(start, due) == timedelta(hours=25)
        assert (self.NEW_YORK.add(start, "24h")).hour == 8

    def test_ambiguous_time_takes_the_first(self) -> None:
        start = datetime(2026, 10, 24, 1, 30, tzinfo=ZoneInfo("Europe/London"))  # BST
        due = self.LONDON.add(start, "1d")
        assert (due.hour, due.utcoffset()) == (1, timedelta(hours=1))

    @given(
        zone=st.sampled_from(
            ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham"]
        ),
        minutes=st.integers(0, 366 * 24 * 60),
        days=st.integers(0, 400),
        working=st.booleans(),
    )
    # 01:30 GMT on 25 October 2026 in London, the second of two; then from winter time to
    # an hour that is repeated the next autumn
    @example(zone="Europe/London", minutes=(297 * 24 + 1) * 60 + 30, days=0, working=False)
    @example(zone="Europe/London", minutes=(10 * 24 + 1) * 60 + 30, days=287, working=False)
    def test_days_are_the_same_wall_time_whole_days_later(
        self, zone: str, minutes: int, days: int, working: bool
    ) -> None:
        """Against wall-clock arithmetic done by hand: the anchor's local time on the day
        counted to, the first of two equal wall times, a time in a gap moved past it
        (zones with DST, one of them moving by 30 minutes)."""
        tz = ZoneInfo(zone)
        calendar = Calendar(tz, holidays=frozenset({date(2026, 4, 3), date(2026, 12, 25)}))
        anchor = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minutes)
        local = anchor.astimezone(tz)
        day, counted = local.date(), 0
        while counted < days:
            day += timedelta(days=1)
            counted += 1 if not working or calendar.is_workday(day) else 0
        wall = datetime.combine(day, local.time()).replace(tzinfo=tz, fold=0)
        expected = datetime.fromtimestamp(wall.timestamp(), tz)
        due = calendar.add(anchor, f"{days}d", working_days=working)
        assert (due.isoformat(), due.fold) == (expected.isoformat(), expected.fold)

    def test_working_days_skip_weekends_and_holidays(self) -> None:
        """Easter 2026: from Thursday 2 April, two working days is Wednesday 8 April."""
        calendar = Calendar(
            ZoneInfo("Europe/London"), holidays=frozenset({date(2026, 4, 3), date(2026, 4, 6)})
        )
        start = datetime(2026, 4, 2, 10, 0, tzinfo=ZoneInfo("Europe/London"))
        assert calendar.add(start, "2d", working_days=True) == datetime(
            2026, 4, 8, 10, 0, tzinfo=ZoneInfo("Europe/London")
        )
        assert calendar.add(start, "2d") == datetime(
            2026, 4, 4, 10, 0, tzinfo=ZoneInfo("Europe/London")
        )

    def test_make_up_workday(self) -> None:
        """A Saturday made a workday (调休) counts; the National Day week does not."""
        shanghai = ZoneInfo("Asia/Shanghai")
        calendar = Calendar(
            shanghai,
            holidays=frozenset(date(2026, 10, d) for d in range(1, 8)),
            extra_workdays=frozenset({date(2026, 10, 10)}),
        )
        start = datetime(2026, 9, 30, 9, 0, tzinfo=shanghai)
        assert calendar.add(start, "1d", working_days=True).date() == date(2026, 10, 8)
        assert calendar.add(start, "3d", working_days=True).date() == date(2026, 10, 10)

    def test_england_policy_counts_bank_holidays(self) -> None:
        """The England example policy counts working days and skips its bank holidays."""
        d = ENGLAND.assess(
            report(
                reported_at="2026-04-02T10:00:00+01:00",
                indicators={"strangulation": "yes"},
                consent={"share_with_agencies": True},
            )
        )
        tasks = by_action(d)
        assert tasks[("idva", "safety_planning")].due == datetime(
            2026, 4, 8, 10, 0, tzinfo=ZoneInfo("Europe/London")
        )


class TestHolidayListNotices:
    """Where a working-day policy's holiday list runs out is said, never silently assumed."""

    def england_with(self, holidays: str) -> triage.Policy:
        """The England example with another holiday list."""
        text = (EXAMPLES / "policies" / "england_marac.yaml").read_text("utf-8")
        start = text.index("  holidays: [")
        end = text.index("]", start) + 1
        return triage.load_policy((text[:start] + f"  holidays: {holidays}" + text[end:]).encode())

    def test_calendar_days_need_no_list(self) -> None:
        assert DEFAULT.policy.notices() == []

    def test_the_end_of_the_list_is_named(self) -> None:
        notices = ENGLAND.policy.notices()
        assert [code for code, _, _ in notices] == ["holidays-end"]
        last = max(ENGLAND.policy.routing.calendar.holidays)
        assert all(last.isoformat() in text for _, zh, en in notices for text in (zh, en))

    def test_no_list_at_all(self) -> None:
        policy = self.england_with("[]")
        assert [code for code, _, _ in policy.notices()] == ["no-holidays"]

    def test_a_later_list_moves_the_date(self) -> None:
        policy = self.england_with("[2026-12-25, 2027-01-01]")
        assert "2027-01-01" in policy.notices()[0][2]

    def decide(self, t: triage.Triage, when: str) -> triage.Decision:
        return t.assess(
            report(
                reported_at=when,
                indicators={"strangulation": "yes"},
                consent={"share_with_agencies": True},
            )
        )

    def test_a_decision_inside_the_list_says_nothing(self) -> None:
        plan = self.decide(ENGLAND, "2026-04-02T10:00:00+01:00").routing
        assert plan is not None
        assert plan.holidays_through == max(ENGLAND.policy.routing.calendar.holidays)
        assert not plan.past_holiday_list
        assert "holiday" not in explain(self.decide(ENGLAND, "2026-04-02T10:00:00+01:00"), "en")

    def test_a_decision_whose_dates_run_past_the_list_says_so(self) -> None:
        decision = self.decide(ENGLAND, "2026-12-21T10:00:00+00:00")
        plan = decision.routing
        assert plan is not None and plan.past_holiday_list
        last = plan.holidays_through
        assert last is not None
        assert max(d.date() for d in plan.follow_ups) > last
        assert f"last listed holiday ({last})" in explain(decision, "en")
        assert f"节假日表的最后日期 {last}" in explain(decision, "zh")

    def test_no_list_marks_every_working_day_decision(self) -> None:
        t = triage.Triage(self.england_with("[]"))
        plan = self.decide(t, "2026-04-02T10:00:00+01:00").routing
        assert plan is not None and plan.past_holiday_list and plan.holidays_through is None

    def test_a_working_day_task_in_a_calendar_day_policy_is_marked(self) -> None:
        text = (EXAMPLES.parent / "triage" / "rules" / "default" / "policy.yaml").read_text()
        task = "{department: lead, action: close_case, due: 15d,"
        assert text.count(task) == 1
        text = text.replace(task, task[:-1] + ", working_days: true,")
        plan = self.decide(triage.Triage(text.encode()), "2026-04-02T10:00:00+08:00").routing
        assert plan is not None
        assert (plan.past_holiday_list, plan.holidays_through) == (True, None)

    def test_calendar_day_policies_are_never_marked(self) -> None:
        plan = self.decide(DEFAULT, "2026-12-21T10:00:00+08:00").routing
        assert plan is not None
        assert (plan.past_holiday_list, plan.holidays_through) == (False, None)


class TestOverdue:
    def decision(self) -> triage.Decision:
        return DEFAULT.assess(
            report(
                indicators={"stalking": "yes"},
                requests={"protection_order": True},
                consent={"share_with_agencies": True},
            )
        )

    def test_at_just_before_and_just_after_each_deadline(self) -> None:
        d = self.decision()
        assert d.routing is not None
        tick = timedelta(microseconds=1)

        def status(now: datetime, key: tuple[str, str]) -> str | None:
            for b in overdue(d, [], now):
                if b.kind == "task" and (b.department, b.action) == key:
                    return b.status
            return None

        for task in d.routing.tasks:
            key = (task.department, task.action)
            assert status(task.due - tick, key) is None
            assert status(task.due, key) == "due_soon"
            assert status(task.due + tick, key) == "overdue"

    def test_done_in_time_and_done_late(self) -> None:
        d = self.decision()
        assert d.routing is not None
        task = d.routing.tasks[0]
        late = overdue(
            d,
            [Event("task_done", task.due + timedelta(minutes=1), task.department, task.action)],
            task.due + timedelta(days=1),
        )
        on_time = overdue(
            d,
            [
                {
                    "kind": "task_done",
                    "at": task.due.isoformat(),
                    "department": task.department,
                    "action": task.action,
                }
            ],
            task.due + timedelta(days=1),
        )
        mine = [b for b in late if b.action == task.action and b.department == task.department]
        assert mine[0].status == "done_late"
        assert not [
            b for b in on_time if b.action == task.action and b.department == task.department
        ]

    def test_follow_ups_and_window(self) -> None:
        d = self.decision()
        assert d.routing is not None
        first = d.routing.follow_ups[0]
        soon = overdue(d, [], first - timedelta(hours=1), window=timedelta(hours=2))
        assert any(b.kind == "follow_up" and b.status == "due_soon" for b in soon)
        visited = overdue(
            d, [Event("follow_up", first - timedelta(days=1))], first + timedelta(days=1)
        )
        assert not any(b.kind == "follow_up" and b.due == first for b in visited)

    def test_case_closed_completes_close_case(self) -> None:
        d = self.decision()
        close = by_action(d)[("police", "close_case")]
        result = overdue(
            d, [Event("case_closed", close.due - timedelta(days=1))], close.due + timedelta(days=1)
        )
        assert not any(b.action == "close_case" for b in result)

    def test_naive_times_refused(self) -> None:
        d = self.decision()
        with pytest.raises(UsageError):
            overdue(d, [], datetime(2026, 3, 3))
        with pytest.raises(UsageError):
            overdue(
                d,
                [{"kind": "task_done", "at": "2026-03-03T10:00:00"}],
                datetime(2026, 3, 3, tzinfo=UTC),
            )


class TestRoutingValidation:
    HEAD = (
        "policy: {id: t, version: '1', jurisdiction: t, effective_from: 2026-01-01}\n"
        "actions: {a: {zh: 甲, en: a}, b: {zh: 乙, en: b}}\n"
        "rules:\n"
    )

    def problems(self, then: str) -> list[tuple[str, str | None]]:
        text = self.HEAD + (
            f"  - id: r\n    description: {{zh: 测, en: t}}\n    when: always\n    then: {then}\n"
        )
        with pytest.raises(RuleFileError) as info:
            triage.load_policy(text.encode())
        return [(p.code, p.suggestion) for p in info.value.problems]

    def test_unknown_department(self) -> None:
        assert self.problems("{lead: polise}") == [("unknown-department", "police")]

    def test_unknown_action(self) -> None:
        assert self.problems("{tasks: [{department: police, action: c, due: 1h}]}") == [
            ("unknown-action", None)
        ]

    def test_after_unknown_task(self) -> None:
        assert self.problems("{tasks: [{department: police, action: a, due: 1h, after: b}]}") == [
            ("unknown-task", None)
        ]

    def test_working_days_need_days(self) -> None:
        assert self.problems(
            "{tasks: [{department: police, action: a, due: 1h, working_days: true}]}"
        ) == [("bad-duration", None)]

    def test_bad_duration(self) -> None:
        assert self.problems("{tasks: [{department: police, action: a, due: 1w}]}") == [
            ("bad-format", None)
        ]

    def test_after_loop(self) -> None:
        codes = [
            c
            for c, _ in self.problems(
                "{tasks: [{department: police, action: a, due: 1h, after: b},"
                " {department: police, action: b, due: 1h, after: a}]}"
            )
        ]
        assert codes == ["cycle", "cycle"]

    def test_missing_review_interval(self) -> None:
        text = self.HEAD.replace("rules:\n", "schedule: {reassess: {extreme: 1d}}\nrules:\n")
        text += (
            "  - id: r\n    description: {zh: 测, en: t}\n    when: always\n"
            "    then: {lead: police}\n"
        )
        with pytest.raises(RuleFileError) as info:
            triage.load_policy(text.encode())
        assert "every level needs a review interval" in info.value.problems[0].en


def test_engine_error_decision_still_routed(monkeypatch: pytest.MonkeyPatch) -> None:
    """An engine failure gives a P1 decision routed to the default lead for manual review."""
    from triage.rules.engine import _durable

    t = triage.Triage(on_error="escalate")
    monkeypatch.setattr("triage.rules._evaluate.MATCH_CACHE", 0)
    monkeypatch.setattr(
        _durable._dre, "assert_fact", lambda *a: (_ for _ in ()).throw(MemoryError())
    )
    d = t.assess(report())
    assert d.routing is not None
    assert d.routing.lead == "governance"
    assert d.routing.tasks[0].action == "manual_review"
    assert d.routing.tasks[0].due == d.reported_at
    assert json.loads(d.to_json())["routing"]["lead"] == "governance"


@pytest.mark.parametrize(
    ("policy", "zone"),
    [
        (None, timezone(timedelta(hours=8))),
        (EXAMPLES / "policies" / "us_county_lap.yaml", ZoneInfo("America/New_York")),
    ],
)
def test_plans_moved_in_time_are_the_plans_worked_out_in_full(
    policy: Path | None, zone: tzinfo, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A plan kept for its routing and moved to a later report's time is the plan worked
    out in full for that report: reports spread over two years, many of them within
    days of New York's clocks changing (a moved date that would cross a change is
    worked out in full), some in the hour that repeats or does not exist."""
    from triage.routing import _plan

    t = triage.Triage(policy, model=None)
    evaluator = t._active[1]
    moved = []
    at = _plan._Shape.at

    def counted(shape: Any, *args: Any) -> Any:
        moved.append(shape)
        return at(shape, *args)

    monkeypatch.setattr(_plan._Shape, "at", counted)
    changes = [datetime(2026, 3, 8, 7, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)]
    reports = cohort.generate(900, seed=404).reports
    for i, r in enumerate(reports):
        if i % 3:  # near a change of the clocks, by the minute
            when = changes[i % 2] + timedelta(minutes=(i * 7919) % (6 * 24 * 60) - 3 * 24 * 60)
        else:
            when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=(i * 104729) % 1_000_000)
        run = t._run(dict(r, reported_at=when.astimezone(zone).isoformat()))
        assert run.world is not None
        fired = evaluator.rules_fired(run.world)
        plan = _plan.build_plan(t.policy, run.report, fired, run.world.level)
        full = _plan._plan(t.policy, run.report, fired, run.world.level, None)
        assert plan.model_dump_json() == full.model_dump_json()
        assert plan == full
    assert len(moved) > 300  # most plans were moved, not worked out
