"""Every error `triage` raises on purpose derives from one root.

    TriageError                      code
    ├── ReportError                  report-invalid     a report failed validation
    │   └── HistoryError             history-invalid    a case's history does not fit the report
    ├── RuleFileError                rule-file-invalid  a policy file failed to load
    ├── FixtureError                 fixture-invalid    a case fixture failed to load
    ├── EngineError                  engine-failure     the rule engine failed while evaluating
    ├── ModelError                   model-invalid      a model file was refused or failed
    ├── DecisionLogError             log-failure        the decision log could not be written
    └── UsageError                   usage              an API or CLI argument is wrong

Each error carries a stable ``code`` and, where it has them, a tuple of
``problems``: located, bilingual, value-free descriptions of what is wrong.
Messages never contain the rejected value, because reports describe victims.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DecisionLogError",
    "EngineError",
    "FixtureError",
    "HistoryError",
    "ModelError",
    "Problem",
    "ReportError",
    "RuleFileError",
    "TriageError",
    "UsageError",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input, located and described without its value.

    Attributes:
        path: where it is: a field path (``victim.age``) or a file path.
        code: a stable machine-readable code (``out-of-range``).
        zh: the Chinese message.
        en: the English message.
        line: 1-based line in ``path`` when the input is a file, else None.
        col: 1-based column, else None.
        suggestion: a known code the input may have meant ("did you mean").
    """

    path: str
    code: str
    zh: str
    en: str
    line: int | None = None
    col: int | None = None
    suggestion: str | None = None

    @property
    def location(self) -> str:
        """``path``, ``path:line`` or ``path:line:col``."""
        if self.line is None:
            return self.path
        if self.col is None:
            return f"{self.path}:{self.line}"
        return f"{self.path}:{self.line}:{self.col}"

    def message(self, lang: str = "zh") -> str:
        if lang not in ("zh", "en"):  # _lang sits above this module; same rule
            raise UsageError(f"unknown language {lang!r}: use 'zh' or 'en'")
        text = self.zh if lang == "zh" and self.zh else self.en
        if self.suggestion is not None:
            hint = (
                f"（是否想写 '{self.suggestion}'？）"
                if lang == "zh"
                else (f" — did you mean '{self.suggestion}'?")
            )
            text += hint
        return text

    def format(self, lang: str | None = None) -> str:
        """``location: message``; both languages when ``lang`` is None."""
        if lang is None:
            both = self.message("en")
            if self.zh:
                both += f" / {self.message('zh')}"
            return f"{self.location}: {both}"
        return f"{self.location}: {self.message(lang)}"

    def as_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "col": self.col,
            "code": self.code,
            "zh": self.zh,
            "en": self.en,
            "suggestion": self.suggestion,
        }


class TriageError(Exception):
    """Root of every error raised by `triage` on purpose."""

    code = "triage-error"

    def __init__(self, message: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.problems = tuple(problems)

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        lines = [self.message]
        lines.extend(f"  {p.format()}" for p in self.problems)
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, problems={len(self.problems)})"


class ReportError(TriageError, ValueError):
    """A report is invalid; ``problems`` lists every field at fault."""

    code = "report-invalid"


class HistoryError(ReportError):
    """A case's earlier reports and decisions do not fit the report: another case, out of
    time order, or a decision that is not its report's; ``problems`` lists each."""

    code = "history-invalid"


class RuleFileError(TriageError, ValueError):
    """A policy or rule file is invalid; ``problems`` carry file:line:col."""

    code = "rule-file-invalid"


class FixtureError(TriageError, ValueError):
    """A case fixture is invalid; ``problems`` carry file:line:col."""

    code = "fixture-invalid"


class EngineError(TriageError, RuntimeError):
    """The rule engine failed while evaluating; the decision is not trustworthy."""

    code = "engine-failure"


class ModelError(TriageError, ValueError):
    """A model file was refused (wrong format, unexpected types, tampered) or failed."""

    code = "model-invalid"


class DecisionLogError(TriageError, OSError):
    """The decision log could not be written; the decision is not returned unlogged."""

    code = "log-failure"


class UsageError(TriageError, ValueError):
    """An argument given to the API or the command line is wrong."""

    code = "usage"
