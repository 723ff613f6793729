"""The packaged instruments, what their caveat codes mean, and all of them scored on
one report in one place."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from .._trusted import trusted
from ..report import Answers, Report, widened
from ._base import Instrument
from ._results import InstrumentResult
from .danger_assessment import DangerAssessment
from .dash import Dash
from .lethality_screen import LethalityScreen
from .odara import Odara

__all__ = ["CAVEATS", "INSTRUMENTS", "score_all"]

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


def score_all(
    report: Report, answers: Answers, options: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, InstrumentResult]:
    """Every packaged instrument scored on one report's answers."""
    options = options or {}
    results: dict[str, InstrumentResult] = {}
    pj = report.professional_judgement
    belief = pj.believes_lethal if pj is not None else None
    wide = widened(answers)
    for name, instrument in INSTRUMENTS.items():
        item_answers = instrument.item_answers(answers.values, answers.fields)
        applies = answers.intimate != "no" or not instrument.intimate_partner_only
        extra = dict(options.get(name, {}))
        if name == "lethality_screen":
            extra.setdefault("officer_belief", belief)
        result = instrument.evaluate(item_answers, applies=applies, **extra)
        if wide is not answers:  # scored again only where an item can be overturned
            wide_items = instrument.item_answers(wide.values, wide.fields)
            if wide_items != item_answers:
                top = instrument.evaluate(wide_items, applies=applies, **extra)
                result = _topped(result, top)
        results[name] = result
    return results


def _topped(result: InstrumentResult, top: InstrumentResult) -> InstrumentResult:
    """``result`` with the top of its range (every field ending in ``_max``) taken from
    ``top``, the same answers scored with each no that a yes to an unanswered question
    would overturn counted as unanswered (`triage.report.widened`): such a yes would
    settle that item yes too, so the range must reach it. The score, the level and the
    answers stay those given."""
    fields = result.__dict__
    raised = {k: v for k, v in top.__dict__.items() if k.endswith("_max") and fields[k] != v}
    if not raised:
        return result
    return trusted(type(result), {**fields, **raised})
