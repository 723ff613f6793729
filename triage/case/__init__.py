"""Cases over time: a report read with the case's earlier reports and decisions.

The library keeps nothing: the intake system sends the case's history with each call
(``Triage.assess(report, history=...)``), oldest first, as it stored it. From that
history this stage checks that it fits (`read_history`), carries earlier answers
forward (`carry_answers`), works out the facts a policy may test about the case
(`CaseFacts`: repeat reports from any channel, escalation, the level before), and
what the case holds the new decision to (`Hold`: no level or safety flag drops
before the case's review date) and counts its deadlines from (`CaseRouting`).
"""

from __future__ import annotations

from ._carry import Carried, carry_answers
from ._facts import CaseFacts, case_facts
from ._history import Answered, Earlier, History, read_history
from ._hold import CaseRouting, Hold, case_routing, hold_for
from ._replay import CaseReplay

__all__ = [
    "Answered",
    "Carried",
    "CaseFacts",
    "CaseReplay",
    "CaseRouting",
    "Earlier",
    "History",
    "Hold",
    "carry_answers",
    "case_facts",
    "case_routing",
    "hold_for",
    "read_history",
]
