"""Readable, bilingual views of decisions for terminals."""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from .._lang import check_lang
from ..risk import INSTRUMENTS
from ..vocab import CASE_TYPES, DEPARTMENTS, FLAGS, LEVELS, PRIORITIES, SOURCES, Vocabulary
from ._catalogue import instrument_level, say
from ._text import own_labels, term

if TYPE_CHECKING:
    from rich.console import Console, Group

    from ..decision import Decision

# rich is imported where a table is drawn: a library that only decides never needs it.

__all__ = ["decisions_table", "print_decisions"]

_PIPED_WIDTH = 160
_SHORT = {"danger_assessment": "DA", "dash": "DASH", "lethality_screen": "LS", "odara": "ODARA"}


def _label(vocab: Vocabulary, code: str, lang: str | None) -> str:
    if lang in ("zh", "en"):
        return term(vocab, code, lang)
    return f"{term(vocab, code, 'zh')}\n{term(vocab, code, 'en')}"


def _head(zh: str, en: str, lang: str | None) -> str:
    return zh if lang == "zh" else en if lang == "en" else f"{zh}\n{en}"


def _instrument_cell(decision: Decision, name: str, lang: str | None = None) -> str:
    """Score (range) and level (range) in words: one language, or a line in each."""
    r = decision.instruments[name]

    def level(in_lang: str) -> str:
        low, high = instrument_level(r.level, in_lang), instrument_level(r.level_max, in_lang)
        words = low if r.level == r.level_max else f"{low}→{high}?"
        return words if r.applies else words + say("not_applicable", in_lang)

    score = f"{r.score}" if r.score == r.score_max else f"{r.score}–{r.score_max}"
    return f"{score} " + (level(lang) if lang is not None else f"{level('zh')}\n{level('en')}")


def _model_cell(decision: Decision, lang: str | None = None) -> str:
    m = decision.model
    if m is None:
        return "—"
    shown = f"{m.probability:.2f}" + ("" if m.band == m.band_max else f"–{m.probability_max:.2f}")
    band = " / ".join(say(f"band_{m.band}", x) for x in ((lang,) if lang else ("zh", "en")))
    return f"{shown} {band}" + ("*" if m.synthetic else "")


def decisions_table(decisions: Iterable[Decision], lang: str | None = None) -> Group:
    """A table of levels, priorities, leads and flags, and one of instrument scores."""
    from rich.console import Group
    from rich.markup import escape
    from rich.table import Table

    if lang is not None:
        check_lang(lang)
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
        routing = getattr(d, "routing", None)
        lead = getattr(routing, "lead", None)
        lead_label = ""
        if lead:
            known = routing.labels.get(lead) if routing is not None else None
            lead_label = (
                _label(DEPARTMENTS, lead, lang)
                if known is None
                else known.get(lang)
                if lang in ("zh", "en")
                else f"{known.zh}\n{known.en}"
            )
        flag_lang = lang if lang in ("zh", "en") else "zh"
        with own_labels(routing.labels if routing is not None else {}):
            flags = ("，" if flag_lang == "zh" else ", ").join(
                term(FLAGS, f, flag_lang) for f in d.flags
            )
            source = _label(SOURCES, d.source, lang)
        main.add_row(
            escape(d.report_id),
            f"{source}\n{_label(CASE_TYPES, d.case_type, lang)}",
            level,
            f"{d.priority} {_label(PRIORITIES, d.priority, lang)}",
            lead_label,
            flags,
        )
    scores = Table(
        title=_head(
            "评估工具得分（得分–最高可能；模型*：合成数据训练）",
            "Instrument scores (score–max; model*: trained on synthetic data)",
            lang,
        )
    )
    scores.add_column(_head("编号", "report", lang), no_wrap=True)
    for name in INSTRUMENTS:
        scores.add_column(_SHORT[name], overflow="fold")
    scores.add_column(_head("模型", "model", lang), overflow="fold")
    for d in decisions:
        scores.add_row(
            escape(d.report_id),
            *(_instrument_cell(d, name, lang) for name in INSTRUMENTS),
            _model_cell(d, lang),
        )
    return Group(main, scores)


def wide_console() -> Console:
    """Standard output; piped or captured output gets a width the tables fit in, since
    rich would otherwise assume 80 columns (``COLUMNS`` still wins)."""
    from rich.console import Console

    if sys.stdout.isatty() or "COLUMNS" in os.environ:
        return Console()
    return Console(width=_PIPED_WIDTH)


def print_decisions(
    decisions: Iterable[Decision], lang: str | None = None, console: Console | None = None
) -> None:
    (console or wide_console()).print(decisions_table(decisions, lang))


