"""From a report to the answers instruments and rules read.

Every indicator gets an answer (unknown when not given). A few answers follow
from others or from structured fields; those derivations only ever turn an
answer to yes, and each one is recorded so the decision can explain it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from pydantic import BaseModel, ConfigDict

from .._trusted import trusted
from ..vocab import FORMER_RELATIONSHIPS, INDICATORS, INTIMATE_RELATIONSHIPS, implied_closure
from ._model import Report, StoredReport

__all__ = [
    "Answers",
    "Derivation",
    "answer_values",
    "normalise",
    "settled_by",
    "settles",
    "tri",
    "widened",
    "yes_answers",
]

_CLOSURE = implied_closure()
_IMPLYING = frozenset(code for code, broader in _CLOSURE.items() if broader)
_ALL_UNKNOWN = dict.fromkeys(INDICATORS.codes, "unknown")
# The closure read backwards: each indicator -> the indicators whose yes settles it.
_SETTLED_BY = {
    code: tuple(sorted(x for x, broader in _CLOSURE.items() if code in broader))
    for code in INDICATORS.codes
}


class Derivation(BaseModel):
    """An indicator answered yes because other answers or fields settle it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    indicator: str
    because: tuple[str, ...]
    replaced: str  # the answer it had before: unknown, or no when the input contradicted itself


@dataclass(frozen=True, slots=True)
class Answers:
    values: dict[str, str]  # every indicator code -> yes/no/unknown
    fields: dict[str, str]  # structured-field items -> yes/no/unknown
    derived: tuple[Derivation, ...]
    intimate: str  # yes/no/unknown: is the abuser a current or former intimate partner
    separated: str = "unknown"  # yes/no/unknown: have the two (intimate partners) separated
    # `widened`, worked out once (not copied by `dataclasses.replace`: other values)
    _wide: Answers | None = field(default=None, init=False, repr=False, compare=False)


def tri(value: bool | None) -> str:
    """A report's true/false/not given as the answer yes/no/unknown."""
    return "unknown" if value is None else "yes" if value else "no"


def _tri_count(count: int | None, more_than: int) -> str:
    if count is None:
        return "unknown"
    return "yes" if count > more_than else "no"


def normalise(report: Report | StoredReport) -> Answers:
    """The answers of ``report``, each derived one with the reason for it."""
    given = report.indicators
    values = dict(_ALL_UNKNOWN)
    values.update(given)
    answered_yes = [code for code, answer in given.items() if answer == "yes"]
    reasons: dict[str, list[str]] = {}
    for indicator, because in _structured(report):
        reasons.setdefault(indicator, []).append(because)
        for broad in _CLOSURE[indicator]:
            reasons.setdefault(broad, []).append(because)
    for code in answered_yes:
        for broad in _CLOSURE[code]:
            reasons.setdefault(broad, []).append(f"indicators.{code}")
    derived = []
    for indicator in sorted(reasons):
        if report.indicators.get(indicator) == "yes":
            continue  # answered yes directly; nothing to derive
        derived.append(
            trusted(
                Derivation,
                {
                    "indicator": indicator,
                    "because": tuple(sorted(set(reasons[indicator]))),
                    "replaced": values[indicator],
                },
            )
        )
        values[indicator] = "yes"
    return _answers(report, values, tuple(derived))


def settles(code: str) -> frozenset[str]:
    """The indicators a yes to ``code`` settles as yes (physical violence, for a current
    injury), transitively."""
    return _CLOSURE[code]


def settled_by(code: str) -> tuple[str, ...]:
    """The indicators whose yes settles ``code`` as yes (a current injury settles that
    there was physical violence), in code order."""
    return _SETTLED_BY[code]


