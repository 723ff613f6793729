"""A rulebook a non-programmer can review and sign off: every rule as a sentence."""

from __future__ import annotations

import html
import re
from typing import Any

from .._lang import DEFAULT_LANG, check_lang, pick
from ..risk import INSTRUMENTS
from ..rules._facts import FACTS
from ..rules._ir import All, Cond, Not, Test
from ..rules._policy import Policy
from ..vocab import FLAGS, LEVELS, PRIORITIES
from ._catalogue import duration_words, instrument_level, say
from ._text import own_labels, term, value_label

__all__ = ["describe", "rulebook"]


def _value(fact: str, value: Any, lang: str) -> str:
    if isinstance(value, tuple):
        return say("sep", lang).join(_value(fact, v, lang) for v in value)
    if fact in ("decision.level", "decision.level_max", "professional_judgement.level"):
        return LEVELS.label(str(value), lang)
    if fact == "decision.priority":
        return say("priority_value", lang, p=value, label=PRIORITIES.label(str(value), lang))
    shown = value_label(fact, value, lang)
    return say("quoted", lang, shown) if FACTS[fact].kind == "tri" else shown


def describe(cond: Cond, lang: str = DEFAULT_LANG) -> str:
    """A condition as a plain sentence."""
    check_lang(lang)
    if isinstance(cond, Test):
        return _test(cond, lang)
    if isinstance(cond, Not):
        return say("cond_not", lang, inner=describe(cond.item, lang))
    if not cond.items:
        return say("cond_every", lang)
    parts = [describe(c, lang) for c in cond.items]
    if isinstance(cond, All):
        return say("cond_and", lang).join(parts)
    items = say("cond_or", lang).join(say("cond_item", lang, p) for p in parts)
    return say("cond_any", lang, items=items)


def _test(cond: Test, lang: str) -> str:
    fact = FACTS[cond.fact]
    label = pick(fact.zh, fact.en, lang)
    if cond.op == "exists":
        return say("cond_given" if cond.value else "cond_not_given", lang, label=label)
    if fact.kind == "bool" and cond.op == "==":
        return label if cond.value else say("cond_not_bool", lang, label=label)
    return say(
        "cond_test",
        lang,
        label=label,
        op=say(f"op_{cond.op}", lang),
        value=_value(cond.fact, cond.value, lang),
    )


def _effect(rule: Any, policy: Policy, lang: str) -> str:
    """What a rule asks for, as one sentence."""
    t = rule.then
    config = policy.routing

    def department(code: str) -> str:
        return say("rb_the_lead", lang) if code == "lead" else config.departments[code].get(lang)

    parts = []
    if t.level:
        parts.append(say("rb_level", lang, label=LEVELS.label(t.level, lang)))
    if t.priority:
        parts.append(
            say("rb_priority", lang, p=t.priority, label=PRIORITIES.label(t.priority, lang))
        )
    if t.flags:
        names = say("sep", lang).join(term(FLAGS, f, lang) for f in t.flags)
        parts.append(say("rb_flags", lang, names=names))
    if t.lead:
        label = config.departments[t.lead].get(lang)
        parts.append(say("rb_lead", lang, label=label, precedence=rule.precedence))
    if t.co_handlers:
        names = say("sep", lang).join(config.departments[d].get(lang) for d in t.co_handlers)
        parts.append(say("rb_co", lang, names=names))
    for task in t.tasks:
        start = (
            ""
            if task.after is None
            else say("rb_after", lang, label=config.actions[task.after].get(lang))
        )
        action = config.actions[task.action].get(lang)
        due = duration_words(task.due, lang)
        parts.append(
            say("rb_task", lang, dept=department(task.department), due=due, action=action,
                start=start)
        )  # fmt: skip
    if t.legal_duty:
        parts.append(say("rb_duty", lang, duty=t.legal_duty))
    if t.note:
        parts.append(say("rb_note", lang, text=t.note[lang]))
    return say("semi", lang).join(parts) + say("rb_end", lang)


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
    with own_labels(policy.own_labels):
        return _rulebook(policy, lang, fmt)


def _rulebook(policy: Policy, lang: str, fmt: str) -> str:
    m = policy.meta
    title = (m.title or {}).get(lang) or m.id
    lines: list[str] = [f"# {title}", ""]
    lines += _header(policy, lang)
    lines += ["", say("rb_how_title", lang), ""]
    downgrade = say("rb_may_lower" if m.allow_downgrade else "rb_may_not_lower", lang)
    lines += [say("rb_how", lang, downgrade=downgrade)]
    lines += ["", say("rb_instruments_title", lang), ""]
    lines += _instruments(policy, lang)
    lines += ["", say("rb_rules_title", lang), ""]
    lines += _rules(policy, lang)
    lines += [say("rb_routing_title", lang), ""]
    lines += _routing_table(policy, lang)
    lines += ["", say("rb_schedule_title", lang), ""]
    lines += _schedule(policy, lang)
    lines += ["", say("rb_departments_title", lang), ""]
    lines += _departments_table(policy, lang)
    parsed = policy.extra["parsed"]
    for section, codes in (("sources", parsed.sources), ("flags", parsed.flags)):
        if codes:
            lines += ["", say(f"rb_own_{section}_title", lang), ""]
            lines += [say("rb_departments_head", lang), "|---|---|"]
            lines += [f"| `{code}` | {_cell(getattr(codes[code], lang))} |" for code in codes]
    lines += ["", say("rb_sign_title", lang), ""]
    lines += _sign_off(lang)
    text = "\n".join(lines) + "\n"
    return text if fmt == "md" else _html(text, title, lang)


