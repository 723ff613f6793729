"""The HTTP endpoints: FastAPI over the library's own validation, errors and decisions.

Every error is a JSON body ``{"error": <code>, "message": ..., "problems": [...]}``
with the library's stable codes; no response, log line or metric carries a value
taken from a report.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from http import HTTPStatus
from typing import Any, Literal

from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse, StreamingResponse
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .._errors import EngineError, Problem, ReportError, TriageError, UsageError
from .._io._json import parse_json
from .._version import __version__
from ..batch._run import decision_line, record_line
from ..decision import Decision, Rejected
from ..explanation import explain
from ..policytest._schemas import schema
from ..routing import overdue
from ..vocab import vocabulary_table
from ._service import Service

__all__ = ["create_app"]

Lang = Literal["zh", "en"]
ACCESS = logging.getLogger("triage.service.access")
JSON = "application/json"
NDJSON = "application/x-ndjson"
_NDJSON_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            NDJSON: {
                "schema": {"type": "string", "pattern": "\\S", "description": "one report per line"}
            }
        },
    }
}
SCHEMAS = ("report", "decision", "policy")
OPEN = {"/healthz", "/readyz"}  # answered without a token
ADMIN = {"/v1/policy/reload"}


BODY = (408, 413, 415, 422)  # what reading and checking a request body may answer
_ERROR = {
    "type": "object",
    "required": ["error", "message", "problems"],
    "properties": {
        "error": {"type": "string", "description": "a stable code"},
        "message": {"type": "string"},
        "problems": {"type": "array", "items": {"type": "object"}},
    },
}
_OVERDUE_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            JSON: {
                "schema": {
                    "type": "object",
                    "required": ["decision", "now"],
                    "properties": {
                        "decision": {"type": "object", "description": "as /v1/assess answers"},
                        "events": {"type": "array", "items": {"type": "object"}},
                        "now": {"type": "string", "format": "date-time"},
                        "window_hours": {"type": "number", "minimum": 0},
                    },
                }
            }
        },
    }
}


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The error answers a route documents: its own, and 401/403 for tokens."""
    return {
        status: {"description": HTTPStatus(status).phrase, "content": {JSON: {"schema": _ERROR}}}
        for status in (401, 403, *statuses)
    }


class HttpProblem(Exception):
    def __init__(self, status: int, code: str, message: str, **headers: str) -> None:
        self.status, self.code, self.message, self.headers = status, code, message, headers


def _error(status: int, code: str, message: str, problems: Any = (), **headers: str) -> Response:
    body = {"error": code, "message": message, "problems": [p.as_dict() for p in problems]}
    return JSONResponse(body, status_code=status, headers=headers or None)


def create_app(service: Service) -> FastAPI:
    """The application serving ``service``."""
    app = FastAPI(title="triage", version=__version__, docs_url=None, redoc_url=None)
    app.state.service = service
    _handlers(app)
    app.add_middleware(_Guard, service=service)
    origins = list(service.settings.cors_origins)
    if origins:  # off unless configured: a browser page elsewhere may not call at all
        # outermost, so a browser's preflight (which carries no token) is answered here
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type"],
            max_age=600,
        )
    _routes(app, service)
    return app


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(HttpProblem)
    async def _problem(request: Request, exc: HttpProblem) -> Response:
        return _error(exc.status, exc.code, exc.message, **exc.headers)

    @app.exception_handler(ReportError)
    async def _report(request: Request, exc: ReportError) -> Response:
        request.app.state.service.metrics.rejection(exc.code)
        return _error(422, exc.code, exc.message, exc.problems)

    @app.exception_handler(EngineError)
    async def _engine(request: Request, exc: EngineError) -> Response:
        return _error(503, exc.code, "the rule engine failed; the report was not decided")

    @app.exception_handler(TriageError)
    async def _triage(request: Request, exc: TriageError) -> Response:
        return _error(400 if isinstance(exc, UsageError) else 500, exc.code, exc.message)

    @app.exception_handler(RequestValidationError)
    async def _query(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            Problem(".".join(map(str, e["loc"])), "invalid", "参数无效", "invalid parameter")
            for e in exc.errors()
        ]
        return _error(422, "usage", "invalid request parameters", problems)


