"""Reading untrusted JSON: bounded in size and depth, strict, and silent about content."""

from __future__ import annotations

import json
import math
import os
import select
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from .._errors import Problem, ReportError
from ._read import read_limited

__all__ = [
    "MAX_DEPTH",
    "MAX_REPORT_BYTES",
    "LineReader",
    "iter_text_lines",
    "line_col",
    "parse_json",
    "read_bounded",
]

MAX_INT_DIGITS = 30
MAX_REPORT_BYTES = 1 << 20  # one report; a narrative is capped at 20,000 characters
MAX_DEPTH = 32


class _Reject(Exception):
    def __init__(self, code: str, en: str, zh: str):
        super().__init__(code)
        self.code, self.en, self.zh = code, en, zh


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # Built in C; a key given twice leaves fewer entries than pairs (a loop in Python
    # checking each key cost a third of parsing a report).
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Reject("duplicate-key", "an object has the same key twice", "对象中有重复的键")
    return out


def _int(text: str) -> int:
    # No field needs more than a few digits; a huge literal would otherwise hit Python's
    # integer-conversion limit as an untyped ValueError.
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise _Reject(
            "number-too-large",
            f"a number has more than {MAX_INT_DIGITS} digits",
            f"数字超过 {MAX_INT_DIGITS} 位",
        )
    return int(text)


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e999 reads as infinity
        _constant(text)
    return value


def _constant(name: str) -> Any:
    raise _Reject("non-finite-number", "NaN and Infinity are not allowed", "不允许 NaN 或 Infinity")


# The json module's messages are fragments ("Invalid control character at"); each is
# said whole here, in both languages. Nothing of the document itself is quoted.
_SYNTAX: dict[str, tuple[str, str]] = {
    "Expecting value": (
        "a value was expected (text in double quotes, a number, an object, a list, "
        "true, false or null)",
        "此处应为一个值（双引号文本、数字、对象、列表、true、false 或 null）",
    ),
    "Expecting property name enclosed in double quotes": (
        "a key in double quotes was expected (is there a comma after the last item?)",
        "此处应为双引号括起的键（最后一项后是否多了逗号？）",
    ),
    "Expecting ',' delimiter": (
        "a comma was expected between two items",
        "两项之间应有逗号",
    ),
    "Expecting ':' delimiter": ("a colon was expected after a key", "键之后应有冒号"),
    "Unterminated string starting at": (
        "a text value is not closed by a double quote",
        "文本值缺少结尾的双引号",
    ),
    "Invalid control character at": (
        "a text value contains a raw control character; write a line break as \\n and a tab as \\t",
        "文本值中含有控制字符；换行应写作 \\n，制表符应写作 \\t",
    ),
    "Invalid \\escape": (
        "a text value contains an invalid backslash escape",
        "文本值中含有无效的反斜杠转义",
    ),
    "Invalid \\uXXXX escape": (
        "a text value contains an invalid \\u escape (four hexadecimal digits are needed)",
        "文本值中含有无效的 \\u 转义（需要四位十六进制数字）",
    ),
    "Extra data": (
        "more follows the end of the JSON value (one report per file, or one per line)",
        "JSON 值结束后还有多余内容（每个文件一份报告，或每行一份）",
    ),
}


def _syntax(message: str) -> tuple[str, str]:
    for start, words in _SYNTAX.items():
        if message.startswith(start):
            return words
    return "the syntax is wrong here", "此处语法有误"


def line_col(data: bytes, offset: int) -> tuple[int, int]:
    """1-based line and column of a byte offset (for an error's location)."""
    return data[:offset].count(b"\n") + 1, offset - (data.rfind(b"\n", 0, offset) + 1) + 1


def _depth_ok(value: Any, limit: int) -> bool:
    stack = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return False
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return True


def _problem(
    where: str, code: str, en: str, zh: str, line: int | None = None, col: int | None = None
) -> ReportError:
    return ReportError(
        "the report is not valid JSON" if code == "invalid-json" else "the report was refused",
        (Problem(where, code, zh, en, line=line, col=col),),
    )


def read_bounded(source: str | Path | IO[bytes], limit: int = MAX_REPORT_BYTES) -> bytes:
    """A report file or stream, at most ``limit`` bytes (see `read_limited`)."""
    return read_limited(source, limit, ReportError)


