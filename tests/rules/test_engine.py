"""The engine boundary: independence, threads, failures, reloads, limits."""

from __future__ import annotations

import gc
import json
import threading
from datetime import UTC, datetime
from typing import Any

import pytest

import triage
import triage.vocab
from triage import EngineError
from triage.rules import _evaluate, load_policy
from triage.rules.engine import _durable
from triage.rules.engine._compile import STACK_BUDGET, compile_rule, make_keys, stack_bound

from ..conftest import EXAMPLES
from ..strategies import random_reports
from .helpers import crosses

FIXED = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DEFAULT = (EXAMPLES.parent / "triage" / "rules" / "default" / "policy.yaml").read_text("utf-8")


def fixed_clock() -> datetime:
    return FIXED


def candidate_policy() -> bytes:
    """The default policy with one threshold changed and its own id."""
    text = DEFAULT.replace("id: cn-gd-sz-baoan-default", "id: candidate")
    text = text.replace('{history.reports_12m: {">=": 3}}', '{history.reports_12m: {">=": 2}}')
    assert 'reports_12m: {">=": 2}' in text
    return text.encode()


def rss_kib() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(autouse=True)
def _engine_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests are about the engine itself: no remembered matches."""
    monkeypatch.setattr(_evaluate, "MATCH_CACHE", 0)


class TestIndependence:
    @pytest.mark.parametrize("n", [150, pytest.param(2000, marks=pytest.mark.slow)])
    def test_two_policies_side_by_side(self, n: int) -> None:
        """A current and a candidate policy evaluate in one process, each as it would alone."""
        current = triage.Triage(clock=fixed_clock)
        candidate = triage.Triage(candidate_policy(), clock=fixed_clock)
        batch = random_reports(n, seed=7)
        alone_current = [current.assess(r).to_json() for r in batch]
        alone_candidate = [candidate.assess(r).to_json() for r in batch]
        interleaved = [(current.assess(r).to_json(), candidate.assess(r).to_json()) for r in batch]
        assert [a for a, _ in interleaved] == alone_current
        assert [b for _, b in interleaved] == alone_candidate
        moved = [
            r["id"]
            for r, a, b in zip(batch, alone_current, alone_candidate, strict=True)
            if json.loads(a)["flags"] != json.loads(b)["flags"]
        ]
        assert moved, "the changed threshold must move some reports"
        for r in batch:
            if r["id"] in moved:
                assert crosses(r)

    def test_nothing_carries_over(self) -> None:
        """After each evaluation no matched rule is left queued in the engine."""
        t = triage.Triage()
        for report in random_reports(200, seed=3):
            t.assess(report)
        assert t.policy.engine().pending_actions() == 0


class TestThreads:
    @pytest.mark.parametrize("n", [100, pytest.param(5000, marks=pytest.mark.slow)])
    def test_eight_threads_equal_serial(self, n: int) -> None:
        """8 threads x n mixed reports give exactly the serial decisions."""
        t = triage.Triage(clock=fixed_clock)
        batch = random_reports(n, seed=11)
        step = n // 8
        serial = [t.assess(r).to_json() for r in batch]
        results: list[list[str]] = [[] for _ in range(8)]
        errors: list[BaseException] = []

        def work(k: int) -> None:
            try:
                order = batch[k * step :] + batch[: k * step]  # each thread starts elsewhere
                results[k] = [t.assess(r).to_json() for r in order]
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=work, args=(k,)) for k in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        assert not errors
        for k in range(8):
            expected = serial[k * step :] + serial[: k * step]
            assert results[k] == expected


class TestFailures:
    def test_engine_failure_raises_engine_error(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A failure inside the engine surfaces as EngineError, never an empty result."""
        t = triage.Triage()
        report = random_reports(1, seed=1)[0]

        def broken(*args: Any) -> Any:
            raise _durable._dre.error("Could not assert fact, error code: 303")

        monkeypatch.setattr(_durable._dre, "assert_fact", broken)
        with pytest.raises(EngineError) as info:
            t.assess(report)
        assert "303" in str(info.value)

    def test_escalate_gives_a_p1_decision(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With on_error='escalate' the report still gets a decision: engine_error at P1."""
        t = triage.Triage(on_error="escalate")
        report = random_reports(1, seed=1)[0]
        monkeypatch.setattr(
            _durable._dre, "assert_fact", lambda *a: (_ for _ in ()).throw(MemoryError())
        )
        decision = t.assess(report)
        assert decision.status == "engine_error"
        assert decision.priority == "P1"
        assert decision.risk_level in ("high", "extreme")
        assert decision.trace == ()

    def test_recovers_after_a_failure(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A failed evaluation leaves nothing behind; the next one is correct."""
        monkeypatch.setattr(_evaluate, "MATCH_CACHE", 0)  # every evaluation asks the engine
        t = triage.Triage(clock=fixed_clock)
        report = random_reports(1, seed=5)[0]
        expected = t.assess(report).to_json()
        real = _durable._dre.complete_and_start_action
        calls = {"n": 0}

        def flaky(*args: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                raise _durable._dre.error("injected")
            return real(*args)

        monkeypatch.setattr(_durable._dre, "complete_and_start_action", flaky)
        with pytest.raises(EngineError):
            for _ in range(3):
                t.assess(report)
        monkeypatch.setattr(_durable._dre, "complete_and_start_action", real)
        assert t.assess(report).to_json() == expected
        assert t.policy.engine().pending_actions() == 0

    @pytest.mark.parametrize("cache", [0, 2048], ids=["engine-every-time", "remembered"])
    def test_an_interrupt_stays_an_interrupt(
        self, monkeypatch: pytest.MonkeyPatch, cache: int
    ) -> None:
        """Ctrl-C inside the engine is neither an engine failure nor an escalated decision:
        it propagates, and the engine is rebuilt before the next evaluation."""
        monkeypatch.setattr(_evaluate, "MATCH_CACHE", cache)
        t = triage.Triage(clock=fixed_clock, on_error="escalate")
        report = random_reports(1, seed=5)[0]
        expected = t.assess(report).to_json()
        for table in list(_evaluate._MATCHES.values()):
            table.clear()  # so the engine is asked again
        real = _durable._dre.complete_and_start_action

        def interrupted(*args: Any) -> Any:
            raise KeyboardInterrupt

        monkeypatch.setattr(_durable._dre, "complete_and_start_action", interrupted)
        with pytest.raises(KeyboardInterrupt):
            t.assess(report)
        monkeypatch.setattr(_durable._dre, "complete_and_start_action", real)
        assert t.assess(report).to_json() == expected
        assert t.policy.engine().pending_actions() == 0

    def test_closed_engine(self) -> None:
        """An explicitly closed policy rebuilds its engine on next use."""
        t = triage.Triage(clock=fixed_clock)
        report = random_reports(1, seed=2)[0]
        before = t.assess(report).to_json()
        t.policy.close()
        assert t.assess(report).to_json() == before


class TestReload:
    @pytest.mark.parametrize("reloads", [12, pytest.param(100, marks=pytest.mark.slow)])
    def test_reloads_stay_flat(self, reloads: int) -> None:
        """Reloads with evaluations in between: flat memory, no new threads."""
        t = triage.Triage()
        batch = random_reports(30, seed=9)
        for r in batch:
            t.assess(r)
        gc.collect()
        threads = threading.active_count()
        before = rss_kib()
        for _ in range(reloads):
            t.reload(None)
            for r in batch:
                t.assess(r)
        gc.collect()
        assert threading.active_count() == threads
        assert rss_kib() - before < 16 * 1024

    def test_bad_reload_keeps_current_policy(self) -> None:
        """A reload that fails validation leaves the current policy in place."""
        t = triage.Triage()
        current = t.policy
        with pytest.raises(triage.RuleFileError):
            t.reload(b"policy: {}\nrules: []\n")
        assert t.policy is current


class TestLimits:
    def test_default_policy_within_engine_limits(self) -> None:
        """Every compiled ruleset stays under the alpha-stack budget and rule count."""
        policy = load_policy()
        for chunks in policy.layout.strata:
            for chunk in chunks:
                exprs = [*chunk.rules.values(), {"_": 1}]
                assert stack_bound(exprs) <= STACK_BUDGET
                assert len(chunk.rules) <= 60

    def test_large_rule_is_split_into_alternatives(self) -> None:
        """A rule over the engine's 15 groups compiles into several engine rules."""
        from triage.rules._ir import All, AnyOf, Test

        codes = list(triage.vocab.INDICATORS.codes)
        big = AnyOf(
            tuple(
                All(
                    (
                        Test(f"indicators.{codes[i]}", "==", "yes"),
                        Test(f"indicators.{codes[i + 1]}", "!=", "no"),
                    )
                )
                for i in range(0, 32, 2)
            )
        )
        keys = make_keys(sorted({f"indicators.{c}" for c in codes[:32]}))
        exprs = compile_rule(big, keys)
        assert len(exprs) == 16

    def test_rule_too_complex_is_refused(self) -> None:
        """A rule whose alternatives would explode is refused, located, before any engine runs."""
        codes = list(triage.vocab.INDICATORS.codes)
        groups = ", ".join(
            f"{{any: [{{indicators.{codes[i]}: yes}}, {{indicators.{codes[i + 1]}: yes}}]}}"
            for i in range(0, 34, 2)
        )
        text = (
            "policy: {id: t, version: '1', jurisdiction: t, effective_from: 2026-01-01}\n"
            "rules:\n"
            "  - id: big\n"
            "    description: {zh: 大, en: big}\n"
            f"    when: {{all: [{groups}]}}\n"
            "    then: {level: high}\n"
        )
        with pytest.raises(triage.RuleFileError) as info:
            load_policy(text.encode())
        problem = info.value.problems[0]
        assert (problem.code, problem.line) == ("too-complex", 5)
