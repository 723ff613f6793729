"""``triage serve``: the HTTP decision service."""

from __future__ import annotations

import contextlib
import ipaddress
import logging
import signal
import sys
import threading
from typing import Any

import click

from .._errors import UsageError
from ._common import MODEL_OPTION, POLICY_OPTION, guarded, model_source

__all__ = ["serve"]


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a name: it may resolve to anything


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@POLICY_OPTION
@MODEL_OPTION
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="File of 'ROLE sha256:HASH' lines (roles: assess, admin).",
)
@click.option(
    "--insecure",
    is_flag=True,
    help="Listen beyond loopback without tokens (behind an authenticating proxy).",
)
@click.option(
    "--decision-log",
    type=click.Path(dir_okay=False),
    default=None,
    help="Append a JSON line per decision (ids and results, never contents).",
)
@click.option(
    "--max-body",
    default=1 << 20,
    show_default=True,
    type=click.IntRange(1, 1 << 30),
    help="Largest request body in bytes (413 above).",
)
@click.option(
    "--on-error",
    type=click.Choice(["escalate", "raise"]),
    default="escalate",
    show_default=True,
    help="An engine failure: the escalated P1 decision, or 503.",
)
@click.option(
    "--read-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1, 3600),
    help="Seconds a request body may take to arrive (408 after).",
)
@click.option(
    "--workers",
    default=1,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Server processes, each with its own pipeline; one policy among them.",
)
@click.option(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    help="An origin browsers may call from (repeatable); none by default.",
)
@click.option("--ssl-certfile", type=click.Path(dir_okay=False, exists=True), default=None)
@click.option("--ssl-keyfile", type=click.Path(dir_okay=False, exists=True), default=None)
@guarded
def serve(
    host: str,
    port: int,
    policy_path: str | None,
    model_path: str,
    token_file: str | None,
    insecure: bool,
    decision_log: str | None,
    max_body: int,
    on_error: str,
    read_timeout: float,
    workers: int,
    cors_origins: tuple[str, ...],
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
) -> None:
    """Serve decisions over HTTP (POST /v1/assess); SIGHUP reloads the policy file,
    SIGTERM finishes the requests under way and exits 0."""
    try:
        import uvicorn

        from ..service import Service, Settings, create_app, read_tokens
    except ImportError:
        raise UsageError("the service needs its extra: pip install 'triage[service]'") from None
    tokens = read_tokens(token_file) if token_file else None
    if tokens is None and not insecure and not _loopback(host):
        raise UsageError(
            f"refusing to listen on {host} without --token-file (or --insecure behind a "
            "proxy that authenticates)"
        )
    settings = Settings(
        policy=policy_path,
        model=model_source(model_path),
        tokens=tokens,
        max_body=max_body,
        on_error=on_error,
        decision_log=decision_log,
        read_timeout=read_timeout,
        cors_origins=cors_origins,
    )
    service = Service(settings)
    if not service.ready():
        raise UsageError("the model could not be loaded")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    def config(app: Any) -> Any:
        return uvicorn.Config(
            app,
            host=host,
            port=port,
            access_log=False,  # its lines carry query strings; triage.service.access not
            log_level="info",
            timeout_keep_alive=5,
            timeout_graceful_shutdown=GRACE,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
            server_header=False,
        )

    if workers > 1:
        sys.exit(_supervise(service, workers, config))
    server = uvicorn.Server(config(create_app(service)))
    service.warm()
    _reload_on_hangup(service)
    # uvicorn finishes the requests under way, then passes the signal on: done, not failed
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    sys.exit(0)


GRACE = 10  # seconds a server may take to finish its requests once asked to stop


def _supervise(service: Any, workers: int, config: Any) -> int:
    """``workers`` processes on one address, one policy among them (`service._workers`)."""
    from ..service import Supervisor
    from ..service._workers import STARTUP_FAILED, reserve

    cfg = config(None)
    log = logging.getLogger("triage.service")
    try:
        sock = reserve(cfg.host, cfg.port)
    except OSError as exc:
        log.error("%s", exc.strerror)
        return STARTUP_FAILED  # as uvicorn exits when one server cannot listen
    host, port = sock.getsockname()[:2]
    log.info("serving on %s port %d", host, port)
    # the parent's own stop is the workers' (theirs is graceful): done, not failed
    with contextlib.suppress(KeyboardInterrupt):
        return Supervisor(service, workers, config, grace=GRACE + 5).run(sock)
    return 0


def _reload_on_hangup(service: Any) -> None:
    log = logging.getLogger("triage.service")

    def reload() -> None:
        failed = service.reload()
        if failed is None:
            log.info("policy reloaded: sha256 %s", service.triage.policy.sha256)
        else:
            log.warning("policy reload refused (%s); the old policy serves", failed["code"])

    signal.signal(signal.SIGHUP, lambda signum, frame: threading.Thread(target=reload).start())
