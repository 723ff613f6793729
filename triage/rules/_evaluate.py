"""Running a policy on one report: strata in order, outcomes only ever going up.

Each stratum is one engine evaluation of a fact that carries exactly the facts
its rules read, including the decision so far (level, priority, flags) for
rules that depend on it. Fired rules apply in file order; a level or priority
is the maximum of everything that asked for one, and the professional
judgement raises it (or, where the policy allows and a reason is given,
lowers it).

When answers are unknown, the policy is also run in the "max world" where
every unknown risk answer is yes. Its level is ``level_max``; rules that fire
in one world and not the other point at the information gaps.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from .._errors import EngineError, UsageError
from ..decision import Gap, TraceEntry
from ..vocab import LEVELS, PRIORITIES
from ._facts import FACTS, MISSING, FactContext
from ._gaps import GapSearch
from ._ir import RuleDef
from ._native import Native, sample_facts
from ._policy import Policy
from ._trace import Tracer
from .engine import CATCH_ALL, PRESENT, FactEncoder

__all__ = ["Evaluator", "Judgement", "World", "combine_level", "describe_verify"]

_LEVEL_RANK = {c: i for i, c in enumerate(LEVELS.codes)}
_PRIORITY_RANK = {c: i for i, c in enumerate(PRIORITIES.codes)}


@dataclass(frozen=True, slots=True)
class Judgement:
    level: str | None
    reason_given: bool


def combine_level(rules_level: str, judgement: Judgement | None, allow_downgrade: bool) -> str:
    """The rules' level raised by a professional judgement, or lowered where allowed."""
    if judgement is None or judgement.level is None:
        return rules_level
    if _LEVEL_RANK[judgement.level] >= _LEVEL_RANK[rules_level]:
        return judgement.level
    if allow_downgrade and judgement.reason_given:
        return judgement.level
    return rules_level


@dataclass
class World:
    """What one run of the policy produced."""

    fired: list[int] = field(default_factory=list)
    rules_level: str = "standard"
    level: str = "standard"
    priority: str = "P4"
    flags: set[str] = field(default_factory=set)
    values: list[dict[str, Any]] = field(default_factory=list)  # facts shown to each stratum
    changes: dict[int, tuple[Any, Any, tuple[str, ...]]] = field(default_factory=dict)
    # The trace, made as each stratum ends (a recorded run), with the model's factors it
    # gives the rules that read the model (see `Evaluator.trace`).
    entries: list[TraceEntry] | None = None
    entries_factors: tuple[tuple[str, float], ...] = ()


class _MaxResult:
    """An instrument result seen from the max world: every range at its top."""

    __slots__ = (
        "applies",
        "level",
        "level_max",
        "recidivism_rate",
        "score",
        "score_max",
        "screened_in",
        "screened_in_max",
        "unknown",
    )

    def __init__(self, r: Any) -> None:
        self.score = self.score_max = r.score_max
        self.level = self.level_max = r.level_max
        self.applies = r.applies
        self.unknown = ()  # every item answered, so none is left unanswered
        # Read from the fields: a pydantic model raises and catches an AttributeError
        # for each field it lacks, which cost more than the rest of this.
        fields = r.__dict__
        self.screened_in = self.screened_in_max = fields.get("screened_in_max")
        self.recidivism_rate = fields.get("recidivism_rate_max")


MATCH_CACHE = 2048  # facts remembered per compiled ruleset (0: ask the engine every time)


class _Matches(dict[tuple[Any, ...], tuple[int, ...]]):
    """Values of the facts a compiled ruleset reads -> rules matched (weakly shared)."""


# compiled ruleset -> its table; a table lives as long as an evaluator uses it
_MATCHES: weakref.WeakValueDictionary[str, _Matches] = weakref.WeakValueDictionary()
_MATCHES_LOCK = threading.Lock()


def _reader(names: list[str]) -> Callable[[dict[str, Any]], Any]:
    """The values of ``names`` in a dict of facts, in one call (a ruleset reading no
    fact always has the same key)."""
    return itemgetter(*names) if names else lambda values: ()


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _decision_so_far(derived: dict[str, Any], world: World, level_max: str | None) -> None:
    """The facts about the decision so far that later strata may read."""
    derived["decision.level"] = world.level
    derived["decision.level_max"] = (
        world.level
        if level_max is None or _LEVEL_RANK[level_max] < _LEVEL_RANK[world.level]
        else level_max
    )
    derived["decision.priority"] = world.priority
    derived["flags"] = world.flags


