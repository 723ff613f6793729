"""Counts for Prometheus: decisions, rejections, latency; never anything a report says.

With several workers each counts its own requests; `state` and `merged` let a scrape
that reaches any one of them answer for all (see `_workers.Board`).
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

__all__ = ["Metrics"]

# seconds; a decision is about a millisecond, a batch or a slow client much more
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self, state: dict[str, Any] | None = None) -> None:
        """``state``: counts to go on from (a worker replacing one that died), so that
        no counter a scraper has seen ever goes back."""
        self._lock = threading.Lock()
        self._decisions: Counter[tuple[str, str, str]] = Counter()
        self._rejections: Counter[str] = Counter()
        self._requests: Counter[tuple[str, int]] = Counter()
        self._buckets = [0] * len(BUCKETS)
        self._count = 0
        self._sum = 0.0
        if state is not None:
            self._add(state)

    def decision(self, level: str, priority: str, status: str) -> None:
        with self._lock:
            self._decisions[(level, priority, status)] += 1

    def rejection(self, code: str) -> None:
        with self._lock:
            self._rejections[code] += 1

    def request(self, route: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(route, status)] += 1
            self._count += 1
            self._sum += seconds
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self._buckets[i] += 1

    def state(self) -> dict[str, Any]:
        """The counts as plain JSON values."""
        with self._lock:
            return {
                "decisions": [[*k, n] for k, n in self._decisions.items()],
                "rejections": [[k, n] for k, n in self._rejections.items()],
                "requests": [[*k, n] for k, n in self._requests.items()],
                "buckets": list(self._buckets),
                "count": self._count,
                "sum": self._sum,
            }

    def _add(self, state: dict[str, Any]) -> None:
        for level, priority, status, n in state["decisions"]:
            self._decisions[(level, priority, status)] += n
        for code, n in state["rejections"]:
            self._rejections[code] += n
        for route, status, n in state["requests"]:
            self._requests[(route, status)] += n
        self._buckets = [a + b for a, b in zip(self._buckets, state["buckets"], strict=True)]
        self._count += state["count"]
        self._sum += state["sum"]

    @classmethod
    def merged(cls, states: list[dict[str, Any]]) -> Metrics:
        """One set of counts from several workers'."""
        out = cls()
        for state in states:
            out._add(state)
        return out

    def render(self, policy_sha256: str) -> str:
        """The Prometheus text exposition format (version 0.0.4)."""
        with self._lock:
            lines = ["# TYPE triage_decisions_total counter"]
            for (level, priority, status), n in sorted(self._decisions.items()):
                lines.append(
                    f'triage_decisions_total{{level="{level}",priority="{priority}",'
                    f'status="{status}"}} {n}'
                )
            lines.append("# TYPE triage_rejections_total counter")
            lines += [f'triage_rejections_total{{code="{c}"}} {n}'
                      for c, n in sorted(self._rejections.items())]  # fmt: skip
            lines.append("# TYPE triage_http_requests_total counter")
            lines += [f'triage_http_requests_total{{route="{r}",status="{s}"}} {n}'
                      for (r, s), n in sorted(self._requests.items())]  # fmt: skip
            lines.append("# TYPE triage_request_seconds histogram")
            lines += [f'triage_request_seconds_bucket{{le="{b}"}} {n}'
                      for b, n in zip(BUCKETS, self._buckets, strict=True)]  # fmt: skip
            lines.append(f'triage_request_seconds_bucket{{le="+Inf"}} {self._count}')
            lines.append(f"triage_request_seconds_sum {self._sum:.6f}")
            lines.append(f"triage_request_seconds_count {self._count}")
        lines.append("# TYPE triage_policy_info gauge")
        lines.append(f'triage_policy_info{{sha256="{policy_sha256}"}} 1')
        return "\n".join(lines) + "\n"
