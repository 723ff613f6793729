"""Frozen result objects of the instruments."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AnyInstrumentResult",
    "DangerAssessmentResult",
    "DashResult",
    "InstrumentResult",
    "LethalityScreenResult",
    "OdaraResult",
    "ProvenanceStatus",
]

ProvenanceStatus = Literal["verified", "secondary", "unverified"]


class InstrumentResult(BaseModel):
    """What one instrument made of one set of answers.

    ``score`` counts yes answers only; ``score_max`` is the score if every
    unanswered item were answered the risk-raising way (scored by `score_all`, also
    every item answered no that a yes to an unanswered indicator would settle yes:
    `triage.report.widened`). ``level`` and
    ``level_max`` are the levels at either end. Unknown never lowers anything:
    ``could_change_level`` names the unanswered items (published numbers) that
    could move the level, those that could do it alone first.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    instrument: str
    version: str
    applies: bool = Field(description="False when the case is outside the instrument's population")
    score: int
    score_max: int
    level: str
    level_max: str
    yes: tuple[str, ...]
    no: tuple[str, ...]
    unknown: tuple[str, ...]
    could_change_level: tuple[str, ...]
    provenance: dict[str, ProvenanceStatus]
    caveats: tuple[str, ...] = ()


class DangerAssessmentResult(InstrumentResult):
    instrument: Literal["danger_assessment"] = "danger_assessment"


class DashResult(InstrumentResult):
    instrument: Literal["dash"] = "dash"


class LethalityScreenResult(InstrumentResult):
    instrument: Literal["lethality_screen"] = "lethality_screen"
    screened_in: bool
    screened_in_max: bool
    screened_in_by: Literal["protocol", "officer_belief"] | None


class OdaraResult(InstrumentResult):
    instrument: Literal["odara"] = "odara"
    recidivism_rate: float = Field(
        description="share of the normative sample in this bin who re-assaulted"
    )
    recidivism_rate_max: float
    percentile: int = Field(description="share of the normative sample scoring lower, in percent")


AnyInstrumentResult = Annotated[
    DangerAssessmentResult | DashResult | LethalityScreenResult | OdaraResult,
    Field(discriminator="instrument"),
]
