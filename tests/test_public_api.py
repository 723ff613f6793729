"""The public surface: everything in __all__ imports, nothing private leaks."""

from __future__ import annotations

import importlib

import pytest

import triage

PUBLIC_MODULES = [
    "triage",
    "triage.vocab",
    "triage.report",
    "triage.risk",
    "triage.risk.cohort",
    "triage.risk.model",
    "triage.rules",
    "triage.routing",
    "triage.decision",
    "triage.explanation",
    "triage.batch",
    "triage.policytest",
    "triage.cli",
]


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_all_names_import(module: str) -> None:
    """Each name in a public module's __all__ exists."""
    mod = importlib.import_module(module)
    for name in getattr(mod, "__all__", ()):
        assert hasattr(mod, name), f"{module}.{name}"


@pytest.mark.parametrize("module", PUBLIC_MODULES)
def test_nothing_private_leaks_from_all(module: str) -> None:
    """__all__ lists no private name, and every module has one."""
    mod = importlib.import_module(module)
    names = getattr(mod, "__all__", None)
    assert names is not None, f"{module} has no __all__"
    leaked = [n for n in names if n.startswith("_") and n != "__version__"]
    assert leaked == []


def test_the_types_a_decision_holds_are_exported() -> None:
    """Every model type that appears in Decision's fields can be imported from triage."""
    import typing

    seen: set[type] = set()

    def walk(annotation: object) -> None:
        for arg in typing.get_args(annotation):
            walk(arg)
        if isinstance(annotation, type) and hasattr(annotation, "model_fields"):
            if annotation in seen:
                return
            seen.add(annotation)
            for field in annotation.model_fields.values():
                walk(field.annotation)

    walk(triage.Decision)
    missing = sorted(t.__name__ for t in seen if getattr(triage, t.__name__, None) is not t)
    allowed = {  # instrument results live in triage.risk, with the instruments
        "DangerAssessmentResult",
        "DashResult",
        "LethalityScreenResult",
        "OdaraResult",
    }
    assert [m for m in missing if m not in allowed] == []


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
