"""Cold start: a fresh interpreter imports triage, loads the policy (and the model) and
decides one report. Measured in a subprocess each round."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from .conftest import reports

SCRIPT = """
import json, sys, triage
t = triage.Triage(model={model})
t.assess(json.loads(sys.argv[1]))
"""


@pytest.mark.parametrize("model", ["'default'", "None"], ids=["with-model", "without-model"])
@pytest.mark.benchmark(group="cold start: import, load, first decision")
def test_cold_start(benchmark: Any, model: str) -> None:
    code = SCRIPT.format(model=model)
    report = json.dumps(reports()[0])

    def start() -> None:
        subprocess.run([sys.executable, "-c", code, report], check=True)

    benchmark.pedantic(start, rounds=5, iterations=1, warmup_rounds=1)
