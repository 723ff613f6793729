"""`triage batch`: JSON Lines in, one decision or rejection per line out, in order."""

from __future__ import annotations

from ._run import Summary, run_batch

__all__ = ["Summary", "run_batch"]
