"""The decision: a frozen, self-explaining record of what was decided and why."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from ._normalise import Derivation
from .risk import AnyInstrumentResult
from .routing import RoutingPlan
from .rules._outcome import Gap, PolicyRef, TraceEntry

__all__ = ["Decision", "JudgementRecord", "ModelRef"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class JudgementRecord(_Frozen):
    """What became of a professional judgement of the level."""

    level: str
    reason_given: bool
    applied: bool
    effect: Literal["raised", "confirmed", "lowered", "downgrade_refused"]


class ModelRef(_Frozen):
    """The learned model's second opinion, and which model gave it."""

    kind: str
    sha256: str
    synthetic: bool = Field(description="trained on synthetic data; not validated on real people")
    probability: float = Field(
        description="estimated chance of severe or lethal re-assault in 12 months"
    )
    probability_max: float = Field(description="the same with every unanswered question as yes")
    band: str
    band_max: str
    top_factors: tuple[tuple[str, float], ...] = Field(
        (), description="report items that raised the estimate most (log-odds each adds)"
    )


class Decision(_Frozen):
    """What `triage` decided for one report, with everything needed to reproduce it."""

    report_id: str
    reported_at: datetime
    source: str
    case_type: str
    decided_at: datetime = Field(
        description="when the decision was made; the only field that varies"
    )
    library_version: str
    status: Literal["ok", "engine_error"] = "ok"
    risk_level: str
    risk_level_max: str = Field(description="the level if every unknown risk answer were yes")
    rules_level: str = Field(description="the level the rules alone set")
    priority: str
    flags: tuple[str, ...]
    instruments: dict[str, AnyInstrumentResult]
    derived_indicators: tuple[Derivation, ...] = ()
    trace: tuple[TraceEntry, ...] = ()
    information_gaps: tuple[Gap, ...] = ()
    professional_judgement: JudgementRecord | None = None
    policy: PolicyRef
    model: ModelRef | None = None
    routing: RoutingPlan | None = None

    def to_json(self, *, indent: int | None = None) -> str:
        """The decision as JSON; identical input gives identical bytes (apart from decided_at)."""
        return self.model_dump_json(indent=indent)

    def explain(self, lang: str = "zh") -> str:
        """The decision and every reason for it, as plain sentences (``zh`` or ``en``)."""
        from ._explain import explain

        return explain(self, lang)
