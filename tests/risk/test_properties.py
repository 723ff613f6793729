"""Invariants of every instrument, over generated answers.

"Unknown" is never "no": resolving an unanswered item the risk-raising way
never lowers the maximum, and forgetting an answer never lowers it either.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import triage
from triage.risk import INSTRUMENTS
from triage.risk._base import Instrument
from triage.rules._facts import FACTS

ANSWER = st.sampled_from(["yes", "no", "unknown"])
NAMES = sorted(INSTRUMENTS)


def rank(instrument: Instrument, level: str) -> int:
    return instrument.levels.index(level)


@st.composite
def case(draw: st.DrawFn) -> tuple[Instrument, tuple[str, ...], dict[str, object]]:
    instrument = INSTRUMENTS[draw(st.sampled_from(NAMES))]
    answers = tuple(draw(ANSWER) for _ in instrument.items)
    options: dict[str, object] = {}
    if instrument.id == "lethality_screen":
        options = {
            "version": draw(st.sampled_from(["lap-1", "lap-2.0"])),
            "officer_belief": draw(st.sampled_from([None, False, True])),
        }
    return instrument, answers, options


@given(case())
def test_score_within_range(c: tuple[Instrument, tuple[str, ...], dict[str, object]]) -> None:
    """score <= score_max and level <= level_max."""
    instrument, answers, options = c
    result = instrument.evaluate(answers, **options)  # type: ignore[arg-type]
    assert result.score <= result.score_max
    assert rank(instrument, result.level) <= rank(instrument, result.level_max)
    assert (result.level == result.level_max) == (result.could_change_level == ())


@given(case(), st.data())
def test_resolving_unknown_upward_never_lowers_max(
    c: tuple[Instrument, tuple[str, ...], dict[str, object]], data: st.DataObject
) -> None:
    """Answering an unknown item the risk-raising way never lowers score_max or level_max."""
    instrument, answers, options = c
    unknown = [i for i, a in enumerate(answers) if a == "unknown"]
    if not unknown:
        return
    i = data.draw(st.sampled_from(unknown))
    resolved = list(answers)
    resolved[i] = instrument.items[i].raising_answer
    before = instrument.evaluate(answers, **options)  # type: ignore[arg-type]
    after = instrument.evaluate(tuple(resolved), **options)  # type: ignore[arg-type]
    assert after.score_max >= before.score_max
    assert rank(instrument, after.level_max) >= rank(instrument, before.level_max)


@given(case(), st.data())
def test_forgetting_an_answer_never_lowers_max(
    c: tuple[Instrument, tuple[str, ...], dict[str, object]], data: st.DataObject
) -> None:
    """Turning any answer into unknown never lowers level_max or score_max."""
    instrument, answers, options = c
    i = data.draw(st.integers(0, len(answers) - 1))
    forgotten = list(answers)
    forgotten[i] = "unknown"
    before = instrument.evaluate(answers, **options)  # type: ignore[arg-type]
    after = instrument.evaluate(tuple(forgotten), **options)  # type: ignore[arg-type]
    assert after.score_max >= before.score_max
    assert rank(instrument, after.level_max) >= rank(instrument, before.level_max)


@given(case())
def test_yes_never_lowers_level(c: tuple[Instrument, tuple[str, ...], dict[str, object]]) -> None:
    """Turning a no into the risk-raising answer never lowers the level."""
    instrument, answers, options = c
    base = instrument.evaluate(answers, **options)  # type: ignore[arg-type]
    for i, item in enumerate(instrument.items):
        if answers[i] != item.raising_answer:
            raised = list(answers)
            raised[i] = item.raising_answer
            after = instrument.evaluate(tuple(raised), **options)  # type: ignore[arg-type]
            assert rank(instrument, after.level) >= rank(instrument, base.level)
            assert after.score >= base.score


@pytest.mark.parametrize("name", sorted(INSTRUMENTS))
def test_unknown_options_are_library_errors(name: str) -> None:
    """A caller's mistake is a UsageError from the library's tree, not a bare TypeError."""
    with pytest.raises(triage.UsageError, match="options"):
        INSTRUMENTS[name].score({}, colour="blue")


@given(case())
def test_each_if_yes_is_scoring_again_with_that_yes(
    c: tuple[Instrument, tuple[str, ...], dict[str, object]],
) -> None:
    """What the gap search is told a yes would do to the facts rules read is what scoring
    the answers again with that item answered yes gives; an item said to change nothing
    raises no score (3a of the Danger Assessment lowers one)."""
    instrument, answers, options = c
    result = instrument.evaluate(answers, **options)  # type: ignore[arg-type]
    told = instrument.each_if_yes(result, **options)
    assert [number for number, _ in told] == list(result.unknown)
    for number, changed in told:
        i = [item.number for item in instrument.items].index(number)
        again = instrument.evaluate(
            (*answers[:i], "yes", *answers[i + 1 :]),
            **options,  # type: ignore[arg-type]
        )
        assert changed == instrument.if_yes(result, number, **options)
        if changed is None:
            assert again.score <= result.score
        else:
            facts = {
                k: v for k, v in changed.items() if f"instruments.{instrument.id}.{k}" in FACTS
            }
            assert facts and {k: getattr(again, k) for k in facts} == facts
