"""Published risk instruments, and (in ``model`` and ``cohort``) a learned model.

``INSTRUMENTS`` maps each instrument id to its implementation::

    >>> from triage.risk import INSTRUMENTS
    >>> INSTRUMENTS["dash"].score({"18": "yes", "17": True}).level
    'standard'
"""

from __future__ import annotations

from ._base import Instrument, Item, normalise_answer
from ._results import (
    AnyInstrumentResult,
    DangerAssessmentResult,
    DashResult,
    InstrumentResult,
    LethalityScreenResult,
    OdaraResult,
)
from ._score import CAVEATS, INSTRUMENTS, score_all

__all__ = [
    "CAVEATS",
    "INSTRUMENTS",
    "AnyInstrumentResult",
    "DangerAssessmentResult",
    "DashResult",
    "Instrument",
    "InstrumentResult",
    "Item",
    "LethalityScreenResult",
    "OdaraResult",
    "normalise_answer",
    "score_all",
]
