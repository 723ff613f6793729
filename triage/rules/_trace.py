"""The trace of a decision: one entry per fired rule, with the facts that made it fire.

An entry names the rule, the values of every fact it read (an unanswered one as null),
the facts it fired *because of* (an unknown value is never a cause), what it changed
in the decision, and the model's factors where the rule reads the model.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from .._kept import keep as remember
from .._trusted import trusted
from ..decision import ReadOnlyDict, TraceEntry, Translated
from ._facts import FACTS, MISSING
from ._formula import Or, literals, reasons
from ._ir import RuleDef
from ._policy import Policy

if TYPE_CHECKING:
    from ._evaluate import World

__all__ = ["Tracer"]

TRACE_ENTRIES_KEPT = 8192  # trace entries kept per policy (about 2.7 KB each), to be given again


class Tracer:
    """Makes the trace entries of one policy's rules; its tables are built once and
    reused for every report. ``formulas`` are the rules' conditions, by rule index."""

    def __init__(self, policy: Policy, formulas: dict[int, Any]) -> None:
        self.policy = policy
        self._formulas = formulas
        self._reads_sorted = {r.index: tuple(sorted(r.reads)) for r in policy.rules}
        self._readers = {i: _tuple_reader(names) for i, names in self._reads_sorted.items()}
        # Rules reading a number: 1 and 1.0 are equal but written differently, so their
        # entries are kept by the values' types too (a code, a level, a yes or a flag
        # has one type per value).
        self._typed = frozenset(
            i for i, names in self._reads_sorted.items() if any(FACTS[n].numeric for n in names)
        )
        # A fired rule without an "or" fired because of every fact it tests.
        self._all_reasons = {
            i: frozenset(vs.fact for vs in literals(f))
            for i, f in formulas.items()
            if not _has_or(f)
        }
        # Each rule's own parts of an entry (texts frozen, shared by decisions).
        self._templates = {r.index: _template(r, policy.strata[r.index]) for r in policy.rules}
        self._reads_model = frozenset(
            r.index for r in policy.rules if any(n.startswith("model.") for n in r.reads)
        )
        self._entries: dict[tuple[Any, ...], TraceEntry] = {}  # see `entries`

    def entries(
        self, world: World, fired: list[int], model_factors: tuple[tuple[str, float], ...]
    ) -> list[TraceEntry]:
        """The trace entries of rules ``fired`` in ``world``.

        An entry depends only on the rule, the values it read (and their types, where
        it reads a number: 1 and 1.0 are written differently) and what it changed, and
        holds nothing that can be changed (`ReadOnlyDict`), so one built before for the
        same is given again."""
        out = []
        strata, readers, kept = self.policy.strata, self._readers, self._entries
        typed, reads_model = self._typed, self._reads_model
        for index in fired:
            values = world.values[strata[index]]
            read = readers[index](values)
            changes = world.changes[index]
            factors = model_factors if index in reads_model else ()
            if index in typed:
                key: tuple[Any, ...] = (index, read, tuple(map(type, read)), changes, factors)
            else:
                key = (index, read, changes, factors)
            try:
                entry = kept.get(key)
                keep = True
            except TypeError:  # a value that cannot be a key: built every time
                entry, keep = None, False
            if entry is None:
                entry = self._entry(index, values, changes, factors)
                if keep:
                    remember(kept, key, entry, TRACE_ENTRIES_KEPT)
            out.append(entry)
        return out

    def _entry(
        self,
        index: int,
        values: dict[str, Any],
        changes: tuple[Any, Any, tuple[str, ...]],
        factors: tuple[tuple[str, float], ...],
    ) -> TraceEntry:
        causes: Collection[str] | None = self._all_reasons.get(index)
        if causes is None:  # an "or": the branch that holds is the reason
            causes = reasons(self._formulas[index], values) or ()
        read: dict[str, Any] = {}
        because = []
        for name in self._reads_sorted[index]:
            value = values[name]
            if value is MISSING:
                read[name] = None
                continue
            read[name] = value
            if name in causes and _known(value):
                because.append(name)
        entry = self._templates[index].copy()  # the rule's own parts, in field order
        entry["read"] = ReadOnlyDict(read)
        entry["because"] = tuple(because)
        entry["raised_level"], entry["raised_priority"], entry["added_flags"] = changes
        entry["model_factors"] = factors
        return trusted(TraceEntry, entry)


def _tuple_reader(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The values of ``names`` in a dict of facts, always as a tuple."""
    if len(names) == 1:
        name = names[0]
        return lambda values: (values[name],)
    return itemgetter(*names) if names else lambda values: ()


def _has_or(f: Any) -> bool:
    if isinstance(f, Or):
        return True
    return any(_has_or(item) for item in getattr(f, "items", ()))


def _known(value: Any) -> bool:
    return value is not None and value != "unknown"


def _template(rule: RuleDef, stratum: int) -> dict[str, Any]:
    """A trace entry's fields in `TraceEntry`'s order, with what is the same every time
    the rule fires filled in (the rest is set by `Tracer.entries`)."""
    then = rule.then
    return {
        "rule": rule.id,
        "stratum": stratum,
        "description": Translated(**rule.description),
        "source": rule.source,
        "read": None,
        "because": (),
        "level": then.level,
        "priority": then.priority,
        "flags": then.flags,
        "note": Translated(**then.note) if then.note is not None else None,
        "raised_level": None,
        "raised_priority": None,
        "added_flags": (),
        "lead": then.lead,
        "co_handlers": then.co_handlers,
        "tasks": tuple(t.action for t in then.tasks),
        "model_factors": (),
    }
