"""A rulebook a non-programmer can review and sign off: every rule as a sentence."""

from __future__ import annotations

import html
import re
from typing import Any

from .._lang import DEFAULT_LANG, check_lang
from ..rules._facts import FACTS
from ..rules._ir import All, Cond, Not, Test
from ..rules._policy import Policy
from ..vocab import FLAGS, LEVELS, PRIORITIES
from ._text import value_label

__all__ = ["describe", "rulebook"]

_OPS = {
    "zh": {
        "==": "为",
        "!=": "不为",
        "<": "小于",
        "<=": "不大于",
        ">": "大于",
        ">=": "不小于",
        "in": "属于",
        "not_in": "不属于",
    },
    "en": {
        "==": "is",
        "!=": "is not",
        "<": "is below",
        "<=": "is at most",
        ">": "is above",
        ">=": "is at least",
        "in": "is one of",
        "not_in": "is none of",
    },
}


def _value(fact: str, value: Any, lang: str) -> str:
    if isinstance(value, tuple):
        sep = "、" if lang == "zh" else ", "
        return sep.join(_value(fact, v, lang) for v in value)
    if fact in ("decision.level", "decision.level_max", "professional_judgement.level"):
        return LEVELS.label(str(value), lang)
    if fact == "decision.priority":
        return (
            f"{value}（{PRIORITIES.label(str(value), lang)}）"
            if lang == "zh"
            else (f"{value} ({PRIORITIES.label(str(value), lang)})")
        )
    shown = value_label(fact, value, lang)
    return f"“{shown}”" if lang == "zh" and FACTS[fact].kind in ("tri",) else shown


def describe(cond: Cond, lang: str = DEFAULT_LANG) -> str:
    """A condition as a plain sentence."""
    check_lang(lang)
    zh = lang == "zh"
    if isinstance(cond, Test):
        fact = FACTS[cond.fact]
        label = fact.zh if zh else fact.en
        if cond.op == "exists":
            if zh:
                return f"已提供{label}" if cond.value else f"未提供{label}"
            return f"{label} is given" if cond.value else f"{label} is not given"
        if fact.kind == "bool" and cond.op == "==":
            if zh:
                return label if cond.value else f"并非{label}"
            return label if cond.value else f"not {label}"
        op = _OPS[lang][cond.op]
        return (
            f"{label}{op}{_value(cond.fact, cond.value, lang)}"
            if zh
            else (f"{label} {op} {_value(cond.fact, cond.value, lang)}")
        )
    if isinstance(cond, Not):
        inner = describe(cond.item, lang)
        return f"并非（{inner}）" if zh else f"not ({inner})"
    if not cond.items:
        return "每宗案件" if zh else "every case"
    parts = [describe(c, lang) for c in cond.items]
    if isinstance(cond, All):
        return "，且".join(parts) if zh else "; and ".join(parts)
    return (
        ("以下任一：" + "；或".join(f"（{p}）" for p in parts))
        if zh
        else ("any of: " + "; or ".join(f"({p})" for p in parts))
    )


def _effect(rule: Any, policy: Policy, lang: str) -> str:
    zh = lang == "zh"
    t = rule.then
    config = policy.routing
    parts = []
    if t.level:
        parts.append(
            f"风险等级至少为{LEVELS.label(t.level, lang)}"
            if zh
            else f"the risk level is at least {LEVELS.label(t.level, lang)}"
        )
    if t.priority:
        parts.append(
            f"优先级至少为{t.priority}（{PRIORITIES.label(t.priority, lang)}）"
            if zh
            else f"the priority is at least {t.priority} ({PRIORITIES.label(t.priority, lang)})"
        )
    if t.flags:
        sep = "、" if zh else ", "
        names = sep.join(FLAGS.label(f, lang) for f in t.flags)
        parts.append(f"标记：{names}" if zh else f"flags: {names}")
    if t.lead:
        parts.append(
            f"牵头部门：{config.departments[t.lead].get(lang)}（优先度 {rule.precedence}）"
            if zh
            else f"lead: {config.departments[t.lead].get(lang)} (precedence {rule.precedence})"
        )
    if t.co_handlers:
        sep = "、" if zh else ", "
        names = sep.join(config.departments[d].get(lang) for d in t.co_handlers)
        parts.append(f"协办：{names}" if zh else f"co-handlers: {names}")
    for task in t.tasks:
        dept = (
            "牵头部门"
            if zh and task.department == "lead"
            else (
                "the lead"
                if task.department == "lead"
                else config.departments[task.department].get(lang)
            )
        )
        start = (
            ""
            if task.after is None
            else (
                f"（自“{config.actions[task.after].get(lang)}”期限起算）"
                if zh
                else f" after '{config.actions[task.after].get(lang)}'"
            )
        )
        parts.append(
            f"{dept}在{task.due}内{config.actions[task.action].get(lang)}{start}"
            if zh
            else f"{dept}: {config.actions[task.action].get(lang)} within {task.due}{start}"
        )
    if t.legal_duty:
        parts.append(
            f"未经同意亦可办理的法定依据：{t.legal_duty}"
            if zh
            else f"goes ahead without consent under: {t.legal_duty}"
        )
    if t.note:
        parts.append(("备注：" if zh else "note: ") + t.note[lang])
    return ("；".join(parts) + "。") if zh else ("; ".join(parts) + ".")


