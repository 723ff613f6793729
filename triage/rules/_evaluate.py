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

import functools
import hashlib
import json
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from .._errors import EngineError, UsageError
from .._kept import keep as remember
from .._trusted import trusted
from ..decision import Gap, ReadOnlyDict, TraceEntry, Translated
from ..risk import INSTRUMENTS
from ..vocab import LEVELS, PRIORITIES, SAFETY_FLAGS
from ._facts import FACTS, MISSING, FactContext
from ._formula import Or, literals, reasons
from ._ir import RuleDef
from ._native import Native, sample_facts
from ._policy import Policy
from .engine import CATCH_ALL, PRESENT, FactEncoder

__all__ = ["Evaluator", "Judgement", "World", "combine_level", "describe_verify"]

_LEVEL_RANK = {c: i for i, c in enumerate(LEVELS.codes)}
_LEVEL_CODES = tuple(LEVELS.codes)
_PRIORITY_RANK = {c: i for i, c in enumerate(PRIORITIES.codes)}
_AGE_FACTS = {"victim.minor": "victim.age", "victim.elderly": "victim.age"}


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


TRACE_ENTRIES_KEPT = 8192  # trace entries kept per evaluator (about 2.7 KB each), to be given again
GAPS_KEPT = 8192  # information gaps kept per evaluator, to be given again
FLIPS_KEPT = 4096  # an instrument's changes had one more item been answered
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


