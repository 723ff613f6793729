"""The one way in: a report from outside becomes a valid `Report` or one `ReportError`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from pydantic import ValidationError

from .._errors import Problem, ReportError
from ..vocab import SOURCES
from ._model import Report, StoredReport
from ._problems import code_problem, report_error

__all__ = ["validate_report", "validate_stored"]


def validate_report(
    report: Report | Mapping[str, Any] | Any, sources: Sequence[str] | None = None
) -> Report:
    """A valid `Report`, or one `ReportError` listing every problem.

    ``sources`` are the channels accepted (a policy may add its own to the standard
    ones, `triage vocab source`); by default the standard ones.
    """
    return _validated(Report, report, sources)


def validate_stored(
    report: Report | StoredReport | Mapping[str, Any] | Any, sources: Sequence[str] | None = None
) -> Report | StoredReport:
    """An earlier report of a case checked for the fields its case reads (`StoredReport`),
    or one `ReportError` listing every problem in them; a `Report` is checked as
    `validate_report` checks it."""
    if isinstance(report, StoredReport):
        return report
    if isinstance(report, Report):
        return validate_report(report, sources)
    return _validated(StoredReport, report, sources)


M = TypeVar("M", Report, StoredReport)


def accepted_sources(sources: Sequence[str] | None) -> tuple[str, ...]:
    """The channels a report may come by: the standard ones unless a policy gives its own."""
    return SOURCES.codes if sources is None else tuple(sources)


def _validated(model: type[M], report: Any, sources: Sequence[str] | None) -> M:
    allowed = accepted_sources(sources)
    more = _source_problems(report, allowed)
    if isinstance(report, model):
        if more:
            raise report_error(None, model, more)
        return report
    try:
        valid = model.model_validate(report)
    except ValidationError as exc:
        raise report_error(exc, model, more) from None
    except RecursionError:
        raise ReportError("invalid report: nested too deeply") from None
    if more:
        raise report_error(None, model, more)
    return valid


def _source_problems(report: Any, allowed: tuple[str, ...]) -> list[Problem]:
    # Any text that is not one of the policy's channels: one problem, whatever its form.
    if isinstance(report, Report):
        source: Any = report.source
    else:
        source = report.get("source") if isinstance(report, Mapping) else None
    if isinstance(source, str) and source not in allowed:
        return [code_problem("source", source, allowed)]
    return []