def _instruments(policy: Policy, lang: str) -> list[str]:
    """Each instrument with the version this policy uses and its cut-offs."""
    lines = []
    for iid, instrument in INSTRUMENTS.items():
        options = policy.meta.instrument_options.get(iid, {})
        version = options.get("version", instrument.version)
        if iid == "lethality_screen":
            strangulation = say("rb_lap_strangulation", lang) if version == "lap-2.0" else ""
            levels = say(
                "rb_lap_rule",
                lang,
                strangulation=strangulation,
                level=instrument_level("screened_in", lang),
            )
        elif iid == "odara":
            bins = say("sep", lang).join(level for _, level in instrument.cutoffs)  # type: ignore[attr-defined]
            levels = say("rb_bins", lang, bins=bins)
        else:
            cutoffs = instrument.cutoffs  # type: ignore[attr-defined]
            levels = say("sep", lang).join(
                say("rb_cutoff", lang, score=score, level=instrument_level(level, lang))
                for score, level in cutoffs
            )
        lines.append(say("rb_instrument", lang, name=instrument.name(lang), version=version,
                         levels=levels))  # fmt: skip
    return lines


def _header(policy: Policy, lang: str) -> list[str]:
    m = policy.meta
    meta = [
        ("rb_policy", m.id),
        ("rb_version", m.version),
        ("rb_jurisdiction", m.jurisdiction),
        ("rb_effective", m.effective_from.isoformat()),
        ("rb_timezone", m.timezone),
        ("rb_downgrades", say("yes" if m.allow_downgrade else "no", lang)),
    ]
    lines = [say("rb_meta_line", lang, name=say(k, lang), value=v) for k, v in meta]
    return [*lines, say("rb_meta_line", lang, name="SHA-256", value=policy.sha256)]


def _rules(policy: Policy, lang: str) -> list[str]:
    lines = []
    for n, rule in enumerate(policy.rules, 1):
        lines += [f"### {n}. `{rule.id}`", "", rule.description[lang], ""]
        when = describe(rule.when, lang)
        lines.append(say("rb_when", lang, when=when, effect=_effect(rule, policy, lang)))
        if rule.source:
            lines += ["", say("rb_source", lang, source=rule.source)]
        lines.append("")
    return lines


def _routing_table(policy: Policy, lang: str) -> list[str]:
    config = policy.routing
    lines = [say("rb_routing_head", lang), "|---|---|---|---|---|---|"]
    for rule in policy.rules:
        lead = config.departments[rule.then.lead].get(lang) if rule.then.lead else ""
        if not rule.then.tasks and lead:
            lines.append(f"| `{rule.id}` | {_cell(lead)} |  |  |  |  |")
        for task in rule.then.tasks:
            dept = (
                say("rb_the_lead", lang)
                if task.department == "lead"
                else config.departments[task.department].get(lang)
            )
            due = duration_words(task.due, lang) + (
                say("rb_due_after", lang, after=task.after) if task.after else ""
            )
            lines.append(
                f"| `{rule.id}` | {_cell(lead)} | {_cell(dept)} "
                f"| {_cell(config.actions[task.action].get(lang))} "
                f"| {due} | {_cell(task.basis or '')} |"
            )
    return lines


def _schedule(policy: Policy, lang: str) -> list[str]:
    config = policy.routing
    days = say("rb_working" if config.working_days else "rb_calendar", lang)
    lines = [say("rb_days", lang, days=days, tz=config.timezone)]
    for _code, note_zh, note_en in config.notices():
        lines.append(pick(f"- {note_zh}。", f"- {note_en[0].upper()}{note_en[1:]}.", lang))
    durations = say("sep", lang).join(duration_words(d, lang) for d in config.follow_ups)
    lines.append(say("rb_follow_ups", lang, durations=durations))
    for level in LEVELS.codes:
        label = LEVELS.label(level, lang)
        lines.append(
            say("rb_reassess", lang, label=label, Label=label.capitalize(),
                within=duration_words(config.reassess[level], lang))
        )  # fmt: skip
    default_lead = config.departments[config.default_lead].get(lang)
    lines.append(say("rb_default_lead", lang, label=default_lead))
    return lines


def _departments_table(policy: Policy, lang: str) -> list[str]:
    config = policy.routing
    used = sorted(
        {d for r in policy.rules for d in _departments(r)} | {config.default_lead},
        key=list(config.departments).index,
    )
    lines = [say("rb_departments_head", lang), "|---|---|"]
    return lines + [f"| `{code}` | {_cell(config.departments[code].get(lang))} |" for code in used]


def _sign_off(lang: str) -> list[str]:
    return [
        say("rb_sign_text", lang),
        "",
        say("rb_sign_head", lang),
        "|---|---|---|---|",
        "|  |  |  |  |",
        "|  |  |  |  |",
    ]


def _html(markdown: str, title: str, lang: str) -> str:
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
        f'<!DOCTYPE html><html lang="{"zh-CN" if lang == "zh" else "en"}"><head>'
        f'<meta charset="utf-8"><title>{html.escape(title)}'
        f"</title><style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>\n"
    )


def _inline(text: str) -> str:
    out = html.escape(text)
    for mark, tag in (("**", "strong"), ("`", "code"), ("*", "em")):
        pieces = out.split(mark)
        if len(pieces) % 2 == 1 and len(pieces) > 1:
            out = "".join(p if i % 2 == 0 else f"<{tag}>{p}</{tag}>" for i, p in enumerate(pieces))
    return out
