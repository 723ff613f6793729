"""The shared vocabulary: codes that intake systems, rule files and decisions use.

Codes are English identifiers; every code has a Chinese (``zh``) and an
English (``en``) label. The risk levels are ordered and have no "no risk"
member: the lowest level is ``standard``, which still gets a review date.

Indicators form one list that an intake form asks once. Every item of every
packaged instrument reads exactly one indicator (or one structured report
field); one indicator may feed several instruments. ``IMPLIES`` records where
a specific answer settles a broader one (forced sex is sexual abuse), so an
intake form need not ask both; implications only ever turn an answer to yes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._lang import DEFAULT_LANG, pick
from ._suggest import suggest

__all__ = [
    "CARRY_DAYS",
    "CASE_TYPES",
    "CONTACT_KINDS",
    "DEPARTMENTS",
    "EVER_INDICATORS",
    "FLAGS",
    "GENDERS",
    "HELP_CHANNELS",
    "HELP_OUTCOMES",
    "IMPLIES",
    "INCIDENT_INDICATORS",
    "INDICATORS",
    "LEVELS",
    "PRIORITIES",
    "RED_FLAGS",
    "RELATIONSHIPS",
    "SAFETY_FLAGS",
    "SOURCES",
    "TRI",
    "VOCABULARIES",
    "Term",
    "Vocabulary",
    "implied_closure",
    "vocabulary_table",
]


@dataclass(frozen=True, slots=True)
class Term:
    """One code with its labels."""

    code: str
    zh: str
    en: str

    def label(self, lang: str = DEFAULT_LANG) -> str:
        return pick(self.zh, self.en, lang)


class Vocabulary:
    """An ordered, immutable set of terms. Order matters for ordered vocabularies."""

    def __init__(self, name: str, zh: str, en: str, terms: tuple[Term, ...], ordered: bool = False):
        self.name = name
        self.zh = zh
        self.en = en
        self.terms = terms
        self.ordered = ordered
        self.codes: tuple[str, ...] = tuple(t.code for t in terms)
        self._by_code = {t.code: t for t in terms}
        self._rank = {c: i for i, c in enumerate(self.codes)}
        if len(self._by_code) != len(terms):
            raise ValueError(f"duplicate code in vocabulary {name}")

    def __contains__(self, code: object) -> bool:
        return code in self._by_code

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def __getitem__(self, code: str) -> Term:
        return self._by_code[code]

    def label(self, code: str, lang: str = DEFAULT_LANG) -> str:
        term = self._by_code.get(code)
        return term.label(lang) if term is not None else code

    def rank(self, code: str) -> int:
        """Position in an ordered vocabulary (0 = lowest)."""
        return self._rank[code]

    def max(self, *codes: str) -> str:
        """The highest of ``codes`` in this vocabulary's order."""
        return max(codes, key=self._rank.__getitem__)

    def suggest(self, word: object) -> str | None:
        return suggest(word, self.codes)

    def title(self, lang: str = DEFAULT_LANG) -> str:
        return pick(self.zh, self.en, lang)


def _terms(*rows: tuple[str, str, str]) -> tuple[Term, ...]:
    return tuple(Term(code, zh, en) for code, zh, en in rows)


SOURCES = Vocabulary(
    "source",
    "案源渠道",
    "source channel",
    _terms(
        ("grid_patrol", "网格员巡查", "grid-worker patrol"),
        ("police_110", "110报警", "110 police call"),
        ("court", "法院", "court"),
        ("womens_federation", "妇联投诉", "women's federation complaint"),
        ("mediation_referral", "人民调解转介", "people's-mediation referral"),
        ("school", "学校", "school"),
        ("hospital", "医院", "hospital"),
        ("civil_affairs", "民政", "civil affairs"),
        ("residents_committee", "居（村）委会", "residents' committee"),
        ("social_work", "社工机构", "social-work agency"),
        ("hotline_12338", "12338妇女维权热线", "12338 women's rights hotline"),
        ("self_report", "当事人自行求助", "self-report"),
    ),
)

CASE_TYPES = Vocabulary(
    "case_type",
    "案件类型",
    "case type",
    _terms(
        ("domestic_violence", "家庭暴力", "domestic violence"),
        ("emotional_dispute", "情感纠纷", "emotional or family dispute"),
    ),
)

