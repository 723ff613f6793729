"""Bounded tables of things built once and given again (trace entries, gaps, plans,
JSON fragments, dates): when full, the oldest quarter goes, so what keeps recurring is
kept again while what never repeats makes room. Clearing a whole table instead made
everything be built again at once."""

from __future__ import annotations

from itertools import islice
from typing import Any, TypeVar

__all__ = ["keep"]

V = TypeVar("V")


def keep(table: dict[Any, Any], key: Any, value: V, bound: int) -> V:
    """Put ``value`` under ``key`` in ``table`` (at most ``bound`` entries) and give it."""
    if len(table) >= bound:
        for old in list(islice(table, len(table) // 4)):
            table.pop(old, None)  # another thread may have taken it already
    table[key] = value
    return value
