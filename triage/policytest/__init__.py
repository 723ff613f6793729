"""Testing a policy before it ships: case fixtures (`rules test`) and what a change
would move on real or synthetic archives (`rules diff`)."""

from __future__ import annotations

from ._diff import DiffResult, diff_policies, iter_reports
from ._fixtures import CaseResult, Fixture, FixtureFile, load_fixture, run_fixtures

__all__ = [
    "CaseResult",
    "DiffResult",
    "Fixture",
    "FixtureFile",
    "diff_policies",
    "iter_reports",
    "load_fixture",
    "run_fixtures",
]
