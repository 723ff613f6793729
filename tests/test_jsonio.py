"""Reading untrusted JSON: strict, bounded, and silent about contents."""

from __future__ import annotations

import io
import typing

import pytest

from triage import ReportError
from triage._io._json import MAX_DEPTH, parse_json, read_bounded

MARK = "ZZSECRETZZ"


def code_of(data: bytes | str) -> str:
    with pytest.raises(ReportError) as info:
        parse_json(data)
    text = str(info.value)
    assert MARK not in text
    return info.value.problems[0].code


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b'{"a": ' + MARK.encode(), "invalid-json"),
        (b'{"a": 1, "a": "' + MARK.encode() + b'"}', "duplicate-key"),
        (b'{"a": NaN}', "non-finite-number"),
        (b'{"a": Infinity}', "non-finite-number"),
        (b'{"a": "\xff\xfe' + MARK.encode() + b'"}', "encoding"),
        (b"[" * 100_000 + b"]" * 100_000, "too-deep"),
        (b'{"a":' * 40 + b"1" + b"}" * 40, "too-deep"),
    ],
    ids=[
        "empty",
        "blank",
        "truncated",
        "duplicate",
        "nan",
        "infinity",
        "latin1",
        "deep",
        "deep-obj",
    ],
)
def test_refused(data: bytes, code: str) -> None:
    """Each malformed input is refused with a typed error and a stable code."""
    assert code_of(data) == code


@pytest.mark.parametrize("kind", ["list", "object"])
@pytest.mark.parametrize("levels", range(29, 35))
def test_depth_limit_is_exact(levels: int, kind: str) -> None:
    """A value nested up to the limit is read; one level more is refused (around the
    point where the bracket count lets the walk be skipped)."""
    if kind == "list":
        data = "[" * levels + "1" + "]" * levels
    else:
        data = '{"a":' * levels + "1" + "}" * levels
    if levels + 1 <= MAX_DEPTH:  # the innermost number sits one level below its container
        assert parse_json(data) is not None
    else:
        assert code_of(data) == "too-deep"


def test_location_of_syntax_error() -> None:
    """A syntax error carries line and column, not the text."""
    with pytest.raises(ReportError) as info:
        parse_json(b'{\n  "a": 1,\n  oops\n}', "r.json")
    problem = info.value.problems[0]
    assert (problem.path, problem.line, problem.col) == ("r.json", 3, 3)


def test_size_limit_reads_only_the_limit() -> None:
    """A stream longer than the limit is refused after reading limit+1 bytes."""

    class Counting(io.BytesIO):
        read_sizes: typing.ClassVar[list[int]] = []

        def read(self, size: int | None = -1) -> bytes:
            self.read_sizes.append(-1 if size is None else size)
            return super().read(size)

    stream = Counting(b"x" * 5000)
    with pytest.raises(ReportError) as info:
        read_bounded(stream, limit=100)
    assert info.value.problems[0].code == "too-large"
    assert stream.read_sizes == [101]


def test_bom_is_accepted() -> None:
    """A UTF-8 byte-order mark is allowed."""
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
