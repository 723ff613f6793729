"""The same policy file loaded again in one process shares its compiled form, and only that."""

from __future__ import annotations

from pathlib import Path

import pytest

import triage
from triage import RuleFileError
from triage.rules import DEFAULT_POLICY, load_policy

from .test_compiled import _corrupt

TEXT = Path(DEFAULT_POLICY).read_bytes()


def test_the_same_bytes_share_rules_but_not_engines_or_matchers() -> None:
    a, b = load_policy(TEXT), load_policy(bytes(TEXT))
    assert a.rules is b.rules and a.layout is b.layout
    assert a.engine() is not b.engine()
    assert a.native() is not b.native() and a.native().fire is not b.native().fire
    a.close()
    assert not b.engine().closed  # closing one policy leaves the other's engine


def test_a_matcher_changed_in_one_policy_reaches_no_other() -> None:
    """What one policy's matchers become (here: a corrupted one) stays its own."""
    a = load_policy(TEXT)
    _corrupt(a, drop=True)
    b = load_policy(TEXT)
    assert b.native().fire != a.native().fire
    triage.Triage(b, model=None, verify="load")  # b's matchers pass the load-time check


def test_a_file_with_problems_fails_every_time(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_bytes(TEXT.replace(b"rules:", b"rulez:", 1))
    for _ in range(2):
        with pytest.raises(RuleFileError) as info:
            load_policy(path)
        assert info.value.problems[0].path == str(path)


def test_each_file_name_keeps_its_own_messages(tmp_path: Path) -> None:
    first, second = tmp_path / "a.yaml", tmp_path / "b.yaml"
    first.write_bytes(TEXT)
    second.write_bytes(TEXT)
    assert load_policy(first).path == str(first)
    assert load_policy(second).path == str(second)


def test_matchers_pass_the_load_check_once_and_changed_ones_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from triage.rules._evaluate import Evaluator

    calls: list[str] = []
    real = Evaluator.check_generated

    def counted(self: Evaluator, *args: object, **kwargs: object) -> int:
        calls.append(self.policy.sha256)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Evaluator, "check_generated", counted)
    text = TEXT + b"\n# a file of its own, loaded by no other test\n"
    triage.Triage(text, model=None, verify="load")
    triage.Triage(text, model=None, verify="load")
    assert len(calls) == 1  # the same matchers of the same file: checked once
    changed = load_policy(text)
    _corrupt(changed, drop=False)
    with pytest.raises(triage.EngineError):
        triage.Triage(changed, model=None, verify="load")
    assert len(calls) == 2