def parse_json(
    data: bytes | str,
    where: str = "<report>",
    max_depth: int = MAX_DEPTH,
    limit: int = MAX_REPORT_BYTES,
) -> Any:
    """Parse one JSON document strictly: UTF-8, no duplicate keys, no NaN, bounded depth."""
    if len(data) > limit:
        raise _problem(
            where,
            "too-large",
            f"larger than the limit of {limit} bytes",
            f"超过 {limit} 字节的上限",
        )
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _problem(
                where,
                "encoding",
                "not valid UTF-8",
                "不是有效的 UTF-8 编码",
                *line_col(data, exc.start),
            ) from None
    else:
        text = data
    if not text.strip():
        raise _problem(where, "empty", "the input is empty", "输入为空")
    try:
        value = json.loads(
            text,
            object_pairs_hook=_pairs,
            parse_constant=_constant,
            parse_int=_int,
            parse_float=_float,
        )
    except _Reject as exc:
        raise _problem(where, exc.code, exc.en, exc.zh) from None
    except json.JSONDecodeError as exc:
        en, zh = _syntax(exc.msg)
        raise _problem(
            where,
            "invalid-json",
            f"not valid JSON: {en}",
            f"不是有效的 JSON：{zh}",
            exc.lineno,
            exc.colno,
        ) from None
    except RecursionError:
        raise _problem(
            where, "too-deep", f"nested deeper than {max_depth} levels", f"嵌套超过 {max_depth} 层"
        ) from None
    # Fewer brackets than the limit cannot nest past it: skip the walk (most reports).
    if text.count("{") + text.count("[") >= max_depth and not _depth_ok(value, max_depth):
        raise _problem(
            where, "too-deep", f"nested deeper than {max_depth} levels", f"嵌套超过 {max_depth} 层"
        )
    return value


class LineReader:
    """Lines of a byte stream, each at most ``limit`` bytes, and whether the next is ready.

    Iterating yields ``(line_number, bytes)``, or ``(line_number, None)`` for a line
    longer than ``limit``, which is skipped without being held in memory. `ready`
    says whether the next line can be had without waiting for the writer: a program
    feeding lines through a pipe can then get each answer before it sends the next.
    """

    def __init__(self, stream: IO[bytes], limit: int = MAX_REPORT_BYTES) -> None:
        self._stream = stream
        self._limit = limit
        try:
            self._fd: int | None = stream.fileno()
        except (AttributeError, OSError, ValueError):  # io.BytesIO and the like
            self._fd = None
        self._buf = bytearray()
        self._eof = False

    def _read(self) -> bytes:
        if self._fd is not None:
            return os.read(self._fd, 1 << 16)
        return self._stream.read(1 << 16)

    def ready(self) -> bool:
        """Whether the next line (or the end) is there without blocking."""
        if self._eof or b"\n" in self._buf or self._fd is None:
            return True
        try:
            return bool(select.select([self._fd], [], [], 0)[0])
        except (OSError, ValueError):
            return True

    def __iter__(self) -> Iterator[tuple[int, bytes | None]]:
        number = 0
        buf = self._buf
        while True:
            end = buf.find(b"\n")
            while end < 0 and not self._eof and len(buf) <= self._limit:
                searched = len(buf)
                chunk = self._read()
                if not chunk:
                    self._eof = True
                    break
                buf += chunk
                end = buf.find(b"\n", searched)
            if end < 0 and len(buf) > self._limit:
                number += 1
                self._skip_line()
                yield number, None
                continue
            if end < 0:  # the end of the input
                if buf:
                    number += 1
                    line = bytes(buf)
                    buf.clear()
                    yield number, line
                return
            number += 1
            if end + 1 > self._limit + 1:
                del buf[: end + 1]
                yield number, None
                continue
            line = bytes(buf[: end + 1])
            del buf[: end + 1]
            yield number, line

    def _skip_line(self) -> None:
        # Drop the rest of an over-long line, reading on until its newline.
        buf = self._buf
        while True:
            end = buf.find(b"\n")
            if end >= 0:
                del buf[: end + 1]
                return
            buf.clear()
            chunk = self._read()
            if not chunk:
                self._eof = True
                return
            buf += chunk


def iter_text_lines(
    stream: IO[bytes], limit: int = MAX_REPORT_BYTES
) -> Iterator[tuple[int, bytes | None]]:
    """Yield ``(line_number, bytes or None)``; None marks a line over ``limit``, skipped unread."""
    return iter(LineReader(stream, limit))
