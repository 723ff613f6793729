"""The facts a rule may test: their names, types, domains, and where they come from.

A fact has a dotted name (``indicators.strangulation``, ``victim.age``,
``instruments.dash.level``) and a kind:

- ``tri``: yes / no / unknown. Always present; "unknown" is a value.
- ``bool``: true / false. Always present.
- ``int`` / ``float``: numbers within a domain; may be missing.
- ``enum``: one of a list of codes; may be missing. ``ordered`` enums also
  compare with < and >.
- ``code``: free text code (e.g. a street); equality only; may be missing.

A comparison with a missing value is false; test ``exists`` to ask whether
a value was given. Derived facts (``decision.*``, ``flags.*``) are only
available to rules that run after every rule that can change them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from ..report._model import CODE_PATTERN
from ..report._normalise import tri
from ..risk import INSTRUMENTS
from ..vocab import (
    CASE_TYPES,
    CONTACT_KINDS,
    FLAGS,
    GENDERS,
    INDICATORS,
    LEVELS,
    PRIORITIES,
    RED_FLAGS,
    RELATIONSHIPS,
    SOURCES,
)

__all__ = ["FACTS", "MISSING", "Fact", "FactContext", "fact_names"]

Kind = Literal["tri", "bool", "int", "float", "enum", "code"]
MISSING: Any = object()

MINOR_AGE = 18  # 未成年人: under 18 (Civil Code Art. 17)
ELDERLY_AGE = 60  # 老年人: 60 and over (Law on the Rights and Interests of the Elderly, Art. 2)


@dataclass(frozen=True)
class FactContext:
    """What facts are read from for one evaluation."""

    report: Any  # triage.Report
    answers: Mapping[str, str]  # every indicator -> yes/no/unknown
    intimate: str  # yes/no/unknown: abuser is a current or former intimate partner
    instruments: Mapping[str, Any]  # instrument id -> result
    model: Any = None  # model output or None
    derived: Mapping[str, Any] | None = None  # decision.* and flags.* at this point
    separated: str = "unknown"  # yes/no/unknown: the intimate partners have separated
    case: Any = None  # triage.case.CaseFacts, when the report came with its case's history
    hold: Any = None  # triage.case.Hold: the level and safety flags the case holds to

    def with_derived(self, derived: Mapping[str, Any]) -> FactContext:
        """The same facts, with the decision so far."""
        return self.replaced(derived=derived)

    def replaced(self, **changes: Any) -> FactContext:
        """A copy with ``changes`` (``dataclasses.replace`` builds it through
        ``__init__``, and costs more than the strata it serves)."""
        new = object.__new__(FactContext)
        new.__dict__.update(self.__dict__)
        new.__dict__.update(changes)
        return new


@dataclass(frozen=True)
class Fact:
    name: str
    kind: Kind
    get: Callable[[FactContext], Any]
    zh: str
    en: str
    values: tuple[str, ...] = ()
    ordered: bool = False
    optional: bool = False
    lo: float | None = None
    hi: float | None = None
    derived: bool = False
    raises_risk: bool = False  # unknown may hide a yes that raises risk
    answer: str | None = None  # the indicator whose answer it is (``get`` reads answers[it])

    @property
    def numeric(self) -> bool:
        """Whether the fact holds a number (a count, an age, a score)."""
        return self.kind in ("int", "float")

    @property
    def operators(self) -> tuple[str, ...]:
        ops: tuple[str, ...]
        if self.kind in ("tri", "bool"):
            ops = ("==", "!=", "in", "not_in")
        elif self.numeric or (self.kind == "enum" and self.ordered):
            ops = ("==", "!=", "<", "<=", ">", ">=", "in", "not_in")
        else:
            ops = ("==", "!=", "in", "not_in")
        return (*ops, "exists") if self.optional else ops

    def domain(self) -> tuple[str, ...]:
        if self.kind == "tri":
            return ("yes", "no", "unknown")
        return self.values


Getter = Callable[[FactContext], Any]


def _answer(code: str) -> Getter:
    return lambda c: c.answers[code]


def _inline(get: Getter, *how: str) -> Getter:
    """``get``, marked with what it reads, so that generated code can read it in place
    (`triage.rules._native.build_getters`) instead of calling it: ``("yes_no", section,
    name)``, ``("optional", section, name)`` (a report field, MISSING where not given),
    ``("report", name)``, ``("context", name)``, ``("instrument", id, attribute)``,
    ``("derived", name)`` or ``("flag", code)``. Sections, names and attributes are the
    library's own identifiers."""
    get.inline = how  # type: ignore[attr-defined]
    return get


