"""The one module that touches durable-rules; every failure leaves here as EngineError.

The library uses the engine's C core directly, not its Python ``Host``:

- ``Host`` starts two background threads per instance, runs actions on them,
  hides action exceptions in session state, and logs messages (report
  contents) when an action fails. None of that is acceptable here.
- Each policy gets its own rulesets (no process-global registry, unique names),
  so a current and a candidate policy evaluate side by side.
- A report is asserted as a fact under one fixed session, every matched rule
  is drained from the action queue, and the fact is retracted, so nothing
  carries over into the next evaluation. A catch-all rule makes every fact
  "handled": deleting a session whose only fact went unhandled crashes the
  engine (uninitialised state in deleteStateNode).
- The C state has no locks, so one lock per engine serialises evaluations.
- ``close`` (or garbage collection) deletes the session and the rulesets, so
  reloading policies does not leak handles.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import Any

import durable_rules_engine as _dre

from ..._errors import EngineError
from ._compile import Layout
from ._json import dumps

__all__ = ["DurableEngine"]

_SID = "0"
_NAMES = iter(range(1 << 62))
_NAMES_LOCK = threading.Lock()


def _next_name(tag: str) -> str:
    with _NAMES_LOCK:
        return f"triage_{tag}_{next(_NAMES)}"


def _fail(what: str, exc: BaseException | None = None) -> EngineError:
    # The engine's own message carries only an error code; it is kept, never the fact.
    detail = (
        f" ({type(exc).__name__}: {exc})"
        if isinstance(exc, _dre.error)
        else (f" ({type(exc).__name__})" if exc is not None else "")
    )
    return EngineError(f"rule engine failure while {what}{detail}")


class _Ruleset:
    """One C ruleset: its handle, whether a session exists, and the rule owners."""

    __slots__ = ("handle", "owners", "used")

    def __init__(self, definition: dict[str, Any], owners: dict[str, int], tag: str) -> None:
        try:
            self.handle: int = _dre.create_ruleset(_next_name(tag), dumps(definition))
        except (_dre.error, MemoryError, ValueError, TypeError) as exc:
            raise _fail("building a ruleset", exc) from None
        self.owners = owners
        self.used = False


def _release(rulesets: list[_Ruleset]) -> None:
    for rs in rulesets:
        try:
            if rs.used:
                _dre.delete_state(rs.handle, _SID)
            _dre.delete_ruleset(rs.handle)
        except Exception:
            pass
    rulesets.clear()


class DurableEngine:
    """The compiled rulesets of one policy, evaluated safely from any thread.

    After any failure inside the engine its C state can no longer be trusted
    (a half-drained action queue leaks into the next evaluation), so the
    rulesets are discarded and rebuilt before the next evaluation.
    """

    def __init__(self, layout: Layout, tag: str) -> None:
        self._lock = threading.Lock()
        self._layout = layout
        self._tag = tag
        self._all: list[_Ruleset] = []
        self._strata: list[list[_Ruleset]] = []
        self._build()
        self._finalizer = weakref.finalize(self, _release, self._all)
        self._broken = False

    def _build(self) -> None:
        built_all: list[_Ruleset] = []
        strata: list[list[_Ruleset]] = []
        try:
            for chunks in self._layout.strata:
                built = []
                for chunk in chunks:
                    rs = _Ruleset(chunk.definition(), chunk.owners, self._tag)
                    built_all.append(rs)
                    built.append(rs)
                strata.append(built)
        except BaseException:
            _release(built_all)
            raise
        # Keep the same list object: the finalizer holds a reference to it.
        self._all[:] = built_all
        self._strata = strata

    @property
    def closed(self) -> bool:
        return not self._finalizer.alive

    def close(self) -> None:
        """Free the engine's rulesets; the engine cannot be used afterwards."""
        with self._lock:
            self._finalizer()

    def fire(self, stratum: int, fact_json: str) -> set[int]:
        """Indexes of every rule of ``stratum`` that matches the fact."""
        fired: set[int] = set()
        with self._lock:
            self._ready()
            try:
                for rs in self._strata[stratum]:
                    fired.update(self._fire_one(rs, fact_json))
            except BaseException:  # an interrupt too can leave a fact half-drained
                self._broken = True
                raise
        return fired

    def fire_ruleset(self, stratum: int, k: int, fact_json: str) -> tuple[int, ...]:
        """Indexes of the rules of the ``k``-th ruleset of ``stratum`` that match the fact."""
        with self._lock:
            self._ready()
            try:
                return tuple(self._fire_one(self._strata[stratum][k], fact_json))
            except BaseException:  # an interrupt too can leave a fact half-drained
                self._broken = True
                raise

    def _ready(self) -> None:
        if self.closed:
            raise EngineError("the rule engine of this policy was closed")
        if self._broken:
            _release(self._all)
            self._build()
            self._broken = False

    def _fire_one(self, rs: _Ruleset, fact_json: str) -> Iterable[int]:
        handle = rs.handle
        owners = rs.owners
        try:
            code, state = _dre.assert_fact(handle, fact_json)
        except Exception as exc:  # an interrupt or exit is not an engine failure
            raise _fail("asserting a report", exc) from None
        rs.used = True
        if code != 0:
            # Never expected: the catch-all rule handles every fact, and each fact is
            # retracted before the next one.
            raise _fail(f"asserting a report (engine status {code})")
        out: list[int] = []
        try:
            action = _dre.start_action_for_state(handle, state)
            message = action[1] if action else None
            while message:
                # A message reads {"<rule name>": {...}}; only the name is needed.
                name = message[2 : message.index('"', 2)]
                owner = owners.get(name)
                if owner is not None:
                    out.append(owner)
                message = _dre.complete_and_start_action(handle, state)
            _dre.retract_fact(handle, fact_json)
        except Exception as exc:  # an interrupt or exit is not an engine failure
            raise _fail("collecting matched rules", exc) from None
        return out

    def pending_actions(self) -> int:
        """Matched rules still queued in any ruleset (always 0 between evaluations)."""
        with self._lock:
            return sum(
                1
                for rs in self._all
                if rs.used and _dre.start_action_for_state(rs.handle, 0) is not None
            )
