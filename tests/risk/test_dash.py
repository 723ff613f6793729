"""DASH: only yes answers count; bands standard 0-9, medium 10-13, high 14+."""

from __future__ import annotations

import pytest

from triage.risk import INSTRUMENTS

DASH = INSTRUMENTS["dash"]
NUMBERS = [item.number for item in DASH.items]


def answered(n_yes: int, n_unknown: int = 0) -> dict[str, str]:
    out = {}
    for i, number in enumerate(NUMBERS):
        out[number] = "yes" if i < n_yes else "unknown" if i < n_yes + n_unknown else "no"
    return out


class TestBands:
    @pytest.mark.parametrize(
        ("n", "level"),
        [
            (0, "standard"),
            (1, "standard"),
            (9, "standard"),
            (10, "medium"),
            (11, "medium"),
            (13, "medium"),
            (14, "high"),
            (15, "high"),
            (27, "high"),
        ],
    )
    def test_yes_count(self, n: int, level: str) -> None:
        """The band follows the number of yes answers, at and around each cut-off."""
        result = DASH.score(answered(n))
        assert (result.score, result.level, result.level_max) == (n, level, level)

    def test_dont_know_is_not_counted(self) -> None:
        """Reference oracle: 13 yes and 14 don't-know is medium, but could be high."""
        result = DASH.score(answered(13, 14))
        assert (result.score, result.score_max) == (13, 27)
        assert (result.level, result.level_max) == ("medium", "high")
        assert len(result.could_change_level) == 14

    def test_27_items(self) -> None:
        """The police version has 27 items, numbered 1-27, each weighing 1."""
        assert [str(n) for n in range(1, 28)] == NUMBERS
        assert {item.weight for item in DASH.items} == {1}

    def test_unconfirmed_item_is_flagged(self) -> None:
        """Item 12 is not confirmed in a primary source and says so."""
        assert DASH.item(12).provenance == "unverified"
        assert "item-12-unverified" in DASH.score({}).caveats
