"""Running a policy's engine and the reference evaluator on the same report."""

from __future__ import annotations

import functools
from typing import Any

import triage
from tests.rules.reference import ReferenceEvaluator
from triage._pipeline import _judgement
from triage.report._normalise import normalise
from triage.risk._score import score_all
from triage.rules import Policy
from triage.rules._evaluate import Evaluator, World
from triage.rules._facts import FactContext


def context(policy: Policy, report: dict[str, Any]) -> tuple[FactContext, Any]:
    valid = triage.validate_report(report, policy.sources)
    answers = normalise(valid)
    instruments = score_all(valid, answers, policy.meta.instrument_options)
    ctx = FactContext(
        valid, answers.values, answers.intimate, instruments, separated=answers.separated
    )
    return ctx, _judgement(valid)


def both_worlds(
    evaluator: Evaluator,
    policy: Policy,
    report: dict[str, Any],
    prepared: tuple[FactContext, Any] | None = None,
) -> list[World]:
    """The actual world and, when unknowns matter, the max world (``prepared``: the
    report's `context`, when it was made already)."""
    ctx, judgement = prepared or context(policy, report)
    out = []
    level_max = None
    if evaluator.needs_max_world(ctx):
        maxw = evaluator.run(evaluator.max_context(ctx), judgement, maxed=True)
        out.append(maxw)
        level_max = maxw.level
    out.append(evaluator.run(ctx, judgement, level_max=level_max))
    return out


@functools.lru_cache(maxsize=4)
def _evaluators(policy: Policy) -> tuple[Evaluator, Evaluator, Evaluator]:
    """Built once per policy: the generated matchers' check at load takes a while."""
    return (
        Evaluator(policy, engine="durable"),
        Evaluator(policy, verify="load"),
        ReferenceEvaluator(policy),
    )


def compare(policy: Policy, reports: list[dict[str, Any]]) -> list[str]:
    """Report ids where durable-rules, the generated Python and the reference fire
    different rules (should be none). The generated matchers run unchecked here
    (checked only at load), so a disagreement shows as a mismatch, not an error."""
    durable, compiled, reference = _evaluators(policy)
    mismatches = []
    own = policy.sources[len(triage.vocab.SOURCES) :]
    for i, report in enumerate(reports):
        if own and i % 3 == 0:  # the policy's own channels too, not only the standard ones
            report = {**report, "source": own[i // 3 % len(own)]}
        prepared = context(policy, report)
        fired = [
            [w.fired for w in both_worlds(evaluator, policy, report, prepared)]
            for evaluator in (durable, compiled, reference)
        ]
        if not fired[0] == fired[1] == fired[2]:
            mismatches.append(report["id"])
    return mismatches


def crosses(report: dict[str, Any]) -> bool:
    """Directly from the report: two police calls or other help-seeking in the past 12
    months, and nothing that flags repeat victimisation anyway (a violation, or help
    after which the violence went on)."""
    history = report.get("history", {})
    sought = history.get("help_sought")
    calls = history.get("police_calls_12m")
    if calls is None and sought is None:
        return False
    recent = sum(1 for h in sought or () if h.get("months_ago", 99) < 12)
    failed = any(h.get("outcome") == "violence_continued" for h in sought or ())
    return bool(
        (calls or 0) + recent == 2
        and not history.get("protection_order_violations", 0) >= 1
        and not failed
    )
