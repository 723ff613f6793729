"""Instructions per decision, counted by valgrind, for source trees compared side by side.

    python benchmarks/instructions.py [--reports N] [--verify MODE] [--history H] TREE [TREE ...]

Each TREE is a checkout of the project (``.``, or a worktree of the commit to compare
with: ``git worktree add /tmp/before HEAD~1``). For each, two processes run under
valgrind's callgrind, each making N cohort reports and deciding 300 others to warm up;
one then decides the N reports it has not seen. The difference, divided by N, is what
one decision costs in executed instructions, start-up and warm-up excluded. With
``--history H`` each report comes with its case's H earlier reports and their decisions
(as JSON, as an intake system stores them); the warm-up is then 30 cases of its own.

Why count rather than time: on a shared virtual machine the same code ran ±30% apart
from one minute to the next, even on two cores at once, so a change worth 2% cannot be
told from noise by the clock. The count repeats: the same tree twice gave 3,011,378
and 3,011,386 instructions per decision (hashing seeded, the load-time check bounded by
facts rather than seconds, a fixed clock, bytecode compiled beforehand, and numpy's
thread pools kept to one thread, whose idle threads otherwise spun for about 1% more
or less from run to run). It counts work, not time: a change that trades instructions
for cache misses, or work in C for work in Python, needs the clock too (`make bench`).
Needs valgrind; about 50 times slower than running natively (500 reports: under 3
minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from triage._signals import exit_status, interrupts

WARM_UP = 300
_COLLECTED = re.compile(r"Collected : (\d+)")


def _decide(verify: str, n: int, decide: bool, history: int = 0) -> None:
    """The measured process: make ``n`` reports (each with ``history`` earlier ones),
    warm up, then decide them (``decide``) or not (the process whose count is taken
    away)."""
    import gc
    from datetime import UTC, datetime

    import triage
    from triage.risk import cohort
    from triage.rules._evaluate import LOAD_CHECK_FACTS, Evaluator

    # the load-time check compares a fixed number of facts, however slow valgrind is
    Evaluator.check_generated.__defaults__ = (LOAD_CHECK_FACTS, float("inf"))
    t = triage.Triage(verify=verify, clock=lambda: datetime(2026, 12, 3, 12, 0, tzinfo=UTC))
    if history:
        warm = cases(t, WARM_UP // 10, history, "W", seed=902)
        fresh = cases(t, n, history, "C", seed=401)
    else:
        warm = [(r, None) for r in cohort.generate(WARM_UP, seed=901).reports]
        fresh = [(r, None) for r in cohort.generate(n, seed=400).reports]
    for r, h in warm:
        t.assess(r, history=h)
    gc.collect()
    gc.freeze()
    for r, h in fresh if decide else ():
        t.assess(r, history=h)


def cases(t: Any, count: int, earlier: int, name: str, seed: int) -> list[tuple[Any, Any]]:
    """``count`` new reports, each with its case's ``earlier`` reports and the decisions
    they got, a day apart."""
    import json

    from triage.risk import cohort

    reports = cohort.generate(count * (earlier + 1), seed=seed).reports
    out = []
    for c in range(count):
        case = [
            dict(
                r,
                case_id=f"{name}{c}",
                id=f"{name}{c}-{k}",
                reported_at=f"2026-01-{1 + k:02d}T10:00:00+08:00",
            )
            for k, r in enumerate(reports[c * (earlier + 1) : (c + 1) * (earlier + 1)])
        ]
        decided = t.replay(case[:earlier])
        stored = [
            {"report": r, "decision": json.loads(d.to_json())}
            for r, d in zip(case[:earlier], decided, strict=True)
        ]
        out.append((case[earlier], stored))
    return out


def _count(tree: Path, verify: str, n: int, decide: bool, history: int) -> int:
    """Instructions executed by a process with ``tree``'s code (see `_decide`)."""
    env = {
        **os.environ,
        "PYTHONHASHSEED": "0",
        "PYTHONPATH": str(tree),
        "PYTHONDONTWRITEBYTECODE": "1",  # the cache as `_compiled` left it, for both
        "OPENBLAS_NUM_THREADS": "1",  # no idle threads spinning while counted
        "OMP_NUM_THREADS": "1",
    }
    cmd = [
        "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
        sys.executable, __file__, "--child", verify, str(n), str(int(decide)), str(history),
    ]  # fmt: skip
    with _LOCK:
        if _STOPPING.is_set():
            raise RuntimeError("stopped")
        child = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        _LIVE.append(child)
    _, err = child.communicate()
    found = _COLLECTED.search(err)
    if child.returncode != 0 or found is None:
        tail = "\n".join(err.splitlines()[-15:])
        raise RuntimeError(f"{tree}: the measured process failed\n{tail}")
    return int(found.group(1))


# Measured processes, all stopped (and no new one started) when this one stops early.
_LIVE: list[subprocess.Popen[str]] = []
_LOCK = threading.Lock()
_STOPPING = threading.Event()


def _stop_all() -> None:
    with _LOCK:
        _STOPPING.set()
        for child in _LIVE:
            if child.poll() is None:
                child.kill()
                child.wait()


def _compiled(tree: Path) -> None:
    """Bytecode for every module of ``tree``, written before anything is counted: a
    process that compiled what the other found compiled counted tens of millions of
    instructions more."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(tree / "triage")],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _commit(tree: Path) -> str:
    done = subprocess.run(
        ["git", "-C", str(tree), "describe", "--always", "--dirty"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return done.stdout.strip() or "-"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["--child"]:
        _decide(args[1], int(args[2]), args[3] == "1", int(args[4]))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("trees", nargs="+", type=Path)
    parser.add_argument("--reports", type=int, default=500)
    parser.add_argument("--verify", default="load")
    parser.add_argument("--history", type=int, default=0, help="earlier reports per case")
    opts = parser.parse_args(args)
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt install valgrind)", file=sys.stderr)
        return 2
    if opts.reports < 1:
        parser.error("--reports must be at least 1")
    if not 0 <= opts.history <= 30:  # a case's reports are dated a day apart in one month
        parser.error("--history must be from 0 to 30")
    trees = [tree.resolve() for tree in opts.trees]
    runs = [(tree, decide) for tree in trees for decide in (False, True)]
    for tree in trees:
        _compiled(tree)
    pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1)
    try:
        with interrupts():  # SIGTERM and SIGHUP stop the measured processes too
            counts = list(
                pool.map(
                    lambda run: _count(run[0], opts.verify, opts.reports, run[1], opts.history),
                    runs,
                )
            )
    except KeyboardInterrupt as exc:
        _stop_all()
        return exit_status(exc)
    except RuntimeError as exc:
        _stop_all()
        print(exc, file=sys.stderr)
        return 1
    finally:
        pool.shutdown(cancel_futures=True)  # after `_stop_all`: nothing left to wait for
    first = None
    cases = f", each with {opts.history} earlier" if opts.history else ""
    print(f"instructions per decision, verify={opts.verify}, {opts.reports} unseen reports{cases}")
    for k, tree in enumerate(opts.trees):
        per = (counts[2 * k + 1] - counts[2 * k]) / opts.reports
        first = first or per
        print(f"{per:>12,.0f}  {per / first:6.3f}  {_commit(tree):<20} {tree}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
