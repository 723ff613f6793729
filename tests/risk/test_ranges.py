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