DEPARTMENTS = Vocabulary(
    "department",
    "部门",
    "department",
    _terms(
        ("governance", "综治中心", "comprehensive-governance centre"),
        ("grid", "网格", "grid workers"),
        ("womens_federation", "妇联", "women's federation"),
        ("police", "公安", "police"),
        ("court", "法院", "court"),
        ("justice", "司法（人民调解、法律援助）", "justice bureau (mediation, legal aid)"),
        ("education", "教育", "education"),
        ("health", "卫健", "health"),
        ("civil_affairs", "民政", "civil affairs"),
    ),
)

LEVELS = Vocabulary(
    "level",
    "风险等级",
    "risk level",
    _terms(
        ("standard", "一般", "standard"),
        ("medium", "中", "medium"),
        ("high", "高", "high"),
        ("extreme", "极高", "extreme"),
    ),
    ordered=True,
)

# Ordered by urgency: P4 is the lowest, P1 the most urgent.
PRIORITIES = Vocabulary(
    "priority",
    "处置优先级",
    "priority",
    _terms(
        ("P4", "常规处理", "routine"),
        ("P3", "72小时内", "within 72 hours"),
        ("P2", "24小时内", "within 24 hours"),
        ("P1", "立即处置", "immediate"),
    ),
    ordered=True,
)

FLAGS = Vocabulary(
    "flag",
    "处置标记",
    "flag",
    _terms(
        ("emergency_response", "紧急出警", "emergency response"),
        ("protection_order", "人身安全保护令", "protection order"),
        (
            "protection_order_urgent",
            "紧急人身安全保护令（24小时）",
            "urgent protection order (24 h)",
        ),
        ("mandatory_report", "强制报告", "mandatory report"),
        ("warning_letter", "告诫书", "police warning letter"),
        ("shelter", "临时庇护", "shelter"),
        ("child_protection", "未成年人保护", "child protection"),
        ("medical_care", "医疗救治", "medical care"),
        ("legal_aid", "法律援助", "legal aid"),
        ("counselling", "心理疏导", "counselling"),
        ("mediation_suitable", "适宜调解", "mediation suitable"),
        ("mediation_contraindicated", "不宜调解", "mediation contraindicated"),
        ("case_conference", "个案联席会议", "case conference"),
        ("information_gap", "信息缺失", "information gap"),
        ("repeat_victimisation", "重复受害", "repeat victimisation"),
        (
            "assessed_as_domestic_violence",
            "按家庭暴力处理（受理类型为情感纠纷）",
            "assessed as domestic violence (taken in as an emotional dispute)",
        ),
        # What to ask the protection order to include (反家庭暴力法第29条;
        # 法释〔2022〕17号第10条).
        (
            "protection_order_stay_away",
            "保护令请求：禁止在受害人住所、学校、工作单位一定范围内活动",
            "ask the order to bar the abuser from near the victim's home, school or workplace",
        ),
        (
            "protection_order_no_contact",
            "保护令请求：禁止骚扰、跟踪、接触，禁止以电话、短信、即时通讯等威胁",
            "ask the order to forbid harassing, stalking or contacting her, and threats "
            "by phone or message",
        ),
        ("safety_planning", "接触前安全计划", "safety plan before an upcoming contact"),
        ("escalation", "风险升级（同一案件）", "escalation (the same case)"),
    ),
)

# Flags that the library's monotonicity guarantees protect.
SAFETY_FLAGS = frozenset(
    {
        "assessed_as_domestic_violence",
        "emergency_response",
        "protection_order",
        "protection_order_urgent",
        "mandatory_report",
        "mediation_contraindicated",
    }
)

TRI = Vocabulary(
    "answer",
    "回答",
    "answer",
    _terms(("yes", "是", "yes"), ("no", "否", "no"), ("unknown", "不详", "unknown")),
)

RELATIONSHIPS = Vocabulary(
    "relationship",
    "与受害人关系",
    "relationship to the victim",
    _terms(
        ("spouse", "配偶", "spouse"),
        ("ex_spouse", "前配偶", "former spouse"),
        ("partner", "同居伴侣", "cohabiting partner"),
        ("ex_partner", "前同居伴侣", "former cohabiting partner"),
        ("dating", "恋爱对象", "dating partner"),
        ("ex_dating", "前恋爱对象", "former dating partner"),
        ("parent", "父母", "parent"),
        ("child", "子女", "child"),
        ("sibling", "兄弟姐妹", "sibling"),
        ("in_law", "姻亲", "in-law"),
        ("other_family", "其他家庭成员", "other family member"),
        ("other", "其他", "other"),
    ),
)

INTIMATE_RELATIONSHIPS = frozenset(
    {"spouse", "ex_spouse", "partner", "ex_partner", "dating", "ex_dating"}
)
# A former partner: the two have separated, whatever else the report says.
FORMER_RELATIONSHIPS = frozenset({"ex_spouse", "ex_partner", "ex_dating"})

