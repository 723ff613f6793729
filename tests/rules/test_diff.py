"""`triage rules diff`: what moves between two policies, checked against deciding each report."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import triage
from triage import UsageError
from triage.cli import cli
from triage.policytest._diff import _WORKER, DiffResult, diff_policies, dumps, iter_reports
from triage.rules import DEFAULT_POLICY

from ..conftest import EXAMPLES
from ..strategies import random_reports
from .helpers import crosses

THRESHOLD = '{history.reports_12m: {">=": 3}}'
ALL = 10**6  # keep every example id


def candidate_bytes() -> bytes:
    """The default policy with the repeat-call threshold lowered from 3 calls to 2."""
    text = Path(DEFAULT_POLICY).read_text("utf-8")
    assert text.count(THRESHOLD) == 1
    text = text.replace(THRESHOLD, THRESHOLD.replace("3", "2"))
    text = text.replace("id: cn-gd-sz-baoan-default", "id: cn-gd-sz-baoan-candidate", 1)
    return text.encode()


@pytest.fixture(scope="module", name="reports")
def _reports() -> list[dict[str, Any]]:
    return random_reports(1200, seed=11)


@pytest.fixture(scope="module", name="jsonl")
def _jsonl(reports: list[dict[str, Any]], tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("diff") / "reports.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in reports), "utf-8")
    return path


@pytest.fixture(scope="module", name="result")
def _result(jsonl: Path) -> DiffResult:
    return diff_policies(None, candidate_bytes(), iter_reports(jsonl), jobs=1, examples=ALL)


def test_one_threshold_moves_exactly_the_reports_that_cross_it(
    result: DiffResult, reports: list[dict[str, Any]]
) -> None:
    expected = sorted(r["id"] for r in reports if crosses(r))
    assert len(expected) > 20  # the sample exercises the threshold
    assert sorted(result.examples["flag+:repeat_victimisation"]) == expected
    assert result.flags_gained["repeat_victimisation"] == len(expected)
    assert not result.flags_lost
    # Lowering a threshold can only raise: no level or priority goes down.
    rank = {c: i for i, c in enumerate(triage.vocab.LEVELS.codes)}
    assert all(rank[b] >= rank[a] for a, b in result.levels)
    prank = {c: i for i, c in enumerate(triage.vocab.PRIORITIES.codes)}
    assert all(prank[b] >= prank[a] for a, b in result.priorities)
    moved = {rid for key, ids in result.examples.items() for rid in ids}
    assert moved <= set(expected)  # nothing else moved
    assert result.changed == len(expected)
    assert (result.reports, result.invalid) == (len(reports), 0)


def naive(reports: list[dict[str, Any]], old: triage.Triage, new: triage.Triage) -> dict[str, Any]:
    """The same counts from two independent `assess` calls per report."""
    out: dict[str, Counter[Any]] = {
        k: Counter() for k in ("levels", "priorities", "gained", "lost", "leads", "tasks")
    }
    changed = 0
    for report in reports:
        a, b = old.assess(report), new.assess(report)
        out["levels"][(a.risk_level, b.risk_level)] += 1
        out["priorities"][(a.priority, b.priority)] += 1
        out["gained"].update(set(b.flags) - set(a.flags))
        out["lost"].update(set(a.flags) - set(b.flags))
        assert a.routing is not None and b.routing is not None
        if a.routing.lead != b.routing.lead:
            out["leads"][(a.routing.lead, b.routing.lead)] += 1
        before = {(t.department, t.action): t.due.astimezone(UTC) for t in a.routing.tasks}
        after = {(t.department, t.action): t.due.astimezone(UTC) for t in b.routing.tasks}
        for key in set(before) | set(after):
            if key not in after:
                out["tasks"][(*key, "removed")] += 1
            elif key not in before:
                out["tasks"][(*key, "added")] += 1
            elif after[key] != before[key]:
                out["tasks"][(*key, "earlier" if after[key] < before[key] else "later")] += 1
        changed += (a.risk_level, a.priority, a.flags, a.routing.lead) != (
            b.risk_level,
            b.priority,
            b.flags,
            b.routing.lead,
        ) or before != after
    return {**out, "changed": changed}


def test_agrees_with_deciding_each_report_alone(
    result: DiffResult, reports: list[dict[str, Any]]
) -> None:
    """Sharing work between the two policies changes nothing: same counts as two `assess`."""
    expected = naive(reports[:400], triage.Triage(), triage.Triage(candidate_bytes()))
    got = diff_policies(None, candidate_bytes(), iter(("x", r) for r in reports[:400]), jobs=1)
    assert got.levels == expected["levels"]
    assert got.priorities == expected["priorities"]
    assert got.flags_gained == expected["gained"] and got.flags_lost == expected["lost"]
    assert got.leads == expected["leads"]
    assert got.deadlines == expected["tasks"]
    assert got.changed == expected["changed"]


def test_durable_rules_alone_gives_the_same_comparison(result: DiffResult, jsonl: Path) -> None:
    """The engine of record, deciding both policies by itself, counts the same moves
    with the same examples: the generated rules the comparison runs on change nothing."""
    durable = diff_policies(
        None, candidate_bytes(), iter_reports(jsonl), jobs=1, examples=ALL, engine="durable"
    )
    assert result.changed > 20
    assert dumps(durable) == dumps(result)
    # and it was durable-rules that decided (jobs=1: the policies are this process's)
    assert all(_WORKER[side].verify == "durable" for side in ("old", "new"))


def test_policies_that_route_differently(reports: list[dict[str, Any]]) -> None:
    """Against a policy with other routing, lead and deadline changes agree with `assess`."""
    england = EXAMPLES / "policies" / "england_marac.yaml"
    sample = reports[:200]
    expected = naive(sample, triage.Triage(), triage.Triage(england))
    got = diff_policies(None, england, iter(("x", r) for r in sample), jobs=1)
    assert got.leads == expected["leads"] and got.leads
    assert got.deadlines == expected["tasks"] and got.deadlines
    assert got.levels == expected["levels"]
    assert got.changed == expected["changed"]


def test_one_deadline_moves_exactly_the_tasks_that_carry_it(
    reports: list[dict[str, Any]],
) -> None:
    """Same routing sections, one rule's deadline tightened: that task moves, with the task
    counted from it, and the counts agree with `assess` (plans are compared only where the
    plan keys differ)."""
    text = Path(DEFAULT_POLICY).read_text("utf-8")
    task = "{department: court, action: decide_protection_order, due: 72h,"
    assert text.count(task) == 1
    tighter = text.replace(task, task.replace("72h", "48h")).encode()
    sample = reports[:400]
    expected = naive(sample, triage.Triage(), triage.Triage(tighter))
    got = diff_policies(None, tighter, iter(("x", r) for r in sample), jobs=1)
    assert got.deadlines == expected["tasks"]
    court = ("court", "decide_protection_order", "earlier")
    assert set(got.deadlines) == {court, ("police", "verify_protection_order", "earlier")}
    assert not (got.leads or got.flags_gained or got.flags_lost)
    assert got.changed == expected["changed"] == got.deadlines[court] > 20


def test_same_policy_changes_nothing(jsonl: Path) -> None:
    same = diff_policies(None, None, iter_reports(jsonl), jobs=1)
    assert same.changed == 0 and same.reports == 1200
    assert not (same.flags_gained or same.flags_lost or same.leads or same.deadlines)
    assert all(a == b for a, b in same.levels)


def test_stable_across_runs_and_worker_counts(result: DiffResult, jsonl: Path) -> None:
    """The output does not depend on how the work was split or on which run it is."""
    again = diff_policies(None, candidate_bytes(), iter_reports(jsonl), jobs=2, examples=ALL)
    assert dumps(again) == dumps(result)
    small = diff_policies(None, candidate_bytes(), iter_reports(jsonl), jobs=1)
    assert all(len(ids) <= 5 for ids in small.examples.values())
    assert (small.reports, small.changed) == (again.reports, again.changed)


def test_inputs_fixtures_json_and_bad_lines(tmp_path: Path) -> None:
    """Fixtures, JSON report files and JSON Lines mix; a bad line is counted, not fatal."""
    lines = [
        json.dumps(random_reports(1, seed=1)[0]),
        "",
        "{not json",
        json.dumps({"id": "x"}),  # valid JSON, not a valid report
    ]
    (tmp_path / "a.jsonl").write_text("\n".join(lines) + "\n", "utf-8")
    (tmp_path / "b.json").write_text(
        (EXAMPLES / "reports" / "01_police_110_strangulation.json").read_text("utf-8"), "utf-8"
    )
    (tmp_path / "c.yaml").write_text(
        (EXAMPLES / "cases" / "14_red_flag_strangulation.yaml").read_text("utf-8"), "utf-8"
    )
    got = diff_policies(None, candidate_bytes(), iter_reports(tmp_path), jobs=1)
    assert (got.reports, got.invalid) == (3, 2)
    jsonl = tmp_path / "a.jsonl"
    assert got.invalid_where == [f"{jsonl}:3", f"{jsonl}:4"]
    cases = diff_policies(None, None, iter_reports(EXAMPLES / "cases"), jobs=1)
    assert cases.reports == len(list((EXAMPLES / "cases").glob("*.yaml")))


def test_missing_path_and_policy_objects_are_usage_errors(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        list(iter_reports(tmp_path / "nowhere.jsonl"))
    with pytest.raises(UsageError):
        diff_policies(triage.load_policy(None), None, iter(()))


class TestCommand:
    def run(self, *args: str) -> Any:
        return CliRunner().invoke(cli, ["rules", "diff", *args], catch_exceptions=False)

    def test_json(self, jsonl: Path, result: DiffResult, tmp_path: Path) -> None:
        cand = tmp_path / "candidate.yaml"
        cand.write_bytes(candidate_bytes())
        out = self.run(
            "default",
            str(cand),
            "--cases",
            str(jsonl),
            "--format",
            "json",
            "--jobs",
            "1",
            "--examples",
            str(ALL),
        )
        assert out.exit_code == 0, out.output
        data = json.loads(out.stdout)
        assert data == json.loads(dumps(result))
        assert "1% of decisions (by report id) checked by durable-rules" in out.stderr
        assert data["new"]["id"] == "cn-gd-sz-baoan-candidate"
        (row,) = [f for f in data["flags"] if f["flag"] == "repeat_victimisation"]
        assert row["gained"] == result.flags_gained["repeat_victimisation"]

    @pytest.mark.parametrize("lang", ["en", "zh"])
    def test_tables(self, jsonl: Path, tmp_path: Path, lang: str) -> None:
        cand = tmp_path / "candidate.yaml"
        cand.write_bytes(candidate_bytes())
        out = self.run("default", str(cand), "--cases", str(jsonl), "--jobs", "1", "--lang", lang)
        assert out.exit_code == 0, out.output
        assert "1200" in out.output and "repeat_victimisation" in out.output
        assert (
            "Risk level (rows: old, columns: new)" if lang == "en" else "风险等级"
        ) in out.output
        assert "sha256" in out.output

    def test_bad_new_policy_is_exit_2(self, jsonl: Path, tmp_path: Path) -> None:
        bad = tmp_path / "bad.yaml"
        bad.write_text("policy: {id: x}\nrules: []\n", "utf-8")
        out = self.run("default", str(bad), "--cases", str(jsonl))
        assert out.exit_code == 2 and "Traceback" not in out.output
