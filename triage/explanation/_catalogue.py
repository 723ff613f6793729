"""Every sentence the explanations use, in Chinese and English, in one place.

A message is a pair of templates (zh, en) filled with `str.format`; `say` picks the
language and fills it. Punctuation differs between the languages too (`、` and `, `,
full-width brackets), so it is in the catalogue as well. Adding a language means
adding one column here.
"""

from __future__ import annotations

from typing import Any

from .._lang import check_lang

__all__ = ["MESSAGES", "duration_words", "instrument_level", "say"]

MESSAGES: dict[str, tuple[str, str]] = {
    # punctuation
    "sep": ("、", ", "),
    "semi": ("；", "; "),
    "colon": ("：", ": "),
    "comma": ("，", ", "),
    "paren": ("（{}）", " ({})"),
    # headings
    "report": ("报告", "Report"),
    "level": ("风险等级", "Risk level"),
    "priority": ("优先级", "Priority"),
    "flags": ("处置标记", "Flags"),
    "none": ("无", "none"),
    "instruments": ("评估工具", "Instruments"),
    "rules": ("触发的规则", "Rules that fired"),
    "because": ("因为", "because"),
    "still_unknown": ("尚不清楚（不作为理由）", "not known (not a reason)"),
    "result": ("结果", "so"),
    "gaps": ("信息缺失（最关键的在前）", "Information gaps (most decisive first)"),
    "policy": ("策略", "Policy"),
    "library": ("库版本", "library version"),
    "derived": ("推定的回答", "Derived answers"),
    "engine_error": (
        "规则引擎故障：未能完成评估，须立即人工复核。",
        "Rule engine failure: the rules could not be applied; manual review now.",
    ),
    # the report and its level
    "report_line": (
        "{report} {id}（{source}，{case_type}{retyped}）",
        "{report} {id} ({source}, {case_type}{retyped})",
    ),
    "retyped": ("，按{case_type}处理", ", assessed as {case_type}"),
    "level_could_be": (
        "（若未知项为“是”可能为{label}）",
        " (could be {code} if unknown answers were yes)",
    ),
    "pj_raised": ("专业判断提高至{label}", "raised to {code} by professional judgement"),
    "pj_confirmed": ("专业判断为{label}，与规则一致", "professional judgement agrees ({code})"),
    "pj_lowered": (
        "依据专业判断并说明理由降至{label}",
        "lowered to {code} by a reasoned professional judgement",
    ),
    "pj_downgrade_refused": (
        "专业判断为{label}，低于规则结果，未采纳（策略不允许降级或未说明理由）",
        "professional judgement of {code} is below the rules and was recorded but not applied",
    ),
    # values
    "not_given": ("未提供", "not given"),
    "true": ("是", "true"),
    "false": ("否", "false"),
    # what a rule did
    "raised_level": ("风险等级由{a_label}提高到{b_label}", "raised the level from {a} to {b}"),
    "level_met": ("要求风险等级至少为{label}（已满足）", "asked for at least {code} (already met)"),
    "raised_priority": ("优先级由{a}提高到{b}", "raised the priority from {a} to {b}"),
    "added_flags": ("新增标记：{flags}", "added {flags}"),
    "lead_is": ("牵头部门：{label}", "lead: {label}"),
    "co_handlers_are": ("协办部门：{labels}", "co-handlers: {labels}"),
    "note": ("备注：{text}", "note: {text}"),
    "nothing_new": ("无新变化", "nothing new"),
    # instruments and the model
    "score": ("得分 {score}", "score {score}"),
    "score_range": (
        "得分 {score}（未回答项全为“是”时最高 {score_max}）",
        "score {score} (up to {score_max} if every unanswered item were yes)",
    ),
    "instrument_level": ("等级 {level}", "level {level}"),
    "instrument_level_range": (
        "等级 {level}（最高可能 {level_max}）",
        "level {level} (could be {level_max})",
    ),
    "odara_rate": ("，常模再犯率 {rate:.0%}", ", normative recidivism {rate:.0%}"),
    "officer_belief": ("（依据评估人员判断）", " (on the officer's belief)"),
    "outside_population": (
        "；不适用于此类关系，仅供参考",
        "; outside its population, for reference",
    ),
    "instrument_line": ("  - {title}：{body}", "  - {title}: {body}"),
    "synthetic": (
        "（合成数据训练，未经真实人群验证）",
        " (trained on synthetic data; not validated on real people)",
    ),
    "model_span": ("，未知项为“是”时 {p:.2f}", ", {p:.2f} if every unknown were yes"),
    "model_line": (
        "  - 统计模型{synthetic}：估计概率 {p:.2f}{span}，档位 {band}；主要因素：{factors}",
        "  - statistical model{synthetic}: estimate {p:.2f}{span}, band {band}; "
        "main factors: {factors}",
    ),
    "not_applicable": ("（不适用）", " (n/a)"),
    "flagged": ("已标记：{label}", "flagged: {label}"),
    "band_low": ("低", "low"),
    "band_moderate": ("中", "moderate"),
    "band_high": ("高", "high"),
    "band_very_high": ("很高", "very high"),
    "from_history": ("本案既往报告 {id} 的回答", "the answer in the case's earlier report {id}"),
    "case_title": ("本案", "The case"),
    "case_line": (
        "  - 案件 {case}：既往报告 {n} 份（12个月内 {n12} 份，来自 {sources} 个渠道），"
        "距上次 {days} 天；上一次决定为{previous}",
        "  - case {case}: {n} earlier reports ({n12} in 12 months, by {sources} channels), the "
        "last {days} days ago; the last decision was {previous}",
    ),
    "case_opened": (
        "  - 办结期限和回访自 {at} 起算{reopened}",
        "  - the closure deadline and the visits count from {at}{reopened}",
    ),
    "case_reopened": ("（本报告在结案后重新开启案件）", " (this report reopened the closed case)"),
    "case_held": (
        "  - 复评期（{until}）前不降级：本案维持{level}及安全标记（{flags}），依据报告 {by} 的决定",
        "  - no lowering before the review date ({until}): the case keeps {level} and its safety "
        "flags ({flags}), held by the decision on report {by}",
    ),
    "case_new_red_flags": ("  - 新出现的红旗：{items}", "  - red flags new in this case: {items}"),
    "case_contradiction": (
        "  - 需复核：{indicator} 在报告 {id} 中为“是”，本次为“否”；按“是”处理",
        "  - to review: {indicator} was yes in report {id} and is no now; yes is kept",
    ),
    "case_changed": (
        "  - 自报告 {id} 以来由“是”变为“否”：{indicator}",
        "  - yes in report {id}, no now: {indicator}",
    ),
    "case_handover": (
        "  - 牵头部门由{from_lead}移交{to_lead}（规则 {rule}）",
        "  - the lead passes from {from_lead} to {to_lead} (rule {rule})",
    ),
    "derived_line": (
        "  - {indicator} = 是，因为 {because}",
        "  - {indicator} = yes, because {because}",
    ),
    # rules and gaps
    "rule_source": ("（依据：{source}）", " (source: {source})"),
    "no_rules": ("  （无）", "  (none)"),
    "raise_to": ("风险等级提高到{label}", "raise the level to {code}"),
    "add": ("新增{flags}", "add {flags}"),
    "remove": ("取消{flags}", "remove {flags}"),
    "yes_alone": ("回答“是”即可{effects}", "a yes alone would {effects}"),
    "yes_jointly": (
        "与其他未回答项一起可能{effects}",
        "with other unanswered items it could {effects}",
    ),
    "affects_rules": ("影响规则结果", "affects the rules"),
    "more_gaps": (
        "  - ……另有 {n} 项（见决定中的 information_gaps）",
        "  - ... and {n} more (see information_gaps in the decision)",
    ),
    "policy_line": (
        "{policy}：{id} {version}（{jurisdiction}），sha256 {sha256}；{library} {library_version}",
        "{policy}: {id} {version} ({jurisdiction}), sha256 {sha256}; {library} {library_version}",
    ),
    # routing
    "rule_n": ("（规则 {rule}）", " (rule {rule})"),
    "by_default": ("（默认）", " (default)"),
    "routing_lead": ("分派：牵头部门 {lead}{why}", "Routing: lead {lead}{why}"),
    "routing_co": ("  协办部门：{labels}", "  co-handlers: {labels}"),
    "routing_tasks": ("  任务：", "  tasks:"),
    "task_basis": ("（依据：{basis}）", " (basis: {basis})"),
    "task_counted": ("，自“{label}”期限起算", ", counted from '{label}'"),
    "task_override": (
        "；未经同意，依法定义务办理：{duty}",
        "; without consent, under a legal duty: {duty}",
    ),
    "task_line": (
        "    - {department}：{action}，期限 {due}{rest}",
        "    - {department}: {action} by {due}{rest}",
    ),
    "past_holidays": (
        "  注意：部分期限按工作日计算，晚于节假日表的最后日期 {end}；此后每个非周末日都"
        "计为工作日（期限只会更早）",
        "  note: some working-day dates fall after the last listed holiday ({end}); "
        "every weekday was counted there (deadlines can only be earlier)",
    ),
    "no_holidays": (
        "  注意：按工作日计算期限，但政策未列出节假日；每个非周末日都计为工作日",
        "  note: working days are counted, but the policy lists no holidays; "
        "every weekday was counted",
    ),
    "withheld_action": ("{department}（{action}）", "{department} ({action})"),
    "withheld": (
        "  因未获同意且无法定义务而未分派：{items}",
        "  not referred (no consent and no legal duty): {items}",
    ),
    "follow_ups": ("  回访：{dates}", "  follow-up visits: {dates}"),
    "reassess": ("  复评期限：{date}", "  re-assess by: {date}"),
    # the rulebook
    "rb_policy": ("策略编号", "Policy"),
    "rb_version": ("版本", "Version"),
    "rb_jurisdiction": ("辖区", "Jurisdiction"),
    "rb_effective": ("生效日期", "Effective from"),
    "rb_timezone": ("时区", "Time zone"),
    "rb_downgrades": ("允许有理由的降级", "Reasoned downgrades allowed"),
    "yes": ("是", "yes"),
    "no": ("否", "no"),
    "rb_meta_line": ("- **{name}**：{value}", "- **{name}**: {value}"),
    "rb_how_title": ("## 如何决定", "## How this policy decides"),
    "rb_how": (
        "每条规则在条件成立时提出要求：最低风险等级、最低优先级、标记、牵头部门和任务。"
        "最终风险等级取所有要求中最高者；规则只会提高，不会降低。专业人员的判断可以提高等级，"
        "但{downgrade}。未回答的问题不视为“否”：系统会另算“若未知项为是”时的最高等级，"
        "并据此标记信息缺口。同一任务有多个期限时取最早者；未经当事人同意，"
        "除牵头部门或有法定依据外，不向其他部门分派任务。",
        "Each rule, when its condition holds, asks for something: a minimum risk level, a "
        "minimum priority, flags, a lead department, tasks. The risk level is the highest "
        "asked for; rules only raise, never lower. A professional judgement may raise the "
        "level, but {downgrade}. An unanswered question is never taken as 'no': the level is "
        "also worked out as if every unknown answer were 'yes', and the difference is flagged "
        "as an information gap. When a task is asked for with several deadlines the earliest "
        "wins; without the person's consent, tasks go only to the lead department, or to "
        "others where a legal duty is named.",
    ),
    "rb_may_lower": ("有书面理由时可以降低", "may lower it when a reason is recorded"),
    "rb_may_not_lower": ("不能降低", "may not lower it"),
    "rb_rules_title": ("## 规则", "## Rules"),
    "rb_when": ("**当** {when}**时**：{effect}", "**When** {when}: {effect}"),
    "rb_source": ("*依据：{source}*", "*Source: {source}*"),
    "rb_level": ("风险等级至少为{label}", "the risk level is at least {label}"),
    "rb_priority": ("优先级至少为{p}（{label}）", "the priority is at least {p} ({label})"),
    "rb_flags": ("标记：{names}", "flags: {names}"),
    "rb_lead": (
        "牵头部门：{label}（优先度 {precedence}）",
        "lead: {label} (precedence {precedence})",
    ),
    "rb_co": ("协办：{names}", "co-handlers: {names}"),
    "rb_the_lead": ("牵头部门", "the lead"),
    "rb_after": ("（自“{label}”期限起算）", " after '{label}'"),
    "rb_task": ("{dept}在{due}内{action}{start}", "{dept}: {action} within {due}{start}"),
    "rb_duty": ("未经同意亦可办理的法定依据：{duty}", "goes ahead without consent under: {duty}"),
    "rb_note": ("备注：{text}", "note: {text}"),
    "rb_end": ("。", "."),
    "rb_routing_title": ("## 分派与期限", "## Routing and deadlines"),
    "rb_routing_head": (
        "| 规则 | 牵头部门 | 部门 | 任务 | 期限 | 依据 |",
        "| Rule | Lead | Department | Task | Due | Basis |",
    ),
    "rb_due_after": ("（自 {after} 起）", " after {after}"),
    "rb_schedule_title": ("## 回访与复评", "## Follow-up and re-assessment"),
    "rb_working": ("工作日", "working"),
    "rb_calendar": ("自然日", "calendar"),
    "rb_days": (
        "- 期限按{days}计算，时区 {tz}。",
        "- Day deadlines count {days} days, time zone {tz}.",
    ),
    "rb_follow_ups": (
        "- 回访：报告后 {durations}。",
        "- Follow-up visits: {durations} after the report.",
    ),
    "rb_reassess": (
        "- {label}风险：{within} 内复评。",
        "- {Label} risk: re-assess within {within}.",
    ),
    "rb_default_lead": (
        "- 无规则指定牵头部门时，由{label}牵头。",
        "- Without a rule naming a lead: {label}.",
    ),
    "rb_departments_title": ("## 部门", "## Departments"),
    "rb_own_sources_title": ("## 本策略自定义的案源渠道", "## This policy's own sources"),
    "rb_own_flags_title": ("## 本策略自定义的处置标记", "## This policy's own flags"),
    "rb_departments_head": ("| 代码 | 名称 |", "| Code | Name |"),
    "rb_sign_title": ("## 审核签字", "## Review and sign-off"),
    "rb_sign_text": (
        "审核人确认已阅读以上全部规则，并核对 SHA-256 与待上线文件一致。",
        "The reviewers have read every rule above and checked that the SHA-256 matches "
        "the file to be deployed.",
    ),
    "rb_sign_head": ("| 姓名 | 职务 | 日期 | 签字 |", "| Name | Role | Date | Signature |"),
    "odara_bin": ("{bin} 分", "score {bin}"),
    "at_once": ("立即", "at once"),
    "rb_instruments_title": ("## 评估工具", "## Instruments"),
    "rb_instrument": (
        "- **{name}**（版本 {version}）：{levels}",
        "- **{name}** (version {version}): {levels}",
    ),
    "rb_cutoff": ("{score} 分及以上为{level}", "{level} from {score}"),
    "rb_lap_rule": (
        "第1至3题任一为“是”{strangulation}、或第4至11题中4项及以上为“是”、或评估人员认为危险，即{level}",
        "{level} on a yes to any of questions 1-3{strangulation}, on 4 or more yes answers to "
        "questions 4-11, or on the officer's belief",
    ),
    "rb_lap_strangulation": (
        "（2.0版另加第5题掐脖）",
        " (version 2.0: also question 5, strangulation)",
    ),
    "rb_bins": (
        "按得分分档：{bins}（各档有常模再犯率）",
        "score bins {bins}, each with a normative recidivism rate",
    ),
    # conditions, in words
    "op_==": ("为", "is"),
    "op_!=": ("不为", "is not"),
    "op_<": ("小于", "is below"),
    "op_<=": ("不大于", "is at most"),
    "op_>": ("大于", "is above"),
    "op_>=": ("不小于", "is at least"),
    "op_in": ("属于", "is one of"),
    "op_not_in": ("不属于", "is none of"),
    "cond_given": ("已提供{label}", "{label} is given"),
    "cond_not_given": ("未提供{label}", "{label} is not given"),
    "cond_not_bool": ("并非{label}", "not {label}"),
    "cond_test": ("{label}{op}{value}", "{label} {op} {value}"),
    "cond_not": ("并非（{inner}）", "not ({inner})"),
    "cond_every": ("每宗案件", "every case"),
    "cond_and": ("，且", "; and "),
    "cond_any": ("以下任一：{items}", "any of: {items}"),
    "cond_or": ("；或", "; or "),
    "cond_item": ("（{}）", "({})"),
    "priority_value": ("{p}（{label}）", "{p} ({label})"),
    "quoted": ("“{}”", "{}"),
}