class _Guard:
    """Tokens, then the access log line and the request's count. A plain ASGI wrapper:
    Starlette's ``@app.middleware("http")`` runs every request through extra tasks and
    streams, a large share of a millisecond decision."""

    def __init__(self, app: ASGIApp, service: Service) -> None:
        self.app, self.service = app, service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def sent(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        refused = self._refused(scope)
        if refused is not None:
            await refused(scope, receive, sent)
        else:
            await self.app(scope, receive, sent)
        self._finish(scope, status[0], time.perf_counter() - start)

    def _refused(self, scope: Scope) -> Response | None:
        tokens = self.service.settings.tokens
        path = scope["path"]
        if tokens is None or path in OPEN:
            return None
        given = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        scheme, _, token = given.partition(" ")
        role = tokens.role_of(token.strip()) if scheme.lower() == "bearer" else None
        if role is None:
            return _error(401, "unauthorized", "a valid bearer token is needed",
                          **{"WWW-Authenticate": "Bearer"})  # fmt: skip
        if path in ADMIN and role != "admin":
            return _error(403, "forbidden", "this needs the admin role")
        return None

    def _finish(self, scope: Scope, status: int, seconds: float) -> None:
        route = getattr(scope.get("route"), "path", "other")
        self.service.metrics.request(route, status, seconds)
        report_id = scope.get("state", {}).get("report_id")
        ACCESS.info(
            "%s %s %d %.1fms%s", scope["method"], route, status, seconds * 1e3,
            f" report={report_id}" if report_id else "",
        )  # fmt: skip


async def _body(request: Request, limit: int, kinds: tuple[str, ...] = (JSON,)) -> bytes:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind not in kinds:
        raise HttpProblem(415, "unsupported-media-type", f"send {' or '.join(kinds)}")
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise HttpProblem(413, "too-large", f"the body is limited to {limit} bytes")
    chunks, size = [], 0
    try:
        async with asyncio.timeout(request.app.state.service.settings.read_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise HttpProblem(413, "too-large", f"the body is limited to {limit} bytes")
                chunks.append(chunk)
    except TimeoutError:  # a client that sends a byte a minute holds no worker for long
        raise HttpProblem(408, "timeout", "the body did not arrive in time") from None
    return b"".join(chunks)


def _decision_body(decision: Decision, lang: str | None) -> bytes:
    data = decision.to_json_bytes()
    if lang is None:
        return data
    # the explanation beside the decision's own fields
    words = json.dumps(explain(decision, lang), ensure_ascii=False).encode("utf-8")
    return b"".join((data[:-1], b',"explanation":', words, b"}"))


def _routes(app: FastAPI, service: Service) -> None:
    """Every endpoint, in the order the OpenAPI document lists them."""
    _probe_routes(app, service)
    _openapi_document(app, service)
    _decision_routes(app, service)
    _policy_routes(app, service)
    _metrics_route(app, service)


def _probe_routes(app: FastAPI, service: Service) -> None:
    """Alive, and ready (policy and model loaded)."""

    @app.get("/healthz", responses=_errors())
    async def healthz() -> dict[str, str]:
        return {"status": "alive"}

    @app.get("/readyz", responses=_errors(503))
    async def readyz() -> Response:
        if await run_in_threadpool(service.ready):
            return JSONResponse({"status": "ready", "policy": service.triage.policy.sha256})
        return _error(503, "not-ready", "the policy or the model is not loaded")


def _openapi_document(app: FastAPI, service: Service) -> None:
    """The generated document, with the report and decision schemas the CLI prints."""
    generated = app.openapi

    def openapi() -> dict[str, Any]:
        # FastAPI writes its document without null values, which would drop the schemas'
        # "default": null: the report and decision schemas go in as `triage schema`
        # prints them, their definitions under components (where OpenAPI looks for them).
        if app.openapi_schema is None:
            document = generated()
            components = document.setdefault("components", {}).setdefault("schemas", {})
            post = document["paths"]["/v1/assess"]["post"]
            report = _placed(schema("report", service.triage.policy.sources), "Report", components)
            post["requestBody"] = {"required": True, "content": {JSON: {"schema": report}}}
            decided = _placed(_decision_response(), "Decision", components)
            post["responses"]["200"] = {"description": "the decision",
                                        "content": {JSON: {"schema": decided}}}  # fmt: skip
            batch = document["paths"]["/v1/assess/batch"]["post"]["responses"]
            batch["200"] = {"description": "one record per line, in input order",
                            "content": {NDJSON: {"schema": {"type": "string"}}}}  # fmt: skip
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def _decision_routes(app: FastAPI, service: Service) -> None:
    """A report, a batch of them, and overdue tasks."""
    limit = service.settings.max_body

    @app.post("/v1/assess", responses=_errors(*BODY, 503))
    async def assess(request: Request, lang: Lang | None = None) -> Response:
        raw = parse_json(await _body(request, limit), "<request>", limit=limit)
        report, history, events = _envelope(raw)
        # On the event loop: a decision is about a millisecond of CPU under one GIL, and a
        # hop to a worker thread and back cost a fifth of it; bodies still arrive
        # concurrently, and a long history or a batch goes to a thread.
        if history is None:
            decision = service.triage.assess(report, events=events)
        else:
            decision = await run_in_threadpool(
                service.triage.assess, report, history=history, events=events
            )
        request.state.report_id = decision.report_id
        service.decided(decision)
        return Response(_decision_body(decision, lang), media_type=JSON)

    @app.post("/v1/assess/batch", openapi_extra=_NDJSON_BODY, responses=_errors(*BODY))
    async def assess_batch(request: Request) -> Response:
        body = await _body(request, service.settings.max_batch_body, (NDJSON,))
        if not body.strip():
            raise HttpProblem(422, "empty", "no report: send one JSON report per line")
        return StreamingResponse(_batch_lines(service, body), media_type=NDJSON)

    @app.post("/v1/overdue", openapi_extra=_OVERDUE_BODY, responses=_errors(*BODY, 400))
    async def overdue_of(request: Request) -> Response:
        raw = parse_json(await _body(request, limit), "<request>", limit=limit)
        return Response(_overdue(raw), media_type=JSON)


def _policy_routes(app: FastAPI, service: Service) -> None:
    """The active policy, its reload, the vocabulary and the schemas."""

    @app.get("/v1/policy", responses=_errors())
    async def policy() -> dict[str, Any]:
        return service.policy_info()

    @app.post("/v1/policy/reload", responses=_errors(422))
    async def reload() -> Response:
        failed = await run_in_threadpool(service.reload)
        if failed is not None:
            return JSONResponse({"reloaded": False, **failed}, status_code=422)
        return JSONResponse({"reloaded": True, **service.policy_info()})

    @app.get("/v1/vocab", responses=_errors(422))
    async def vocab(lang: Lang | None = None) -> dict[str, Any]:
        return vocabulary_table(lang)

    @app.get("/v1/schema/{kind}", responses=_errors(404))
    async def schemas(kind: str) -> dict[str, Any]:
        if kind not in SCHEMAS:
            raise HttpProblem(404, "not-found", "schemas: report, decision, policy")
        return schema(kind, service.triage.policy.sources if kind == "report" else None)


def _metrics_route(app: FastAPI, service: Service) -> None:
    @app.get("/metrics", responses=_errors(), response_class=PlainTextResponse)
    async def metrics() -> Response:
        text = service.render_metrics()
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")


def _batch_lines(service: Service, body: bytes) -> Iterator[bytes]:
    """One record per non-empty input line, in input order, as `triage batch` writes
    them: the decision with its line first, or the rejection naming the line."""
    numbered = [(n, text) for n, text in enumerate(body.split(b"\n"), start=1) if text.strip()]
    decided = service.triage.assess_many(text for _, text in numbered)
    for (line, _), result in zip(numbered, decided, strict=True):
        if isinstance(result, Rejected):
            service.metrics.rejection(result.code)
            record = {**result.as_dict(), "line": line, "where": f"<request>:{line}"}
            yield record_line(record).encode("utf-8")
        else:
            service.decided(result)
            yield decision_line(line, result.to_json_bytes())


def _overdue(raw: Any) -> bytes:
    """``{"decision": ..., "events": [...], "now": ..., "window_hours": ...}`` → the
    breaches `routing.overdue` finds."""
    if not isinstance(raw, dict) or not {"decision", "now"} <= raw.keys():
        raise UsageError("send {decision, events, now[, window_hours]}")
    try:
        decision = Decision.model_validate(raw["decision"])
        now = datetime.fromisoformat(str(raw["now"]))
        window = timedelta(hours=float(raw.get("window_hours", 0)))
    except (ValidationError, ValueError, TypeError):
        raise UsageError("send {decision, events, now[, window_hours]}: a decision as "
                         "returned, now an ISO 8601 time with its offset") from None  # fmt: skip
    if now.utcoffset() is None:
        raise UsageError("now needs a UTC offset")
    breaches = overdue(decision, raw.get("events") or (), now, window)
    return json.dumps([b.model_dump(mode="json") for b in breaches], ensure_ascii=False).encode()


def _placed(found: dict[str, Any], prefix: str, components: dict[str, Any]) -> dict[str, Any]:
    """``found`` with its ``$defs`` moved to OpenAPI's components as ``prefix.Name``."""
    text = json.dumps(found)
    for name in found.get("$defs", {}):
        text = text.replace(f'"#/$defs/{name}"', f'"#/components/schemas/{prefix}.{name}"')
    moved = json.loads(text)
    for name, definition in moved.pop("$defs", {}).items():
        components[f"{prefix}.{name}"] = definition
    return dict(moved)


def _decision_response() -> dict[str, Any]:
    """The decision's schema, and the explanation ``?lang=`` adds to it."""
    found = schema("decision")
    found["properties"] = {**found["properties"], "explanation": {"type": "string"}}
    return found


def _envelope(raw: Any) -> tuple[Any, Any, Any]:
    """A bare report, or ``{"report": ..., "history": [...], "events": [...]}``."""
    if isinstance(raw, dict) and "report" in raw:
        extra = set(raw) - {"report", "history", "events"}
        if extra:
            raise ReportError(
                "invalid request",
                (Problem("(request)", "bad-structure", "请求应为报告，或 {report, history, events}",
                         "send a report, or {report, history, events}"),),
            )  # fmt: skip
        return raw["report"], raw.get("history"), raw.get("events")
    return raw, None, None
