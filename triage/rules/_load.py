"""Loading a policy file: parse, validate everything, stratify, compile. All problems at once."""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .._errors import Problem, RuleFileError
from .._io._read import read_limited
from .._lang import LANGS
from .._suggest import suggest
from ..report._problems import translate
from ..vocab import DEPARTMENTS, FLAGS, SOURCES
from ._formula import CompileError, formula, lowering_model_facts, satisfiable
from ._ir import Meta, RuleDef, Task, Then, reads
from ._native import Native, build_native
from ._schema import PolicyFile, TaskModel
from ._when import parse_when
from ._yaml import KEY, MAX_FILE_BYTES, Loaded, load_yaml
from .engine._compile import compile_alternatives, make_keys, pack

__all__ = ["Compiled", "compile_policy_file", "read_source"]

_LEVEL_WRITES = (
    "decision.level",
    "decision.level_max",
    "decision.level_could_rise",
    "case.level_rose",  # read against the level, so after every rule that sets one
)


class Problems:
    """Collects located problems for one file."""

    def __init__(self, where: str, marks: dict[tuple[Any, ...], tuple[int, int]]) -> None:
        self.where = where
        self.marks = marks
        self.items: list[Problem] = []

    def locate(self, path: tuple[Any, ...]) -> tuple[int | None, int | None]:
        p = path
        while True:
            if p in self.marks:
                return self.marks[p]
            if not p:
                return None, None
            p = p[:-1]

    def add(
        self, path: tuple[Any, ...], code: str, en: str, zh: str, suggestion: str | None = None
    ) -> None:
        line, col = self.locate(path)
        self.items.append(
            Problem(self.where, code, zh, en, line=line, col=col, suggestion=suggestion)
        )

    def raise_if_any(self, what: str = "policy") -> None:
        if self.items:
            ordered = sorted(set(self.items), key=lambda p: (p.line or 0, p.col or 0, p.code))
            noun = "problem" if len(ordered) == 1 else "problems"
            raise RuleFileError(
                f"{self.where}: invalid {what}, {len(ordered)} {noun}", tuple(ordered)
            )


def read_source(source: str | Path | bytes, max_bytes: int = MAX_FILE_BYTES) -> tuple[bytes, str]:
    """The bytes of a policy file and a name for messages; refuses oversized files unread."""
    if isinstance(source, bytes):  # held in memory already; the same limit, the same error
        return read_limited(io.BytesIO(source), max_bytes, RuleFileError, "<policy>"), "<policy>"
    return read_limited(source, max_bytes, RuleFileError), str(source)


class Compiled:
    """A validated, stratified, compiled policy (without an engine yet)."""

    def __init__(
        self,
        meta: Meta,
        rules: tuple[RuleDef, ...],
        strata: tuple[int, ...],
        layout: Any,
        loaded: Loaded,
        where: str,
        extra: dict[str, Any],
    ) -> None:
        self.meta = meta
        self.rules = rules
        self.strata = strata  # stratum of each rule, by index
        self.layout = layout
        self.sha256 = loaded.sha256
        self.size = loaded.size
        self.where = where
        self.extra = extra

    @functools.cached_property
    def native(self) -> Native:
        """The rules as generated Python, built on first use and shared by every `Policy`
        of this compiled file (each takes a `Native.copy`)."""
        formulas = {r.index: formula(r.when) for r in self.rules}
        return build_native(formulas, self.strata, self.layout.stratum_facts, self.sha256[:12])


def _structure(loaded: Loaded, problems: Problems) -> PolicyFile | None:
    value = loaded.value
    if not isinstance(value, dict):
        problems.add(
            (),
            "bad-structure",
            "a policy file is a mapping with 'policy' and 'rules'",
            "策略文件应为包含 policy 和 rules 的映射",
        )
        return None
    try:
        return PolicyFile.model_validate(value)
    except ValidationError as exc:
        for loc, code, en, zh, hint in translate(exc, PolicyFile):
            if code == "unknown-field":
                # Policy files are not report data: naming the stray key is safe and helps
                # (an unquoted comma in a {flow: mapping} makes one).
                en, zh = f"unknown field '{loc[-1]}'", f"未知字段 '{loc[-1]}'"
                loc = (*loc, KEY)
            if loc and loc[-1] == "when" and code != "missing":
                continue  # reported with more precision below
            problems.add(loc, code, en, zh, hint)
        return None


