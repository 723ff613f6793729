"""`triage schema report` is the contract: the validator accepts exactly what it accepts.

Valid reports are generated from the schema itself, by reading each keyword it uses
(hypothesis-jsonschema does this in general, but its release does not run on the
current hypothesis); invalid ones by changing one thing in a valid one (a value of
another type or form, a key added or removed). An independent JSON Schema validator
(jsonschema, with format checks) and `triage.validate_report` must agree on each.
"""

from __future__ import annotations

import copy
import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import triage
from triage.policytest._schemas import schema

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = schema("report")


def _ecma_pattern(validator: Any, pattern: str, instance: Any, _schema: Any) -> Any:
    # JSON Schema patterns are ECMA-262 regular expressions, in which `$` matches only at
    # the very end; Python's `re` also lets it match before a final line break.
    if isinstance(instance, str) and not re.search(re.sub(r"\$$", r"\\Z", pattern), instance):
        yield jsonschema.ValidationError(f"does not match {pattern!r}")


_Validator = jsonschema.validators.extend(
    jsonschema.Draft202012Validator, {"pattern": _ecma_pattern}
)
VALIDATOR = _Validator(SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)


def schema_accepts(instance: Any) -> bool:
    return VALIDATOR.is_valid(instance)


def triage_accepts(instance: Any) -> bool:
    try:
        triage.validate_report(instance)
    except triage.ReportError:
        return False
    return True


KNOWN_KEYWORDS = {
    "type", "enum", "anyOf", "$ref", "properties", "required", "additionalProperties",
    "propertyNames", "minLength", "maxLength", "pattern", "format", "minimum", "maximum",
    "default", "title", "description", "$defs", "items", "minItems", "maxItems",
}  # fmt: skip


def from_schema(node: dict[str, Any], root: dict[str, Any] = SCHEMA) -> st.SearchStrategy[Any]:
    """Values valid under ``node``, for the keywords pydantic's report schema uses."""
    unknown = set(node) - KNOWN_KEYWORDS
    assert not unknown, f"the generator does not know {unknown}: teach it before trusting it"
    if "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[1]
        return from_schema(root["$defs"][name], root)
    if "anyOf" in node:
        return st.one_of([from_schema(option, root) for option in node["anyOf"]])
    if "enum" in node:
        return st.sampled_from(node["enum"])
    kind = node.get("type")
    if kind == "null":
        return st.none()
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(node.get("minimum", -(10**6)), node.get("maximum", 10**6))
    if kind == "string":
        return _strings(node)
    if kind == "object":
        return _objects(node, root)
    if kind == "array":
        # Short lists keep examples small; the bound itself is checked by a list one
        # item too long in `changed_once`'s replacements and in test_report.
        low = node.get("minItems", 0)
        return st.lists(
            from_schema(node["items"], root), min_size=low, max_size=min(node.get("maxItems", 3), 3)
        )
    raise AssertionError(f"no generator for {node}")


