"""The HTTP service under load on loopback, beside `triage batch` on the same reports.

One server (`triage serve --workers N`, packaged policy and model, every decision checked
by durable-rules) answers 6,000 unseen reports sent by 32 concurrent keep-alive clients,
and stops by itself; then 2,000 more are sent at half the throughput it reached, for the
latency an intake system sees when the service is not saturated. `triage batch --jobs N`
decides the same 6,000 reports in the same run (process start-up included), for N = 1
and 2. Throughput, the ratio and the latencies are in extra_info; the load generator
shares the 2 cores.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx2 as httpx
import pytest

from triage.batch._run import run_batch
from triage.risk import cohort

COUNT, PACED, CONCURRENCY = 6_000, 2_000, 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _send(
    base: str, bodies: list[bytes], rate: float | None
) -> tuple[float, list[float], int]:
    """Send every body (at ``rate`` per second when given): (seconds, latencies, errors)."""
    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    start = time.perf_counter()
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:

        async def worker(k: int) -> None:
            nonlocal errors
            sent = 0
            while not queue.empty():
                body = queue.get_nowait()
                if rate is not None:  # each worker keeps its share of the pace
                    due = start + (sent * CONCURRENCY + k) / rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                sent += 1
                t = time.perf_counter()
                r = await client.post(
                    "/v1/assess", content=body, headers={"content-type": "application/json"}
                )
                latencies.append(time.perf_counter() - t)
                errors += r.status_code != 200

        await asyncio.gather(*(worker(k) for k in range(CONCURRENCY)))
    return time.perf_counter() - start, latencies, errors


@pytest.mark.benchmark(group="service")
@pytest.mark.parametrize("workers", [1, 2])
def test_service_beside_batch(benchmark: Any, tmp_path: Path, workers: int) -> None:
    reports = cohort.generate(COUNT + PACED, seed=909).reports
    bodies = [json.dumps(r).encode() for r in reports]
    archive = tmp_path / "reports.jsonl"
    archive.write_bytes(b"\n".join(bodies[:COUNT]) + b"\n")
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "triage", "serve", "--port", str(port), "--workers", str(workers)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ},
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/readyz", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                time.sleep(0.05)
        seconds, _, errors = asyncio.run(_send(base, bodies[:COUNT], None))
        rps = COUNT / seconds
        _, paced, paced_errors = asyncio.run(_send(base, bodies[COUNT:], rps / 2))
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=30) == 0
    assert errors == 0 and paced_errors == 0
    start = time.perf_counter()
    summary = run_batch(
        str(archive), str(tmp_path / "out.jsonl"), str(tmp_path / "e.jsonl"), jobs=workers
    )
    batch_rps = COUNT / (time.perf_counter() - start)
    assert summary.decided == COUNT
    paced.sort()
    benchmark.extra_info.update(
        workers=workers,
        service_reports_per_s=round(rps),
        batch_reports_per_s=round(batch_rps),
        ratio=round(rps / batch_rps, 2),
        half_rate_p50_ms=round(paced[len(paced) // 2] * 1e3, 2),
        half_rate_p99_ms=round(paced[int(len(paced) * 0.99)] * 1e3, 2),
    )
    benchmark.pedantic(lambda: None, rounds=1)
