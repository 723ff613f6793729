"""ODARA: 13 binary items, total 0-13, with the bin and recidivism rate."""

from __future__ import annotations

import pytest

from triage.risk import INSTRUMENTS

ODARA = INSTRUMENTS["odara"]

# total -> (bin, recidivism rate) from the secondary norms table
EXPECTED = {
    0: ("0", 0.05),
    1: ("1", 0.10),
    2: ("2", 0.20),
    3: ("3", 0.27),
    4: ("4", 0.41),
    5: ("5-6", 0.59),
    6: ("5-6", 0.59),
    7: ("7-13", 0.70),
    8: ("7-13", 0.70),
    13: ("7-13", 0.70),
}


@pytest.mark.parametrize("total", sorted(EXPECTED))
def test_total_bin_and_rate(total: int) -> None:
    """Each total falls in its published bin with that bin's rate."""
    answers = {str(n): "yes" if n <= total else "no" for n in range(1, 14)}
    result = ODARA.score(answers)
    assert result.score == result.score_max == total
    assert (result.level, result.recidivism_rate) == EXPECTED[total]


def test_item_8_reads_children_count() -> None:
    """'More than one child altogether' comes from the structured field."""
    assert ODARA.item(8).field == "children.more_than_one"
    assert ODARA.score({"children.more_than_one": "yes"}).yes == ("8",)


def test_unknown_widens_rate() -> None:
    """Unanswered items give a range of rates, never a lower one."""
    answers = {str(n): "no" for n in range(5, 14)} | {
        "1": "yes",
        "2": "yes",
        "3": "unknown",
        "4": "unknown",
    }
    result = ODARA.score(answers)
    assert (result.level, result.level_max) == ("2", "4")
    assert result.recidivism_rate_max > result.recidivism_rate
    assert result.provenance["norms"] == "secondary"
