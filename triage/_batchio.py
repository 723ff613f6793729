"""`triage batch`: JSON Lines in, decisions and rejections out, every line accounted for."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from ._assess import Triage
from ._atomic import atomic_writer
from ._batch import Rejected, results
from ._errors import UsageError
from ._jsonio import MAX_REPORT_BYTES, iter_text_lines

__all__ = ["Summary", "run_batch"]


@dataclass
class Summary:
    lines: int = 0
    decided: int = 0
    escalated: int = 0
    rejected: int = 0
    blank: int = 0
    output: str = "<stdout>"
    errors: str = "<stderr>"

    def text(self) -> str:
        return (
            f"{self.lines} lines: {self.decided} decided ({self.escalated} engine_error, "
            f"for manual review), {self.rejected} rejected, {self.blank} blank; "
            f"decisions: {self.output}; rejections: {self.errors}"
        )


def _count_lines(path: Path) -> int | None:
    try:
        with path.open("rb") as fh:
            return sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
        return None


def _items(
    stream: IO[bytes], name: str, summary: Summary, rejected: list[Rejected]
) -> Iterator[tuple[int, str, Any]]:
    index = 0
    for number, line in iter_text_lines(stream, MAX_REPORT_BYTES):
        summary.lines += 1
        where = f"{name}:{number}"
        if line is None:
            rejected.append(
                Rejected(
                    index, where, "report-invalid", f"line longer than {MAX_REPORT_BYTES} bytes"
                )
            )
            index += 1
            continue
        if not line.strip():
            summary.blank += 1
            continue
        yield index, where, line
        index += 1


def _error_line(r: Rejected) -> str:
    record = r.as_dict()
    if r.where and ":" in r.where:
        record["line"] = int(r.where.rsplit(":", 1)[1])
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n"


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
) -> Summary:
    """Decide every line of ``input_path`` (``-`` for standard input); see `triage batch`."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    triage = Triage(
        policy,
        model=model,
        on_error=on_error,  # type: ignore[arg-type]
        decision_log=decision_log,
    )
    if input_path != "-" and not Path(input_path).is_file():
        raise UsageError(f"{input_path}: no such file")
    summary = Summary(output=output or "<stdout>", errors=errors_path or "<stderr>")
    early: list[Rejected] = []  # lines refused before parsing (too long)
    err = Console(stderr=True)
    with contextlib.ExitStack() as stack:
        stream: IO[bytes] = (
            sys.stdin.buffer
            if input_path == "-"
            else stack.enter_context(Path(input_path).open("rb"))
        )
        name = "<stdin>" if input_path == "-" else input_path
        out = stack.enter_context(atomic_writer(output)) if output else sys.stdout
        errs = stack.enter_context(atomic_writer(errors_path)) if errors_path else sys.stderr
        bar = None
        if err.is_terminal:
            total = _count_lines(Path(input_path)) if input_path != "-" else None
            bar = stack.enter_context(
                Progress(
                    "[progress.description]{task.description}",
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=err,
                    transient=True,
                )
            )
            task = bar.add_task("reports", total=total)
        items = _items(stream, name, summary, early)
        for result, record in results(triage, items, jobs=jobs, as_json=True):
            while early:  # keep rejections in input order
                summary.rejected += 1
                errs.write(_error_line(early.pop(0)))
            if isinstance(result, Rejected):
                summary.rejected += 1
                errs.write(_error_line(result))
            else:
                summary.decided += 1
                if record is not None and record["status"] == "engine_error":
                    summary.escalated += 1
                out.write(result + "\n")
                if record is not None and triage._log is not None:
                    triage._log.write(record)
            if bar is not None:
                bar.advance(task)
        for r in early:
            summary.rejected += 1
            errs.write(_error_line(r))
    return summary