def _tuple_reader(names: tuple[str, ...]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """The values of ``names`` in a dict of facts, always as a tuple."""
    if len(names) == 1:
        name = names[0]
        return lambda values: (values[name],)
    return _reader(list(names))


def _digest(value: Any) -> str:
    return hashlib.sha256(json.dumps(value, sort_keys=True).encode()).hexdigest()


def _has_or(f: Any) -> bool:
    if isinstance(f, Or):
        return True
    return any(_has_or(item) for item in getattr(f, "items", ()))


def _known(value: Any) -> bool:
    return value is not None and value != "unknown"


def _trace_template(
    rule: RuleDef, stratum: int, description: Translated, note: Translated | None
) -> dict[str, Any]:
    """A trace entry's fields in `TraceEntry`'s order, with what is the same every time
    the rule fires filled in (the rest is set by `Evaluator.trace`)."""
    then = rule.then
    return {
        "rule": rule.id,
        "stratum": stratum,
        "description": description,
        "source": rule.source,
        "read": None,
        "because": (),
        "level": then.level,
        "priority": then.priority,
        "flags": then.flags,
        "note": note,
        "raised_level": None,
        "raised_priority": None,
        "added_flags": (),
        "lead": then.lead,
        "co_handlers": then.co_handlers,
        "tasks": tuple(t.action for t in then.tasks),
        "model_factors": (),
    }


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


class Evaluator:
    """Runs one policy; built once per policy and reused for every report."""

    def __init__(self, policy: Policy, *, engine: str = "compiled", verify: str = "always") -> None:
        self.policy = policy
        layout = policy.layout
        if engine not in ("compiled", "durable"):
            raise UsageError("engine must be 'compiled' or 'durable'")
        self._rules: dict[int, RuleDef] = {r.index: r for r in policy.rules}

        def keys_of(names: Any) -> tuple[tuple[str, str, str | None], ...]:
            return tuple(
                (n, layout.keys[n], layout.keys.get(PRESENT + n)) for n in sorted(set(names))
            )

        self._stratum_encoders = [
            FactEncoder(keys_of(names), MISSING) for names in layout.stratum_facts
        ]
        # Each durable-rules ruleset is given only the facts its own rules read.
        self._chunk_keys = [
            tuple(keys_of(chunk.facts) for chunk in chunks) for chunks in layout.strata
        ]
        # (the values of the facts a ruleset reads, as its table's key; its encoder)
        self._chunk_encoders = [
            tuple((_reader([n for n, _, _ in keys]), FactEncoder(keys, MISSING)) for keys in chunks)
            for chunks in self._chunk_keys
        ]
        native = policy.native()
        self._formulas = native.formulas
        self._values = native.values
        self._predicates = native.holds
        # A subclass that decides matches itself (`_fire`) is the only matcher it uses.
        self._hooked = type(self)._fire is not Evaluator._fire
        self._native = native if engine == "compiled" else None
        self.engine_kind = engine
        self.verify = verify
        self.verify_all, self._verify_rate = _verify_mode(verify, engine)
        # The sample's hash starts with the policy's sha256: hashed once, copied per report.
        self._verify_prefix = hashlib.sha256(f"{policy.sha256}:".encode())
        self._reads_sorted = {r.index: tuple(sorted(r.reads)) for r in policy.rules}
        self._trace_readers = {i: _tuple_reader(names) for i, names in self._reads_sorted.items()}
        # Rules reading a number: 1 and 1.0 are equal but written differently, so their
        # trace entries are kept by the values' types too (a code, a level, a yes or a
        # flag has one type per value).
        self._typed_reads = frozenset(
            i for i, names in self._reads_sorted.items() if any(FACTS[n].numeric for n in names)
        )
        # A fired rule without an "or" fired because of every fact it tests.
        self._all_reasons = {
            i: frozenset(vs.fact for vs in literals(f))
            for i, f in self._formulas.items()
            if not _has_or(f)
        }
        # Each rule's texts as the decision carries them (frozen, shared by decisions).
        self._texts = {
            r.index: (
                Translated(**r.description),
                Translated(**r.then.note) if r.then.note is not None else None,
            )
            for r in policy.rules
        }
        # The facts about the decision a rule reads (the gap search reads them again)
        self._derived_reads = {
            r.index: tuple((n, FACTS[n]) for n in r.reads if FACTS[n].derived) for r in policy.rules
        }
        # The gap search keeps a question's rules and flags as bits (see `_RULES`): names
        # in sorted order, so that reading the bits upwards gives them sorted.
        self._flag_names = tuple(sorted({f for r in policy.rules for f in r.then.flags}))
        self._flag_bit = {f: 1 << i for i, f in enumerate(self._flag_names)}
        self._flag_bits = {
            r.index: sum(self._flag_bit[f] for f in set(r.then.flags)) for r in policy.rules
        }
        self._rule_ids = tuple(sorted(r.id for r in policy.rules))
        self._rule_bit = {r.index: 1 << self._rule_ids.index(r.id) for r in policy.rules}
        self._entries: dict[tuple[Any, ...], TraceEntry] = {}  # see `trace`
        self._gaps: dict[tuple[Any, ...], tuple[tuple[Any, ...], Gap]] = {}  # see `gaps`
        self._flips: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # see `_instrument_candidates`
        self._trace_templates = {
            r.index: _trace_template(r, policy.strata[r.index], *self._texts[r.index])
            for r in policy.rules
        }
        self._reads_model_of = frozenset(
            r.index for r in policy.rules if any(n.startswith("model.") for n in r.reads)
        )
        # The facts of a rule an unanswered question can hide behind: instruments, and
        # answers that raise risk (derived facts are never asked about).
        # Each as (fact, its instrument or None, whether it is an unanswered-item count).
        self._gap_reads = {
            r.index: tuple(
                (n, n.split(".")[1] if n.startswith("instruments.") else None,
                 n.endswith(".unknown_count"))
                for n in sorted(r.reads)
                if not FACTS[n].derived and (n.startswith("instruments.") or FACTS[n].raises_risk)
            )
            for r in policy.rules
        }  # fmt: skip
        # An unknown answer's one candidate (gap fact, the fact answered yes): the same
        # every time, so built once (and never changed: `_candidates` only reads it).
        self._yes_candidates = {
            n: [(_AGE_FACTS.get(n, n), ((n, "yes"),))]
            for reads in self._gap_reads.values()
            for n, iid, _ in reads
            if iid is None
        }
        # Instruments whose count of unanswered items some rule reads: answering any of
        # their items changes that count, so the gap search must count it down too.
        self._counted = frozenset(
            n.split(".")[1]
            for r in policy.rules
            for n in r.reads
            if n.startswith("instruments.") and n.endswith(".unknown_count")
        )
        # (level rank, level, priority rank, priority, flags); rank -1 never applies
        self._effects: dict[int, tuple[int, str, int, str, tuple[str, ...]]] = {
            r.index: (
                _LEVEL_RANK[r.then.level] if r.then.level else -1,
                r.then.level or "",
                _PRIORITY_RANK[r.then.priority] if r.then.priority else -1,
                r.then.priority or "",
                r.then.flags,
            )
            for r in policy.rules
        }
        # (level rank, flags as bits) of each rule, as the gap search weighs it
        self._gap_effects = {i: (e[0], self._flag_bits[i]) for i, e in self._effects.items()}
        # What of a fired rule a routing plan depends on; rules without routing effects
        # do not change the plan. Equal signatures (and equal routing sections) mean
        # equal plans, so policies compared side by side can share them.
        self._route_sig = {
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
        # What a stratum's fact depends on (its facts, their engine keys, the instrument
        # options), and what its matches depend on (the compiled rules); see `run`.
        options = json.dumps(policy.meta.instrument_options, sort_keys=True)
        self._facts_sig = [
            _digest([options, [(n, layout.keys[n], layout.keys.get(PRESENT + n)) for n in names]])
            for names in layout.stratum_facts
        ]
        self._rules_sig = [
            tuple(
                _digest([c.definition(), sorted(c.owners.items()), keys])
                for c, keys in zip(chunks, chunk_keys, strict=True)
            )
            for chunks, chunk_keys in zip(layout.strata, self._chunk_keys, strict=True)
        ]
        # Shared by every evaluator of an identical compiled ruleset (a policy that changes
        # one rule keeps the tables of its other rulesets); only the engine's own matching
        # is remembered (a subclass that matches otherwise gets no tables).
        cached = not self._hooked
        with _MATCHES_LOCK:
            self._matches: list[tuple[_Matches, ...] | None] = [
                tuple(_MATCHES.setdefault(sig, _Matches()) for sig in sigs) if cached else None
                for sigs in self._rules_sig
            ]
        self._derived_specs = [
            tuple(FACTS[n] for n in names if FACTS[n].derived) for names in layout.stratum_facts
        ]
        self._last_level_stratum = max(
            (policy.strata[r.index] for r in policy.rules if r.then.level), default=0
        )
        referenced = {name for r in policy.rules for name in r.reads}
        self.referenced = frozenset(referenced)
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

        if self._native is not None and not self.verify_all and not self._hooked:
            self._check_once(self._native)

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
            if r.unknown and iid in self._counted:  # a rule counts unanswered items
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
                world.entries += self._entries_of(world, fired, world.entries_factors)
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
        return tuple(self._entries_of(world, world.fired, model_factors))

    def _entries_of(
        self, world: World, fired: list[int], model_factors: tuple[tuple[str, float], ...]
    ) -> list[TraceEntry]:
        """The trace entries of rules ``fired`` in ``world``.

        An entry depends only on the rule, the values it read (and their types, where
        it reads a number: 1 and 1.0 are written differently) and what it changed, and
        holds nothing that can be changed (`ReadOnlyDict`), so one built before for the
        same is given again."""
        out = []
        strata, readers, kept = self.policy.strata, self._trace_readers, self._entries
        typed, reads_model = self._typed_reads, self._reads_model_of
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
                entry = self._trace_entry(index, values, changes, factors)
                if keep:
                    remember(kept, key, entry, TRACE_ENTRIES_KEPT)
            out.append(entry)
        return out

    def _trace_entry(
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
        entry = self._trace_templates[index].copy()  # the rule's own parts, in field order
        entry["read"] = ReadOnlyDict(read)
        entry["because"] = tuple(because)
        entry["raised_level"], entry["raised_priority"], entry["added_flags"] = changes
        entry["model_factors"] = factors
        return trusted(TraceEntry, entry)

    def _candidates(
        self, index: int, ctx: FactContext, values: dict[str, Any], cache: dict[str, Any]
    ) -> list[tuple[str, tuple[tuple[str, Any], ...]]]:
        """(gap fact, fact values had it been answered yes) for each unknown the rule reads,
        as its stratum was shown it (``values``, the actual world); ``cache`` keeps what a
        fact gives across the rules of one report."""
        out: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
        for name, iid, counts in self._gap_reads[index]:
            found = cache.get(name)
            if found is None:
                if iid is not None:
                    both = cache.get(iid)
                    if both is None:
                        both = cache[iid] = self._instrument_candidates(iid, ctx.instruments[iid])
                    raising, count_only = both
                    # the count goes down with every answer, not only the raising ones
                    found = raising + count_only if counts else raising
                elif values[name] == "unknown":
                    found = self._yes_candidates[name]
                else:
                    found = []
                cache[name] = found
            out.extend(found)
        return out

    def _instrument_candidates(self, iid: str, result: Any) -> tuple[list[Any], list[Any]]:
        """(gap fact, the instrument's facts) for each unanswered item had it been answered
        yes, where a yes raises something; equal facts are one object, so that a rule
        tries them once (see `gaps`). Then, where a rule reads the count of unanswered
        items, the items a yes raises nothing on (DA 3a): answered the risk-raising way
        (no) they change only that count, so they are candidates only for such rules."""
        instrument = INSTRUMENTS[iid]
        options = self.policy.meta.instrument_options.get(iid, {})
        count = self._count_after_answer(iid, result)
        raising: list[Any] = []
        count_only: list[Any] = []
        kept = self._flips
        for number, changed in instrument.each_if_yes(result, **options):
            if changed is None:
                if count:
                    count_only.append((_item_fact(iid, number), count))
                continue
            # The same changes recur across reports (a score, its level): one object each
            key = (iid, *changed.items(), *count)
            flips = kept.get(key)
            if flips is None:
                flips = remember(kept, key, _flips(iid, changed, count), FLIPS_KEPT)
            raising.append((_item_fact(iid, number), flips))
        return raising, count_only

    def _count_after_answer(self, iid: str, result: Any) -> tuple[tuple[str, Any], ...]:
        """The instrument's unanswered-item count once one more item is answered, where a
        rule reads it (empty otherwise)."""
        if iid not in self._counted:
            return ()
        return ((f"instruments.{iid}.unknown_count", len(result.unknown) - 1),)

    def gaps(self, actual: World, maxw: World, ctx: FactContext) -> tuple[Gap, ...]:
        """Every unanswered question that could change the decision, most decisive first."""
        now = ctx.with_derived(
            {
                "decision.level": actual.level,
                "decision.level_max": max(actual.level, maxw.level, key=_LEVEL_RANK.__getitem__),
                "decision.priority": actual.priority,
                "flags": actual.flags,
            },
        )
        found: dict[str, list[int]] = {}
        cache: dict[str, Any] = {}
        seen: dict[str, Any] = {}  # fact values after every rule, read once per report
        fired = set(actual.fired)
        flags_now = self._flag_mask(actual.flags)
        lost = flags_now & ~self._flag_mask(maxw.flags)  # flags the max world does not reach
        level_rank = _LEVEL_RANK[actual.level]
        strata = self.policy.strata
        gap_effects = self._gap_effects
        for index in sorted(fired ^ set(maxw.fired)):
            rank, flags = gap_effects[index]
            if index in fired:  # could answering make it not fire? only lost flags matter
                removes = lost & flags
                if not removes:
                    continue  # whether this rule fires would change nothing in the decision
                effect: tuple[bool, int, int] = (True, -1, removes)
            else:
                raises = rank if rank > level_rank else -1
                adds = flags & ~flags_now
                if raises < 0 and not adds:
                    continue
                effect = (False, raises, adds)
            shown = actual.values[strata[index]]  # the facts its stratum was shown
            candidates = self._candidates(index, ctx, shown, cache)
            if candidates:
                values = self._read_values(index, shown, now, seen)
                self._answer_yes(index, values, candidates, effect, found)
        kept = self._gaps
        gaps = []
        for name, entry in found.items():
            # A gap is what it says (fact, effects, rules), the same in many decisions
            # (2,400 distinct on 8,000 reports): built once, given again.
            key = (name, *entry)
            gap = kept.get(key)
            if gap is None:
                gap = remember(kept, key, self._as_gap(name, entry), GAPS_KEPT)
            gaps.append(gap)
        gaps.sort()
        return tuple(gap for _, gap in gaps)

    def _flag_mask(self, flags: Collection[str]) -> int:
        """A world's flags as bits (a flag no rule sets cannot be added or removed)."""
        bit = self._flag_bit
        mask = 0
        for f in flags:
            mask |= bit.get(f, 0)
        return mask

    def _as_gap(self, fact: str, entry: list[int]) -> tuple[tuple[Any, ...], Gap]:
        """(how decisive it is, the gap): alone before jointly, then by level, safety
        flags, flags, rules; the fact last, so no two keys are equal."""
        rules_bits, level, joint_level, adds_bits, removes_bits, joint_bits = entry
        joint = joint_level if joint_level > level else -1  # no more than alone
        adds = _named(adds_bits, self._flag_names)
        removes = _named(removes_bits, self._flag_names)
        joint_adds = _named(joint_bits & ~adds_bits, self._flag_names)
        rules = _named(rules_bits, self._rule_ids)
        alone = bool(level >= 0 or adds or removes)
        key = (
            not alone,
            -level,
            -len(SAFETY_FLAGS.intersection(adds)),
            -len(adds) - len(removes),
            -joint,
            -len(SAFETY_FLAGS.intersection(joint_adds)),
            -len(rules),
            fact,
        )
        gap = {
            "fact": fact,
            "alone": alone,
            "could_raise_level_to": _LEVEL_CODES[level] if level >= 0 else None,
            "could_add_flags": adds,
            "could_remove_flags": removes,
            "jointly_raise_level_to": _LEVEL_CODES[joint] if joint >= 0 else None,
            "jointly_add_flags": joint_adds,
            "rules": rules,
        }
        return key, trusted(Gap, gap)

    def _read_values(
        self, index: int, shown: dict[str, Any], now: FactContext, seen: dict[str, Any]
    ) -> dict[str, Any]:
        """The facts a rule reads, as the decision stands: what its stratum was
        ``shown``, with the facts about the decision as it ended (each read once per
        report)."""
        derived = self._derived_reads[index]
        if not derived:
            return shown  # not changed: `_answer_yes` tries answers on copies
        values = shown.copy()
        for name, spec in derived:
            value = seen.get(name, seen)
            if value is seen:
                value = seen[name] = spec.get(now)
            values[name] = value
        return values

    def _answer_yes(
        self,
        index: int,
        values: dict[str, Any],
        candidates: list[tuple[str, tuple[tuple[str, Any], ...]]],
        effect: tuple[bool, int, int],
        found: dict[str, list[int]],
    ) -> None:
        """What answering each unknown the rule reads would do to it, alone or only with
        other answers: ``effect`` is (the rule fired, the level it could raise to, the
        flags it would add or remove, as bits). Each question has an entry (see `_RULES`)."""
        fired_now, raises, changed = effect
        pred = self._predicates[index]
        rule = self._rule_bit[index]
        memo: dict[int, bool] = {}  # by identity: equal candidates are one object
        for name, flips in candidates:
            alone = memo.get(id(flips))
            if alone is None:
                trial = values.copy()
                trial.update(flips)  # answered yes, for this question only
                alone = memo[id(flips)] = pred(trial) != fired_now
            entry = found.get(name)
            if entry is None:
                entry = found[name] = [0, -1, -1, 0, 0, 0]
            entry[_RULES] |= rule
            if fired_now:
                if alone:
                    entry[_REMOVES] |= changed
            elif alone:
                if raises > entry[_LEVEL]:
                    entry[_LEVEL] = raises
                entry[_ADDS] |= changed
            else:
                if raises > entry[_JOINT_LEVEL]:
                    entry[_JOINT_LEVEL] = raises
                entry[_JOINT_ADDS] |= changed


@functools.cache
def _item_fact(iid: str, number: str) -> str:
    """The fact a gap asks about for an instrument's item: its indicator."""
    item = INSTRUMENTS[iid].item(number)
    return f"indicators.{item.indicator}" if item.indicator is not None else "children.count"


def _flips(iid: str, changed: dict[str, Any], count: tuple[Any, ...]) -> tuple[Any, ...]:
    """An instrument's facts that change with one more answer, in fact order."""
    base = f"instruments.{iid}."
    facts = [(base + k, v) for k, v in changed.items() if base + k in FACTS]
    return tuple(sorted([*facts, *count]))


# One unanswered question, as the gap search finds it (a list, built for every question
# of every report): the rules whose outcome depends on it; what answering yes could do
# by itself (raise the level to a rank, -1 for none; add flags; remove flags); and the
# level and flags it could reach only together with other answers. Rules and flags are
# bits of the evaluator's sorted names (`Evaluator._rule_bit`, `_flag_bit`).
_RULES, _LEVEL, _JOINT_LEVEL, _ADDS, _REMOVES, _JOINT_ADDS = range(6)


def _named(bits: int, names: tuple[str, ...]) -> tuple[str, ...]:
    """The names whose bits are set, in the order of ``names``."""
    out = []
    i = 0
    while bits:
        if bits & 1:
            out.append(names[i])
        bits >>= 1
        i += 1
    return tuple(out)
