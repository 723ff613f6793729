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
