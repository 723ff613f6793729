"""The meaning of a policy: levels only go up, judgement, missing values, strata."""

from __future__ import annotations

from typing import Any

import pytest

import triage

HEAD = """\
policy:
  id: sem
  version: "1"
  jurisdiction: test
  effective_from: 2026-01-01
  allow_downgrade: {downgrade}
rules:
"""


def policy(rules: str, downgrade: bool = False) -> triage.Triage:
    return triage.Triage((HEAD.format(downgrade=str(downgrade).lower()) + rules).encode())


def report(**parts: Any) -> dict[str, Any]:
    return {
        "id": "S-1",
        "reported_at": "2026-03-02T21:15:00+08:00",
        "source": "court",
        "case_type": "domestic_violence",
        **parts,
    }


RULES = """\
  - id: high
    description: {zh: 高, en: high}
    when: {indicators.stalking: yes}
    then: {level: high, priority: P2}
  - id: medium
    description: {zh: 中, en: medium}
    when: {indicators.stalking: yes}
    then: {level: medium, priority: P3, flags: [counselling]}
  - id: reads_flag
    description: {zh: 读标记, en: reads a flag}
    when: {flags.counselling: true}
    then: {flags: [legal_aid]}
  - id: minor
    description: {zh: 未成年, en: minor}
    when: {victim.age: {"<": 18}}
    then: {flags: [mandatory_report]}
  - id: not_minor
    description: {zh: 非未成年, en: not a minor}
    when: {not: {victim.age: {"<": 18}}}
    then: {flags: [case_conference]}
  - id: age_missing
    description: {zh: 年龄缺失, en: age missing}
    when: {victim.age: {exists: false}}
    then: {flags: [information_gap]}
"""


def test_levels_and_priorities_only_go_up() -> None:
    """A lower level from a later rule never lowers an earlier higher one."""
    d = policy(RULES).assess(report(indicators={"stalking": "yes"}))
    assert (d.risk_level, d.priority) == ("high", "P2")
    entry = {e.rule: e for e in d.trace}
    assert entry["high"].raised_level == ("standard", "high")
    assert entry["medium"].raised_level is None


def test_later_stratum_sees_earlier_flags() -> None:
    """A rule reading a flag runs after the rule that sets it."""
    d = policy(RULES).assess(report(indicators={"stalking": "yes"}))
    assert "legal_aid" in d.flags
    strata = {e.rule: e.stratum for e in d.trace}
    assert strata["reads_flag"] > strata["medium"]


@pytest.mark.parametrize(
    ("age", "flags"),
    [
        (None, {"case_conference", "information_gap"}),
        (17, {"mandatory_report"}),
        (18, {"case_conference"}),
    ],
)
def test_missing_values(age: int | None, flags: set[str]) -> None:
    """A comparison with a missing value is false; `not` of it is true; exists tells."""
    victim = {} if age is None else {"age": age}
    d = policy(RULES).assess(report(victim=victim))
    assert set(d.flags) == flags


@pytest.mark.parametrize(
    ("downgrade", "judgement", "level", "effect"),
    [
        (False, {"level": "extreme"}, "extreme", "raised"),
        (False, {"level": "high"}, "high", "confirmed"),
        (False, {"level": "standard", "reason": "known family"}, "high", "downgrade_refused"),
        (True, {"level": "standard"}, "high", "downgrade_refused"),
        (True, {"level": "standard", "reason": "known family"}, "standard", "lowered"),
    ],
)
def test_professional_judgement(
    downgrade: bool, judgement: dict[str, str], level: str, effect: str
) -> None:
    """A professional may raise the level; lowering needs a reason and a policy that allows it."""
    d = policy(RULES, downgrade).assess(
        report(indicators={"stalking": "yes"}, professional_judgement=judgement)
    )
    assert d.risk_level == level
    assert d.rules_level == "high"
    assert d.professional_judgement is not None
    assert d.professional_judgement.effect == effect


def test_a_street_named_in_chinese_is_matched_exactly() -> None:
    """Intake staff record streets by name (新安街道); rules compare them as text."""
    t = policy(
        """\
  - id: xinan
    description: {zh: 新安街道, en: Xin'an street}
    when: {location.street: 新安街道}
    then: {level: medium}
"""
    )
    fired = [e.rule for e in t.assess(report(location={"street": "新安街道"})).trace]
    assert "xinan" in fired
    other = t.assess(report(location={"street": "西乡街道"}))
    assert "xinan" not in [e.rule for e in other.trace]
    assert other.risk_level == "standard"


COUNTED = """\
  - id: counted
    description: {zh: 危险评估几乎答完且分数高, en: DA nearly complete and scoring high}
    when:
      instruments.danger_assessment.score: {">=": 8}
      instruments.danger_assessment.unknown_count: {"<=": 1}
    then: {level: high, priority: P2}
"""


