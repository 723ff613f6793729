"""JSON Schemas of the inputs and outputs, for intake systems and editors."""

from __future__ import annotations

from typing import Any

from .._errors import UsageError

__all__ = ["schema"]


def schema(what: str) -> dict[str, Any]:
    """The JSON Schema of ``report``, ``decision``, ``policy`` or ``fixture``."""
    if what == "report":
        from ..report._model import Report

        return dict(Report.model_json_schema())
    if what == "decision":
        from ..decision import Decision

        return dict(Decision.model_json_schema(mode="serialization"))
    if what == "policy":
        from ..rules._schema import PolicyFile

        return dict(PolicyFile.model_json_schema())
    if what == "fixture":
        from ..policytest._fixtures import FixtureFile

        return dict(FixtureFile.model_json_schema())
    raise UsageError(f"no schema named {what!r}")
