"""Random policy files, and a subprocess check of the engine against the reference on them.

Run as ``python -m tests.rules.random_policy SEED N_POLICIES N_REPORTS``; prints JSON.
"""

from __future__ import annotations

import json
import random
import sys
from typing import Any

from triage import RuleFileError
from triage.rules import FACTS, load_policy
from triage.vocab import FLAGS, LEVELS, PRIORITIES

_PLAIN = [f for f in FACTS.values() if not f.derived]


def _value(fact: Any, rng: random.Random) -> Any:
    if fact.kind == "tri":
        return rng.choice(["yes", "no", "unknown"])
    if fact.kind == "bool":
        return rng.choice([True, False])
    if fact.kind in ("int", "float"):
        lo = int(fact.lo if fact.lo is not None else 0)
        hi = int(fact.hi if fact.hi is not None else 20)
        value = rng.choice([lo, hi, rng.randint(lo, hi), rng.randint(lo, min(hi, lo + 5))])
        return value + 0.5 if fact.kind == "float" and rng.random() < 0.3 else value
    if fact.kind == "enum" or fact.values:  # a code with known values (the source)
        return rng.choice(fact.values)
    return rng.choice(["xixiang", "xinan", "other"])


def _leaf(rng: random.Random, facts: list[Any]) -> dict[str, Any]:
    fact = rng.choice(facts)
    op = rng.choice(fact.operators)
    if op == "exists":
        value: Any = rng.choice([True, False])
    elif op in ("in", "not_in"):
        value = [_value(fact, rng) for _ in range(rng.randint(1, 3))]
    else:
        value = _value(fact, rng)
    return {fact.name: {op: value}}


def _cond(rng: random.Random, depth: int, facts: list[Any]) -> dict[str, Any]:
    roll = rng.random()
    if depth <= 0 or roll < 0.45:
        return _leaf(rng, facts)
    if roll < 0.65:
        return {"not": _cond(rng, depth - 1, facts)}
    key = "all" if roll < 0.85 else "any"
    return {key: [_cond(rng, depth - 1, facts) for _ in range(rng.randint(2, 4))]}


def _doc(rules: list[dict[str, Any]]) -> str:
    doc = {
        "policy": {
            "id": "random",
            "version": "1",
            "jurisdiction": "test",
            "effective_from": "2026-01-01",
        },
        "rules": rules,
    }
    return json.dumps(doc, ensure_ascii=False)  # JSON is YAML


def _loads(rules: list[dict[str, Any]]) -> bool:
    try:
        load_policy(_doc(rules).encode()).close()
    except RuleFileError:
        return False
    return True


def policy_text(rng: random.Random, n_rules: int) -> str:
    """A policy of random rules, each of which can fire (contradictions are dropped)."""
    rules: list[dict[str, Any]] = []
    for i in range(n_rules * 3):
        if len(rules) >= n_rules:
            break
        reader = rng.random() < 0.15
        facts = (
            [
                FACTS["decision.level"],
                FACTS["decision.priority"],
                FACTS["flags.shelter"],
                *rng.sample(_PLAIN, 4),
            ]
            if reader
            else rng.sample(_PLAIN, 6)
        )
        then: dict[str, Any] = {"priority": rng.choice(PRIORITIES.codes)}
        if not reader:
            then["level"] = rng.choice(LEVELS.codes)
            then["flags"] = rng.sample(FLAGS.codes, rng.randint(0, 2))
        rule = {
            "id": f"r{i}",
            "description": {"zh": "随机", "en": "random"},
            "when": _cond(rng, 3, facts),
            "then": then,
        }
        if _loads([rule]):
            rules.append(rule)
    return _doc(rules)


def check(seed: int, n_policies: int, n_reports: int) -> dict[str, Any]:
    from tests.rules.helpers import compare
    from tests.strategies import random_reports

    rng = random.Random(seed)
    out: dict[str, Any] = {"checked": 0, "refused": 0, "mismatches": [], "chunks": 0}
    for k in range(n_policies):
        text = policy_text(rng, rng.randint(5, 70))
        try:
            policy = load_policy(text.encode())
        except RuleFileError as exc:
            codes = {p.code for p in exc.problems}
            if not codes <= {"never-fires", "too-complex", "cycle"}:
                out["mismatches"].append({"policy": k, "unexpected": sorted(codes)})
            out["refused"] += 1
            continue
        out["chunks"] += sum(len(s) for s in policy.layout.strata)
        bad = compare(policy, random_reports(n_reports, seed=seed * 1000 + k))
        if bad:
            out["mismatches"].append({"policy": k, "reports": bad[:5]})
        out["checked"] += 1
        policy.close()
    return out


if __name__ == "__main__":
    print(json.dumps(check(int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
