"""Readable, bilingual views of decisions for terminals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from .risk import INSTRUMENTS
from .vocab import CASE_TYPES, DEPARTMENTS, FLAGS, LEVELS, PRIORITIES, SOURCES

if TYPE_CHECKING:
    from ._decision import Decision

__all__ = ["decisions_table", "print_decisions"]

_SHORT = {
    "danger_assessment": ("DA", "DA"),
    "dash": ("DASH", "DASH"),
    "lethality_screen": ("LS", "致命性筛查"),
    "odara": ("ODARA", "ODARA"),
}


def _both(zh: str, en: str, lang: str | None) -> str:
    if lang == "zh":
        return zh
    if lang == "en":
        return en
    return f"{zh} {en}"


def _instrument_cell(decision: Decision, name: str) -> str:
    result = decision.instruments[name]
    score = (
        f"{result.score}"
        if result.score == result.score_max
        else f"{result.score}–{result.score_max}"
    )
    level = (
        result.level if result.level == result.level_max else f"{result.level}→{result.level_max}?"
    )
    return f"{score} {level}" + ("" if result.applies else " (n/a)")


def decisions_table(decisions: Iterable[Decision], lang: str | None = None) -> Table:
    zh = lang == "zh"
    table = Table(title=_both("分诊结果", "Triage decisions", lang), show_lines=False, expand=False)
    table.add_column(_both("编号", "report", lang), no_wrap=True)
    table.add_column(_both("来源", "source", lang))
    table.add_column(_both("类型", "type", lang))
    for name in INSTRUMENTS:
        short = _SHORT[name][1 if zh else 0]
        table.add_column(short)
    has_rules = False
    rows = []
    for d in decisions:
        row = [
            d.report_id,
            _both(SOURCES.label(d.source, "zh"), SOURCES.label(d.source, "en"), lang),
            _both(CASE_TYPES.label(d.case_type, "zh"), CASE_TYPES.label(d.case_type, "en"), lang),
            *(_instrument_cell(d, name) for name in INSTRUMENTS),
        ]
        level = getattr(d, "risk_level", None)
        if level is not None:
            has_rules = True
            flags = ", ".join(FLAGS.label(f, "zh" if zh else "en") for f in d.flags)  # type: ignore[attr-defined]
            lead = d.routing.lead if getattr(d, "routing", None) else ""  # type: ignore[attr-defined]
            row += [
                _both(LEVELS.label(level, "zh"), level, lang),
                _both(PRIORITIES.label(d.priority, "zh"), d.priority, lang),  # type: ignore[attr-defined]
                _both(DEPARTMENTS.label(lead, "zh"), lead, lang) if lead else "",
                flags,
            ]
        rows.append(row)
    if has_rules:
        table.add_column(_both("风险等级", "level", lang))
        table.add_column(_both("优先级", "priority", lang))
        table.add_column(_both("牵头部门", "lead", lang))
        table.add_column(_both("处置标记", "flags", lang))
    for row in rows:
        table.add_row(*row)
    return table


def print_decisions(
    decisions: Iterable[Decision], lang: str | None = None, console: Console | None = None
) -> None:
    (console or Console()).print(decisions_table(decisions, lang))
