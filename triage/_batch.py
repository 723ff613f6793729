"""Many reports in, one result per report out, in order: a decision or a `Rejected` record.

Inputs may be report dicts, `Report` objects, or JSON text (a line of a JSON
Lines file), so that parsing happens in whichever process decides. With
``jobs > 1`` chunks go to spawned worker processes, each building its own
policy engine and model once; at most a few chunks are in flight, so memory
stays bounded however long the input.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterable
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
        line: the 1-based input line, when the input has lines.
    """

    index: int
    where: str | None
    code: str
    message: str
    problems: tuple[Problem, ...] = field(default=())
    line: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "record": "rejected",
            "line": self.line,
            "index": self.index,
            "where": self.where,
            "code": self.code,
            "message": self.message,
            "problems": [p.as_dict() for p in self.problems],
        }


# (index, line, where, payload): payload is a dict, a Report, JSON text to parse, or a
# Rejected made before parsing (a line too long), which passes through in its place.
Item = tuple[int, int | None, str | None, Any]
# (line, Decision or its JSON or Rejected, decision-log record or None,
#  (report id, status) of a decision or None)
Result = tuple[int | None, Any, dict[str, Any] | None, tuple[str, str] | None]


def _one(triage: Triage, item: Item) -> Decision | Rejected:
    index, line, where, payload = item
    if isinstance(payload, Rejected):
        return payload
    try:
        if isinstance(payload, (bytes, str)):
            payload = parse_json(payload, where or f"<report {index}>")
        return triage.assess(payload, log=False)
    except (ReportError, EngineError) as exc:
        return Rejected(index, where, exc.code, exc.message, exc.problems, line)
    except TriageError as exc:  # a model or usage failure is not the report's fault: stop
        raise exc


def decide_chunk(triage: Triage, items: list[Item], as_json: bool, records: bool) -> list[Result]:
    """Each item's result (a Decision or its JSON line), log record (if asked) and report id."""
    from ._decision_log import log_record

    out: list[Result] = []
    for item in items:
        result = _one(triage, item)
        if isinstance(result, Rejected):
            out.append((item[1], result, None, None))
        else:
            record = log_record(result) if records else None
            shown = result.to_json() if as_json else result
            out.append((item[1], shown, record, (result.report_id, result.status)))
    return out


# -- worker processes ----------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init(policy: bytes, model: Any, model_sha256: str | None, on_error: str) -> None:
    from ._assess import Triage

    if isinstance(model, tuple):  # ("bytes", data): a RiskModel given as an object
        from .risk.model import loads

        model = loads(model[1], sha256=model_sha256)
    _WORKER["triage"] = Triage(policy, model=model, model_sha256=model_sha256, on_error=on_error)  # type: ignore[arg-type]


def _work(job: tuple[list[Item], bool, bool]) -> list[Result]:
    return decide_chunk(_WORKER["triage"], *job)


def results(
    triage: Triage,
    items: Iterable[Item],
    *,
    jobs: int = 1,
    as_json: bool = False,
    records: bool = True,
) -> Generator[Result, None, None]:
    """One `Result` per item, in input order; `PAUSE` items only pace the workers.

    With one job each item is decided as soon as it is read, so a caller writing
    results through a pipe answers line by line. With more, chunks go to worker
    processes and at most a few are in flight; a `PAUSE` (the input has nothing
    more for now) hands over what was read and waits for its results.
    """
    from ._parallel import PAUSE, chunked, ordered_map

    if jobs <= 1:
        for item in items:
            if item is not PAUSE:
                yield from decide_chunk(triage, [item], as_json, records)
        return
    spec = triage.worker_spec()
    parts = ordered_map(
        _work,
        (chunk if chunk is PAUSE else (chunk, as_json, records) for chunk in chunked(items, CHUNK)),
        jobs=jobs,
        initializer=_init,
        initargs=spec,
    )
    with contextlib.closing(parts):
        for part in parts:
            yield from part
