"""Many reports in, one result per report out, in order: a decision or a `Rejected` record.

Inputs may be report dicts, `Report` objects, or JSON text (a line of a JSON
Lines file), so that parsing happens in whichever process decides. With
``jobs > 1`` chunks go to spawned worker processes, each building its own
policy engine and model once; at most a few chunks are in flight, so memory
stays bounded however long the input.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._errors import EngineError, Problem, ReportError, TriageError
from ._jsonio import parse_json

if TYPE_CHECKING:
    from ._assess import Triage
    from ._decision import Decision

__all__ = ["Rejected", "decide_chunk", "results"]

CHUNK = 200


@dataclass(frozen=True)
class Rejected:
    """A report that got no decision: where it was and why, never what it said.

    Attributes:
        index: 0-based position in the input.
        where: the input's own location for it (``file:line``), when it has one.
        code: the error's stable code (``report-invalid``, ``engine-failure``, …).
        message: what went wrong, without values.
        problems: each field at fault, located.
    """

    index: int
    where: str | None
    code: str
    message: str
    problems: tuple[Problem, ...] = field(default=())

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "where": self.where,
            "code": self.code,
            "message": self.message,
            "problems": [p.as_dict() for p in self.problems],
        }


# (index, where, payload): payload is a dict, a Report, or JSON text to parse.
Item = tuple[int, str | None, Any]


def _one(triage: Triage, item: Item) -> Decision | Rejected:
    index, where, payload = item
    try:
        if isinstance(payload, (bytes, str)):
            payload = parse_json(payload, where or f"<report {index}>")
        return triage.assess(payload, log=False)
    except (ReportError, EngineError) as exc:
        return Rejected(index, where, exc.code, exc.message, exc.problems)
    except TriageError as exc:  # a model or usage failure is not the report's fault: stop
        raise exc


def decide_chunk(
    triage: Triage, items: list[Item], as_json: bool
) -> list[tuple[Any, dict[str, Any] | None]]:
    """Each item's result (a Decision, or its JSON line) and its decision-log record."""
    from ._decision_log import log_record

    out: list[tuple[Any, dict[str, Any] | None]] = []
    for item in items:
        result = _one(triage, item)
        if isinstance(result, Rejected):
            out.append((result, None))
        else:
            record = log_record(result)
            out.append((result.to_json() if as_json else result, record))
    return out


# -- worker processes ----------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init(policy: bytes, model: Any, model_sha256: str | None, on_error: str) -> None:
    from ._assess import Triage

    if isinstance(model, tuple):  # ("bytes", data): a RiskModel given as an object
        from .risk.model import loads

        model = loads(model[1], sha256=model_sha256)
    _WORKER["triage"] = Triage(policy, model=model, model_sha256=model_sha256, on_error=on_error)  # type: ignore[arg-type]


def _work(job: tuple[list[Item], bool]) -> list[tuple[Any, dict[str, Any] | None]]:
    return decide_chunk(_WORKER["triage"], *job)


def results(
    triage: Triage, items: Iterable[Item], *, jobs: int = 1, as_json: bool = False
) -> Iterator[tuple[Any, dict[str, Any] | None]]:
    """(Decision or JSON line or Rejected, log record or None) per item, in input order."""
    from ._parallel import chunked, ordered_map

    if jobs <= 1:
        for chunk in chunked(items, CHUNK):
            yield from decide_chunk(triage, chunk, as_json)
        return
    spec = triage.worker_spec()
    for part in ordered_map(
        _work,
        ((chunk, as_json) for chunk in chunked(items, CHUNK)),
        jobs=jobs,
        initializer=_init,
        initargs=spec,
    ):
        yield from part
