"""One bounded reader for every input file: reports, policies, fixtures and models.

An input larger than its limit is refused after reading one byte past the limit,
never read whole. Every failure has one shape: a `Problem` (code ``not-found``,
``not-a-file``, ``unreadable`` or ``too-large``, located at the file) inside the
error type the caller names, so each stage keeps its own error class.
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from .._errors import Problem, TriageError

__all__ = ["read_limited"]


def read_limited(
    source: str | Path | IO[bytes],
    limit: int,
    error: type[TriageError],
    where: str | None = None,
) -> bytes:
    """At most ``limit`` bytes of a file path or binary stream, or ``error`` raised."""
    where = where or (str(source) if isinstance(source, str | Path) else "<stdin>")
    try:
        if isinstance(source, str | Path):
            with open(source, "rb") as fh:
                data = fh.read(limit + 1)
        else:
            data = source.read(limit + 1)
    except FileNotFoundError:
        raise _refused(error, where, "not-found", "找不到文件", "file not found") from None
    except IsADirectoryError:
        raise _refused(
            error, where, "not-a-file", "是目录而不是文件", "is a directory, not a file"
        ) from None
    except OSError:
        raise _refused(error, where, "unreadable", "无法读取文件", "file cannot be read") from None
    if not isinstance(data, bytes):
        raise _refused(error, where, "not-bytes", "输入必须是字节流", "input must be bytes")
    if len(data) > limit:
        raise _refused(
            error,
            where,
            "too-large",
            f"超过 {limit} 字节的上限",
            f"larger than the limit of {limit} bytes",
        )
    return data


def _refused(error: type[TriageError], where: str, code: str, zh: str, en: str) -> TriageError:
    return error(f"{where}: {en}", (Problem(where, code, zh, en),))
