"""Answers carried forward from earlier reports of the same case.

An item about the past answered yes stays yes when a later report leaves it
unanswered; an item asked of the past year or of now holds for a year from the
report that answered it; an item about one incident is never carried
(`triage.vocab.EVER_INDICATORS`, `INCIDENT_INDICATORS`, `CARRY_DAYS`). An answer
never goes silently from yes to no: a later no to an item about the past is a
contradiction, kept for review with the safer answer; a later no to an item about
now is a change, listed so a supervisor sees why a level may fall.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..report import Answers, Derivation, Report
from ..report._normalise import separated
from ..vocab import CARRY_DAYS, EVER_INDICATORS, INCIDENT_INDICATORS, INDICATORS
from ._history import History

__all__ = ["Carried", "carry_answers"]


@dataclass(frozen=True, slots=True)
class Carried:
    """The answers with the case's earlier ones carried in, and what differed."""

    answers: Answers
    contradictions: tuple[tuple[str, str], ...]  # (indicator, earlier report) now "no"
    changed: tuple[tuple[str, str], ...]  # (indicator, earlier report): yes then, no now


def carry_answers(report: Report, answers: Answers, history: History) -> Carried:
    """``answers`` (the report's own, normalised) with the case's earlier yes answers
    carried in where they still hold."""
    values = dict(answers.values)
    derived = list(answers.derived)
    contradictions: list[tuple[str, str]] = []
    changed: list[tuple[str, str]] = []
    horizon = report.reported_at - timedelta(days=CARRY_DAYS)
    for code in INDICATORS.codes:
        if code in INCIDENT_INDICATORS:
            continue
        source = _last_yes(code, horizon, history)
        if source is None:
            continue
        now = values[code]
        if now == "yes":
            continue
        if now == "no" and code not in EVER_INDICATORS:
            changed.append((code, source))
            continue
        if now == "no":
            contradictions.append((code, source))
        derived = [d for d in derived if d.indicator != code]
        derived.append(Derivation(indicator=code, because=(f"history:{source}",), replaced=now))
        values[code] = "yes"
    if values == answers.values and not changed:  # a contradiction changes a value
        return Carried(answers, (), ())
    derived.sort(key=lambda d: d.indicator)
    carried = replace(
        answers,
        values=values,
        derived=tuple(derived),
        separated=separated(report, answers.intimate, values["separation"]),
    )
    return Carried(carried, tuple(contradictions), tuple(changed))


def _last_yes(code: str, horizon: datetime, history: History) -> str | None:
    """The latest earlier report whose yes to ``code`` still holds (a yes about now
    holds if it was given after ``horizon``)."""
    for earlier in reversed(history.items):
        if earlier.answers.values[code] != "yes":
            continue
        if code in EVER_INDICATORS or earlier.report.reported_at >= horizon:
            return earlier.report.id
    return None
