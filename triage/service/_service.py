"""What the server holds: one pipeline, what it loaded and when, and its counts."""

from __future__ import annotations

import base64
import contextlib
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._errors import TriageError
from .._parallel import Survivors, freeze_long_lived
from .._pipeline import Triage
from ..decision import Decision
from ._metrics import Metrics
from ._tokens import Tokens

__all__ = ["Service", "Settings"]


# Made up, with answers of each kind, so the instruments, the model, both worlds and
# the gap search all run; a generated report would import the cohort and numpy.
WARM_UP: dict[str, Any] = {
    "id": "warm-up",
    "reported_at": "2026-01-01T21:00:00+08:00",
    "source": "school",
    "case_type": "domestic_violence",
    "abuser": {"relationship": "spouse"},
    "indicators": {
        "physical_violence": "yes",
        "threat_to_kill": "unknown",
        "strangulation": "no",
        "separation": "yes",
        "cohabited": "yes",
        "victim_very_frightened": "unknown",
    },
}


@dataclass(frozen=True)
class Settings:
    policy: str | Path | None = None  # None: the packaged default policy
    model: str | Path | None = "default"  # "default", a model file, or None for none
    model_sha256: str | None = None
    tokens: Tokens | None = None  # None: no authentication (loopback or --insecure)
    max_body: int = 1 << 20
    max_batch_body: int = 64 << 20  # POST /v1/assess/batch: many reports
    read_timeout: float = 30.0  # seconds for a request body to arrive
    on_error: str = "escalate"
    decision_log: str | Path | None = None
    cors_origins: tuple[str, ...] = ()  # origins browsers may call from; none: CORS off


class Service:
    """The pipeline the server decides with; a reload swaps its policy atomically
    (`Triage.reload`), so a request finishes on the policy it started with.

    A worker among several (``triage serve --workers``) starts from the policy text its
    supervisor holds (``source``), not from the file, and tells the supervisor what each
    reload it made gave (``announce``), so that every worker serves the same policy.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        source: bytes | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics if metrics is not None else Metrics()
        # the counts a scrape answers with: this process's, or every worker's
        self.render_metrics: Callable[[], str] = lambda: self.metrics.render(
            self.triage.policy.sha256
        )
        self.announce: Callable[[dict[str, Any]], None] | None = None
        self.triage = Triage(
            settings.policy if source is None else source,
            model=settings.model,
            model_sha256=settings.model_sha256,
            on_error=settings.on_error,  # type: ignore[arg-type]
            decision_log=settings.decision_log,
        )
        self._survivors = Survivors()  # freezes what outlives decisions, now and then
        self.loaded_at = _now()
        self.last_reload_error: dict[str, Any] | None = None
        self._reloading = threading.Lock()

    def decided(self, decision: Decision) -> None:
        """Count a decision; now and then, as remembered matches accumulate, move them
        out of the garbage collector's way again (see `warm`)."""
        self.metrics.decision(decision.risk_level, decision.priority, decision.status)
        self._survivors.count()

    def warm(self) -> None:
        """Before serving: one synthetic decision builds what decisions share (the model,
        the engine's tables), then what the server keeps is moved out of the garbage
        collector's way, as a batch does. A full collection walking it took 40-56 ms,
        in the middle of some request; after, 4 ms (12,000 decisions, measured)."""
        with contextlib.suppress(TriageError):  # a policy without the standard channels
            self.triage.assess(WARM_UP, log=False)
        freeze_long_lived()

    def ready(self) -> bool:
        """The policy is loaded and the model, if any, loads."""
        try:
            self.triage.model()
        except TriageError:
            return False
        return True

    def reload(self) -> dict[str, Any] | None:
        """Load the policy file again; None when it took, else the problems (the old
        policy keeps serving)."""
        with self._reloading:
            try:
                self.triage.reload(self.settings.policy)
            except TriageError as exc:
                self.last_reload_error = {
                    "at": _now(),
                    "code": exc.code,
                    "message": exc.message,
                    "problems": [p.as_dict() for p in exc.problems],
                }
                failed: dict[str, Any] | None = self.last_reload_error
            else:
                self.loaded_at = _now()
                self.last_reload_error = failed = None
        if self.announce is not None:
            self.announce(self.reload_news())
        return failed

    def reload_news(self) -> dict[str, Any]:
        """What the last reload gave, as `adopt` takes it: the policy text now served and
        when it was loaded, and the refusal if the last attempt failed."""
        return {
            "source": base64.b64encode(self.triage.policy.source).decode("ascii"),
            "loaded_at": self.loaded_at,
            "error": self.last_reload_error,
        }

    def adopt(self, news: dict[str, Any]) -> None:
        """Serve the policy another process loaded and checked (``reload_news``)."""
        source = base64.b64decode(news["source"])
        with self._reloading:
            if source != self.triage.policy.source:
                self.triage.reload(source)
            self.loaded_at = news["loaded_at"]
            self.last_reload_error = news["error"]

    def policy_info(self) -> dict[str, Any]:
        policy = self.triage.policy
        return {
            "id": policy.id,
            "version": policy.version,
            "sha256": policy.sha256,
            "jurisdiction": policy.meta.jurisdiction,
            "loaded_at": self.loaded_at,
            "verify": self.triage.verify,
            "notices": [{"code": c, "zh": zh, "en": en} for c, zh, en in policy.notices()],
            "last_reload_error": self.last_reload_error,
        }


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
