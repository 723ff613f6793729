"""Case fixtures: a report and what the policy must decide for it, in the manner of `opa test`.

A fixture is a small YAML (or JSON) file:

    description: {zh: 110报警：分居后掐脖并威胁杀人, en: 110 call - strangled after separation}
    report: { ...the report JSON shape... }
    expect:
      risk_level: extreme
      priority: P1
      flags: [emergency_response]            # must be present
      flags_absent: [mediation_suitable]     # must be absent
      lead: police
      co_handlers: [womens_federation]       # must be among the co-handlers
      tasks:
        - {department: police, action: emergency_response, due: 0s}   # deadline after reported_at
        - {department: court, action: decide_protection_order, due_at: "2026-04-04T09:30:00+08:00"}
      rules_fired: [red_flags_combined]

Every expectation is optional. A malformed fixture is reported with its file:line
and does not stop the others.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from .._errors import FixtureError, HistoryError, Problem, RuleFileError
from .._suggest import suggest
from ..report._model import Report
from ..report._problems import translate
from ..rules._load import Problems, missing_text, read_source
from ..rules._schema import Bilingual, Code, Duration, LevelCode, PriorityCode
from ..rules._yaml import KEY, load_yaml

if TYPE_CHECKING:
    from .._pipeline import Triage

__all__ = [
    "CaseResult",
    "Fixture",
    "FixtureFile",
    "check_fixture",
    "coverage",
    "find_fixtures",
    "load_fixture",
    "run_fixtures",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, hide_input_in_errors=True)


class ExpectTask(_Strict):
    department: str
    action: str
    due: Duration | None = Field(None, description="deadline after reported_at (e.g. 24h, 15d)")
    working_days: bool = Field(False, description="count `due` in the policy's working days")
    due_at: AwareDatetime | None = Field(
        None, description="the deadline itself, with its UTC offset (pins the calendar down)"
    )


class TaskRef(_Strict):
    department: str
    action: str


class Expect(_Strict):
    status: Literal["ok", "engine_error"] | None = None
    risk_level: LevelCode | None = None
    risk_level_max: LevelCode | None = None
    priority: PriorityCode | None = None
    flags: list[Code] = Field(default_factory=list, description="flags that must be present")
    flags_absent: list[Code] = Field(default_factory=list)
    lead: str | None = None
    co_handlers: list[str] = Field(default_factory=list)
    co_handlers_absent: list[str] = Field(default_factory=list)
    tasks: list[ExpectTask] = Field(default_factory=list)
    tasks_absent: list[TaskRef] = Field(default_factory=list)
    withheld: list[TaskRef] = Field(default_factory=list)
    rules_fired: list[str] = Field(default_factory=list)
    rules_not_fired: list[str] = Field(default_factory=list)


class FixtureFile(_Strict):
    """One test case for a policy."""

    description: Bilingual
    report: dict[str, Any]
    history: list[dict[str, Any]] = Field(
        default_factory=list,
        description="the case's earlier reports, oldest first: each is decided by the "
        "policy under test, and the report is then decided with them as its history",
    )
    events: list[dict[str, Any]] = Field(
        default_factory=list, description="what happened to the case (as `overdue` takes)"
    )
    expect: Expect
    todo: bool = Field(False, description="skip this case (reported as skipped)")


@dataclass(frozen=True)
class Fixture:
    path: str
    line: int
    description: dict[str, str]
    report: Report
    expect: Expect
    todo: bool
    marks: dict[tuple[Any, ...], tuple[int, int]]
    history: tuple[Report, ...] = ()
    events: tuple[dict[str, Any], ...] = ()

    def line_of(self, *path: Any) -> int:
        p: tuple[Any, ...] = path
        while p:
            if p in self.marks:
                return self.marks[p][0]
            p = p[:-1]
        return self.line


@dataclass
class Mismatch:
    what: str
    expected: str
    actual: str
    line: int


@dataclass
class CaseResult:
    path: str
    status: Literal["pass", "fail", "error", "skip"]
    description: dict[str, str] = field(default_factory=dict)
    mismatches: list[Mismatch] = field(default_factory=list)
    problems: tuple[Problem, ...] = ()
    fired: tuple[str, ...] = ()
    report_id: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "status": self.status,
            "report_id": self.report_id,
            "description": self.description,
            "mismatches": [m.__dict__ for m in self.mismatches],
            "problems": [p.as_dict() for p in self.problems],
            "fired": list(self.fired),
        }


def find_fixtures(paths: Iterable[str | Path]) -> list[Path]:
    """Fixture files named on the command line; a directory contributes its own *.yaml,
    *.yml and *.json files (not its subdirectories)."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(
                sorted(
                    p
                    for p in path.iterdir()
                    if p.suffix in (".yaml", ".yml", ".json") and p.is_file()
                )
            )
        else:
            found.append(path)
    return found