def _strings(node: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = node.get("minLength", 0), node.get("maxLength", 40)
    if node.get("format") == "date":
        return st.dates(min_value=date(1000, 1, 1)).map(date.isoformat)
    if node.get("format") == "date-time":
        return st.datetimes(
            min_value=datetime(1900, 1, 1), timezones=st.sampled_from([UTC, CST, EST])
        ).map(lambda d: d.isoformat().replace("+00:00", "Z"))
    if "pattern" in node:
        pattern = re.sub(r"\$$", r"\\Z", node["pattern"])
        return st.from_regex(pattern).filter(lambda s: low <= len(s) <= high)
    return st.text(min_size=low, max_size=min(high, 40))


def _objects(node: dict[str, Any], root: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    properties = node.get("properties", {})
    required = set(node.get("required", ()))
    if properties:
        fixed = {k: from_schema(v, root) for k, v in properties.items() if k in required}
        optional = {k: from_schema(v, root) for k, v in properties.items() if k not in required}
        return st.fixed_dictionaries(fixed, optional=optional)
    keys = from_schema(node["propertyNames"], root) if "propertyNames" in node else st.text()
    values = from_schema(node.get("additionalProperties", {"type": "null"}), root)
    return st.dictionaries(keys, values, max_size=8)


CST, EST = timezone(timedelta(hours=8)), timezone(timedelta(hours=-5))
VALID = from_schema(SCHEMA)

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from([9.0, 30.0, -0.0, 120.0, 121.0, 2.5, 1e300]),
    st.text(max_size=30),
    st.sampled_from(
        [
            "yes",
            "no",
            "unknown",
            "Yes",
            "9",
            "",
            " ",
            "xinan:01",
            "新安街道",
            "a\nb",
            "trailing\n",
            "2026-03-02T21:15:00+08:00",
            "2026-03-02T21:15:00",
            "2026-03-02 21:15:00+08:00",
            "2026-03-02T21:15:00z",
            "2026-02-30T10:00:00Z",
            "2026-03-02T21:15:00.1234567891Z",
            "1700000000",
            "police_110",
            "domestic_violence",
            "female",
            "spouse",
            "high",
        ]
    ),
)
VALUES = st.one_of(
    SCALARS,
    st.lists(SCALARS, max_size=2),
    st.dictionaries(st.text(max_size=8), SCALARS, max_size=2),
)


def _places(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            out.extend(_places(item, (*path, key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.extend(_places(item, (*path, index)))
    return out


def _at(root: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        root = root[part]
    return root


@st.composite
def changed_once(draw: st.DrawFn) -> Any:
    """A valid report with one thing changed: often invalid, sometimes still valid."""
    report = copy.deepcopy(draw(VALID))
    path = draw(st.sampled_from(_places(report)))
    kind = draw(st.sampled_from(["replace", "add", "remove"]))
    if not path:
        return draw(VALUES) if kind == "replace" else report
    parent, last = _at(report, path[:-1]), path[-1]
    if kind == "replace":
        parent[last] = draw(VALUES)
    elif kind == "remove" and isinstance(parent, dict):
        del parent[last]
    else:
        target = _at(report, path)
        if isinstance(target, dict):
            key = draw(st.one_of(st.text(max_size=12), st.sampled_from(["age", "extra", "yes"])))
            target[key] = draw(VALUES)
    return report


PROFILE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@PROFILE
@given(VALID)
def test_every_report_the_schema_allows_is_accepted(report: Any) -> None:
    assert schema_accepts(report)
    assert triage_accepts(report), report


@PROFILE
@given(changed_once())
def test_schema_and_validator_agree_on_changed_reports(report: Any) -> None:
    assert schema_accepts(report) == triage_accepts(report), report


@pytest.mark.parametrize(
    ("change", "accepted"),
    [
        ({"indicators": {"strangulation": True}}, True),  # the schema says booleans are read
        ({"indicators": {"strangulation": None}}, True),
        ({"reported_at": 1772457300}, False),  # a number is no date-time
        ({"reported_at": "2026-03-02T21:15:00"}, False),  # no offset
        ({"reported_at": "2026-03-02 21:15:00+08:00"}, False),  # not RFC 3339
        ({"victim": {"age": "9"}}, False),
        ({"victim": {"age": 9.0}}, True),  # JSON's integer 9
        ({"location": {"street": "新安街道"}}, True),
        ({"location": {"street": "xinan:01"}}, True),
        ({"location": {"street": "新安\n"}}, False),
        ({"professional_judgement": {"by": "王社工"}}, True),
        ({"abuser": {"separated_at": "2025-11-02"}}, True),
        ({"abuser": {"separated_at": "2025-02-30"}}, False),
        ({"abuser": {"separated_at": "2025-11-02T10:00:00+08:00"}}, False),
        ({"abuser": {"separated_at": 20251102}}, False),
        ({"abuser": {"months_since_separation": 14}}, True),
    ],
)
def test_known_disagreements_are_gone(
    minimal_report: dict[str, Any], change: dict[str, Any], accepted: bool
) -> None:
    report = {**minimal_report, **change}
    assert schema_accepts(report) is accepted
    assert triage_accepts(report) is accepted


def test_the_schema_is_what_the_command_prints() -> None:
    import json

    from click.testing import CliRunner

    from triage.cli import cli

    printed = CliRunner().invoke(cli, ["schema", "report"]).stdout
    assert json.loads(printed) == SCHEMA
