"""Random policies: the compiler and engine agree with the reference, and never crash."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ..conftest import ROOT


@pytest.mark.parametrize("seed", [1, *(pytest.param(s, marks=pytest.mark.slow) for s in (2, 3, 4))])
def test_random_policies_agree_and_never_crash(seed: int) -> None:
    """In a separate process (a crash in C would end it): 15 random policies x 100 reports."""
    proc = subprocess.run(
        [sys.executable, "-m", "tests.rules.random_policy", str(seed), "15", "100"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = json.loads(proc.stdout)
    assert result["mismatches"] == []
    assert result["checked"] >= 10
