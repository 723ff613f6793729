"""Lethality Screen: the reference oracles 1-6 and the LAP 2.0 option."""

from __future__ import annotations

import pytest

from triage import UsageError
from triage.risk import INSTRUMENTS

LS = INSTRUMENTS["lethality_screen"]


def answers(yes: tuple[int, ...] = (), unknown: tuple[int, ...] = ()) -> dict[str, str]:
    return {
        str(n): "yes" if n in yes else "unknown" if n in unknown else "no" for n in range(1, 12)
    }


class TestProtocol:
    @pytest.mark.parametrize("q", [1, 2, 3])
    def test_any_of_first_three(self, q: int) -> None:
        """Oracle 1: a yes to any of questions 1-3 screens in by protocol."""
        result = LS.score(answers(yes=(q,)))
        assert result.screened_in and result.screened_in_by == "protocol"
        assert result.level == "screened_in"

    def test_four_of_the_rest(self) -> None:
        """Oracle 2: four yes among questions 4-11 screens in."""
        result = LS.score(answers(yes=(4, 6, 7, 8)))
        assert result.screened_in and result.screened_in_by == "protocol"

    def test_three_of_the_rest(self) -> None:
        """Oracle 3: three yes among 4-11 and no officer belief does not screen in."""
        result = LS.score(answers(yes=(4, 6, 11)), officer_belief=False)
        assert not result.screened_in and result.screened_in_by is None
        assert result.level == result.level_max == "not_screened_in"

    def test_officer_belief(self) -> None:
        """Oracle 4: the officer's belief screens in, recorded as the reason."""
        result = LS.score(answers(yes=(4, 6, 11)), officer_belief=True)
        assert result.screened_in and result.screened_in_by == "officer_belief"

    def test_not_answered_is_not_yes(self) -> None:
        """Oracle 5: unanswered questions never screen in; they could change it."""
        result = LS.score(answers(yes=(4, 5, 6), unknown=(1, 7, 8, 9, 10, 11)))
        assert not result.screened_in
        assert result.screened_in_max and result.level_max == "screened_in"
        assert result.could_change_level == ("1", "7", "8", "9", "10", "11")


class TestLap2:
    def test_strangulation_alone(self) -> None:
        """Oracle 6: choking alone screens in under LAP 2.0, not under the original."""
        only_choke = answers(yes=(5,))
        assert not LS.score(only_choke, version="lap-1").screened_in
        assert LS.score(only_choke, version="lap-2.0").screened_in

    def test_unknown_version(self) -> None:
        with pytest.raises(UsageError):
            LS.score({}, version="lap-3")