def missing_text(lang: str, key: str) -> str:
    """What stands in for a text a policy does not give in ``lang``: it names the key."""
    return f"⟨missing {lang}: {key}⟩"


def _texts(value: dict[str, Any]) -> Any:
    """(path, key, mapping) of every bilingual text a policy file holds."""
    meta = value.get("policy")
    if isinstance(meta, dict) and isinstance(meta.get("title"), dict):
        yield ("policy", "title"), "policy.title", meta["title"]
    for section in ("departments", "actions", "sources", "flags"):
        entries = value.get(section)
        if isinstance(entries, dict):
            for code, text in entries.items():
                if isinstance(text, dict):
                    yield (section, code), f"{section}.{code}", text
    rules = value.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        name = rule.get("id") if isinstance(rule.get("id"), str) else str(i)
        if isinstance(rule.get("description"), dict):
            yield ("rules", i, "description"), f"rules.{name}.description", rule["description"]
        then = rule.get("then")
        if isinstance(then, dict) and isinstance(then.get("note"), dict):
            yield ("rules", i, "then", "note"), f"rules.{name}.note", then["note"]


def _fill_languages(value: Any, problems: Problems) -> list[tuple[str, str]]:
    """Every text must be in the policy's own language; one missing in the other
    language is filled with a marker naming its key. Returns (language, key) of each."""
    if not isinstance(value, dict):
        return []
    meta = value.get("policy")
    own = meta.get("language", "zh") if isinstance(meta, dict) else "zh"
    if own not in LANGS:
        return []  # the structure check says what is wrong with the language
    missing: list[tuple[str, str]] = []
    for path, key, text in _texts(value):
        if not any(isinstance(text.get(lang), str) for lang in LANGS):
            continue  # no text at all: the structure check reports it
        if not isinstance(text.get(own), str):
            problems.add(
                path,
                "missing-translation",
                f"no {own} text for {key}: the policy's language is {own}",
                f"{key} 缺少{'中文' if own == 'zh' else '英文'}文本：本策略的语言为 {own}",
            )
            continue
        for lang in LANGS:
            if text.get(lang) is None:
                text[lang] = missing_text(lang, key)
                missing.append((lang, key))
    return missing


def _strata(rules: list[RuleDef], problems: Problems) -> tuple[int, ...]:
    writers: dict[str, list[int]] = {}
    for rule in rules:
        for name in _writes(rule.then):
            writers.setdefault(name, []).append(rule.index)
    deps = {
        rule.index: sorted({w for name in rule.reads if name in writers for w in writers[name]})
        for rule in rules
    }
    stratum = {rule.index: 0 for rule in rules}
    limit = len(rules) + 1
    for _ in range(limit):
        changed = False
        for rule in rules:
            want = max((stratum[d] + 1 for d in deps[rule.index]), default=0)
            if want > stratum[rule.index]:
                stratum[rule.index] = min(want, limit + 1)
                changed = True
        if not changed:
            break
    by_index = {rule.index: rule for rule in rules}
    cyclic = [i for i, s in stratum.items() if s > len(rules)]
    for i in cyclic:
        rule = by_index[i]
        loop = [by_index[d].id for d in deps[i] if d in cyclic]
        problems.add(
            ("rules", i, "when"),
            "cycle",
            f"rule '{rule.id}' depends on its own outcome (through {', '.join(loop)}); "
            "base it on the underlying facts instead",
            f"规则 '{rule.id}' 依赖于自身的结果（经由 {', '.join(loop)}），请改为依据原始事实",
        )
    used = sorted({s for s in stratum.values() if s <= len(rules)})
    renumber = {s: n for n, s in enumerate(used)}
    return tuple(renumber.get(stratum[r.index], 0) for r in rules)


def _writes(then: Then) -> set[str]:
    # Routing (lead, co-handlers, tasks) is never read by rules, so it writes no fact.
    out: set[str] = set()
    if then.level:
        out.update(_LEVEL_WRITES)
    if then.priority:
        out.add("decision.priority")
    out.update(f"flags.{f}" for f in then.flags)
    return out


def _then(raw: Any, parsed: Any) -> Then:
    return Then(
        level=parsed.level,
        priority=parsed.priority,
        flags=tuple(dict.fromkeys(parsed.flags)),
        note=parsed.note.model_dump() if parsed.note else None,
        lead=getattr(parsed, "lead", None),
        co_handlers=tuple(getattr(parsed, "co_handlers", ()) or ()),
        tasks=tuple(
            Task(
                department=t.department,
                action=t.action,
                due=t.due,
                after=t.after,
                basis=t.basis,
                working_days=t.working_days,
            )
            for t in (getattr(parsed, "tasks", ()) or ())
        ),
        legal_duty=getattr(parsed, "legal_duty", None),
    )


