"""The structure of a policy file, as pydantic models (and so as a JSON Schema).

The models check shape: required keys, no unknown keys, codes from the
vocabulary. What a ``when`` block means is checked in ``_when``.
"""

from __future__ import annotations

import zoneinfo
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from ..vocab import LEVELS, PRIORITIES

__all__ = ["Bilingual", "MetaModel", "PolicyFile", "RuleModel", "ThenModel"]

if TYPE_CHECKING:
    LevelCode: TypeAlias = str
    PriorityCode: TypeAlias = str
else:
    LevelCode = Literal[LEVELS.codes]
    PriorityCode = Literal[PRIORITIES.codes]


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
    """A text in Chinese and English. A policy need carry only its own `language`;
    the other is then shown as a marker that names the missing key."""

    zh: Text | None = None
    en: Text | None = None

    @model_validator(mode="after")
    def _one_at_least(self) -> Bilingual:
        if self.zh is None and self.en is None:
            raise ValueError("give the text in zh or en (or both) / 请给出中文或英文文本")
        return self


class LethalityOptions(_Strict):
    version: Literal["lap-1", "lap-2.0"] = "lap-1"


class InstrumentOptions(_Strict):
    lethality_screen: LethalityOptions = LethalityOptions()


class MetaModel(_Strict):
    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,79}$")]
    version: Version
    jurisdiction: Text
    effective_from: date
    language: Literal["zh", "en"] = Field(
        "zh", description="the policy's own language: every text must be given in it"
    )
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


Duration = Annotated[
    str, Field(pattern=r"^[0-9]{1,6}[smhd]$", description="a duration such as 2s, 30m, 24h or 15d")
]


class TaskModel(_Strict):
    department: Code
    action: Code
    due: Duration = Field(description="deadline, counted from reported_at or from `after`")
    after: Code | None = Field(None, description="count from this other task's deadline")
    basis: Annotated[str, Field(min_length=1, max_length=400)] | None = Field(
        None, description="the law article or local rule the task implements"
    )
    working_days: bool | None = Field(None, description="count days as working days")


class ThenModel(_Strict):
    level: LevelCode | None = Field(None, description="raise the risk level to at least this")
    priority: PriorityCode | None = Field(None, description="raise the priority to at least this")
    flags: Annotated[list[Code], BeforeValidator(_listify)] = Field(
        default_factory=list,
        description="flags to raise: the standard ones (`triage vocab flag`) or the policy's own",
    )
    note: Bilingual | None = None
    lead: Code | None = Field(None, description="the lead department (highest precedence wins)")
    co_handlers: Annotated[list[Code], BeforeValidator(_listify)] = Field(default_factory=list)
    tasks: list[TaskModel] = Field(default_factory=list)
    legal_duty: Annotated[str, Field(min_length=1, max_length=400)] | None = Field(
        None, description="a legal duty that lets this rule's tasks go ahead without consent"
    )


def _default_reassess() -> dict[str, str]:
    # VioGén practice as recalled (72 h / 7 d / 30 d / 60 d); configurable here.
    return {"extreme": "72h", "high": "7d", "medium": "30d", "standard": "60d"}


class ScheduleModel(_Strict):
    working_days: bool = Field(False, description="count day deadlines as working days")
    weekend: list[Annotated[int, Field(ge=1, le=7)]] = Field(
        default_factory=lambda: [6, 7], description="ISO weekday numbers that are not working days"
    )
    holidays: list[date] = Field(default_factory=list)
    extra_workdays: list[date] = Field(
        default_factory=list, description="weekend days worked instead of a holiday (调休)"
    )
    follow_ups: list[Duration] = Field(default_factory=lambda: ["15d", "30d", "45d", "60d"])
    reassess: dict[LevelCode, Duration] = Field(default_factory=_default_reassess)
    default_lead: Code = "governance"
    case_tasks: list[Code] = Field(
        default_factory=lambda: ["close_case"],
        description="tasks that belong to the case, not the report: with a history their "
        "deadlines count from the case's first report (or its reopening), never restarted",
    )

    @field_validator("reassess")
    @classmethod
    def _every_level(cls, value: dict[str, str]) -> dict[str, str]:
        missing = [level for level in LEVELS.codes if level not in value]
        if missing:
            raise ValueError(
                f"every level needs a review interval; missing {', '.join(missing)} / "
                f"每个风险等级都需要复评期限"
            )
        return value


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
    """A policy: metadata, the routing vocabulary and schedule, and an ordered list of rules."""

    policy: MetaModel
    departments: dict[Code, Bilingual] = Field(
        default_factory=dict, description="local departments, added to the nine standard ones"
    )
    sources: dict[Code, Bilingual] = Field(
        default_factory=dict,
        description="channels reports come by here, added to the standard ones (a 911 call)",
    )
    flags: dict[Code, Bilingual] = Field(
        default_factory=dict, description="the policy's own flags, added to the standard ones"
    )
    actions: dict[Code, Bilingual] = Field(
        default_factory=dict, description="task action codes with labels"
    )
    schedule: ScheduleModel = ScheduleModel()
    rules: Annotated[list[RuleModel], Field(min_length=1, max_length=2000)]
