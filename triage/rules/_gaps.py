"""The information gaps of a decision: unanswered questions that could change it.

A rule that fires in one world and not the other (see `Evaluator.run`) depends on
something unanswered. For each such rule whose outcome matters to the decision
(it could raise the level, add a flag, or remove a flag the max world lacks), every
unknown fact it reads is answered yes, one at a time, and the rule is asked again:
a question that flips it by itself changes the decision alone; one that does not
could change it only together with other answers. A yes is tried with the broader
answers it settles, as `normalise` settles them. Rules that test a middle band of an
instrument fire in neither world, yet one yes can reach the band: they are tried too,
for what a single yes does. Questions are then ordered most decisive first.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

from .._kept import keep as remember
from .._trusted import trusted
from ..decision import Gap
from ..report import settled_by, settles
from ..risk import INSTRUMENTS
from ..vocab import LEVELS, SAFETY_FLAGS
from ._facts import FACTS, FactContext
from ._formula import literals
from ._ir import RuleDef
from ._policy import Policy

if TYPE_CHECKING:
    from ._evaluate import World

__all__ = ["GapSearch"]

_LEVEL_RANK = {c: i for i, c in enumerate(LEVELS.codes)}
_LEVEL_CODES = tuple(LEVELS.codes)
# A gap about a fact derived from an age asks for the age.
_AGE_FACTS = {"victim.minor": "victim.age", "victim.elderly": "victim.age"}

GAPS_KEPT = 8192  # information gaps kept per policy, to be given again
FLIPS_KEPT = 4096  # an instrument's changes had one more item been answered


class GapSearch:
    """The gap search of one policy: its tables are built once and reused for every
    report. ``predicates`` are the policy's generated rule predicates and ``formulas`` its
    rules' conditions, by rule index."""

    def __init__(
        self,
        policy: Policy,
        predicates: dict[int, Callable[[dict[str, Any]], bool]],
        formulas: dict[int, Any],
    ) -> None:
        self.policy = policy
        self._predicates = predicates
        rules = policy.rules
        # The facts about the decision a rule reads (the gap search reads them again)
        self._derived_reads = {
            r.index: tuple((n, FACTS[n]) for n in r.reads if FACTS[n].derived) for r in rules
        }
        self._gaps: dict[tuple[Any, ...], tuple[tuple[Any, ...], Gap]] = {}  # see `gaps`
        self._flips: dict[tuple[Any, ...], tuple[Any, ...]] = {}  # see `_instrument_candidates`
        self._bits(rules)
        self._candidate_tables(rules)
        self._banded = _banded(rules, self._derived_reads, formulas)
        # Instruments whose count of unanswered items some rule reads: answering any of
        # their items changes that count, so the gap search must count it down too.
        self.counted = frozenset(
            n.split(".")[1]
            for r in rules
            for n in r.reads
            if n.startswith("instruments.") and n.endswith(".unknown_count")
        )

    def _bits(self, rules: Sequence[RuleDef]) -> None:
        """Rules and flags as bits, and each rule's effect in them."""
        # A question's rules and flags are kept as bits (see `_RULES`): names in sorted
        # order, so that reading the bits upwards gives them sorted.
        self._flag_names = tuple(sorted({f for r in rules for f in r.then.flags}))
        self._flag_bit = {f: 1 << i for i, f in enumerate(self._flag_names)}
        self._rule_ids = tuple(sorted(r.id for r in rules))
        self._rule_bit = {r.index: 1 << self._rule_ids.index(r.id) for r in rules}
        # (level rank, flags as bits) of each rule; rank -1 never applies
        self._effects = {
            r.index: (
                _LEVEL_RANK[r.then.level] if r.then.level else -1,
                sum(self._flag_bit[f] for f in set(r.then.flags)),
            )
            for r in rules
        }

    def _candidate_tables(self, rules: Sequence[RuleDef]) -> None:
        """What an unanswered question can be, per fact a rule reads."""
        # The facts of a rule an unanswered question can hide behind: instruments, and
        # answers that raise risk (derived facts are never asked about).
        # Each as (fact, its instrument or None, whether it is an unanswered-item count).
        self._reads = {
            r.index: tuple(
                (n, n.split(".")[1] if n.startswith("instruments.") else None,
                 n.endswith(".unknown_count"))
                for n in sorted(r.reads)
                if not FACTS[n].derived and (n.startswith("instruments.") or FACTS[n].raises_risk)
            )
            for r in rules
        }  # fmt: skip
        # An unknown answer's one candidate (gap fact, the facts it answers yes): the same
        # every time, so built once (and never changed: `_candidates` only reads it). An
        # indicator's yes also settles the broader ones it implies (`normalise`).
        self._yes_candidates = {
            n: [_indicator_candidate(n) if n.startswith("indicators.") else
                (_AGE_FACTS.get(n, n), ((n, "yes"),))]
            for reads in self._reads.values()
            for n, iid, _ in reads
            if iid is None
        }  # fmt: skip
        # A broad indicator a rule reads can be settled yes by a specific one that is
        # unanswered, whether the rule reads that one or not: each such (code, candidate).
        self._settling = {
            n: tuple((code, _indicator_candidate(f"indicators.{code}")) for code in settling)
            for n in self._yes_candidates
            if n.startswith("indicators.") and (settling := settled_by(n.split(".", 1)[1]))
        }

    def gaps(self, actual: World, maxw: World, ctx: FactContext) -> tuple[Gap, ...]:
        """Every unanswered question that could change the decision, most decisive first."""
        return self._ordered(self._questions(actual, maxw, ctx))

    def _questions(self, actual: World, maxw: World, ctx: FactContext) -> dict[str, list[int]]:
        """Each question that could change the decision, with what answering it could do
        (see `_RULES`): the rules that fire in one world only, where firing or not would
        change the decision, each asked again with its unknowns answered yes."""
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
        fired, maxfired = set(actual.fired), set(maxw.fired)
        flags_now = self._flag_mask(actual.flags)
        lost = flags_now & ~self._flag_mask(maxw.flags)  # flags the max world does not reach
        level_rank = _LEVEL_RANK[actual.level]
        strata = self.policy.strata
        effects = self._effects
        for index in sorted(fired ^ maxfired):
            rank, flags = effects[index]
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
        self._in_between(actual, maxfired, level_rank, flags_now, ctx, cache, found)
        return found

    def _in_between(
        self,
        actual: World,
        maxfired: set[int],
        level_rank: int,
        flags_now: int,
        ctx: FactContext,
        cache: dict[str, Any],
        found: dict[str, list[int]],
    ) -> None:
        """Rules that fire in neither world but test a band of an instrument (the DA's
        "increased"): one yes can reach the band though every yes overshoots it. Each
        unknown such a rule reads is answered yes alone, and where that fires the rule,
        the question could do what the rule does by itself. Rules reading the decision so
        far are left out: the answer could change that too, and a trial could not say."""
        strata = self.policy.strata
        instruments = ctx.instruments
        for index, iids in self._banded:
            if index in maxfired or index in actual.fired:
                continue
            if all(instruments[i].score == instruments[i].score_max for i in iids):
                continue  # no answer moves its instruments (most reports, most bands)
            rank, flags = self._effects[index]
            raises = rank if rank > level_rank else -1
            adds = flags & ~flags_now
            if raises < 0 and not adds:
                continue
            shown = actual.values[strata[index]]  # no derived reads: as its stratum saw
            candidates = self._candidates(index, ctx, shown, cache)
            self._answer_yes(index, shown, candidates, (False, raises, adds), found, False)

    def _ordered(self, found: dict[str, list[int]]) -> tuple[Gap, ...]:
        """The gaps of the questions ``found``, most decisive first (see `_as_gap`)."""
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

    def _candidates(
        self, index: int, ctx: FactContext, values: dict[str, Any], cache: dict[str, Any]
    ) -> list[tuple[str, tuple[tuple[str, Any], ...]]]:
        """(gap fact, fact values had it been answered yes) for each unknown the rule reads,
        as its stratum was shown it (``values``, the actual world); ``cache`` keeps what a
        fact gives across the rules of one report."""
        out: list[tuple[str, tuple[tuple[str, Any], ...]]] = []
        for name, iid, counts in self._reads[index]:
            found = cache.get(name)
            if found is None:
                if iid is not None:
                    both = cache.get(iid)
                    if both is None:
                        both = cache[iid] = self._instrument_candidates(iid, ctx.instruments[iid])
                    raising, count_only = both
                    # the count goes down with every answer, not only the raising ones
                    found = raising + count_only if counts else raising
                else:
                    found = self._answer_candidates(name, values[name], ctx)
                cache[name] = found
            out.extend(found)
        return out

    def _answer_candidates(self, name: str, value: Any, ctx: FactContext) -> list[Any]:
        """The candidates of a fact answered ``value``: itself where unknown, and any
        unanswered indicator whose yes would settle it yes, where it is not yes already
        (even over a no: `triage.report.widened`)."""
        found = self._yes_candidates[name] if value == "unknown" else []
        settling = self._settling.get(name)
        if settling is None or value == "yes":
            return found
        answers = ctx.answers
        more = [candidate for code, candidate in settling if answers[code] == "unknown"]
        return found + more if more else found

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
            after = count  # this item's own: the next item starts from the instrument's
            settled = _settled_items(iid, number)
            if settled and changed is not None:  # its yes answers other items too
                changed, after = _with_settled(
                    iid, result, number, settled, changed, options, counted=bool(count)
                )
            if changed is None:
                if count:
                    count_only.append((_item_fact(iid, number), count))
                continue
            # The same changes recur across reports (a score, its level): one object each
            key = (iid, *changed.items(), *after)
            flips = kept.get(key)
            if flips is None:
                flips = remember(kept, key, _flips(iid, changed, after), FLIPS_KEPT)
            raising.append((_item_fact(iid, number), flips))
        return raising, count_only

    def _count_after_answer(self, iid: str, result: Any) -> tuple[tuple[str, Any], ...]:
        """The instrument's unanswered-item count once one more item is answered, where a
        rule reads it (empty otherwise)."""
        if iid not in self.counted:
            return ()
        return ((f"instruments.{iid}.unknown_count", len(result.unknown) - 1),)

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
        jointly: bool = True,
    ) -> None:
        """What answering each unknown the rule reads would do to it, alone or only with
        other answers: ``effect`` is (the rule fired, the level it could raise to, the
        flags it would add or remove, as bits). Each question has an entry (see `_RULES`).
        Without ``jointly`` (a rule the max world does not fire either), only what a
        question does alone is known, and only such questions are entered."""
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
            if not (alone or jointly):
                continue
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
def _indicator_candidate(fact: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """An indicator's gap candidate: it, and the broader indicators its yes settles (one
    object per indicator, so that a rule tries it once; see `_answer_yes`)."""
    code = fact.split(".", 1)[1]
    settled = (f"indicators.{broad}" for broad in settles(code))
    return fact, tuple(sorted((name, "yes") for name in (fact, *settled)))


def _banded(
    rules: Sequence[RuleDef], derived_reads: dict[int, Any], formulas: dict[int, Any]
) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """Rules that test a band of an instrument and not the decision so far (see
    `GapSearch._in_between`), in rule order, with the instruments each reads."""
    return tuple(
        (r.index, tuple(sorted({n.split(".")[1] for n in r.reads if n.startswith("instruments.")})))
        for r in rules
        if not derived_reads[r.index] and _tests_a_band(formulas[r.index])
    )


def _tests_a_band(formula: Any) -> bool:
    """Whether a condition tests an instrument's score, level or count for values that
    leave out the top of the range (the count's top is 0, every item answered): then one
    yes can satisfy it where the answers as given and every yes do not."""
    for vs in literals(formula):
        spec = FACTS[vs.fact]
        if not vs.fact.startswith("instruments.") or spec.kind == "bool":
            continue
        top: Any
        if vs.fact.endswith(".unknown_count"):
            top = spec.lo
        elif spec.values:
            top = spec.values[-1]
        else:
            top = spec.hi
        if not vs.contains(top):
            return True
    return False


@functools.cache
def _settled_items(iid: str, number: str) -> tuple[str, ...]:
    """The instrument's other items whose indicator a yes to item ``number`` settles
    (DASH q11, the abuser hurt the children, settles q21, the abuser hurt others)."""
    instrument = INSTRUMENTS[iid]
    indicator = instrument.item(number).indicator
    if indicator is None:
        return ()
    settled = settles(indicator)
    return tuple(it.number for it in instrument.items if it.indicator in settled)


def _with_settled(
    iid: str,
    result: Any,
    number: str,
    settled: tuple[str, ...],
    changed: dict[str, Any],
    options: Any,
    *,
    counted: bool,
) -> tuple[dict[str, Any], tuple[tuple[str, Any], ...]]:
    """What a yes to item ``number`` changes when it also answers the items it settles
    yes (``changed`` counted that item alone): the instrument scored again with all of
    them yes, and its unanswered-item count where a rule reads it (``counted``)."""
    instrument = INSTRUMENTS[iid]
    answers = dict(zip(instrument.numbers, instrument.answers_of(result), strict=True))
    answers.update(dict.fromkeys((number, *settled), "yes"))
    again = instrument.evaluate(tuple(answers.values()), applies=result.applies, **options)
    wider = {k: getattr(again, k) for k in changed}
    count = ((f"instruments.{iid}.unknown_count", len(again.unknown)),) if counted else ()
    return wider, count


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
# bits of the sorted names (`GapSearch._rule_bit`, `_flag_bit`).
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
