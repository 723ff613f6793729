"""Schemathesis: requests generated from the service's own OpenAPI document, each answer
checked against what the document says (no 5xx, documented statuses, content types and
schemas)."""

from __future__ import annotations

import os
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from triage.service import Service, Settings, create_app

schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(Service(Settings(model=None))))
# The coverage phase (boundary and negative values for every keyword of every schema)
# is derived while tests are collected, in every test process: `make test-all` only.
schema.config.phases.coverage.enabled = os.environ.get("HYPOTHESIS_PROFILE") == "full"


@schemathesis.serializer("application/x-ndjson")
def _ndjson(ctx: Any, value: Any) -> bytes:
    return value.encode("utf-8", "surrogatepass") if isinstance(value, str) else b""


@schema.parametrize()
@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_answer_is_what_the_document_says(case: Any) -> None:
    # A stored decision has rules its schema cannot say (it is the one the library gave):
    # /v1/overdue may refuse a schema-valid object, with 422 and its problems.
    excluded = [positive_data_acceptance] if case.path == "/v1/overdue" else []
    case.call_and_validate(excluded_checks=excluded)
