"""What the instruments share: items as data, answer handling, weighted scoring."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, ClassVar, Literal, TypeVar

from .._errors import Problem, UsageError
from .._lang import DEFAULT_LANG, pick
from .._suggest import suggest
from .._trusted import trusted
from ..vocab import INDICATORS
from ._results import InstrumentResult, ProvenanceStatus

R = TypeVar("R", bound=InstrumentResult)

__all__ = ["Instrument", "Item", "Tri", "WeightedInstrument", "normalise_answer"]

Tri = Literal["yes", "no", "unknown"]

_ANSWERS: dict[object, Tri] = {
    "yes": "yes",
    "no": "no",
    "unknown": "unknown",
    True: "yes",
    False: "no",
    None: "unknown",
}


def normalise_answer(value: object) -> Tri:
    """``yes``/``no``/``unknown``, also from True/False/None."""
    try:
        answer = _ANSWERS.get(value) if isinstance(value, str | bool) or value is None else None
    except TypeError:
        answer = None
    if answer is None:
        raise UsageError(
            "an answer must be yes, no, unknown, true, false or null",
            (
                Problem(
                    "answers",
                    "wrong-type",
                    "回答只能是 是、否 或 不详",
                    "an answer must be yes, no or unknown",
                ),
            ),
        )
    return answer


@dataclass(frozen=True, slots=True)
class Item:
    """One published item.

    Attributes:
        number: the published item number (``"3a"``).
        weight: points a yes answer adds (negative for a protective item).
        label_zh, label_en: short paraphrases, never the instrument's wording.
        indicator: the indicator the item reads, or None when it reads ``field``.
        field: a structured report field key, e.g. ``children.more_than_one``.
        inverted: the item is yes when the indicator is no.
        provenance: how well the item's wording and weight are confirmed.
    """

    number: str
    weight: int
    label_zh: str
    label_en: str
    indicator: str | None = None
    field: str | None = None
    inverted: bool = False
    provenance: ProvenanceStatus = "secondary"

    def __post_init__(self) -> None:
        if (self.indicator is None) == (self.field is None):
            raise ValueError(f"item {self.number} needs exactly one of indicator and field")
        if self.indicator is not None and self.indicator not in INDICATORS:
            raise ValueError(f"item {self.number} reads unknown indicator {self.indicator}")

    @property
    def source(self) -> str:
        """The indicator code or field key the item reads."""
        return self.indicator if self.indicator is not None else str(self.field)

    def label(self, lang: str = DEFAULT_LANG) -> str:
        return pick(self.label_zh, self.label_en, lang)

    @property
    def raising_answer(self) -> Tri:
        """The answer that cannot lower the score."""
        return "yes" if self.weight >= 0 else "no"


_INVERT: dict[str, Tri] = {"yes": "no", "no": "yes", "unknown": "unknown"}


def no_options(instrument: str, options: Mapping[str, Any]) -> None:
    """Refuse options an instrument does not take, as a `UsageError`."""
    if options:
        raise UsageError(f"{instrument} takes no options {sorted(options)}")


class Instrument:
    """A published instrument. Subclasses define items as data and ``_evaluate``."""

    id: ClassVar[str]
    name_zh: ClassVar[str]
    name_en: ClassVar[str]
    version: ClassVar[str]
    items: ClassVar[tuple[Item, ...]]
    levels: ClassVar[tuple[str, ...]]
    provenance: ClassVar[dict[str, ProvenanceStatus]]
    sources: ClassVar[tuple[str, ...]]
    caveats: ClassVar[tuple[str, ...]] = ()
    intimate_partner_only: ClassVar[bool] = True

    def __init__(self) -> None:
        self._by_number = {item.number: i for i, item in enumerate(self.items)}
        self._by_source: dict[str, list[int]] = {}
        for i, item in enumerate(self.items):
            self._by_source.setdefault(item.source, []).append(i)
        self._numbers = tuple(item.number for item in self.items)
        self._item_weights = tuple(item.weight for item in self.items)
        # Heaviest first, then in published order: how unanswered items are listed.
        self._raise_order = tuple(
            sorted(range(len(self.items)), key=lambda i: (-self.items[i].weight, i))
        )
        # Fast path: read every indicator item at once, then patch the few special ones.
        self._get = itemgetter(*(item.indicator or INDICATORS.codes[0] for item in self.items))
        self._special = tuple(
            (i, item.field, item.inverted)
            for i, item in enumerate(self.items)
            if item.field is not None or item.inverted
        )

    def __repr__(self) -> str:
        return f"<instrument {self.id} {self.version}: {len(self.items)} items>"

    def name(self, lang: str = DEFAULT_LANG) -> str:
        return pick(self.name_zh, self.name_en, lang)

    def item(self, number: str | int) -> Item:
        return self.items[self._by_number[str(number)]]

    # -- answers -------------------------------------------------------------------

    def item_answers(
        self, indicators: Mapping[str, str], fields: Mapping[str, str] | None = None
    ) -> tuple[Tri, ...]:
        """Per-item answers, in item order, from indicator answers and report fields.

        ``indicators`` must hold every indicator code (see ``triage._normalise``).
        """
        answers: Any = self._get(indicators)
        if not self._special:
            return answers  # type: ignore[no-any-return]
        out = list(answers)
        for i, field, _inverted in self._special:
            if field is not None:
                out[i] = fields.get(field, "unknown") if fields is not None else "unknown"
            else:
                out[i] = _INVERT[out[i]]
        return tuple(out)

    def _resolve(self, answers: Mapping[Any, object]) -> tuple[Tri, ...]:
        resolved: list[Tri | None] = [None] * len(self.items)
        problems: list[Problem] = []
        known = [*self._by_number, *self._by_source]
        for key, raw in answers.items():
            skey = str(key)
            value = normalise_answer(raw)
            if skey in self._by_number:
                targets = [(self._by_number[skey], value)]
            elif skey in self._by_source:
                targets = [
                    (i, _INVERT[value] if self.items[i].inverted else value)
                    for i in self._by_source[skey]
                ]
            else:
                problems.append(
                    Problem(
                        f"answers.{skey}",
                        "unknown-item",
                        f"不是 {self.name_zh} 的题号或指标",
                        f"not an item number or indicator of {self.id}",
                        suggestion=suggest(skey, known),
                    )
                )
                continue
            for index, answer in targets:
                if resolved[index] is not None and resolved[index] != answer:
                    problems.append(
                        Problem(
                            f"answers.{skey}",
                            "conflicting-answers",
                            f"第 {self.items[index].number} 题有两个不同的回答",
                            f"item {self.items[index].number} is answered twice, differently",
                        )
                    )
                resolved[index] = answer
        if problems:
            raise UsageError(f"invalid answers for {self.id}", tuple(problems))
        return tuple("unknown" if a is None else a for a in resolved)

    def score(self, answers: Mapping[Any, object], **options: Any) -> InstrumentResult:
        """Score answers keyed by published item number or indicator code.

        Values are yes/no/unknown (or True/False/None); anything not given is unknown.
        """
        return self.evaluate(self._resolve(answers), **options)

    def evaluate(
        self, item_answers: tuple[Tri, ...], applies: bool = True, **options: Any
    ) -> InstrumentResult:
        """Score per-item answers given in item order (the fast path)."""
        if len(item_answers) != len(self.items):
            raise UsageError(f"{self.id} needs {len(self.items)} answers")
        return self._evaluate(item_answers, applies, **options)

    def _evaluate(
        self, item_answers: tuple[Tri, ...], applies: bool, **options: Any
    ) -> InstrumentResult:
        raise NotImplementedError

    def if_yes(self, result: Any, number: str, **options: Any) -> dict[str, Any] | None:
        """The result fields that would change were unanswered item ``number`` answered
        yes (all else as in ``result``), or None when a yes raises nothing — it may
        lower the score: DA 3a, whose risk-raising answer is no (``score_max`` counts it
        so). Answered either way, the item leaves the unanswered count; the gap search
        counts that down itself where a rule reads it. The gap search asks this instead
        of scoring the instrument itself."""
        raise NotImplementedError

    def each_if_yes(self, result: Any, **options: Any) -> list[tuple[str, dict[str, Any] | None]]:
        """`if_yes` for each unanswered item of ``result``, in item order."""
        return [(number, self.if_yes(result, number, **options)) for number in result.unknown]

    @property
    def numbers(self) -> tuple[str, ...]:
        """The published item numbers, in item order."""
        return self._numbers

    def answers_of(self, result: Any) -> tuple[Tri, ...]:
        """Per-item answers, in item order, as ``result`` records them."""
        yes, no = set(result.yes), set(result.no)
        return tuple("yes" if n in yes else "no" if n in no else "unknown" for n in self._numbers)

    def _result(
        self,
        result_type: type[R],
        item_answers: tuple[Tri, ...],
        version: str,
        applies: bool,
        score: int,
        score_max: int,
        level: str,
        level_max: str,
        could: tuple[str, ...],
        **extra: Any,
    ) -> R:
        """The result, built from validated answers without validating it again."""
        yes, no, unknown = self._partition(item_answers)
        return trusted(
            result_type,
            {
                "instrument": self.id,  # every field in order: nothing for trusted to fill
                "version": version,
                "applies": applies,
                "score": score,
                "score_max": score_max,
                "level": level,
                "level_max": level_max,
                "yes": yes,
                "no": no,
                "unknown": unknown,
                "could_change_level": could,
                "provenance": self.provenance,
                "caveats": self.caveats,
                **extra,
            },
        )

    def _partition(self, item_answers: tuple[Tri, ...]) -> tuple[tuple[str, ...], ...]:
        # One pass: `map("yes".__eq__, ...)` calls a method wrapper per item, four times
        # slower than comparing in the loop.
        yes: list[str] = []
        no: list[str] = []
        unknown: list[str] = []
        for number, answer in zip(self._numbers, item_answers, strict=True):
            if answer == "yes":
                yes.append(number)
            elif answer == "no":
                no.append(number)
            elif answer == "unknown":
                unknown.append(number)
        return tuple(yes), tuple(no), tuple(unknown)


class WeightedInstrument(Instrument):
    """A weighted sum of yes answers read against ascending cut-offs.

    ``cutoffs`` holds ``(minimum score, level)`` pairs in ascending order; the
    first pair's minimum is ignored (it is the level of any lower score).
    """

    cutoffs: ClassVar[tuple[tuple[int, str], ...]]
    result_type: ClassVar[type[InstrumentResult]]

    def _evaluate(
        self, item_answers: tuple[Tri, ...], applies: bool, **options: Any
    ) -> InstrumentResult:
        no_options(self.id, options)
        score, score_max, raising = self._sums(item_answers)
        level = self.level_of(score)
        level_max = self.level_of(score_max)
        could = (
            self._could_change(score, level, raising, item_answers) if level != level_max else ()
        )
        return self._result(
            self.result_type, item_answers, self.version, applies, score, score_max,
            level, level_max, could, **self._extra(level, level_max),
        )  # fmt: skip

    def _extra(self, level: str, level_max: str) -> dict[str, Any]:
        """Fields an instrument's result adds to the common ones (a hook)."""
        return {}

    def if_yes(self, result: Any, number: str, **options: Any) -> dict[str, Any] | None:
        return self._if_yes(result, self._weights(self.answers_of(result)), number)

    def each_if_yes(self, result: Any, **options: Any) -> list[tuple[str, dict[str, Any] | None]]:
        weights = self._weights(self.answers_of(result))  # the same for every item
        return [(number, self._if_yes(result, weights, number)) for number in result.unknown]

    def _if_yes(self, result: Any, weights: tuple[int, ...], number: str) -> dict[str, Any] | None:
        weight = weights[self._by_number[number]]
        if weight <= 0:
            return None
        score = result.score + weight
        level = self.level_of(score)
        return {"score": score, "level": level, **self._extra(level, level)}

    def level_of(self, score: int) -> str:
        level = self.cutoffs[0][1]
        for minimum, name in self.cutoffs[1:]:
            if score < minimum:
                break
            level = name
        return level

    def _next_cutoff(self, score: int) -> int | None:
        for minimum, _ in self.cutoffs[1:]:
            if score < minimum:
                return minimum
        return None

    def _weights(self, item_answers: tuple[Tri, ...]) -> tuple[int, ...]:
        """Effective weight of each item (a hook for instruments whose items interact)."""
        return self._item_weights

    def _sums(self, item_answers: tuple[Tri, ...]) -> tuple[int, int, list[int]]:
        weights = self._weights(item_answers)
        score = 0
        raising_unknown = []
        for i, answer in enumerate(item_answers):
            if answer == "yes":
                score += weights[i]
            elif answer == "unknown" and weights[i] > 0:
                raising_unknown.append(i)
        score_max = score + sum(weights[i] for i in raising_unknown)
        return score, score_max, raising_unknown

    def _could_change(
        self, score: int, level: str, raising_unknown: list[int], item_answers: tuple[Tri, ...]
    ) -> tuple[str, ...]:
        """Unanswered risk-raising items, those that move the level on their own first."""
        step = self._next_cutoff(score)
        if step is None or not raising_unknown:
            return ()
        weights = self._weights(item_answers)
        gap = step - score
        pending = set(raising_unknown)
        order = [i for i in self._raise_order if i in pending]
        alone = [self._numbers[i] for i in order if weights[i] >= gap]
        rest = [self._numbers[i] for i in order if weights[i] < gap]
        return (*alone, *rest)
