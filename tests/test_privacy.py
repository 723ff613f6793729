"""No error path, log record, trace or command output repeats what a report says.

Every value below carries a marker. The marker may appear only where a caller asked for
it: a decision's own report id. It must not appear in any exception (or the exceptions
chained behind it), any log record, any CLI output, error file or decision log.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import triage
from triage import Rejected, ReportError, TriageError, explain
from triage.cli import cli
from triage.risk import cohort

from .conftest import EXAMPLES

MARK = "ZZSECRETZZ"


def marked_valid() -> dict[str, Any]:
    """A valid report whose free text is full of the marker."""
    return {
        "id": "P-1",
        "reported_at": "2026-03-02T21:15:00+08:00",
        "source": "police_110",
        "case_type": "domestic_violence",
        "narrative": f"{MARK} said {MARK}",
        "location": {"street": "xixiang", "community": MARK},
        "professional_judgement": {"level": "high", "reason": MARK},
        "indicators": {"strangulation": "yes"},
    }


INVALID_VALUES: list[tuple[str, Any]] = [
    ("source", MARK),
    ("case_type", MARK),
    ("reported_at", MARK),
    ("victim.age", MARK),
    ("victim.gender", MARK),
    ("abuser.relationship", MARK),
    ("indicators.strangulation", MARK),
    ("history.police_calls_12m", MARK),
    ("consent.share_with_agencies", MARK),
    ("professional_judgement.level", MARK),
    ("location.street", MARK + "\nwith a line break"),
    ("narrative", MARK * 5000),
    ("id", MARK * 200),
]


def marked_invalid(key: str, value: Any) -> dict[str, Any]:
    report = marked_valid()
    target = report
    *parents, last = key.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[last] = value
    return report


def chain_text(exc: BaseException) -> str:
    """Everything an exception and those behind it say."""
    parts = []
    seen: set[int] = set()
    node: BaseException | None = exc
    while node is not None and id(node) not in seen:
        seen.add(id(node))
        parts += [str(node), repr(node)]
        if isinstance(node, TriageError):
            parts += [p.format() for p in node.problems]
            parts += [json.dumps(p.as_dict(), ensure_ascii=False) for p in node.problems]
        node = node.__cause__ or node.__context__
    return "\n".join(parts)


@pytest.fixture(autouse=True)
def no_marker_in_logs(caplog: pytest.LogCaptureFixture) -> Any:
    caplog.set_level(logging.DEBUG)
    yield
    for record in caplog.records:
        assert MARK not in record.getMessage()


@pytest.mark.parametrize(("key", "value"), INVALID_VALUES, ids=[k for k, _ in INVALID_VALUES])
def test_report_errors(key: str, value: Any) -> None:
    with pytest.raises(ReportError) as info:
        triage.assess(marked_invalid(key, value))
    assert MARK not in chain_text(info.value)
    assert info.value.problems


def test_decision_explanation_and_log(tmp_path: Path) -> None:
    log = tmp_path / "d.log"
    decision = triage.Triage(decision_log=log).assess(marked_valid())
    for text in (
        decision.to_json(),
        explain(decision, "zh"),
        explain(decision, "en"),
        repr(decision),
        log.read_text("utf-8"),
    ):
        assert MARK not in text
    assert decision.professional_judgement is not None  # the reason was used, not repeated


def test_batch_outputs(tmp_path: Path) -> None:
    lines = [json.dumps(marked_valid())]
    lines += [json.dumps(marked_invalid(k, v)) for k, v in INVALID_VALUES]
    lines += ['{"id": "' + MARK, MARK, "[" * 5000]
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", "utf-8")
    out, err, log = tmp_path / "out.jsonl", tmp_path / "err.jsonl", tmp_path / "d.log"
    result = CliRunner().invoke(
        cli,
        ["batch", str(src), "-o", str(out), "--errors", str(err), "--decision-log", str(log)],
        catch_exceptions=False,
    )
    assert result.exit_code == 1
    for text in (result.output, out.read_text(), err.read_text(), log.read_text()):
        assert MARK not in text
    reports = [marked_invalid(k, v) for k, v in INVALID_VALUES]
    for r in triage.Triage().assess_many(reports):
        assert isinstance(r, Rejected) and MARK not in json.dumps(r.as_dict())


def test_command_line_errors(tmp_path: Path) -> None:
    runner = CliRunner()
    for key, value in INVALID_VALUES:
        path = tmp_path / "r.json"
        path.write_text(json.dumps(marked_invalid(key, value)), "utf-8")
        for fmt in ("json", "table", "explain"):
            result = runner.invoke(
                cli, ["assess", str(path), "--format", fmt], catch_exceptions=False
            )
            assert result.exit_code == 2 and MARK not in result.output
    good = tmp_path / "good.json"
    good.write_text(json.dumps(marked_valid()), "utf-8")
    for fmt in ("json", "table", "explain"):
        result = runner.invoke(cli, ["assess", str(good), "--format", fmt], catch_exceptions=False)
        assert result.exit_code == 0 and MARK not in result.output


def test_fixtures_and_policy_tools(tmp_path: Path) -> None:
    source = (EXAMPLES / "cases" / "14_red_flag_strangulation.yaml").read_text("utf-8")
    (tmp_path / "bad.yaml").write_text(source.replace("age: 34", f"age: {MARK}"), "utf-8")
    (tmp_path / "good.yaml").write_text(
        source.replace("narrative: '", f"narrative: '{MARK} "), "utf-8"
    )
    runner = CliRunner()
    for args in (
        ["rules", "test", "default", str(tmp_path)],
        ["rules", "test", "default", str(tmp_path), "--format", "json"],
        ["rules", "diff", "default", "default", "--cases", str(tmp_path), "--jobs", "1"],
        [
            "rules",
            "diff",
            "default",
            "default",
            "--cases",
            str(tmp_path),
            "--format",
            "json",
            "--jobs",
            "1",
        ],
    ):
        result = runner.invoke(cli, args, catch_exceptions=False)
        assert MARK not in result.output, args


def test_model_data_errors(tmp_path: Path) -> None:
    data = tmp_path / "cases.jsonl"
    good = {**cohort.generate(1, seed=1).reports[0], "outcome": 1}
    data.write_text(
        "\n".join(
            [
                json.dumps(good),
                json.dumps({**good, "outcome": MARK}),
                MARK,
                json.dumps({**good, "victim": {"age": MARK}}),
            ]
        )
        + "\n"
    )
    with pytest.raises(TriageError) as info:
        cohort.read_jsonl(data)
    assert MARK not in chain_text(info.value)
    result = CliRunner().invoke(
        cli,
        ["model", "train", "--data", str(data), "--out", str(tmp_path / "m.skops")],
        catch_exceptions=False,
    )
    assert result.exit_code == 2 and MARK not in result.output
    bad_report = [{**cohort.generate(1, seed=2).reports[0], "source": MARK}] * 3
    with pytest.raises(ReportError) as err:
        triage.risk.model.train(bad_report, [0, 1, 0])
    assert MARK not in chain_text(err.value)
