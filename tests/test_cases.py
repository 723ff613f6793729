"""Cases over time: a report decided with its case's earlier reports and decisions."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import triage
from triage.routing import overdue_case
from triage.vocab import CARRY_DAYS, EVER_INDICATORS, LEVELS, SAFETY_FLAGS

from .conftest import EXAMPLES
from .strategies import random_report

CST = timezone(timedelta(hours=8))
T = triage.Triage(model=None, clock=lambda: datetime(2026, 6, 1, tzinfo=CST))
MARK = "ZZSECRETZZ"


def at(day: int, hour: int = 10, month: int = 3, year: int = 2026) -> str:
    return datetime(year, month, day, hour, 0, tzinfo=CST).isoformat()


def report(rid: str, when: str, **parts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": rid,
        "case_id": "CASE-1",
        "reported_at": when,
        "source": "grid_patrol",
        "case_type": "domestic_violence",
        "consent": {"share_with_agencies": True, "referral": True},
    }
    base.update(parts)
    return base


def history(*reports: dict[str, Any]) -> list[dict[str, Any]]:
    """The earlier reports with the decisions this library gave them, stored as JSON."""
    decisions = T.replay(reports)
    return [
        {"report": r, "decision": json.loads(d.to_json())}
        for r, d in zip(reports, decisions, strict=True)
    ]


def _answers(r: dict[str, Any]) -> dict[str, str]:
    return triage.report.normalise(triage.validate_report(r)).values


def rank(level: str) -> int:
    return LEVELS.rank(level)


class TestContract:
    def test_no_history_is_todays_decision_byte_for_byte(self) -> None:
        r = report("R1", at(1), indicators={"strangulation": "yes"})
        plain = {k: v for k, v in r.items() if k != "case_id"}
        a, b, c = T.assess(plain), T.assess(r), T.assess(r, history=None)
        assert a.to_json() == b.to_json().replace('"report_id":"R1"', '"report_id":"R1"')
        assert b.to_json() == c.to_json() and '"case"' not in b.to_json()
        assert T.assess(r, history=[]).to_json() == b.to_json()

    def test_the_history_comes_back_as_stored(self) -> None:
        """Reports and decisions as JSON text, as dicts or as objects: the same decision."""
        first = report("R1", at(1), indicators={"threat_to_kill": "yes"})
        d1 = T.assess(first)
        later = report("R2", at(3))
        forms = [
            [{"report": first, "decision": json.loads(d1.to_json())}],
            [{"report": json.dumps(first), "decision": d1.to_json()}],
            [{"report": triage.validate_report(first), "decision": d1}],
            [json.dumps({"report": first, "decision": json.loads(d1.to_json())})],
        ]
        out = {T.assess(later, history=h).to_json() for h in forms}
        assert len(out) == 1

    @pytest.mark.parametrize(
        ("change", "path", "code"),
        [
            (lambda h, r: h[0]["report"].update(case_id="CASE-2"),
             "history.0.report.case_id", "other-case"),
            (lambda h, r: h.reverse(), "history.1.report.reported_at", "out-of-order"),
            (lambda h, r: h[0]["decision"].update(report_id="R9"),
             "history.0.decision.report_id", "not-its-report"),
            (lambda h, r: h.append(dict(h[0])), "history.2.report.id", "repeated-report"),
            (lambda h, r: r.pop("case_id"), "case_id", "missing"),
            (lambda h, r: r.update(reported_at=at(1, 9)),
             "history.0.report.reported_at", "out-of-order"),
            (lambda h, r: h[0]["decision"].update(risk_level=MARK),
             "history.0.decision.risk_level", None),
            (lambda h, r: h[0].update(extra=1), "history.0", "bad-structure"),
            (lambda h, r: h[1]["report"].update(indicators={"strangulation": MARK}),
             "history.1.report.indicators.strangulation", None),
            (lambda h, r: h[0]["report"]["victim"].update(pregnant=MARK),
             "history.0.report.victim.pregnant", None),
        ],
        ids=["other case", "reordered", "not its report", "twice", "no case id",
             "after the report", "bad decision", "bad item", "bad answer", "bad field read"],
    )  # fmt: skip
    def test_a_history_that_does_not_fit_is_refused_with_every_problem_located(
        self, change: Any, path: str, code: str | None
    ) -> None:
        h = history(report("R1", at(1), victim={"age": 30}), report("R2", at(2)))
        r = report("R3", at(10), narrative=MARK)
        change(h, r)
        with pytest.raises(triage.HistoryError) as info:
            T.assess(r, history=h)
        problems = {(p.path, p.code) for p in info.value.problems}
        assert any(p == path and (code is None or c == code) for p, c in problems), problems
        assert isinstance(info.value, triage.ReportError)
        assert MARK not in str(info.value) and all(MARK not in p.en for p in info.value.problems)

    def test_the_decision_log_names_the_case_and_the_reports_used(self) -> None:
        records: list[dict[str, Any]] = []
        t = triage.Triage(model=None, decision_log=records.append)
        h = history(report("R1", at(1)), report("R2", at(2)))
        t.assess(report("R3", at(3), narrative=MARK), history=h)
        assert records[-1]["case_id"] == "CASE-1" and records[-1]["history"] == ["R1", "R2"]
        assert MARK not in json.dumps(records)


class TestRepeatAndEscalation:
    def test_an_earlier_report_in_12_months_is_repeat_from_any_channel(self) -> None:
        """Even with no police call this year (history.police_calls_12m 0)."""
        earlier = report("R1", at(1), source="womens_federation")
        now = report("R2", at(1, month=12), history={"police_calls_12m": 0})
        d = T.assess(now, history=history(earlier))
        assert "repeat_victimisation" in d.flags
        assert d.case.reports_12m == 1 and d.case.sources == 2
        old = report("R1", at(1, year=2025, month=2), source="womens_federation")
        assert "repeat_victimisation" not in T.assess(now, history=history(old)).flags

    def test_a_third_report_in_12_months_calls_a_case_conference(self) -> None:
        two = history(report("R1", at(1)), report("R2", at(5)))
        d = T.assess(report("R3", at(9)), history=two)
        assert {"case_conference", "repeat_victimisation"} <= set(d.flags)
        assert rank(d.risk_level) >= rank("medium")
        one = history(report("R2", at(5)))
        assert "case_conference" not in T.assess(report("R3", at(9)), history=one).flags

    def test_a_new_red_flag_is_escalation(self) -> None:
        h = history(report("R1", at(1), indicators={"strangulation": "no"}))
        d = T.assess(report("R2", at(4), indicators={"strangulation": "yes"}), history=h)
        assert d.case.new_red_flags == ("strangulation",)
        assert {"escalation", "case_conference"} <= set(d.flags) and rank(d.risk_level) >= 2
        again = history(report("R1", at(1), indicators={"strangulation": "yes"}))
        d = T.assess(report("R2", at(4), indicators={"strangulation": "yes"}), history=again)
        assert d.case.new_red_flags == ()

    def test_a_rising_level_is_flagged(self) -> None:
        h = history(report("R1", at(1)))
        d = T.assess(report("R2", at(4), indicators={"forced_sex": "yes"}), history=h)
        assert d.case.previous_level == "standard" and d.case.level_rose
        assert "escalation" in d.flags

    def test_a_red_flag_unanswered_twice_is_found_out_sooner(self) -> None:
        h = history(report("R1", at(1)))
        d = T.assess(report("R2", at(4)), history=h)
        tasks = [t for t in d.routing.tasks if t.action == "verify_red_flags"]
        assert [t.due - d.reported_at for t in tasks] == [timedelta(hours=4)]
        assert d.priority == "P2"
        answered = {k: "no" for k in triage.vocab.RED_FLAGS}
        d = T.assess(report("R2", at(4), indicators=answered), history=h)
        assert "case_red_flag_unknown_again" not in {e.rule for e in d.trace}


class TestNoSilentDowngrade:
    def high_case(self) -> list[dict[str, Any]]:
        return history(report("R1", at(1), indicators={"strangulation": "yes", "stalking": "yes"}))

    def test_a_later_report_cannot_lower_the_level_before_the_review_date(self) -> None:
        h = self.high_case()
        first = h[0]["decision"]
        review = datetime.fromisoformat(first["routing"]["reassess_by"])
        assert review - datetime.fromisoformat(at(1)) == timedelta(days=7)  # high: 7 days
        quiet = {"strangulation": "unknown", "stalking": "no"}
        d = T.assess(report("R2", at(3), indicators=quiet), history=h)
        assert rank(d.risk_level) >= rank(first["risk_level"])
        assert set(first["flags"]) & SAFETY_FLAGS <= set(d.flags)
        assert d.case.held is not None and d.case.held.by == "R1"

    def test_on_the_review_date_a_lower_level_stands_and_says_what_changed(self) -> None:
        h = history(report("R1", at(1), indicators={"stalking": "yes"}))
        assert h[0]["decision"]["risk_level"] == "medium"  # stalking: medium, review 30 days
        d = T.assess(report("R2", at(1, month=4), indicators={"stalking": "no"}), history=h)
        assert d.case.held is None and d.risk_level == "standard"
        assert [(c.indicator, c.earlier_report) for c in d.case.changed_since] == [
            ("stalking", "R1")
        ]

    def test_a_reassessment_may_lower_before_the_review_date(self) -> None:
        h = history(report("R1", at(1), indicators={"stalking": "yes"}))
        now = report("R2", at(3), kind="reassessment", indicators={"stalking": "no"})
        d = T.assess(now, history=h)
        assert d.case.held is None and d.risk_level == "standard"
        plain = report("R2", at(3), indicators={"stalking": "no"})
        assert T.assess(plain, history=h).risk_level == "medium"


class TestAnswersCarryForward:
    def test_an_item_about_the_past_stays_yes_with_its_source(self) -> None:
        h = history(report("R1", at(1, year=2024), indicators={"strangulation": "yes"}))
        d = T.assess(report("R2", at(1)), history=h)
        (carried,) = [x for x in d.derived_indicators if x.indicator == "strangulation"]
        assert carried.because == ("history:R1",) and carried.replaced == "unknown"
        assert rank(d.risk_level) >= rank("high")

    def test_an_item_about_now_expires_after_a_year(self) -> None:
        for days, kept in ((364, True), (366, False)):
            first = datetime.fromisoformat(at(1)) - timedelta(days=days)
            h = history(report("R1", first.isoformat(), indicators={"stalking": "yes"}))
            d = T.assess(report("R2", at(1)), history=h)
            carried = {x.indicator for x in d.derived_indicators}
            assert ("stalking" in carried) is kept

    def test_an_incident_is_never_carried(self) -> None:
        h = history(report("R1", at(1), indicators={"current_injury": "yes"}))
        d = T.assess(report("R2", at(2)), history=h)
        assert "current_injury" not in {x.indicator for x in d.derived_indicators}

    def test_a_no_to_the_past_after_a_yes_is_a_contradiction_and_the_yes_stays(self) -> None:
        h = history(report("R1", at(1), indicators={"strangulation": "yes"}))
        d = T.assess(report("R2", at(20), indicators={"strangulation": "no"}), history=h)
        assert [(c.indicator, c.earlier_report) for c in d.case.contradictions] == [
            ("strangulation", "R1")
        ]
        assert d.instruments["lethality_screen"].screened_in

    def test_a_question_answered_yes_before_is_not_asked_again(self) -> None:
        h = history(report("R1", at(1), indicators={"threat_to_kill": "yes"}))
        d = T.assess(report("R2", at(4)), history=h)
        assert "indicators.threat_to_kill" not in {g.fact for g in d.information_gaps}


class TestCaseDeadlines:
    def test_the_closure_and_the_visits_count_from_the_first_report(self) -> None:
        """Bao'an: closed in 15 days, visited at 15, 30, 45 and 60 days, from the start."""
        h = history(report("R1", at(1)))
        d = T.assess(report("R2", at(10), indicators={"strangulation": "yes"}), history=h)
        (close,) = [t for t in d.routing.tasks if t.action == "close_case"]
        assert close.due == datetime(2026, 3, 16, 10, tzinfo=CST)
        assert close.counted_from == "case_opened"
        assert [f.date().isoformat() for f in d.routing.follow_ups] == [
            "2026-03-16", "2026-03-31", "2026-04-15", "2026-04-30"
        ]  # fmt: skip
        # the report's own tasks count from the report
        (po,) = [t for t in d.routing.tasks if t.action == "help_apply_protection_order"]
        assert po.due == datetime(2026, 3, 11, 10, tzinfo=CST)
        assert d.case.opened_at == datetime(2026, 3, 1, 10, tzinfo=CST)

    def test_a_report_after_closure_reopens_the_case(self) -> None:
        h = history(report("R1", at(1)))
        closed = [{"kind": "case_closed", "at": at(14)}]
        d = T.assess(report("R2", at(20)), history=h, events=closed)
        assert d.case.reopened and d.case.opened_at == datetime(2026, 3, 20, 10, tzinfo=CST)
        (close,) = [t for t in d.routing.tasks if t.action == "close_case"]
        assert close.due == datetime(2026, 4, 4, 10, tzinfo=CST)

    def test_the_lead_changes_only_by_a_rule_of_higher_precedence(self) -> None:
        h = history(report("R1", at(1), source="womens_federation"))
        d = T.assess(report("R2", at(2), source="school"), history=h)
        assert d.routing.lead == "womens_federation" and d.case.handover is None
        d = T.assess(
            report("R2", at(2), source="school", indicators={"strangulation": "yes",
                                                            "threat_to_kill": "yes"}),
            history=h,
        )  # fmt: skip
        assert d.routing.lead == "police"
        assert d.case.handover is not None
        assert (d.case.handover.from_lead, d.case.handover.to_lead) == (
            "womens_federation",
            "police",
        )

    def test_a_follow_up_visit_report_is_the_visit_it_fulfils(self) -> None:
        text = (EXAMPLES / "case_xinan" / "reports.jsonl").read_text("utf-8")
        reports = [triage.validate_report(json.loads(line)) for line in text.splitlines()]
        decisions = T.replay(reports)
        now = datetime(2026, 3, 18, 12, tzinfo=CST)
        first_visit = decisions[-1].routing.follow_ups[0]
        assert first_visit == datetime(2026, 3, 17, 10, 20, tzinfo=CST)
        breaches = overdue_case(list(zip(reports, decisions, strict=True)), [], now)
        assert not [b for b in breaches if b.kind == "follow_up"]
        without_visit = list(zip(reports[:2], decisions[:2], strict=True))
        late = [b for b in overdue_case(without_visit, [], now) if b.kind == "follow_up"]
        assert [b.due for b in late] == [first_visit]


