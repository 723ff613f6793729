"""The generated matchers: what they may contain, and durable-rules catching them out."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

import pytest

import triage
from triage import EngineError, UsageError
from triage.rules import _evaluate, load_policy
from triage.rules._evaluate import Evaluator
from triage.rules._facts import FACTS, MISSING
from triage.rules._formula import literals
from triage.rules._native import sample_facts
from triage.rules._sets import INF

from ..strategies import random_reports
from .helpers import compare

FIXED = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


def fixed_clock() -> datetime:
    return FIXED


def test_generated_source_holds_no_text_of_the_policy() -> None:
    """Fact names, codes and numbers are bound as constants; the source holds only
    identifiers made by the generator, rule indexes and operators."""
    policy = load_policy()
    source = policy.native().source
    words = set(re.findall(r"[A-Za-z_][A-Za-z_0-9]*", source))
    allowed = {"def", "return", "if", "and", "or", "not", "in", "is", "True", "False"}
    allowed |= {"v", "out", "append", "get", "_M"}
    made = {w for w in words if re.fullmatch(r"(_c|x|_stratum|_rule)\d+", w)}
    assert words - made <= allowed
    assert not any(name in source for name in FACTS)
    assert not re.search(r"\d+\.\d+|['\"]", source)  # no literal numbers with a point, no strings


def test_sampled_facts_cover_every_value_and_threshold() -> None:
    """The load-time check tries, for each fact, every value a rule can tell apart."""
    policy = load_policy()
    seen: dict[str, set[Any]] = {}
    native = policy.native()
    for _, values in sample_facts(
        native.formulas, policy.strata, policy.layout.stratum_facts, 4000, seed="s"
    ):
        for name, value in values.items():
            seen.setdefault(name, set()).add(value)
    assert {"yes", "no", "unknown"} <= seen["indicators.strangulation"]
    assert MISSING in seen["victim.age"]
    bounds = 0
    for f in native.formulas.values():
        for vs in literals(f):
            spec = FACTS[vs.fact]
            if spec.kind != "int":
                continue
            for iv in vs.intervals:
                for b in (iv.lo, iv.hi):
                    if b in (-INF, INF):
                        continue
                    near = {int(b) + d for d in (-1, 0, 1)}
                    lo = -INF if spec.lo is None else spec.lo
                    hi = INF if spec.hi is None else spec.hi
                    assert {x for x in near if lo <= x <= hi} <= seen[vs.fact], vs.fact
                    bounds += 1
    assert bounds > 10


def _corrupt(policy: triage.Policy, drop: bool, reports: list[Any] | None = None) -> str:
    """Make one generated stratum matcher wrong (dropping or inventing a match) and
    return the rule id it gets wrong. The rule chosen is the one generated facts make
    fire closest to half the time, so both a check at load and real reports meet it."""
    native = policy.native()
    counts: dict[int, int] = {}
    seen: dict[int, int] = {}
    for stratum, values in sample_facts(
        native.formulas, policy.strata, policy.layout.stratum_facts, 2000, seed="pick"
    ):
        seen[stratum] = seen.get(stratum, 0) + 1
        for index in native.fire[stratum](values):
            counts[index] = counts.get(index, 0) + 1
    if reports is not None:  # as often as possible on these reports instead, not always
        counts, seen = {}, {}
        t = triage.Triage(policy, model=None)
        for report in reports:
            for rule in t.assess(report).trace:
                index = policy.rule(rule.rule).index
                counts[index] = counts.get(index, 0) + 1
        seen = dict.fromkeys(policy.strata, len(reports))
    target = min(counts, key=lambda i: abs(counts[i] / seen[policy.strata[i]] - 0.5))
    stratum = policy.strata[target]
    real = native.fire[stratum]

    def wrong(values: dict[str, Any]) -> list[int]:
        fired = real(values)
        if drop:
            return [i for i in fired if i != target]
        return fired if target in fired else sorted([*fired, target])

    native.fire[stratum] = wrong
    return policy.rules[target].id


@pytest.mark.parametrize("drop", [True, False], ids=["drops-a-match", "invents-a-match"])
def test_a_corrupted_matcher_is_caught_by_verify_always(drop: bool) -> None:
    policy = load_policy()
    reports = random_reports(300, seed=77)
    rule_id = _corrupt(policy, drop, reports)
    t = triage.Triage(policy, verify="always", model=None)
    escalate = triage.Triage(policy, verify="always", model=None, on_error="escalate")
    caught = 0
    for report in reports:
        try:
            t.assess(report)
        except EngineError as exc:
            assert rule_id in str(exc)
            caught += 1
            assert escalate.assess(report).status == "engine_error"
    assert caught > 0


@pytest.mark.parametrize("drop", [True, False], ids=["drops-a-match", "invents-a-match"])
def test_a_corrupted_matcher_is_caught_at_load(drop: bool) -> None:
    policy = load_policy()
    rule_id = _corrupt(policy, drop)
    with pytest.raises(EngineError, match=re.escape(rule_id)):
        triage.Triage(policy, verify="load", model=None)
    with pytest.raises(EngineError):
        triage.Triage(policy, verify="5%", model=None)


def test_every_mode_gives_the_same_decisions() -> None:
    """Compiled and checked, compiled alone, sampled, durable-rules alone: byte-identical."""
    reports = random_reports(300, seed=78)
    outputs = []
    for kw in ({"engine": "durable"}, {"verify": "always"}, {"verify": "load"}, {"verify": "10%"}):
        t = triage.Triage(clock=fixed_clock, **kw)  # type: ignore[arg-type]
        outputs.append([t.assess(r).to_json() for r in reports])
    assert outputs[0] == outputs[1] == outputs[2] == outputs[3]


def test_sampling_is_by_report_id_and_near_its_share() -> None:
    t = triage.Triage(verify="2%", model=None)
    ev = t._active[1]
    ids = [f"r-{i}" for i in range(20_000)]
    chosen = [i for i in ids if ev.verifies(i)]
    assert 0.015 < len(chosen) / len(ids) < 0.025
    again = triage.Triage(verify="2%", model=None)._active[1]
    assert chosen == [i for i in ids if again.verifies(i)]
    # the share is the first 8 bytes of sha256("<policy sha256>:<report id>"), as stated
    by_hand = [
        i
        for i in ids
        if int.from_bytes(hashlib.sha256(f"{t.policy.sha256}:{i}".encode()).digest()[:8], "big")
        < 0.02 * (1 << 64)
    ]
    assert chosen == by_hand
    assert t.verify == "2%"
    assert triage.Triage(engine="durable", model=None).verify == "durable"


@pytest.mark.parametrize("bad", ["sometimes", "0%", "100%", "-1%", "nan%", "%", 5])
def test_a_bad_verify_setting_is_a_usage_error(bad: Any) -> None:
    with pytest.raises(UsageError):
        triage.Triage(verify=bad, model=None)


def test_a_bad_engine_setting_is_a_usage_error() -> None:
    with pytest.raises(UsageError):
        triage.Triage(engine="fast", model=None)  # type: ignore[arg-type]


def test_three_engines_agree_on_small_and_large_numbers() -> None:
    """durable-rules refuses "1e-05" as a number; facts and thresholds that Python writes
    with an exponent still evaluate, and alike in all three engines."""
    text = (
        "policy: {id: tiny, version: '1', jurisdiction: test, effective_from: 2026-01-01}\n"
        "rules:\n"
        "  - id: tiny_probability\n"
        "    description: {zh: 极小, en: tiny}\n"
        "    when: {model.probability: {'>': 0.00002}}\n"
        "    then: {flags: [case_conference]}\n"
    )
    policy = load_policy(text.encode())
    ev = Evaluator(policy, verify="always")
    engine = policy.engine()
    stratum = policy.strata[0]
    names = policy.layout.stratum_facts[stratum]
    for probability in (2e-05, 2.0000000000000003e-05, 1e-07, 5e-324, 0.5, MISSING):
        values = {n: probability if n == "model.probability" else MISSING for n in names}
        expected = [0] if probability is not MISSING and probability > 2e-05 else []
        assert ev._native.fire[stratum](values) == expected  # type: ignore[union-attr]
        assert ev._durable(engine, stratum, values, remember=False) == expected


def test_compared_three_ways_on_the_default_policy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_evaluate, "MATCH_CACHE", 0)  # durable-rules asked every time
    assert compare(load_policy(), random_reports(500, seed=79)) == []


def test_facts_are_written_as_json_would_write_them() -> None:
    """The engine's facts are written from fragments; the text is what `json` writes
    for the same dict (numbers with an exponent aside, written positionally)."""
    import json

    from triage.rules.engine import FactEncoder
    from triage.rules.engine._json import positional

    policy = load_policy()
    ev = Evaluator(policy, verify="load")
    for stratum, values in sample_facts(
        ev._formulas, policy.strata, policy.layout.stratum_facts, 3000, seed="json"
    ):
        for keys in ev._chunk_keys[stratum]:
            fact: dict[str, Any] = {"_": 1}
            for name, fkey, present in keys:
                value = values[name]
                if value is not MISSING:
                    fact[fkey] = value
                if present is not None:
                    fact[present] = 0 if value is MISSING else 1
            expected = json.dumps(fact, separators=(",", ":"))
            for value in fact.values():
                if isinstance(value, float) and "e" in repr(value):
                    expected = expected.replace(repr(value), positional(value))
            assert FactEncoder(keys, MISSING)(values, "_") == expected


def test_facts_read_in_place_are_what_their_getters_give() -> None:
    """The generated reads of every library fact (and a policy's own flag), whether in
    place or through the getter, give what the fact's getter gives, as given and in
    the max world (where an unknown that may hide a risk reads as yes)."""
    import random

    from triage.rules._evaluate import _decision_so_far
    from triage.rules._native import build_getters

    names = (*FACTS, "flags.own_flag")
    assert any(getattr(FACTS[n].get, "inline", None) for n in names)  # some are in place
    (read,) = build_getters([names], "test")
    t = triage.Triage(verify="load", clock=fixed_clock)
    rng = random.Random(5)
    for report in random_reports(300, seed=83):
        run = t._run(report)
        assert run.world is not None
        run.world.flags.update(rng.sample(["own_flag", *sorted(run.world.flags)], 1))
        derived: dict[str, Any] = {}
        _decision_so_far(derived, run.world, run.maxw.level if run.maxw else None)
        for ctx, maxed in ((run.ctx, False), (t._active[1].max_context(run.ctx), True)):
            ctx = ctx.with_derived(derived)
            expected = {n: FACTS[n].get(ctx) for n in names}
            if maxed:
                for n in names:
                    if FACTS[n].raises_risk and expected[n] == "unknown":
                        expected[n] = "yes"
            assert read(ctx, maxed) == expected
