"""Danger Assessment (DA), Campbell, Webster & Glass (2009).

Source: Campbell JC, Webster DW, Glass N. The Danger Assessment: validation of
a lethality risk assessment instrument for intimate partner femicide.
J Interpers Violence 2009;24(4):653-674. doi:10.1177/0886260508317180.
Items 1-19 and 3a as listed at https://emerge.ucsd.edu/r_1ekteclaxtd2bdg/ and on
the 2019 form update; item 20 (her own suicide threats or attempts) is recalled
from the form and not read in a primary source.

Provenance, stated plainly because it matters:
- items 1-19 and 3a: secondary (form reproductions).
- item 20: unverified.
- weights: UNVERIFIED. No primary source for the weighted scoring was found; the
  table below is the only complete one seen (a public third-party seed file:
  5 for item 2; 4 for items 3 and 4; 3 for items 5-7; 2 for items 8-9; 1 for
  the others; -3 for 3a "never lived together"). A second third-party source
  disagrees. Item 20's weight is assumed to be 1 like the other behaviour items.
- level cut-offs (variable <8, increased 8-13, severe 14-17, extreme 18+):
  secondary (third-party pages and code).
The DA is scored by certified users (dangerassessment.org); labels here are
short paraphrases, not the instrument's wording.

Scoring rules implemented: a yes adds the item's weight; 3a (never lived
together) is the alternative answer to item 3, so when 3a is yes item 3 scores
nothing. 3a reads the indicator ``cohabited`` inverted, so that a yes to any
indicator never lowers risk.
"""

from __future__ import annotations

from typing import ClassVar

from ._base import Item, Tri, WeightedInstrument
from ._results import DangerAssessmentResult, ProvenanceStatus

__all__ = ["DangerAssessment"]


class DangerAssessment(WeightedInstrument):
    result_type = DangerAssessmentResult
    id: ClassVar[str] = "danger_assessment"
    name_zh: ClassVar[str] = "危险性评估（DA）"
    name_en: ClassVar[str] = "Danger Assessment"
    version: ClassVar[str] = "campbell-2009"
    provenance: ClassVar[dict[str, ProvenanceStatus]] = {
        "items": "secondary",
        "weights": "unverified",
        "thresholds": "secondary",
    }
    caveats: ClassVar[tuple[str, ...]] = ("weights-unverified", "item-20-unverified")
    sources: ClassVar[tuple[str, ...]] = (
        "Campbell JC, Webster DW, Glass N (2009) J Interpers Violence 24(4):653-674",
        "https://emerge.ucsd.edu/r_1ekteclaxtd2bdg/",
    )
    levels: ClassVar[tuple[str, ...]] = ("variable", "increased", "severe", "extreme")
    cutoffs: ClassVar[tuple[tuple[int, str], ...]] = (
        (0, "variable"),
        (8, "increased"),
        (14, "severe"),
        (18, "extreme"),
    )
    items: ClassVar[tuple[Item, ...]] = (
        Item(
            "1",
            1,
            "过去一年暴力更频繁或更严重",
            "violence worse or more often in past year",
            indicator="escalation",
        ),
        Item("2", 5, "他有枪", "he has a gun", indicator="gun_access"),
        Item(
            "3",
            4,
            "过去一年同居后离开了他",
            "she left him after living together, past year",
            indicator="separation",
        ),
        Item(
            "3a", -3, "从未与他同居", "never lived with him", indicator="cohabited", inverted=True
        ),
        Item("4", 4, "他失业", "he is unemployed", indicator="abuser_unemployed"),
        Item(
            "5",
            3,
            "他用过武器或以致命武器威胁",
            "he used or threatened with a weapon",
            indicator="weapon_use_or_threat",
        ),
        Item("6", 3, "他威胁要杀她", "he threatens to kill her", indicator="threat_to_kill"),
        Item(
            "7",
            3,
            "他曾逃避因家暴被捕",
            "he has avoided arrest for domestic violence",
            indicator="avoided_arrest",
        ),
        Item(
            "8",
            2,
            "她有不是他的孩子",
            "she has a child who is not his",
            indicator="child_of_previous_partner",
        ),
        Item("9", 2, "他强迫她发生性行为", "he forced sex on her", indicator="forced_sex"),
        Item("10", 1, "他掐她脖子", "he tries to choke or strangle her", indicator="strangulation"),
        Item("11", 1, "他使用非法药物", "he uses illegal drugs", indicator="abuser_drug_use"),
        Item("12", 1, "他酗酒", "he is a problem drinker", indicator="abuser_alcohol_problem"),
        Item(
            "13",
            1,
            "他控制她大部分日常活动",
            "he controls most of her daily activities",
            indicator="coercive_control",
        ),
        Item(
            "14",
            1,
            "他有暴力性、持续的嫉妒",
            "he is violently and constantly jealous",
            indicator="jealousy",
        ),
        Item(
            "15",
            1,
            "她怀孕时被他殴打",
            "he beat her while she was pregnant",
            indicator="violence_during_pregnancy",
        ),
        Item(
            "16",
            1,
            "他威胁或企图自杀",
            "he threatened or tried suicide",
            indicator="abuser_suicidality",
        ),
        Item(
            "17",
            1,
            "他威胁伤害她的孩子",
            "he threatens to harm her children",
            indicator="threat_to_harm_children",
        ),
        Item(
            "18",
            1,
            "她认为他可能杀死她",
            "she believes he is capable of killing her",
            indicator="victim_fears_being_killed",
        ),
        Item(
            "19",
            1,
            "他跟踪、监视、骚扰或毁坏财物",
            "he follows, spies, harasses or destroys property",
            indicator="stalking",
        ),
        Item(
            "20",
            1,
            "她曾威胁或企图自杀",
            "she threatened or tried suicide",
            indicator="victim_suicidality",
            provenance="unverified",
        ),
    )

    def __init__(self) -> None:
        super().__init__()
        self._i3 = self._by_number["3"]
        self._i3a = self._by_number["3a"]
        self._base_weights = tuple(item.weight for item in self.items)
        never = list(self._base_weights)
        never[self._i3] = 0
        self._never_weights = tuple(never)

    def _weights(self, item_answers: tuple[Tri, ...]) -> tuple[int, ...]:
        # 3a is the alternative answer to item 3: "never lived together" voids item 3.
        return self._never_weights if item_answers[self._i3a] == "yes" else self._base_weights
