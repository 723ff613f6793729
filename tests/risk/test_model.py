"""The risk model: training, exact direct scoring, safe files, and only ever raising."""

from __future__ import annotations

import io
import json
import pickle
import warnings
import zipfile
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import pytest
import skops.io as sio
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

import triage
from triage import ModelError, explain
from triage.cli import cli
from triage.report._normalise import normalise
from triage.risk import cohort
from triage.risk._estimators import MonotoneLogisticRegression, PlattCalibrated
from triage.risk.model import _model as m
from triage.vocab import INDICATORS, LEVELS, PRIORITIES

from ..strategies import random_reports, reports


@pytest.fixture(scope="module", name="data")
def _data() -> cohort.Cohort:
    return cohort.generate(6000, seed=3)


@pytest.fixture(scope="module", name="models")
def _models(data: cohort.Cohort) -> dict[str, m.RiskModel]:
    return {
        kind: m.train(
            data.reports, data.outcomes, kinds=(kind,), holdout=0.25, seed=3, synthetic=True
        )
        for kind in ("logistic", "boosted")
    }


@pytest.mark.parametrize("kind", ["logistic", "boosted"])
def test_direct_scoring_equals_predict_proba(models: dict[str, m.RiskModel], kind: str) -> None:
    """The per-report scorer computes exactly the fitted model's function."""
    model = models[kind]
    sample = [
        triage.validate_report(r)
        for r in [*cohort.generate(2500, seed=8).reports, *random_reports(1500, seed=8)]
    ]
    expected = model.predict_proba(sample)
    direct = np.array([model.predict(r).probability for r in sample])
    assert np.max(np.abs(direct - expected)) < 1e-9


def test_both_worlds_in_one_pass_are_each_world_alone(models: dict[str, m.RiskModel]) -> None:
    """The row as given and maxed read together (as `predict` reads them) are the rows
    read one at a time (as training reads them)."""
    features = models["logistic"].features
    for r in [*cohort.generate(500, seed=12).reports, *random_reports(500, seed=12)]:
        valid = triage.validate_report(r)
        answers = normalise(valid)
        assert features.active_pair(valid, answers) == (
            features.active(valid, answers),
            features.active(valid, answers, maxed=True),
        )


@pytest.mark.parametrize("kind", ["logistic", "boosted"])
def test_contributions_add_up_to_the_estimate(models: dict[str, m.RiskModel], kind: str) -> None:
    """The factors' shares plus the model's starting point give exactly its log-odds."""
    model = models[kind]
    sc: Any = model._scorer
    if kind == "logistic":
        start = sc.a * sc.intercept + sc.b
    else:
        start = sc.a * (sc.baseline + float(sc.mean[sc.roots].sum())) + sc.b
    for report in random_reports(300, seed=12):
        valid = triage.validate_report(report)
        logit, by_factor = sc.explain(model.features.active(valid))
        assert logit == pytest.approx(start + float(sum(by_factor)), abs=1e-9)
        top = model.predict(valid).top_factors
        assert [v for _, v in top] == sorted((v for _, v in top), reverse=True)
        assert all(v > 0 for _, v in top)


def test_selection_keeps_the_simpler_model_within_one_standard_error(
    data: cohort.Cohort,
) -> None:
    both = m.train(data.reports[:3000], data.outcomes[:3000], holdout=0.0, seed=1)
    sel = both.meta["candidates"]
    chosen = sel["chosen"]
    best = sel[chosen["best"]]["cv_log_loss"]
    assert sel[both.kind]["cv_log_loss"] <= best + chosen["one_standard_error"]
    if both.kind == "boosted":  # only when the logistic model is clearly worse
        assert sel["logistic"]["cv_log_loss"] > best + chosen["one_standard_error"]


def test_round_trip_and_card(models: dict[str, m.RiskModel], tmp_path: Path) -> None:
    from triage.risk.model._card import write_card

    model = models["logistic"]
    path = tmp_path / "risk.skops"
    assert m.save(model, path) == model.sha256
    md, js = write_card(model, path)
    again = m.load(path, sha256=model.sha256)
    assert again.sha256 == model.sha256 and path.read_bytes() == model.to_bytes()
    reps = [triage.validate_report(r) for r in cohort.generate(200, seed=4).reports]
    assert np.array_equal(again.predict_proba(reps), model.predict_proba(reps))
    card = json.loads(js.read_text("utf-8"))
    assert card["model"]["sha256"] == model.sha256 and card["synthetic"] is True
    ev = card["evaluation"]
    assert 0.6 < ev["overall"]["auc"] < 0.85
    assert set(ev["instruments"]) == {
        "danger_assessment",
        "dash",
        "lethality_screen",
        "odara",
        "model",
    }
    assert set(ev["subgroups"]) == set(m.SUBGROUPS)
    text = md.read_text("utf-8")
    assert model.sha256 in text and "not validated for use on real people" in text


