"""The one way in: a report from outside becomes a valid `Report` or one `ReportError`."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import ValidationError

from .._errors import Problem, ReportError
from ..vocab import SOURCES
from ._model import Report
from ._problems import code_problem, report_error

__all__ = ["validate_report"]


def validate_report(
    report: Report | Mapping[str, Any] | Any, sources: Sequence[str] | None = None
) -> Report:
    """A valid `Report`, or one `ReportError` listing every problem.

    ``sources`` are the channels accepted (a policy may add its own to the standard
    ones, `triage vocab source`); by default the standard ones.
    """
    allowed = SOURCES.codes if sources is None else tuple(sources)
    if isinstance(report, Report):
        if report.source not in allowed:
            raise report_error(None, Report, [code_problem("source", report.source, allowed)])
        return report
    more = _source_problems(report, allowed)
    try:
        valid = Report.model_validate(report)
    except ValidationError as exc:
        raise report_error(exc, Report, more) from None
    except RecursionError:
        raise ReportError("invalid report: nested too deeply") from None
    if more:
        raise report_error(None, Report, more)
    return valid


def _source_problems(report: Any, allowed: Collection[str]) -> list[Problem]:
    # Any text that is not one of the policy's channels: one problem, whatever its form.
    source = report.get("source") if isinstance(report, Mapping) else None
    if isinstance(source, str) and source not in allowed:
        return [code_problem("source", source, tuple(allowed))]
    return []
