"""The command line: exit statuses, outputs, and no tracebacks or values on errors."""

from __future__ import annotations

import json
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from triage.cli import cli

from .conftest import EXAMPLES

MARK = "ZZSECRETZZ"
REPORT = EXAMPLES / "reports" / "01_police_110_strangulation.json"


def run(*args: str, input: bytes | str | None = None) -> Any:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def assert_refused(result: Any, code: str | None = None) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert MARK not in result.output
    if code is not None:
        assert f"[{code}]" in result.output or code in result.output


class TestAssess:
    def test_one_report_imports_nothing_heavy(self) -> None:
        """`triage assess FILE` with the packaged model: neither numpy, scikit-learn nor
        scipy is imported (they are most of a cold start, and the command needs none)."""
        code = (
            "import sys\n"
            "from triage.cli import cli\n"
            "cli.main(args=['assess', sys.argv[1]], standalone_mode=False)\n"
            "heavy = ('numpy', 'sklearn', 'scipy', 'skops')\n"
            "print(sorted(m for m in heavy if m in sys.modules), file=sys.stderr)\n"
        )
        out = subprocess.run(
            [sys.executable, "-c", code, str(REPORT)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert json.loads(out.stdout)["model"] is not None
        assert out.stderr.strip().splitlines()[-1] == "[]"

    def test_json(self) -> None:
        """`triage assess FILE` prints the decision as JSON and exits 0."""
        result = run("assess", str(REPORT))
        assert result.exit_code == 0
        decision = json.loads(result.stdout)
        assert decision["report_id"] == "BA-2026-000101"
        assert set(decision["instruments"]) == {
            "danger_assessment",
            "dash",
            "lethality_screen",
            "odara",
        }

    def test_stdin(self) -> None:
        """`-` reads the report from standard input."""
        result = run("assess", "-", input=REPORT.read_bytes())
        assert result.exit_code == 0
        assert json.loads(result.stdout)["report_id"] == "BA-2026-000101"

    @pytest.mark.parametrize("lang", ["zh", "en"])
    def test_table(self, lang: str) -> None:
        """`--format table` prints a readable table."""
        result = run("assess", str(REPORT), "--format", "table", "--lang", lang)
        assert result.exit_code == 0
        assert "BA-2026-000101" in result.stdout

    @pytest.mark.parametrize(
        ("content", "code"),
        [
            (b"", "empty"),
            (b"not json " + MARK.encode(), "invalid-json"),
            (json.dumps({"id": "x", "victim": {"age": MARK}}).encode(), "report-invalid"),
            (
                json.dumps(
                    {
                        "id": "x",
                        "reported_at": "2026-03-02T21:15:00",
                        "source": "court",
                        "case_type": "domestic_violence",
                    }
                ).encode(),
                "naive-datetime",
            ),
            (json.dumps([MARK]).encode(), "report-invalid"),
        ],
        ids=["empty", "not-json", "wrong-type", "naive", "array"],
    )
    def test_bad_input(self, tmp_path: Path, content: bytes, code: str) -> None:
        """Bad input exits 2 with the problems on stderr, no traceback, no values."""
        path = tmp_path / "r.json"
        path.write_bytes(content)
        result = run("assess", str(path))
        assert_refused(result, code)
        assert result.stdout == ""

    def test_missing_file(self, tmp_path: Path) -> None:
        assert_refused(run("assess", str(tmp_path / "nope.json")), "not-found")

    def test_huge_file_is_refused_without_reading_it(self, tmp_path: Path) -> None:
        """A 50 MB file is refused after reading about 1 MB (no memory blow-up)."""
        path = tmp_path / "huge.json"
        with path.open("wb") as fh:
            fh.write(b'{"narrative": "')
            fh.write(MARK.encode() * (50 * (1 << 20) // len(MARK)))
            fh.write(b'"}')
        tracemalloc.start()
        result = run("assess", str(path))
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        assert_refused(result, "too-large")
        assert peak < 8 * (1 << 20)


class TestOtherCommands:
    def test_vocab_json(self) -> None:
        """`triage vocab --format json` lists every vocabulary with both labels."""
        result = run("vocab", "--format", "json")
        data = json.loads(result.stdout)
        assert {"source", "department", "level", "flag", "indicator"} <= set(data)
        codes = [t["code"] for t in data["level"]["terms"]]
        assert codes == ["standard", "medium", "high", "extreme"]
        assert all(t["zh"] and t["en"] for t in data["source"]["terms"])

    @pytest.mark.parametrize("lang", ["zh", "en"])
    def test_vocab_lang(self, lang: str) -> None:
        """`--lang` keeps one language only."""
        data = json.loads(run("vocab", "--format", "json", "--lang", lang).stdout)
        term = data["source"]["terms"][0]
        assert set(term) == {"code", lang}
        text = run("vocab", "--lang", lang).stdout
        assert ("网格员巡查" in text) == (lang == "zh")

    def test_schema_report(self) -> None:
        """`triage schema report` prints the report's JSON Schema."""
        schema = json.loads(run("schema", "report").stdout)
        assert set(schema["required"]) == {"id", "reported_at", "source", "case_type"}

    def test_demo(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """`triage demo` prints a table of every example report; piped, it is not squeezed
        into rich's default of 80 columns."""
        monkeypatch.delenv("COLUMNS", raising=False)
        result = run("demo", str(EXAMPLES / "reports"))
        assert result.exit_code == 0
        for path in (EXAMPLES / "reports").glob("*.json"):
            assert json.loads(path.read_text("utf-8"))["id"] in result.stdout
        widths = [len(line) for line in result.stdout.splitlines()]
        assert 100 < max(widths) <= 160
        assert any("110 police call" in line for line in result.stdout.splitlines())


class TestRulesCheck:
    DEFAULT = (
        Path(__file__).resolve().parent.parent / "triage" / "rules" / "default" / "policy.yaml"
    )
    ENGLAND = EXAMPLES / "policies" / "england_marac.yaml"

    def test_a_good_file_gets_one_summary_line(self) -> None:
        from triage import load_policy

        result = run("rules", "check", str(self.DEFAULT))
        assert result.exit_code == 0
        lines = result.stdout.splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"{self.DEFAULT}: ok")
        assert load_policy(self.DEFAULT).sha256 in lines[0]

    def test_a_working_day_policy_is_told_where_its_holidays_end(self) -> None:
        result = run("rules", "check", str(self.ENGLAND), "--lang", "en")
        assert result.exit_code == 0
        assert result.stdout.splitlines()[1].endswith("extend the list each year [holidays-end]")

    def test_every_problem_of_every_file_with_its_location(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.yaml"
        text = self.DEFAULT.read_text("utf-8")
        text = text.replace("indicators.strangulation:", "indicators.strangulaton:", 1)
        text = text.replace("flags: [", "flags: [emergency_respons, ", 1)
        bad.write_text(text, "utf-8")
        result = run("rules", "check", str(bad), str(self.DEFAULT), "--lang", "en")
        assert result.exit_code == 2
        assert "Traceback" not in result.output
        errors = [line for line in result.stderr.splitlines() if line.startswith(str(bad))]
        assert len(errors) == 2
        assert all(line.split(":")[1].isdigit() and line.split(":")[2].isdigit() for line in errors)
        assert any("did you mean 'indicators.strangulation'" in line for line in errors)
        assert any("did you mean 'emergency_response'" in line for line in errors)
        assert f"{self.DEFAULT}: ok" in result.stdout  # the good file is still checked


def test_module_entry_point_never_prints_a_traceback(tmp_path: Path) -> None:
    """`python -m triage` as a real process: exit 2, message on stderr, no traceback."""
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"id": MARK, "victim": {"age": MARK}}), "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "triage", "assess", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and MARK not in proc.stderr + proc.stdout
    assert "victim.age" in proc.stderr
