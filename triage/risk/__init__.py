"""Published risk instruments, and (in ``model`` and ``cohort``) a learned model.

``INSTRUMENTS`` maps each instrument id to its implementation::

    >>> from triage.risk import INSTRUMENTS
    >>> INSTRUMENTS["dash"].score({"18": "yes", "17": True}).level
    'standard'
"""

from __future__ import annotations

from types import MappingProxyType

from ._base import Instrument, Item, normalise_answer
from ._results import (
    AnyInstrumentResult,
    DangerAssessmentResult,
    DashResult,
    InstrumentResult,
    LethalityScreenResult,
    OdaraResult,
)
from .danger_assessment import DangerAssessment
from .dash import Dash
from .lethality_screen import LethalityScreen
from .odara import Odara

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
]

INSTRUMENTS: MappingProxyType[str, Instrument] = MappingProxyType(
    {
        "danger_assessment": DangerAssessment(),
        "dash": Dash(),
        "lethality_screen": LethalityScreen(),
        "odara": Odara(),
    }
)

# Caveat codes that results carry, with what they mean.
CAVEATS: MappingProxyType[str, tuple[str, str]] = MappingProxyType(
    {
        "weights-unverified": (
            "DA 权重未经原始文献核实",
            "DA item weights are not confirmed against a primary source",
        ),
        "item-20-unverified": ("DA 第20题未经原始文献核实", "DA item 20 is not confirmed"),
        "item-12-unverified": ("DASH 第12题未经原始文献核实", "DASH item 12 is not confirmed"),
        "norms-secondary": (
            "ODARA 分组与再犯率来自二手资料",
            "ODARA bins and rates come from a secondary source",
        ),
        "norms-dated": (
            "ODARA 常模较旧，近年样本得分更高",
            "ODARA norms are dated; recent samples score higher",
        ),
    }
)
