"""JSON Schemas of the inputs and outputs, for intake systems and editors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .._errors import UsageError
from ..decision import Decision
from ..report._model import report_schema
from ..rules._schema import PolicyFile
from ._fixtures import FixtureFile

__all__ = ["schema"]


def schema(what: str, sources: Sequence[str] | None = None) -> dict[str, Any]:
    """The JSON Schema of ``report`` (taking ``sources``, by default the standard ones),
    ``decision``, ``policy`` or ``fixture``."""
    if what == "report":
        return report_schema(sources)
    if what == "decision":
        return dict(Decision.model_json_schema(mode="serialization"))
    if what == "policy":
        return dict(PolicyFile.model_json_schema())
    if what == "fixture":
        return dict(FixtureFile.model_json_schema())
    raise UsageError(f"no schema named {what!r}")
