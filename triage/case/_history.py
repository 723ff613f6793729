"""Reading a case's history: every earlier report with its decision, checked to fit."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, TypeAlias

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError
from typing_extensions import TypedDict

from .._errors import HistoryError, Problem, ReportError, UsageError
from .._io._json import parse_json
from ..decision import Decision
from ..report import Report, StoredReport, validate_stored, yes_answers
from ..report._problems import translate
from ..report._validate import accepted_sources
from ..routing._supervise import Event, parse_event
from ..vocab import INDICATORS, LEVELS

__all__ = ["Earlier", "History", "read_history"]

_ITEM_KEYS = frozenset(("report", "decision"))
MAX_HISTORY = 1000  # earlier reports of one case; more is not a case but an archive


@dataclass(frozen=True, slots=True)
class Earlier:
    """One earlier report of the case, its answers, and the decision it was given."""

    report: Report | StoredReport  # the fields the case reads of it
    values: Mapping[str, str]  # its answers, normalised: every indicator -> yes/no/unknown
    decision: Decision | Summary
    yes: Collection[str]  # the indicators ``values`` has yes, to go through without them


_CODES = frozenset(INDICATORS.codes)


class Answered(Mapping[str, str]):
    """An earlier report's answers as `normalise` makes them, each looked up when asked:
    yes where normalising makes it so, otherwise as given, or unknown. A case reads few
    of them, and copying every indicator for each earlier report cost more than reading."""

    __slots__ = ("_given", "_yes")

    def __init__(self, given: Mapping[str, str], yes: frozenset[str]) -> None:
        self._given = given
        self._yes = yes

    def __getitem__(self, code: str) -> str:
        if code in self._yes:
            return "yes"
        if code not in _CODES:
            raise KeyError(code)
        return self._given.get(code, "unknown")

    def __iter__(self) -> Iterator[str]:
        return iter(INDICATORS.codes)

    def __len__(self) -> int:
        return len(INDICATORS.codes)


@dataclass(frozen=True, slots=True)
class History:
    """A case's earlier reports, oldest first, and what has happened to it since."""

    case_id: str
    items: tuple[Earlier, ...]
    events: tuple[Event, ...] = ()

    @property
    def last(self) -> Earlier:
        return self.items[-1]

    @property
    def report_ids(self) -> tuple[str, ...]:
        return tuple(e.report.id for e in self.items)


def read_history(
    report: Report,
    history: Iterable[Any] | History | None,
    events: Iterable[Any] | None = None,
    sources: Sequence[str] | None = None,
) -> History | None:
    """The checked history of ``report``'s case, or None when there is none.

    Raises:
        HistoryError: listing each problem (another case, out of time order, a decision
            that is not its report's, an invalid report or decision), never a value.
    """
    if isinstance(history, History):  # read already (a replay keeps its cases so)
        return _checked(report, history, events)
    if isinstance(history, (str, bytes, Mapping)):
        raise UsageError("history is a list of {report, decision} items, oldest first")
    raw = [] if history is None else list(history)
    if len(raw) > MAX_HISTORY:
        raise UsageError(f"a history of more than {MAX_HISTORY} earlier reports")
    if not raw:
        if events:
            raise UsageError("events belong to a case: give its history too")
        return None
    problems: list[Problem] = []
    if report.case_id is None:
        problems.append(
            Problem("case_id", "missing", "没有案件编号，无法与既往记录关联",
                    "no case_id: a report with a history must say its case")
        )  # fmt: skip
    items: list[Earlier | None] | None = _all_at_once(raw, sources)
    if items is None:  # something in them is wrong: item by item, naming each problem
        items = [_item(i, entry, sources, problems) for i, entry in enumerate(raw)]
    _fits(report, items, problems)
    parsed_events = _events(events or (), problems)
    _raise_if_any(problems)
    kept = tuple(e for e in items if e is not None)
    return History(report.case_id or "", kept, parsed_events)


def _checked(report: Report, history: History, events: Iterable[Any] | None) -> History:
    """A history read before, checked to fit ``report`` as any other is."""
    problems: list[Problem] = []
    if report.case_id != history.case_id:
        problems.append(
            Problem("case_id", "other-case", "不是同一案件的报告", "another case's history")
        )
    _fits(report, list(history.items), problems)
    parsed = _events(events or (), problems)
    _raise_if_any(problems)
    return History(history.case_id, history.items, (*history.events, *parsed))


def _raise_if_any(problems: list[Problem]) -> None:
    if problems:
        noun = "problem" if len(problems) == 1 else "problems"
        raise HistoryError(f"invalid history: {len(problems)} {noun}", tuple(problems))


