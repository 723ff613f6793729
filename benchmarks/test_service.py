"""The HTTP service under load on loopback, beside `triage batch` on the same reports.

One server (`triage serve --workers N`, packaged policy and model, every decision checked
by durable-rules) answers 6,000 unseen reports sent on 32 concurrent keep-alive connections,
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
import re
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

from .conftest import cpu_ticks, steal_share

COUNT, PACED, CONCURRENCY = 6_000, 2_000, 32


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _send(
    port: int, bodies: list[bytes], rate: float | None
) -> tuple[float, list[float], int]:
    """Send every body (at ``rate`` per second when given) on CONCURRENCY keep-alive
    connections: (seconds, latencies, errors). Plain HTTP/1.1 on asyncio streams: an
    HTTP client library spent as much of the 2 cores as the server did (httpx: 340
    requests/s where this reaches 645, on the same server), and so measured itself."""
    latencies: list[float] = []
    errors = 0
    pending = list(reversed(bodies))
    start = time.perf_counter()

    async def worker(k: int) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        sent = 0
        try:
            while pending:
                body = pending.pop()
                if rate is not None:  # each connection keeps its share of the pace
                    due = start + (sent * CONCURRENCY + k) / rate
                    await asyncio.sleep(max(0.0, due - time.perf_counter()))
                sent += 1
                t = time.perf_counter()
                writer.write(_HEAD % len(body) + body)
                head = await reader.readuntil(b"\r\n\r\n")
                await reader.readexactly(_length(head))
                latencies.append(time.perf_counter() - t)
                errors += not head.startswith(b"HTTP/1.1 200 ")
        finally:
            writer.close()

    await asyncio.gather(*(worker(k) for k in range(CONCURRENCY)))
    return time.perf_counter() - start, latencies, errors


_HEAD = (
    b"POST /v1/assess HTTP/1.1\r\nhost: 127.0.0.1\r\n"
    b"content-type: application/json\r\ncontent-length: %d\r\n\r\n"
)


def _length(head: bytes) -> int:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise AssertionError("an answer without content-length")


def _served_within(base: str) -> dict[str, float]:
    """The service's own request-duration histogram: requests within each bound."""
    text = httpx.get(f"{base}/metrics", timeout=10).text
    return {
        m.group(1): float(m.group(2))
        for m in re.finditer(r'triage_request_seconds_bucket\{le="([^"]+)"\} (\S+)', text)
    }


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
        seconds, _, errors = asyncio.run(_send(port, bodies[:COUNT], None))
        rps = COUNT / seconds
        before, ticks = _served_within(base), cpu_ticks()
        _, paced, paced_errors = asyncio.run(_send(port, bodies[COUNT:], rps / 2))
        after, steal = _served_within(base), steal_share(ticks, cpu_ticks())
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
        # the server's own view (from reading a request to its answer): no queue, no client
        half_rate_served_within_10ms=round(
            (after["0.01"] - before["0.01"]) / (after["+Inf"] - before["+Inf"]), 4
        ),
        # the client's tail follows the CPU the hypervisor takes away while it is measured
        cpu_steal_pct=steal,
    )
    benchmark.pedantic(lambda: None, rounds=1)
