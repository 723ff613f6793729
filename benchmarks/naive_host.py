"""The naive way to run the compiled rulesets, as the baseline the engine boundary is
measured against: durable's ``Host``, one Python action per rule. Benchmarks only."""

from __future__ import annotations

from typing import Any

from triage.rules.engine._compile import Layout
from triage.rules.engine._durable import _next_name

__all__ = ["NaiveHost"]


class NaiveHost:
    """The same compiled rulesets run the usual way: durable's ``Host``, one Python
    action per rule, a fact dict asserted and retracted through the Host API.

    For benchmarks only; the library never uses it. It is the baseline the engine
    boundary above is measured against. Its background threads are stopped by
    ``close``.
    """

    def __init__(self, layout: Layout, tag: str = "naive") -> None:
        from durable.engine import Host

        self._fired: list[int] = []
        definitions: dict[str, Any] = {}
        self._names: list[list[str]] = []
        for chunks in layout.strata:
            names = []
            for chunk in chunks:
                definition = chunk.definition()
                for rule_name, rule in definition.items():
                    owner = chunk.owners.get(rule_name)
                    rule["run"] = self._action(owner)
                name = _next_name(tag)
                definitions[name] = definition
                names.append(name)
            self._names.append(names)
        self._host = Host(definitions)

    def _action(self, owner: int | None) -> Any:
        fired = self._fired

        def run(_context: Any) -> None:
            if owner is not None:
                fired.append(owner)

        return run

    def fire(self, stratum: int, fact: dict[str, Any]) -> set[int]:
        self._fired.clear()
        for name in self._names[stratum]:
            self._host.assert_fact(name, fact)
            self._host.retract_fact(name, fact)
        return set(self._fired)

    def close(self) -> None:
        host = self._host
        host._ruleset_list = []  # the timer threads then find nothing to dispatch
        for timer in (getattr(host, "_d_timer", None), getattr(host, "_t_timer", None)):
            if timer is not None:
                timer.cancel()