class TestProperties:
    @settings(max_examples=40, deadline=None)
    @given(st.integers(0, 10**6), st.integers(0, 6))
    def test_an_earlier_report_never_lowers_the_level_before_its_review_date(
        self, seed: int, days: int
    ) -> None:
        rng = random.Random(seed)
        first = {**random_report(rng, 1), "case_id": "P", "id": "P-1", "reported_at": at(1)}
        first.pop("upcoming_contact", None)
        later = {**random_report(rng, 2), "case_id": "P", "id": "P-2",
                 "reported_at": at(1 + days, 11)}  # fmt: skip
        h = history(first)
        before = h[0]["decision"]
        d = T.assess(later, history=h)
        if datetime.fromisoformat(later["reported_at"]) < datetime.fromisoformat(
            before["routing"]["reassess_by"]
        ):
            assert rank(d.risk_level) >= rank(before["risk_level"])
            assert set(before["flags"]) & SAFETY_FLAGS <= set(d.flags)
        alone = T.assess(later)
        assert rank(d.risk_level) >= rank(alone.risk_level)  # a history never lowers

    @settings(max_examples=30, deadline=None)
    @given(st.integers(0, 10**6), st.integers(1, 6))
    def test_stored_reports_decide_as_the_reports_themselves(self, seed: int, n: int) -> None:
        """An earlier report read as stored (only the fields its case reads) gives the
        decision the whole validated report gives, and the carried answers are those of
        the latest earlier yes that still holds (searched report by report here)."""
        rng = random.Random(seed)
        rs = [
            {**random_report(rng, i), "case_id": "P", "id": f"P-{i}",
             "reported_at": at(1, month=1 + i * 2 // 3, year=2025 + i // 5)}
            for i in range(n + 1)
        ]  # fmt: skip
        h = history(*rs[:n])
        whole = [{"report": triage.validate_report(x["report"]), "decision": x["decision"]}
                 for x in h]  # fmt: skip
        d = T.assess(rs[n], history=h)
        assert d.to_json() == T.assess(rs[n], history=whole).to_json()
        now = datetime.fromisoformat(rs[n]["reported_at"])
        kept = d.derived_indicators
        carried = {x.indicator: x.because for x in kept if x.because[0].startswith("history:")}
        for code, because in carried.items():
            holds = [
                x["report"]["id"] for x in h
                if _answers(x["report"]).get(code) == "yes"
                and (code in EVER_INDICATORS
                     or datetime.fromisoformat(x["report"]["reported_at"])
                     >= now - timedelta(days=CARRY_DAYS))
            ]  # fmt: skip
            assert because == (f"history:{holds[-1]}",)

    @settings(max_examples=25, deadline=None)
    @given(st.integers(0, 10**6))
    def test_a_new_report_never_moves_the_closure_later(self, seed: int) -> None:
        rng = random.Random(seed)
        reports = [
            {**random_report(rng, i), "case_id": "P", "id": f"P-{i}",
             "reported_at": at(1 + 2 * i)}
            for i in range(3)
        ]  # fmt: skip
        decisions = T.replay(reports)
        closures = [
            next(t.due for t in d.routing.tasks if t.action == "close_case") for d in decisions
        ]
        assert closures == sorted(closures, reverse=True) or len(set(closures)) == 1
        assert len(set(closures)) == 1


class TestCommandLine:
    def test_assess_with_a_history_file(self, tmp_path: Any) -> None:
        from click.testing import CliRunner

        from triage.cli import cli

        reports = [json.loads(line) for line in (EXAMPLES / "case_xinan" / "reports.jsonl")
                   .read_text("utf-8").splitlines()]  # fmt: skip
        t = triage.Triage()
        decisions = t.replay(reports[:2])
        hist = tmp_path / "case.jsonl"
        hist.write_text(
            "".join(
                json.dumps({"report": r, "decision": json.loads(d.to_json())}) + "\n"
                for r, d in zip(reports[:2], decisions, strict=True)
            )
        )
        last = tmp_path / "r3.json"
        last.write_text(json.dumps(reports[2]))
        out = CliRunner().invoke(cli, ["assess", str(last), "--history", str(hist)])
        assert out.exit_code == 0, out.output
        d = json.loads(out.stdout)
        assert d["case"]["earlier_reports"] == ["BA-2026-X001", "BA-2026-X002"]
        assert d == json.loads(t.replay(reports)[2].to_json()) | {"decided_at": d["decided_at"]}
        # the same history in the wrong order is refused, with its location
        lines = hist.read_text().splitlines()
        hist.write_text("\n".join(reversed(lines)) + "\n")
        bad = CliRunner().invoke(cli, ["assess", str(last), "--history", str(hist)])
        assert bad.exit_code == 2 and "out-of-order" in bad.output
        assert "Traceback" not in bad.output

    def test_batch_replays_an_archive_case_by_case(self, tmp_path: Any) -> None:
        from click.testing import CliRunner

        from triage.cli import cli

        archive = EXAMPLES / "case_xinan" / "reports.jsonl"
        out = CliRunner().invoke(cli, ["batch", str(archive), "--cases"])
        assert out.exit_code == 0, out.output
        lines = [json.loads(x) for x in out.stdout.splitlines()]
        assert ["case" in x for x in lines] == [False, True, True]
        expected = triage.Triage().replay(
            [json.loads(x) for x in archive.read_text("utf-8").splitlines()]
        )
        for got, want in zip(lines, expected, strict=True):
            assert got["risk_level"] == want.risk_level and got["flags"] == list(want.flags)
        plain = CliRunner().invoke(cli, ["batch", str(archive)])
        assert all("case" not in json.loads(x) for x in plain.stdout.splitlines())
        refused = CliRunner().invoke(cli, ["batch", str(archive), "--cases", "--jobs", "2"])
        assert refused.exit_code == 2


class TestCaseAwareDiff:
    def test_rules_diff_by_case_agrees_with_two_replays(self, tmp_path: Any) -> None:
        """Each policy replays the cases with its own decisions; the diff counts what an
        independent replay under each policy gives."""
        from triage.policytest._diff import diff_policies, iter_reports
        from triage.rules import DEFAULT_POLICY

        text = Path(DEFAULT_POLICY).read_text("utf-8")
        threshold = '{case.reports_12m: {">=": 2}}'
        assert text.count(threshold) == 1
        candidate = text.replace(threshold, '{case.reports_12m: {">=": 1}}').encode()
        rng = random.Random(4)
        rows = []
        for c in range(40):
            for k in range(rng.randint(1, 4)):
                answers = dict.fromkeys(triage.vocab.RED_FLAGS, "no")
                answers["physical_violence"] = rng.choice(["yes", "no", "unknown"])
                rows.append(report(f"K{c}-{k}", at(1 + 3 * k, 8 + c % 10), case_id=f"K{c}",
                                   indicators=answers))  # fmt: skip
        rows.sort(key=lambda r: r["reported_at"])
        archive = tmp_path / "cases.jsonl"
        archive.write_text("".join(json.dumps(r) + "\n" for r in rows))
        got = diff_policies(None, candidate, iter_reports(archive), by_case=True)
        old, new = triage.Triage(), triage.Triage(candidate)
        by_case: dict[str, list[dict[str, Any]]] = {}
        for r in rows:
            by_case.setdefault(r["case_id"], []).append(r)
        a = {d.report_id: d for rs in by_case.values() for d in old.replay(rs)}
        b = {d.report_id: d for rs in by_case.values() for d in new.replay(rs)}
        levels = Counter((a[rid].risk_level, b[rid].risk_level) for rid in a)
        gained = Counter(f for rid in a for f in set(b[rid].flags) - set(a[rid].flags))
        lost = Counter(f for rid in a for f in set(a[rid].flags) - set(b[rid].flags))
        assert got.reports == len(rows) == len(a)
        assert dict(got.levels) == dict(levels)
        assert dict(got.flags_gained) == dict(gained) and dict(got.flags_lost) == dict(lost)
        assert sum(gained.values()) > 0, (gained, levels)  # the threshold matters here


class TestHistoryProperties:
    @settings(max_examples=30, deadline=None)
    @given(st.permutations(range(4)))
    def test_a_history_out_of_time_order_is_refused(self, order: list[int]) -> None:
        rs = [report(f"R{i}", at(1 + i)) for i in range(4)]
        h = history(*rs[:3])
        shuffled = [h[i] for i in order if i < 3]
        now = rs[3]
        if [x["report"]["id"] for x in shuffled] == ["R0", "R1", "R2"]:
            T.assess(now, history=shuffled)
        else:
            with pytest.raises(triage.HistoryError) as info:
                T.assess(now, history=shuffled)
            assert {p.code for p in info.value.problems} == {"out-of-order"}

    @settings(max_examples=30, deadline=None)
    @given(st.lists(st.sampled_from(["CASE-1", "CASE-2", "OTHER"]), min_size=1, max_size=3))
    def test_a_history_with_another_case_is_refused(self, ids: list[str]) -> None:
        rs = [report(f"R{i}", at(1 + i), case_id=c) for i, c in enumerate(ids)]
        h = [{"report": r, "decision": json.loads(T.assess(r).to_json())} for r in rs]
        now = report("N", at(20))
        if all(c == "CASE-1" for c in ids):
            assert T.assess(now, history=h).case is not None
        else:
            with pytest.raises(triage.HistoryError) as info:
                T.assess(now, history=h)
            wrong = {f"history.{i}.report.case_id" for i, c in enumerate(ids) if c != "CASE-1"}
            assert {p.path for p in info.value.problems if p.code == "other-case"} == wrong


def test_an_engine_failure_never_lowers_what_the_case_holds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The escalated decision for manual review keeps the case's level and safety flags."""
    from triage.rules import _evaluate
    from triage.rules.engine import _durable

    t = triage.Triage(model=None, on_error="escalate")
    first = report("R1", at(1), indicators={"strangulation": "yes", "threat_to_kill": "yes"})
    h = [{"report": first, "decision": json.loads(t.assess(first).to_json())}]
    assert h[0]["decision"]["risk_level"] == "extreme"
    monkeypatch.setattr(_evaluate, "MATCH_CACHE", 0)  # every evaluation asks the engine
    monkeypatch.setattr(
        _durable._dre, "assert_fact", lambda *a: (_ for _ in ()).throw(MemoryError())
    )
    d = t.assess(report("R2", at(2)), history=h)
    assert d.status == "engine_error" and d.priority == "P1"
    assert d.risk_level == "extreme"
    assert set(h[0]["decision"]["flags"]) & SAFETY_FLAGS <= set(d.flags)


def test_no_report_of_the_case_stands_for_the_latest_review() -> None:
    """A re-assessment that came before the latest decision cannot be that decision's
    review: the review falls due after it, and only a `reassessed` event meets it."""
    rs = [
        triage.validate_report(report("R1", at(1), indicators={"stalking": "yes"})),
        triage.validate_report(report("R2", at(3), kind="reassessment")),
        triage.validate_report(report("R3", at(5))),
    ]
    ds = T.replay(rs)
    review = ds[-1].routing.reassess_by
    late = datetime.fromisoformat(review.isoformat()) + timedelta(days=1)
    breaches = overdue_case(list(zip(rs, ds, strict=True)), [], late)
    assert [b.due for b in breaches if b.kind == "reassessment"] == [review]
    done = [{"kind": "reassessed", "at": (review - timedelta(hours=1)).isoformat()}]
    breaches = overdue_case(list(zip(rs, ds, strict=True)), done, late)
    assert not [b for b in breaches if b.kind == "reassessment"]


# -- reading a history at once ---------------------------------------------------------------


def _stored_history(n: int) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A report and its case's ``n`` earlier reports with their decisions, as JSON."""
    reports = [
        dict(
            random_report(random.Random(k)),
            case_id="RA",
            id=f"RA-{k}",
            reported_at=f"2026-02-{1 + k:02d}T09:00:00+08:00",
        )
        for k in range(n + 1)
    ]
    decided = T.replay(reports[:n])
    stored = [
        {"report": r, "decision": json.loads(d.to_json())}
        for r, d in zip(reports[:n], decided, strict=True)
    ]
    return reports[n], stored


def _read_both(report: dict[str, Any], history: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """What the history reads as at once, and as item by item, or their errors."""
    from triage.case import _history

    valid = triage.validate_report(report)
    out = []
    for at_once in (True, False):
        with monkeypatch.context() as m:
            if not at_once:
                m.setattr(_history, "_all_at_once", lambda raw, sources: None)
            try:
                out.append(_history.read_history(valid, history))
            except triage.HistoryError as exc:
                out.append(exc.problems)
    return out


def test_a_history_read_at_once_is_what_reading_item_by_item_gives(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from triage.case import _history

    report, history = _stored_history(12)
    assert _history._all_at_once(history, None) is not None  # the quicker path is taken
    at_once, one_by_one = _read_both(report, history, monkeypatch)
    assert at_once == one_by_one and len(at_once.items) == 12


@pytest.mark.parametrize(
    "fault",
    [
        lambda h: h[3]["report"].update(source="pigeon"),
        lambda h: h[3]["decision"].update(report_id="RA-5"),
        lambda h: h[3]["report"].update(reported_at="2026-02-04 09:00"),
        lambda h: h[3]["decision"].pop("risk_level"),
        lambda h: h[3]["report"].update(id="not an id"),
        lambda h: h[3].update(extra=1),
        lambda h: h[3]["report"]["indicators"].update(strangulation="maybe"),
        lambda h: h.insert(2, h.pop(6)),
    ],
    ids=["source", "other-decision", "time", "no-level", "id", "extra-key", "answer", "order"],
)
def test_a_fault_in_a_history_is_named_as_item_by_item_names_it(
    fault: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    report, history = _stored_history(8)
    fault(history)
    at_once, one_by_one = _read_both(report, history, monkeypatch)
    assert isinstance(at_once, tuple) and at_once  # refused, with its problems
    assert at_once == one_by_one
