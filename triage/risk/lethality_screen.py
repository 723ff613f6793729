"""Lethality Screen of the Maryland Lethality Assessment Program (LAP).

Sources: Maryland Network Against Domestic Violence, Lethality Screen for First
Responders (form reproduced at https://shamelesssurvivors.com/lethality-assessment-screen/
and on the Draper, UT police form); Messing JT, Campbell J, Sullivan Wilson J,
Brown S, Patchell B (2017) J Interpers Violence 32(2):205-226 (sensitivity
92-93%, specificity 21%); Messing JT, Campbell J, Holly K, Corwin D (2024),
Policing, doi:10.1093/police/paae060 (LAP 2.0: strangulation screens in alone).

Rule (secondary: read on form reproductions): the victim screens in on a yes to
any of questions 1-3, or on yes to at least four of questions 4-11. An officer
may also screen a victim in on their own belief that the situation is
potentially lethal; that is recorded as the reason, separately. "Not answered"
is never yes: an unanswered question can only be reported as one that could
change the outcome. ``version="lap-2.0"`` adds strangulation (question 5) as a
stand-alone trigger.

``score`` here is the number of yes answers (0-11), the form has no total.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from .._errors import UsageError
from ._base import Instrument, Item, Tri, no_options
from ._results import LethalityScreenResult, ProvenanceStatus

__all__ = ["LethalityScreen"]

Version = Literal["lap-1", "lap-2.0"]


class LethalityScreen(Instrument):
    id: ClassVar[str] = "lethality_screen"
    name_zh: ClassVar[str] = "致命性筛查（LAP）"
    name_en: ClassVar[str] = "Lethality Screen (LAP)"
    version: ClassVar[str] = "lap-1"
    versions: ClassVar[tuple[str, ...]] = ("lap-1", "lap-2.0")
    provenance: ClassVar[dict[str, ProvenanceStatus]] = {
        "items": "secondary",
        "weights": "secondary",
        "thresholds": "secondary",
    }
    sources: ClassVar[tuple[str, ...]] = (
        "MNADV Lethality Screen for First Responders (form reproductions)",
        "Messing et al. (2017) J Interpers Violence 32(2):205-226",
        "Messing et al. (2024) Policing doi:10.1093/police/paae060 (LAP 2.0)",
    )
    levels: ClassVar[tuple[str, ...]] = ("not_screened_in", "screened_in")
    items: ClassVar[tuple[Item, ...]] = (
        Item(
            "1",
            1,
            "曾用武器伤害或以武器威胁",
            "ever used or threatened with a weapon",
            indicator="weapon_use_or_threat",
        ),
        Item(
            "2",
            1,
            "威胁杀害受害人或孩子",
            "threatened to kill her or the children",
            indicator="threat_to_kill",
        ),
        Item(
            "3",
            1,
            "认为他可能会杀害自己",
            "thinks he might try to kill her",
            indicator="victim_fears_being_killed",
        ),
        Item(
            "4", 1, "有枪或能轻易得到枪", "has a gun or can easily get one", indicator="gun_access"
        ),
        Item("5", 1, "曾掐她脖子", "ever tried to choke her", indicator="strangulation"),
        Item(
            "6",
            1,
            "暴力性嫉妒或控制日常活动",
            "violently jealous or controls daily activities",
            indicator="jealousy_or_control",
        ),
        Item(
            "7",
            1,
            "同居或结婚后离开或分开",
            "she left or separated after living together",
            indicator="separation",
        ),
        Item("8", 1, "他失业", "he is unemployed", indicator="abuser_unemployed"),
        Item(
            "9", 1, "他曾企图自杀", "he ever tried to kill himself", indicator="abuser_suicidality"
        ),
        Item(
            "10",
            1,
            "她有他知道不是他的孩子",
            "she has a child he knows is not his",
            indicator="child_of_previous_partner",
        ),
        Item(
            "11",
            1,
            "跟踪、监视或留下威胁信息",
            "follows, spies or leaves threatening messages",
            indicator="stalking",
        ),
    )
    _TRIGGERS_1 = (0, 1, 2)  # questions 1-3, by position
    _GROUP_B = tuple(range(3, 11))  # questions 4-11
    _STRANGULATION = 4  # question 5

    def _triggers(self, version: str) -> tuple[int, ...]:
        """The questions (by position) that screen in alone: 1-3, and 5 in LAP 2.0."""
        return self._TRIGGERS_1 + ((self._STRANGULATION,) if version == "lap-2.0" else ())

    def if_yes(self, result: Any, number: str, **options: Any) -> dict[str, Any] | None:
        version = options.get("version", "lap-1")
        triggers = self._triggers(version)
        yes = {*result.yes, number}
        trigger_numbers = {self.items[i].number for i in triggers}
        group_b = sum(1 for i in self._GROUP_B if self.items[i].number in yes)
        screened = bool(trigger_numbers & yes) or group_b >= 4 or result.screened_in
        return {
            "score": result.score + 1,
            "screened_in": screened,
            "level": "screened_in" if screened else "not_screened_in",
        }

    def _evaluate(
        self,
        item_answers: tuple[Tri, ...],
        applies: bool,
        officer_belief: bool | None = None,
        version: str = "lap-1",
        **options: Any,
    ) -> LethalityScreenResult:
        no_options(self.id, options)
        if version not in self.versions:
            raise UsageError(f"unknown Lethality Screen version; use one of {self.versions}")
        triggers = self._triggers(version)
        b_yes = sum(1 for i in self._GROUP_B if item_answers[i] == "yes")
        b_unknown = [i for i in self._GROUP_B if item_answers[i] == "unknown"]
        protocol = b_yes >= 4 or any(item_answers[i] == "yes" for i in triggers)
        protocol_max = (
            protocol
            or b_yes + len(b_unknown) >= 4
            or any(item_answers[i] == "unknown" for i in triggers)
        )
        screened_in = protocol or officer_belief is True
        screened_in_max = screened_in or protocol_max
        by: Literal["protocol", "officer_belief"] | None = (
            "protocol" if protocol else "officer_belief" if screened_in else None
        )
        score = sum(1 for a in item_answers if a == "yes")
        score_max = score + sum(1 for a in item_answers if a == "unknown")
        could: tuple[str, ...] = ()
        if screened_in != screened_in_max:
            alone = [i for i in triggers if item_answers[i] == "unknown"]
            if b_yes == 3:
                alone += [i for i in b_unknown if i not in alone]
            rest = [i for i in b_unknown if i not in alone] if b_yes + len(b_unknown) >= 4 else []
            could = tuple(self.items[i].number for i in sorted(alone) + rest)
        return self._result(
            LethalityScreenResult, item_answers, version, applies, score, score_max,
            "screened_in" if screened_in else "not_screened_in",
            "screened_in" if screened_in_max else "not_screened_in",
            could, screened_in=screened_in, screened_in_max=screened_in_max, screened_in_by=by,
        )  # fmt: skip