def _yes_no(section: str, name: str) -> Getter:
    """A true/false/not-given report field as yes/no/unknown."""
    return _inline(
        lambda c: tri(getattr(getattr(c.report, section), name)), "yes_no", section, name
    )


def _history(name: str) -> Getter:
    return _optional("history", name)


def _optional(section: str, name: str) -> Getter:
    """A report field, MISSING where it is not given."""
    return _inline(
        lambda c: _opt(getattr(getattr(c.report, section), name)), "optional", section, name
    )


def _minor(c: FactContext) -> str:
    """Under 18 by the age, or by the report's word when the age is not known; a
    report that says both ways is read the safer way (a minor)."""
    victim = c.report.victim
    by_age = _age_band(victim.age, lambda a: a < MINOR_AGE)
    if by_age == "yes" or victim.minor is True:
        return "yes"
    if by_age == "no" or victim.minor is False:
        return "no"
    return "unknown"


def _help_12m(report: Any) -> int | None:
    """Earlier help-seeking (not police) known to be within the 12 months before the report."""
    sought = report.history.help_sought
    if sought is None:
        return None
    return sum(1 for h in sought if h.months_ago is not None and h.months_ago < 12)


def _reports_12m(c: FactContext) -> Any:
    """Police calls and other help-seeking in the past 12 months: SafeLives counts
    incidents reported to any agency, not only police call-outs, toward escalation."""
    calls, helps = c.report.history.police_calls_12m, _help_12m(c.report)
    if calls is None and helps is None:
        return MISSING
    return (calls or 0) + (helps or 0)


def _help_failed(c: FactContext) -> str:
    """Yes when violence went on after earlier help; no only when every earlier
    help-seeking is recorded and each one stopped it."""
    sought = c.report.history.help_sought
    if sought is None:
        return "unknown"
    outcomes = {h.outcome or "unknown" for h in sought}
    if "violence_continued" in outcomes:
        return "yes"
    return "no" if outcomes <= {"violence_stopped"} else "unknown"


def _contact_days(c: FactContext) -> Any:
    """Days from the report's day to the upcoming contact (negative once it is past);
    missing when it is not dated."""
    contact = c.report.upcoming_contact
    if contact is None or contact.on is None:
        return MISSING
    return max(-3660, min(3660, (contact.on - c.report.reported_at.date()).days))


def _case(name: str) -> Getter:
    def get(c: FactContext) -> Any:
        value = getattr(c.case, name) if c.case is not None else None
        return MISSING if value is None else len(value) if isinstance(value, tuple) else value

    return get


def _level_rose(c: FactContext) -> bool:
    assert c.derived is not None, "derived facts are read only while a policy runs"
    if c.case is None:
        return False
    rank = LEVELS.rank
    return rank(c.derived["decision.level"]) > rank(c.case.previous_level)


def _instrument(iid: str, attribute: str) -> Getter:
    return _inline(lambda c: getattr(c.instruments[iid], attribute), "instrument", iid, attribute)


def _unknown_items(iid: str) -> Getter:
    return lambda c: len(c.instruments[iid].unknown)


def _derived(name: str) -> Getter:
    def get(c: FactContext) -> Any:
        assert c.derived is not None, "derived facts are read only while a policy runs"
        return c.derived[name]

    return _inline(get, "derived", name)


def _flag(code: str) -> Getter:
    def get(c: FactContext) -> Any:
        assert c.derived is not None, "derived facts are read only while a policy runs"
        return code in c.derived["flags"]

    return _inline(get, "flag", code)


def _could_rise(c: FactContext) -> Any:
    assert c.derived is not None, "derived facts are read only while a policy runs"
    return c.derived["decision.level_max"] != c.derived["decision.level"]


def _opt(value: Any) -> Any:
    return MISSING if value is None else value


def _age_band(age: int | None, test: Callable[[int], bool]) -> str:
    return "unknown" if age is None else "yes" if test(age) else "no"


def _build() -> dict[str, Fact]:
    """Every fact a rule may test, in the order the reference lists them."""
    sections = (
        _report_facts,
        _victim_facts,
        _abuser_facts,
        _children_facts,
        _history_facts,
        _request_facts,
        _context_facts,
        _case_facts,
        _count_facts,
        _instrument_facts,
        _model_facts,
        _decision_facts,
    )
    return {fact.name: fact for section in sections for fact in section()}