def load_fixture(path: str | Path) -> Fixture:
    """A validated fixture, or FixtureError listing every problem with file:line:col."""
    where = str(path)
    try:
        data, _ = read_source(path, max_bytes=1 << 20)
        loaded = load_yaml(data, where, max_bytes=1 << 20)
    except RuleFileError as exc:
        raise FixtureError(f"{where}: unreadable fixture", exc.problems) from None
    problems = Problems(where, loaded.marks)
    if not isinstance(loaded.value, dict):
        problems.add(
            (),
            "bad-structure",
            "a fixture is a mapping with description, report, expect",
            "用例应为包含 description、report、expect 的映射",
        )
        raise FixtureError(f"{where}: invalid fixture", tuple(problems.items))
    parsed: FixtureFile | None = None
    try:
        parsed = FixtureFile.model_validate(loaded.value)
    except ValidationError as exc:
        for loc, code, en, zh, hint in translate(exc, FixtureFile):
            if code == "unknown-field":
                en, zh = f"unknown field '{loc[-1]}'", f"未知字段 '{loc[-1]}'"
                loc = (*loc, KEY)
            problems.add(loc, code, en, zh, hint)
    report = _report(loaded.value.get("report"), ("report",), problems)
    raw_history = loaded.value.get("history")
    earlier = [
        _report(r, ("history", i), problems)
        for i, r in enumerate(raw_history if isinstance(raw_history, list) else [])
    ]
    if problems.items or parsed is None or report is None:
        ordered = sorted(set(problems.items), key=lambda p: (p.line or 0, p.col or 0))
        raise FixtureError(f"{where}: invalid fixture", tuple(ordered))
    # A fixture for a policy in one language may describe itself in that one only.
    description = {
        lang: text if text is not None else missing_text(lang, "description")
        for lang, text in parsed.description.model_dump().items()
    }
    return Fixture(
        where,
        1,
        description,
        report,
        parsed.expect,
        parsed.todo,
        loaded.marks,
        tuple(r for r in earlier if r is not None),
        tuple(parsed.events),
    )


def _report(raw: Any, at: tuple[Any, ...], problems: Any) -> Report | None:
    """A report of the fixture, its problems located in the fixture file."""
    if not isinstance(raw, dict):
        return None  # the structure check says what is wrong
    try:
        return Report.model_validate(raw)
    except ValidationError as exc:
        for loc, code, en, zh, hint in translate(exc, Report):
            if code == "unknown-field":
                loc = (*loc, KEY)
            problems.add((*at, *loc), code, en, zh, hint)
    return None


def _names(values: Iterable[str]) -> str:
    return ", ".join(values) or "—"


def check_fixture(triage: Triage, fixture: Fixture) -> CaseResult:
    """Decide the fixture's report and compare with what it expects."""
    result = CaseResult(fixture.path, "pass", fixture.description, report_id=fixture.report.id)
    if fixture.todo:
        result.status = "skip"
        return result
    problems = _unknown_references(fixture, triage.policy)
    if problems:
        result.status = "error"
        result.problems = tuple(problems)
        return result
    try:
        decision = _decide(triage, fixture)
    except HistoryError as exc:  # earlier reports that do not make one case in order
        result.status = "error"
        result.problems = tuple(
            Problem(
                fixture.path, p.code, p.zh, f"{p.path}: {p.en}", line=fixture.line_of("history")
            )
            for p in exc.problems
        )
        return result
    result.fired = tuple(entry.rule for entry in decision.trace)
    compare = _Comparison(fixture, result.mismatches)
    e = fixture.expect
    compare.scalars(e, decision)
    compare.members("flags", "flags_absent", e.flags, e.flags_absent, decision.flags)
    plan = decision.routing
    if plan is not None:
        compare.routing(e, plan, triage.policy.routing, decision.reported_at)
    compare.members(
        "rules_fired", "rules_not_fired", e.rules_fired, e.rules_not_fired, result.fired
    )
    if result.mismatches:
        result.status = "fail"
    return result


_KIND_ZH = {"rule": "规则", "department": "部门", "flag": "标记", "source": "案源渠道"}


def _decide(triage: Triage, fixture: Fixture) -> Any:
    """The fixture's report decided alone, or with its earlier reports replayed first."""
    if not fixture.history:
        return triage.assess(fixture.report)
    earlier = triage.replay(fixture.history, fixture.events)
    history = [{"report": r, "decision": d} for r, d in zip(fixture.history, earlier, strict=True)]
    return triage.assess(fixture.report, history=history, events=fixture.events or None)


