"""triage: explainable risk triage and multi-agency routing for domestic-violence reports.

>>> import triage
>>> decision = triage.assess({
...     "id": "BA-2026-000123", "reported_at": "2026-03-02T21:15:00+08:00",
...     "source": "police_110", "case_type": "domestic_violence",
...     "indicators": {"strangulation": "yes"}})
>>> decision.risk_level, decision.priority
('high', 'P2')
>>> decision.instruments["lethality_screen"].level   # LAP 2.0 in the default policy
'screened_in'
"""

from __future__ import annotations

import contextlib

from ._errors import (
    DecisionLogError,
    EngineError,
    FixtureError,
    HistoryError,
    ModelError,
    Problem,
    ReportError,
    RuleFileError,
    TriageError,
    UsageError,
)
from ._pipeline import Triage, assess
from ._version import __version__
from .decision import (
    AnswerChange,
    CaseHold,
    CaseRecord,
    Decision,
    Gap,
    Handover,
    JudgementRecord,
    ModelRef,
    PlannedTask,
    PolicyRef,
    Rejected,
    RoutingPlan,
    TraceEntry,
    Translated,
    Withheld,
)
from .explanation import explain
from .report import (
    Abuser,
    Children,
    Consent,
    Derivation,
    HelpSought,
    History,
    Location,
    ProfessionalJudgement,
    Report,
    Requests,
    UpcomingContact,
    Victim,
    validate_report,
)
from .rules import Policy, load_policy

__all__ = [
    "Abuser",
    "AnswerChange",
    "CaseHold",
    "CaseRecord",
    "Children",
    "Consent",
    "Decision",
    "DecisionLogError",
    "Derivation",
    "EngineError",
    "FixtureError",
    "Gap",
    "Handover",
    "HelpSought",
    "History",
    "HistoryError",
    "JudgementRecord",
    "Location",
    "ModelError",
    "ModelRef",
    "PlannedTask",
    "Policy",
    "PolicyRef",
    "Problem",
    "ProfessionalJudgement",
    "Rejected",
    "Report",
    "ReportError",
    "Requests",
    "RoutingPlan",
    "RuleFileError",
    "TraceEntry",
    "Translated",
    "Triage",
    "TriageError",
    "UpcomingContact",
    "UsageError",
    "Victim",
    "Withheld",
    "__version__",
    "assess",
    "explain",
    "load_policy",
    "validate_report",
]

# Show public names as triage.X in reprs and tracebacks, not triage._module.X.
for _name in __all__:
    _obj = globals()[_name]
    if "._" in getattr(_obj, "__module__", ""):  # defined in a private module
        with contextlib.suppress(AttributeError, TypeError):
            _obj.__module__ = "triage"
del _name, _obj
