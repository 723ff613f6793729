"""The top of a range counts a no that a yes elsewhere would overturn.

`normalise` settles a broad indicator as yes when a specific one implies it, even over a
no given for the broad one. So while the specific one is unanswered, the broad one's no
is not yet settled: the instruments' ``score_max``, the model's ``probability_max`` and
the decision's ``risk_level_max`` must reach what a yes to it would give.
"""

from __future__ import annotations

from typing import Any

import triage
from triage.report import normalise, settled_by, validate_report, widened
from triage.risk import INSTRUMENTS, score_all
from triage.vocab import INDICATORS

# "The abuse has become more severe" settles "the abuse has escalated" (DA item 1, weight 1)
SPECIFIC, BROAD = "abuse_more_severe", "escalation"


def _report(**indicators: str) -> dict[str, Any]:
    answers = dict.fromkeys(INDICATORS.codes, "no")
    answers.update(indicators)
    return {
        "id": "R-1",
        "reported_at": "2026-03-02T21:15:00+08:00",
        "source": "police_110",
        "case_type": "domestic_violence",
        "abuser": {"relationship": "spouse"},
        "indicators": answers,
    }


def test_the_closure_read_backwards() -> None:
    assert SPECIFIC in settled_by(BROAD)
    assert "current_injury" in settled_by("physical_violence")
    assert settled_by("strangulation") == ()  # nothing settles a specific answer


def test_a_no_an_unanswered_question_could_overturn_is_widened() -> None:
    answers = normalise(validate_report(_report(**{SPECIFIC: "unknown"})))
    assert answers.values[BROAD] == "no"  # as given: nothing settles it yet
    wide = widened(answers)
    assert wide.values[BROAD] == "unknown"
    assert {k for k, v in wide.values.items() if v != answers.values[k]} == {BROAD}
    # answered either way, nothing is left to overturn
    for specific in ("no", "yes"):
        settled = normalise(validate_report(_report(**{SPECIFIC: specific})))
        assert widened(settled) is settled


def test_instrument_ranges_reach_the_overturned_item() -> None:
    """Every item no except DASH q14 (abuse more severe), unanswered. As published, the
    DA has nothing unanswered, so its range is one score; DASH's is 0 to 1. A yes to q14
    also makes DA item 1 (escalation, weight 1) yes: the DA's top is one higher."""
    report = validate_report(_report(**{SPECIFIC: "unknown"}))
    answers = normalise(report)
    da_items = INSTRUMENTS["danger_assessment"].item_answers(answers.values, answers.fields)
    published = INSTRUMENTS["danger_assessment"].evaluate(da_items)
    assert published.score_max == published.score  # nothing unanswered
    scored = score_all(report, answers)
    da, dash = scored["danger_assessment"], scored["dash"]
    assert (da.score, da.score_max) == (published.score, published.score + 1)
    assert (da.yes, da.no, da.unknown) == (published.yes, published.no, ())  # as given
    assert (dash.score, dash.score_max, dash.unknown) == (0, 1, ("14",))
    # and the top is what the answer gives
    answered = validate_report(_report(**{SPECIFIC: "yes"}))
    assert score_all(answered, normalise(answered))["danger_assessment"].score == da.score_max


def test_the_decision_range_reaches_what_the_answer_gives() -> None:
    """Separated partners, every answer no but "more severe", unanswered: a yes settles
    escalation too, and escalation after separation is at least high risk. The range
    given before the answer reaches it."""
    t = triage.Triage(model=None)
    base = _report(**{SPECIFIC: "unknown", "separation": "yes"})
    before = t.assess(base)
    after = t.assess(_report(**{SPECIFIC: "yes", "separation": "yes"}))
    assert after.risk_level == "high"
    assert before.risk_level == "standard" and before.risk_level_max == "high"


def test_the_question_that_reaches_the_top_is_asked() -> None:
    """The decision above asks the one question that reaches its top: "more severe",
    which escalation after separation reads through "escalation"."""
    t = triage.Triage(model=None)
    before = t.assess(_report(**{SPECIFIC: "unknown", "separation": "yes"}))
    gap = next(g for g in before.information_gaps if g.fact == f"indicators.{SPECIFIC}")
    assert gap.alone and gap.could_raise_level_to == "high"
    assert "escalation_after_separation" in gap.rules
    assert before.information_gaps[0] == gap  # the most decisive


def test_a_yes_that_reaches_a_middle_band_is_asked_alone() -> None:
    """A Danger Assessment of 4 with 12 more points unanswered: its range runs from
    "variable" to "severe". A yes to gun access (5 points) alone lands on 9, "increased",
    which is at least medium risk (`da_increased`), though every yes overshoots that band:
    the rule fires in neither world, and the gap still says what the yes does alone."""
    t = triage.Triage(model=None)
    unknown = ("gun_access", "abuser_alcohol_problem", "threat_to_kill", "weapon_use_or_threat")
    answers = {"abuser_unemployed": "yes", "avoided_arrest": "yes"}
    before = t.assess(_report(**answers, **dict.fromkeys(unknown, "unknown")))
    da = before.instruments["danger_assessment"]
    assert (da.level, da.level_max) == ("variable", "severe") and da.score == 4
    gap = next(g for g in before.information_gaps if g.fact == "indicators.gun_access")
    assert gap.alone and gap.could_raise_level_to == "medium" and "da_increased" in gap.rules
    answered = {**dict.fromkeys(unknown, "unknown"), "gun_access": "yes"}
    after = t.assess(_report(**answers, **answered))
    assert after.instruments["danger_assessment"].level == "increased"
    assert after.risk_level == "medium"


def test_a_yes_that_settles_another_item_of_the_same_instrument_counts_both() -> None:
    """DASH 8 with q11 (the abuser hurt the children) unanswered and q21 (hurt others)
    answered no: a yes to q11 settles q21 too, so DASH goes to 10, medium, not to 9. The
    gap search counts both, so the DASH medium band is among what q11 does alone."""
    t = triage.Triage(model=None)
    given = dict.fromkeys(
        ("isolation", "child_contact_conflict", "other_children_or_dependants_in_home",
         "animal_abuse", "financial_issues", "criminal_history", "victim_very_frightened",
         "abuser_suicidality"), "yes",
    )  # fmt: skip
    unknown = dict.fromkeys(("abuser_hurt_children", "stalking", "sexual_abuse"), "unknown")
    before = t.assess(_report(**given, **unknown))
    assert before.instruments["dash"].score == 8
    gap = next(g for g in before.information_gaps if g.fact == "indicators.abuser_hurt_children")
    assert gap.alone and "dash_medium" in gap.rules
    after = t.assess(_report(**given, **{**unknown, "abuser_hurt_children": "yes"}))
    assert (after.instruments["dash"].score, after.instruments["dash"].level) == (10, "medium")
