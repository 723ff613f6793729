"""The leaf types of a decision: frozen records of what was decided and why.

Everything a decision carries is defined here (the trace, the information gaps, the
routing plan, the policy and model it came from) so that the stages that build the
parts (rules, routing) and those that read them (explain, batch, the command line)
all point down to one module. It imports only the report's and the instruments'
own result types. A `Rejected` is what a report gets instead, in a batch.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from ._errors import Problem
from ._kept import keep
from ._lang import DEFAULT_LANG, pick
from ._trusted import trusted
from .report._normalise import Derivation
from .risk._results import AnyInstrumentResult

__all__ = [
    "AnswerChange",
    "CaseHold",
    "CaseRecord",
    "Decision",
    "Gap",
    "Handover",
    "JudgementRecord",
    "ModelRef",
    "PlannedTask",
    "PolicyRef",
    "Rejected",
    "RoutingPlan",
    "TraceEntry",
    "Translated",
    "Withheld",
]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @classmethod
    def trusted(cls: type[_M], **values: Any) -> _M:
        """An instance from values the library built from validated input, not validated
        again (see `triage._trusted`)."""
        return trusted(cls, values)


_M = TypeVar("_M", bound=_Frozen)


class Translated(_Frozen):
    zh: str
    en: str

    def get(self, lang: str = DEFAULT_LANG) -> str:
        return pick(self.zh, self.en, lang)


class ReadOnlyDict(dict[str, Any]):
    """A dict that refuses changes: the facts a trace entry read, which decisions may
    share (an entry is built once for the same rule, values and changes). Copies and
    pickles are plain dicts."""

    __slots__ = ()

    def _refuse(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError("the facts a decision read cannot be changed")

    __setitem__ = __delitem__ = __ior__ = _refuse
    clear = pop = popitem = setdefault = update = _refuse

    def __reduce__(self) -> Any:
        return (dict, (dict(self),))


class TraceEntry(_Frozen):
    """One fired rule: why it fired (the facts it read) and what it changed."""

    rule: str
    stratum: int
    description: Translated
    source: str | None = None
    read: dict[str, Any] = Field(
        description="each fact the rule tests, with its value (null: not given)"
    )
    because: tuple[str, ...] = Field(
        (),
        description="the facts that made it fire, each with a known value in `read`; an "
        "unknown or missing value is never a cause",
    )
    level: str | None = Field(None, description="the level the rule asks for")
    priority: str | None = None
    flags: tuple[str, ...] = ()
    note: Translated | None = None
    raised_level: tuple[str, str] | None = Field(
        None, description="(from, to) when it raised the level"
    )
    raised_priority: tuple[str, str] | None = None
    added_flags: tuple[str, ...] = ()
    lead: str | None = None
    co_handlers: tuple[str, ...] = ()
    tasks: tuple[str, ...] = Field((), description="actions of the tasks the rule adds")
    model_factors: tuple[tuple[str, float], ...] = Field(
        (), description="for a rule reading the model: the report items that raised its estimate"
    )


class Gap(_Frozen):
    """An unanswered question that could change the decision.

    ``could_*`` is what answering yes would do by itself; ``jointly_*`` is what it
    could do together with other unanswered questions (and not by itself).
    """

    fact: str = Field(description="the indicator or report field to ask about")
    alone: bool = Field(description="answering yes could change the outcome by itself")
    could_raise_level_to: str | None = None
    could_add_flags: tuple[str, ...] = ()
    could_remove_flags: tuple[str, ...] = ()
    jointly_raise_level_to: str | None = None
    jointly_add_flags: tuple[str, ...] = ()
    rules: tuple[str, ...] = Field((), description="rules whose outcome depends on it")


class PolicyRef(_Frozen):
    id: str
    version: str
    jurisdiction: str
    sha256: str


class PlannedTask(_Frozen):
    department: str
    action: str
    due: datetime = Field(description="deadline, ISO 8601 with the policy's UTC offset")
    counted_from: str = Field(description="'reported_at' or the action it counts from")
    basis: str | None = None
    rule: str = Field(description="the rule that added the task")
    consent_override: str | None = Field(
        None, description="the legal duty under which the task goes ahead without consent"
    )


class Withheld(_Frozen):
    """A co-handler left out for want of consent, and no legal duty overriding it."""

    department: str
    action: str | None
    rule: str
    reason: Literal["no_consent"] = "no_consent"


class RoutingPlan(_Frozen):
    lead: str
    lead_rule: str | None = Field(description="the rule whose lead won (None: the default)")
    co_handlers: tuple[str, ...]
    tasks: tuple[PlannedTask, ...]
    withheld: tuple[Withheld, ...] = ()
    follow_ups: tuple[datetime, ...]
    reassess_by: datetime
    timezone: str
    consent_to_share: str = Field(description="yes, no or unknown, as reported")
    consent_to_referral: str = Field("unknown", description="yes, no or unknown, as reported")
    labels: dict[str, Translated] = Field(
        default_factory=dict,
        description="labels of the departments and actions in this plan, and of the "
        "policy's own source and flags the decision names",
    )
    past_holiday_list: bool = Field(
        False,
        description="a working-day date in this plan falls after the policy's last listed "
        "holiday (or the policy lists none), so every weekday was counted there",
    )
    holidays_through: date | None = Field(
        None, description="the last date the policy's holiday list covers (working days only)"
    )


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


class CaseHold(_Frozen):
    """The level and safety flags an earlier decision of the case holds this one to."""

    level: str
    flags: tuple[str, ...]
    by: str = Field(description="the report whose decision holds them")
    until: datetime = Field(description="that decision's reassess_by: a later report may lower")
    raised: bool = Field(description="whether the hold changed this decision")


class AnswerChange(_Frozen):
    """An answer that was yes in an earlier report of the case and is no now."""

    indicator: str
    earlier_report: str


class Handover(_Frozen):
    """The lead passing to another department, by a rule of higher precedence."""

    from_lead: str
    to_lead: str
    rule: str | None


class CaseRecord(_Frozen):
    """What the case's history did to this decision."""

    case_id: str
    earlier_reports: tuple[str, ...] = Field(description="the ids of the earlier reports used")
    reports_12m: int = Field(description="earlier reports in the 12 months before this one")
    sources: int = Field(description="distinct channels the case's reports came by")
    days_since_last: int
    previous_level: str
    level_rose: bool
    new_red_flags: tuple[str, ...] = Field(description="red flags yes now and never before")
    held: CaseHold | None = None
    contradictions: tuple[AnswerChange, ...] = Field(
        (), description="items about the past, yes before and no now: the yes is kept; review"
    )
    changed_since: tuple[AnswerChange, ...] = Field(
        (), description="items about now, yes before and no now: why a level may fall"
    )
    opened_at: datetime = Field(
        description="the case's first report, or the report that reopened it: the closure "
        "deadline and the follow-up visits count from here"
    )
    reopened: bool = Field(False, description="this report reopened a closed case")
    handover: Handover | None = None


