"""The intake report: the JSON contract with intake systems.

Everything but ``id``, ``reported_at``, ``source`` and ``case_type`` is
optional, and a missing fact is unknown, never no. Models are frozen, reject
unknown fields, and never put the rejected value into an error.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidatorFunctionWrapHandler,
    WithJsonSchema,
    WrapValidator,
)
from pydantic_core import PydanticCustomError

from ..vocab import (
    CASE_TYPES,
    CONTACT_KINDS,
    GENDERS,
    HELP_CHANNELS,
    HELP_OUTCOMES,
    INDICATORS,
    LEVELS,
    RELATIONSHIPS,
    SOURCES,
)

__all__ = [
    "Abuser",
    "Children",
    "Consent",
    "HelpSought",
    "History",
    "Location",
    "ProfessionalJudgement",
    "Report",
    "Requests",
    "StoredReport",
    "UpcomingContact",
    "Victim",
    "report_schema",
]

_CONFIG = ConfigDict(
    frozen=True,
    extra="forbid",
    hide_input_in_errors=True,
    str_strip_whitespace=False,
    validate_default=False,
)

CODE_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"

# The source channel is a code: the standard ones (`triage vocab source`) or one the
# policy defines (a 911 call where there is no 110). `validate_report` checks it
# against the policy's list; `triage schema report --policy FILE` lists them.
Source = Annotated[
    str,
    Field(
        pattern=CODE_PATTERN,
        description="the channel the report came by: "
        + ", ".join(SOURCES.codes)
        + ", or a source the policy defines",
    ),
]

if TYPE_CHECKING:  # the vocabularies are data; type checkers see plain strings
    CaseType: TypeAlias = str
    Gender: TypeAlias = str
    Relationship: TypeAlias = str
    Level: TypeAlias = str
    IndicatorCode: TypeAlias = str
    HelpChannel: TypeAlias = str
    HelpOutcome: TypeAlias = str
    ContactKind: TypeAlias = str
else:
    CaseType = Literal[CASE_TYPES.codes]
    Gender = Literal[GENDERS.codes]
    Relationship = Literal[RELATIONSHIPS.codes]
    Level = Literal[LEVELS.codes]
    IndicatorCode = Literal[INDICATORS.codes]
    HelpChannel = Literal[HELP_CHANNELS.codes]
    HelpOutcome = Literal[HELP_OUTCOMES.codes]
    ContactKind = Literal[CONTACT_KINDS.codes]

# The JSON Schema (`triage schema report`) is the contract: every type below says in
# its schema exactly what its validator accepts, and tests/test_contract.py checks
# the two agree on generated valid and invalid reports.

_TRI_IN: dict[object, str] = {True: "yes", False: "no", None: "unknown"}


def _tri(value: object) -> object:
    # JSON booleans and null are accepted for yes/no/unknown; strings pass through.
    if value is None or isinstance(value, bool):
        return _TRI_IN[value]
    return value


Tri = Annotated[
    Literal["yes", "no", "unknown"],
    BeforeValidator(_tri),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string", "enum": ["yes", "no", "unknown"]},
                {"type": "boolean"},
                {"type": "null"},
            ],
            "description": "yes, no or unknown; true, false and null are read as yes, no "
            "and unknown",
        }
    ),
]


_CODES = frozenset(INDICATORS.codes)
_WORDS = frozenset(("yes", "no", "unknown"))


def _indicators(value: object, check: ValidatorFunctionWrapHandler) -> object:
    # Answers given as words for known codes, the common form, are what validation
    # would return (a copy: the caller's dict stays theirs); anything else, and every
    # error, goes through the schema. Checking 50-odd answers one by one cost more
    # than the rest of the report.
    if type(value) is dict and _CODES.issuperset(value):
        try:
            if _WORDS.issuperset(value.values()):
                return dict(value)
        except TypeError:  # an answer that cannot be hashed (a list): not a word
            pass
    return check(value)


Indicators = Annotated[Mapping[IndicatorCode, Tri], WrapValidator(_indicators)]


def _whole(value: object) -> object:
    # JSON has one number type: 9.0 is the integer 9 to a JSON Schema, and so here.
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


# The bounds come before the validator, or pydantic writes them into the schema as
# "ge"/"le" (not JSON Schema) instead of "minimum"/"maximum".
Age = Annotated[StrictInt, Field(ge=0, le=120), BeforeValidator(_whole)]
Count = Annotated[StrictInt, Field(ge=0, le=1000), BeforeValidator(_whole)]
# Names intake staff type (a street, a staff id), in any script; no control characters.
LABEL_PATTERN = r"^[^\x00-\x1f\x7f]+$"
Label = Annotated[str, Field(min_length=1, max_length=64, pattern=LABEL_PATTERN)]
ShortText = Annotated[str, Field(max_length=200)]
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:\-]*$"
# RFC 3339 with a UTC offset: what JSON Schema's "date-time" means, spelt out so a
# client's validator and this one accept the same strings.
DATE_TIME_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"(Z|[+\-][0-9]{2}:[0-9]{2})$"
)
_DATE_TIME = re.compile(DATE_TIME_PATTERN)


_NAIVE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?$")


def _date_time(value: object) -> datetime:
    # Error types are pydantic's own, so report._problems words them like the rest.
    if isinstance(value, datetime):  # from Python callers; JSON has no date type
        if value.utcoffset() is None:
            raise PydanticCustomError("timezone_aware", "no UTC offset")
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("datetime_type", "not a date-time text")
    if not _DATE_TIME.fullmatch(value):
        kind = "timezone_aware" if _NAIVE.fullmatch(value) else "datetime_parsing"
        raise PydanticCustomError(kind, "not an RFC 3339 date-time with an offset")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("datetime_value", "not a real date and time") from None


DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
_DATE = re.compile(DATE_PATTERN)


def _date(value: object) -> date:
    if isinstance(value, date) and not isinstance(value, datetime):  # from Python callers
        return value
    if not isinstance(value, str):
        raise PydanticCustomError("date_type", "not a date text")
    if not _DATE.fullmatch(value):
        raise PydanticCustomError("date_parsing", "not a YYYY-MM-DD date")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("datetime_value", "not a real date") from None


Date = Annotated[
    date,
    BeforeValidator(_date),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date",
            "pattern": DATE_PATTERN,
            "description": "a date, YYYY-MM-DD",
        }
    ),
]

DateTime = Annotated[
    datetime,
    BeforeValidator(_date_time),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": DATE_TIME_PATTERN,
            "description": "RFC 3339 date-time with a UTC offset, e.g. 2026-03-02T21:15:00+08:00",
        }
    ),
]


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
    minor: StrictBool | None = Field(
        None, description="under 18, for a victim whose exact age is not known (未成年人)"
    )


class Abuser(_Model):
    age: Age | None = None
    gender: Gender | None = None
    relationship: Relationship | None = None
    separated_at: Date | None = Field(
        None,
        description="when the two separated (分手、分居或离婚), if they have; "
        "a former partner's relationship already says that they have",
    )
    months_since_separation: Count | None = Field(
        None, description="how long ago they separated, when only that is known"
    )
    others_involved: StrictBool | None = Field(
        None,
        description="someone else in the household also abuses or threatens the victim "
        "(多人施暴; DASH Q20)",
    )
    can_reach_workplace_or_school: StrictBool | None = Field(
        None,
        description="the abuser knows or can reach the victim's workplace or school "
        "(法释〔2022〕17号第10条: the order can bar him from them)",
    )


class Children(_Model):
    count: Count | None = Field(None, description="children of either party, all ages")
    minors_exposed: StrictBool | None = None


class HelpSought(_Model):
    """One earlier time the victim (or someone for her) sought help, other than the police."""

    to: HelpChannel
    months_ago: Count | None = Field(None, description="how many months before this report")
    outcome: HelpOutcome | None = None


class History(_Model):
    police_calls_12m: Count | None = None
    prior_protection_orders: Count | None = None
    protection_order_violations: Count | None = None
    failed_mediation: StrictBool | None = Field(
        None, description="earlier people's or village mediation of this family's dispute failed"
    )
    prior_warning_letter: StrictBool | None = Field(
        None, description="the police issued a warning letter (告诫书) to the abuser before"
    )
    penalty_imposed: StrictBool | None = Field(
        None,
        description="a public-security penalty (detention or a fine) was imposed for this "
        "incident (反家庭暴力法第16条: a warning letter is for cases without one)",
    )
    help_sought: Annotated[list[HelpSought], Field(max_length=50)] | None = Field(
        None,
        description="earlier help-seeking other than police calls (women's federation, "
        "committee, mediation, school, procuratorate ...); not given means not known",
    )


class Requests(_Model):
    protection_order: StrictBool | None = None
    shelter: StrictBool | None = None
    mediation: StrictBool | None = None


class Consent(_Model):
    share_with_agencies: StrictBool | None = None
    referral: StrictBool | None = None


class Location(_Model):
    street: Label | None = Field(None, description="street (街道) name or code, any script")
    community: ShortText | None = None


class ProfessionalJudgement(_Model):
    level: Level | None = None
    reason: Annotated[str, Field(max_length=2000)] | None = None
    believes_lethal: StrictBool | None = Field(
        None, description="the assessing officer believes the situation is potentially lethal"
    )
    by: Label | None = Field(None, description="the assessor's name or staff id, any script")


class UpcomingContact(_Model):
    """A coming moment when the victim meets, or can be reached by, the abuser."""

    kind: ContactKind
    on: Date | None = Field(None, description="the day it is to happen, if known")


ReportId = Annotated[str, Field(min_length=1, max_length=64, pattern=ID_PATTERN)]
ReportKind = Literal["report", "follow_up_visit", "reassessment"]


class Report(_Model):
    """One incoming report of domestic violence or a family/emotional dispute."""

    id: ReportId
    case_id: ReportId | None = Field(
        None,
        description="the case this report belongs to, chosen by the intake system (opaque: "
        "never a name or an ID number); earlier reports of the case come as `history`",
    )
    kind: ReportKind = Field(
        "report",
        description="a new report, a scheduled follow-up visit (回访), or a re-assessment "
        "of the case (either may set a lower level once the case's review date has come)",
    )
    reported_at: DateTime
    source: Source
    case_type: CaseType
    victim: Victim = Victim()
    abuser: Abuser = Abuser()
    children: Children = Children()
    indicators: Indicators = Field(default_factory=dict)
    history: History = History()
    requests: Requests = Requests()
    consent: Consent = Consent()
    location: Location = Location()
    narrative: Annotated[str, Field(max_length=20_000)] | None = Field(
        None, description="free text; never logged, echoed or read by rules"
    )
    professional_judgement: ProfessionalJudgement | None = None
    upcoming_contact: UpcomingContact | None = None

    def indicator(self, code: str) -> str:
        """The given answer for an indicator, ``unknown`` when not given."""
        return str(self.indicators.get(code, "unknown"))

    def __repr_args__(self) -> Any:
        # Keep victim data out of reprs, logs and tracebacks.
        yield "id", self.id
        yield "source", self.source
        yield "case_type", self.case_type


# An earlier report of a case, as the intake system stored it. A case reads of it who it
# is, when and by which channel it came, and the answers `normalise` makes of it; those
# fields are checked exactly as in `Report` and the rest is the caller's record (it was
# checked when the report was decided). Checking all of it for each of a case's earlier
# reports, on every call, cost more than the decision (issue 15's 2x budget).
_STORED = ConfigDict(frozen=True, extra="ignore", hide_input_in_errors=True, validate_default=False)


class _StoredVictim(BaseModel):
    model_config = _STORED
    pregnant: StrictBool | None = None


class _StoredAbuser(BaseModel):
    model_config = _STORED
    relationship: Relationship | None = None
    separated_at: Date | None = None
    months_since_separation: Count | None = None
    others_involved: StrictBool | None = None


class _StoredChildren(BaseModel):
    model_config = _STORED
    count: Count | None = None


class _StoredHistory(BaseModel):
    model_config = _STORED
    protection_order_violations: Count | None = None


class StoredReport(BaseModel):
    """The fields of an earlier report that its case reads (see `Report` for each)."""

    model_config = _STORED

    id: ReportId
    case_id: ReportId | None = None
    kind: ReportKind = "report"
    reported_at: DateTime
    source: Source
    victim: _StoredVictim = _StoredVictim()
    abuser: _StoredAbuser = _StoredAbuser()
    children: _StoredChildren = _StoredChildren()
    indicators: Indicators = Field(default_factory=dict)
    history: _StoredHistory = _StoredHistory()


def report_schema(sources: Sequence[str] | None = None) -> dict[str, Any]:
    """The report's JSON Schema, with the source channels a policy takes (by default
    the standard ones) as its closed list: exactly what `validate_report` accepts."""
    schema = dict(Report.model_json_schema())
    allowed = list(SOURCES.codes if sources is None else sources)
    properties = dict(schema["properties"])
    properties["source"] = {
        "type": "string",
        "enum": allowed,
        "title": "Source",
        "description": "the channel the report came by (the policy's list)",
    }
    schema["properties"] = properties
    return schema
