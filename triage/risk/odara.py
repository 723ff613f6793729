"""Ontario Domestic Assault Risk Assessment (ODARA), Hilton et al. (2004).

Source: Hilton NZ, Harris GT, Rice ME, Lang C, Cormier CA, Lines KJ (2004). A
brief actuarial assessment for the prediction of wife assault recidivism: the
Ontario Domestic Assault Risk Assessment. Psychological Assessment 16(3):267-275,
doi:10.1037/1040-3590.16.3.267. Item list as summarised at
https://criminal-justice.iresearchnet.com/criminal-psychology/criminal-risk-assessment/ontario-domestic-assault-risk-assessment-odara/
and the authorised German translation page https://www.knfp.ch/en/risk-assessment-tools/odara .

Thirteen items, each 1 (yes) or 0 (no); total 0-13. Item 8 ("more than one
child altogether") reads the report's ``children.count``.

Score bins and recidivism rates: SECONDARY. The table below is the one printed
in "Interpreting ODARA Risk Scores" (No To Violence workshop document,
https://www.yumpu.com/en/document/view/53459074/interpreting-odara-risk-scores);
it was not read in Hilton et al. 2004 or the ODARA manual, and it differs from
figures recalled for the 2004 construction sample (about 7/17/22/34/41/53/74%).
Published norms are also dated: a 2010-2019 Canadian sample had a median of 5
against the original median of 3 (McMaster record 3837085). Each jurisdiction
sets its own high-risk threshold; the instrument has none. The official rule
for prorating missing items was not found, so unanswered items widen the range
(``score_max``) instead.
"""

from __future__ import annotations

from typing import Any, ClassVar

from ._base import Item, WeightedInstrument
from ._results import OdaraResult, ProvenanceStatus

__all__ = ["Odara"]

# bin label, lowest score, recidivism %, % of sample scoring lower
_NORMS: tuple[tuple[str, int, int, int], ...] = (
    ("0", 0, 5, 0),
    ("1", 1, 10, 11),
    ("2", 2, 20, 27),
    ("3", 3, 27, 48),
    ("4", 4, 41, 67),
    ("5-6", 5, 59, 80),
    ("7-13", 7, 70, 93),
)


class Odara(WeightedInstrument):
    result_type = OdaraResult
    id: ClassVar[str] = "odara"
    name_zh: ClassVar[str] = "安大略家庭暴力风险评估（ODARA）"
    name_en: ClassVar[str] = "ODARA"
    version: ClassVar[str] = "hilton-2004"
    provenance: ClassVar[dict[str, ProvenanceStatus]] = {
        "items": "secondary",
        "weights": "secondary",
        "thresholds": "secondary",
        "norms": "secondary",
    }
    caveats: ClassVar[tuple[str, ...]] = ("norms-secondary", "norms-dated")
    sources: ClassVar[tuple[str, ...]] = (
        "Hilton NZ et al. (2004) Psychological Assessment 16(3):267-275",
        "https://www.yumpu.com/en/document/view/53459074/interpreting-odara-risk-scores",
    )
    levels: ClassVar[tuple[str, ...]] = tuple(row[0] for row in _NORMS)
    cutoffs: ClassVar[tuple[tuple[int, str], ...]] = tuple((row[1], row[0]) for row in _NORMS)
    rates: ClassVar[dict[str, float]] = {row[0]: row[2] / 100 for row in _NORMS}
    percentiles: ClassVar[dict[str, int]] = {row[0]: row[3] for row in _NORMS}
    items: ClassVar[tuple[Item, ...]] = (
        Item(
            "1",
            1,
            "有家暴殴打的记录",
            "prior domestic assault on record",
            indicator="prior_domestic_assault_record",
        ),
        Item(
            "2",
            1,
            "有非家庭殴打的记录",
            "prior non-domestic assault on record",
            indicator="prior_nondomestic_assault_record",
        ),
        Item(
            "3",
            1,
            "曾被判30天以上监禁",
            "prior custodial sentence of 30+ days",
            indicator="prior_custody_30d",
        ),
        Item(
            "4",
            1,
            "曾违反有条件释放",
            "failed a prior conditional release",
            indicator="conditional_release_failure",
        ),
        Item(
            "5",
            1,
            "本次事件中威胁伤害或杀人",
            "threat to harm or kill at this assault",
            indicator="index_threat",
        ),
        Item(
            "6",
            1,
            "本次事件中限制受害人自由",
            "confined the victim at this assault",
            indicator="index_confinement",
        ),
        Item(
            "7",
            1,
            "受害人担心再遭殴打",
            "victim fears further assaults",
            indicator="victim_fears_further_violence",
        ),
        Item(
            "8",
            1,
            "双方共有一个以上孩子",
            "more than one child altogether",
            field="children.more_than_one",
        ),
        Item(
            "9",
            1,
            "受害人有与前伴侣所生的孩子",
            "victim has a child by a previous partner",
            indicator="child_of_previous_partner",
        ),
        Item(
            "10", 1, "曾对他人施暴", "violence against others", indicator="violence_against_others"
        ),
        Item(
            "11",
            1,
            "多项物质滥用迹象",
            "more than one sign of substance abuse",
            indicator="substance_abuse",
        ),
        Item(
            "12",
            1,
            "受害人怀孕时遭殴打",
            "assaulted the victim while pregnant",
            indicator="violence_during_pregnancy",
        ),
        Item(
            "13",
            1,
            "受害人求助存在障碍",
            "victim faces barriers to support",
            indicator="victim_support_barriers",
        ),
    )

    def _extra(self, level: str, level_max: str) -> dict[str, Any]:
        return {
            "recidivism_rate": self.rates[level],
            "recidivism_rate_max": self.rates[level_max],
            "percentile": self.percentiles[level],
        }
