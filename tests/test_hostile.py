"""Hostile input of every kind: typed errors, quickly, with nothing executed or echoed."""

from __future__ import annotations

import contextlib
import io
import json
import pickle
import signal
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import skops.io as sio
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import triage
from triage import Decision, FixtureError, ModelError, ReportError, RuleFileError
from triage._io._json import parse_json
from triage.cli import cli
from triage.policytest._fixtures import load_fixture
from triage.risk.model import _model as risk_model

from .conftest import EXAMPLES

MARK = "ZZSECRETZZ"
VALID = json.dumps(
    {
        "id": "H-1",
        "reported_at": "2026-03-02T21:15:00+08:00",
        "source": "police_110",
        "case_type": "domestic_violence",
        "narrative": MARK,
        "victim": {"age": 30, "gender": "female"},
        "indicators": {"strangulation": "yes", "threat_to_kill": "unknown"},
        "history": {"police_calls_12m": 2},
    }
).encode()
TRIAGE = triage.Triage()


@contextlib.contextmanager
def within(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: hostile input must be refused quickly."""

    def expire(*_: Any) -> None:
        raise AssertionError(f"took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def decide(data: bytes) -> Decision | ReportError:
    try:
        return TRIAGE.assess(parse_json(data))
    except ReportError as exc:
        assert MARK not in str(exc)
        return exc


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """The valid report with bytes flipped, cut, repeated or spliced in."""
    data = bytearray(VALID)
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "cut", "insert", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if kind == "flip" and data:
            at = min(at, len(data) - 1)
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "cut":
            del data[at : at + draw(st.integers(1, 20))]
        elif kind == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [
                        b"NaN",
                        b"Infinity",
                        b"-0",
                        b"1e999",
                        b'"\\ud800"',
                        b"\xff\xfe",
                        b"\x00",
                        b'{"id": 1, "id": 2}',
                        b"[" * 50,
                        b"}" * 5,
                        b'"' + b"a" * 5000 + b'"',
                        b"\xed\xa0\x80",
                        b"\\u0000",
                        b",",
                        b":",
                        b"true",
                        b"null",
                    ]
                )
            )
        else:
            chunk = bytes(data[at : at + 10])
            data[at:at] = chunk * draw(st.integers(1, 50))
    return bytes(data)


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_mutated_reports(data: bytes) -> None:
    with within(10):
        out = decide(data)
    assert isinstance(out, Decision | ReportError)
    if isinstance(out, Decision):
        assert MARK not in out.to_json()  # the narrative never enters a decision


@settings(deadline=None)
@given(data=st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    with within(10):
        assert isinstance(decide(data), Decision | ReportError)


@pytest.mark.parametrize(
    "data",
    [
        b'{"id": "' + b"x" * (2 << 20) + b'"}',  # over the size limit
        b"[" * 1_000_000,
        b'{"a": ' * 200_000,
        b'{"id": NaN}',
        VALID.replace(b"30", b"1e999"),
        b"\xef\xbb\xbf" + VALID,  # UTF-8 byte-order mark: fine
        VALID.decode().encode("utf-16"),
        VALID.decode().encode("latin-1").replace(b"H-1", b"H-\xe9"),
        VALID.replace(b'"H-1"', b'"H-\\ud800"'),
        VALID.replace(b'"H-1"', b'"H-1", "id": "H-2"'),
        VALID.replace(b"30", b"1" * 5000),
        VALID.replace(b"30", b"3.5"),  # 30.0 would be the integer 30, as JSON Schema says
        VALID.replace(b"30", b"true"),
        b'"' + MARK.encode() + b'"',
        b"null",
    ],
    ids=[
        "huge",
        "deep-array",
        "deep-object",
        "nan",
        "overflow",
        "bom",
        "utf16",
        "latin1",
        "surrogate",
        "duplicate",
        "big-int",
        "float-age",
        "bool-age",
        "string",
        "null",
    ],
)
def test_nasty_reports(data: bytes) -> None:
    with within(10):
        out = decide(data)
    if isinstance(out, ReportError):
        assert out.problems or out.message
    else:
        assert data.startswith(b"\xef\xbb\xbf")


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=mutated())
def test_command_line_on_mutated_reports(data: bytes) -> None:
    result = CliRunner().invoke(cli, ["assess", "-"], input=data, catch_exceptions=False)
    assert result.exit_code in (0, 2)
    assert "Traceback" not in result.output and MARK not in result.output


# -- rule files and fixtures ---------------------------------------------------------------------

HOSTILE_YAML = {
    "billion-laughs": b"a: &a [x,x,x,x,x,x,x,x,x,x]\n"
    + b"".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n".encode()
        for i in range(8)
    ),
    "python-object": b"description: !!python/object/apply:os.system ['touch pwned']\n",
    "python-name": b"report: !!python/name:os.system\n",
    "custom-tag": b"expect: !evil {a: 1}\n",
    "deep": b"x: " + b"[" * 5000 + b"]" * 5000,
    "invalid-utf8": b"description: {zh: \xff\xfe, en: x}\n",
    "recursive-alias": b"a: &a [*a]\n",
    "many-documents": b"--- {a: 1}\n--- {b: 2}\n",
    "huge-int": b"expect: {priority: " + b"9" * 5000 + b"}\n",
    "huge-float": b"expect: {priority: 1e999}\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE_YAML))
def test_hostile_fixtures(name: str, tmp_path: Path) -> None:
    path = tmp_path / "case.yaml"
    path.write_bytes(HOSTILE_YAML[name])
    with within(10), pytest.raises(FixtureError) as info:
        load_fixture(path)
    problem = info.value.problems[0]
    assert problem.path == str(path)
    assert problem.line is not None or problem.code in ("encoding", "empty", "too-large")
    assert not (tmp_path / "pwned").exists() and not Path("pwned").exists()


@pytest.mark.parametrize("name", sorted(HOSTILE_YAML))
def test_hostile_policies(name: str, tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(HOSTILE_YAML[name])
    with within(10), pytest.raises(RuleFileError) as info:
        triage.load_policy(path)
    assert info.value.problems[0].path == str(path)
    assert not Path("pwned").exists()


def test_huge_fixture_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    with path.open("wb") as fh:
        fh.truncate(100 << 20)
    with within(10), pytest.raises(FixtureError) as info:
        load_fixture(path)
    assert info.value.problems[0].code == "too-large"


# -- model files ---------------------------------------------------------------------------------


class _Boom:
    """Unpickling or constructing this would leave a file behind."""

    def __init__(self, path: str) -> None:
        self.path = path

    def __reduce__(self) -> Any:
        return (Path.touch, (Path(self.path),))

    def __setstate__(self, state: Any) -> None:
        Path(state["path"]).touch()


def test_model_files_run_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    attempts = {
        "pickle": pickle.dumps(_Boom(str(marker))),
        "skops-with-untrusted-type": sio.dumps({"x": _Boom(str(marker))}),
        "truncated": risk_model.demo_model().to_bytes()[:5000],
        "not-a-zip": b"PK\x03\x04" + b"\x00" * 100,
        "empty": b"",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        z.writestr("schema.json", "{" * 10000)
    attempts["deep-schema"] = buffer.getvalue()
    for name, data in attempts.items():
        path = tmp_path / f"{name}.skops"
        path.write_bytes(data)
        with within(10), pytest.raises(ModelError):
            triage.Triage(model=path)
        assert not marker.exists(), name


def test_example_policies_and_cases_stay_valid() -> None:
    for policy in (EXAMPLES / "policies").glob("*.yaml"):
        triage.load_policy(policy)
    for case in (EXAMPLES / "cases").rglob("*.yaml"):
        load_fixture(case)
