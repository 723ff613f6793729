"""The report stage: the intake contract, its validation, and the answers normalised.

A report from outside becomes a frozen `Report` through `validate_report` (or one
`ReportError` listing every problem, never a value), then `normalise` turns it into
the answers the instruments and rules read, with each derivation recorded.
"""

from __future__ import annotations

from ._model import (
    Abuser,
    Children,
    Consent,
    HelpSought,
    History,
    Location,
    ProfessionalJudgement,
    Report,
    Requests,
    StoredReport,
    UpcomingContact,
    Victim,
)
from ._normalise import (
    Answers,
    Derivation,
    answer_values,
    normalise,
    settled_by,
    settles,
    widened,
    yes_answers,
)
from ._problems import report_error
from ._validate import validate_report, validate_stored

__all__ = [
    "Abuser",
    "Answers",
    "Children",
    "Consent",
    "Derivation",
    "HelpSought",
    "History",
    "Location",
    "ProfessionalJudgement",
    "Report",
    "Requests",
    "StoredReport",
    "UpcomingContact",
    "Victim",
    "answer_values",
    "normalise",
    "report_error",
    "settled_by",
    "settles",
    "validate_report",
    "validate_stored",
    "widened",
    "yes_answers",
]
