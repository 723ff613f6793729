"""The report contract: what validates, what is refused, and how."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import Field, ValidationError

import triage
from triage import Report, ReportError
from triage.case import Answered
from triage.report import answer_values, normalise, report_error, yes_answers
from triage.report._model import Tri
from triage.vocab import INDICATORS

from .conftest import example_reports
from .strategies import random_reports

MARK = "ZZSECRETZZ"


def refuse(report: Any) -> ReportError:
    with pytest.raises(ReportError) as info:
        triage.validate_report(report)
    return info.value


class _EachAnswer(Report):
    """The report schema with each answer checked by the schema alone."""

    indicators: Mapping[Literal[INDICATORS.codes], Tri] = Field(default_factory=dict)  # type: ignore[valid-type]


class TestValid:
    @pytest.mark.parametrize(("name", "report"), example_reports())
    def test_examples_validate(self, name: str, report: dict[str, Any]) -> None:
        """Every example report validates."""
        assert triage.validate_report(report).id == report["id"]

    def test_minimal(self, minimal_report: dict[str, Any]) -> None:
        """Only id, reported_at, source and case_type are required; the rest is unknown."""
        report = triage.validate_report(minimal_report)
        assert report.indicator("strangulation") == "unknown"
        assert report.victim.age is None

    def test_booleans_and_null_for_answers(self, minimal_report: dict[str, Any]) -> None:
        """Indicators accept true/false/null as yes/no/unknown."""
        report = triage.validate_report(
            minimal_report
            | {"indicators": {"stalking": True, "jealousy": False, "strangulation": None}}
        )
        assert dict(report.indicators) == {
            "stalking": "yes",
            "jealousy": "no",
            "strangulation": "unknown",
        }

    @settings(max_examples=200, deadline=None)
    @given(
        st.dictionaries(
            st.sampled_from([*INDICATORS.codes[:12], "not_an_indicator"]),
            st.sampled_from(["yes", "no", "unknown", True, False, None, "maybe", 1, ["yes"]]),
            max_size=6,
        )
    )
    def test_answers_read_as_their_schema_reads_them(self, answers: dict[str, Any]) -> None:
        """The quick reading of answers given as words accepts, returns and refuses
        exactly what checking each answer by the schema does."""
        base = {"id": "A", "reported_at": "2026-03-02T21:15:00+08:00",
                "source": "police_110", "case_type": "domestic_violence"}  # fmt: skip
        given_ = base | {"indicators": answers}
        try:
            expected: Any = dict(_EachAnswer.model_validate(given_).indicators)
        except ValidationError as exc:
            expected = report_error(exc, Report).problems
        try:
            report = triage.validate_report(given_)
        except ReportError as exc:
            assert exc.problems == expected
        else:
            assert dict(report.indicators) == expected
            answers.clear()  # the caller's dict stays theirs
            assert dict(report.indicators) == expected

    def test_answers_without_their_reasons_are_the_same_answers(self) -> None:
        """What a case reads of its earlier reports' answers (`answer_values`, and the
        yes answers with each answer looked up when asked) is every answer the explained
        reading gives, derived ones included."""
        derived = 0
        for raw in random_reports(400, seed=31):
            report = triage.validate_report(raw)
            full = normalise(report)
            assert answer_values(report) == full.values
            yes = yes_answers(report)
            assert yes == {code for code, value in full.values.items() if value == "yes"}
            looked_up = Answered(report.indicators, yes)
            assert {code: looked_up[code] for code in INDICATORS.codes} == full.values
            assert list(looked_up) == list(full.values)
            derived += len(full.derived)
        assert derived > 100  # the reports do derive answers

    def test_frozen(self, minimal_report: dict[str, Any]) -> None:
        """A report cannot be changed after validation."""
        report = triage.validate_report(minimal_report)
        with pytest.raises(ValidationError):
            report.source = "court"  # type: ignore[misc]

    def test_repr_hides_contents(self, minimal_report: dict[str, Any]) -> None:
        """A report's repr shows codes only, never its narrative."""
        report = Report.model_validate(minimal_report | {"narrative": MARK})
        assert MARK not in repr(report)


BAD_CASES: list[tuple[str, dict[str, Any], str, str]] = [
    # (what, change, path, code)
    ("wrong type", {"victim": {"age": MARK}}, "victim.age", "wrong-type"),
    ("bool for count", {"children": {"count": True}}, "children.count", "wrong-type"),
    ("string for bool", {"victim": {"pregnant": MARK}}, "victim.pregnant", "wrong-type"),
    ("unknown field, near no known one: not echoed", {"agee": 1}, "<key>", "unknown-field"),
    ("unknown field, near a known one", {"sourse": 1}, "sourse", "unknown-field"),
    ("unknown free-text key", {f"王 {MARK}": 1}, "<key>", "unknown-field"),
    ("unknown nested field", {"victim": {"agee": 3}}, "victim.agee", "unknown-field"),
    ("naive datetime", {"reported_at": "2026-03-02T21:15:00"}, "reported_at", "naive-datetime"),
    ("bad datetime", {"reported_at": MARK}, "reported_at", "bad-format"),
    ("unknown source", {"source": "police110"}, "source", "unknown-code"),
    (
        "unknown indicator",
        {"indicators": {"strangulaton": "yes"}},
        "indicators.strangulaton",
        "unknown-code",
    ),
    ("bad answer", {"indicators": {"stalking": MARK}}, "indicators.stalking", "wrong-value"),
    ("age too high", {"victim": {"age": 121}}, "victim.age", "out-of-range"),
    ("age negative", {"abuser": {"age": -1}}, "abuser.age", "out-of-range"),
    (
        "count too high",
        {"history": {"police_calls_12m": 100000}},
        "history.police_calls_12m",
        "out-of-range",
    ),
    ("missing id", {"id": None}, "id", "missing"),
    ("id with spaces", {"id": MARK + " x"}, "id", "bad-format"),
    ("narrative too long", {"narrative": MARK * 3000}, "narrative", "too-long"),
    ("object expected", {"victim": [MARK]}, "victim", "wrong-type"),
]


