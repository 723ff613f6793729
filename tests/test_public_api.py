"""The public surface: everything in __all__ imports, nothing private leaks."""

from __future__ import annotations

import importlib

import pytest

import triage

PUBLIC_MODULES = [
    "triage",
    "triage.vocab",
    "triage.risk",
    "triage.risk.cohort",
    "triage.risk.model._model",
    "triage.rules",
    "triage.routing",
    "triage.cli",
]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_all_names_import(module: str) -> None:
    """Each name in a public module's __all__ exists."""
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", ()):
        assert hasattr(mod, name), f"{module}.{name}"


def test_public_names_show_as_triage() -> None:
    """Public classes are presented as triage.X, not triage._module.X."""
    assert triage.Report.__module__ == "triage"
    assert triage.ReportError.__module__ == "triage"


def test_one_exception_root() -> None:
    """Every error class derives from TriageError."""
    for name in [
        "ReportError",
        "RuleFileError",
        "FixtureError",
        "EngineError",
        "ModelError",
        "DecisionLogError",
        "UsageError",
    ]:
        assert issubclass(getattr(triage, name), triage.TriageError)


def test_durable_rules_imported_in_one_module_only() -> None:
    """Only triage.rules.engine imports durable-rules (the engine boundary)."""
    from pathlib import Path

    root = Path(triage.__file__).parent
    importers = sorted(
        str(p.relative_to(root))
        for p in root.rglob("*.py")
        if "durable" in p.read_text("utf-8") and "import durable" in p.read_text("utf-8")
    )
    assert importers == ["rules/engine/_durable.py"]


def test_docstring_examples() -> None:
    """The examples in the public modules' docstrings run as shown."""
    import doctest

    import triage.risk
    import triage.rules

    for module in (triage, triage.rules, triage.risk, triage.risk.model, triage.risk.cohort):
        assert doctest.testmod(module).failed == 0