# Matchers that passed the load-time check in this process (the last few policies).
_CHECKED: OrderedDict[tuple[Any, ...], None] = OrderedDict()
_CHECKED_LOCK = threading.Lock()

LOAD_CHECK_FACTS = 3000  # generated facts both engines decide when a policy is loaded
LOAD_CHECK_SECONDS = 0.5  # and the most time that check may take


def describe_verify(verify: str) -> str:
    """How decisions were checked, in words (for summaries): `Triage.verify`'s value."""
    return {
        "always": "every decision checked by durable-rules",
        "load": "rules checked by durable-rules at start only",
        "durable": "decided by durable-rules alone",
    }.get(verify) or f"{verify} of decisions (by report id) checked by durable-rules"


_BAD_VERIFY = "verify must be 'always', 'load' or a share such as '1%'"


def _verify_mode(verify: str, engine: str) -> tuple[bool, float]:
    """(check every evaluation, share of reports checked) for a ``verify`` setting;
    with durable-rules alone there is nothing to check."""
    if not isinstance(verify, str):
        raise UsageError(_BAD_VERIFY)
    if engine == "durable" or verify == "load":
        return False, 0.0
    if verify == "always":
        return True, 1.0
    share = verify[:-1] if verify.endswith("%") else None
    try:
        rate = float(share) / 100 if share is not None else -1.0
    except ValueError:
        rate = -1.0
    if not 0 < rate < 1 or rate != rate:
        raise UsageError(_BAD_VERIFY)
    return False, rate


def _effects(policy: Policy) -> dict[int, tuple[int, str, int, str, tuple[str, ...]]]:
    """What each rule does when it fires, as `Evaluator._take` applies it: (level rank,
    level, priority rank, priority, flags); rank -1 never applies."""
    return {
        r.index: (
            _LEVEL_RANK[r.then.level] if r.then.level else -1,
            r.then.level or "",
            _PRIORITY_RANK[r.then.priority] if r.then.priority else -1,
            r.then.priority or "",
            r.then.flags,
        )
        for r in policy.rules
    }


def _route_signatures(policy: Policy) -> dict[int, str]:
    """What of a fired rule a routing plan depends on; rules without routing effects do
    not change the plan. Equal signatures (and equal routing sections) mean equal plans,
    so policies compared side by side can share them."""
    return {
        r.index: hashlib.sha256(
            repr(
                (
                    r.id,
                    r.index,
                    r.precedence,
                    r.then.lead,
                    r.then.co_handlers,
                    r.then.tasks,
                    r.then.legal_duty,
                )
            ).encode()
        ).hexdigest()  # repr: Task is a plain dataclass
        for r in policy.rules
        if r.then.lead or r.then.co_handlers or r.then.tasks
    }