def _item(
    i: int, entry: Any, sources: Sequence[str] | None, problems: list[Problem]
) -> Earlier | None:
    where = f"history.{i}"
    if isinstance(entry, (str, bytes)):
        try:
            entry = parse_json(entry, where)
        except ReportError as exc:
            problems.extend(_moved(where, exc.problems))
            return None
    if not isinstance(entry, Mapping) or len(entry) != 2 or not _ITEM_KEYS.issuperset(entry):
        problems.append(
            Problem(where, "bad-structure", "每一项应为 {report, decision}",
                    "each item is {report, decision}: the report and the decision it got")
        )  # fmt: skip
        return None
    report = decision = None
    try:
        raw = entry["report"]
        if isinstance(raw, (str, bytes)):
            raw = parse_json(raw, f"{where}.report")
        report = validate_stored(raw, sources)
    except ReportError as exc:
        problems.extend(_moved(f"{where}.report", exc.problems))
    try:
        decision = _decision(entry["decision"])
    except ValidationError as exc:
        problems.extend(
            Problem(".".join([where, "decision", *map(str, loc)]), code, zh, en, suggestion=hint)
            for loc, code, en, zh, hint in translate(exc, Summary)
        )
    except ReportError as exc:
        problems.extend(_moved(f"{where}.decision", exc.problems))
    if report is None or decision is None:
        return None
    earlier = _earlier(report, decision)
    if earlier is None:
        problems.append(
            Problem(f"{where}.decision.report_id", "not-its-report",
                    "该决定不属于同一项中的报告", "this decision is not the one its report got")
        )  # fmt: skip
    return earlier


def _earlier(report: Report | StoredReport, decision: Decision | Summary) -> Earlier | None:
    """The earlier report with its answers, or None when the decision is not its own."""
    if decision.report_id != report.id or decision.reported_at != report.reported_at:
        return None
    yes = yes_answers(report)
    return Earlier(report, Answered(report.indicators, yes), decision, yes)


if TYPE_CHECKING:
    Level: TypeAlias = str
else:
    Level = Literal[LEVELS.codes]


class _Plan(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")

    lead: str
    lead_rule: str | None = None
    reassess_by: datetime


class Summary(BaseModel):
    """What the case reads of an earlier decision. A stored decision is checked for
    these fields only (its trace, gaps and instruments are the caller's record, and
    checking them on every call would cost more than the decision itself)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    report_id: str
    reported_at: datetime
    status: Literal["ok", "engine_error"]
    risk_level: Level
    flags: tuple[str, ...]
    routing: _Plan | None = None


def _decision(raw: Any) -> Decision | Summary:
    if isinstance(raw, (Decision, Summary)):
        return raw
    if isinstance(raw, (str, bytes)):
        return Summary.model_validate_json(raw)
    return Summary.model_validate(raw)


class _Pair(TypedDict):
    report: StoredReport
    decision: Summary


_PAIRS = TypeAdapter(list[_Pair])


def _all_at_once(raw: list[Any], sources: Sequence[str] | None) -> list[Earlier | None] | None:
    """The items read in one validation of the whole list, as `_item` reads each (a third
    cheaper per earlier report than one by one), or None where any item is not plain
    JSON objects or has anything wrong with it: `_item` then finds and names it."""
    for entry in raw:
        if type(entry) is not dict or entry.keys() != _ITEM_KEYS:
            return None
        if type(entry["report"]) is not dict or type(entry["decision"]) is not dict:
            return None
    try:
        pairs = _PAIRS.validate_python(raw)
    except (ValidationError, RecursionError):
        return None
    allowed = accepted_sources(sources)
    out: list[Earlier | None] = []
    for pair in pairs:
        report, decision = pair["report"], pair["decision"]
        earlier = _earlier(report, decision) if report.source in allowed else None
        if earlier is None:
            return None
        out.append(earlier)
    return out


def _moved(prefix: str, problems: Iterable[Problem]) -> list[Problem]:
    return [
        Problem(f"{prefix}.{p.path}" if p.path != "(report)" else prefix, p.code, p.zh, p.en,
                suggestion=p.suggestion)
        for p in problems
    ]  # fmt: skip


def _fits(report: Report, items: list[Earlier | None], problems: list[Problem]) -> None:
    """The same case, in time order, each report once, all before this one."""
    seen = {report.id}
    last: datetime | None = None
    for i, earlier in enumerate(items):
        if earlier is None:
            continue
        r, when = earlier.report, earlier.report.reported_at
        if report.case_id is not None and r.case_id != report.case_id:
            problems.append(
                Problem(f"history.{i}.report.case_id", "other-case", "不是同一案件的报告",
                        "a report of another case (its case_id differs)")
            )  # fmt: skip
        if r.id in seen:
            problems.append(
                Problem(f"history.{i}.report.id", "repeated-report", "同一报告出现了两次",
                        "the same report twice (or the report itself)")
            )  # fmt: skip
        seen.add(r.id)
        if last is not None and when < last:
            problems.append(
                Problem(f"history.{i}.report.reported_at", "out-of-order",
                        "既往记录应按时间从早到晚排列",
                        "earlier than the item before it: the history goes oldest first")
            )  # fmt: skip
        if when > report.reported_at:
            problems.append(
                Problem(f"history.{i}.report.reported_at", "out-of-order",
                        "既往报告晚于本次报告", "later than the report it is the history of")
            )  # fmt: skip
        if last is None or when > last:
            last = when


def _events(events: Iterable[Any], problems: list[Problem]) -> tuple[Event, ...]:
    out = []
    for i, raw in enumerate(events):
        try:
            out.append(parse_event(raw))
        except UsageError:  # its message may quote what was sent; say what is expected
            problems.append(
                Problem(f"events.{i}", "bad-event",
                        "事件应为 {kind, at}：kind 为 task_done、follow_up、reassessed 或 "
                        "case_closed，at 为带时区偏移的 ISO 8601 时间",
                        "an event is {kind, at}: kind one of task_done, follow_up, reassessed, "
                        "case_closed; at an ISO 8601 time with a UTC offset")
            )  # fmt: skip
    return tuple(out)
