"""Decisions rendered as plain sentences, in Chinese or English."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .._lang import DEFAULT_LANG, check_lang
from ..decision import RoutingPlan
from ..risk import CAVEATS, INSTRUMENTS
from ..rules._facts import FACTS
from ..vocab import CASE_TYPES, DEPARTMENTS, FLAGS, LEVELS, PRIORITIES, SOURCES, TRI

if TYPE_CHECKING:
    from ..decision import Decision

__all__ = ["explain", "fact_label", "value_label"]

_MAX_GAPS = 10  # the decision keeps every gap; an explanation lists the most decisive

_T = {
    "report": ("报告", "Report"),
    "level": ("风险等级", "Risk level"),
    "priority": ("优先级", "Priority"),
    "flags": ("处置标记", "Flags"),
    "none": ("无", "none"),
    "instruments": ("评估工具", "Instruments"),
    "rules": ("触发的规则", "Rules that fired"),
    "because": ("因为", "because"),
    "result": ("结果", "so"),
    "gaps": ("信息缺失（最关键的在前）", "Information gaps (most decisive first)"),
    "policy": ("策略", "Policy"),
    "library": ("库版本", "library version"),
    "derived": ("推定的回答", "Derived answers"),
    "engine_error": (
        "规则引擎故障：未能完成评估，须立即人工复核。",
        "Rule engine failure: the rules could not be applied; manual review now.",
    ),
}


def t(key: str, lang: str) -> str:
    zh, en = _T[key]
    return zh if lang == "zh" else en


_BANDS = {
    "zh": {"low": "低", "moderate": "中", "high": "高", "very_high": "很高"},
    "en": {"low": "low", "moderate": "moderate", "high": "high", "very_high": "very high"},
}


def fact_label(name: str, lang: str) -> str:
    fact = FACTS.get(name)
    if fact is None:
        return name
    return fact.zh if lang == "zh" else fact.en


def value_label(name: str, value: Any, lang: str) -> str:
    if value is None:
        return "未提供" if lang == "zh" else "not given"
    fact = FACTS.get(name)
    if isinstance(value, bool):
        return ("是" if value else "否") if lang == "zh" else ("true" if value else "false")
    if fact is not None and fact.kind == "tri":
        return TRI.label(str(value), lang)
    if name in ("decision.level", "decision.level_max", "professional_judgement.level"):
        return LEVELS.label(str(value), lang)
    if name == "decision.priority":
        return f"{value} {PRIORITIES.label(str(value), lang)}"
    if name == "source":
        return SOURCES.label(str(value), lang)
    if name == "case_type":
        return CASE_TYPES.label(str(value), lang)
    return str(value)


def _flags(codes: Any, lang: str) -> str:
    sep = "、" if lang == "zh" else ", "
    return sep.join(FLAGS.label(f, lang) for f in codes) or t("none", lang)


def _rule_effect(entry: Any, lang: str) -> str:
    zh = lang == "zh"
    parts = []
    if entry.raised_level:
        a, b = entry.raised_level
        parts.append(
            f"风险等级由{LEVELS.label(a, 'zh')}提高到{LEVELS.label(b, 'zh')}"
            if zh
            else f"raised the level from {a} to {b}"
        )
    elif entry.level:
        parts.append(
            f"要求风险等级至少为{LEVELS.label(entry.level, 'zh')}（已满足）"
            if zh
            else f"asked for at least {entry.level} (already met)"
        )
    if entry.raised_priority:
        a, b = entry.raised_priority
        parts.append(f"优先级由{a}提高到{b}" if zh else f"raised the priority from {a} to {b}")
    if entry.added_flags:
        parts.append(("新增标记：" if zh else "added ") + _flags(entry.added_flags, lang))
    if entry.lead:
        parts.append(("牵头部门：" if zh else "lead: ") + DEPARTMENTS.label(entry.lead, lang))
    if entry.co_handlers:
        sep = "、" if zh else ", "
        parts.append(
            ("协办部门：" if zh else "co-handlers: ")
            + sep.join(DEPARTMENTS.label(d, lang) for d in entry.co_handlers)
        )
    if entry.note:
        parts.append(("备注：" if zh else "note: ") + entry.note.get(lang))
    if not parts:
        return "无新变化" if zh else "nothing new"
    return ("；" if zh else "; ").join(parts)


def _instrument_line(name: str, r: Any, lang: str) -> str:
    zh = lang == "zh"
    instrument = INSTRUMENTS[name]
    title = instrument.name(lang)
    if r.score == r.score_max:
        score = f"得分 {r.score}" if zh else f"score {r.score}"
    else:
        score = (
            f"得分 {r.score}（未回答项全为“是”时最高 {r.score_max}）"
            if zh
            else f"score {r.score} (up to {r.score_max} if every unanswered item were yes)"
        )
    level = (
        f"等级 {r.level}"
        if r.level == r.level_max
        else (
            f"等级 {r.level}（最高可能 {r.level_max}）"
            if zh
            else f"level {r.level} (could be {r.level_max})"
        )
    )
    if not zh and r.level == r.level_max:
        level = f"level {r.level}"
    extra = ""
    if name == "odara":
        extra = (
            f"，常模再犯率 {r.recidivism_rate:.0%}"
            if zh
            else f", normative recidivism {r.recidivism_rate:.0%}"
        )
    if name == "lethality_screen" and r.screened_in_by == "officer_belief":
        extra = "（依据评估人员判断）" if zh else " (on the officer's belief)"
    if not r.applies:
        extra += "；不适用于此类关系，仅供参考" if zh else "; outside its population, for reference"
    caveats = "".join(f"；{CAVEATS[c][0]}" if zh else f"; {CAVEATS[c][1]}" for c in r.caveats)
    sep = "，" if zh else ", "
    return (
        f"  - {title}：{score}{sep}{level}{extra}{caveats}"
        if zh
        else (f"  - {title}: {score}{sep}{level}{extra}{caveats}")
    )


def _effects(level: str | None, add: Any, remove: Any, lang: str) -> list[str]:
    zh = lang == "zh"
    parts = []
    if level:
        parts.append(
            f"风险等级提高到{LEVELS.label(level, lang)}" if zh else f"raise the level to {level}"
        )
    if add:
        parts.append(("新增" if zh else "add ") + _flags(add, lang))
    if remove:
        parts.append(("取消" if zh else "remove ") + _flags(remove, lang))
    return parts


def _gap_text(gap: Any, lang: str) -> str:
    zh = lang == "zh"
    sep = "、" if zh else ", "
    out = []
    solo = _effects(gap.could_raise_level_to, gap.could_add_flags, gap.could_remove_flags, lang)
    if solo:
        out.append(("回答“是”即可" if zh else "a yes alone would ") + sep.join(solo))
    joint = _effects(gap.jointly_raise_level_to, gap.jointly_add_flags, (), lang)
    if joint:
        out.append(
            ("与其他未回答项一起可能" if zh else "with other unanswered items it could ")
            + sep.join(joint)
        )
    return ("；" if zh else "; ").join(out) or ("影响规则结果" if zh else "affects the rules")


def explain(d: Decision, lang: str = DEFAULT_LANG) -> str:
    check_lang(lang)
    zh = lang == "zh"
    colon = "：" if zh else ": "
    lines = [
        f"{t('report', lang)} {d.report_id}"
        f"（{SOURCES.label(d.source, lang)}，{CASE_TYPES.label(d.case_type, lang)}）"
        if zh
        else f"{t('report', lang)} {d.report_id} ({SOURCES.label(d.source, lang)}, "
        f"{CASE_TYPES.label(d.case_type, lang)})"
    ]
    if d.status == "engine_error":
        lines.append(t("engine_error", lang))
    level = LEVELS.label(d.risk_level, lang)
    if d.risk_level_max != d.risk_level:
        level += (
            f"（若未知项为“是”可能为{LEVELS.label(d.risk_level_max, lang)}）"
            if zh
            else f" (could be {d.risk_level_max} if unknown answers were yes)"
        )
    pj = d.professional_judgement
    if pj is not None:
        pj_level = LEVELS.label(pj.level, lang)
        pj_text = {
            "raised": (
                f"专业判断提高至{pj_level}",
                f"raised to {pj.level} by professional judgement",
            ),
            "confirmed": (
                f"专业判断为{pj_level}，与规则一致",
                f"professional judgement agrees ({pj.level})",
            ),
            "lowered": (
                f"依据专业判断并说明理由降至{pj_level}",
                f"lowered to {pj.level} by a reasoned professional judgement",
            ),
            "downgrade_refused": (
                f"专业判断为{pj_level}，低于规则结果，未采纳（策略不允许降级或未说明理由）",
                f"professional judgement of {pj.level} is below the rules and was "
                "recorded but not applied",
            ),
        }[pj.effect]
        level += f"（{pj_text[0]}）" if zh else f" ({pj_text[1]})"
    lines.append(f"{t('level', lang)}{colon}{level}")
    lines.append(f"{t('priority', lang)}{colon}{d.priority} {PRIORITIES.label(d.priority, lang)}")
    lines.append(f"{t('flags', lang)}{colon}{_flags(d.flags, lang)}")
    lines.append(f"{t('instruments', lang)}{colon}")
    lines.extend(_instrument_line(name, r, lang) for name, r in d.instruments.items())
    if d.model is not None:
        m = d.model
        synthetic = (
            "（合成数据训练，未经真实人群验证）"
            if zh
            else " (trained on synthetic data; not validated on real people)"
        )
        span = (
            ""
            if m.probability_max == m.probability
            else (
                f"，未知项为“是”时 {m.probability_max:.2f}"
                if zh
                else f", {m.probability_max:.2f} if every unknown were yes"
            )
        )
        sep = "、" if zh else ", "
        factors = sep.join(fact_label(name, lang) for name, _ in m.top_factors) or "—"
        lines.append(
            f"  - 统计模型{synthetic if m.synthetic else ''}：估计概率 {m.probability:.2f}"
            f"{span}，档位 {_BANDS['zh'][m.band]}；主要因素：{factors}"
            if zh
            else f"  - statistical model{synthetic if m.synthetic else ''}: estimate "
            f"{m.probability:.2f}{span}, band {_BANDS['en'][m.band]}; main factors: {factors}"
        )
    if d.derived_indicators:
        lines.append(f"{t('derived', lang)}{colon}")
        for dv in d.derived_indicators:
            because = (
                "、".join(fact_label(b, lang) for b in dv.because)
                if zh
                else ", ".join(fact_label(b, lang) for b in dv.because)
            )
            lines.append(
                f"  - {fact_label('indicators.' + dv.indicator, lang)}"
                + (f" = 是，因为 {because}" if zh else f" = yes, because {because}")
            )
    lines.append(f"{t('rules', lang)}{colon}")
    for n, entry in enumerate(d.trace, 1):
        source = (
            (f"（依据：{entry.source}）" if zh else f" (source: {entry.source})")
            if (entry.source)
            else ""
        )
        lines.append(f"  {n}. [{entry.rule}] {entry.description.get(lang)}{source}")
        reasons = ("；" if zh else "; ").join(
            f"{fact_label(k, lang)} = {value_label(k, v, lang)}" for k, v in entry.read.items()
        )
        if reasons:
            lines.append(f"     {t('because', lang)}{colon}{reasons}")
        lines.append(f"     {t('result', lang)}{colon}{_rule_effect(entry, lang)}")
    if not d.trace:
        lines.append("  （无）" if zh else "  (none)")
    if d.information_gaps:
        lines.append(f"{t('gaps', lang)}{colon}")
        shown = 0
        for gap in d.information_gaps:
            shown += 1
            if shown > _MAX_GAPS:
                continue
            lines.append(f"  - {fact_label(gap.fact, lang)}{colon}{_gap_text(gap, lang)}")
        if shown > _MAX_GAPS:
            more = shown - _MAX_GAPS
            lines.append(
                f"  - ……另有 {more} 项（见决定中的 information_gaps）"
                if zh
                else f"  - ... and {more} more (see information_gaps in the decision)"
            )
    if d.routing is not None:
        lines.extend(explain_routing(d.routing, lang))
    p = d.policy
    lines.append(
        f"{t('policy', lang)}{colon}{p.id} {p.version}（{p.jurisdiction}），sha256 {p.sha256}；"
        f"{t('library', lang)} {d.library_version}"
        if zh
        else f"{t('policy', lang)}{colon}{p.id} {p.version} ({p.jurisdiction}), sha256 {p.sha256}; "
        f"{t('library', lang)} {d.library_version}"
    )
    return "\n".join(lines)


# -- words ------------------------------------------------------------------------------------


def explain_routing(plan: RoutingPlan, lang: str = DEFAULT_LANG) -> list[str]:
    check_lang(lang)
    zh = lang == "zh"

    def label(code: str) -> str:
        t = plan.labels.get(code)
        return t.get(lang) if t is not None else code

    sep = "、" if zh else ", "
    lines = []
    why = (
        (f"（规则 {plan.lead_rule}）" if zh else f" (rule {plan.lead_rule})")
        if (plan.lead_rule)
        else ("（默认）" if zh else " (default)")
    )
    lines.append(("分派：牵头部门 " if zh else "Routing: lead ") + label(plan.lead) + why)
    if plan.co_handlers:
        lines.append(
            ("  协办部门：" if zh else "  co-handlers: ")
            + sep.join(label(d) for d in plan.co_handlers)
        )
    lines.append("  任务：" if zh else "  tasks:")
    for t in plan.tasks:
        basis = (f"（依据：{t.basis}）" if zh else f" (basis: {t.basis})") if t.basis else ""
        counted = (
            ""
            if t.counted_from == "reported_at"
            else (
                f"，自“{label(t.counted_from)}”期限起算"
                if zh
                else f", counted from '{label(t.counted_from)}'"
            )
        )
        override = ""
        if t.consent_override:
            override = (
                f"；未经同意，依法定义务办理：{t.consent_override}"
                if zh
                else f"; without consent, under a legal duty: {t.consent_override}"
            )
        lines.append(
            f"    - {label(t.department)}：{label(t.action)}，期限 {t.due.isoformat()}"
            f"{counted}{basis}{override}"
            if zh
            else f"    - {label(t.department)}: {label(t.action)} by {t.due.isoformat()}"
            f"{counted}{basis}{override}"
        )
    if plan.past_holiday_list:
        end = plan.holidays_through
        lines.append(
            (
                f"  注意：部分期限按工作日计算，晚于节假日表的最后日期 {end}；此后每个非周末日都"
                "计为工作日（期限只会更早）"
                if end
                else "  注意：按工作日计算期限，但政策未列出节假日；每个非周末日都计为工作日"
            )
            if zh
            else (
                f"  note: some working-day dates fall after the last listed holiday ({end}); "
                "every weekday was counted there (deadlines can only be earlier)"
                if end
                else "  note: working days are counted, but the policy lists no holidays; "
                "every weekday was counted"
            )
        )
    if plan.withheld:
        items = [
            label(w.department) + (f"（{label(w.action)}）" if zh else f" ({label(w.action)})")
            if w.action
            else label(w.department)
            for w in plan.withheld
        ]
        lines.append(
            (
                "  因未获同意且无法定义务而未分派："
                if zh
                else "  not referred (no consent and no legal duty): "
            )
            + sep.join(items)
        )
    dates = sep.join(d.isoformat() for d in plan.follow_ups)
    lines.append(("  回访：" if zh else "  follow-up visits: ") + dates)
    lines.append(("  复评期限：" if zh else "  re-assess by: ") + plan.reassess_by.isoformat())
    return lines
