"""The examples in examples/ run and give the library's own results."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from typing import Any

import pytest

import triage

from .conftest import EXAMPLES
from .strategies import random_reports


def _load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_dask_batch_matches_serial_decisions(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    example = _load("dask_batch")
    reports = random_reports(400, seed=12)
    lines = [json.dumps(r) for r in reports]
    lines.insert(150, "")
    lines.insert(230, '{"id": "bad"}')
    src = tmp_path / "in.jsonl"
    src.write_text("\n".join(lines) + "\n", "utf-8")
    out = tmp_path / "out"
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        totals = example.run(str(src), str(out), client, blocksize="40KiB")
    assert totals == {"lines": 402, "decided": 400, "rejected": 1, "blank": 1}
    parts = sorted(out.glob("decisions-*.jsonl"))
    assert len(parts) > 2  # several blocks, so order across blocks is tested
    got = [json.loads(x) for p in parts for x in p.read_text("utf-8").splitlines()]
    serial = triage.Triage()
    numbers = [i for i, text in enumerate(lines, start=1) if text not in ("", '{"id": "bad"}')]
    for report, decision, number in zip(reports, got, numbers, strict=True):
        expected = json.loads(serial.assess(report).to_json())
        expected.pop("decided_at")
        decision.pop("decided_at")
        assert decision.pop("line") == number
        assert decision == expected
    (rejected,) = [
        json.loads(x)
        for p in sorted(out.glob("rejected-*.jsonl"))
        for x in p.read_text("utf-8").splitlines()
    ]
    assert rejected["line"] == 231