def _routing_checks(parsed: PolicyFile, problems: Problems) -> None:
    """Departments, actions and task references resolve; `after` chains do not loop."""
    departments = [*DEPARTMENTS.codes, *parsed.departments]
    produced = {t.action for r in parsed.rules for t in r.then.tasks}

    def department(code: str | None, path: tuple[Any, ...]) -> None:
        if code is not None and code not in departments:
            problems.add(
                path,
                "unknown-department",
                f"unknown department '{code}'",
                f"未知的部门 '{code}'",
                suggest(code, departments),
            )

    department(parsed.schedule.default_lead, ("schedule", "default_lead"))
    edges: dict[str, set[str]] = {}  # a task's action -> the actions it counts from
    for i, rule in enumerate(parsed.rules):
        then = rule.then
        base = ("rules", i, "then")
        department(then.lead, (*base, "lead"))
        for j, code in enumerate(then.co_handlers):
            department(code, (*base, "co_handlers", j))
        for j, task in enumerate(then.tasks):
            at = (*base, "tasks", j)
            if task.department != "lead":  # "lead": whichever department leads the case
                department(task.department, (*at, "department"))
            _task_checks(task, at, parsed.actions, produced, problems)
            if task.after is not None:
                edges.setdefault(task.action, set()).add(task.after)
    _cycle_checks(parsed, edges, problems)


def _task_checks(
    task: TaskModel,
    at: tuple[Any, ...],
    actions: Mapping[str, Any],
    produced: set[str],
    problems: Problems,
) -> None:
    """A task's action is declared, what it counts from is a task some rule adds, and
    working days go with deadlines in days."""
    if task.action not in actions:
        problems.add(
            (*at, "action"),
            "unknown-action",
            f"unknown action '{task.action}' (declare it under actions:)",
            f"未定义的任务 '{task.action}'（请在 actions 中声明）",
            suggest(task.action, list(actions)),
        )
    if task.after is not None and task.after not in produced:
        problems.add(
            (*at, "after"),
            "unknown-task",
            f"no rule adds a task '{task.after}' to count from",
            f"没有规则添加可作为起算点的任务 '{task.after}'",
            suggest(task.after, sorted(produced)),
        )
    if task.working_days and not task.due.endswith("d"):
        problems.add(
            (*at, "working_days"),
            "bad-duration",
            "working days apply to deadlines in days",
            "工作日只适用于以天计的期限",
        )


def _cycle_checks(parsed: PolicyFile, edges: dict[str, set[str]], problems: Problems) -> None:
    """A task counted (through others) from itself would have no deadline."""
    for start in edges:
        seen: set[str] = set()
        todo = list(edges.get(start, ()))
        while todo:
            nxt = todo.pop()
            if nxt == start:
                for i, rule in enumerate(parsed.rules):
                    for j, task in enumerate(rule.then.tasks):
                        if task.action == start and task.after is not None:
                            problems.add(
                                ("rules", i, "then", "tasks", j, "after"),
                                "cycle",
                                f"task '{start}' is counted from itself",
                                f"任务 '{start}' 的期限循环依赖自身",
                            )
                break
            if nxt not in seen:
                seen.add(nxt)
                todo.extend(edges.get(nxt, ()))