# Where a victim sought help before this report, other than the police (police calls
# in the past year have their own count). 法释〔2022〕17号 art. 6(8): complaint and
# help-request records of these bodies are evidence for a protection order.
HELP_CHANNELS = Vocabulary(
    "help_channel",
    "既往求助渠道",
    "where help was sought before",
    _terms(
        ("womens_federation", "妇联", "women's federation"),
        ("residents_committee", "居（村）委会", "residents' or village committee"),
        ("mediation", "人民调解或村居调解", "people's or village mediation"),
        ("school", "学校", "school"),
        ("hospital", "医院", "hospital"),
        ("procuratorate", "检察院", "procuratorate"),
        ("court", "法院", "court"),
        ("civil_affairs", "民政", "civil affairs"),
        ("hotline", "热线（如12338）", "a hotline (e.g. 12338)"),
        ("social_work", "社工机构", "social-work agency"),
        ("employer", "工作单位", "employer"),
        ("other", "其他", "other"),
    ),
)

HELP_OUTCOMES = Vocabulary(
    "help_outcome",
    "求助结果",
    "what came of it",
    _terms(
        ("violence_stopped", "暴力已停止", "the violence stopped"),
        ("violence_continued", "暴力仍在继续", "the violence went on"),
        ("unknown", "不详", "not known"),
    ),
)

# Moments when the victim will meet or be reachable by the abuser soon: the risk of
# separation violence gathers at them (DASH 2009 Q6 separation, Q7 child contact).
CONTACT_KINDS = Vocabulary(
    "contact_kind",
    "即将发生的接触",
    "upcoming contact",
    _terms(
        ("child_handover", "子女交接或探视", "child handover or contact visit"),
        ("court_hearing", "庭审或调解见面", "court hearing or mediation meeting"),
        ("leaving_shelter", "离开庇护场所", "leaving a shelter or refuge"),
        ("abuser_release", "施暴者获释", "the abuser's release from custody"),
        ("other", "其他", "other"),
    ),
)

GENDERS = Vocabulary(
    "gender",
    "性别",
    "gender",
    _terms(("female", "女", "female"), ("male", "男", "male"), ("other", "其他", "other")),
)

