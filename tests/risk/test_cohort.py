"""The synthetic cohort: reproducible, valid, and true to the figures it cites."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

import triage
from triage import ReportError
from triage.risk import cohort
from triage.vocab import implied_closure


@pytest.fixture(scope="module", name="big")
def _big() -> cohort.Cohort:
    return cohort.generate(40_000, seed=5)


def test_same_seed_same_cohort() -> None:
    a, b = cohort.generate(300, seed=9), cohort.generate(300, seed=9)
    assert a.reports == b.reports
    assert np.array_equal(a.outcomes, b.outcomes)
    assert cohort.generate(300, seed=10).reports != a.reports


def test_every_report_is_valid() -> None:
    for report in cohort.generate(2000, seed=1).reports:
        triage.validate_report(report)


def test_prevalences_match_the_cited_figures(big: cohort.Cohort) -> None:
    """Among answered questions, each factor is as common as its cited prevalence.

    Unknowns are drawn independently of the answer, so the answered share estimates the
    true share. Broad indicators that a specific answer also settles are more common
    than their own figure and are skipped.
    """
    broad = {b for targets in implied_closure().values() for b in targets}
    checked = 0
    for factor in cohort.FACTORS:
        if factor.indicator in broad:
            continue
        answers = [r["indicators"][factor.indicator] for r in big.reports]
        answered = [a for a in answers if a != "unknown"]
        share = sum(a == "yes" for a in answered) / len(answered)
        assert share == pytest.approx(factor.prevalence, abs=0.015), factor.indicator
        checked += 1
    assert checked >= 12
    # Glass et al. 2008: strangulation in 10% of abused controls (verified figure).
    assert next(f for f in cohort.FACTORS if f.indicator == "strangulation").prevalence == 0.10


def test_outcome_rate_and_attainable_auc(big: cohort.Cohort) -> None:
    assert big.outcomes.mean() == pytest.approx(cohort.BASE_RATE, abs=0.01)
    assert roc_auc_score(big.outcomes, big.risk) == pytest.approx(cohort.TARGET_AUC, abs=0.02)


def test_calibration_constants_are_current() -> None:
    """SCALE and INTERCEPT are what `_calibrate` solves for with today's figures."""
    scale, intercept = cohort._calibrate(n=200_000)
    assert scale == pytest.approx(cohort.SCALE, abs=0.02)
    assert intercept == pytest.approx(cohort.INTERCEPT, abs=0.05)


def test_stronger_factors_raise_the_outcome(big: cohort.Cohort) -> None:
    """Cases with a verified strong factor have the outcome more often than those without."""
    yes = np.array([r["indicators"]["strangulation"] == "yes" for r in big.reports])
    no = np.array([r["indicators"]["strangulation"] == "no" for r in big.reports])
    assert big.outcomes[yes].mean() > 2 * big.outcomes[no].mean()


def test_unknown_rates_follow_the_channel(big: cohort.Cohort) -> None:
    def unknown_share(source: str) -> float:
        answers = [
            a for r in big.reports if r["source"] == source for a in r["indicators"].values()
        ]
        return sum(a == "unknown" for a in answers) / len(answers)

    assert unknown_share("school") > unknown_share("police_110") + 0.2


def test_says_it_is_synthetic() -> None:
    assert cohort.__doc__ is not None and "SYNTHETIC" in cohort.__doc__
    assert "not validated for use on real people" in cohort.SYNTHETIC_NOTICE
    for factor in cohort.FACTORS:
        assert factor.grade in ("verified", "secondary", "unverified", "assumption")
        assert factor.source


def test_jsonl_round_trip(tmp_path: Path) -> None:
    made = cohort.generate(50, seed=2)
    path = tmp_path / "c.jsonl"
    cohort.write_jsonl(made, path)
    reports, outcomes = cohort.read_jsonl(path)
    assert reports == made.reports
    assert np.array_equal(outcomes, made.outcomes)


def test_bad_lines_are_located_never_echoed(tmp_path: Path) -> None:
    good = json.dumps({**cohort.generate(1, seed=1).reports[0], "outcome": 1})
    path = tmp_path / "c.jsonl"
    path.write_text(
        "\n".join([good, '{"id": "ZZSECRETZZ"}', "ZZSECRETZZ", good, json.dumps({"outcome": True})])
        + "\n",
        "utf-8",
    )
    with pytest.raises(ReportError) as info:
        cohort.read_jsonl(path)
    text = str(info.value)
    assert f"{path}:2" in text and f"{path}:3" in text and f"{path}:5" in text
    assert f"{path}:1" not in text and "ZZSECRETZZ" not in text
