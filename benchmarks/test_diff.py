"""`rules diff` throughput: 20,000 reports the processes have not seen, the packaged
policy against a one-threshold change, on 2 worker processes; the generated rules with
1% of decisions checked (the command's default) and durable-rules alone (the baseline)
taking turns, three runs each (reports per second and their ratio in extra_info;
process start-up included). Both give the same comparison, byte for byte."""

from __future__ import annotations

import json
import statistics
import time
from pathlib import Path
from typing import Any

import pytest

from triage.policytest import diff_policies, iter_reports
from triage.policytest._diff import dumps
from triage.risk import cohort
from triage.rules import load_policy

COUNT = 20_000
TURNS = 3
JOBS = 2

# ODARA 5-6 read as high instead of medium: a change policy staff might try
_RULE = """      instruments.odara.level: "5-6"
    then: {level: medium}"""
_CHANGED = """      instruments.odara.level: "5-6"
    then: {level: high}"""


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The reports (JSON Lines) and the candidate policy."""
    where = tmp_path_factory.mktemp("diff")
    reports = where / "reports.jsonl"
    made = cohort.generate(COUNT, seed=505).reports
    reports.write_text("".join(json.dumps(r) + "\n" for r in made), "utf-8")
    text = load_policy(None).source.decode("utf-8")
    assert text.count(_RULE) == 1, "the packaged policy's ODARA 5-6 rule has changed"
    candidate = where / "candidate.yaml"
    candidate.write_text(text.replace(_RULE, _CHANGED), "utf-8")
    return reports, candidate


@pytest.mark.benchmark(group="rules diff: 20,000 reports")
def test_rules_diff(benchmark: Any, inputs: tuple[Path, Path]) -> None:
    reports, candidate = inputs
    engines = {"compiled": "1%", "durable": "always"}
    seconds: dict[str, list[float]] = {engine: [] for engine in engines}
    outputs: dict[str, str] = {}
    for _ in range(TURNS):
        for engine, verify in engines.items():
            start = time.perf_counter()
            result = diff_policies(
                None,  # the packaged policy
                candidate,
                iter_reports(reports),
                jobs=JOBS,
                verify=verify,
                engine=engine,
            )
            seconds[engine].append(time.perf_counter() - start)
            assert result.reports == COUNT and result.invalid == 0
            outputs[engine] = dumps(result)
    assert outputs["compiled"] == outputs["durable"]
    assert json.loads(outputs["compiled"])["level_changes"], "the change moved nothing"
    rate = {engine: COUNT / statistics.median(runs) for engine, runs in seconds.items()}
    benchmark.extra_info.update(
        reports_per_s=round(rate["compiled"]),
        durable_reports_per_s=round(rate["durable"]),
        ratio=round(rate["compiled"] / rate["durable"], 2),
        seconds_per_100000=round(100_000 / rate["compiled"], 1),
    )
    benchmark.pedantic(lambda: None, rounds=1)