def _vocabulary_checks(raw: Any, problems: Problems) -> None:
    """A policy's own sources and flags are new codes; every flag a rule raises or reads
    and every source it tests is a standard one or the policy's own. Read from the
    file as written, so these problems are reported with any others."""
    if not isinstance(raw, dict):
        return
    own = {section: _keys(raw.get(section)) for section in ("sources", "flags")}
    actions = set(_keys(raw.get("actions")))
    departments = {*DEPARTMENTS.codes, *_keys(raw.get("departments"))}
    for section, standard in (("sources", SOURCES), ("flags", FLAGS)):
        for code in own[section]:
            clash = (
                "a standard one"
                if code in standard
                else "a department"
                if code in departments
                else "an action"
                if code in actions
                else None
            )
            if clash:
                problems.add(
                    (section, code, KEY),
                    "duplicate-code",
                    f"'{code}' is already {clash}; give the policy's own {section} new codes",
                    f"'{code}' 已被使用（{clash}），请为本策略自定义的条目使用新的编码",
                )
    flags = [*FLAGS.codes, *own["flags"]]
    sources = [*SOURCES.codes, *own["sources"]]
    rules = raw.get("rules")
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        then = rule.get("then") if isinstance(rule, dict) else None
        raised = then.get("flags") if isinstance(then, dict) else None
        for at, code in _codes(("rules", i, "then", "flags"), raised):
            if code not in flags:
                problems.add(
                    at,
                    "unknown-code",
                    f"not one of the allowed codes: no flag '{code}' (a policy declares "
                    "its own under flags:)",
                    f"不是允许的编码：没有标记 '{code}'（自定义标记请在 flags 中声明）",
                    suggest(code, flags),
                )
    for path, name, value in _fact_values(raw):
        if name.startswith("flags.") and name[6:] not in flags:
            problems.add(
                (*path, KEY),
                "unknown-fact",
                f"unknown fact '{name}'",
                f"未知的事实 '{name}'",
                suggest(name, [f"flags.{f}" for f in flags]),
            )
        if name == "source":
            for at, code in _codes(path, value):
                if code not in sources:
                    problems.add(
                        at,
                        "unknown-value",
                        f"'{code}' is not a source (a policy declares its own under sources:)",
                        f"'{code}' 不是案源渠道（自定义渠道请在 sources 中声明）",
                        suggest(code, sources),
                    )


def _keys(section: Any) -> list[str]:
    return [k for k in section if isinstance(k, str)] if isinstance(section, dict) else []


def _fact_values(raw: Any) -> Any:
    """(path, fact name, value) of every fact test in every rule's `when`."""

    def walk(node: Any, path: tuple[Any, ...]) -> Any:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("all", "any") and isinstance(value, list):
                    for k, item in enumerate(value):
                        yield from walk(item, (*path, key, k))
                elif key == "not":
                    yield from walk(value, (*path, key))
                elif isinstance(key, str):
                    yield (*path, key), key, value

    rules = raw.get("rules") if isinstance(raw, dict) else None
    for i, rule in enumerate(rules if isinstance(rules, list) else []):
        if isinstance(rule, dict):
            yield from walk(rule.get("when"), ("rules", i, "when"))


