"""Properties every decision keeps, over generated reports and the packaged and example
policies: more risk never lowers it, unknown is never no, it is deterministic, and any
input whatever gets a decision or a typed error."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import triage
from triage import Decision, ReportError
from triage.vocab import INDICATORS, LEVELS, PRIORITIES, SAFETY_FLAGS

from .conftest import EXAMPLES
from .strategies import reports

_L = {c: i for i, c in enumerate(LEVELS.codes)}
_P = {c: i for i, c in enumerate(PRIORITIES.codes)}


def _clock() -> datetime:
    return datetime(2026, 5, 1, tzinfo=UTC)


POLICIES = {
    "default": triage.Triage(clock=_clock),
    "default-no-model": triage.Triage(clock=_clock, model=None),
    "england": triage.Triage(EXAMPLES / "policies" / "england_marac.yaml", clock=_clock),
    "us_county": triage.Triage(EXAMPLES / "policies" / "us_county_lap.yaml", clock=_clock),
}
NAMES = sorted(POLICIES)


def at_least(more: Decision, less: Decision) -> None:
    """``more`` is at least as protective as ``less``."""
    assert _L[more.risk_level] >= _L[less.risk_level]
    assert _L[more.risk_level_max] >= _L[less.risk_level_max]
    assert _P[more.priority] >= _P[less.priority]
    assert SAFETY_FLAGS.intersection(less.flags) <= set(more.flags)


def with_answer(report: dict[str, Any], code: str, answer: str) -> dict[str, Any]:
    return {**report, "indicators": {**report.get("indicators", {}), code: answer}}


@settings(deadline=None)
@given(
    report=reports(),
    code=st.sampled_from(INDICATORS.codes),
    before=st.sampled_from(["no", "unknown"]),
    name=st.sampled_from(NAMES),
)
def test_a_yes_never_lowers(report: dict[str, Any], code: str, before: str, name: str) -> None:
    t = POLICIES[name]
    at_least(
        t.assess(with_answer(report, code, "yes")), t.assess(with_answer(report, code, before))
    )


@settings(deadline=None)
@given(report=reports(), code=st.sampled_from(INDICATORS.codes), name=st.sampled_from(NAMES))
def test_unknown_is_never_lower_than_no(report: dict[str, Any], code: str, name: str) -> None:
    t = POLICIES[name]
    at_least(
        t.assess(with_answer(report, code, "unknown")), t.assess(with_answer(report, code, "no"))
    )


@settings(deadline=None)
@given(
    report=reports(),
    field=st.sampled_from(
        ["police_calls_12m", "prior_protection_orders", "protection_order_violations"]
    ),
    count=st.integers(0, 30),
    name=st.sampled_from(NAMES),
)
def test_a_higher_count_never_lowers(
    report: dict[str, Any], field: str, count: int, name: str
) -> None:
    t = POLICIES[name]

    def having(n: int) -> Decision:
        return t.assess({**report, "history": {**report.get("history", {}), field: n}})

    at_least(having(count + 1), having(count))


@settings(deadline=None)
@given(
    report=reports(),
    request=st.sampled_from(["protection_order", "shelter"]),
    before=st.sampled_from([False, None]),
    name=st.sampled_from(NAMES),
)
def test_asking_for_protection_never_lowers(
    report: dict[str, Any], request: str, before: bool | None, name: str
) -> None:
    t = POLICIES[name]
    requests = dict(report.get("requests", {}))
    requests.pop(request, None)
    base = {**report, "requests": requests if before is None else {**requests, request: before}}
    at_least(t.assess({**report, "requests": {**requests, request: True}}), t.assess(base))


@settings(deadline=None)
@given(
    report=reports(),
    answered=st.sets(st.sampled_from(INDICATORS.codes)),
    name=st.sampled_from(NAMES),
)
def test_answering_unknowns_stays_within_the_range(
    report: dict[str, Any], answered: set[str], name: str
) -> None:
    """Unanswered questions answered yes (some of them, or all) give a decision inside
    the range the first one gave: its level at most ``risk_level_max``, each instrument's
    score at most its ``score_max``, the model's estimate at most ``probability_max``. The
    oracle is the pipeline itself, deciding the answered report."""
    t = POLICIES[name]
    given = report.get("indicators", {})
    unknown = [c for c in INDICATORS.codes if given.get(c, "unknown") == "unknown"]
    before = t.assess(report)
    for chosen in (unknown, [c for c in unknown if c in answered]):
        after = t.assess({**report, "indicators": {**given, **dict.fromkeys(chosen, "yes")}})
        assert _L[after.risk_level] <= _L[before.risk_level_max]
        for iid, result in after.instruments.items():
            assert result.score <= before.instruments[iid].score_max, iid
        if before.model is not None and after.model is not None:
            assert after.model.probability <= before.model.probability_max + 1e-12


@settings(deadline=None)
@given(report=reports(), name=st.sampled_from(NAMES))
def test_a_gap_that_says_alone_does_it_alone(report: dict[str, Any], name: str) -> None:
    """An unanswered indicator that an information gap says could raise the level or add
    flags by itself does so when it alone is answered yes (the pipeline, deciding the
    answered report, is the oracle)."""
    t = POLICIES[name]
    before = t.assess(report)
    given = report.get("indicators", {})
    for gap in before.information_gaps:
        code = gap.fact.removeprefix("indicators.")
        if not gap.alone or code == gap.fact or given.get(code, "unknown") != "unknown":
            continue
        after = t.assess({**report, "indicators": {**given, code: "yes"}})
        if gap.could_raise_level_to is not None:
            assert _L[after.risk_level] >= _L[gap.could_raise_level_to], gap.fact
        assert set(gap.could_add_flags) <= set(after.flags), gap.fact


@settings(deadline=None)
@given(report=reports(), name=st.sampled_from(NAMES))
def test_deterministic_and_round_trips(report: dict[str, Any], name: str) -> None:
    t = POLICIES[name]
    first, second = t.assess(report), t.assess(json.loads(json.dumps(report)))
    assert first.to_json() == second.to_json()
    again = Decision.model_validate_json(first.to_json())
    assert again == first and again.to_json() == first.to_json()


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=30,
)


def _mutated(report: dict[str, Any], key: str, value: Any) -> Any:
    """A valid report with one field (maybe nested) replaced by anything at all."""
    out = json.loads(json.dumps(report))
    path = key.split(".")
    target = out
    for part in path[:-1]:
        target = target.setdefault(part, {}) if isinstance(target, dict) else target
    if isinstance(target, dict):
        target[path[-1]] = value
    return out


KEYS = [
    "id",
    "reported_at",
    "source",
    "case_type",
    "indicators",
    "victim.age",
    "victim.gender",
    "abuser.relationship",
    "history.police_calls_12m",
    "children",
    "consent.share_with_agencies",
    "professional_judgement.level",
    "narrative",
    "indicators.strangulation",
    "location.street",
    "extra_field",
]


@settings(deadline=None)
@given(value=JSON)
def test_any_json_value_is_a_decision_or_a_report_error(value: Any) -> None:
    try:
        out = POLICIES["default"].assess(value)
    except ReportError:
        return
    assert isinstance(out, Decision)


@settings(deadline=None)
@given(report=reports(), key=st.sampled_from(KEYS), value=JSON)
def test_any_field_with_any_value(report: dict[str, Any], key: str, value: Any) -> None:
    try:
        out = POLICIES["default"].assess(_mutated(report, key, value))
    except ReportError as exc:
        assert exc.problems
        return
    assert isinstance(out, Decision)


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_non_finite_numbers_are_refused(value: float, minimal_report: dict[str, Any]) -> None:
    with pytest.raises(ReportError):
        POLICIES["default"].assess({**minimal_report, "victim": {"age": value}})


def test_an_unknown_answer_can_only_widen_the_range(minimal_report: dict[str, Any]) -> None:
    """All unknown: the lowest level, and the highest possible level beside it."""
    d = POLICIES["default"].assess(minimal_report)
    assert d.risk_level_max == "extreme" and "information_gap" in d.flags
