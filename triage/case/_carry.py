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

from .._trusted import trusted
from ..report import Answers, Derivation, Report
from ..report._normalise import separated
from ..vocab import CARRY_DAYS, EVER_INDICATORS, INCIDENT_INDICATORS, INDICATORS
from ._history import Earlier, History

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
    latest = _latest_yes(history)
    for code in INDICATORS.codes:
        now = values[code]
        if now == "yes" or code in INCIDENT_INDICATORS or code not in latest:
            continue
        source = _still_holds(code, latest[code], horizon)
        if source is None:
            continue
        if now == "no" and code not in EVER_INDICATORS:
            changed.append((code, source))
            continue
        if now == "no":
            contradictions.append((code, source))
        because = (f"history:{source}",)
        derived.append(
            trusted(Derivation, {"indicator": code, "because": because, "replaced": now})
        )
        values[code] = "yes"
    if values == answers.values and not changed:  # a contradiction changes a value
        return Carried(answers, (), ())
    derived.sort(key=lambda d: d.indicator)  # none was the report's own: its own are yes
    carried = replace(
        answers,
        values=values,
        derived=tuple(derived),
        separated=separated(report, answers.intimate, values["separation"]),
    )
    return Carried(carried, tuple(contradictions), tuple(changed))


def _latest_yes(history: History) -> dict[str, Earlier]:
    """Each indicator mapped to the latest earlier report that answered it yes."""
    latest: dict[str, Earlier] = {}
    for earlier in history.items:  # oldest first: a later yes replaces an earlier one
        latest.update(dict.fromkeys(earlier.yes, earlier))
    return latest


def _still_holds(code: str, earlier: Earlier, horizon: datetime) -> str | None:
    """The report whose yes to ``code`` still holds: any yes about the past, a yes about
    now given after ``horizon``. The latest yes is enough to ask: reports come oldest
    first, so when it is too old for an item about now, every earlier one is too."""
    if code in EVER_INDICATORS or earlier.report.reported_at >= horizon:
        return earlier.report.id
    return None
