"""The shared vocabulary."""

from __future__ import annotations

import triage
from triage.risk import INSTRUMENTS
from triage.vocab import IMPLIES, INDICATORS, LEVELS, PRIORITIES, VOCABULARIES, implied_closure


def test_every_term_is_bilingual() -> None:
    """Every code has a Chinese and an English label."""
    for vocabulary in VOCABULARIES.values():
        for term in vocabulary:
            assert term.zh.strip() and term.en.strip(), term.code


def test_no_no_risk_level() -> None:
    """The lowest level is standard; there is no 'no risk'."""
    assert LEVELS.codes == ("standard", "medium", "high", "extreme")
    assert not any("no" in c.split("_") or c == "none" for c in LEVELS.codes)


def test_priority_order() -> None:
    """P1 is the most urgent."""
    assert PRIORITIES.max("P3", "P1", "P4") == "P1"


def test_every_item_reads_one_indicator_or_field() -> None:
    """Every instrument item maps to exactly one indicator or one report field."""
    for instrument in INSTRUMENTS.values():
        for item in instrument.items:
            assert (item.indicator is None) != (item.field is None)
            if item.indicator is not None:
                assert item.indicator in INDICATORS


def test_indicators_used() -> None:
    """Nearly every indicator feeds an instrument; the rest are read by policies (the
    forms of domestic violence the law names, and a weapon other than a gun)."""
    used = {i.indicator for ins in INSTRUMENTS.values() for i in ins.items}
    unused = set(INDICATORS.codes) - used
    assert unused == {
        "physical_violence",
        "weapon_access",
        "frequent_verbal_abuse",
        "neglect_or_abandonment",
        "economic_abuse",
        "victim_depends_on_abuser",
    }
    policy = triage.load_policy(None)
    read = {
        n.split(".", 1)[1] for r in policy.rules for n in r.reads if n.startswith("indicators.")
    }
    assert unused <= read


def test_implications_are_acyclic_and_known() -> None:
    """No indicator implies itself, however indirectly."""
    closure = implied_closure()
    for code, implied in closure.items():
        assert code not in implied
    assert set(IMPLIES) <= set(INDICATORS.codes)


def test_suggest() -> None:
    assert INDICATORS.suggest("strangulaton") == "strangulation"
    assert INDICATORS.suggest("zzzz") is None