class Evaluator:
    """Runs one policy; built once per policy and reused for every report."""

    def __init__(self, policy: Policy, *, engine: str = "compiled", verify: str = "always") -> None:
        if engine not in ("compiled", "durable"):
            raise UsageError("engine must be 'compiled' or 'durable'")
        self.policy = policy
        self._rules: dict[int, RuleDef] = {r.index: r for r in policy.rules}
        native = policy.native()
        self._formulas = native.formulas
        self._values = native.values
        # A subclass that decides matches itself (`_fire`) is the only matcher it uses.
        self._hooked = type(self)._fire is not Evaluator._fire
        self._native = native if engine == "compiled" else None
        self.engine_kind = engine
        self.verify = verify
        self.verify_all, self._verify_rate = _verify_mode(verify, engine)
        # The sample's hash starts with the policy's sha256: hashed once, copied per report.
        self._verify_prefix = hashlib.sha256(f"{policy.sha256}:".encode())
        self._tracer = Tracer(policy, native.formulas)
        self._gap_search = GapSearch(policy, native.holds, native.formulas)
        self._effects = _effects(policy)
        self._route_sig = _route_signatures(policy)
        self._durable_tables()
        self._reads()
        if self._native is not None and not self.verify_all and not self._hooked:
            self._check_once(self._native)

    def _durable_tables(self) -> None:
        """How each stratum's facts go to durable-rules, and the remembered matches of
        each of its rulesets."""
        policy = self.policy
        layout = policy.layout

        def keys_of(names: Any) -> tuple[tuple[str, str, str | None], ...]:
            return tuple(
                (n, layout.keys[n], layout.keys.get(PRESENT + n)) for n in sorted(set(names))
            )

        self._stratum_encoders = [
            FactEncoder(keys_of(names), MISSING) for names in layout.stratum_facts
        ]
        # Each durable-rules ruleset is given only the facts its own rules read.
        self._chunk_keys = chunk_keys = [
            tuple(keys_of(chunk.facts) for chunk in chunks) for chunks in layout.strata
        ]
        # (the values of the facts a ruleset reads, as its table's key; its encoder)
        self._chunk_encoders = [
            tuple((_reader([n for n, _, _ in keys]), FactEncoder(keys, MISSING)) for keys in chunks)
            for chunks in chunk_keys
        ]
        # What a stratum's fact depends on (its facts, their engine keys, the instrument
        # options), and what its matches depend on (the compiled rules); see `run`.
        options = json.dumps(policy.meta.instrument_options, sort_keys=True)
        self._facts_sig = [
            _digest([options, [(n, layout.keys[n], layout.keys.get(PRESENT + n)) for n in names]])
            for names in layout.stratum_facts
        ]
        self._rules_sig = rules_sig = [
            tuple(
                _digest([c.definition(), sorted(c.owners.items()), keys])
                for c, keys in zip(chunks, keys_of_chunks, strict=True)
            )
            for chunks, keys_of_chunks in zip(layout.strata, chunk_keys, strict=True)
        ]
        # Shared by every evaluator of an identical compiled ruleset (a policy that changes
        # one rule keeps the tables of its other rulesets); only the engine's own matching
        # is remembered (a subclass that matches otherwise gets no tables).
        cached = not self._hooked
        with _MATCHES_LOCK:
            self._matches: list[tuple[_Matches, ...] | None] = [
                tuple(_MATCHES.setdefault(sig, _Matches()) for sig in sigs) if cached else None
                for sigs in rules_sig
            ]

    def _reads(self) -> None:
        """What the policy's rules read, for deciding whether a report needs the max world
        and how far a run must go."""
        policy = self.policy
        referenced = {name for r in policy.rules for name in r.reads}
        self.referenced = frozenset(referenced)
        self._derived_specs = [
            tuple(FACTS[n] for n in names if FACTS[n].derived)
            for names in policy.layout.stratum_facts
        ]
        self._last_level_stratum = max(
            (policy.strata[r.index] for r in policy.rules if r.then.level), default=0
        )
        self._indicators = tuple(
            n.split(".", 1)[1] for n in referenced if n.startswith("indicators.")
        )
        self._tri_fields = tuple(
            n for n in referenced if FACTS[n].raises_risk and not n.startswith("indicators.")
        )
        self._instruments = tuple(
            sorted({n.split(".")[1] for n in referenced if n.startswith("instruments.")})
        )
        self.reads_model = any(n.startswith("model.") for n in referenced)
        self.allow_downgrade = policy.meta.allow_downgrade

    # -- verification -----------------------------------------------------------------

    def verifies(self, report_id: str) -> bool:
        """Whether durable-rules checks the decision of this report: every one with
        ``verify="always"``, a share chosen by the report id (the same every run),
        or none after the check at load."""
        if self.verify_all:
            return True
        rate = self._verify_rate
        if rate <= 0:
            return False
        h = self._verify_prefix.copy()
        h.update(report_id.encode())  # sha256 of "<policy sha256>:<report id>"
        return int.from_bytes(h.digest()[:8], "big") < rate * (1 << 64)

    def _check_once(self, native: Native) -> None:
        """`check_generated`, unless these very matchers passed it in this process: the
        same file loaded again shares them (`Policy.native`), and the check would only
        repeat itself. Matchers changed in one policy are other objects, checked anew."""
        key = (self.policy.sha256, *native.fire)
        with _CHECKED_LOCK:
            if key in _CHECKED:
                _CHECKED.move_to_end(key)
                return
        self.check_generated()
        with _CHECKED_LOCK:
            _CHECKED[key] = None
            while len(_CHECKED) > 8:
                _CHECKED.popitem(last=False)

    def check_generated(
        self, n: int = LOAD_CHECK_FACTS, seconds: float = LOAD_CHECK_SECONDS
    ) -> int:
        """Both engines decide generated facts (every value each rule tests, and numbers
        at and around every threshold, in random combinations): `EngineError` at the
        first disagreement. Returns how many facts were compared within the time."""
        if self._native is None:
            return 0
        engine = self.policy.engine()
        deadline = time.monotonic() + seconds
        compared = 0
        for stratum, values in sample_facts(
            self._formulas, self.policy.strata, self.policy.layout.stratum_facts, n,
            seed=self.policy.sha256,
        ):  # fmt: skip
            fired = self._native.fire[stratum](values)
            expected = self._durable(engine, stratum, values, remember=False)
            if fired != expected:
                self._disagree(stratum, fired, expected)
            compared += 1
            if time.monotonic() > deadline:
                break
        return compared

    # -- running ----------------------------------------------------------------------

    def needs_max_world(self, ctx: FactContext) -> bool:
        answers = ctx.answers
        if any(answers[i] == "unknown" for i in self._indicators):
            return True
        for name in self._tri_fields:
            if FACTS[name].get(ctx) == "unknown":
                return True
        for iid in self._instruments:
            r = ctx.instruments[iid]
            if r.score != r.score_max or r.level != r.level_max:
                return True
            if r.unknown and iid in self._gap_search.counted:  # a rule counts unanswered items
                return True
        model = ctx.model
        return bool(
            self.reads_model and model is not None and model.probability_max > model.probability
        )

    def max_context(self, ctx: FactContext, model: Any = None) -> FactContext:
        answers = {k: ("yes" if v == "unknown" else v) for k, v in ctx.answers.items()}
        instruments = {k: _MaxResult(v) for k, v in ctx.instruments.items()}
        return ctx.replaced(
            answers=answers,
            instruments=instruments,
            model=model if model is not None else ctx.model,
            derived=None,
            separated="yes" if ctx.separated == "unknown" else ctx.separated,
        )

    def run(
        self,
        ctx: FactContext,
        judgement: Judgement | None,
        *,
        maxed: bool = False,
        level_max: str | None = None,
        level_only: bool = False,
        record: bool = True,
        memo: dict[Any, Any] | None = None,
        check: bool | None = None,
    ) -> World:
        """Run the policy's strata in order.

        ``level_only`` stops after the last stratum that can change the level (enough
        for the max world's level when no information gaps are wanted); ``record``
        keeps what each rule changed, which only the trace needs.

        ``memo`` (one per report) keeps each stratum's fact, keyed by everything it
        depends on (the stratum's facts, the world, the decision so far), so another
        policy reading the same facts does not build it again.

        Rules match in the generated Python; ``check`` (by default: whether the
        evaluator verifies every evaluation) has durable-rules match them too, and any
        disagreement raises `EngineError`. What each durable-rules ruleset matched is
        remembered per compiled ruleset and the values of the facts it reads, across
        reports and across policies with an identical ruleset (a bounded table).
        """
        world = World()
        check = self.verify_all if check is None else check
        hold = ctx.hold  # a case's level and safety flags, held by an earlier decision
        if hold is not None:
            world.flags.update(hold.flags)
        world.level = self._level(world, judgement, hold)
        derived: dict[str, Any] = {}
        ctx = ctx.with_derived(derived)
        engine = self.policy.engine()
        last = self._last_level_stratum if level_only else len(self._values) - 1
        if record:  # the trace is made while each stratum's facts are still at hand
            world.entries = []
            world.entries_factors = ctx.model.top_factors if ctx.model is not None else ()
        for stratum in range(last + 1):
            _decision_so_far(derived, world, level_max)
            values = self._stratum_values(stratum, ctx, maxed, memo)
            world.values.append(values)
            fired = self._matched(engine, stratum, values, check)
            self._take(world, fired, record)
            if world.entries is not None:
                world.entries += self._tracer.entries(world, fired, world.entries_factors)
            world.level = self._level(world, judgement, hold)
        return world

    def _level(self, world: World, judgement: Judgement | None, hold: Any) -> str:
        level = combine_level(world.rules_level, judgement, self.allow_downgrade)
        if hold is not None and _LEVEL_RANK[hold.level] > _LEVEL_RANK[level]:
            return str(hold.level)
        return level

    def _stratum_values(
        self, stratum: int, ctx: FactContext, maxed: bool, memo: dict[Any, Any] | None
    ) -> dict[str, Any]:
        """The values a stratum's rules read (MISSING where not given)."""
        facts_key = None
        if memo is not None:
            facts_key = (
                self._facts_sig[stratum],
                maxed,
                ctx.model,
                tuple(spec.get(ctx) for spec in self._derived_specs[stratum]),
            )
            built = memo.get(facts_key)
            if built is not None:
                return built  # type: ignore[no-any-return]
        values = self._values[stratum](ctx, maxed)
        if memo is not None:
            memo[facts_key] = values
        return values

    def fact_json(self, stratum: int, values: dict[str, Any]) -> str:
        """The whole stratum's fact as the engine would be given it (for `_fire` hooks)."""
        return self._stratum_encoders[stratum](values, CATCH_ALL)

    def _matched(self, engine: Any, stratum: int, values: dict[str, Any], check: bool) -> list[int]:
        """The rules of a stratum that match: generated Python, checked by durable-rules
        when ``check``; durable-rules alone when the evaluator was built so; the `_fire`
        hook alone in a subclass that overrides it."""
        if self._hooked:
            return sorted(self._fire(engine, stratum, self.fact_json(stratum, values), values))
        if self._native is None:
            return self._durable(engine, stratum, values)
        fired = self._native.fire[stratum](values)
        if check:
            expected = self._durable(engine, stratum, values)
            if expected != fired:
                self._disagree(stratum, fired, expected)
        return fired

    def _disagree(self, stratum: int, fired: list[int], expected: list[int]) -> None:
        differ = sorted(set(fired) ^ set(expected))
        ids = ", ".join(self._rules[i].id for i in differ)
        raise EngineError(
            f"the compiled rules of stratum {stratum} disagree with durable-rules on {ids}"
        )

    def _durable(
        self, engine: Any, stratum: int, values: dict[str, Any], remember: bool = True
    ) -> list[int]:
        """What durable-rules matches: each ruleset is given only the facts its own rules
        read, and its answer is remembered under those values (the engine is
        deterministic, so values seen before need no engine call)."""
        fired: set[int] = set()  # a rule may match through several compiled branches
        tables = self._matches[stratum] if MATCH_CACHE and remember else None
        for k, (read, encode) in enumerate(self._chunk_encoders[stratum]):
            if tables is None:
                fired.update(engine.fire_ruleset(stratum, k, encode(values, CATCH_ALL)))
                continue
            table = tables[k]
            seen = read(values)  # one value, or a tuple of them
            matched = table.get(seen)
            if matched is None:
                matched = engine.fire_ruleset(stratum, k, encode(values, CATCH_ALL))
                if len(table) >= MATCH_CACHE:
                    table.clear()  # bounded: facts that never repeat start it over
                table[seen] = matched
            fired.update(matched)
        return sorted(fired)

    def _take(self, world: World, fired: list[int], record: bool) -> None:
        """Apply the effects of a stratum's fired rules, in order: levels and priorities
        only go up, flags add up. With ``record``, also keep what each changed (for the
        trace)."""
        effects, flags_now, changes = self._effects, world.flags, world.changes
        level_now, priority_now = world.rules_level, world.priority
        level_rank, priority_rank = _LEVEL_RANK[level_now], _PRIORITY_RANK[priority_now]
        for index in fired:
            rank, level, p_rank, priority, flags = effects[index]
            raised_level = raised_priority = None
            if rank > level_rank:
                raised_level = (level_now, level)
                level_now, level_rank = level, rank
            if p_rank > priority_rank:
                raised_priority = (priority_now, priority)
                priority_now, priority_rank = priority, p_rank
            if record:
                added = tuple([f for f in flags if f not in flags_now]) if flags else ()
                changes[index] = (raised_level, raised_priority, added)
            if flags:
                flags_now.update(flags)
        world.fired += fired
        world.rules_level, world.priority = level_now, priority_now

    def rules_fired(self, world: World) -> list[RuleDef]:
        return [self._rules[i] for i in world.fired]

    def plan_key(self, world: World) -> tuple[Any, ...]:
        """Everything of ``world`` that the routing plan depends on (besides the report)."""
        sig = self._route_sig
        return (
            self.policy.routing.fingerprint,
            world.level,
            tuple(sig[i] for i in world.fired if i in sig),
        )

    def _fire(self, engine: Any, stratum: int, fact_json: str, values: dict[str, Any]) -> set[int]:
        return engine.fire(stratum, fact_json)  # type: ignore[no-any-return]

    # -- explaining ---------------------------------------------------------------------

    def trace(
        self, world: World, model_factors: tuple[tuple[str, float], ...] = ()
    ) -> tuple[TraceEntry, ...]:
        """One entry per fired rule, in the order they applied; ``model_factors`` go with
        the rules that read the model.

        A recorded run made it as each stratum ended, while that stratum's facts were
        still at hand (after the rest of a decision they were read again from memory
        that had gone cold, at several times the cost); it is given as made for the
        same factors."""
        if world.entries is not None and world.entries_factors == model_factors:
            return tuple(world.entries)
        return tuple(self._tracer.entries(world, world.fired, model_factors))

    def gaps(self, actual: World, maxw: World, ctx: FactContext) -> tuple[Gap, ...]:
        """Every unanswered question that could change the decision, most decisive first
        (see `GapSearch`)."""
        return self._gap_search.gaps(actual, maxw, ctx)
