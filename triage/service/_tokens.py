"""Bearer tokens: a file of their sha256 hashes with a role each, never the tokens.

One line per token: ``<role> sha256:<64 hex digits>``, ``#`` starts a comment. Roles:
``assess`` (decisions, schemas, vocabulary, metrics) and ``admin`` (all of that and
reloading the policy). A token is compared by its hash, in constant time, against every
entry, so neither the file nor the timing says which tokens exist.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from pathlib import Path

from .._errors import Problem, UsageError

__all__ = ["ROLES", "Tokens", "hash_token", "read_tokens"]

ROLES = ("assess", "admin")
_LINE = re.compile(r"^(?P<role>[a-z]+)\s+sha256:(?P<hash>[0-9a-f]{64})$")


def hash_token(token: str) -> str:
    """What a token file holds for ``token``: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Tokens:
    entries: tuple[tuple[str, bytes], ...]  # (role, sha256 digest)

    def role_of(self, token: str) -> str | None:
        """The role of ``token``, or None; every entry is compared, whatever matches."""
        digest = hashlib.sha256(token.encode("utf-8", "surrogatepass")).digest()
        found = None
        for role, known in self.entries:
            if hmac.compare_digest(digest, known) and found != "admin":
                found = role
        return found


def read_tokens(path: str | Path) -> Tokens:
    """The tokens of a token file, or a `UsageError` naming each bad line (never its text)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read the token file {path}: {type(exc).__name__}") from None
    entries, problems = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        found = _LINE.match(line)
        if found is None or found["role"] not in ROLES:
            problems.append(
                Problem(str(path), "bad-token-line", "应为“角色 sha256:十六进制”",
                        "expected '<assess|admin> sha256:<64 hex digits>'", line=number)
            )  # fmt: skip
            continue
        entries.append((found["role"], bytes.fromhex(found["hash"])))
    if problems:
        raise UsageError(f"invalid token file: {len(problems)} bad lines", tuple(problems))
    if not entries:
        raise UsageError(f"the token file {path} holds no token")
    return Tokens(tuple(entries))
