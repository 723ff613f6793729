"""Decisions: reproducible byte for byte, round-trippable, explainable, and private."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import triage
from triage import Decision, explain

from .conftest import ROOT, example_reports

MARK = "ZZSECRETZZ"


def clock() -> datetime:
    return datetime(2026, 11, 29, tzinfo=UTC)


@pytest.mark.parametrize(("name", "report"), example_reports())
def test_same_input_same_bytes(name: str, report: dict[str, Any]) -> None:
    """Two separately built pipelines give byte-identical JSON for the same report."""
    a = triage.Triage(clock=clock).assess(report).to_json()
    b = triage.Triage(clock=clock).assess(report).to_json()
    assert a == b


def test_only_decided_at_varies() -> None:
    report = example_reports()[0][1]
    a = json.loads(triage.assess(report).to_json())
    b = json.loads(triage.assess(report).to_json())
    a.pop("decided_at"), b.pop("decided_at")
    assert a == b


@pytest.mark.parametrize(("name", "report"), example_reports())
def test_json_round_trip(name: str, report: dict[str, Any]) -> None:
    """A decision survives JSON unchanged."""
    d = triage.assess(report)
    again = Decision.model_validate_json(d.to_json())
    assert again == d
    assert again.to_json() == d.to_json()


def test_built_decisions_are_what_validation_would_make() -> None:
    """Decisions are assembled without validating the library's own parts again; each
    is exactly the object validating its own dump gives (same types, same values), and
    serialises without a warning."""
    import warnings

    from triage.risk import cohort

    from .strategies import random_reports

    t = triage.Triage()
    reports = random_reports(200, seed=3) + cohort.generate(200, seed=4).reports
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for report in reports:
            decision = t.assess(report)
            assert Decision.model_validate(decision.model_dump()) == decision
            assert Decision.model_validate_json(decision.to_json()).to_json() == decision.to_json()


def test_case_records_are_what_validation_would_make() -> None:
    """The same for decisions made with a history: holds, contradictions, answers that
    changed and handovers are built, not validated, and equal their validated dump."""
    from .strategies import random_reports

    t = triage.Triage()
    reports = random_reports(240, seed=21)
    seen = {"held": 0, "contradictions": 0, "changed_since": 0, "handover": 0}
    for c in range(40):
        case = [
            dict(r, case_id=f"C{c}", id=f"C{c}-{k}",
                 reported_at=f"2026-0{1 + k}-{1 + 5 * k:02d}T10:00:00+08:00")
            for k, r in enumerate(reports[c * 6 : (c + 1) * 6])
        ]  # fmt: skip
        for decision in t.replay(case)[1:]:
            assert decision.case is not None
            for key in seen:
                seen[key] += bool(getattr(decision.case, key))
            assert Decision.model_validate(decision.model_dump()) == decision
            assert Decision.model_validate_json(decision.to_json()).to_json() == decision.to_json()
    assert all(seen.values()), seen  # every part of a case record was built at least once


def test_a_clock_that_gives_no_datetime_is_refused() -> None:
    t = triage.Triage(clock=lambda: "yesterday", model=None)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValueError):
        t.assess(example_reports()[0][1])


def test_decision_names_policy_and_version() -> None:
    d = triage.assess(example_reports()[0][1])
    data = (ROOT / "triage" / "rules" / "default" / "policy.yaml").read_bytes()
    assert d.policy.sha256 == hashlib.sha256(data).hexdigest()
    assert d.library_version == triage.__version__


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_explain(lang: str) -> None:
    """The explanation names every fired rule and the policy, in the chosen language."""
    d = triage.assess(example_reports()[0][1])
    text = explain(d, lang)
    for entry in d.trace:
        assert f"[{entry.rule}]" in text
        assert entry.description.get(lang) in text
    assert d.policy.sha256 in text
    assert ("风险等级" in text) == (lang == "zh")


def test_narrative_never_in_the_decision() -> None:
    """Nothing the narrative says reaches the decision, its trace or its explanation."""
    report = dict(example_reports()[0][1], narrative=f"{MARK} 秘密")
    d = triage.assess(report)
    assert MARK not in d.to_json() + explain(d, "zh") + explain(d, "en") + repr(d)


def test_decision_is_frozen() -> None:
    d = triage.assess(example_reports()[0][1])
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen error
        d.risk_level = "standard"  # type: ignore[misc]


def test_schema_of_decision() -> None:
    schema = Decision.model_json_schema(mode="serialization")
    assert {"risk_level", "priority", "flags", "trace", "policy"} <= set(schema["properties"])
    assert Path  # keeps the import used for type checkers


def test_assess_with_a_policy_path_compiles_it_once(tmp_path: Path) -> None:
    from triage import _pipeline
    from triage.rules import _policy

    source = (ROOT / "examples" / "policies" / "england_marac.yaml").read_bytes()
    path = tmp_path / "policy.yaml"
    path.write_bytes(source)
    report = {
        "id": "E-1",
        "reported_at": "2026-03-02T21:15:00+00:00",
        "source": "police_110",
        "case_type": "domestic_violence",
    }
    built: list[str] = []
    real = _policy.Policy.__init__

    def counting(self: Any, compiled: Any) -> None:
        built.append(compiled.sha256)
        real(self, compiled)

    _pipeline._PIPELINES.clear()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_policy.Policy, "__init__", counting)
        first = [triage.assess(report, policy=path) for _ in range(3)]
        assert len(built) == 1
        path.write_bytes(source + b"\n# edited\n")  # a changed file is a new policy
        second = triage.assess(report, policy=path)
    assert len(built) == 2
    assert second.policy.sha256 != first[0].policy.sha256


class TestNoUnknownIsACause:
    """An unknown or missing value is shown as unknown, never as a reason."""

    def decide(self) -> Decision:
        return triage.assess(
            {
                "id": "U-1",
                "reported_at": "2026-03-02T21:15:00+08:00",
                "source": "police_110",
                "case_type": "domestic_violence",
                "abuser": {"relationship": "spouse"},
                "indicators": {"strangulation": "yes", "threat_to_kill": "unknown"},
            }
        )

    def test_because_holds_only_known_values_that_made_the_rule_fire(self) -> None:
        d = self.decide()
        for entry in d.trace:
            assert set(entry.because) <= set(entry.read)
            assert all(entry.read[n] not in (None, "unknown") for n in entry.because)
        contraindicated = next(e for e in d.trace if e.rule == "mediation_contraindicated")
        assert contraindicated.because  # one satisfied branch: the level, or strangulation
        assert contraindicated.read["indicators.threat_to_kill"] == "unknown"
        assert "indicators.threat_to_kill" not in contraindicated.because

    @pytest.mark.parametrize(("lang", "unknown"), [("en", "= unknown"), ("zh", "= 不详")])
    def test_the_text_never_gives_an_unknown_as_a_reason(self, lang: str, unknown: str) -> None:
        text = explain(self.decide(), lang)
        because = "because" if lang == "en" else "因为"
        for line in text.splitlines():
            if line.strip().startswith(because):
                assert unknown not in line

    def test_model_factors_are_answered_items(self) -> None:
        d = self.decide()
        assert d.model is not None and d.model.top_factors
        answered = {"indicators.strangulation", "indicators.physical_violence", "source"}
        assert {name for name, _ in d.model.top_factors} <= answered | {
            "case_type",
            "abuser.relationship",
        }


def _table(lang: str | None, **parts: Any) -> tuple[triage.Decision, str]:
    """A decision on a plain 110 report (with ``parts``) and its table as text."""
    from io import StringIO

    from rich.console import Console

    from triage.explanation import print_decisions

    d = triage.assess(
        {
            "id": "T-9",
            "reported_at": "2026-03-02T21:15:00+08:00",
            "source": "police_110",
            "case_type": "domestic_violence",
            **parts,
        }
    )
    out = StringIO()
    print_decisions([d], lang, Console(file=out, width=400, color_system=None))
    return d, out.getvalue()


def test_chinese_tables_give_instrument_levels_in_words() -> None:
    _, text = _table("zh")
    assert "风险不定" in text and "variable" not in text


def test_bilingual_tables_give_instrument_levels_and_bands_in_both_languages() -> None:
    """No bare codes: a bilingual table has the words in Chinese and in English."""
    from triage.explanation._catalogue import say

    d, text = _table(None, indicators={"strangulation": "yes"})
    assert "风险不定" in text and "variable danger" in text
    assert "not_screened_in" not in text and "variable→" not in text
    band = d.model.band
    assert say(f"band_{band}", "zh") in text and say(f"band_{band}", "en") in text


def test_trace_entries_are_shared_only_as_what_nobody_can_change() -> None:
    """Decisions share a trace entry built before for the same rule, values and changes,
    so the facts an entry read refuse changes; copies and pickles are plain dicts, and
    the JSON is that of a plain dict."""
    import copy
    import pickle

    from triage.risk import cohort

    t = triage.Triage()
    decisions = [t.assess(r) for r in cohort.generate(60, seed=61).reports]
    entries = [e for d in decisions for e in d.trace]
    assert len({id(e) for e in entries}) < len(entries)  # some are shared
    read = entries[0].read
    for change in (
        lambda: read.__setitem__("x", 1),
        lambda: read.update(x=1),
        lambda: read.pop(next(iter(read))),
        lambda: read.clear(),
        lambda: read.setdefault("x", 1),
    ):
        with pytest.raises(TypeError):
            change()
    assert type(copy.deepcopy(read)) is dict and copy.deepcopy(read) == read
    assert type(pickle.loads(pickle.dumps(read))) is dict
    d = decisions[0]
    assert Decision.model_validate_json(d.to_json()).to_json() == d.to_json()
    assert pickle.loads(pickle.dumps(d)) == d


def test_a_trace_entry_given_again_has_the_types_it_read() -> None:
    """1 and 1.0 are equal as keys but written differently: an entry built for a rule
    that read an integer is not given again for the same number read as a float."""
    from triage.risk import cohort

    t = triage.Triage()
    policy, evaluator = t._active
    for r in cohort.generate(200, seed=62).reports:
        world = t._run(r).world
        assert world is not None
        numeric = [
            (i, name)
            for i in world.fired
            for name in sorted(evaluator._rules[i].reads)
            if type(world.values[policy.strata[i]][name]) is int
        ]
        if numeric:
            break
    index, name = numeric[0]
    rule = evaluator._rules[index].id
    first = {e.rule: e for e in evaluator.trace(world)}[rule]
    stratum = policy.strata[index]
    world.values[stratum] = {**world.values[stratum], name: float(first.read[name])}
    world.entries = None  # the trace the run made is of the values as they were
    again = {e.rule: e for e in evaluator.trace(world)}[rule]
    assert type(first.read[name]) is int and type(again.read[name]) is float
    assert first.model_dump_json() != again.model_dump_json()


def test_the_trace_made_as_strata_end_is_the_trace_of_the_finished_world() -> None:
    """A recorded run makes the trace as each stratum ends; entry for entry, it is the
    trace built afresh from the finished world, with the model's factors; asked with
    other factors, the trace is built for those."""
    from triage.risk import cohort

    t = triage.Triage()
    evaluator = t._active[1]
    for r in cohort.generate(150, seed=65).reports:
        run = t._run(r)
        world = run.world
        assert world is not None and run.estimate is not None
        factors = run.estimate.top_factors
        made = evaluator.trace(world, factors)
        assert world.entries is not None and made == tuple(world.entries)
        assert [e.rule for e in made] == [evaluator._rules[i].id for i in world.fired]
        world.entries = None
        evaluator._tracer._entries.clear()  # nothing given again: every entry built anew
        assert evaluator.trace(world, factors) == made
        without = evaluator.trace(world, ())
        assert all(not e.model_factors for e in without)
        assert [e.rule for e in without] == [e.rule for e in made]


def test_kept_trace_entries_and_gaps_stay_bounded_and_change_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Small tables of kept trace entries and information gaps forget their oldest and
    stay within bounds; the decisions are those of a pipeline that keeps many."""
    from triage.risk import cohort
    from triage.rules import _gaps, _trace

    def clock() -> datetime:
        return datetime(2026, 12, 1, tzinfo=UTC)

    reports = cohort.generate(80, seed=63).reports
    many = [triage.Triage(clock=clock).assess(r).to_json() for r in reports]
    monkeypatch.setattr(_trace, "TRACE_ENTRIES_KEPT", 16)
    monkeypatch.setattr(_gaps, "GAPS_KEPT", 8)
    t = triage.Triage(clock=clock)
    assert [t.assess(r).to_json() for r in reports] == many
    assert 0 < len(t._active[1]._tracer._entries) <= 16
    assert 0 < len(t._active[1]._gap_search._gaps) <= 8


