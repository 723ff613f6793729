"""The structure of a policy file, as pydantic models (and so as a JSON Schema).

The models check shape: required keys, no unknown keys, codes from the
vocabulary. What a ``when`` block means is checked in ``_when``.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from ..vocab import FLAGS, LEVELS, PRIORITIES

__all__ = ["Bilingual", "MetaModel", "PolicyFile", "RuleModel", "ThenModel"]

if TYPE_CHECKING:
    LevelCode: TypeAlias = str
    PriorityCode: TypeAlias = str
    FlagCode: TypeAlias = str
else:
    LevelCode = Literal[LEVELS.codes]
    PriorityCode = Literal[PRIORITIES.codes]
    FlagCode = Literal[FLAGS.codes]


def _text(value: Any) -> Any:
    # YAML reads 2026.1 as a number; a version is text.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return value


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Code = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")]
RuleId = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.\-]{0,79}$")]
Text = Annotated[str, Field(min_length=1, max_length=4000)]
Version = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=64)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class Bilingual(_Strict):
    zh: Text
    en: Text


class LethalityOptions(_Strict):
    version: Literal["lap-1", "lap-2.0"] = "lap-1"


class InstrumentOptions(_Strict):
    lethality_screen: LethalityOptions = LethalityOptions()


class MetaModel(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")]
    version: Version
    jurisdiction: Text
    effective_from: date
    language: Literal["zh", "en"] = "zh"
    timezone: str = "Asia/Shanghai"
    allow_downgrade: bool = False
    title: Bilingual | None = None
    instruments: InstrumentOptions = InstrumentOptions()

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError("unknown IANA time zone / 未知的时区名称") from None
        return value


class ThenModel(_Strict):
    level: LevelCode | None = Field(None, description="raise the risk level to at least this")
    priority: PriorityCode | None = Field(None, description="raise the priority to at least this")
    flags: Annotated[list[FlagCode], BeforeValidator(_listify)] = Field(default_factory=list)
    note: Bilingual | None = None


class RuleModel(_Strict):
    id: RuleId
    description: Bilingual
    source: Annotated[str, Field(min_length=1, max_length=400)] | None = Field(
        None, description="the instrument, law article or local rule this rule implements"
    )
    when: dict[str, Any] | Literal["always"] = Field(
        description="conditions on facts; see `triage rules facts` for every fact name"
    )
    then: ThenModel
    precedence: int = Field(0, ge=-1000, le=1000)


class PolicyFile(_Strict):
    """A policy: metadata and an ordered list of rules."""

    policy: MetaModel
    rules: Annotated[list[RuleModel], Field(min_length=1, max_length=2000)]
