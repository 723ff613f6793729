"""Comparing two policies on the same reports: what would move, and on which reports.

Reports come from case fixtures, a JSON Lines file, JSON report files, or a
directory of any of these. Both policies decide each report; the differences
are counted (a from/to matrix of levels and of priorities, flags gained and
lost, lead changes, tasks added, removed or due earlier or later) with up to
``examples`` report ids for each. Worker processes each build both policies
once; the result does not depend on how the work was split.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
from collections import Counter
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from .._errors import FixtureError, Problem, ReportError, UsageError
from .._io._json import MAX_REPORT_BYTES, iter_text_lines, parse_json, read_bounded
from .._parallel import chunked, ordered_map
from .._pipeline import Prepared, Triage
from ..case import CaseReplay
from ..decision import Rejected
from ..rules._policy import Policy
from ..vocab import LEVELS, PRIORITIES
from ._fixtures import load_fixture

__all__ = ["DiffResult", "diff_policies", "iter_reports"]

CHUNK = 500


@dataclass
class DiffResult:
    """Everything that moved between the old and the new policy."""

    reports: int = 0
    changed: int = 0
    invalid: int = 0
    invalid_where: list[str] = field(default_factory=list)
    invalid_codes: Counter[str] = field(default_factory=Counter)
    # This chunk's invalid reports, each with its reason; handed to the caller in
    # input order, never merged into the total (an archive may be all invalid).
    rejected: list[Rejected] = field(default_factory=list)
    levels: Counter[tuple[str, str]] = field(default_factory=Counter)
    priorities: Counter[tuple[str, str]] = field(default_factory=Counter)
    flags_gained: Counter[str] = field(default_factory=Counter)
    flags_lost: Counter[str] = field(default_factory=Counter)
    leads: Counter[tuple[str, str]] = field(default_factory=Counter)
    deadlines: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    examples: dict[str, list[str]] = field(default_factory=dict)
    limit: int = 5
    old: dict[str, str] = field(default_factory=dict)  # id, version, sha256 of each policy
    new: dict[str, str] = field(default_factory=dict)

    def _example(self, key: str, report_id: str) -> None:
        ids = self.examples.setdefault(key, [])
        if len(ids) < self.limit:
            ids.append(report_id)

    def merge(self, other: DiffResult) -> None:
        self.reports += other.reports
        self.changed += other.changed
        self.invalid += other.invalid
        self.invalid_where.extend(
            other.invalid_where[: max(0, self.limit - len(self.invalid_where))]
        )
        names = ("levels", "priorities", "flags_gained", "flags_lost", "leads", "deadlines")
        for name in (*names, "invalid_codes"):
            getattr(self, name).update(getattr(other, name))
        for key, ids in other.examples.items():
            mine = self.examples.setdefault(key, [])
            mine.extend(ids[: max(0, self.limit - len(mine))])

    def as_dict(self) -> dict[str, Any]:
        def matrix(counter: Counter[tuple[str, str]], order: tuple[str, ...]) -> dict[str, Any]:
            return {a: {b: counter.get((a, b), 0) for b in order} for a in order}

        def ex(key: str) -> list[str]:
            return self.examples.get(key, [])

        return {
            "old": self.old,
            "new": self.new,
            "reports": self.reports,
            "changed": self.changed,
            "invalid": self.invalid,
            "invalid_where": self.invalid_where,
            "invalid_by_code": [
                {"code": c, "count": n, "examples": ex(f"invalid:{c}")}
                for c, n in sorted(self.invalid_codes.items())
            ],
            "levels": matrix(self.levels, LEVELS.codes),
            "level_changes": [
                {"from": a, "to": b, "count": n, "examples": ex(f"level:{a}>{b}")}
                for (a, b), n in sorted(self.levels.items())
                if a != b
            ],
            "priorities": matrix(self.priorities, PRIORITIES.codes),
            "priority_changes": [
                {"from": a, "to": b, "count": n, "examples": ex(f"priority:{a}>{b}")}
                for (a, b), n in sorted(self.priorities.items())
                if a != b
            ],
            "flags": [
                {
                    "flag": f,
                    "gained": self.flags_gained.get(f, 0),
                    "lost": self.flags_lost.get(f, 0),
                    "gained_examples": ex(f"flag+:{f}"),
                    "lost_examples": ex(f"flag-:{f}"),
                }
                for f in sorted(set(self.flags_gained) | set(self.flags_lost))
            ],
            "leads": [
                {"from": a, "to": b, "count": n, "examples": ex(f"lead:{a}>{b}")}
                for (a, b), n in sorted(self.leads.items())
            ],
            "deadlines": [
                {
                    "department": d,
                    "action": a,
                    "change": c,
                    "count": n,
                    "examples": ex(f"task:{d}/{a}:{c}"),
                }
                for (d, a, c), n in sorted(self.deadlines.items())
            ],
        }


def _compare(old: Any, new: Any, out: DiffResult) -> None:
    rid = new.report_id
    changed = False
    out.levels[(old.risk_level, new.risk_level)] += 1
    out.priorities[(old.priority, new.priority)] += 1
    if old.risk_level != new.risk_level:
        changed = True
        out._example(f"level:{old.risk_level}>{new.risk_level}", rid)
    if old.priority != new.priority:
        changed = True
        out._example(f"priority:{old.priority}>{new.priority}", rid)
    for flag in sorted(set(new.flags) - set(old.flags)):
        changed = True
        out.flags_gained[flag] += 1
        out._example(f"flag+:{flag}", rid)
    for flag in sorted(set(old.flags) - set(new.flags)):
        changed = True
        out.flags_lost[flag] += 1
        out._example(f"flag-:{flag}", rid)
    # Equal plan keys mean equal routing: no plan needs building to know nothing moved.
    if old.plan_key is None or old.plan_key != new.plan_key:
        changed = _compare_routing(old, new, out) or changed
    out.reports += 1
    out.changed += changed


def _compare_routing(old: Any, new: Any, out: DiffResult) -> bool:
    rid = new.report_id
    changed = False
    if old.routing.lead != new.routing.lead:
        changed = True
        out.leads[(old.routing.lead, new.routing.lead)] += 1
        out._example(f"lead:{old.routing.lead}>{new.routing.lead}", rid)
    before = {(t.department, t.action): t.due.astimezone(UTC) for t in old.routing.tasks}
    after = {(t.department, t.action): t.due.astimezone(UTC) for t in new.routing.tasks}
    for key in sorted(set(before) | set(after)):
        if key not in after:
            kind = "removed"
        elif key not in before:
            kind = "added"
        elif after[key] < before[key]:
            kind = "earlier"
        elif after[key] > before[key]:
            kind = "later"
        else:
            continue
        changed = True
        out.deadlines[(key[0], key[1], kind)] += 1
        out._example(f"task:{key[0]}/{key[1]}:{kind}", rid)
    return changed


# -- reading reports ------------------------------------------------------------------------------

# (where, report): a report dict or Report, its JSON text still to parse, or a ReportError
Item = tuple[str, Any]


def iter_reports(path: str | Path) -> Iterator[Item]:
    """Reports from fixtures, a JSON Lines file, JSON files, or a directory of them."""
    p = Path(path)
    if p.is_dir():
        for child in sorted(p.iterdir()):
            if child.is_file() and child.suffix in (".yaml", ".yml", ".json", ".jsonl"):
                yield from iter_reports(child)
        return
    if not p.exists():
        raise UsageError(f"{p}: no such file or directory")
    if p.suffix == ".jsonl":
        with p.open("rb") as fh:
            for number, line in iter_text_lines(fh):
                where = f"{p}:{number}"
                if line is None:
                    too_long = Problem(
                        where,
                        "too-large",
                        f"该行超过 {MAX_REPORT_BYTES} 字节",
                        f"line longer than {MAX_REPORT_BYTES} bytes",
                    )
                    yield where, ReportError("the report was refused", (too_long,))
                    continue
                if not line.strip():
                    continue
                yield where, line  # parsed by whichever process decides it
        return
    if p.suffix in (".yaml", ".yml"):
        try:
            yield str(p), load_fixture(p).report
        except FixtureError as exc:
            yield str(p), ReportError("invalid fixture", exc.problems)
        return
    try:
        data = parse_json(read_bounded(p), str(p))
    except ReportError as exc:
        yield str(p), exc
        return
    if isinstance(data, dict) and "report" in data and "expect" in data:
        try:
            yield str(p), load_fixture(p).report
        except FixtureError as exc:
            yield str(p), ReportError("invalid fixture", exc.problems)
        return
    yield str(p), data


# -- evaluating ---------------------------------------------------------------------------------

_WORKER: dict[str, Any] = {}


def _init(
    old: bytes | None,
    new: bytes | None,
    by_case: bool = False,
    verify: str = "always",
    engine: str = "compiled",
) -> None:
    _WORKER["old"] = Triage(old, verify=verify, engine=engine)
    _WORKER["new"] = Triage(new, verify=verify, engine=engine)
    # Case by case, each policy replays the cases with the decisions it gave: a case's
    # history under the candidate is the candidate's own.
    _WORKER["cases"] = (CaseReplay(_WORKER["old"]), CaseReplay(_WORKER["new"])) if by_case else None


@dataclass(frozen=True)
class _Decided:
    """A whole decision as the comparison reads it (no plan key: routing is compared)."""

    report_id: str
    risk_level: str
    priority: str
    flags: tuple[str, ...]
    routing: Any
    plan_key: None = None


def _decided(decision: Any) -> _Decided:
    return _Decided(
        decision.report_id, decision.risk_level, decision.priority, decision.flags,
        decision.routing,
    )  # fmt: skip


def _chunk(items: list[Item], limit: int) -> DiffResult:
    old, new = _WORKER["old"], _WORKER["new"]
    cases = _WORKER.get("cases")
    out = DiffResult(limit=limit)
    for where, report in items:
        try:
            if isinstance(report, ReportError):
                raise report
            if isinstance(report, (bytes, str)):
                report = parse_json(report, where)
            if cases is not None:
                a = _decided(cases[0].assess(report, log=False))
                b = _decided(cases[1].assess(report, log=False))
            else:
                # validated and scored once for both; each policy checks its own sources
                sources = dict.fromkeys((*old.policy.sources, *new.policy.sources))
                prepared = Prepared(report, explain=False, sources=tuple(sources))
                a, b = old.outcome(prepared), new.outcome(prepared)
        except ReportError as exc:
            _invalid(out, where, exc)
            continue
        _compare(a, b, out)
    return out


def _invalid(out: DiffResult, where: str, exc: ReportError) -> None:
    out.invalid += 1
    if len(out.invalid_where) < out.limit:
        out.invalid_where.append(where)
    out.invalid_codes[exc.code] += 1
    out._example(f"invalid:{exc.code}", where)
    line = int(where.rsplit(":", 1)[1]) if where.rsplit(":", 1)[-1].isdigit() else None
    index = out.reports + out.invalid - 1
    out.rejected.append(Rejected(index, where, exc.code, exc.message, exc.problems, line))


def _policy_bytes(source: Any) -> bytes | None:
    if source is None:
        return None
    if isinstance(source, Policy):
        raise UsageError("pass policy files (paths or bytes) so worker processes can load them")
    if isinstance(source, bytes):
        return source
    return Path(source).read_bytes()


def diff_policies(
    old: str | Path | bytes | None,
    new: str | Path | bytes | None,
    reports: Iterator[Item],
    *,
    jobs: int | None = None,
    examples: int = 5,
    progress: Callable[[int], None] | None = None,
    rejected: Callable[[Rejected], None] | None = None,
    by_case: bool = False,
    verify: str = "always",
    engine: str = "compiled",
) -> DiffResult:
    """Decide every report under both policies and count what moved.

    ``jobs`` worker processes (default: the CPU count; 1 runs in this process).
    ``progress`` is called with the number of reports done after each chunk, and
    ``rejected`` with each invalid report's record (its reason), in input order.
    ``by_case``: each report is decided with its case's earlier ones (in input order,
    which must be time order), as `triage batch --cases` does; in one process.
    ``verify``: how durable-rules checks both policies' compiled rules (`Triage`); a
    disagreement stops the comparison with `EngineError`. ``engine="durable"``: both
    policies decided by durable-rules alone, as `Triage` can (the benchmarks' baseline).
    """
    old_bytes, new_bytes = _policy_bytes(old), _policy_bytes(new)
    if by_case and (jobs or 1) > 1:
        raise UsageError("--by-case replays each case in order, in one process: use --jobs 1")
    # Validate both before starting workers, so a bad file fails once, here.
    _init(old_bytes, new_bytes, by_case, verify, engine)
    jobs = 1 if by_case else jobs or os.cpu_count() or 1
    total = DiffResult(limit=examples)
    for name in ("old", "new"):
        policy = _WORKER[name].policy
        setattr(total, name, {"id": policy.id, "version": policy.version, "sha256": policy.sha256})
    if jobs <= 1:
        parts: Generator[DiffResult, None, None] = (
            _chunk(batch, examples) for batch in chunked(reports, CHUNK)
        )
    else:
        # A bounded window of chunks in flight, so an archive is never held in memory.
        parts = ordered_map(
            _star,
            ((batch, examples) for batch in chunked(reports, CHUNK)),
            jobs=jobs,
            initializer=_init,
            initargs=(old_bytes, new_bytes, False, verify, engine),
        )
    with contextlib.closing(parts):
        for part in parts:
            for record in part.rejected:
                # Indexes count within a chunk; make them count within the whole input.
                record = dataclasses.replace(
                    record, index=record.index + total.reports + total.invalid
                )
                if rejected is not None:
                    rejected(record)
            total.merge(part)
            if progress is not None:
                progress(part.reports + part.invalid)
    return total


def _star(args: tuple[list[Item], int]) -> DiffResult:
    return _chunk(*args)


def dumps(result: DiffResult) -> str:
    return json.dumps(result.as_dict(), ensure_ascii=False, indent=2)