def _report_facts() -> list[Fact]:
    """The report's channel, its case type and each indicator's answer."""
    facts: list[Fact] = []
    add = facts.append
    # A code, not a closed list: a policy may take reports by channels of its own (the
    # loader checks each tested value against the policy's list). The standard ones
    # are listed as its known values.
    add(
        Fact(
            "source",
            "code",
            _inline(lambda c: c.report.source, "report", "source"),
            "案源渠道",
            "source channel",
            values=SOURCES.codes,
        )
    )
    add(
        Fact(
            "case_type",
            "enum",
            _inline(lambda c: c.report.case_type, "report", "case_type"),
            "案件类型",
            "case type",
            values=CASE_TYPES.codes,
        )
    )
    for code in INDICATORS.codes:
        term = INDICATORS[code]
        add(
            Fact(
                f"indicators.{code}",
                "tri",
                _answer(code),
                term.zh,
                term.en,
                raises_risk=True,
                answer=code,
            )
        )
    return facts


def _victim_facts() -> list[Fact]:
    """The victim: age, gender and what makes them more vulnerable."""
    facts: list[Fact] = []
    add = facts.append
    add(
        Fact(
            "victim.age",
            "int",
            _optional("victim", "age"),
            "受害人年龄",
            "victim age",
            optional=True,
            lo=0,
            hi=120,
        )
    )
    add(
        Fact(
            "victim.gender",
            "enum",
            _optional("victim", "gender"),
            "受害人性别",
            "victim gender",
            values=GENDERS.codes,
            optional=True,
        )
    )
    add(
        Fact(
            "victim.minor",
            "tri",
            _minor,
            "受害人未满18岁",
            "victim is under 18",
            raises_risk=True,
        )
    )
    add(
        Fact(
            "victim.elderly",
            "tri",
            lambda c: _age_band(c.report.victim.age, lambda a: a >= ELDERLY_AGE),
            "受害人60岁以上",
            "victim is 60 or older",
            raises_risk=True,
        )
    )
    for name, zh, en in (
        ("pregnant", "受害人怀孕", "victim is pregnant"),
        ("disability", "受害人有残疾", "victim has a disability"),
        ("lacks_capacity", "受害人无或限制民事行为能力", "victim lacks full civil capacity"),
    ):
        add(
            Fact(
                f"victim.{name}",
                "tri",
                _yes_no("victim", name),
                zh,
                en,
                raises_risk=True,
            )
        )
    return facts


def _abuser_facts() -> list[Fact]:
    """The abuser: who they are to the victim, and what they can reach."""
    facts: list[Fact] = []
    add = facts.append
    add(
        Fact(
            "abuser.age",
            "int",
            _optional("abuser", "age"),
            "施暴者年龄",
            "abuser age",
            optional=True,
            lo=0,
            hi=120,
        )
    )
    add(
        Fact(
            "abuser.gender",
            "enum",
            _optional("abuser", "gender"),
            "施暴者性别",
            "abuser gender",
            values=GENDERS.codes,
            optional=True,
        )
    )
    add(
        Fact(
            "abuser.relationship",
            "enum",
            _optional("abuser", "relationship"),
            "与受害人关系",
            "relationship",
            values=RELATIONSHIPS.codes,
            optional=True,
        )
    )
    add(
        Fact(
            "abuser.intimate",
            "tri",
            lambda c: c.intimate,
            "现任或前任亲密伴侣",
            "current or former intimate partner",
        )
    )
    add(
        Fact(
            "abuser.separated",
            "tri",
            _inline(lambda c: c.separated, "context", "separated"),
            "双方已分手、分居或离婚（任何时候）",
            "the two have separated (at any time)",
            raises_risk=True,
        )
    )
    for name, zh, en in (
        (
            "others_involved",
            "另有家庭成员共同施暴或威胁（多人施暴）",
            "someone else in the household also abuses or threatens the victim",
        ),
        (
            "can_reach_workplace_or_school",
            "施暴者知道或能到达受害人的工作单位或学校",
            "the abuser knows or can reach the victim's workplace or school",
        ),
    ):
        add(Fact(f"abuser.{name}", "tri", _yes_no("abuser", name), zh, en, raises_risk=True))
    return facts


