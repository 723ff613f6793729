"""The decision pipeline: validate, normalise, score, decide."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from ._decision import Decision
from ._errors import ReportError
from ._normalise import Answers, normalise
from ._report import Report
from ._report_errors import report_error
from ._version import __version__
from .risk import INSTRUMENTS
from .risk._results import InstrumentResult

__all__ = ["Triage", "assess", "validate_report"]

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


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


def score_instruments(
    report: Report, answers: Answers, options: Mapping[str, Mapping[str, Any]] | None = None
) -> dict[str, InstrumentResult]:
    """Every packaged instrument scored on one report's answers."""
    options = options or {}
    results: dict[str, InstrumentResult] = {}
    belief = (
        report.professional_judgement.believes_lethal if report.professional_judgement else None
    )
    for name, instrument in INSTRUMENTS.items():
        item_answers = instrument.item_answers(answers.values, answers.fields)
        applies = answers.intimate != "no" or not instrument.intimate_partner_only
        extra = dict(options.get(name, {}))
        if name == "lethality_screen":
            extra.setdefault("officer_belief", belief)
        results[name] = instrument.evaluate(item_answers, applies=applies, **extra)
    return results


class Triage:
    """A reusable triage pipeline; build it once and call `assess` many times."""

    def __init__(
        self,
        *,
        instrument_options: Mapping[str, Mapping[str, Any]] | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        self._instrument_options = dict(instrument_options or {})
        self._clock = clock

    def assess(self, report: Report | Mapping[str, Any]) -> Decision:
        """Decide one report (a `Report` or a dict in the report JSON shape)."""
        valid = validate_report(report)
        answers = normalise(valid)
        instruments = score_instruments(valid, answers, self._instrument_options)
        return Decision(
            report_id=valid.id,
            reported_at=valid.reported_at,
            source=valid.source,
            case_type=valid.case_type,
            decided_at=self._clock(),
            library_version=__version__,
            instruments=instruments,
            derived_indicators=answers.derived,
        )


_DEFAULT: Triage | None = None


def assess(report: Report | Mapping[str, Any]) -> Decision:
    """Decide one report with the default pipeline."""
    global _DEFAULT
    if _DEFAULT is None:
        _DEFAULT = Triage()
    return _DEFAULT.assess(report)