class TestRefused:
    @pytest.mark.parametrize(
        ("what", "change", "path", "code"), BAD_CASES, ids=[c[0] for c in BAD_CASES]
    )
    def test_bad_field(
        self,
        minimal_report: dict[str, Any],
        what: str,
        change: dict[str, Any],
        path: str,
        code: str,
    ) -> None:
        """Each kind of bad input is one ReportError naming the field, not the value."""
        report = copy.deepcopy(minimal_report)
        for key, value in change.items():
            if value is None:
                report.pop(key)
            else:
                report[key] = value
        error = refuse(report)
        assert [(p.path, p.code) for p in error.problems] == [(path, code)]
        problem = error.problems[0]
        assert problem.en and problem.zh
        assert MARK not in problem.en + problem.zh + str(error) + repr(error)

    def test_every_problem_at_once(self, minimal_report: dict[str, Any]) -> None:
        """All problems are listed together, sorted by path."""
        report = minimal_report | {
            "victim": {"age": 200, "gender": "f"},
            "source": "nope",
            "extra": 1,
        }
        paths = [p.path for p in refuse(report).problems]
        assert paths == ["<key>", "source", "victim.age", "victim.gender"]

    def test_suggestion(self, minimal_report: dict[str, Any]) -> None:
        """A misspelt code gets a 'did you mean' with the known code."""
        error = refuse(minimal_report | {"indicators": {"strangulaton": "yes"}})
        assert error.problems[0].suggestion == "strangulation"
        assert "did you mean 'strangulation'" in str(error)

    @pytest.mark.parametrize("value", [None, [], "text", 3, 2.5, True])
    def test_not_an_object(self, value: Any) -> None:
        """Anything but an object is a ReportError too."""
        assert refuse(value).problems

    def test_bilingual_message(self, minimal_report: dict[str, Any]) -> None:
        """Messages come in English and Chinese."""
        error = refuse(minimal_report | {"reported_at": "2026-03-02T21:15:00"})
        assert "UTC offset" in str(error) and "时区" in str(error)


class TestMessages:
    def test_a_made_up_key_is_never_echoed(self, minimal_report: dict[str, Any]) -> None:
        """A key can be personal data: only near misses of known fields are named."""
        report = {
            **minimal_report,
            "wang_xiaohong_13800138000": "x",
            "victim": {"wang_xiaohong": 1},
            "indicators": {"zhang_san_110101199001011234": "yes", "stranglation": "yes"},
            "sourc": "court",
        }
        error = refuse(report)
        text = " ".join(p.format("en") + p.format("zh") for p in error.problems) + error.message
        for secret in ("wang", "xiaohong", "13800138000", "zhang", "1101011990"):
            assert secret not in text
        shown = {(p.path, p.suggestion) for p in error.problems}
        assert ("<key>", None) in shown
        assert ("victim.<key>", None) in shown
        assert ("indicators.<key>", None) in shown
        assert ("indicators.stranglation", "strangulation") in shown
        assert ("sourc", "source") in shown

    def test_the_id_form_is_described_as_it_is(self, minimal_report: dict[str, Any]) -> None:
        (problem,) = refuse({**minimal_report, "id": "-starts-with-a-dash"}).problems
        assert problem.code == "bad-format"
        assert "beginning with a letter or digit" in problem.en and ":" in problem.en
        assert triage.validate_report({**minimal_report, "id": "xinan:01"}).id == "xinan:01"

    def test_a_short_closed_list_is_spelt_out(self, minimal_report: dict[str, Any]) -> None:
        (problem,) = refuse({**minimal_report, "victim": {"gender": "f"}}).problems
        assert problem.en.endswith("female, male, other")
        assert "female, male, other" in problem.zh
        (sources,) = refuse({**minimal_report, "source": "elsewhere"}).problems
        assert sources.en.endswith(", ".join(triage.vocab.SOURCES.codes))

    @pytest.mark.parametrize(
        ("text", "line", "col", "words"),
        [
            ('{"id": "a\nb"}', 1, 10, "raw control character"),
            ('{\n  "id": 1,\n}', 3, 1, "key in double quotes"),
            ('{"id" 1}', 1, 7, "colon"),
            ('{"id": "x"} {}', 1, 13, "more follows"),
        ],
    )
    def test_json_syntax_errors_are_whole_sentences(
        self, text: str, line: int, col: int, words: str
    ) -> None:
        from triage._io._json import parse_json

        with pytest.raises(ReportError) as info:
            parse_json(text, "r.json")
        (problem,) = info.value.problems
        assert (problem.code, problem.line, problem.col) == ("invalid-json", line, col)
        assert words in problem.en and not problem.en.endswith(" at")
        assert problem.zh.startswith("不是有效的 JSON：") and len(problem.zh) > 12