def widened(answers: Answers) -> Answers:
    """``answers`` as the top of a range must read them: a no that a yes to an unanswered
    question would overturn is unknown again.

    `normalise` settles an indicator as yes when another answer implies it, even over a
    no given for it (the input then contradicts itself, and the more specific answer
    wins). So where "abuse became more severe" is unanswered and "escalation" was
    answered no, a yes to the first makes the second yes too: the max world must count
    both. ``answers`` itself when no such no exists (most reports)."""
    wide = answers._wide
    if wide is None:
        values = answers.values
        overturned = [
            broad
            for code in _IMPLYING
            if values[code] == "unknown"
            for broad in _CLOSURE[code]
            if values[broad] == "no"
        ]
        wide = (
            replace(answers, values={**values, **dict.fromkeys(overturned, "unknown")})
            if overturned
            else answers
        )
        object.__setattr__(answers, "_wide", wide)  # frozen: set once, as a cache
    return wide


def answer_values(report: Report | StoredReport) -> dict[str, str]:
    """``normalise(report).values``, and nothing else."""
    values = dict(_ALL_UNKNOWN)
    values.update(report.indicators)
    values.update(dict.fromkeys(yes_answers(report), "yes"))
    return values


def yes_answers(report: Report | StoredReport) -> frozenset[str]:
    """The indicators ``normalise(report)`` makes yes: all a case reads of an earlier
    report's answers besides the answers given (an indicator not in it is as given, or
    unknown), at a fraction of the cost of every value."""
    yes = {code for code, answer in report.indicators.items() if answer == "yes"}
    for indicator, _ in _structured(report):
        yes.add(indicator)
    for code in yes & _IMPLYING:  # most answers settle nothing else
        yes |= _CLOSURE[code]
    return frozenset(yes)


def _structured(report: Report | StoredReport) -> list[tuple[str, str]]:
    """The indicators structured fields settle as yes, each with the field that does."""
    out = []
    if report.victim.pregnant is True:
        out.append(("pregnant_or_recent_birth", "victim.pregnant"))
    violations = report.history.protection_order_violations
    if violations is not None and violations > 0:
        out.append(("breached_order", "history.protection_order_violations"))
    if report.abuser.others_involved is True:
        # DASH Q20: another person has threatened the victim (multiple perpetrators).
        out.append(("other_person_threat", "abuser.others_involved"))
    recent = _separated_within_a_year(report)
    if recent is not None:
        out.append(("separation", recent))
    return out


def _answers(
    report: Report | StoredReport, values: dict[str, str], derived: tuple[Derivation, ...]
) -> Answers:
    relationship = report.abuser.relationship
    intimate = (
        "unknown"
        if relationship is None
        else "yes"
        if relationship in INTIMATE_RELATIONSHIPS
        else "no"
    )
    fields = {"children.more_than_one": _tri_count(report.children.count, 1)}
    return Answers(
        values=values,
        fields=fields,
        derived=derived,
        intimate=intimate,
        separated=separated(report, intimate, values["separation"]),
    )


def separated(report: Report | StoredReport, intimate: str, separation: str) -> str:
    """Whether intimate partners have separated, at any time: a former partner has, and so
    has one whose separation is dated or was answered (separation in the past year).

    Separation from a controlling partner is a homicide risk factor that does not end
    after a year (Campbell et al. 2003: estrangement, especially from a controlling
    partner), so rules read this as well as the past-year answer.
    """
    abuser = report.abuser
    if (
        separation == "yes"
        or abuser.relationship in FORMER_RELATIONSHIPS
        or abuser.separated_at is not None
        or abuser.months_since_separation is not None
    ):
        return "yes"
    if intimate == "no":
        return separation  # not a partner: the past-year answer as given, never less
    if intimate == "yes" and separation == "no":
        return "no"  # current partners who have not separated
    return "unknown"


def _separated_within_a_year(report: Report | StoredReport) -> str | None:
    """The field that dates a separation within the year before the report (DA item 1
    and DASH Q9 ask about the past year), or None."""
    abuser = report.abuser
    if abuser.separated_at is not None:
        days = (report.reported_at.date() - abuser.separated_at).days
        if 0 <= days <= 365:
            return "abuser.separated_at"
    months = abuser.months_since_separation
    if months is not None and months < 12:
        return "abuser.months_since_separation"
    return None
