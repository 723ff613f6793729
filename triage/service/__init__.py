"""`triage serve`: the library as an HTTP decision service (FastAPI on uvicorn).

`create_app(Service(Settings(...)))` is the ASGI application; `triage serve` runs it.
The endpoints reuse the library's validation, errors and decision log; see the README's
"HTTP service" section for each endpoint, its errors and its security.
"""

from __future__ import annotations

from ._app import create_app
from ._service import Service, Settings
from ._tokens import ROLES, Tokens, hash_token, read_tokens
from ._workers import Supervisor

__all__ = [
    "ROLES",
    "Service",
    "Settings",
    "Supervisor",
    "Tokens",
    "create_app",
    "hash_token",
    "read_tokens",
]