INDICATORS = Vocabulary(
    "indicator",
    "风险指标",
    "risk indicator",
    _terms(
        ("physical_violence", "对受害人有身体暴力", "physical violence against the victim"),
        ("current_injury", "本次事件造成受伤", "the current incident caused injury"),
        (
            "escalation",
            "过去一年暴力更频繁或更严重",
            "violence more frequent or severe in past year",
        ),
        ("abuse_more_frequent", "虐待越来越频繁", "abuse is happening more often"),
        ("abuse_more_severe", "虐待越来越严重", "abuse is getting worse"),
        ("strangulation", "掐脖、勒颈或令其窒息", "strangling, choking or suffocating"),
        ("threat_to_kill", "威胁杀害受害人或其他人", "threatened to kill the victim or others"),
        ("weapon_use_or_threat", "使用武器或以武器相威胁", "used or threatened with a weapon"),
        ("gun_access", "有枪或能轻易得到枪", "has or can easily get a gun"),
        ("separation", "过去一年已分开或试图分开", "separated or tried to in past year"),
        ("cohabited", "双方曾共同居住", "the two have lived together"),
        ("stalking", "跟踪、监视、骚扰或威胁信息", "stalking, spying, harassment or threats"),
        (
            "coercive_control",
            "控制受害人大部分日常活动",
            "controls most of the victim's daily life",
        ),
        ("jealousy", "暴力性、持续的嫉妒", "violently and constantly jealous"),
        ("jealousy_or_control", "试图控制一切或过度嫉妒", "controls everything or very jealous"),
        ("isolation", "阻止受害人与亲友、医生接触", "cuts the victim off from family or help"),
        ("forced_sex", "强迫发生性行为", "forced sex"),
        ("sexual_abuse", "伤害或贬损性的性言行", "hurtful or degrading sexual acts or words"),
        ("violence_during_pregnancy", "受害人怀孕期间遭殴打", "assaulted while pregnant"),
        ("pregnant_or_recent_birth", "怀孕或近18个月内生育", "pregnant or had a baby in 18 months"),
        ("abuser_unemployed", "施暴者失业", "abuser is unemployed"),
        ("financial_issues", "经济问题（如经济依赖施暴者）", "financial issues (e.g. dependence)"),
        ("abuser_drug_use", "施暴者使用非法药物", "abuser uses illegal drugs"),
        ("abuser_alcohol_problem", "施暴者酗酒", "abuser is a problem drinker"),
        (
            "abuser_substance_or_mental_health",
            "施暴者过去一年有药物、酒精或精神问题",
            "abuser had drug, alcohol or mental-health problems in past year",
        ),
        (
            "substance_abuse",
            "施暴者有多项物质滥用迹象",
            "abuser shows several signs of substance abuse",
        ),
        ("abuser_suicidality", "施暴者威胁或企图自杀", "abuser threatened or attempted suicide"),
        ("victim_suicidality", "受害人威胁或企图自杀", "victim threatened or attempted suicide"),
        ("victim_depressed_or_suicidal", "受害人抑郁或有自杀念头", "victim depressed or suicidal"),
        (
            "victim_fears_being_killed",
            "受害人认为施暴者可能杀害自己",
            "victim believes the abuser may kill her",
        ),
        ("victim_fears_further_violence", "受害人担心再受暴力", "victim fears further violence"),
        ("victim_very_frightened", "受害人非常害怕", "victim is very frightened"),
        ("threat_to_harm_children", "威胁伤害孩子或被抚养人", "threatened to harm the children"),
        ("abuser_hurt_children", "曾伤害孩子或被抚养人", "has hurt the children or dependants"),
        (
            "child_of_previous_partner",
            "受害人有与前伴侣所生的孩子",
            "victim has a child by a previous partner",
        ),
        (
            "other_children_or_dependants_in_home",
            "家中有非施暴者的子女或其他被抚养人",
            "children not the abuser's, or other dependants, at home",
        ),
        ("child_contact_conflict", "在子女探视上有冲突", "conflict over child contact"),
        ("other_person_threat", "另有他人威胁受害人", "someone else threatens the victim"),
        ("abuser_hurt_others", "施暴者曾伤害其他人", "abuser has hurt anyone else"),
        (
            "violence_against_others",
            "曾对伴侣和孩子以外的人施暴",
            "violent to non-partners, non-children",
        ),
        ("animal_abuse", "虐待动物或宠物", "mistreated an animal or pet"),
        ("avoided_arrest", "曾逃避因家暴被逮捕", "has avoided arrest for domestic violence"),
        (
            "breached_order",
            "曾违反保释、禁令或探视协议",
            "broke bail, an injunction or an agreement",
        ),
        ("criminal_history", "曾惹上警方或有犯罪记录", "trouble with police or criminal record"),
        ("prior_domestic_assault_record", "有家暴殴打记录", "record of prior domestic assault"),
        (
            "prior_nondomestic_assault_record",
            "有非家庭殴打记录",
            "record of prior non-domestic assault",
        ),
        ("prior_custody_30d", "曾被判30天以上监禁", "prior custodial sentence of 30+ days"),
        ("conditional_release_failure", "曾违反有条件释放", "failed a conditional release before"),
        ("index_threat", "本次事件中威胁伤害或杀人", "threatened to harm or kill in this incident"),
        (
            "index_confinement",
            "本次事件中限制受害人人身自由",
            "confined the victim in this incident",
        ),
        ("victim_support_barriers", "受害人求助存在障碍", "victim faces barriers to support"),
        # Added after the packaged model was trained: it does not read them (see
        # risk.model._features), and the synthetic cohort draws them from a stream of
        # their own so that the earlier answers stay as they were.
        (
            "weapon_access",
            "持有、获取或携带枪支以外的武器（刀具、强酸、腐蚀性或易燃液体等）",
            "has, got or carries a weapon other than a gun (knife, acid, corrosive or "
            "flammable liquid)",
        ),
        (
            "frequent_verbal_abuse",
            "经常性谩骂、侮辱、诽谤或恐吓",
            "frequent insults, defamation or intimidation",
        ),
        (
            "neglect_or_abandonment",
            "冻饿、不予照料或遗弃需其照料的人",
            "starves, freezes, neglects or abandons someone who relies on their care",
        ),
        (
            "economic_abuse",
            "经济控制（转移财产、克扣生活必需费用）",
            "economic abuse (moving assets, withholding money for necessities)",
        ),
        (
            "victim_depends_on_abuser",
            "受害人生活依赖施暴者照料",
            "the victim depends on the abuser for care",
        ),
    ),
)