_HOW = {
    "zh": (
        "每条规则在条件成立时提出要求：最低风险等级、最低优先级、标记、牵头部门和任务。"
        "最终风险等级取所有要求中最高者；规则只会提高，不会降低。专业人员的判断可以提高等级，"
        "但{downgrade}。未回答的问题不视为“否”：系统会另算“若未知项为是”时的最高等级，"
        "并据此标记信息缺口。同一任务有多个期限时取最早者；未经当事人同意，"
        "除牵头部门或有法定依据外，不向其他部门分派任务。"
    ),
    "en": (
        "Each rule, when its condition holds, asks for something: a minimum risk level, a "
        "minimum priority, flags, a lead department, tasks. The risk level is the highest "
        "asked for; rules only raise, never lower. A professional judgement may raise the "
        "level, but {downgrade}. An unanswered question is never taken as 'no': the level is "
        "also worked out as if every unknown answer were 'yes', and the difference is flagged "
        "as an information gap. When a task is asked for with several deadlines the earliest "
        "wins; without the person's consent, tasks go only to the lead department, or to "
        "others where a legal duty is named."
    ),
}


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _departments(rule: Any) -> set[str]:
    t = rule.then
    out = set(t.co_handlers) | {task.department for task in t.tasks if task.department != "lead"}
    return out | ({t.lead} if t.lead else set())


