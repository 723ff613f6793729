"""What a policy may test about the case a report belongs to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..report import Answers, Report
from ..vocab import RED_FLAGS
from ._history import History

__all__ = ["CaseFacts", "case_facts"]

REPEAT_DAYS = 365  # SafeLives/MARAC: a further incident within 12 months is a repeat


@dataclass(frozen=True, slots=True)
class CaseFacts:
    """The case as the rules see it (``case.*`` facts); absent without a history."""

    reports_12m: int  # earlier reports in the 12 months before this one, any channel
    sources: int  # distinct channels the case's reports came by, this one included
    days_since_last: int
    previous_level: str  # the level the case's last decision set
    new_red_flags: tuple[str, ...]  # stand-alone red flags yes now, never yes before
    red_flag_unknown_again: bool  # a red flag unanswered now and in the last report too


def case_facts(report: Report, answers: Answers, carried: Answers, history: History) -> CaseFacts:
    """``answers`` are this report's own: a red flag is new when this report says yes and
    no earlier report of the case did; ``carried`` (with the case's answers carried in)
    tells what is still unknown."""
    since = report.reported_at - timedelta(days=REPEAT_DAYS)
    earlier = history.items
    last = history.last
    before = set().union(*(e.yes for e in earlier))
    new = tuple(c for c in RED_FLAGS if answers.values[c] == "yes" and c not in before)
    again = any(carried.values[c] == "unknown" and last.values[c] == "unknown" for c in RED_FLAGS)
    gap = report.reported_at - last.report.reported_at
    return CaseFacts(
        reports_12m=sum(1 for e in earlier if e.report.reported_at >= since),
        sources=len({report.source, *(e.report.source for e in earlier)}),
        days_since_last=max(0, gap.days),
        previous_level=last.decision.risk_level,
        new_red_flags=new,
        red_flag_unknown_again=again,
    )
