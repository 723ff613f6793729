"""Readable, bilingual views of decisions for terminals."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.console import Console, Group
from rich.table import Table

from .risk import INSTRUMENTS
from .vocab import CASE_TYPES, DEPARTMENTS, FLAGS, LEVELS, PRIORITIES, SOURCES, Vocabulary

if TYPE_CHECKING:
    from ._decision import Decision

__all__ = ["decisions_table", "print_decisions"]

_SHORT = {"danger_assessment": "DA", "dash": "DASH", "lethality_screen": "LS", "odara": "ODARA"}


def _label(vocab: Vocabulary, code: str, lang: str | None) -> str:
    if lang in ("zh", "en"):
        return vocab.label(code, lang)
    return f"{vocab.label(code, 'zh')}\n{vocab.label(code, 'en')}"


def _head(zh: str, en: str, lang: str | None) -> str:
    return zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}"


def _instrument_cell(decision: Decision, name: str) -> str:
    r = decision.instruments[name]
    score = f"{r.score}" if r.score == r.score_max else f"{r.score}–{r.score_max}"
    level = r.level if r.level == r.level_max else f"{r.level}→{r.level_max}?"
    return f"{score} {level}" + ("" if r.applies else " (n/a)")


def decisions_table(decisions: Iterable[Decision], lang: str | None = None) -> Group:
    """A table of levels, priorities, leads and flags, and one of instrument scores."""
    decisions = list(decisions)
    main = Table(title=_head("分诊结果", "Triage decisions", lang), show_lines=lang is None)
    main.add_column(_head("编号", "report", lang), no_wrap=True)
    main.add_column(_head("来源 / 类型", "source / type", lang), overflow="fold")
    main.add_column(_head("风险等级", "level", lang), overflow="fold")
    main.add_column(_head("优先级", "priority", lang), overflow="fold")
    main.add_column(_head("牵头部门", "lead", lang), overflow="fold")
    main.add_column(_head("处置标记", "flags", lang), overflow="fold", ratio=3)
    for d in decisions:
        level = _label(LEVELS, d.risk_level, lang)
        if d.risk_level_max != d.risk_level:
            level += f"\n(→{_label(LEVELS, d.risk_level_max, 'en' if lang == 'en' else 'zh')}?)"
        if d.status == "engine_error":
            level += "\nENGINE ERROR"
        lead = getattr(getattr(d, "routing", None), "lead", None)
        flag_lang = lang if lang in ("zh", "en") else "zh"
        flags = ("，" if flag_lang == "zh" else ", ").join(
            FLAGS.label(f, flag_lang) for f in d.flags
        )
        main.add_row(
            d.report_id,
            f"{_label(SOURCES, d.source, lang)}\n{_label(CASE_TYPES, d.case_type, lang)}",
            level,
            f"{d.priority} {_label(PRIORITIES, d.priority, lang)}",
            _label(DEPARTMENTS, lead, lang) if lead else "",
            flags,
        )
    scores = Table(
        title=_head("评估工具得分（得分–最高可能）", "Instrument scores (score–max)", lang)
    )
    scores.add_column(_head("编号", "report", lang), no_wrap=True)
    for name in INSTRUMENTS:
        scores.add_column(_SHORT[name], overflow="fold")
    for d in decisions:
        scores.add_row(d.report_id, *(_instrument_cell(d, name) for name in INSTRUMENTS))
    return Group(main, scores)


def print_decisions(
    decisions: Iterable[Decision], lang: str | None = None, console: Console | None = None
) -> None:
    (console or Console()).print(decisions_table(decisions, lang))