def rulebook(policy: Policy, lang: str = DEFAULT_LANG, fmt: str = "md") -> str:
    """The whole policy as a reviewable document (Markdown or HTML)."""
    check_lang(lang)
    zh = lang == "zh"
    m = policy.meta
    config = policy.routing
    title = (m.title or {}).get(lang) or m.id
    lines: list[str] = [f"# {title}", ""]
    meta = [
        ("策略编号" if zh else "Policy", m.id),
        ("版本" if zh else "Version", m.version),
        ("辖区" if zh else "Jurisdiction", m.jurisdiction),
        ("生效日期" if zh else "Effective from", m.effective_from.isoformat()),
        ("时区" if zh else "Time zone", m.timezone),
        (
            "允许有理由的降级" if zh else "Reasoned downgrades allowed",
            ("是" if m.allow_downgrade else "否") if zh else ("yes" if m.allow_downgrade else "no"),
        ),
        ("SHA-256", policy.sha256),
    ]
    lines += [f"- **{k}**：{v}" if zh else f"- **{k}**: {v}" for k, v in meta]
    lines += ["", "## 如何决定" if zh else "## How this policy decides", ""]
    lines += [
        _HOW[lang].format(
            downgrade=(
                ("有书面理由时可以降低" if m.allow_downgrade else "不能降低")
                if zh
                else (
                    "may lower it when a reason is recorded"
                    if m.allow_downgrade
                    else "may not lower it"
                )
            )
        )
    ]
    lines += ["", "## 规则" if zh else "## Rules", ""]
    for n, rule in enumerate(policy.rules, 1):
        lines.append(f"### {n}. `{rule.id}`")
        lines.append("")
        lines.append(rule.description[lang])
        lines.append("")
        when = describe(rule.when, lang)
        lines.append(
            f"**当** {when}**时**：{_effect(rule, policy, lang)}"
            if zh
            else f"**When** {when}: {_effect(rule, policy, lang)}"
        )
        if rule.source:
            lines.append("")
            lines.append(f"*依据：{rule.source}*" if zh else f"*Source: {rule.source}*")
        lines.append("")
    lines += ["## 分派与期限" if zh else "## Routing and deadlines", ""]
    head = (
        "| 规则 | 牵头部门 | 部门 | 任务 | 期限 | 依据 |"
        if zh
        else "| Rule | Lead | Department | Task | Due | Basis |"
    )
    lines += [head, "|---|---|---|---|---|---|"]
    for rule in policy.rules:
        lead = config.departments[rule.then.lead].get(lang) if rule.then.lead else ""
        if not rule.then.tasks and lead:
            lines.append(f"| `{rule.id}` | {_cell(lead)} |  |  |  |  |")
        for task in rule.then.tasks:
            dept = (
                ("牵头部门" if zh else "the lead")
                if task.department == "lead"
                else (config.departments[task.department].get(lang))
            )
            due = task.due + (
                (f"（自 {task.after} 起）" if zh else f" after {task.after}") if task.after else ""
            )
            lines.append(
                f"| `{rule.id}` | {_cell(lead)} | {_cell(dept)} "
                f"| {_cell(config.actions[task.action].get(lang))} "
                f"| {due} | {_cell(task.basis or '')} |"
            )
    lines += ["", "## 回访与复评" if zh else "## Follow-up and re-assessment", ""]
    days = "工作日" if config.working_days else "自然日"
    lines.append(
        f"- 期限按{days}计算，时区 {config.timezone}。"
        if zh
        else f"- Day deadlines count {'working' if config.working_days else 'calendar'} days, "
        f"time zone {config.timezone}."
    )
    for _code, note_zh, note_en in config.notices():
        lines.append(f"- {note_zh}。" if zh else f"- {note_en[0].upper()}{note_en[1:]}.")
    sep = "、" if zh else ", "
    lines.append(
        f"- 回访：报告后 {sep.join(config.follow_ups)}。"
        if zh
        else f"- Follow-up visits: {sep.join(config.follow_ups)} after the report."
    )
    for level in LEVELS.codes:
        label = LEVELS.label(level, lang)
        lines.append(
            f"- {label}风险：{config.reassess[level]} 内复评。"
            if zh
            else f"- {label.capitalize()} risk: re-assess within {config.reassess[level]}."
        )
    default_lead = config.departments[config.default_lead].get(lang)
    lines.append(
        f"- 无规则指定牵头部门时，由{default_lead}牵头。"
        if zh
        else f"- Without a rule naming a lead: {default_lead}."
    )
    used = sorted(
        {d for r in policy.rules for d in _departments(r)} | {config.default_lead},
        key=list(config.departments).index,
    )
    lines += ["", "## 部门" if zh else "## Departments", ""]
    lines += ["| 代码 | 名称 |" if zh else "| Code | Name |", "|---|---|"]
    lines += [f"| `{code}` | {_cell(config.departments[code].get(lang))} |" for code in used]
    lines += ["", "## 审核签字" if zh else "## Review and sign-off", ""]
    lines.append(
        "审核人确认已阅读以上全部规则，并核对 SHA-256 与待上线文件一致。"
        if zh
        else "The reviewers have read every rule above and checked that the SHA-256 matches "
        "the file to be deployed."
    )
    lines += [
        "",
        "| 姓名 | 职务 | 日期 | 签字 |" if zh else "| Name | Role | Date | Signature |",
        "|---|---|---|---|",
        "|  |  |  |  |",
        "|  |  |  |  |",
    ]
    text = "\n".join(lines) + "\n"
    return text if fmt == "md" else _html(text, title)


def _html(markdown: str, title: str) -> str:
    """A self-contained HTML page for the same content (escaped; no scripts)."""
    body: list[str] = []
    in_table = False
    for line in markdown.splitlines():
        if line.startswith("|"):
            cells = [
                c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", line.strip()[1:-1])
            ]
            if all(set(c) <= {"-"} for c in cells):
                continue
            tag = "th" if not in_table else "td"
            if not in_table:
                body.append("<table>")
                in_table = True
            body.append("<tr>" + "".join(f"<{tag}>{_inline(c)}</{tag}>" for c in cells) + "</tr>")
            continue
        if in_table:
            body.append("</table>")
            in_table = False
        if line.startswith("### "):
            body.append(f"<h3>{_inline(line[4:])}</h3>")
        elif line.startswith("## "):
            body.append(f"<h2>{_inline(line[3:])}</h2>")
        elif line.startswith("# "):
            body.append(f"<h1>{_inline(line[2:])}</h1>")
        elif line.startswith("- "):
            body.append(f"<p>• {_inline(line[2:])}</p>")
        elif line.strip():
            body.append(f"<p>{_inline(line)}</p>")
    if in_table:
        body.append("</table>")
    style = (
        "body{font-family:sans-serif;max-width:60em;margin:2em auto;line-height:1.5}"
        "table{border-collapse:collapse}td,th{border:1px solid #999;padding:.3em .5em}"
    )
    return (
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><title>{html.escape(title)}'
        f"</title><style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _inline(text: str) -> str:
    out = html.escape(text)
    for mark, tag in (("**", "strong"), ("`", "code"), ("*", "em")):
        pieces = out.split(mark)
        if len(pieces) % 2 == 1 and len(pieces) > 1:
            out = "".join(p if i % 2 == 0 else f"<{tag}>{p}</{tag}>" for i, p in enumerate(pieces))
    return out
