"""The intake report: the JSON contract with intake systems.

Everything but ``id``, ``reported_at``, ``source`` and ``case_type`` is
optional, and a missing fact is unknown, never no. Models are frozen, reject
unknown fields, and never put the rejected value into an error.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
)

from .vocab import CASE_TYPES, GENDERS, INDICATORS, LEVELS, RELATIONSHIPS, SOURCES

__all__ = [
    "Abuser",
    "Children",
    "Consent",
    "History",
    "Location",
    "ProfessionalJudgement",
    "Report",
    "Requests",
    "Victim",
]

_CONFIG = ConfigDict(
    frozen=True,
    extra="forbid",
    hide_input_in_errors=True,
    str_strip_whitespace=False,
    validate_default=False,
)

if TYPE_CHECKING:  # the vocabularies are data; type checkers see plain strings
    Source: TypeAlias = str
    CaseType: TypeAlias = str
    Gender: TypeAlias = str
    Relationship: TypeAlias = str
    Level: TypeAlias = str
    IndicatorCode: TypeAlias = str
else:
    Source = Literal[SOURCES.codes]
    CaseType = Literal[CASE_TYPES.codes]
    Gender = Literal[GENDERS.codes]
    Relationship = Literal[RELATIONSHIPS.codes]
    Level = Literal[LEVELS.codes]
    IndicatorCode = Literal[INDICATORS.codes]

_TRI_IN: dict[object, str] = {True: "yes", False: "no", None: "unknown"}


def _tri(value: object) -> object:
    # JSON booleans and null are accepted for yes/no/unknown; strings pass through.
    if value is None or isinstance(value, bool):
        return _TRI_IN[value]
    return value


Tri = Annotated[Literal["yes", "no", "unknown"], BeforeValidator(_tri)]
Age = Annotated[StrictInt, Field(ge=0, le=120)]
Count = Annotated[StrictInt, Field(ge=0, le=1000)]
Code = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")]
ShortText = Annotated[str, Field(max_length=200)]


class _Model(BaseModel):
    model_config = _CONFIG


class Victim(_Model):
    age: Age | None = None
    gender: Gender | None = None
    pregnant: StrictBool | None = None
    disability: StrictBool | None = None
    lacks_capacity: StrictBool | None = Field(
        None, description="without or with limited civil capacity (无/限制民事行为能力)"
    )


class Abuser(_Model):
    age: Age | None = None
    gender: Gender | None = None
    relationship: Relationship | None = None


class Children(_Model):
    count: Count | None = Field(None, description="children of either party, all ages")
    minors_exposed: StrictBool | None = None


class History(_Model):
    police_calls_12m: Count | None = None
    prior_protection_orders: Count | None = None
    protection_order_violations: Count | None = None


class Requests(_Model):
    protection_order: StrictBool | None = None
    shelter: StrictBool | None = None
    mediation: StrictBool | None = None


class Consent(_Model):
    share_with_agencies: StrictBool | None = None
    referral: StrictBool | None = None


class Location(_Model):
    street: Code | None = None
    community: ShortText | None = None


class ProfessionalJudgement(_Model):
    level: Level | None = None
    reason: Annotated[str, Field(max_length=2000)] | None = None
    believes_lethal: StrictBool | None = Field(
        None, description="the assessing officer believes the situation is potentially lethal"
    )
    by: Code | None = Field(None, description="the assessor's staff id")


class Report(_Model):
    """One incoming report of domestic violence or a family/emotional dispute."""

    id: Annotated[
        str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$")
    ]
    reported_at: AwareDatetime
    source: Source
    case_type: CaseType
    victim: Victim = Victim()
    abuser: Abuser = Abuser()
    children: Children = Children()
    indicators: Mapping[IndicatorCode, Tri] = Field(default_factory=dict)
    history: History = History()
    requests: Requests = Requests()
    consent: Consent = Consent()
    location: Location = Location()
    narrative: Annotated[str, Field(max_length=20_000)] | None = Field(
        None, description="free text; never logged, echoed or read by rules"
    )
    professional_judgement: ProfessionalJudgement | None = None

    def indicator(self, code: str) -> str:
        """The given answer for an indicator, ``unknown`` when not given."""
        return str(self.indicators.get(code, "unknown"))

    def __repr_args__(self) -> Any:
        # Keep victim data out of reprs, logs and tracebacks.
        yield "id", self.id
        yield "source", self.source
        yield "case_type", self.case_type
