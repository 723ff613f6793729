"""Policy rule files: the format, its validation, and evaluation on durable-rules.

    >>> from triage.rules import load_policy
    >>> policy = load_policy()            # the packaged default policy
    >>> policy.id
    'cn-gd-sz-baoan-default'

A policy file is YAML data validated against a schema (``triage schema
policy``); ``triage rules check FILE`` lists every problem as file:line:col.
``FACTS`` lists every fact a rule may test.
"""

from __future__ import annotations

from ._facts import FACTS, Fact
from ._ir import RuleDef
from ._policy import DEFAULT_POLICY, Policy, load_policy

__all__ = ["DEFAULT_POLICY", "FACTS", "Fact", "Policy", "RuleDef", "check_policy", "load_policy"]


def check_policy(source: object) -> Policy:
    """Load a policy only to validate it; raises RuleFileError with every problem."""
    policy = load_policy(source)  # type: ignore[arg-type]
    return policy
