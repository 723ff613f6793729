"""The one way in: a report from outside becomes a valid `Report` or one `ReportError`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from .._errors import ReportError
from ._model import Report
from ._problems import report_error

__all__ = ["validate_report"]


def validate_report(report: Report | Mapping[str, Any] | Any) -> Report:
    """A valid `Report`, or one `ReportError` listing every problem."""
    if isinstance(report, Report):
        return report
    try:
        return Report.model_validate(report)
    except ValidationError as exc:
        raise report_error(exc, Report) from None
    except RecursionError:
        raise ReportError("invalid report: nested too deeply") from None
