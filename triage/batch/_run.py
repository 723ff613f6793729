"""`triage batch`: JSON Lines in, decisions and rejections out, every line accounted for.

Each output record carries its input line number. Decisions go to the output,
rejections (and warnings, such as a report id seen twice) to the errors stream,
both in input order. When an output is standard output, a pipe or a device,
every record is flushed as soon as it is decided, so a program can drive the
command line by line; a regular file is written under a temporary name and
renamed at the end. The decision log, when there is one, gets a record when the
run starts and when it ends (completed, interrupted or failed), and each
decision's record names the run and the line.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from .._decision_log import DecisionLog
from .._errors import UsageError
from .._io._json import MAX_REPORT_BYTES, LineReader
from .._io._output import Target, binary_of, check_distinct, open_output
from .._many import Decider, results
from .._parallel import PAUSE, Survivors, freeze_long_lived
from .._pipeline import Triage
from .._signals import Terminated
from .._version import __version__
from ..case import CaseReplay
from ..decision import Rejected
from ..explanation._tables import progress_bar
from ..rules._evaluate import describe_verify

__all__ = ["Summary", "decision_line", "record_line", "run_batch"]


@dataclass
class Summary:
    lines: int = 0
    decided: int = 0
    escalated: int = 0
    rejected: int = 0
    blank: int = 0
    duplicates: int = 0
    run: str = ""
    output: str = "<stdout>"
    errors: str = "<stderr>"
    verify: str = "always"

    def text(self) -> str:
        return (
            f"{self.lines} lines: {self.decided} decided ({self.escalated} engine_error, "
            f"for manual review), {self.rejected} rejected, {self.blank} blank, "
            f"{self.duplicates} repeated report ids; "
            f"decisions: {self.output}; rejections: {self.errors}; run {self.run}; "
            f"{describe_verify(self.verify)}"
        )


def _count_lines(path: Path) -> int | None:
    try:
        with path.open("rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return None


def _items(reader: LineReader, name: str, summary: Summary) -> Iterator[Any]:
    """(index, line, where, payload) per non-blank line; PAUSE when the input has no more yet."""
    index = 0
    for number, line in reader:
        summary.lines += 1
        where = f"{name}:{number}"
        if line is None:
            too_long = f"line longer than {MAX_REPORT_BYTES} bytes"
            yield (
                index,
                number,
                where,
                Rejected(index, where, "report-invalid", too_long, line=number),
            )
            index += 1
        elif not line.strip():
            summary.blank += 1
        else:
            yield index, number, where, line
            index += 1
        if not reader.ready():
            yield PAUSE


def record_line(record: dict[str, Any]) -> str:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


def decision_line(line: int | None, decision_json: bytes) -> bytes:
    # The decision's own JSON with its input line first: `{"line":7,"report_id":...}`.
    number = b"null" if line is None else str(line).encode("ascii")
    return b"".join((b'{"line":', number, b",", decision_json[1:], b"\n"))


class _Repeats:
    """Report ids seen in this run, kept as 8-byte digests (about 100 bytes an id)."""

    def __init__(self) -> None:
        self._first: dict[bytes, int | None] = {}

    def first_line(self, report_id: str, line: int | None) -> int | bool | None:
        """The line where the id was first seen, or False the first time."""
        key = hashlib.blake2b(report_id.encode(), digest_size=8).digest()
        if key in self._first:
            return self._first[key]
        self._first[key] = line
        return False


def _repeat_warning(line: int | None, index: int, where: str, first: int | None) -> str:
    return record_line(
        {
            "record": "warning",
            "line": line,
            "index": index,
            "where": where,
            "code": "duplicate-id",
            "message": f"the same report id as line {first}; both were decided",
            "first_line": first,
        }
    )


class _Sink:
    """A binary output stream that is flushed after each record when a reader may be
    waiting. Decisions come as UTF-8 already and are written as they are."""

    def __init__(self, fh: IO[bytes], streamed: bool) -> None:
        self.fh, self.streamed = fh, streamed

    def write(self, data: bytes | str) -> None:
        self.fh.write(data.encode("utf-8") if isinstance(data, str) else data)
        if self.streamed:
            self.fh.flush()


def _open(stack: contextlib.ExitStack, target: Target | None, default: IO[str]) -> _Sink:
    if target is None:
        return _Sink(binary_of(default), True)
    return _Sink(stack.enter_context(open_output(target, binary=True)), target.streamed)


WARM_UP = 200  # decisions after which what the run keeps (policy, engine, tables) is built


def _now() -> str:
    return datetime.now(UTC).isoformat()


def run_batch(
    input_path: str,
    output: str | None,
    errors_path: str | None,
    *,
    jobs: int = 1,
    policy: str | None = None,
    model: Any = "default",
    on_error: str = "escalate",
    decision_log: str | None = None,
    cases: bool = False,
    verify: str = "always",
) -> Summary:
    """Decide every line of ``input_path`` (``-`` for standard input); see `triage batch`.

    ``cases``: replay the archive case by case (`triage.case.CaseReplay`), in one process.
    """
    if input_path != "-" and not Path(input_path).is_file():
        raise UsageError(f"{input_path}: no such file")
    if cases and jobs > 1:
        raise UsageError("--cases replays each case in order, in one process: use --jobs 1")
    targets = check_distinct(
        {"--output": output, "--errors": errors_path, "--decision-log": decision_log},
        {"the input": input_path},
    )
    triage = Triage(
        policy,
        model=model,
        on_error=on_error,  # type: ignore[arg-type]
        decision_log=decision_log,
        verify=verify,
    )
    summary = Summary(
        verify=triage.verify,
        output="<stdout>" if output in (None, "-") else str(output),
        errors={None: "<stderr>", "-": "<stdout>"}.get(errors_path, str(errors_path)),
        run=uuid.uuid4().hex,
    )
    log = triage._log
    if log is not None:
        log.write({"event": "run_started", "run": summary.run, "at": _now(), **_ids(triage)})
    status, signal_name = "failed", None
    try:
        decider = CaseReplay(triage) if cases else triage
        _run(decider, log, input_path, targets, summary, jobs)
        status = "completed"
    except KeyboardInterrupt as exc:
        status = "interrupted"
        signal_name = str(exc) if isinstance(exc, Terminated) else "SIGINT"
        raise
    finally:
        if log is not None:
            with contextlib.suppress(Exception):  # the run's own error matters more
                log.write(_end_record(summary, status, signal_name, targets))
    return summary


def _ids(triage: Triage) -> dict[str, Any]:
    policy = triage.policy
    return {
        "library_version": __version__,
        "policy": {"id": policy.id, "version": policy.version, "sha256": policy.sha256},
        "verify": triage.verify,
    }


def _end_record(
    summary: Summary, status: str, signal_name: str | None, targets: dict[str, Target]
) -> dict[str, Any]:
    out = targets.get("--output")
    if out is not None and not out.streamed:
        kept = "kept" if status == "completed" else "discarded"
    else:
        kept = "streamed"
    return {
        "event": "run_ended",
        "run": summary.run,
        "at": _now(),
        "status": status,
        "signal": signal_name,
        "lines": summary.lines,
        "decided": summary.decided,
        "rejected": summary.rejected,
        "output": kept,
    }


def _run(
    decider: Decider,
    log: DecisionLog | None,
    input_path: str,
    targets: dict[str, Target],
    summary: Summary,
    jobs: int,
) -> None:
    from rich.console import Console

    err = Console(stderr=True)
    repeats = _Repeats()
    with contextlib.ExitStack() as stack:
        stream: IO[bytes] = (
            sys.stdin.buffer
            if input_path == "-"
            else stack.enter_context(Path(input_path).open("rb"))
        )
        name = "<stdin>" if input_path == "-" else input_path
        out = _open(stack, targets.get("--output"), sys.stdout)
        errs = _open(stack, targets.get("--errors"), sys.stderr)
        bar = None
        if err.is_terminal:
            total = _count_lines(Path(input_path)) if input_path != "-" else None
            bar = stack.enter_context(progress_bar(err, transient=True))
            task = bar.add_task("reports", total=total)
        items = _items(LineReader(stream, MAX_REPORT_BYTES), name, summary)
        decided = stack.enter_context(
            contextlib.closing(
                results(decider, items, jobs=jobs, as_json=True, records=log is not None)
            )
        )
        index = -1
        survivors = Survivors()
        for line, result, record, meta in decided:
            index += 1
            if index == WARM_UP:
                freeze_long_lived()
            survivors.count()
            if isinstance(result, Rejected):
                summary.rejected += 1
                errs.write(record_line(result.as_dict()))
            else:
                summary.decided += 1
                assert meta is not None  # every decision has one
                report_id, status = meta
                if status == "engine_error":
                    summary.escalated += 1
                out.write(decision_line(line, result))
                if record is not None and log is not None:
                    log.write({**record, "run": summary.run, "line": line})
                first = repeats.first_line(report_id, line)
                if first is not False:
                    summary.duplicates += 1
                    errs.write(_repeat_warning(line, index, f"{name}:{line}", first))
            if bar is not None:
                bar.advance(task)