def test_same_data_same_bytes(data: cohort.Cohort) -> None:
    """Training is reproducible and files are canonical: same seed, same sha256."""
    a = m.train(data.reports[:2000], data.outcomes[:2000], kinds=("logistic",), seed=2)
    b = m.train(data.reports[:2000], data.outcomes[:2000], kinds=("logistic",), seed=2)
    assert a.sha256 == b.sha256


def test_evaluate_metrics_are_consistent(models: dict[str, m.RiskModel]) -> None:
    held = cohort.generate(3000, seed=21)
    result = m.evaluate(
        models["logistic"], held.reports, held.outcomes, thresholds=[("custom", 0.2)]
    )
    o = result.overall
    lo, hi = o["auc_ci"]
    assert lo < o["auc"] < hi
    assert o["positives"] == int(held.outcomes.sum())
    at = o["at"]["custom"]
    flagged = result.p >= 0.2
    assert at["flagged"] == int(flagged.sum())
    tp = int((flagged & (result.y == 1)).sum())
    assert at["sensitivity"] == pytest.approx(tp / result.y.sum())
    assert at["ppv"] == pytest.approx(tp / flagged.sum())


def test_plots(
    models: dict[str, m.RiskModel], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each plot names n, the model's sha256 and the synthetic notice; the calibration
    axes hold every point plotted."""
    pytest.importorskip("matplotlib")
    from matplotlib.figure import Figure

    held = cohort.generate(1500, seed=22)
    evaluation = m.evaluate(models["logistic"], held.reports, held.outcomes)
    seen: list[Figure] = []
    real = Figure.savefig

    def keep(self: Figure, *args: Any, **kwargs: Any) -> Any:
        seen.append(self)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    written = m.plots(evaluation, tmp_path, models["logistic"])
    assert [p.name for p in written] == ["roc.png", "calibration.png"]
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in written)
    for figure in seen:
        words = " ".join(t.get_text() for t in figure.texts)
        assert "n = 1500" in words and models["logistic"].sha256 in words
        assert "SYNTHETIC" in words
    (ax,) = seen[1].axes
    assert "n = 1500" in ax.get_title()
    for line in ax.get_lines()[:1]:  # the model's deciles
        xs, ys = line.get_data()
        assert max(xs) <= ax.get_xlim()[1] and max(ys) <= ax.get_ylim()[1]


def test_subgroups_compared_are_those_the_minimum_admits(models: dict[str, m.RiskModel]) -> None:
    held = cohort.generate(1500, seed=23)
    result = m.evaluate(models["logistic"], held.reports, held.outcomes).as_dict()
    least = result["subgroup_minimum"]
    for dim, groups in result["subgroups"].items():
        compared = 0
        for g in groups.values():
            big = g["n"] >= least["reports"]
            both = least["each_outcome"] <= g["positives"] <= g["n"] - least["each_outcome"]
            assert g["compared"] == (big and both)
            compared += g["compared"]
        assert result["gaps"][dim]["groups_compared"] == compared


class Smuggled:
    """A type no model file may carry."""


class TestRefusal:
    def write(self, tmp_path: Path, data: bytes) -> Path:
        path = tmp_path / "model.skops"
        path.write_bytes(data)
        return path

    def test_pickle_and_joblib(self, models: dict[str, m.RiskModel], tmp_path: Path) -> None:
        est = models["logistic"].estimator
        with pytest.raises(ModelError, match="pickle and joblib"):
            m.load(self.write(tmp_path, pickle.dumps(est)))
        buffer = io.BytesIO()
        joblib.dump(est, buffer)
        with pytest.raises(ModelError, match="pickle and joblib"):
            m.load(self.write(tmp_path, buffer.getvalue()))

    def test_unexpected_types(self, tmp_path: Path) -> None:
        with pytest.raises(
            ModelError, match=r"refused types in the model file: tests\.risk\.test_model\.Smuggled"
        ):
            m.load(self.write(tmp_path, sio.dumps({"x": Smuggled()})))

    def test_a_model_this_library_did_not_make(self, tmp_path: Path) -> None:
        X = np.random.default_rng(0).random((50, 3))
        plain = LogisticRegression().fit(X, (X[:, 0] > 0.5).astype(int))
        with pytest.raises(ModelError, match="not a triage risk model"):
            m.load(self.write(tmp_path, sio.dumps(plain)))

    def test_damaged_bytes(self, models: dict[str, m.RiskModel], tmp_path: Path) -> None:
        data = bytearray(models["logistic"].to_bytes())
        data[len(data) // 2] ^= 0xFF
        with pytest.raises(ModelError):
            m.load(self.write(tmp_path, bytes(data)))

    def test_tampered_coefficients(self, models: dict[str, m.RiskModel], tmp_path: Path) -> None:
        """A well-formed file whose model breaks the monotone constraint is refused."""
        est = m.loads(models["logistic"].to_bytes()).estimator
        col = list(est.triage_meta_["features"]).index("strangulation:yes")
        est.estimator_.coef_[0, col] = -5.0
        with pytest.raises(ModelError, match="monotone"):
            m.load(self.write(tmp_path, m._dumps(est)))

    def test_pinned_hash(self, models: dict[str, m.RiskModel], tmp_path: Path) -> None:
        path = self.write(tmp_path, models["logistic"].to_bytes())
        with pytest.raises(ModelError, match="pinned"):
            m.load(path, sha256="0" * 64)
        with pytest.raises(ModelError, match="pinned"):
            triage.Triage(model=path, model_sha256="0" * 64)
        with pytest.raises(ModelError):
            triage.Triage(model=tmp_path / "missing.skops")

    def test_never_echoes_report_values(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, b"ZZSECRETZZ" * 10)
        with pytest.raises(ModelError) as info:
            m.load(path)
        assert "ZZSECRETZZ" not in str(info.value)


TRI = st.sampled_from(["no", "unknown", "yes"])
_RANK = {"no": 0, "unknown": 1, "yes": 2}


@settings(deadline=None)
@given(report=reports(), code=st.sampled_from(INDICATORS.codes), a=TRI, b=TRI)
def test_estimate_never_falls_as_an_answer_rises(
    report: dict[str, Any], code: str, a: str, b: str
) -> None:
    """no ≤ unknown ≤ yes: more risk in an answer never lowers the estimate."""
    if _RANK[a] > _RANK[b]:
        a, b = b, a
    model = m.demo_model()
    low = triage.validate_report(
        {**report, "indicators": {**report.get("indicators", {}), code: a}}
    )
    high = triage.validate_report(
        {**report, "indicators": {**report.get("indicators", {}), code: b}}
    )
    p_low, p_high = model.predict(low), model.predict(high)
    assert p_high.probability >= p_low.probability - 1e-12
    assert p_low.probability <= p_low.probability_max


_WITH = triage.Triage()
_WITHOUT = triage.Triage(model=None)
_L = {c: i for i, c in enumerate(LEVELS.codes)}
_P = {c: i for i, c in enumerate(PRIORITIES.codes)}


@settings(deadline=None)
@given(report=reports())
def test_the_model_never_lowers_a_decision(report: dict[str, Any]) -> None:
    with_model, without = _WITH.assess(report), _WITHOUT.assess(report)
    assert _L[with_model.risk_level] >= _L[without.risk_level]
    assert _L[with_model.risk_level_max] >= _L[without.risk_level_max]
    assert _P[with_model.priority] >= _P[without.priority]
    assert set(with_model.flags) >= set(without.flags)


def test_decisions_record_the_model() -> None:
    from triage.policytest._fixtures import load_fixture

    fixture = load_fixture(
        Path(__file__).parents[2] / "examples" / "cases" / "71_model_second_opinion.yaml"
    )
    d = triage.Triage().assess(fixture.report)
    demo = m.demo_model()
    assert d.model is not None
    assert (d.model.sha256, d.model.synthetic, d.model.kind) == (demo.sha256, True, demo.kind)
    assert d.model.band == "very_high"
    assert d.model.top_factors and d.model.top_factors[0][0] == "indicators.strangulation"
    entry = next(e for e in d.trace if e.rule == "model_very_high")
    assert entry.model_factors == d.model.top_factors
    assert "model.band" in entry.read
    assert "synthetic" in explain(d, "en")
    no_model = triage.Triage(model=None).assess(fixture.report)
    assert no_model.model is None and "model_very_high" not in [e.rule for e in no_model.trace]


def test_model_unused_unless_the_policy_reads_it() -> None:
    england = Path(__file__).parents[2] / "examples" / "policies" / "england_marac.yaml"
    t = triage.Triage(england)
    assert t.assess(random_reports(1, seed=3)[0]).model is None


class TestCommand:
    def run(self, *args: str) -> Any:
        return CliRunner().invoke(cli, ["model", *args], catch_exceptions=False)

    def test_train_evaluate_card(self, tmp_path: Path) -> None:
        out = tmp_path / "m.skops"
        result = self.run(
            "train", "--cohort", "3000", "--seed", "4", "--out", str(out), "--kind", "logistic"
        )
        assert result.exit_code == 0, result.output
        assert (tmp_path / "m.card.md").exists() and (tmp_path / "m.card.json").exists()
        sha = m.load(out).sha256
        assert sha in result.output and "synthetic" in result.output
        ev = self.run(
            "evaluate",
            str(out),
            "--cohort",
            "1500",
            "--seed",
            "5",
            "--format",
            "json",
            "--plots",
            str(tmp_path / "plots"),
        )
        assert ev.exit_code == 0, ev.output
        data = json.loads(ev.output)
        assert data["model"]["sha256"] == sha
        assert any(k.startswith("rule model_very_high") for k in data["overall"]["at"])
        assert len(data["plots"]) == 2
        table = self.run("evaluate", "default", "--cohort", "1000")
        assert table.exit_code == 0 and "danger_assessment" in table.output
        card = self.run("card", "default")
        assert card.exit_code == 0 and m.demo_model().sha256 in card.output

    def test_train_from_data_file(self, tmp_path: Path) -> None:
        data = tmp_path / "cases.jsonl"
        cohort.write_jsonl(cohort.generate(1500, seed=6), data)
        result = self.run(
            "train",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "a.skops"),
            "--kind",
            "logistic",
            "--holdout",
            "0",
        )
        assert result.exit_code == 0, result.output
        assert "synthetic" not in result.output  # the command cannot know; it does not claim

    def test_refusals_exit_2(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.skops"
        bad.write_bytes(pickle.dumps({"a": 1}))
        result = self.run("evaluate", str(bad), "--cohort", "100")
        assert result.exit_code == 2 and "Traceback" not in result.output
        assert (
            self.run("evaluate", "default", "--cohort", "100", "--sha256", "0" * 64).exit_code == 2
        )
        assert self.run("train", "--out", str(tmp_path / "x.skops")).exit_code == 2


def test_demo_model_is_reproducible_from_its_seed(tmp_path: Path) -> None:
    """`make model` rebuilds the packaged model with the same estimates.

    (Bytes, and so the sha256, can differ on another machine's linear algebra library
    or another scikit-learn release: the solver stops within its own tolerance, and
    estimates were seen to move by up to 4e-8. 1e-6 is still far below any band or
    policy threshold, which are set in hundredths.)
    """
    rebuilt = m.build_demo(tmp_path / "demo.skops")
    packaged = m.demo_model()
    reps = [triage.validate_report(r) for r in cohort.generate(500, seed=30).reports]
    assert np.max(np.abs(rebuilt.predict_proba(reps) - packaged.predict_proba(reps))) < 1e-6
    assert rebuilt.kind == packaged.kind
    for kind in ("logistic", "boosted"):
        assert rebuilt.meta["candidates"][kind]["cv_log_loss"] == pytest.approx(
            packaged.meta["candidates"][kind]["cv_log_loss"], abs=1e-6
        )
    assert zipfile.is_zipfile(m.DEMO_MODEL)


@pytest.mark.parametrize(
    "estimator",
    [MonotoneLogisticRegression(), PlattCalibrated(MonotoneLogisticRegression(), cv=3)],
    ids=["MonotoneLogisticRegression", "PlattCalibrated"],
)
def test_scikit_learn_estimator_contract(estimator: Any) -> None:
    """Both estimators pass scikit-learn's own estimator checks (binary classifiers)."""
    from sklearn.utils.estimator_checks import check_estimator

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the checks warn about their own data on purpose
        results = check_estimator(estimator, on_fail=None)
    failed = [r["check_name"] for r in results if r["status"] == "failed"]
    assert failed == []
    assert len(results) > 40


def test_a_model_that_predates_an_indicator_still_loads_and_ignores_it(
    data: cohort.Cohort, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model saved before the library learnt some indicators reads the columns it
    has: it loads, scores exactly as its own estimator does on those columns, and an
    answer to an indicator it never saw moves nothing."""
    from triage.risk.model import _features

    later = set(cohort.LATER_INDICATORS)
    full = _features.feature_set()
    older = [n for n in full.names if n.split(":")[0] not in later]
    assert len(older) == full.width - 2 * len(later)

    def predating(protected: bool = False, names: Any = None) -> _features.FeatureSet:
        return _features.feature_set(protected, older if names is None else names)

    with monkeypatch.context() as patch:
        patch.setattr(m, "feature_set", predating)
        old = m.train(data.reports[:3000], data.outcomes[:3000], kinds=("logistic",), holdout=0)
        path = tmp_path / "old.skops"
        m.save(old, path)
    loaded = m.load(path)  # with the library's own feature_set again
    assert loaded.features.names == tuple(older)
    assert set(loaded.features.indicators) == set(INDICATORS.codes) - later
    sample = [triage.validate_report(r) for r in cohort.generate(300, seed=41).reports]
    direct = np.array([loaded.predict(r).probability for r in sample])
    assert np.max(np.abs(direct - loaded.predict_proba(sample))) < 1e-9
    for report in sample[:50]:
        answered = report.model_copy(
            update={"indicators": {**report.indicators, **dict.fromkeys(later, "yes")}}
        )
        assert loaded.predict(answered).probability == loaded.predict(report).probability


def test_a_model_with_a_column_the_library_does_not_compute_is_refused(
    models: dict[str, m.RiskModel], tmp_path: Path
) -> None:
    model = models["logistic"]
    meta = dict(model.meta)
    meta["features"] = [*meta["features"][:-1], "indicators.made_up:yes"]
    model.estimator.triage_meta_ = meta
    try:
        data = m._dumps(model.estimator)
    finally:
        model.estimator.triage_meta_ = model.meta
    with pytest.raises(ModelError, match="not this library's"):
        m.loads(data)


class TestPinnedParameters:
    """The packaged model is decided with from hash-pinned parameters, without
    scikit-learn; they are exactly the skops file's."""

    def test_the_pinned_parameters_are_the_packaged_models(self) -> None:
        skops_model = m.load(m.DEMO_MODEL)
        assert m.params_of(skops_model) == m.read_params(m.DEMO_PARAMS, m.DEMO_PARAMS_SHA256)
        pinned = m.demo_model()
        assert pinned.sha256 == skops_model.sha256  # decisions name the same model
        for report in cohort.generate(3000, seed=81).reports:
            valid = triage.validate_report(report)
            assert pinned.predict(valid) == skops_model.predict(valid)

    def test_deciding_imports_no_scikit_learn_numpy_or_rich(self) -> None:
        """A decision with the packaged model, its JSON and its explanation need none of
        the heavy imports: they are what a cold start would pay for nothing."""
        import json
        import subprocess
        import sys

        code = (
            "import json, sys, triage\n"
            "d = triage.Triage().assess(json.loads(sys.argv[1]))\n"
            "assert d.model is not None\n"
            "d.to_json(); triage.explain(d, lang='zh'); triage.explain(d, lang='en')\n"
            "heavy = ('sklearn', 'scipy', 'skops', 'numpy', 'rich')\n"
            "print(sorted(m for m in heavy if m in sys.modules))\n"
        )
        report = json.dumps(cohort.generate(1, seed=3).reports[0])
        out = subprocess.run(
            [sys.executable, "-c", code, report],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        assert out.stdout.strip() == "[]"

    def test_the_estimator_is_still_there_when_asked_for(self) -> None:
        pinned = m.demo_model()
        reps = [triage.validate_report(r) for r in cohort.generate(50, seed=82).reports]
        direct = [pinned.predict(r).probability for r in reps]
        assert np.allclose(pinned.predict_proba(reps), direct, atol=1e-12, rtol=0)
        assert pinned.to_bytes() == m.DEMO_MODEL.read_bytes()

    @pytest.mark.parametrize(
        ("change", "sound"),
        [
            (lambda p: p.update(intercept=p["intercept"] + 1.0), True),
            (lambda p: p["coef"].__setitem__(0, -abs(p["coef"][0]) - 1.0), False),
            (lambda p: p.update(format="other"), False),
            (lambda p: p["coef"].pop(), False),
        ],
        ids=["intercept", "monotone-sign", "format", "width"],
    )
    def test_other_parameters_are_refused(self, tmp_path: Path, change: Any, sound: bool) -> None:
        import hashlib

        params = json.loads(m.DEMO_PARAMS.read_bytes())
        change(params)
        path = tmp_path / "p.json"
        path.write_text(json.dumps(params))
        with pytest.raises(ModelError, match="sha256"):
            m.read_params(path, m.DEMO_PARAMS_SHA256)  # not the pinned bytes
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if sound:
            assert m.read_params(path, digest)["intercept"] == params["intercept"]
        else:
            with pytest.raises(ModelError):  # pinned, and checked all the same
                m.read_params(path, digest)