def test_json_spliced_from_shared_parts_is_the_whole_decision_serialised(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`to_json` writes each trace entry and gap once and splices it in: the bytes are
    those of serialising the whole decision (as text and as UTF-8), for decisions alone,
    with a case, read back from JSON (nothing shared) and decided when the engine failed,
    also while its small table of written parts forgets the oldest."""
    from triage import decision as d
    from triage.risk import cohort

    monkeypatch.setattr(d, "FRAGMENTS_KEPT", 32)
    t = triage.Triage(on_error="escalate")
    reports = cohort.generate(120, seed=64).reports
    decisions = [t.assess(r) for r in reports[:60]]
    case = [
        dict(r, case_id="K1", id=f"K1-{k}", reported_at=f"2026-01-{1 + k:02d}T10:00:00+08:00")
        for k, r in enumerate(reports[60:66])
    ]
    decisions += t.replay(case)
    decisions += [Decision.model_validate_json(x.to_json()) for x in decisions[:20]]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise triage.EngineError("the engine is down")

    monkeypatch.setattr(t._active[1], "_matched", broken)
    decisions += [t.assess(r) for r in reports[100:103]]
    assert {x.status for x in decisions} == {"ok", "engine_error"}
    assert any(x.case is not None for x in decisions)
    for x in decisions:
        whole = x.model_dump_json(exclude=None if x.case else {"case"})
        assert x.to_json() == whole
        assert x.to_json_bytes() == whole.encode("utf-8")
        assert json.loads(x.to_json(indent=2)) == json.loads(whole)
    assert len(d._FRAGMENTS) <= 32
