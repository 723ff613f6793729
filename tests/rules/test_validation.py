"""Broken rule files: every problem found at once, located, with a suggestion where one helps."""

from __future__ import annotations

import textwrap

import pytest

from triage import RuleFileError
from triage.rules import load_policy

HEAD = """\
policy:
  id: test
  version: "1"
  jurisdiction: test
  effective_from: 2026-01-01
rules:
"""


def rule(when: str, then: str = "{level: high}", rid: str = "r1") -> str:
    return (
        f"  - id: {rid}\n"
        "    description: {zh: 测试, en: test}\n"
        f"    when: {when}\n"
        f"    then: {then}\n"
    )


def problems(text: str) -> list[tuple[int | None, int | None, str, str, str | None]]:
    with pytest.raises(RuleFileError) as info:
        load_policy(text.encode())
    return [(p.line, p.col, p.code, p.en, p.suggestion) for p in info.value.problems]


# (id, file text, [(line, col, code, message fragment, suggestion)])
CASES: list[tuple[str, str, list[tuple[int | None, int | None, str, str, str | None]]]] = [
    (
        "misspelt indicator",
        HEAD + rule("{indicators.strangulaton: yes}"),
        [
            (
                9,
                12,
                "unknown-fact",
                "unknown fact 'indicators.strangulaton'",
                "indicators.strangulation",
            )
        ],
    ),
    (
        "misspelt field",
        HEAD + rule("{victim.agee: {'<': 18}}"),
        [(9, 12, "unknown-fact", "unknown fact 'victim.agee'", "victim.age")],
    ),
    (
        "bare indicator name",
        HEAD + rule("{strangulation: yes}"),
        [(9, 12, "unknown-fact", "unknown fact 'strangulation'", "indicators.strangulation")],
    ),
    (
        "unknown operator",
        HEAD + rule("{victim.age: {'=>': 18}}"),
        [(9, 25, "unknown-operator", "unknown operator '=>'", ">=")],
    ),
    (
        "unknown flag",
        HEAD + rule("{indicators.stalking: yes}", "{flags: [protection_ordr]}"),
        [(10, 20, "unknown-code", "not one of the allowed codes", "protection_order")],
    ),
    (
        "unknown level",
        HEAD + rule("{indicators.stalking: yes}", "{level: hgh}"),
        [(10, 19, "unknown-code", "not one of the allowed codes", "high")],
    ),
    (
        "unknown priority",
        HEAD + rule("{indicators.stalking: yes}", "{priority: P5}"),
        [(10, 22, "unknown-code", "not one of the allowed codes", None)],
    ),
    (
        "number for yes/no",
        HEAD + rule("{indicators.strangulation: 3}"),
        [
            (
                9,
                38,
                "type-mismatch",
                "indicators.strangulation takes yes, no or unknown, not a number",
                None,
            )
        ],
    ),
    (
        "yes/no for number",
        HEAD + rule("{victim.age: yes}"),
        [(9, 24, "type-mismatch", "victim.age takes a whole number, not yes/no", None)],
    ),
    (
        "order on unordered codes",
        HEAD + rule("{source: {'>': school}}"),
        [(9, 21, "bad-operator", "source has no order", None)],
    ),
    (
        "exists on a fact always present",
        HEAD + rule("{indicators.stalking: {exists: true}}"),
        [(9, 34, "bad-operator", "indicators.stalking is always present", None)],
    ),
    (
        "empty in-list",
        HEAD + rule("{source: {in: []}}"),
        [(9, 25, "type-mismatch", "in takes a non-empty list", None)],
    ),
    (
        "in without a list",
        HEAD + rule("{source: {in: school}}"),
        [(9, 25, "type-mismatch", "in takes a non-empty list", None)],
    ),
    (
        "unknown code value",
        HEAD + rule("{case_type: domestic}"),
        [(9, 23, "unknown-value", "'domestic' is not a value of case_type", "domestic_violence")],
    ),
    (
        "level of another instrument",
        HEAD + rule("{instruments.dash.level: severe}"),
        [(9, 36, "unknown-value", "'severe' is not a value of instruments.dash.level", None)],
    ),
    (
        "unknown flag fact",
        HEAD + rule("{flags.shelterr: true}"),
        [(9, 12, "unknown-fact", "unknown fact 'flags.shelterr'", "flags.shelter")],
    ),
    (
        "misspelt combinator",
        HEAD + rule("{anyy: [{indicators.stalking: yes}]}"),
        [(9, 12, "unknown-fact", "unknown fact 'anyy'", "any")],
    ),
    (
        "not given a list",
        HEAD + rule("{not: [{indicators.stalking: yes}]}"),
        [(9, 17, "bad-condition", "a condition is a mapping", None)],
    ),
    (
        "duplicate rule id",
        HEAD + rule("{indicators.stalking: yes}") + rule("{indicators.threat_to_kill: yes}"),
        [(11, 9, "duplicate-rule-id", "duplicate rule id 'r1' (first at line 7)", None)],
    ),
    (
        "contradicting ages",
        HEAD + rule("{victim.age: {'<': 10, '>': 20}}"),
        [(9, 11, "never-fires", "can never fire", None)],
    ),
    (
        "yes and no at once",
        HEAD + rule("{all: [{indicators.stalking: yes}, {indicators.stalking: no}]}"),
        [(9, 11, "never-fires", "can never fire", None)],
    ),
    (
        "negated certainty",
        HEAD + rule("{not: {indicators.stalking: [yes, no, unknown]}}"),
        [(9, 11, "never-fires", "can never fire", None)],
    ),
    (
        "whole number equal to a fraction",
        HEAD + rule("{children.count: 2.5}"),
        [(9, 11, "never-fires", "can never fire", None)],
    ),
    (
        "rule without effect",
        HEAD + rule("{indicators.stalking: yes}", "{}"),
        [(10, 11, "no-effect", "the rule changes nothing", None)],
    ),
    (
        "missing when",
        HEAD + "  - id: r1\n    description: {zh: a, en: b}\n    then: {level: high}\n",
        [(7, 5, "missing", "required field is missing", None)],
    ),
    (
        "missing Chinese description in a Chinese policy",
        HEAD + rule("{indicators.stalking: yes}").replace("{zh: 测试, en: test}", "{en: test}"),
        [(8, 18, "missing-translation", "no zh text for rules.r1.description", None)],
    ),
    (
        "missing English description in an English policy",
        HEAD.replace("  jurisdiction:", "  language: en\n  jurisdiction:")
        + rule("{indicators.stalking: yes}").replace("{zh: 测试, en: test}", "{zh: 测试}"),
        [(9, 18, "missing-translation", "no en text for rules.r1.description", None)],
    ),
    (
        "a description in neither language",
        HEAD + rule("{indicators.stalking: yes}").replace("{zh: 测试, en: test}", "{}"),
        [(8, 18, "invalid", "give the text in zh or en", None)],
    ),
    (
        "a flag the policy does not declare",
        HEAD + rule("{flags.lap_protocol: true}", "{priority: P2}"),
        [(9, 12, "unknown-fact", "unknown fact 'flags.lap_protocol'", None)],
    ),
    (
        "a source the policy does not declare",
        HEAD + rule("{source: [police_110, call_911]}", "{priority: P2}"),
        [(9, 33, "unknown-value", "'call_911' is not a source", None)],
    ),
    (
        "the policy's own flag with a standard code",
        HEAD.replace("rules:", "flags:\n  shelter: {zh: 庇护, en: shelter}\nrules:")
        + rule("{indicators.stalking: yes}"),
        [(7, 3, "duplicate-code", "'shelter' is already a standard one", None)],
    ),
    (
        "misspelt rule key",
        HEAD + rule("{indicators.stalking: yes}").replace("    then:", "    thn:"),
        [
            (7, 5, "missing", "required field is missing", None),
            (10, 5, "unknown-field", "unknown field", "then"),
        ],
    ),
    (
        "misspelt policy key",
        HEAD.replace("  jurisdiction:", "  timezon: Asia/Shanghai\n  jurisdiction:")
        + rule("{indicators.stalking: yes}"),
        [(4, 3, "unknown-field", "unknown field", "timezone")],
    ),
    (
        "unknown time zone",
        HEAD.replace("  jurisdiction:", "  timezone: Asia/Shanghia\n  jurisdiction:")
        + rule("{indicators.stalking: yes}"),
        [(4, 13, "invalid", "unknown IANA time zone", None)],
    ),
    (
        "missing policy id",
        HEAD.replace("  id: test\n", "") + rule("{indicators.stalking: yes}"),
        [(2, 3, "missing", "required field is missing", None)],
    ),
    (
        "rule reads its own outcome",
        HEAD + rule("{decision.level: high}", "{level: extreme}"),
        [(9, 11, "cycle", "depends on its own outcome", None)],
    ),
    (
        "two rules in a loop",
        HEAD
        + rule("{flags.shelter: true}", "{flags: [counselling]}", "a")
        + rule("{flags.counselling: true}", "{flags: [shelter]}", "b"),
        [
            (9, 11, "cycle", "rule 'a' depends on its own outcome", None),
            (13, 11, "cycle", "rule 'b' depends on its own outcome", None),
        ],
    ),
    ("no rules", HEAD.replace("rules:\n", "rules: []\n"), [(6, 8, "invalid", "", None)]),
    (
        "YAML syntax error",
        HEAD + "  - id: r1\n    when: {indicators.stalking: yes\n",
        [(9, 1, "yaml-syntax", "invalid YAML", None)],
    ),
    (
        "YAML tag",
        HEAD + rule("!!python/object/apply:os.system ['true']"),
        [(9, 11, "yaml-tag", "YAML tags are not allowed", None)],
    ),
    (
        "duplicate key",
        HEAD + rule("{indicators.stalking: yes, indicators.stalking: no}"),
        [(9, 38, "duplicate-key", "duplicate key 'indicators.stalking'", None)],
    ),
]


