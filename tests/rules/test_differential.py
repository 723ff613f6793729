"""The engine and a plain-Python reading of the rules agree, report after report."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings

from triage.rules import load_policy

from ..conftest import EXAMPLES
from ..strategies import random_reports, reports
from .helpers import compare

POLICIES = [None, *sorted(str(p) for p in (EXAMPLES / "policies").glob("*.yaml"))]


def _name(path: str | None) -> str:
    return "default" if path is None else Path(path).stem


@pytest.mark.parametrize("n", [1_000, pytest.param(10_000, marks=pytest.mark.slow)])
@pytest.mark.parametrize("path", POLICIES, ids=[_name(p) for p in POLICIES])
def test_ten_thousand_seeded_reports(path: str | None, n: int) -> None:
    """On seeded random reports (10,000 in the full run) the fired rules are identical in
    both worlds."""
    policy = load_policy(path)
    assert compare(policy, random_reports(n, seed=20261129)) == []


@pytest.mark.parametrize("path", POLICIES, ids=[_name(p) for p in POLICIES])
def test_generated_reports(path: str | None) -> None:
    """Hypothesis-generated reports (shrinking to a minimal mismatch if one exists)."""
    policy = load_policy(path)

    @settings()
    @given(reports())
    def check(report: dict[str, Any]) -> None:
        assert compare(policy, [report]) == []

    check()
