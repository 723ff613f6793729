"""Danger Assessment: golden vectors from its published scoring.

The DA weights are not confirmed against a primary source (see the module
docstring); vectors that depend on them are marked provisional by name and
must be revisited if the weight table changes.
"""

from __future__ import annotations

import pytest

from triage.risk import INSTRUMENTS

DA = INSTRUMENTS["danger_assessment"]


def yes(*numbers: str) -> dict[str, str]:
    return {n: "yes" for n in numbers} | {
        item.number: "no" for item in DA.items if item.number not in numbers
    }


class TestCutoffs:
    """Levels at and either side of every cut-off: <8, 8-13, 14-17, 18+."""

    @pytest.mark.parametrize(
        ("score", "level"),
        [
            (-3, "variable"),
            (0, "variable"),
            (7, "variable"),
            (8, "increased"),
            (9, "increased"),
            (13, "increased"),
            (14, "severe"),
            (15, "severe"),
            (17, "severe"),
            (18, "extreme"),
            (19, "extreme"),
            (38, "extreme"),
        ],
    )
    def test_level_of(self, score: int, level: str) -> None:
        """The published bands, independent of any weight."""
        assert DA.level_of(score) == level


class TestProvisionalWeights:
    """Weighted totals (weights unverified: 2=5, 3=4, 4=4, 5-7=3, 8-9=2, else 1, 3a=-3)."""

    @pytest.mark.parametrize(
        ("numbers", "score", "level"),
        [
            ((), 0, "variable"),
            (("2", "9"), 7, "variable"),  # gun + forced sex
            (("2", "5"), 8, "increased"),  # gun + weapon
            (("2", "6", "10"), 9, "increased"),  # reference oracle: gun + threat + choke
            (("2", "3", "4"), 13, "increased"),
            (("2", "3", "4", "1"), 14, "severe"),
            (("2", "3", "4", "1", "10"), 15, "severe"),
            (("2", "3", "4", "5", "1"), 17, "severe"),
            (("2", "3", "4", "5", "8"), 18, "extreme"),
            (("2", "3", "4", "5", "8", "1"), 19, "extreme"),
            (tuple(i.number for i in DA.items if i.number != "3a"), 38, "extreme"),
        ],
    )
    def test_weighted_total(self, numbers: tuple[str, ...], score: int, level: str) -> None:
        """A yes adds the item's weight; every other item answered no."""
        result = DA.score(yes(*numbers))
        assert (result.score, result.score_max, result.level, result.level_max) == (
            score,
            score,
            level,
            level,
        )

    def test_never_lived_together(self) -> None:
        """Reference oracle: 3a (-3) + threat to kill (3) + capable of killing (1) = 1."""
        result = DA.score(yes("3a", "6", "18"))
        assert result.score == 1
        assert result.level == "variable"

    def test_3a_voids_item_3(self) -> None:
        """Never having lived together is the alternative answer to item 3."""
        assert DA.score(yes("3", "3a")).score == -3
        assert DA.score(yes("3")).score == 4

    def test_3a_reads_cohabited_inverted(self) -> None:
        """The indicator 'cohabited: no' is item 3a answered yes."""
        assert DA.score({"cohabited": "no"}).yes == ("3a",)
        assert DA.score({"cohabited": "yes"}).no == ("3a",)


class TestUnknown:
    """Unanswered items widen the range and never lower it."""

    def test_all_unknown(self) -> None:
        """Nothing answered: score 0, the maximum is every positive weight."""
        result = DA.score({})
        assert (result.score, result.score_max) == (0, 38)
        assert (result.level, result.level_max) == ("variable", "extreme")
        assert "3a" in result.unknown

    def test_could_change_lists_decisive_items_first(self) -> None:
        """At 13, any unanswered item of weight 1 or more moves the level alone."""
        answers = yes("2", "3", "4") | {"1": "unknown", "7": "unknown"}
        result = DA.score(answers)
        assert result.level == "increased"
        assert result.could_change_level == ("7", "1")

    def test_only_jointly_decisive(self) -> None:
        """At 6 no single weight-1 item reaches 8, two together do; both are listed."""
        answers = yes("5", "6") | {"1": "unknown", "10": "unknown"}
        result = DA.score(answers)
        assert (result.score, result.level, result.level_max) == (6, "variable", "increased")
        assert result.could_change_level == ("1", "10")

    def test_nothing_listed_when_level_cannot_change(self) -> None:
        """At 0 two weight-1 unknowns cannot reach 8, so none is listed."""
        result = DA.score(yes() | {"1": "unknown", "10": "unknown"})
        assert result.level == result.level_max == "variable"
        assert result.could_change_level == ()

    def test_caveats_are_reported(self) -> None:
        """Unconfirmed weights are said so in every result."""
        result = DA.score({})
        assert result.provenance["weights"] == "unverified"
        assert "weights-unverified" in result.caveats