def _children_facts() -> list[Fact]:
    """The children of the household."""
    facts: list[Fact] = []
    add = facts.append
    add(
        Fact(
            "children.count",
            "int",
            _optional("children", "count"),
            "子女数",
            "number of children",
            optional=True,
            lo=0,
            hi=1000,
        )
    )
    add(
        Fact(
            "children.minors_exposed",
            "tri",
            _yes_no("children", "minors_exposed"),
            "未成年子女目睹或卷入",
            "minors exposed",
            raises_risk=True,
        )
    )
    return facts


def _history_facts() -> list[Fact]:
    """What happened before this report."""
    facts: list[Fact] = []
    add = facts.append
    for name, zh, en in (
        ("police_calls_12m", "过去12个月报警次数", "police calls in past 12 months"),
        ("prior_protection_orders", "既往人身安全保护令数", "prior protection orders"),
        ("protection_order_violations", "违反保护令次数", "protection-order violations"),
    ):
        add(
            Fact(
                f"history.{name}",
                "int",
                _history(name),
                zh,
                en,
                optional=True,
                lo=0,
                hi=1000,
            )
        )
    for name, zh, en in (
        ("failed_mediation", "既往人民调解或村居调解失败", "earlier mediation failed"),
        ("prior_warning_letter", "既往已出具告诫书", "a warning letter was issued before"),
    ):
        add(
            Fact(
                f"history.{name}",
                "tri",
                _yes_no("history", name),
                zh,
                en,
                raises_risk=True,
            )
        )
    add(
        Fact(
            "history.help_sought_12m",
            "int",
            lambda c: _opt(_help_12m(c.report)),
            "过去12个月向公安以外机构求助次数",
            "help sought from other agencies than the police in past 12 months",
            optional=True,
            lo=0,
            hi=50,
        )
    )
    add(
        Fact(
            "history.reports_12m",
            "int",
            _reports_12m,
            "过去12个月报警及其他求助次数",
            "police calls and other help sought in past 12 months",
            optional=True,
            lo=0,
            hi=1050,
        )
    )
    add(
        Fact(
            "history.help_failed",
            "tri",
            _help_failed,
            "既往求助后暴力仍在继续",
            "violence went on after earlier help",
            raises_risk=True,
        )
    )
    add(
        Fact(
            "history.penalty_imposed",
            "tri",
            _yes_no("history", "penalty_imposed"),
            "本次事件已给予治安处罚（拘留或罚款）",
            "a penalty (detention or fine) was imposed for this incident",
        )
    )
    return facts


def _request_facts() -> list[Fact]:
    """What the victim asks for and consents to."""
    facts: list[Fact] = []
    add = facts.append
    for name, zh, en in (
        ("protection_order", "申请人身安全保护令", "asks for a protection order"),
        ("shelter", "请求庇护", "asks for shelter"),
        ("mediation", "请求调解", "asks for mediation"),
    ):
        add(
            Fact(
                f"requests.{name}",
                "tri",
                _yes_no("requests", name),
                zh,
                en,
            )
        )
    for name, zh, en in (
        ("share_with_agencies", "同意与其他部门共享信息", "consents to sharing with agencies"),
        ("referral", "同意转介", "consents to referral"),
    ):
        add(
            Fact(
                f"consent.{name}",
                "tri",
                _yes_no("consent", name),
                zh,
                en,
            )
        )
    return facts


def _context_facts() -> list[Fact]:
    """Where, a professional's judgement, and any contact coming up."""
    facts: list[Fact] = []
    add = facts.append
    add(
        Fact(
            "location.street",
            "code",
            _optional("location", "street"),
            "街道",
            "street",
            optional=True,
        )
    )
    add(
        Fact(
            "professional_judgement.level",
            "enum",
            lambda c: _opt(
                c.report.professional_judgement.level if c.report.professional_judgement else None
            ),
            "专业判断等级",
            "professional judgement level",
            values=LEVELS.codes,
            ordered=True,
            optional=True,
        )
    )
    add(
        Fact(
            "professional_judgement.believes_lethal",
            "tri",
            lambda c: tri(
                c.report.professional_judgement.believes_lethal
                if c.report.professional_judgement
                else None
            ),
            "评估人员认为可能致命",
            "assessor believes it potentially lethal",
        )
    )
    add(
        Fact(
            "upcoming_contact.kind",
            "enum",
            lambda c: _opt(c.report.upcoming_contact.kind if c.report.upcoming_contact else None),
            "即将发生的接触",
            "upcoming contact",
            values=CONTACT_KINDS.codes,
            optional=True,
        )
    )
    add(
        Fact(
            "upcoming_contact.days",
            "int",
            _contact_days,
            "距即将发生的接触的天数",
            "days until the upcoming contact",
            optional=True,
            lo=-3660,
            hi=3660,
        )
    )
    return facts


