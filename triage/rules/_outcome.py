"""Frozen records of what the rules did: the trace and the information gaps."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["Gap", "PolicyRef", "TraceEntry", "Translated"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Translated(_Frozen):
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class TraceEntry(_Frozen):
    """One fired rule: why it fired (the facts it read) and what it changed."""

    rule: str
    stratum: int
    description: Translated
    source: str | None = None
    read: dict[str, Any] = Field(
        description="each fact the rule tests, with its value (null: not given)"
    )
    level: str | None = Field(None, description="the level the rule asks for")
    priority: str | None = None
    flags: tuple[str, ...] = ()
    note: Translated | None = None
    raised_level: tuple[str, str] | None = Field(
        None, description="(from, to) when it raised the level"
    )
    raised_priority: tuple[str, str] | None = None
    added_flags: tuple[str, ...] = ()
    lead: str | None = None
    co_handlers: tuple[str, ...] = ()
    tasks: tuple[str, ...] = Field((), description="actions of the tasks the rule adds")
    model_factors: tuple[tuple[str, float], ...] = Field(
        (), description="for a rule reading the model: the report items that raised its estimate"
    )


class Gap(_Frozen):
    """An unanswered question that could change the decision.

    ``could_*`` is what answering yes would do by itself; ``jointly_*`` is what it
    could do together with other unanswered questions (and not by itself).
    """

    fact: str = Field(description="the indicator or report field to ask about")
    alone: bool = Field(description="answering yes could change the outcome by itself")
    could_raise_level_to: str | None = None
    could_add_flags: tuple[str, ...] = ()
    could_remove_flags: tuple[str, ...] = ()
    jointly_raise_level_to: str | None = None
    jointly_add_flags: tuple[str, ...] = ()
    rules: tuple[str, ...] = Field((), description="rules whose outcome depends on it")


class PolicyRef(_Frozen):
    id: str
    version: str
    jurisdiction: str
    sha256: str
