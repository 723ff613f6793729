"""A jurisdiction brings its own channels, flags and agencies, in its own language."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

import jsonschema
import pytest
from click.testing import CliRunner
from rich.console import Console

import triage
from triage.cli import cli
from triage.explanation import print_decisions, rulebook

from .conftest import EXAMPLES

US = EXAMPLES / "policies" / "us_county_lap.yaml"
US_TRIAGE = triage.Triage(US)


def call_911(**parts: Any) -> dict[str, Any]:
    report: dict[str, Any] = {
        "id": "US-1",
        "reported_at": "2026-05-09T23:40:00-04:00",
        "source": "call_911",
        "case_type": "domestic_violence",
        "indicators": {"threat_to_kill": "yes"},
        "consent": {"share_with_agencies": True, "referral": True},
    }
    report.update(parts)
    return report


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_a_911_call_is_a_source_of_the_us_policy_and_of_no_other() -> None:
    d = US_TRIAGE.assess(call_911())
    assert d.source == "call_911" and d.routing.lead == "police"
    with pytest.raises(triage.ReportError) as info:
        triage.assess(call_911())
    (problem,) = info.value.problems
    assert (problem.path, problem.code) == ("source", "unknown-code")
    with pytest.raises(triage.ReportError):
        triage.validate_report(call_911())
    assert triage.validate_report(call_911(), US_TRIAGE.policy.sources).source == "call_911"


def test_a_typo_in_the_policys_own_source_is_refused_with_a_suggestion() -> None:
    with pytest.raises(triage.ReportError) as info:
        US_TRIAGE.assess(call_911(source="call_91"))
    (problem,) = info.value.problems
    assert problem.path == "source" and problem.suggestion == "call_911"


@pytest.mark.parametrize("policy", [None, str(US)], ids=["default", "us_county"])
def test_the_report_schema_lists_exactly_the_policys_sources(policy: str | None) -> None:
    args = ["schema", "report"] + ([] if policy is None else ["--policy", policy])
    result = run(*args)
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    sources = list(triage.load_policy(policy).sources)
    assert schema["properties"]["source"]["enum"] == sources
    validator = jsonschema.Draft202012Validator(schema)
    for source in ("call_911", "police_110", "not_a_source"):
        report = call_911(source=source)
        accepted = True
        try:
            triage.validate_report(report, sources)
        except triage.ReportError:
            accepted = False
        assert validator.is_valid(report) is accepted is (source in sources)


def test_the_decision_carries_the_labels_of_the_policys_own_codes() -> None:
    d = US_TRIAGE.assess(call_911())
    assert "lap_high_danger" in d.flags
    labels = d.routing.labels
    assert labels["call_911"].en == "911 call"
    assert labels["lap_high_danger"].en.startswith("Lethality Screen: high danger")
    # a policy in English only: the Chinese label names the key it lacks
    assert labels["call_911"].zh == "⟨missing zh: sources.call_911⟩"
    # and the default policy's decisions are as they were: no own labels
    plain = triage.assess(call_911(source="police_110"))
    assert set(plain.routing.labels) <= set(triage.load_policy(None).routing.departments) | set(
        triage.load_policy(None).routing.actions
    )


def test_explanations_word_the_own_codes_and_name_what_is_missing() -> None:
    d = US_TRIAGE.assess(call_911())
    en = triage.explain(d, "en")
    assert "911 call" in en and "Lethality Screen: high danger" in en
    assert "⟨missing" not in en
    zh = triage.explain(d, "zh")
    assert "⟨missing zh: rules.lap_screened_in.description⟩" in zh
    assert "⟨missing zh: flags.lap_high_danger⟩" in zh
    out = StringIO()
    print_decisions([d], "en", Console(file=out, width=300, color_system=None))
    assert "911 call" in out.getvalue() and "Lethality Screen: high danger" in out.getvalue()


def test_the_rulebook_lists_the_policys_own_sources_and_flags() -> None:
    text = rulebook(US_TRIAGE.policy, "en")
    assert "## This policy's own sources" in text and "`call_911` | 911 call" in text
    assert "## This policy's own flags" in text and "`firearm_relinquishment`" in text


def test_rules_check_says_which_texts_have_no_chinese() -> None:
    result = run("rules", "check", str(US))
    assert result.exit_code == 0
    assert "no-zh-text" in result.output and "policy.title" in result.output


def test_cli_assess_takes_the_policys_own_source() -> None:
    runner = CliRunner()
    report = json.dumps(call_911())
    ok = runner.invoke(cli, ["assess", "-", "--policy", str(US)], input=report)
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["source"] == "call_911"
    refused = runner.invoke(cli, ["assess", "-"], input=report)
    assert refused.exit_code == 2 and "Traceback" not in refused.output
    assert "source" in refused.output