@pytest.mark.parametrize(("name", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_broken_rule_file(
    name: str, text: str, expected: list[tuple[int, int, str, str, str | None]]
) -> None:
    """Each broken file gives exactly the expected problems, at the expected places."""
    got = problems(text)
    assert len(got) == len(expected), got
    for (line, col, code, en, hint), (eline, ecol, ecode, efrag, ehint) in zip(
        got, expected, strict=True
    ):
        assert (line, col, code) == (eline, ecol, ecode), got
        assert efrag in en, (en, efrag)
        assert hint == ehint


def test_every_problem_at_once() -> None:
    """Problems from different rules and sections are reported together, in file order."""
    text = (
        HEAD.replace("  jurisdiction:", "  timezon: x\n  jurisdiction:")
        + rule("{indicators.strangulaton: yes}", "{level: hgh}", "a")
        + rule("{victim.age: yes}", "{flags: [shelterr]}", "b")
    )
    got = problems(text)
    assert [(line, code) for line, _, code, _, _ in got] == [
        (4, "unknown-field"),
        (10, "unknown-fact"),
        (11, "unknown-code"),
        (14, "type-mismatch"),
        (15, "unknown-code"),
    ]


def test_message_format() -> None:
    """`str()` lists each problem as file:line:col: message — did you mean …."""
    with pytest.raises(RuleFileError) as info:
        load_policy(textwrap.dedent(HEAD + rule("{indicators.strangulaton: yes}")).encode())
    assert (
        "<policy>:9:12: unknown fact 'indicators.strangulaton' — did you mean "
        "'indicators.strangulation'?" in str(info.value)
    )


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (
            b"a: &a [x,x,x,x,x,x,x,x,x,x]\n"
            + b"".join(
                f"{chr(98 + i)}: &{chr(98 + i)} [{','.join(['*' + chr(97 + i)] * 10)}]\n".encode()
                for i in range(6)
            ),
            "yaml-too-large",
        ),
        (b"x: " + b"[" * 200 + b"]" * 200, "yaml-too-deep"),
        (b"a: 1\n" * 10 + b"\xff\xfe", "encoding"),
        (b"", "empty"),
        (b"# only a comment\n", "empty"),
        (b" " * (3 << 20), "too-large"),
        (b"a: &a [*a]", "yaml-alias"),
        (b"--- {a: 1}\n--- {b: 2}\n", "yaml-documents"),
    ],
    ids=[
        "billion-laughs",
        "deep",
        "utf8",
        "empty",
        "comment-only",
        "huge",
        "recursive",
        "two-docs",
    ],
)
def test_hostile_yaml(data: bytes, code: str) -> None:
    """Hostile YAML is refused quickly with a typed error and a stable code."""
    with pytest.raises(RuleFileError) as info:
        load_policy(data)
    assert info.value.problems[0].code == code