def _case_facts() -> list[Fact]:
    """The case over time, from the history that came with the report."""
    facts: list[Fact] = []
    add = facts.append
    case_counts = (
        ("reports_12m", "本案过去12个月的既往报告数（任何渠道）",
         "earlier reports of the case in 12 months (any channel)", 1000),
        ("sources", "本案报告来自的不同渠道数",
         "distinct channels the case's reports came by", 100),
        ("days_since_last", "距本案上一次报告的天数", "days since the case's last report", 36600),
        ("new_red_flags", "本次新出现的独立红旗数",
         "stand-alone red flags new in this report", len(RED_FLAGS)),
    )  # fmt: skip
    for name, zh, en, hi in case_counts:
        add(Fact(f"case.{name}", "int", _case(name), zh, en, optional=True, lo=0, hi=hi))
    add(
        Fact(
            "case.previous_level",
            "enum",
            lambda c: _opt(c.case.previous_level if c.case is not None else None),
            "本案上一次决定的风险等级",
            "the level of the case's last decision",
            values=LEVELS.codes,
            ordered=True,
            optional=True,
        )
    )
    add(
        Fact(
            "case.red_flag_unknown_again",
            "bool",
            lambda c: bool(c.case is not None and c.case.red_flag_unknown_again),
            "独立红旗连续两次报告未回答",
            "a red flag left unanswered in two reports running",
        )
    )
    add(
        Fact(
            "case.level_rose",
            "bool",
            _level_rose,
            "风险等级高于本案上一次决定",
            "the level is above the case's last decision",
            derived=True,
        )
    )
    return facts


def _count_facts() -> list[Fact]:
    """Counts of the report's answers."""
    facts: list[Fact] = []
    add = facts.append
    add(
        Fact(
            "report.unknown_indicators",
            "int",
            lambda c: sum(1 for v in c.answers.values() if v == "unknown"),
            "未回答的风险指标数",
            "unanswered indicators",
            lo=0,
            hi=len(INDICATORS),
        )
    )
    add(
        Fact(
            "report.yes_indicators",
            "int",
            lambda c: sum(1 for v in c.answers.values() if v == "yes"),
            "回答为是的风险指标数",
            "indicators answered yes",
            lo=0,
            hi=len(INDICATORS),
        )
    )
    return facts


def _instrument_facts() -> list[Fact]:
    """Each instrument's result, as a range where answers are unknown."""
    facts: list[Fact] = []
    add = facts.append
    for iid, instrument in INSTRUMENTS.items():
        weights = [item.weight for item in instrument.items]
        lo = sum(w for w in weights if w < 0)
        hi = sum(w for w in weights if w > 0)
        base = f"instruments.{iid}"
        name_zh, name_en = instrument.name_zh, instrument.name_en
        add(
            Fact(
                f"{base}.score",
                "int",
                _instrument(iid, "score"),
                f"{name_zh}得分",
                f"{name_en} score",
                lo=lo,
                hi=hi,
            )
        )
        add(
            Fact(
                f"{base}.score_max",
                "int",
                _instrument(iid, "score_max"),
                f"{name_zh}最高可能得分",
                f"{name_en} highest possible score",
                lo=lo,
                hi=hi,
            )
        )
        add(
            Fact(
                f"{base}.level",
                "enum",
                _instrument(iid, "level"),
                f"{name_zh}等级",
                f"{name_en} level",
                values=instrument.levels,
                ordered=True,
            )
        )
        add(
            Fact(
                f"{base}.level_max",
                "enum",
                _instrument(iid, "level_max"),
                f"{name_zh}最高可能等级",
                f"{name_en} highest possible level",
                values=instrument.levels,
                ordered=True,
            )
        )
        add(
            Fact(
                f"{base}.applies",
                "bool",
                _instrument(iid, "applies"),
                f"{name_zh}适用",
                f"{name_en} applies",
            )
        )
        add(
            Fact(
                f"{base}.unknown_count",
                "int",
                _unknown_items(iid),
                f"{name_zh}未回答题数",
                f"{name_en} unanswered items",
                lo=0,
                hi=len(instrument.items),
            )
        )
    add(
        Fact(
            "instruments.lethality_screen.screened_in",
            "bool",
            _instrument("lethality_screen", "screened_in"),
            "致命性筛查阳性",
            "Lethality Screen screened in",
        )
    )
    add(
        Fact(
            "instruments.lethality_screen.screened_in_max",
            "bool",
            lambda c: c.instruments["lethality_screen"].screened_in_max,
            "致命性筛查可能阳性",
            "Lethality Screen could screen in",
        )
    )
    add(
        Fact(
            "instruments.odara.recidivism_rate",
            "float",
            lambda c: c.instruments["odara"].recidivism_rate,
            "ODARA 再犯率",
            "ODARA recidivism rate",
            lo=0,
            hi=1,
        )
    )
    return facts