def _da_answers(unanswered: tuple[str, ...]) -> dict[str, str]:
    """Every indicator no, except escalation and separation yes (DA items 1 and 3: score
    1 + 4 = 5), cohabited yes (item 3a no), and ``unanswered`` unknown."""
    answers = {code: "no" for code in triage.vocab.INDICATORS.codes}
    answers.update(escalation="yes", separation="yes", cohabited="yes")
    answers.update({code: "unknown" for code in unanswered})
    return answers


class TestUnansweredCount:
    """`instruments.<id>.unknown_count` is a fact like the others: with every unknown
    answered none is left (the max world), and answering one counts it down (gaps)."""

    def test_the_max_world_answers_every_item(self) -> None:
        t = policy(COUNTED)
        d = t.assess(report(indicators=_da_answers(("threat_to_kill", "gun_access"))))
        da = d.instruments["danger_assessment"]
        assert (da.score, len(da.unknown)) == (5, 2)  # 1 + 4, two items open
        assert d.risk_level != "high"  # two unanswered: the rule does not hold as given
        assert d.risk_level_max == "high"  # both answered yes: score 13, none open

    def test_answering_one_item_counts_down(self) -> None:
        """Threat to kill (item 6, weight 3) takes the score to 8 and leaves one item
        open: it raises the level alone. Gun access (item 2, weight 5) alike."""
        t = policy(COUNTED)
        d = t.assess(report(indicators=_da_answers(("threat_to_kill", "gun_access"))))
        gaps = {g.fact: g for g in d.information_gaps}
        for fact in ("indicators.threat_to_kill", "indicators.gun_access"):
            assert gaps[fact].alone and gaps[fact].could_raise_level_to == "high", fact
            assert gaps[fact].rules == ("counted",)

    def test_an_answer_that_only_counts_down_is_asked_about(self) -> None:
        """Score 8 already; items 3a (never lived together: weight -3, and it voids item
        3) and 2 open. 3a's risk-raising answer is no (they lived together): the score
        stays 8 and one item is left open, so the rule holds — the cohabitation question
        raises the level by itself although no yes to 3a raises the score. The gun
        question too (score 13, one open)."""
        t = policy(COUNTED)
        answers = _da_answers(("cohabited", "gun_access"))
        answers.update(threat_to_kill="yes")
        d = t.assess(report(indicators=answers))
        assert (d.instruments["danger_assessment"].score, d.risk_level_max) == (8, "high")
        assert d.risk_level != "high"
        gaps = {g.fact: g for g in d.information_gaps}
        for fact in ("indicators.cohabited", "indicators.gun_access"):
            assert gaps[fact].alone and gaps[fact].could_raise_level_to == "high", fact
        # as answered: lived together (3a no) -> the rule holds
        answers.update(cohabited="yes")
        assert t.assess(report(indicators=answers)).risk_level == "high"

    def test_a_policy_that_does_not_count_is_unchanged(self) -> None:
        """Without a rule reading the count, no gap is found for an answer that raises
        nothing (the default policy: 3a's cohabitation question alone)."""
        answers = _da_answers(("cohabited",))
        d = triage.Triage().assess(report(indicators=answers))
        assert "indicators.cohabited" not in {g.fact for g in d.information_gaps}


DASH_COUNTED = """\
  - id: dash_counted
    description: {zh: DASH 几乎答完, en: DASH nearly complete}
    when:
      instruments.dash.score: {">=": 2}
      instruments.dash.unknown_count: {"<=": 1}
    then: {level: high, priority: P2}
"""


def test_an_item_that_settles_another_counts_down_by_both_and_no_further() -> None:
    """DASH 2 (q4 and q23 yes) with q11 (the abuser hurt the children), q21 (hurt others)
    and q22 open. A yes to q11 settles q21 too: one item left open, the rule holds, so
    q11 raises the level by itself. A yes to q21 answers only q21: two left open, so it
    does not, and neither does q22 (each counted from the instrument, not from q11)."""
    t = policy(DASH_COUNTED)
    answers = {code: "no" for code in triage.vocab.INDICATORS.codes}
    answers.update(isolation="yes", financial_issues="yes")
    open_ = ("abuser_hurt_children", "abuser_hurt_others", "animal_abuse")
    answers.update(dict.fromkeys(open_, "unknown"))
    d = t.assess(report(indicators=answers))
    assert d.instruments["dash"].score == 2 and d.risk_level_max == "high"
    gaps = {g.fact: g for g in d.information_gaps}
    assert gaps["indicators.abuser_hurt_children"].alone
    for code in ("abuser_hurt_others", "animal_abuse"):
        assert not gaps[f"indicators.{code}"].alone, code
    for code in open_:  # the oracle: the report answered
        level = t.assess(report(indicators={**answers, code: "yes"})).risk_level
        assert (level == "high") == (code == "abuser_hurt_children"), code
