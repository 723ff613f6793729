"""The in-memory form of a policy: conditions and rules after validation."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

__all__ = [
    "ALWAYS",
    "All",
    "AnyOf",
    "Cond",
    "Meta",
    "Not",
    "RuleDef",
    "Task",
    "Test",
    "Then",
    "reads",
]


@dataclass(frozen=True, slots=True)
class Test:
    """``fact op value``. ``in``/``not_in`` values are tuples; ``exists`` is a bool."""

    fact: str
    op: str
    value: Any


@dataclass(frozen=True, slots=True)
class All:
    items: tuple[Cond, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Cond, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Cond


Cond = Test | All | AnyOf | Not
ALWAYS = All(())


def reads(cond: Cond) -> frozenset[str]:
    """Every fact name a condition tests."""
    out: set[str] = set()
    stack: list[Cond] = [cond]
    while stack:
        c = stack.pop()
        if isinstance(c, Test):
            out.add(c.fact)
        elif isinstance(c, Not):
            stack.append(c.item)
        else:
            stack.extend(c.items)
    return frozenset(out)


@dataclass(frozen=True, slots=True)
class Task:
    """A routed task: who does what by when, and on what basis."""

    department: str
    action: str
    due: str  # a duration such as "24h", "2s", "15d"
    after: str | None = None  # another task's action this deadline counts from
    basis: str | None = None
    working_days: bool | None = None  # None: the policy's default


@dataclass(frozen=True, slots=True)
class Then:
    level: str | None = None
    priority: str | None = None
    flags: tuple[str, ...] = ()
    note: dict[str, str] | None = None
    lead: str | None = None
    co_handlers: tuple[str, ...] = ()
    tasks: tuple[Task, ...] = ()
    legal_duty: str | None = None  # a legal duty that overrides a refusal of consent

    def sets_anything(self) -> bool:
        return bool(
            self.level
            or self.priority
            or self.flags
            or self.note
            or self.lead
            or self.co_handlers
            or self.tasks
        )


@dataclass(frozen=True)
class RuleDef:
    index: int
    id: str
    description: dict[str, str]
    source: str | None
    when: Cond
    then: Then
    line: int
    col: int
    precedence: int = 0
    reads: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Meta:
    id: str
    version: str
    jurisdiction: str
    effective_from: date
    language: str
    timezone: str
    allow_downgrade: bool
    title: dict[str, str] | None
    instrument_options: dict[str, dict[str, Any]]