def _model_facts() -> list[Fact]:
    """The model's estimate."""
    facts: list[Fact] = []
    add = facts.append
    add(
        Fact(
            "model.probability",
            "float",
            lambda c: _opt(c.model.probability if c.model else None),
            "模型估计概率",
            "model probability",
            optional=True,
            lo=0,
            hi=1,
        )
    )
    add(
        Fact(
            "model.band",
            "enum",
            lambda c: _opt(c.model.band if c.model else None),
            "模型风险档",
            "model band",
            values=("low", "moderate", "high", "very_high"),
            ordered=True,
            optional=True,
        )
    )
    return facts


def _decision_facts() -> list[Fact]:
    """The decision as it stands when the reading rule runs (derived)."""
    facts: list[Fact] = []
    add = facts.append
    # Derived: the decision as it stands when the reading rule runs.
    add(
        Fact(
            "decision.level",
            "enum",
            _derived("decision.level"),
            "当前风险等级",
            "risk level",
            values=LEVELS.codes,
            ordered=True,
            derived=True,
        )
    )
    add(
        Fact(
            "decision.level_max",
            "enum",
            _derived("decision.level_max"),
            "未知项全为是时的风险等级",
            "risk level if every unknown were yes",
            values=LEVELS.codes,
            ordered=True,
            derived=True,
        )
    )
    add(
        Fact(
            "decision.level_could_rise",
            "bool",
            _could_rise,
            "未知项可能提高风险等级",
            "an unknown answer could raise the level",
            derived=True,
        )
    )
    add(
        Fact(
            "decision.priority",
            "enum",
            _derived("decision.priority"),
            "当前优先级",
            "priority",
            values=PRIORITIES.codes,
            ordered=True,
            derived=True,
        )
    )
    for code in FLAGS.codes:
        term = FLAGS[code]
        add(_flag_fact(code, term.zh, term.en))
    return facts


def _flag_fact(code: str, zh: str, en: str) -> Fact:
    """``flags.<code>``: true once a rule of the policy raised the flag."""
    return Fact(
        f"flags.{code}", "bool", _flag(code), f"已标记：{zh}", f"flagged: {en}", derived=True
    )


class FactTable(dict[str, Fact]):
    """The facts the library computes, by name.

    Iterating gives the library's own facts. A flag a policy defines is a fact too
    (``flags.<code>``, true once a rule raised it): looked up, it is made like the
    standard flags' facts. Which flags a policy may use is the loader's to check.
    """

    def __missing__(self, name: str) -> Fact:
        fact = self._flag_fact(name)
        if fact is None:
            raise KeyError(name)
        return fact

    def get(self, name: str, default: Any = None) -> Any:
        found = dict.get(self, name)
        return found if found is not None else (self._flag_fact(name) or default)

    def __contains__(self, name: object) -> bool:
        return dict.__contains__(self, name) or (
            isinstance(name, str) and self._flag_fact(name) is not None
        )

    @staticmethod
    def _flag_fact(name: str) -> Fact | None:
        if not name.startswith("flags.") or not _CODE.fullmatch(name[6:]):
            return None
        code = name[6:]
        found = _POLICY_FLAGS.get(code)
        if found is None:  # one per code a loaded policy used: bounded by the policies
            found = _POLICY_FLAGS[code] = _flag_fact(code, code, code)
        return found


_CODE = re.compile(CODE_PATTERN)
_POLICY_FLAGS: dict[str, Fact] = {}
FACTS: FactTable = FactTable(_build())


def fact_names() -> tuple[str, ...]:
    return tuple(FACTS)