def _codes(path: tuple[Any, ...], value: Any) -> Any:
    """(path, code) of each string a fact test compares with."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, list):
        for k, item in enumerate(value):
            if isinstance(item, str):
                yield (*path, k), item
    elif isinstance(value, dict):
        for op, item in value.items():
            if op != "exists":
                yield from _codes((*path, op), item)


def compile_policy_file(
    source: str | Path | bytes, *, where: str | None = None, extra_checks: Any = None
) -> Compiled:
    """Validate and compile a policy; raise one RuleFileError listing every problem."""
    data, name = read_source(source)
    where = where or name
    if extra_checks is None:
        return _compiled_once(data, where)
    return _compile(data, where, extra_checks)


@functools.lru_cache(maxsize=8)
def _compiled_once(data: bytes, where: str) -> Compiled:
    """What a policy compiles to depends on its bytes alone (and the name its messages
    give), and nothing changes it once built: loading the same file again in one
    process (another `Triage`, a reload of an unchanged file) shares it instead of
    parsing and compiling it again. A file with problems is not kept; it fails anew."""
    return _compile(data, where, None)


def _compile(data: bytes, where: str, extra_checks: Any) -> Compiled:
    loaded = load_yaml(data, where)
    problems = Problems(where, loaded.marks)
    missing = _fill_languages(loaded.value, problems)
    parsed = _structure(loaded, problems)
    rules = _rules(loaded, parsed, problems)
    _vocabulary_checks(loaded.value, problems)
    if parsed is not None:
        _routing_checks(parsed, problems)
    if extra_checks is not None and parsed is not None:
        extra_checks(parsed, rules, problems)
    if parsed is None or problems.items:
        problems.raise_if_any()
        raise AssertionError("unreachable")  # pragma: no cover
    strata = _strata(rules, problems)
    problems.raise_if_any()
    layout = _layout(rules, strata, problems)
    meta = _meta(parsed.policy)
    extra = {"parsed": parsed, "source": data, "missing_texts": tuple(missing)}
    return Compiled(meta, tuple(rules), strata, layout, loaded, where, extra)


def _rules(loaded: Any, parsed: Any, problems: Problems) -> list[RuleDef]:
    """Every rule that reads as a rule, checked on its own; problems go to ``problems``."""
    raw_rules = loaded.value.get("rules") if isinstance(loaded.value, dict) else None
    rules: list[RuleDef] = []
    seen: dict[str, int] = {}
    for i, raw in enumerate(raw_rules if isinstance(raw_rules, list) else []):
        if not isinstance(raw, dict):
            if parsed is not None:
                problems.add(("rules", i), "bad-structure", "a rule is a mapping", "规则应为映射")
            continue
        _unique_id(raw.get("id"), i, seen, problems)
        if "when" not in raw:
            continue  # the structure check reports the missing key
        cond = parse_when(raw["when"], ("rules", i, "when"), problems.add)
        if cond is None or parsed is None:
            continue
        model = parsed.rules[i]
        then = _then(raw.get("then"), model.then)
        _check_rule(i, cond, then, problems)
        line, col = problems.locate(("rules", i))
        rules.append(
            RuleDef(
                index=i,
                id=model.id,
                description=model.description.model_dump(),
                source=model.source,
                when=cond,
                then=then,
                line=line or 0,
                col=col or 0,
                precedence=model.precedence,
                reads=reads(cond),
            )
        )
    return rules


def _unique_id(rid: Any, i: int, seen: dict[str, int], problems: Problems) -> None:
    if not isinstance(rid, str):
        return
    if rid in seen:
        line = problems.locate(("rules", seen[rid], "id"))[0]
        problems.add(
            ("rules", i, "id"),
            "duplicate-rule-id",
            f"duplicate rule id '{rid}' (first at line {line})",
            f"规则编号 '{rid}' 重复（首次出现在第 {line} 行）",
        )
    else:
        seen[rid] = i


def _check_rule(i: int, cond: Any, then: Any, problems: Problems) -> None:
    """A rule that does nothing, can never fire, or lets the model lower a decision."""
    if not then.sets_anything():
        problems.add(
            ("rules", i, "then"),
            "no-effect",
            "the rule changes nothing: set a level, priority, flags, note or routing",
            "规则没有任何效果：请设置等级、优先级、标记、备注或分派",
        )
    f = formula(cond)
    if not satisfiable(f):
        problems.add(
            ("rules", i, "when"),
            "never-fires",
            "the rule can never fire: its conditions contradict each other",
            "该规则永远不会触发：其条件相互矛盾",
        )
    for fact in lowering_model_facts(f):
        problems.add(
            ("rules", i, "when"),
            "model-may-lower",
            f"'{fact}' may only be tested as 'at least' (>=, >, or a band and those above "
            "it), never negated: the model may raise a decision, never lower one",
            f"'{fact}' 只能以“至少”的方式判断（>=、> 或某一档及以上），且不能取反："
            "模型只能提高、不能降低决定",
        )


def _layout(rules: list[RuleDef], strata: tuple[int, ...], problems: Problems) -> Any:
    """The rules compiled for the engine and packed into rulesets within its limits."""
    keys = make_keys(sorted({name for rule in rules for name in rule.reads}))
    compiled_rules = []
    for rule, stratum in zip(rules, strata, strict=True):
        try:
            compiled_rules.append((rule.index, stratum, compile_alternatives(rule.when, keys)))
        except CompileError:
            problems.add(
                ("rules", rule.index, "when"),
                "too-complex",
                "the rule is too complex for the rule engine; split it into simpler rules",
                "规则过于复杂，规则引擎无法执行，请拆分为更简单的规则",
            )
    problems.raise_if_any()
    n_strata = max(strata, default=0) + 1
    stratum_facts = [
        tuple(sorted({n for r, s in zip(rules, strata, strict=True) if s == k for n in r.reads}))
        for k in range(n_strata)
    ]
    try:
        return pack(compiled_rules, n_strata, stratum_facts, keys)
    except CompileError as exc:
        problems.add(("rules",), "too-complex", str(exc), "规则读取的事实过多，规则引擎无法执行")
        problems.raise_if_any()
        raise AssertionError("unreachable") from exc  # pragma: no cover


def _meta(m: Any) -> Meta:
    return Meta(
        id=m.id,
        version=m.version,
        jurisdiction=m.jurisdiction,
        effective_from=m.effective_from,
        language=m.language,
        timezone=m.timezone,
        allow_downgrade=m.allow_downgrade,
        title=m.title.model_dump() if m.title else None,
        instrument_options={
            "lethality_screen": {"version": m.instruments.lethality_screen.version}
        },
    )
