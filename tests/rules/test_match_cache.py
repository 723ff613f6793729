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
    for table in list(_evaluate._MATCHES.values()):
        table.clear()  # tables other tests filled under the usual bound
    t = triage.Triage(model=None)
    for r in random_reports(300, seed=42):
        t.assess(r)
    evaluator = t._active[1]
    tables = [table for stratum in evaluator._matches for table in stratum or ()]
    assert len(tables) == sum(len(chunks) for chunks in t.policy.layout.strata)
    assert all(len(table) <= 50 for table in tables)


def test_tables_go_with_their_policy() -> None:
    text = (
        Path(DEFAULT_POLICY)
        .read_text("utf-8")
        .replace('{history.reports_12m: {">=": 3}}', '{history.reports_12m: {">=": 7}}', 1)
    )
    t = triage.Triage(text.encode(), model=None)
    t.assess(random_reports(1, seed=1)[0])
    signatures = {sig for sigs in t._active[1]._rules_sig for sig in sigs}
    assert signatures & set(_evaluate._MATCHES.keys())
    default = triage.Triage(model=None)
    unique = signatures - {s for sigs in default._active[1]._rules_sig for s in sigs}
    assert len(unique) == 1  # one ruleset differs; the others' tables are shared
    del t
    gc.collect()
    assert not unique & set(_evaluate._MATCHES.keys())