# The instruments' own level codes, in words (the codes stay in the data).
INSTRUMENT_LEVELS: dict[str, tuple[str, str]] = {
    "variable": ("风险不定", "variable danger"),
    "increased": ("风险增加", "increased danger"),
    "severe": ("严重危险", "severe danger"),
    "extreme": ("极端危险", "extreme danger"),
    "standard": ("一般", "standard"),
    "medium": ("中等", "medium"),
    "high": ("高", "high"),
    "screened_in": ("筛查阳性", "screened in"),
    "not_screened_in": ("筛查阴性", "not screened in"),
}

_UNITS = {
    "s": ("{n} 秒", "{n} second", "{n} seconds"),
    "m": ("{n} 分钟", "{n} minute", "{n} minutes"),
    "h": ("{n} 小时", "{n} hour", "{n} hours"),
    "d": ("{n} 天", "{n} day", "{n} days"),
}


def instrument_level(code: str, lang: str) -> str:
    """An instrument's level code in words; an ODARA bin is a score range."""
    if code in INSTRUMENT_LEVELS:
        zh, en = INSTRUMENT_LEVELS[code]
        return zh if check_lang(lang) == "zh" else en
    return say("odara_bin", lang, bin=code)


def duration_words(text: str, lang: str) -> str:
    """A policy duration (``24h``, ``15d``, ``0s``) in words: ``24 hours``, ``24 小时``."""
    number, unit = int(text[:-1]), text[-1]
    if number == 0:
        return say("at_once", lang)
    zh, one, many = _UNITS[unit]
    template = zh if check_lang(lang) == "zh" else one if number == 1 else many
    return template.format(n=number)


def say(key: str, lang: str, *args: Any, **values: Any) -> str:
    """The message ``key`` in ``lang``, filled with ``values``."""
    zh, en = MESSAGES[key]
    template = zh if check_lang(lang) == "zh" else en
    return template.format(*args, **values) if args or values else template
