"""Remembered matches change nothing but speed, stay bounded, and go with their policy."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest

import triage
from triage.rules import DEFAULT_POLICY, _evaluate

from ..strategies import random_reports


def test_same_decisions_with_and_without(monkeypatch: pytest.MonkeyPatch) -> None:
    reports = random_reports(400, seed=41)
    cached = triage.Triage()
    first = [cached.assess(r).model_dump(exclude={"decided_at"}) for r in reports]
    again = [cached.assess(r).model_dump(exclude={"decided_at"}) for r in reports]
    monkeypatch.setattr(_evaluate, "MATCH_CACHE", 0)
    fresh = triage.Triage()
    engine = [fresh.assess(r).model_dump(exclude={"decided_at"}) for r in reports]
    assert first == again == engine


def test_bounded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_evaluate, "MATCH_CACHE", 50)
    t = triage.Triage(model=None)
    for r in random_reports(300, seed=42):
        t.assess(r)
    evaluator = t._active[1]
    assert all(table is not None and len(table) <= 50 for table in evaluator._matches)


def test_tables_go_with_their_policy() -> None:
    text = (
        Path(DEFAULT_POLICY)
        .read_text("utf-8")
        .replace(
            '{history.police_calls_12m: {">=": 3}}', '{history.police_calls_12m: {">=": 7}}', 1
        )
    )
    t = triage.Triage(text.encode(), model=None)
    t.assess(random_reports(1, seed=1)[0])
    signatures = set(t._active[1]._rules_sig)
    assert signatures & set(_evaluate._MATCHES.keys())
    unique = signatures - {
        s for other in (triage.Triage(model=None),) for s in other._active[1]._rules_sig
    }
    assert unique  # this policy's first stratum is its own
    del t
    gc.collect()
    assert not unique & set(_evaluate._MATCHES.keys())