def diff_text(result: Any, lang: str | None = None) -> str:
    """The diff tables as plain text, for a file."""
    from rich.console import Console

    buffer = io.StringIO()
    print_diff(result, lang, Console(file=buffer, width=_PIPED_WIDTH, color_system=None))
    return buffer.getvalue()


def print_diff(result: Any, lang: str | None = None, console: Console | None = None) -> None:
    """A diff of two policies as tables: levels, priorities, flags, leads, deadlines."""
    console = console or wide_console()
    data = result.as_dict()
    zh = lang == "zh"
    _diff_header(console, data, zh)
    _diff_matrices(console, data, zh)
    _diff_flags(console, data, zh)
    _diff_changes(console, data, zh)


def _diff_header(console: Console, data: dict[str, Any], zh: bool) -> None:
    """How many reports changed, the two policies, and the invalid reports by code."""
    console.print(
        (
            f"{data['reports']} 份报告，{data['changed']} 份结果变化，{data['invalid']} 份无效"
            if zh
            else f"{data['reports']} reports, {data['changed']} changed, {data['invalid']} invalid"
        ),
        highlight=False,
    )
    for name, label in (("old", "旧" if zh else "old"), ("new", "新" if zh else "new")):
        ref = data[name]
        console.print(
            f"{label}: {ref['id']} {ref['version']} sha256 {ref['sha256']}", highlight=False
        )
    for row in data["invalid_by_code"]:
        console.print(
            ("无效报告" if zh else "invalid reports")
            + f" [{row['code']}]: {row['count']}; "
            + ("例如 " if zh else "e.g. ")
            + ", ".join(row["examples"]),
            highlight=False,
            markup=False,
        )


def _diff_matrices(console: Console, data: dict[str, Any], zh: bool) -> None:
    """Levels and priorities, old against new, as counts."""
    from rich.table import Table

    for key, title_zh, title_en, order in (
        ("levels", "风险等级（行：旧，列：新）", "Risk level (rows: old, columns: new)",
         LEVELS.codes),
        ("priorities", "优先级（行：旧，列：新）", "Priority (rows: old, columns: new)",
         PRIORITIES.codes),
    ):  # fmt: skip
        table = Table(title=title_zh if zh else title_en)
        table.add_column("")
        for code in order:
            table.add_column(code, justify="right")
        for a in order:
            table.add_row(a, *(str(data[key][a][b]) for b in order))
        console.print(table)


def _diff_flags(console: Console, data: dict[str, Any], zh: bool) -> None:
    """Each flag gained and lost, with examples (nothing when none changed)."""
    from rich.markup import escape
    from rich.table import Table

    if not data["flags"]:
        return
    flags = Table(title="标记增减" if zh else "Flags gained and lost")
    for col in (
        ("标记", "flag"),
        ("新增", "gained"),
        ("新增示例", "gained by"),
        ("取消", "lost"),
        ("取消示例", "lost by"),
    ):
        flags.add_column(col[0] if zh else col[1], overflow="fold")
    for row in data["flags"]:
        flags.add_row(
            row["flag"],
            str(row["gained"]),
            escape(", ".join(row["gained_examples"])),
            str(row["lost"]),
            escape(", ".join(row["lost_examples"])),
        )
    console.print(flags)


def _moved(r: dict[str, Any]) -> tuple[str, int, Any]:
    return f"{r['from']} → {r['to']}", r["count"], r["examples"]


def _task_change(r: dict[str, Any]) -> tuple[str, int, Any]:
    return f"{r['department']}/{r['action']} {r['change']}", r["count"], r["examples"]


# (key in the diff, titles, the cells of one row)
_CHANGES: tuple[
    tuple[str, tuple[str, str], Callable[[dict[str, Any]], tuple[str, int, Any]]], ...
] = (
    ("level_changes", ("等级变化", "Level changes"), _moved),
    ("priority_changes", ("优先级变化", "Priority changes"), _moved),
    ("leads", ("牵头部门变化", "Lead changes"), _moved),
    ("deadlines", ("任务与期限变化", "Task and deadline changes"), _task_change),
)


def _diff_changes(console: Console, data: dict[str, Any], zh: bool) -> None:
    """Level, priority, lead and deadline changes, each with its count and examples."""
    from rich.markup import escape
    from rich.table import Table

    for key, titles, cells in _CHANGES:
        rows = data[key]
        if not rows:
            continue
        table = Table(title=titles[0] if zh else titles[1])
        for col in (("变化", "change"), ("数量", "count"), ("示例", "examples")):
            table.add_column(col[0] if zh else col[1], overflow="fold")
        for row in rows:
            change, count, ex = cells(row)
            table.add_row(escape(change), str(count), escape(", ".join(ex)))
        console.print(table)


def progress_bar(console: Console, *, transient: bool = False) -> Any:
    """The progress bar long runs show on a terminal (reports done, elapsed time)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=transient,
    )