def test_huge_file_on_disk_is_not_read(tmp_path: object) -> None:
    """A 100 MB file is refused after reading only its first megabytes."""
    from pathlib import Path

    path = Path(str(tmp_path)) / "huge.yaml"
    with path.open("wb") as fh:
        fh.truncate(100 << 20)
    with pytest.raises(RuleFileError) as info:
        load_policy(path)
    assert info.value.problems[0].code == "too-large"


@pytest.mark.parametrize(
    ("when", "refused"),
    [
        ('{model.probability: {">=": 0.3}}', False),
        ('{model.probability: {">": 0.2}}', False),
        ("{model.band: very_high}", False),
        ('{model.band: {">=": high}}', False),
        ("{model.band: [high, very_high]}", False),
        ('{model.probability: {"<": 0.3}}', True),
        ("{model.band: low}", True),
        ("{model.band: [low, very_high]}", True),
        ("{not: {model.band: very_high}}", True),
        ("{model.probability: {exists: false}}", True),
        ('{any: [{indicators.strangulation: yes}, {model.probability: {"<=": 0.1}}]}', True),
    ],
)
def test_rules_may_read_the_model_only_as_at_least(when: str, refused: bool) -> None:
    """A model test that could fire without a model, or for a lower estimate and not a
    higher one, would let the model lower a decision: refused where it is written."""
    text = HEAD + rule(when)
    if not refused:
        load_policy(text.encode())
        return
    found = problems(text)
    assert [(p[0], p[2]) for p in found] == [(9, "model-may-lower")]  # the `when` line


def test_a_policy_in_one_language_names_each_missing_translation() -> None:
    """A policy need carry only its own language; a text missing in the other reads as a
    marker that names its key, and the policy says how many there are."""
    text = HEAD.replace("rules:", "flags:\n  lap_protocol: {zh: 致命性评估程序}\nrules:") + rule(
        "{indicators.stalking: yes}", "{level: high, flags: [lap_protocol]}"
    ).replace("{zh: 测试, en: test}", "{zh: 测试}")
    policy = load_policy(text.encode())
    assert policy.rules[0].description == {"zh": "测试", "en": "⟨missing en: rules.r1.description⟩"}
    assert policy.own_labels["lap_protocol"].en == "⟨missing en: flags.lap_protocol⟩"
    notices = {code: en for code, _, en in policy.notices()}
    assert "2 texts have no en version" in notices["no-en-text"]
    assert "lap_protocol" in policy.flags
