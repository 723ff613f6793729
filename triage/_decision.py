"""The decision: a frozen, self-explaining record of what was decided and why."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from ._normalise import Derivation
from .risk import AnyInstrumentResult

__all__ = ["Decision"]


class Decision(BaseModel):
    """What `triage` decided for one report, with everything needed to reproduce it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    report_id: str
    reported_at: datetime
    source: str
    case_type: str
    decided_at: datetime = Field(
        description="when the decision was made; the only field that varies"
    )
    library_version: str
    instruments: dict[str, AnyInstrumentResult]
    derived_indicators: tuple[Derivation, ...] = ()

    def to_json(self, *, indent: int | None = None) -> str:
        """The decision as JSON; identical input gives identical bytes (apart from decided_at)."""
        return self.model_dump_json(indent=indent)
