"""`triage batch` on a Dask cluster, for archives too large for one machine.

    python examples/dask_batch.py IN.jsonl OUT_DIR [--workers 2] [--policy FILE]

The same guarantees as ``triage batch``: every line is accounted for (a decision,
or a rejection with its line number and the fields at fault, never their values),
order is kept (``OUT_DIR/decisions-00000.jsonl``, ``-00001``, … in input order),
and each part file appears whole or not at all.

How it runs: the file is split into blocks of lines (one Dask partition each).
A first, cheap pass counts each block's lines so that rejections carry the line
number of the whole file. Then one task per block decides its lines. Each worker
process builds its `triage.Triage` (policy engine and model) once, in a worker
plugin, and reuses it for every block it is given. The example starts a local
cluster; point ``Client`` at a scheduler address to use a real one.

Needs the ``dask`` extra: ``pip install 'triage[dask]'``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import cloudpickle
import dask
import dask.bag as db
from distributed import Client, LocalCluster, WorkerPlugin, get_worker

import triage
from triage import Rejected


class TriagePlugin(WorkerPlugin):  # type: ignore[misc]
    """Builds one Triage per worker process, from the policy's bytes."""

    name = "triage"

    def __init__(self, policy: bytes | None, model: str | None) -> None:
        self.policy = policy
        self.model = model
        self.triage: triage.Triage | None = None

    def setup(self, worker: Any) -> None:
        self.triage = triage.Triage(self.policy, model=self.model, on_error="escalate")


def _count(lines: list[str]) -> int:
    return len(lines)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def decide_block(lines: list[str], first_line: int, part: int, out_dir: str) -> dict[str, int]:
    """Decide one block; write its decisions and rejections; return its counts."""
    plugin: TriagePlugin = get_worker().plugins["triage"]
    assert plugin.triage is not None
    numbered = [(first_line + i, text) for i, text in enumerate(lines) if text.strip()]
    decisions, rejections = [], []
    for (number, _), result in zip(
        numbered, plugin.triage.assess_many(t for _, t in numbered), strict=True
    ):
        if isinstance(result, Rejected):
            rejections.append(json.dumps({**result.as_dict(), "line": number}, ensure_ascii=False))
        else:
            # As `triage batch` writes it: the decision with its input line first.
            decisions.append(f'{{"line":{number},{result.to_json()[1:]}')
    out = Path(out_dir)
    _atomic_write(out / f"decisions-{part:05d}.jsonl", "".join(d + "\n" for d in decisions))
    _atomic_write(out / f"rejected-{part:05d}.jsonl", "".join(r + "\n" for r in rejections))
    return {
        "lines": len(lines),
        "decided": len(decisions),
        "rejected": len(rejections),
        "blank": len(lines) - len(numbered),
    }


def run(
    path: str,
    out_dir: str,
    client: Client,
    policy: str | None = None,
    model: str | None = "default",
    blocksize: str = "16MiB",
) -> dict[str, int]:
    """Decide every line of ``path`` on the cluster behind ``client``."""
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    if __name__ != "__main__":  # imported: send this script's functions to workers by value
        cloudpickle.register_pickle_by_value(sys.modules[__name__])
    policy_bytes = Path(policy).read_bytes() if policy else None
    client.register_plugin(TriagePlugin(policy_bytes, model))
    blocks = (
        db.read_text(path, blocksize=blocksize)
        .map_partitions(lambda part: [line.rstrip("\n") for line in part])
        .to_delayed()
    )
    counts = dask.compute(*[dask.delayed(_count)(b) for b in blocks])
    firsts = [1 + before for before in (0, *itertools.accumulate(counts))][: len(counts)]
    tasks = [
        dask.delayed(decide_block)(b, first, i, out_dir)
        for i, (b, first) in enumerate(zip(blocks, firsts, strict=True))
    ]
    totals = {"lines": 0, "decided": 0, "rejected": 0, "blank": 0}
    for part in dask.compute(*tasks):
        for key in totals:
            totals[key] += part[key]
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("input")
    parser.add_argument("out_dir")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--policy", default=None)
    parser.add_argument("--blocksize", default="16MiB")
    args = parser.parse_args()
    with (
        LocalCluster(
            n_workers=args.workers, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        totals = run(args.input, args.out_dir, client, args.policy, blocksize=args.blocksize)
    print(
        f"{totals['lines']} lines: {totals['decided']} decided, {totals['rejected']} "
        f"rejected, {totals['blank']} blank; parts in {args.out_dir}"
    )


if __name__ == "__main__":
    main()
