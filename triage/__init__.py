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

from ._assess import Triage, assess, validate_report
from ._batch import Rejected
from ._decision import Decision
from ._errors import (
    DecisionLogError,
    EngineError,
    FixtureError,
    ModelError,
    Problem,
    ReportError,
    RuleFileError,
    TriageError,
    UsageError,
)
from ._normalise import Derivation
from ._report import (
    Abuser,
    Children,
    Consent,
    History,
    Location,
    ProfessionalJudgement,
    Report,
    Requests,
    Victim,
)
from ._version import __version__
from .rules import Policy, load_policy

__all__ = [
    "Abuser",
    "Children",
    "Consent",
    "Decision",
    "DecisionLogError",
    "Derivation",
    "EngineError",
    "FixtureError",
    "History",
    "Location",
    "ModelError",
    "Policy",
    "Problem",
    "ProfessionalJudgement",
    "Rejected",
    "Report",
    "ReportError",
    "Requests",
    "RuleFileError",
    "Triage",
    "TriageError",
    "UsageError",
    "Victim",
    "__version__",
    "assess",
    "load_policy",
    "validate_report",
]

# Show public names as triage.X in reprs and tracebacks, not triage._module.X.
for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("triage._"):
        with contextlib.suppress(AttributeError, TypeError):
            _obj.__module__ = "triage"
del _name, _obj
