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
from typing import Any, Protocol

from ._decision_log import log_record
from ._errors import EngineError, ReportError, TriageError
from ._io._json import parse_json
from ._parallel import PAUSE, Survivors, chunked, ordered_map
from .decision import Decision, Rejected

__all__ = ["Decider", "decide_chunk", "install", "results"]


class Decider(Protocol):
    """What decides reports here: `triage.Triage` (the pipeline, one layer up)."""

    def assess(self, report: Any, *, log: bool = ...) -> Decision: ...

    def worker_setup(self) -> tuple[Any, tuple[Any, ...]]:
        """The initializer (a module-level function) and its arguments that build the
        same decider in a worker process and `install` it there."""
        ...


CHUNK = 200


# (index, line, where, payload): payload is a dict, a Report, JSON text to parse, or a
# Rejected made before parsing (a line too long), which passes through in its place.
Item = tuple[int, int | None, str | None, Any]
# (line, Decision or its JSON as UTF-8 or Rejected, decision-log record or None,
#  (report id, status) of a decision or None)
Result = tuple[int | None, Any, dict[str, Any] | None, tuple[str, str] | None]


def _one(triage: Decider, item: Item) -> Decision | Rejected:
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


def decide_chunk(triage: Decider, items: list[Item], as_json: bool, records: bool) -> list[Result]:
    """Each item's result (a Decision or its JSON as UTF-8), log record (if asked) and
    report id."""
    out: list[Result] = []
    for item in items:
        result = _one(triage, item)
        if isinstance(result, Rejected):
            out.append((item[1], result, None, None))
        else:
            record = log_record(result) if records else None
            shown = result.to_json_bytes() if as_json else result
            out.append((item[1], shown, record, (result.report_id, result.status)))
    return out


# -- worker processes ----------------------------------------------------------------------------

# The decider of this worker process, set by the pipeline's worker initializer.
_WORKER: dict[str, Any] = {}


def install(decider: Decider) -> None:
    """Make ``decider`` the one this worker process decides chunks with."""
    _WORKER["decider"] = decider


def _work(job: tuple[list[Item], bool, bool]) -> list[Result]:
    out = decide_chunk(_WORKER["decider"], *job)
    _WORKER.setdefault("survivors", Survivors()).count(len(out))
    return out


def results(
    triage: Decider,
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
    if jobs <= 1:
        for item in items:
            if item is not PAUSE:
                yield from decide_chunk(triage, [item], as_json, records)
        return
    initializer, initargs = triage.worker_setup()
    parts = ordered_map(
        _work,
        (chunk if chunk is PAUSE else (chunk, as_json, records) for chunk in chunked(items, CHUNK)),
        jobs=jobs,
        initializer=initializer,
        initargs=initargs,
    )
    with contextlib.closing(parts):
        for part in parts:
            yield from part
