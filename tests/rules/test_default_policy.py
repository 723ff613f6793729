"""What the packaged default policy must decide (issue: default policy requirements)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

import triage
from triage.vocab import FLAGS, LEVELS

from ..conftest import example_case, example_reports

T = triage.Triage()
RED_FLAGS = ("strangulation", "threat_to_kill", "weapon_use_or_threat", "victim_fears_being_killed")


def report(**parts: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "id": "P-1",
        "reported_at": "2026-03-02T21:15:00+08:00",
        "source": "police_110",
        "case_type": "domestic_violence",
    }
    base.update(parts)
    return base


def decide(**parts: Any) -> triage.Decision:
    return T.assess(report(**parts))


def test_every_flag_and_level_reached_by_an_example() -> None:
    """Each flag and each level is produced by at least one example report (or the
    example case, for what only a case's history can show)."""
    decisions = [T.assess(r) for _, r in example_reports()] + T.replay(example_case())
    assert {f for d in decisions for f in d.flags} == set(FLAGS.codes)
    assert {d.risk_level for d in decisions} == set(LEVELS.codes)


@pytest.mark.parametrize("flag", RED_FLAGS)
def test_red_flag_alone_is_at_least_high(flag: str) -> None:
    """Each red flag on its own sets at least high, and rules out mediation."""
    d = decide(indicators={flag: "yes"})
    assert LEVELS.rank(d.risk_level) >= LEVELS.rank("high")
    assert "mediation_contraindicated" in d.flags
    assert "protection_order" in d.flags


@pytest.mark.parametrize(
    "pair",
    [
        ("strangulation", "threat_to_kill"),
        ("strangulation", "separation"),
        ("threat_to_kill", "weapon_use_or_threat"),
        ("victim_fears_being_killed", "strangulation"),
    ],
)
def test_red_flag_combinations_are_extreme(pair: tuple[str, str]) -> None:
    """Combinations of red flags (or with separation) are extreme with an emergency response."""
    d = decide(indicators={k: "yes" for k in pair})
    assert d.risk_level == "extreme"
    assert {"emergency_response", "protection_order_urgent"} <= set(d.flags)
    assert d.priority == "P1"


@pytest.mark.parametrize("victim", [{"age": 9}, {"age": 17}, {"lacks_capacity": True}])
def test_mandatory_report(victim: dict[str, Any]) -> None:
    """A minor or a person lacking capacity triggers a mandatory report (Art. 14)."""
    d = decide(source="school", victim=victim)
    assert "mandatory_report" in d.flags


def test_adult_is_not_a_mandatory_report() -> None:
    d = decide(source="hospital", victim={"age": 18, "lacks_capacity": False})
    assert "mandatory_report" not in d.flags


def test_unknown_age_is_an_information_gap_for_mandatory_report() -> None:
    """Age not given: the report is not silently treated as an adult's."""
    d = decide(source="school")
    gap = next(g for g in d.information_gaps if g.fact == "victim.age")
    assert "mandatory_report" in gap.could_add_flags and gap.alone


@pytest.mark.parametrize("case_type", ["domestic_violence", "emotional_dispute"])
@pytest.mark.parametrize("flag", ["stalking", "threat_to_kill", "physical_violence"])
def test_mediation_contraindicated_for_either_case_type(case_type: str, flag: str) -> None:
    d = decide(case_type=case_type, indicators={flag: "yes"})
    assert "mediation_contraindicated" in d.flags
    assert "mediation_suitable" not in d.flags


NO_RED_FLAGS = {
    k: "no"
    for k in (
        "strangulation",
        "threat_to_kill",
        "weapon_use_or_threat",
        "victim_fears_being_killed",
        "stalking",
        "physical_violence",
        "forced_sex",
        "sexual_abuse",
        "threat_to_harm_children",
        # forms of domestic violence the law names (法释〔2022〕17号 art. 3), and a weapon
        "frequent_verbal_abuse",
        "neglect_or_abandonment",
        "economic_abuse",
        "weapon_access",
    )
}


def test_mediation_suitable_only_for_a_clear_emotional_dispute() -> None:
    """Mediation is suitable only with every red flag answered no, at standard or medium."""
    d = decide(case_type="emotional_dispute", indicators=NO_RED_FLAGS)
    assert "mediation_suitable" in d.flags
    assert (
        "mediation_suitable"
        not in decide(case_type="domestic_violence", indicators=NO_RED_FLAGS).flags
    )
    unknown = dict(NO_RED_FLAGS, stalking="unknown")
    assert (
        "mediation_suitable" not in decide(case_type="emotional_dispute", indicators=unknown).flags
    )


def test_information_gap_when_unknown_could_raise_level() -> None:
    complete = {code: "no" for code in triage.vocab.INDICATORS.codes}
    d = decide(
        indicators=complete,
        victim={"age": 30, "pregnant": False, "disability": False, "lacks_capacity": False},
        children={"minors_exposed": False},
        abuser={"others_involved": False},
        history={"help_sought": []},
    )
    assert "information_gap" not in d.flags and d.risk_level_max == d.risk_level
    d = decide(
        indicators=dict(complete, strangulation="unknown"),
        victim={"age": 30, "pregnant": False, "disability": False, "lacks_capacity": False},
        children={"minors_exposed": False},
        abuser={"others_involved": False},
        history={"help_sought": []},
    )
    assert "information_gap" in d.flags
    assert d.information_gaps[0].fact == "indicators.strangulation"
    assert d.information_gaps[0].could_raise_level_to == "high"


@pytest.mark.parametrize(
    ("history", "repeat"),
    [
        ({"police_calls_12m": 2}, False),
        ({"police_calls_12m": 3}, True),
        ({"protection_order_violations": 1}, True),
        ({"protection_order_violations": 0}, False),
    ],
)
def test_repeat_victimisation(history: dict[str, int], repeat: bool) -> None:
    assert ("repeat_victimisation" in decide(history=history).flags) is repeat


def test_cluster_of_three_is_at_least_high() -> None:
    d = decide(
        indicators={"separation": "yes", "coercive_control": "yes", "physical_violence": "yes"}
    )
    assert LEVELS.rank(d.risk_level) >= LEVELS.rank("high")


@pytest.mark.parametrize(
    ("indicators", "level", "priority"),
    [
        ({"physical_violence": "yes"}, "medium", "P3"),
        ({"strangulation": "yes"}, "high", "P2"),
        ({"strangulation": "yes", "threat_to_kill": "yes"}, "extreme", "P1"),
    ],
)
def test_level_to_priority(indicators: dict[str, str], level: str, priority: str) -> None:
    complete = {code: "no" for code in triage.vocab.INDICATORS.codes}
    d = decide(indicators=dict(complete, **indicators), victim={"age": 30})
    assert (d.risk_level, d.priority) == (level, priority)


def test_standard_is_routine_and_never_no_risk() -> None:
    complete = {code: "no" for code in triage.vocab.INDICATORS.codes}
    d = decide(indicators=complete, victim={"age": 30})
    assert (d.risk_level, d.priority) == ("standard", "P4")


def test_every_rule_is_bilingual_and_sourced() -> None:
    for rule in T.policy.rules:
        assert rule.description["zh"] and rule.description["en"]
        assert rule.source


class TestSeparation:
    """Separation is a fact about the relationship, not only the past-year question."""

    def answers(self, abuser: dict[str, Any], **indicators: str) -> Any:
        from triage.report import normalise

        report = triage.validate_report(
            {
                "id": "S-1",
                "reported_at": "2026-04-01T09:30:00+08:00",
                "source": "police_110",
                "case_type": "domestic_violence",
                "abuser": abuser,
                "indicators": indicators,
            }
        )
        return normalise(report)

    @pytest.mark.parametrize(
        ("abuser", "indicators", "separated"),
        [
            ({"relationship": "ex_spouse"}, {}, "yes"),
            ({"relationship": "ex_dating"}, {"separation": "no"}, "yes"),
            ({"relationship": "spouse", "separated_at": "2020-01-01"}, {}, "yes"),
            ({"relationship": "spouse", "months_since_separation": 30}, {}, "yes"),
            ({"relationship": "spouse"}, {"separation": "yes"}, "yes"),
            ({"relationship": "spouse"}, {"separation": "no"}, "no"),
            ({"relationship": "spouse"}, {}, "unknown"),
            ({}, {}, "unknown"),
            ({"relationship": "parent"}, {}, "unknown"),
            ({"relationship": "parent"}, {"separation": "yes"}, "yes"),
            ({"relationship": "parent"}, {"separation": "no"}, "no"),
            ({}, {"separation": "no"}, "unknown"),  # a former partner may have parted earlier
        ],
    )
    def test_who_has_separated(
        self, abuser: dict[str, Any], indicators: dict[str, str], separated: str
    ) -> None:
        assert self.answers(abuser, **indicators).separated == separated

    @pytest.mark.parametrize(
        ("abuser", "derived"),
        [
            ({"relationship": "ex_spouse", "separated_at": "2025-05-01"}, True),  # 335 days
            ({"relationship": "ex_spouse", "separated_at": "2025-03-01"}, False),  # 396 days
            ({"relationship": "spouse", "months_since_separation": 11}, True),
            ({"relationship": "spouse", "months_since_separation": 12}, False),
            ({"relationship": "ex_spouse"}, False),  # separated, but not known when
        ],
    )
    def test_a_dated_separation_within_the_year_answers_the_past_year_question(
        self, abuser: dict[str, Any], derived: bool
    ) -> None:
        answers = self.answers(abuser)
        assert (answers.values["separation"] == "yes") is derived
        assert any(d.indicator == "separation" for d in answers.derived) is derived

    def test_a_dated_separation_overrides_a_contradicting_no_and_says_so(self) -> None:
        answers = self.answers(
            {"relationship": "ex_spouse", "separated_at": "2026-01-10"}, separation="no"
        )
        (derivation,) = [d for d in answers.derived if d.indicator == "separation"]
        assert (derivation.replaced, derivation.because) == ("no", ("abuser.separated_at",))

    @pytest.mark.parametrize("answer", ["yes", "no", "unknown"])
    @pytest.mark.parametrize("relationship", [None, *triage.vocab.RELATIONSHIPS.codes])
    def test_never_below_the_past_year_answer(self, relationship: str | None, answer: str) -> None:
        """Rules that read the past-year answer now read abuser.separated: it must never
        say less (yes > unknown > no) than that answer did."""
        order = {"no": 0, "unknown": 1, "yes": 2}
        abuser = {} if relationship is None else {"relationship": relationship}
        separated = self.answers(abuser, separation=answer).separated
        assert order[separated] >= order[answer]


# -- issue 14, second part: the classes the law and the evidence name ---------------------------

WEAPON_COMBINATIONS = [
    ({"weapon_access": "yes"}, {"relationship": "ex_spouse"}),
    ({"weapon_access": "yes"}, {"relationship": "spouse", "months_since_separation": 30}),
    ({"weapon_access": "yes", "threat_to_kill": "yes"}, {"relationship": "spouse"}),
    ({"weapon_access": "yes", "threat_to_harm_children": "yes"}, {"relationship": "partner"}),
]


@pytest.mark.parametrize(("indicators", "abuser"), WEAPON_COMBINATIONS)
def test_any_weapon_in_a_lethal_combination_is_extreme(
    indicators: dict[str, str], abuser: dict[str, Any]
) -> None:
    """A weapon other than a gun with separation, a threat to kill or threats against
    the children: extreme, an emergency response and an urgent protection order
    (Campbell et al. 2003; 反家庭暴力法第28条)."""
    d = decide(indicators=indicators, abuser=abuser)
    assert d.risk_level == "extreme" and d.priority == "P1"
    assert {"emergency_response", "protection_order", "protection_order_urgent"} <= set(d.flags)


def test_a_weapon_alone_is_at_least_medium_and_never_mediated() -> None:
    d = decide(case_type="emotional_dispute", indicators={"weapon_access": "yes"})
    assert LEVELS.rank(d.risk_level) >= LEVELS.rank("medium")
    assert "mediation_contraindicated" in d.flags and "mediation_suitable" not in d.flags


FORMS = ("frequent_verbal_abuse", "neglect_or_abandonment", "economic_abuse")


@pytest.mark.parametrize("form", FORMS)
@pytest.mark.parametrize("case_type", ["domestic_violence", "emotional_dispute"])
def test_the_forms_the_law_names_are_domestic_violence(form: str, case_type: str) -> None:
    """Frequent insults or intimidation, starving or abandoning, economic abuse: never
    mediated, and an emotional dispute that shows them is assessed as domestic violence
    (反家庭暴力法第2条; 法释〔2022〕17号第3条)."""
    d = decide(case_type=case_type, indicators={form: "yes"})
    assert "mediation_contraindicated" in d.flags and "mediation_suitable" not in d.flags
    assert ("assessed_as_domestic_violence" in d.flags) is (case_type == "emotional_dispute")


VULNERABLE = [
    ({"age": 75}, {}),
    ({"disability": True}, {}),
    ({"lacks_capacity": True}, {}),
    ({}, {"victim_depends_on_abuser": "yes"}),
]


@pytest.mark.parametrize("form", [*FORMS, "index_threat", "isolation", "stalking"])
@pytest.mark.parametrize(("victim", "extra"), VULNERABLE)
def test_a_vulnerable_victim_of_any_form_is_at_least_medium(
    form: str, victim: dict[str, Any], extra: dict[str, str]
) -> None:
    d = decide(victim=victim, indicators={form: "yes", **extra})
    assert LEVELS.rank(d.risk_level) >= LEVELS.rank("medium")
    # and the same answers for an adult who is not vulnerable give no such floor
    plain = decide(
        victim={"age": 30, "disability": False, "lacks_capacity": False},
        indicators={form: "yes", "victim_depends_on_abuser": "no"},
    )
    assert "vulnerable_victim_threatened_or_controlled" not in {e.rule for e in plain.trace}


def test_an_abandoned_dependant_is_placed() -> None:
    """反家庭暴力法第15条、第18条: a person left without care is placed by civil affairs;
    an adult with capacity decides whether she goes (第5条: her true wishes)."""
    neglect = {"neglect_or_abandonment": "yes"}
    consent = {"share_with_agencies": True, "referral": True}
    d = decide(victim={"age": 82}, indicators=neglect, consent=consent)
    assert "shelter" in d.flags
    assert any(t.action == "temporary_placement" for t in d.routing.tasks)
    refused = decide(victim={"age": 82}, indicators=neglect, consent={"share_with_agencies": False})
    assert "shelter" in refused.flags
    assert [w.action for w in refused.routing.withheld] == ["temporary_placement"]
    # one who lacks capacity is placed by the legal duty, consent or not
    ward = decide(victim={"lacks_capacity": True}, indicators=neglect)
    assert any(t.action == "guardian_placement" for t in ward.routing.tasks)


@pytest.mark.parametrize(
    ("history", "repeat"),
    [
        ({"police_calls_12m": 1, "help_sought": [{"to": "school", "months_ago": 1}] * 2}, True),
        ({"help_sought": [{"to": "womens_federation", "months_ago": 11}] * 3}, True),
        ({"help_sought": [{"to": "womens_federation", "months_ago": 12}] * 3}, False),
        ({"help_sought": [{"to": "womens_federation"}] * 3}, False),  # when: unknown
        ({"police_calls_12m": 2, "help_sought": [{"to": "procuratorate", "months_ago": 0}]}, True),
        ({"police_calls_12m": 2, "help_sought": []}, False),
    ],
)
def test_reports_to_any_agency_count_toward_repeat_victimisation(
    history: dict[str, Any], repeat: bool
) -> None:
    """SafeLives: three incidents in 12 months, reported to any agency, not only police."""
    assert ("repeat_victimisation" in decide(history=history).flags) is repeat


def test_violence_after_earlier_help_is_repeated_not_minor() -> None:
    """Violence that went on after help is no case for a warning letter (反家庭暴力法第16条)
    and opens the protection order (法释〔2022〕17号第6条)."""
    minor = {"physical_violence": "yes", "current_injury": "no", "escalation": "no"}
    history = {"police_calls_12m": 0, "penalty_imposed": False, "prior_warning_letter": False}
    assert "warning_letter" in decide(indicators=minor, history=history).flags
    failed = [{"to": "residents_committee", "months_ago": 20, "outcome": "violence_continued"}]
    d = decide(indicators=minor, history={**history, "help_sought": failed})
    assert "warning_letter" not in d.flags
    assert {"protection_order", "repeat_victimisation", "mediation_contraindicated"} <= set(d.flags)
    stopped = [{"to": "residents_committee", "months_ago": 20, "outcome": "violence_stopped"}]
    assert (
        "warning_letter"
        in decide(indicators=minor, history={**history, "help_sought": stopped}).flags
    )


def test_several_abusers_bring_a_case_conference() -> None:
    d = decide(abuser={"others_involved": True})
    assert {"case_conference", "mediation_contraindicated"} <= set(d.flags)
    assert "other_person_threat" in {x.indicator for x in d.derived_indicators}


@pytest.mark.parametrize(("reach", "measure"), [(True, True), (False, False), (None, False)])
def test_workplace_access_goes_into_the_order(reach: bool | None, measure: bool) -> None:
    """法释〔2022〕17号第10条: the order can bar him from her home, school and workplace."""
    abuser = {} if reach is None else {"can_reach_workplace_or_school": reach}
    d = decide(indicators={"threat_to_kill": "yes"}, abuser=abuser)
    assert "protection_order" in d.flags and "protection_order_no_contact" in d.flags
    assert ("protection_order_stay_away" in d.flags) is measure
    # never asked for without an order
    quiet = decide(abuser={"can_reach_workplace_or_school": True})
    assert "protection_order" not in quiet.flags and "protection_order_stay_away" not in quiet.flags


@pytest.mark.parametrize(
    ("days", "plan"), [(-1, False), (0, True), (7, True), (8, False), (None, True)]
)
def test_a_safety_plan_before_an_upcoming_contact(days: int | None, plan: bool) -> None:
    """Reported 2026-03-02 (Asia/Shanghai): a contact 0 to 7 days on, or on a day not yet
    known, needs a safety plan within 24 hours at medium risk or above."""
    contact: dict[str, Any] = {"kind": "child_handover"}
    if days is not None:
        contact["on"] = (date(2026, 3, 2) + timedelta(days=days)).isoformat()
    d = decide(indicators={"physical_violence": "yes"}, upcoming_contact=contact)
    assert d.risk_level == "medium"
    assert ("safety_planning" in d.flags) is plan
    tasks = [t for t in d.routing.tasks if t.action == "safety_plan_before_contact"]
    assert bool(tasks) is plan
    for t in tasks:
        assert t.due - d.reported_at == timedelta(hours=24)
    standard = decide(indicators={"physical_violence": "no"}, upcoming_contact=contact)
    assert "safety_planning" not in standard.flags