# How long a yes holds, for carrying it to a later report of the same case when that
# report leaves the question unanswered. Items about the past ("ever strangled",
# records, a child by a previous partner) never expire; items about this incident are
# never carried; every other item is asked of the past year or of now (DA, DASH) and is
# carried for a year from the report that answered it.
EVER_INDICATORS = frozenset(
    {
        "physical_violence",
        "strangulation",
        "threat_to_kill",
        "weapon_use_or_threat",
        "forced_sex",
        "sexual_abuse",
        "violence_during_pregnancy",
        "abuser_hurt_children",
        "abuser_hurt_others",
        "violence_against_others",
        "animal_abuse",
        "avoided_arrest",
        "breached_order",
        "criminal_history",
        "prior_domestic_assault_record",
        "prior_nondomestic_assault_record",
        "prior_custody_30d",
        "conditional_release_failure",
        "cohabited",
        "child_of_previous_partner",
        "abuser_suicidality",
        "victim_suicidality",
    }
)
INCIDENT_INDICATORS = frozenset({"current_injury", "index_threat", "index_confinement"})
CARRY_DAYS = 365
# The stand-alone red flags: one alone means at least high (the default policy), and a
# new one in a later report is escalation.
RED_FLAGS = (
    "strangulation",
    "threat_to_kill",
    "weapon_use_or_threat",
    "victim_fears_being_killed",
)

# Specific answer -> broader answer it settles. Only "yes" propagates: a "no" to the
# specific item says nothing about the broader one, and unknown is never no.
IMPLIES: dict[str, tuple[str, ...]] = {
    "abuse_more_frequent": ("escalation",),
    "abuse_more_severe": ("escalation",),
    "forced_sex": ("sexual_abuse",),
    "coercive_control": ("jealousy_or_control",),
    "jealousy": ("jealousy_or_control",),
    "victim_fears_being_killed": ("victim_fears_further_violence",),
    "victim_suicidality": ("victim_depressed_or_suicidal",),
    "abuser_drug_use": ("abuser_substance_or_mental_health",),
    "abuser_alcohol_problem": ("abuser_substance_or_mental_health",),
    "substance_abuse": ("abuser_substance_or_mental_health",),
    "violence_against_others": ("abuser_hurt_others",),
    "abuser_hurt_children": ("abuser_hurt_others",),
    "conditional_release_failure": ("breached_order", "criminal_history"),
    "prior_domestic_assault_record": ("criminal_history",),
    "prior_nondomestic_assault_record": ("criminal_history",),
    "prior_custody_30d": ("criminal_history",),
    "strangulation": ("physical_violence",),
    "violence_during_pregnancy": ("physical_violence",),
    "current_injury": ("physical_violence",),
}


def implied_closure() -> dict[str, frozenset[str]]:
    """Every indicator mapped to all indicators its "yes" settles, transitively."""
    closure: dict[str, frozenset[str]] = {}
    for code in INDICATORS.codes:
        seen: set[str] = set()
        todo = list(IMPLIES.get(code, ()))
        while todo:
            nxt = todo.pop()
            if nxt not in seen:
                seen.add(nxt)
                todo.extend(IMPLIES.get(nxt, ()))
        closure[code] = frozenset(seen)
    return closure


VOCABULARIES: dict[str, Vocabulary] = {
    v.name: v
    for v in (
        SOURCES,
        CASE_TYPES,
        DEPARTMENTS,
        LEVELS,
        PRIORITIES,
        FLAGS,
        RELATIONSHIPS,
        GENDERS,
        TRI,
        INDICATORS,
        HELP_CHANNELS,
        HELP_OUTCOMES,
        CONTACT_KINDS,
    )
}

for _specific, _broad in IMPLIES.items():
    if _specific not in INDICATORS or any(b not in INDICATORS for b in _broad):
        raise RuntimeError(f"IMPLIES refers to an unknown indicator: {_specific}")

for _code in (*EVER_INDICATORS, *INCIDENT_INDICATORS, *RED_FLAGS):
    if _code not in INDICATORS:
        raise RuntimeError(f"an indicator class names an unknown indicator: {_code}")


def vocabulary_table(lang: str | None = None) -> dict[str, Any]:
    """Every vocabulary with its codes and labels (``zh``, ``en`` or both when None), and
    for indicators the answers a yes implies: what `triage vocab --format json` prints."""
    closure = implied_closure()
    out: dict[str, Any] = {}
    for name, vocabulary in VOCABULARIES.items():
        rows = []
        for term in vocabulary:
            row: dict[str, Any] = {"code": term.code}
            if lang in (None, "zh"):
                row["zh"] = term.zh
            if lang in (None, "en"):
                row["en"] = term.en
            if vocabulary is INDICATORS:
                row["implies"] = sorted(closure[term.code])
            rows.append(row)
        out[name] = {"ordered": vocabulary.ordered, "terms": rows}
    return out