class Decision(_Frozen):
    """What `triage` decided for one report, with everything needed to reproduce it."""

    report_id: str
    reported_at: datetime
    source: str
    case_type: str = Field(description="the case type the report was taken in as")
    assessed_case_type: str = Field(
        description="the case type the decision treats it as: a case taken in as an "
        "emotional dispute that shows violence, threats or stalking is domestic violence "
        "(the flag assessed_as_domestic_violence names the rule)"
    )
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
    case: CaseRecord | None = Field(
        None, description="the case's history and what it did (only with a history)"
    )

    def to_json(self, *, indent: int | None = None) -> str:
        """The decision as JSON; identical input gives identical bytes (apart from decided_at).
        A decision made without a history has no `case` key, as before cases existed.

        Trace entries and gaps are mostly shared by many decisions (see
        `triage.rules`), so each one's JSON is written once and spliced in, in its
        place among the fields: the same bytes as serialising the whole decision."""
        if indent is not None:
            return self.model_dump_json(indent=indent, exclude=None if self.case else {"case"})
        return self.to_json_bytes().decode("utf-8")

    def to_json_bytes(self) -> bytes:
        """`to_json` as UTF-8, made as bytes: what is written to a file, a pipe or a
        socket is then never decoded into text and encoded back (a decision is about
        20 KB, mostly Chinese and English labels)."""
        dump = self.__pydantic_serializer__.to_json  # what model_dump_json decodes
        head = dump(self, include=_HEAD)
        tail = dump(self, include=_TAIL if self.case else _TAIL_WITHOUT_CASE)
        return b"".join(
            (
                head[:-1],
                b',"trace":[',
                b",".join(map(_fragment, self.trace)),
                b'],"information_gaps":[',
                b",".join(map(_fragment, self.information_gaps)),
                b"],",
                tail[1:],
            )
        )


# The fields of a decision before its trace and after its information gaps.
_FIELDS = list(Decision.model_fields)
_HEAD = set(_FIELDS[: _FIELDS.index("trace")])
_TAIL = set(_FIELDS[_FIELDS.index("information_gaps") + 1 :])
_TAIL_WITHOUT_CASE = _TAIL - {"case"}
FRAGMENTS_KEPT = 8192
# id of a trace entry or gap -> (it, its JSON); holding it keeps its id from being reused
_FRAGMENTS: dict[int, tuple[Any, bytes]] = {}


def _fragment(part: BaseModel) -> bytes:
    kept = _FRAGMENTS.get(id(part))
    if kept is not None and kept[0] is part:
        return kept[1]
    data = part.__pydantic_serializer__.to_json(part)
    keep(_FRAGMENTS, id(part), (part, data), FRAGMENTS_KEPT)
    return data


@dataclass(frozen=True)
class Rejected:
    """A report that got no decision: where it was and why, never what it said.

    Attributes:
        index: 0-based position in the input.
        where: the input's own location for it (``file:line``), when it has one.
        code: the error's stable code (``report-invalid``, ``engine-failure``, …).
        message: what went wrong, without values.
        problems: each field at fault, located.
        line: the 1-based input line, when the input has lines.
    """

    index: int
    where: str | None
    code: str
    message: str
    problems: tuple[Problem, ...] = field(default=())
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "record": "rejected",
            "line": self.line,
            "index": self.index,
            "where": self.where,
            "code": self.code,
            "message": self.message,
            "problems": [p.as_dict() for p in self.problems],
        }
