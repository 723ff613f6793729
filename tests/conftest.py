"""Shared test set-up: hypothesis profiles and common fixtures."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

settings.register_profile(
    "ci", max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("fast", max_examples=25, deadline=None)
settings.load_profile("fast" if os.environ.get("FAST") == "1" else "ci")


def example_reports() -> list[tuple[str, dict[str, object]]]:
    return [
        (path.stem, json.loads(path.read_text("utf-8")))
        for path in sorted((EXAMPLES / "reports").glob("*.json"))
    ]


@pytest.fixture(name="minimal_report")
def _minimal_report() -> dict[str, object]:
    return {
        "id": "T-1",
        "reported_at": "2026-03-02T21:15:00+08:00",
        "source": "police_110",
        "case_type": "domestic_violence",
    }
