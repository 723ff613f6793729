"""JSON Schemas of the inputs and outputs, for intake systems and editors."""

from __future__ import annotations

from typing import Any

from .._errors import UsageError
from ..decision import Decision
from ..policytest._fixtures import FixtureFile
from ..report._model import Report
from ..rules._schema import PolicyFile

__all__ = ["schema"]


def schema(what: str) -> dict[str, Any]:
    """The JSON Schema of ``report``, ``decision``, ``policy`` or ``fixture``."""
    if what == "report":
        return dict(Report.model_json_schema())
    if what == "decision":
        return dict(Decision.model_json_schema(mode="serialization"))
    if what == "policy":
        return dict(PolicyFile.model_json_schema())
    if what == "fixture":
        return dict(FixtureFile.model_json_schema())
    raise UsageError(f"no schema named {what!r}")
