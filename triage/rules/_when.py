"""Parsing a rule's ``when`` block into conditions, with every problem located.

Grammar (YAML):

    when: always
    when:                                  # several keys: all must hold
      indicators.strangulation: yes        # equality
      victim.age: {"<": 18}                # operators: == != < <= > >= in not_in exists
      source: [school, hospital]           # a list: one of
      any:                                 # combinators: all, any, not
        - indicators.threat_to_kill: yes
        - not: {indicators.separation: no}
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .._suggest import suggest
from ._facts import FACTS, Fact
from ._ir import ALWAYS, All, AnyOf, Cond, Not, Test
from ._yaml import KEY

__all__ = ["COMBINATORS", "OPERATORS", "parse_when"]

OPERATORS = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in", "exists")
ALIASES = {"not in": "not_in", "=": "==", "eq": "==", "ne": "!="}
COMBINATORS = ("all", "any", "not")
_TRI_BOOL = {True: "yes", False: "no"}

Report = Callable[[tuple[Any, ...], str, str, str, str | None], None]


def _kind_text(fact: Fact) -> tuple[str, str]:
    return {
        "tri": ("yes, no or unknown", "是（yes）、否（no）或 不详（unknown）"),
        "bool": ("true or false", "true 或 false"),
        "int": ("a whole number", "整数"),
        "float": ("a number", "数值"),
        "enum": ("a code", "编码"),
        "code": ("a code", "编码"),
    }[fact.kind]


class _Parser:
    def __init__(self, report: Report) -> None:
        self.report = report

    def value(self, fact: Fact, raw: Any, path: tuple[Any, ...]) -> tuple[bool, Any]:
        """Coerce one comparison value to the fact's type."""
        kind = fact.kind
        if kind == "tri":
            if isinstance(raw, bool):
                return True, _TRI_BOOL[raw]
            if raw in ("yes", "no", "unknown"):
                return True, raw
        elif kind == "bool":
            if isinstance(raw, bool):
                return True, raw
        elif kind in ("int", "float"):
            if isinstance(raw, int | float) and not isinstance(raw, bool):
                return True, raw
        elif kind == "enum":
            if isinstance(raw, str) and raw in fact.values:
                return True, raw
            if isinstance(raw, str):
                self.report(
                    path,
                    "unknown-value",
                    f"'{raw}' is not a value of {fact.name}",
                    f"'{raw}' 不是 {fact.name} 的取值",
                    suggest(raw, fact.values),
                )
                return False, None
        elif kind == "code" and isinstance(raw, str) and raw:
            return True, raw
        en, zh = _kind_text(fact)
        got = (
            "yes/no"
            if isinstance(raw, bool)
            else "a number"
            if isinstance(raw, int | float)
            else "text"
            if isinstance(raw, str)
            else "a list or mapping"
            if (isinstance(raw, list | dict))
            else "null"
            if raw is None
            else "a value"
        )
        self.report(
            path,
            "type-mismatch",
            f"{fact.name} takes {en}, not {got}",
            f"{fact.name} 的取值应为{zh}",
            None,
        )
        return False, None

    def test(self, fact: Fact, op: str, raw: Any, path: tuple[Any, ...]) -> Cond | None:
        if op not in fact.operators:
            if op in ("<", "<=", ">", ">="):
                en = f"{fact.name} has no order; use == or in"
                zh = f"{fact.name} 没有大小顺序，请用 == 或 in"
            elif op == "exists":
                en = f"{fact.name} is always present; test its value instead"
                zh = f"{fact.name} 总是有值，请直接判断取值"
            else:
                en, zh = f"operator {op} does not apply to {fact.name}", f"{fact.name} 不支持 {op}"
            self.report((*path, KEY), "bad-operator", en, zh, None)
            return None
        if op == "exists":
            if not isinstance(raw, bool):
                self.report(
                    path,
                    "type-mismatch",
                    "exists takes true or false",
                    "exists 的取值应为 true 或 false",
                    None,
                )
                return None
            return Test(fact.name, "exists", raw)
        if op in ("in", "not_in"):
            if not isinstance(raw, list) or not raw:
                self.report(
                    path,
                    "type-mismatch",
                    f"{op} takes a non-empty list",
                    f"{op} 的取值应为非空列表",
                    None,
                )
                return None
            values = []
            ok = True
            for i, item in enumerate(raw):
                good, v = self.value(fact, item, (*path, i))
                ok = ok and good
                if good and v not in values:
                    values.append(v)
            return Test(fact.name, op, tuple(values)) if ok else None
        good, v = self.value(fact, raw, path)
        return Test(fact.name, op, v) if good else None

    def fact_tests(self, name: str, raw: Any, path: tuple[Any, ...]) -> Cond | None:
        fact = FACTS.get(name)
        if fact is None:
            hint = suggest(name, FACTS)
            if hint is None and "." not in name:
                hint = suggest(name, COMBINATORS) or suggest(f"indicators.{name}", FACTS)
            self.report(
                (*path, KEY), "unknown-fact", f"unknown fact '{name}'", f"未知的事实 '{name}'", hint
            )
            return None
        if isinstance(raw, dict):
            if not raw:
                self.report(path, "empty", "no operator given", "缺少运算符", None)
                return None
            tests: list[Cond] = []
            failed = False
            for op_raw, value in raw.items():
                op = ALIASES.get(op_raw, op_raw)
                if op not in OPERATORS:
                    self.report(
                        (*path, op_raw, KEY),
                        "unknown-operator",
                        f"unknown operator '{op_raw}'",
                        f"未知的运算符 '{op_raw}'",
                        suggest(op_raw, [*OPERATORS, *ALIASES]),
                    )
                    failed = True
                    continue
                t = self.test(fact, op, value, (*path, op_raw))
                if t is None:
                    failed = True
                else:
                    tests.append(t)
            if failed:
                return None
            return tests[0] if len(tests) == 1 else All(tuple(tests))
        if isinstance(raw, list):
            return self.test(fact, "in", raw, path)
        return self.test(fact, "==", raw, path)

    def cond(self, raw: Any, path: tuple[Any, ...]) -> Cond | None:
        if raw == "always" and path and path[-1] == "when":
            return ALWAYS
        if not isinstance(raw, dict):
            self.report(
                path,
                "bad-condition",
                "a condition is a mapping of facts to values, or all/any/not",
                "条件应为“事实: 取值”的映射，或 all/any/not",
                None,
            )
            return None
        if not raw:
            self.report(path, "empty", "empty condition", "条件为空", None)
            return None
        parts: list[Cond] = []
        failed = False
        for key, value in raw.items():
            sub = (*path, key)
            part: Cond | None
            if key in ("all", "any"):
                if not isinstance(value, list) or not value:
                    self.report(
                        sub,
                        "bad-condition",
                        f"{key} takes a non-empty list of conditions",
                        f"{key} 的取值应为非空的条件列表",
                        None,
                    )
                    part = None
                else:
                    items = [self.cond(item, (*sub, i)) for i, item in enumerate(value)]
                    if any(item is None for item in items):
                        part = None
                    else:
                        kept = tuple(i for i in items if i is not None)
                        part = (
                            kept[0]
                            if len(kept) == 1
                            else (All(kept) if key == "all" else AnyOf(kept))
                        )
            elif key == "not":
                inner = self.cond(value, sub)
                part = None if inner is None else Not(inner)
            else:
                part = self.fact_tests(key, value, sub)
            if part is None:
                failed = True
            else:
                parts.append(part)
        if failed:
            return None
        return parts[0] if len(parts) == 1 else All(tuple(parts))


def parse_when(raw: Any, path: tuple[Any, ...], report: Report) -> Cond | None:
    """The condition of one rule, or None after reporting every problem found."""
    return _Parser(report).cond(raw, path)
