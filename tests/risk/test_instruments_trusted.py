"""Instrument results are built without validating them again: each equals what
validating its own dump gives."""

from __future__ import annotations

from pydantic import TypeAdapter

import triage
from triage.report._normalise import normalise
from triage.risk import INSTRUMENTS, score_all
from triage.risk._results import AnyInstrumentResult
from triage.risk.cohort import generate

from ..strategies import random_reports


def test_results_are_what_validation_would_make() -> None:
    adapter = TypeAdapter(AnyInstrumentResult)
    reports = random_reports(200, seed=5) + generate(200, seed=6).reports
    for report in reports:
        valid = triage.validate_report(report)
        for options in ({}, {"lethality_screen": {"version": "lap-1"}}):
            for result in score_all(valid, normalise(valid), options).values():
                again = adapter.validate_python(result.model_dump())
                assert again == result
                assert type(again) is type(result)
                assert again.model_dump_json() == result.model_dump_json()
    assert set(INSTRUMENTS) == {"danger_assessment", "dash", "lethality_screen", "odara"}
