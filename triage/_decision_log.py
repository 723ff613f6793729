"""An audit trail of decisions, in the manner of OPA's decision logs.

One JSON line per decision: which report (its id and ``reported_at``), when, under
which policy (id, version, sha256) and model (sha256), with what result (level,
priority, flags, lead) and which rules fired. Never the report's contents.

A file log is opened for appending on every write and each record is written by
one ``write`` call under an exclusive lock (``flock`` where the platform has it),
so threads and worker processes can share one file without interleaving lines.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import DecisionLogError

if TYPE_CHECKING:
    from .decision import Decision

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = ["DecisionLog", "log_record"]

Sink = Callable[[dict[str, Any]], None]


def log_record(decision: Decision) -> dict[str, Any]:
    """What the log keeps of a decision: identifiers and results, no report content."""
    routing = decision.routing
    return {
        "report_id": decision.report_id,
        "reported_at": decision.reported_at.isoformat(),
        "decided_at": decision.decided_at.isoformat(),
        "library_version": decision.library_version,
        "policy": {
            "id": decision.policy.id,
            "version": decision.policy.version,
            "sha256": decision.policy.sha256,
        },
        "model": decision.model.sha256 if decision.model is not None else None,
        "status": decision.status,
        "risk_level": decision.risk_level,
        "risk_level_max": decision.risk_level_max,
        "priority": decision.priority,
        "flags": list(decision.flags),
        "lead": routing.lead if routing is not None else None,
        "rules": [entry.rule for entry in decision.trace],
        **(
            {"case_id": decision.case.case_id, "history": list(decision.case.earlier_reports)}
            if decision.case is not None
            else {}
        ),
    }


class DecisionLog:
    """Appends decision records to a file, or hands them to a callable."""

    def __init__(self, target: str | Path | Sink) -> None:
        self._lock = threading.Lock()
        if callable(target):
            self._sink: Sink | None = target
            self._path: Path | None = None
        else:
            self._sink = None
            self._path = Path(target)
            try:  # fail when the log is set up, not at the first decision
                os.close(os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600))
            except OSError as exc:
                raise DecisionLogError(
                    f"the decision log cannot be opened ({exc.strerror})"
                ) from None

    @property
    def path(self) -> Path | None:
        return self._path

    def write(self, record: dict[str, Any]) -> None:
        if self._sink is not None:
            with self._lock:
                self._sink(record)
            return
        assert self._path is not None
        line = (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
        with self._lock:
            try:
                fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            except OSError as exc:
                raise DecisionLogError(
                    f"the decision log cannot be opened ({exc.strerror})"
                ) from None
            try:
                if fcntl is not None:
                    fcntl.flock(fd, fcntl.LOCK_EX)
                written = os.write(fd, line)
                if written != len(line):
                    raise DecisionLogError("the decision log was written only in part")
            except OSError as exc:
                raise DecisionLogError(
                    f"the decision log cannot be written ({exc.strerror})"
                ) from None
            finally:
                os.close(fd)  # closing releases the lock
