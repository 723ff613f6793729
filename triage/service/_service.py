"""What the server holds: one pipeline, what it loaded and when, and its counts."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from .._errors import TriageError
from .._pipeline import Triage
from ._metrics import Metrics
from ._tokens import Tokens

__all__ = ["Service", "Settings"]


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


class Service:
    """The pipeline the server decides with; a reload swaps its policy atomically
    (`Triage.reload`), so a request finishes on the policy it started with."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.triage = Triage(
            settings.policy,
            model=settings.model,
            model_sha256=settings.model_sha256,
            on_error=settings.on_error,  # type: ignore[arg-type]
            decision_log=settings.decision_log,
        )
        self.loaded_at = _now()
        self.last_reload_error: dict[str, Any] | None = None
        self._reloading = threading.Lock()

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
                return self.last_reload_error
            self.loaded_at = _now()
            self.last_reload_error = None
            return None

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
