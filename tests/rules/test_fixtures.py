"""Case fixtures and `triage rules test`: known cases pinned down, failures shown side by side."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import triage
from triage import FixtureError
from triage.cli import cli
from triage.policytest._fixtures import coverage, load_fixture, run_fixtures

from ..conftest import EXAMPLES

CASES = EXAMPLES / "cases"
ENGLAND = EXAMPLES / "policies" / "england_marac.yaml"
STRANGULATION = CASES / "14_red_flag_strangulation.yaml"


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def edited(tmp_path: Path, source: Path, old: str, new: str, name: str | None = None) -> Path:
    """A copy of ``source`` with one piece of text replaced (which must be there)."""
    text = source.read_text("utf-8")
    assert old in text, old
    out = tmp_path / (name or source.name)
    out.write_text(text.replace(old, new, 1), "utf-8")
    return out


def line_of(path: Path, fragment: str) -> int:
    for number, line in enumerate(path.read_text("utf-8").splitlines(), 1):
        if fragment in line:
            return number
    raise AssertionError(fragment)


@pytest.fixture(scope="module")
def default() -> triage.Triage:
    return triage.Triage()


class TestLibrary:
    def test_every_example_passes_on_the_default_policy(self, default: triage.Triage) -> None:
        """The packaged case library pins the default policy down: all pass, none skipped."""
        results = run_fixtures(default, [CASES])
        assert len(results) >= 60
        failing = [(r.path, r.mismatches, r.problems) for r in results if r.status != "pass"]
        assert failing == []

    def test_every_rule_is_fired_by_some_case(self, default: triage.Triage) -> None:
        results = run_fixtures(default, [CASES])
        assert coverage(default, results) == []

    def test_library_covers_every_source_and_case_type(self) -> None:
        reports = [load_fixture(p).report for p in sorted(CASES.glob("*.yaml"))]
        assert {r.source for r in reports} == set(triage.vocab.SOURCES.codes)
        assert {r.case_type for r in reports} == set(triage.vocab.CASE_TYPES.codes)

    def test_england_cases_pass_on_the_england_policy(self) -> None:
        results = run_fixtures(triage.Triage(ENGLAND), [CASES / "england"])
        assert len(results) >= 8
        assert [r.path for r in results if r.status != "pass"] == []

    def test_us_county_cases_pass_and_fire_every_rule(self) -> None:
        """A policy with its own sources, flags and departments, in English only."""
        us = triage.Triage(EXAMPLES / "policies" / "us_county_lap.yaml")
        results = run_fixtures(us, [CASES / "us_county"])
        assert len(results) >= 8
        assert [r.path for r in results if r.status != "pass"] == []
        assert coverage(us, results) == []

    def test_coverage_lists_rules_no_case_fired(self, default: triage.Triage) -> None:
        results = run_fixtures(default, [STRANGULATION])
        missing = coverage(default, results)
        assert "red_flag_strangulation" not in missing
        assert "da_extreme" in missing
        assert set(missing) | set(results[0].fired) == {r.id for r in default.policy.rules}


class TestMismatches:
    def test_wrong_level_fails_with_both_values_and_the_line(
        self, default: triage.Triage, tmp_path: Path
    ) -> None:
        path = edited(tmp_path, STRANGULATION, "risk_level: high", "risk_level: extreme")
        (result,) = run_fixtures(default, [path])
        assert result.status == "fail"
        (m,) = result.mismatches
        assert (m.what, m.expected, m.actual) == ("risk_level", "extreme", "high")
        assert m.line == line_of(path, "risk_level: extreme")
        assert "red_flag_strangulation" in result.fired

    def test_flags_present_and_absent(self, default: triage.Triage, tmp_path: Path) -> None:
        path = edited(
            tmp_path,
            STRANGULATION,
            "flags: [protection_order,",
            "flags_absent: [medical_care]\n  flags: [emergency_response, protection_order,",
        )
        (result,) = run_fixtures(default, [path])
        found = {m.what: m for m in result.mismatches}
        assert set(found) == {"flags", "flags_absent"}
        assert "emergency_response" in found["flags"].expected
        assert "medical_care" in found["flags_absent"].expected

    def test_deadline_checked_against_an_absolute_time(self, tmp_path: Path) -> None:
        """`due_at` pins the calendar: a deadline one working day off is a failure."""
        source = CASES / "england" / "01_dash_14_marac_over_easter.yaml"
        path = edited(
            tmp_path,
            source,
            "due_at: '2026-04-07T10:00:00+01:00'",
            "due_at: '2026-04-03T10:00:00+01:00'",
        )
        (result,) = run_fixtures(triage.Triage(ENGLAND), [path])
        assert result.status == "fail"
        (m,) = result.mismatches
        assert m.what == "task police/refer_to_marac"
        assert "2026-04-07T10:00:00+01:00" in m.actual

    def test_relative_deadline(self, default: triage.Triage, tmp_path: Path) -> None:
        source = CASES / "04_da_extreme_18.yaml"
        path = edited(
            tmp_path,
            source,
            "action: emergency_response, due: 0s",
            "action: emergency_response, due: 2h",
        )
        (result,) = run_fixtures(default, [path])
        (m,) = result.mismatches
        assert m.what == "task police/emergency_response" and "(2h)" in m.expected

    def test_unknown_rule_is_an_error_with_a_suggestion(
        self, default: triage.Triage, tmp_path: Path
    ) -> None:
        path = edited(
            tmp_path,
            STRANGULATION,
            "rules_fired: [red_flag_strangulation]",
            "rules_fired: [red_flag_strangulaton]",
        )
        (result,) = run_fixtures(default, [path])
        assert result.status == "error"
        (p,) = result.problems
        assert p.code == "unknown-rule" and p.suggestion == "red_flag_strangulation"
        assert p.line == line_of(path, "red_flag_strangulaton")


class TestMalformed:
    @pytest.mark.parametrize(
        ("old", "new", "code", "fragment"),
        [
            ("  risk_level: high", "  risk_levl: high", "unknown-field", "risk_levl"),
            ("  priority: P2", "  priority: P9", None, "priority: P9"),
            ("    age: 34", "    age: -4", None, "age: -4"),
            ("  source: grid_patrol", "  source: grid_patrl", None, "grid_patrl"),
            ("  priority: P2", "  priority: P2\n  priority: P3", "duplicate-key", "priority: P3"),
            ("  priority: P2", "  priority: [P2", "yaml-syntax", "  flags: [protection_order"),
        ],
    )
    def test_located_and_the_run_goes_on(
        self,
        default: triage.Triage,
        tmp_path: Path,
        old: str,
        new: str,
        code: str | None,
        fragment: str,
    ) -> None:
        bad = edited(tmp_path, STRANGULATION, old, new, "a_bad.yaml")
        good = tmp_path / "b_good.yaml"
        shutil.copy(STRANGULATION, good)
        results = run_fixtures(default, [tmp_path])
        assert [r.status for r in results] == ["error", "pass"]
        problems = results[0].problems
        assert problems and all(p.path == str(bad) for p in problems)
        assert problems[0].line == line_of(bad, fragment)
        if code is not None:
            assert problems[0].code == code

    def test_values_are_never_echoed(self, default: triage.Triage, tmp_path: Path) -> None:
        """A fixture holds a report: its problems name fields, not what was in them."""
        bad = edited(tmp_path, STRANGULATION, "    age: 34", "    age: ZZSECRETZZ")
        with pytest.raises(FixtureError) as info:
            load_fixture(bad)
        assert "ZZSECRETZZ" not in str(info.value)
        assert all("ZZSECRETZZ" not in p.format() for p in info.value.problems)

    def test_not_a_mapping(self, tmp_path: Path) -> None:
        path = tmp_path / "list.yaml"
        path.write_text("- 1\n- 2\n", "utf-8")
        with pytest.raises(FixtureError) as info:
            load_fixture(path)
        assert info.value.problems[0].code == "bad-structure"

    def test_json_fixture(self, default: triage.Triage, tmp_path: Path) -> None:
        """Fixtures may be JSON as well as YAML."""
        data = load_fixture(STRANGULATION)
        doc = {
            "description": data.description,
            "report": data.report.model_dump(mode="json", exclude_none=True),
            "expect": {"risk_level": "high", "rules_fired": ["red_flag_strangulation"]},
        }
        path = tmp_path / "case.json"
        path.write_text(json.dumps(doc), "utf-8")
        (result,) = run_fixtures(default, [path])
        assert result.status == "pass"


class TestCommand:
    def test_all_pass(self) -> None:
        result = run("rules", "test", "default", str(CASES))
        assert result.exit_code == 0, result.output
        count = len(list(CASES.glob("*.yaml")))
        assert result.output.rstrip().endswith(f"{count} passed, 0 failed (0 errors, 0 skipped)")

    def test_england(self) -> None:
        result = run("rules", "test", str(ENGLAND), str(CASES / "england"), "--coverage")
        assert result.exit_code == 0, result.output
        assert "rules no case fired: none" in result.output

    def test_failure_side_by_side(self, tmp_path: Path) -> None:
        edited(tmp_path, STRANGULATION, "risk_level: high", "risk_level: extreme")
        result = run("rules", "test", "default", str(tmp_path))
        assert result.exit_code == 1
        lines = result.output.splitlines()
        assert lines[0].startswith("FAIL")
        assert "expected" in lines[1] and "actual" in lines[1]
        row = next(line for line in lines if "risk_level (line" in line)
        assert row.split()[-2:] == ["extreme", "high"]
        assert any("rules fired:" in line and "red_flag_strangulation" in line for line in lines)
        assert lines[-1] == "0 passed, 1 failed (0 errors, 0 skipped)"

    def test_malformed_fixture_reported_with_file_and_line(self, tmp_path: Path) -> None:
        bad = edited(tmp_path, STRANGULATION, "  risk_level: high", "  risk_levl: high", "a.yaml")
        shutil.copy(STRANGULATION, tmp_path / "b.yaml")
        result = run("rules", "test", "default", str(tmp_path))
        assert result.exit_code == 1
        assert f"ERROR {bad}:{line_of(bad, 'risk_levl')}:" in result.output
        assert "did you mean 'risk_level'" in result.output
        assert "1 passed, 0 failed (1 errors, 0 skipped)" in result.output
        assert "Traceback" not in result.output

    def test_json(self, tmp_path: Path) -> None:
        edited(tmp_path, STRANGULATION, "priority: P2", "priority: P1", "a.yaml")
        shutil.copy(STRANGULATION, tmp_path / "b.yaml")
        result = run("rules", "test", "default", str(tmp_path), "--format", "json", "--coverage")
        assert result.exit_code == 1
        out = json.loads(result.output)
        assert (out["passed"], out["failed"], out["errors"]) == (1, 1, 0)
        assert out["policy"]["sha256"] == triage.load_policy(None).sha256
        failed = out["results"][0]
        assert failed["status"] == "fail"
        assert failed["mismatches"][0]["expected"] == "P1"
        assert "da_extreme" in out["uncovered_rules"]

    def test_no_cases_is_not_a_pass(self, tmp_path: Path) -> None:
        result = run("rules", "test", "default", str(tmp_path))
        assert result.exit_code == 1

    def test_bad_policy_is_exit_2(self, tmp_path: Path) -> None:
        bad = tmp_path / "p.yaml"
        bad.write_text("policy: {}\n", "utf-8")
        result = run("rules", "test", str(bad), str(STRANGULATION))
        assert result.exit_code == 2
        assert "Traceback" not in result.output
