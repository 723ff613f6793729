"""DASH risk identification checklist, police version (ACPO/CAADA, 2009).

Source: Richards L, for ACPO in partnership with CAADA (now SafeLives), DASH
(2009) Risk Identification, Assessment and Management Model. Form transcript
of items 1-11: https://paperzz.com/doc/7134875/dash-risk-form ; items 13-27
follow the SafeLives 24-question version (q10-q24), which drops police items
10-12 and renumbers the rest.

Provenance:
- items 1-11, 13-22: secondary (form transcriptions).
- items 23-27: secondary (two independent third-party transcriptions of the
  SafeLives 24-question version, q20-q24, agree; not read on the police form).
- item 12 (threats to hurt or kill the children or dependants): unverified.
- bands standard 0-9, medium 10-13, high 14+: secondary (SafeLives' 14-yes
  MARAC referral threshold; local bands from Plymouth and Norfolk guidance).
Only yes answers count; "don't know" adds nothing to the count, which is why
``score_max`` and ``level_max`` are reported beside it. SafeLives: professional
judgement should not be used to downgrade the checklist's result.
"""

from __future__ import annotations

from typing import ClassVar

from ._base import Item, WeightedInstrument
from ._results import DashResult, ProvenanceStatus

__all__ = ["Dash"]


class Dash(WeightedInstrument):
    result_type = DashResult
    id: ClassVar[str] = "dash"
    name_zh: ClassVar[str] = "DASH 风险识别清单"
    name_en: ClassVar[str] = "DASH risk checklist"
    version: ClassVar[str] = "acpo-2009"
    intimate_partner_only: ClassVar[bool] = False
    provenance: ClassVar[dict[str, ProvenanceStatus]] = {
        "items": "secondary",
        "weights": "secondary",
        "thresholds": "secondary",
    }
    caveats: ClassVar[tuple[str, ...]] = ("item-12-unverified",)
    sources: ClassVar[tuple[str, ...]] = (
        "Richards L / ACPO / CAADA (2009) DASH Risk Identification Checklist",
        "https://paperzz.com/doc/7134875/dash-risk-form",
        "https://safelives.org.uk/resources-library/marac-referral-criteria-and-form/",
    )
    levels: ClassVar[tuple[str, ...]] = ("standard", "medium", "high")
    cutoffs: ClassVar[tuple[tuple[int, str], ...]] = ((0, "standard"), (10, "medium"), (14, "high"))
    items: ClassVar[tuple[Item, ...]] = (
        Item("1", 1, "本次事件造成受伤", "this incident caused injury", indicator="current_injury"),
        Item(
            "2",
            1,
            "受害人非常害怕",
            "victim is very frightened",
            indicator="victim_very_frightened",
        ),
        Item(
            "3",
            1,
            "担心再受伤害或暴力",
            "afraid of further injury or violence",
            indicator="victim_fears_further_violence",
        ),
        Item(
            "4", 1, "被隔绝于亲友之外", "kept away from family and friends", indicator="isolation"
        ),
        Item(
            "5",
            1,
            "抑郁或有自杀念头",
            "depressed or having suicidal thoughts",
            indicator="victim_depressed_or_suicidal",
        ),
        Item(
            "6",
            1,
            "一年内已分开或试图分开",
            "separated or tried to in past year",
            indicator="separation",
        ),
        Item(
            "7",
            1,
            "子女探视有冲突",
            "conflict over child contact",
            indicator="child_contact_conflict",
        ),
        Item(
            "8",
            1,
            "不断联系、跟踪或骚扰",
            "constant contact, stalking or harassment",
            indicator="stalking",
        ),
        Item(
            "9",
            1,
            "怀孕或近18个月内生育",
            "pregnant or had a baby in past 18 months",
            indicator="pregnant_or_recent_birth",
        ),
        Item(
            "10",
            1,
            "家中有非施暴者的孩子或其他被抚养人",
            "children not his, or other dependants, at home",
            indicator="other_children_or_dependants_in_home",
        ),
        Item(
            "11",
            1,
            "曾伤害孩子或被抚养人",
            "has hurt the children or dependants",
            indicator="abuser_hurt_children",
        ),
        Item(
            "12",
            1,
            "曾威胁伤害或杀死孩子",
            "threatened to hurt or kill the children",
            indicator="threat_to_harm_children",
            provenance="unverified",
        ),
        Item(
            "13", 1, "虐待越来越频繁", "abuse happening more often", indicator="abuse_more_frequent"
        ),
        Item("14", 1, "虐待越来越严重", "abuse getting worse", indicator="abuse_more_severe"),
        Item(
            "15",
            1,
            "试图控制一切或过度嫉妒",
            "tries to control everything or very jealous",
            indicator="jealousy_or_control",
        ),
        Item(
            "16",
            1,
            "用武器或物品伤人",
            "used weapons or objects to hurt",
            indicator="weapon_use_or_threat",
        ),
        Item(
            "17",
            1,
            "威胁杀人且受害人相信",
            "threatened to kill, and was believed",
            indicator="threat_to_kill",
        ),
        Item(
            "18",
            1,
            "企图掐、勒、闷或溺",
            "tried to strangle, choke, suffocate or drown",
            indicator="strangulation",
        ),
        Item(
            "19",
            1,
            "伤害或贬损性的性言行",
            "hurtful or degrading sexual acts or words",
            indicator="sexual_abuse",
        ),
        Item(
            "20",
            1,
            "另有他人威胁或令其害怕",
            "someone else threatens or frightens her",
            indicator="other_person_threat",
        ),
        Item("21", 1, "曾伤害其他人", "has hurt anyone else", indicator="abuser_hurt_others"),
        Item("22", 1, "虐待动物或宠物", "mistreated an animal or pet", indicator="animal_abuse"),
        Item("23", 1, "存在经济问题", "financial issues", indicator="financial_issues"),
        Item(
            "24",
            1,
            "过去一年有药物、酒精或精神问题",
            "drugs, alcohol or mental health, past year",
            indicator="abuser_substance_or_mental_health",
        ),
        Item(
            "25",
            1,
            "威胁或企图自杀",
            "threatened or attempted suicide",
            indicator="abuser_suicidality",
        ),
        Item(
            "26",
            1,
            "违反保释、禁令或探视协议",
            "broke bail, an injunction or an agreement",
            indicator="breached_order",
        ),
        Item(
            "27",
            1,
            "惹上警方或有犯罪记录",
            "trouble with police or criminal history",
            indicator="criminal_history",
        ),
    )