def _unknown_references(fixture: Fixture, policy: Any) -> list[Problem]:
    """Rules, departments, flags and sources the policy does not have: a fault of the
    fixture, not a failure of the policy."""
    known_rules = [r.id for r in policy.rules]
    departments = list(policy.routing.departments)
    flags, sources = list(policy.flags), list(policy.sources)
    e = fixture.expect
    refs: list[tuple[str, str, tuple[Any, ...], list[str]]] = [
        ("rule", rid, ("expect", "rules_fired", i), known_rules)
        for i, rid in enumerate(e.rules_fired)
    ]
    refs.append(("source", fixture.report.source, ("report", "source"), sources))
    refs += [
        ("source", r.source, ("history", i, "source"), sources)
        for i, r in enumerate(fixture.history)
    ]
    refs += [("flag", f, ("expect", "flags", i), flags) for i, f in enumerate(e.flags)]
    refs += [
        ("flag", f, ("expect", "flags_absent", i), flags) for i, f in enumerate(e.flags_absent)
    ]
    refs += [
        ("rule", rid, ("expect", "rules_not_fired", i), known_rules)
        for i, rid in enumerate(e.rules_not_fired)
    ]
    if e.lead:
        refs.append(("department", e.lead, ("expect", "lead"), departments))
    refs += [
        ("department", d, ("expect", "co_handlers", i), departments)
        for i, d in enumerate(e.co_handlers)
    ]
    refs += [
        ("department", t.department, ("expect", "tasks", i), departments)
        for i, t in enumerate(e.tasks)
    ]
    return [
        Problem(
            fixture.path,
            f"unknown-{kind}",
            f"未知的{_KIND_ZH[kind]} '{code}'",
            f"unknown {kind} '{code}'",
            line=fixture.line_of(*where),
            suggestion=suggest(code, known),
        )
        for kind, code, where, known in refs
        if code not in known
    ]


class _Comparison:
    """Expected against actual, one comparator per kind of expectation; each mismatch
    is recorded with the line of the expectation in the fixture."""

    def __init__(self, fixture: Fixture, out: list[Mismatch]) -> None:
        self.fixture, self.out = fixture, out

    def miss(self, what: str, expected: str, actual: str, *where: Any) -> None:
        self.out.append(Mismatch(what, expected, actual, self.fixture.line_of("expect", *where)))

    def scalars(self, e: Any, decision: Any) -> None:
        for key in ("status", "risk_level", "risk_level_max", "priority"):
            want, got = getattr(e, key), getattr(decision, key)
            if want and want != got:
                self.miss(key, want, got, key)

    def members(
        self, key: str, absent_key: str, wanted: Iterable[str], unwanted: Iterable[str], have: Any
    ) -> None:
        """Every ``wanted`` code is in ``have`` and no ``unwanted`` one is."""
        lacking = [c for c in wanted if c not in have]
        if lacking:
            self.miss(key, "includes " + _names(lacking), _names(have), key)
        extra = [c for c in unwanted if c in have]
        if extra:
            self.miss(absent_key, "lacks " + _names(extra), _names(have), absent_key)

    def routing(self, e: Any, plan: Any, config: Any, reported_at: Any) -> None:
        if e.lead and e.lead != plan.lead:
            self.miss("lead", e.lead, plan.lead, "lead")
        self.members(
            "co_handlers", "co_handlers_absent", e.co_handlers, e.co_handlers_absent,
            plan.co_handlers,
        )  # fmt: skip
        tasks = {(t.department, t.action): t for t in plan.tasks}
        for i, want in enumerate(e.tasks):
            self.task(i, want, tasks.get((want.department, want.action)), config, reported_at)
        for i, ref in enumerate(e.tasks_absent):
            if (ref.department, ref.action) in tasks:
                self.miss(
                    f"task {ref.department}/{ref.action}", "absent", "present", "tasks_absent", i
                )
        withheld = {(w.department, w.action) for w in plan.withheld}
        for i, ref in enumerate(e.withheld):
            if (ref.department, ref.action) not in withheld:
                label = f"withheld {ref.department}/{ref.action}"
                self.miss(label, "withheld", "not withheld", "withheld", i)

    def task(self, i: int, want: Any, got: Any, config: Any, reported_at: Any) -> None:
        """One expected task: present, and due when expected (relative or absolute)."""
        label = f"task {want.department}/{want.action}"
        if got is None:
            expected = "present" + (f", due {want.due}" if want.due else "")
            self.miss(label, expected, "absent", "tasks", i)
            return
        if want.due is not None:
            expected_due = config.calendar.add(reported_at, want.due, want.working_days)
            if expected_due.astimezone(UTC) != got.due.astimezone(UTC):
                self.miss(
                    label,
                    f"due {expected_due.isoformat()} ({want.due})",
                    f"due {got.due.isoformat()}",
                    "tasks",
                    i,
                )
        if want.due_at is not None and want.due_at.astimezone(UTC) != got.due.astimezone(UTC):
            self.miss(
                label, f"due {want.due_at.isoformat()}", f"due {got.due.isoformat()}", "tasks", i
            )


def run_fixtures(triage: Triage, paths: Iterable[str | Path]) -> list[CaseResult]:
    """Every fixture found under ``paths``, checked; malformed ones become "error" results."""
    results = []
    for path in find_fixtures(paths):
        try:
            fixture = load_fixture(path)
        except FixtureError as exc:
            results.append(CaseResult(str(path), "error", problems=exc.problems))
            continue
        results.append(check_fixture(triage, fixture))
    return results


def coverage(triage: Triage, results: Iterable[CaseResult]) -> list[str]:
    """Ids of the policy's rules that no fixture fired."""
    fired = {rid for r in results for rid in r.fired}
    return [rule.id for rule in triage.policy.rules if rule.id not in fired]
