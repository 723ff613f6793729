"""A learned estimate of severe or lethal re-assault within 12 months: train, save, load, use.

The model is a second opinion. Rules read its output as facts
(``model.probability``, ``model.band``) and can only raise a decision with it.
It is constrained never to read an unanswered question as lower risk than a
no, nor a yes as lower risk than a no (see `triage.risk.model._features`).

Two kinds of model compete by cross-validated log loss, both calibrated with a
Platt curve on out-of-fold scores: a monotone logistic regression and
monotone gradient-boosted trees; the simpler one is kept unless the other is
better by more than one standard error. A share of the data is held out, and the
model card reports the chosen model's metrics on it.

Files are written with skops and read only through skops with an allow-list of
types; a pickle or joblib file, an unexpected type, a structure that breaks the
constraints, or a file whose sha256 differs from the one pinned is refused with
`triage.ModelError`. Written files are canonical (fixed entry names, order and
times), so the same model gives the same bytes and the same sha256.

The packaged demonstration model was trained on a synthetic cohort
(`triage.risk.cohort`); it is not validated for use on real people.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
import threading
import zipfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._errors import ModelError, ReportError, UsageError
from ..._io._output import open_output, write_output
from ..._io._read import read_limited
from ..._version import __version__
from ...report._model import Report
from ...report._normalise import Answers, normalise
from ...report._validate import validate_report
from .._score import score_all
from ._features import FEATURE_VERSION, FeatureSet, age_band, feature_set

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "DEMO_MODEL",
    "ModelOutput",
    "RiskModel",
    "demo_model",
    "evaluate",
    "load",
    "read_params",
    "save",
    "train",
]

FORMAT = "triage-risk-model/1"
MAX_BYTES = 64 << 20
DEMO_MODEL = Path(__file__).parent / "demo" / "model.skops"
DEMO_PARAMS = DEMO_MODEL.with_suffix(".params.json")
# The packaged parameters' sha256: any other bytes are refused (`make model` says the new one).
DEMO_PARAMS_SHA256 = "07ae4a105e4a98face229e94dcc72008941bf616ea8213503e06fca204340f3e"
BANDS = ("low", "moderate", "high", "very_high")
# Saved models name these classes by module path, so _estimators stays at triage.risk.
_ALLOWED = frozenset(
    {
        "triage.risk._estimators.PlattCalibrated",
        "triage.risk._estimators.MonotoneLogisticRegression",
        "sklearn.ensemble._hist_gradient_boosting.predictor.TreePredictor",
    }
)
SUBGROUPS = ("victim.age", "abuser.relationship", "source", "case_type")


@dataclass(frozen=True, slots=True)
class ModelOutput:
    """One report's estimate, and the same with every unanswered question answered yes."""

    probability: float
    probability_max: float
    band: str
    band_max: str
    top_factors: tuple[tuple[str, float], ...]  # (report item, log-odds it adds), largest first

    def maxed(self) -> ModelOutput:
        """The output as the max world sees it."""
        return ModelOutput(
            self.probability_max,
            self.probability_max,
            self.band_max,
            self.band_max,
            self.top_factors,
        )


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


class RiskModel:
    """A fitted, checked model, ready to score reports. Build with `train` or `load`."""

    def __init__(self, estimator: Any, data: bytes, path: str | None = None) -> None:
        from ._scorer import scorer_for  # deferred: scikit-learn loads only when a model is used

        self._setup(estimator.triage_meta_, hashlib.sha256(data).hexdigest(), path)
        self._estimator = estimator
        self._data: bytes | None = data
        self._skops_file: Path | None = None
        self._scorer: Any = scorer_for(estimator, self._factors())

    def _setup(self, meta: dict[str, Any], sha256: str, path: str | None) -> None:
        self.meta: dict[str, Any] = meta
        self.features: FeatureSet = feature_set(bool(meta["protected"]), meta["features"])
        low, mid, high = (float(b) for b in meta["bands"])
        self.bands = (low, mid, high)
        self.sha256 = sha256
        self.path = path
        self._factor_names = tuple(dict.fromkeys(self.features.factor))

    def _factors(self) -> list[int]:
        """Each column's report item, numbered."""
        number = {name: i for i, name in enumerate(self._factor_names)}
        return [number[f] for f in self.features.factor]

    @classmethod
    def _from_params(cls, params: dict[str, Any], skops_file: Path) -> RiskModel:
        """A logistic model from its pinned parameters (`_params`), scored without
        scikit-learn; the skops file it was taken from is read only if the estimator
        itself is asked for (evaluation, saving)."""
        from ._scorer import LinearScorer

        model = cls.__new__(cls)
        model._setup(params["meta"], params["source_sha256"], str(skops_file))
        model._estimator = None
        model._data = None
        model._skops_file = skops_file
        model._scorer = LinearScorer(
            params["coef"],
            params["intercept"],
            params["a"],
            params["b"],
            model._factors(),
        )
        return model

    @property
    def estimator(self) -> Any:
        """The fitted scikit-learn estimator (read from its file on first use)."""
        if self._estimator is None:
            assert self._skops_file is not None  # a model has its estimator or its file
            self._estimator = load(self._skops_file, sha256=self.sha256)._estimator
        return self._estimator

    def __repr__(self) -> str:
        kind = self.meta["kind"]
        tag = " synthetic" if self.synthetic else ""
        return f"<RiskModel {kind}{tag} sha256={self.sha256[:12]}>"

    @property
    def synthetic(self) -> bool:
        return bool(self.meta["synthetic"])

    @property
    def kind(self) -> str:
        return str(self.meta["kind"])

    def to_bytes(self) -> bytes:
        if self._data is None:
            assert self._skops_file is not None
            self._data = load(self._skops_file, sha256=self.sha256).to_bytes()
        return self._data

    def band(self, probability: float) -> str:
        for cut, name in zip(self.bands, BANDS, strict=False):
            if probability < cut:
                return name
        return BANDS[-1]

    def predict(
        self, report: Report, answers: Answers | None = None, *, explain: bool = True
    ) -> ModelOutput:
        """The estimate for one report, computed directly from the fitted parameters.

        ``explain=False`` leaves out the top factors (comparing policies needs only the
        estimate).
        """
        answers = answers if answers is not None else normalise(report)
        fs, scorer = self.features, self._scorer
        active, maxed = fs.active_pair(report, answers)
        if not explain:
            p = _sigmoid(scorer.logit(active))
            p_max = p if maxed == active else max(p, _sigmoid(scorer.logit(maxed)))
            return ModelOutput(p, p_max, self.band(p), self.band(p_max), ())
        logit, by_factor, logit_max = scorer.explain_pair(active, maxed)
        p = _sigmoid(logit)
        p_max = max(p, _sigmoid(logit_max))
        return ModelOutput(
            p, p_max, self.band(p), self.band(p_max), self._top(by_factor, report, answers)
        )

    def _top(
        self, by_factor: Sequence[float], report: Report, answers: Answers
    ) -> tuple[tuple[str, float], ...]:
        """The five factors that raise the estimate most, largest first (ties in factor
        order). Only answered items are reasons: an unanswered one raises the estimate
        through its "not no" column, and is shown as unknown, never as a cause."""
        names = self._factor_names
        raising = [i for i, x in enumerate(by_factor) if x > 1e-9]
        raising.sort(key=by_factor.__getitem__, reverse=True)  # stable: ties keep order
        top: list[tuple[str, float]] = []
        for i in raising:
            if _answered(names[i], report, answers):
                top.append((names[i], round(float(by_factor[i]), 6)))
                if len(top) == 5:
                    break
        return tuple(top)

    def predict_proba(self, reports: Sequence[Report | Mapping[str, Any]]) -> np.ndarray:
        """Estimates for many reports through scikit-learn (for evaluation)."""
        valid = _validate(reports)
        out: np.ndarray = self.estimator.predict_proba(self.features.matrix(valid))[:, 1]
        return out


def _answered(factor: str, report: Report, answers: Answers) -> bool:
    """Whether the report item a factor comes from was answered (a yes, or a given value)."""
    part, _, name = factor.partition(".")
    if part == "indicators":
        return answers.values.get(name, "unknown") != "unknown"
    if not name:  # source, case_type: always given
        return True
    section = getattr(report, part, None)
    return section is not None and getattr(section, name, None) is not None


# -- training ------------------------------------------------------------------------------------


def _validate(reports: Sequence[Report | Mapping[str, Any]]) -> list[Report]:
    out = []
    for i, report in enumerate(reports):
        try:
            out.append(validate_report(report))
        except ReportError as exc:
            raise ReportError(f"report {i} is invalid", exc.problems) from None
    return out


def _candidates(names: Sequence[str], monotone: tuple[int, ...], seed: int) -> dict[str, Any]:
    from sklearn.ensemble import HistGradientBoostingClassifier

    # deferred: scikit-learn loads only when a model is used
    from .._estimators import MonotoneLogisticRegression

    known: dict[str, Callable[[], Any]] = {
        "logistic": lambda: MonotoneLogisticRegression(C=1.0, monotone=monotone),
        "boosted": lambda: HistGradientBoostingClassifier(
            max_iter=100,
            max_depth=3,
            learning_rate=0.1,
            l2_regularization=1.0,
            early_stopping=False,
            monotonic_cst=list(monotone),
            random_state=seed,
        ),
    }
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise UsageError(f"unknown model kind {unknown}; choose from {sorted(known)}")
    return {n: known[n]() for n in names}


def train(
    reports: Sequence[Report | Mapping[str, Any]],
    outcomes: Sequence[int] | np.ndarray,
    *,
    protected: bool = False,
    kinds: Sequence[str] = ("logistic", "boosted"),
    holdout: float = 0.2,
    seed: int = 0,
    jobs: int | None = None,
    synthetic: bool = False,
    data_note: str = "",
    progress: Callable[[str], None] | None = None,
) -> RiskModel:
    """Fit each kind, keep the best by cross-validated log loss, evaluate it on held-out data.

    Args:
        reports: reports in the intake shape (dicts or `Report`).
        outcomes: 1 where severe re-assault or an attempted or actual killing followed
            within 12 months, else 0.
        protected: also use protected attributes (age, gender, pregnancy, disability,
            capacity) as inputs. Off by default.
        holdout: share of cases kept out of training to measure the chosen model.
        synthetic: the data are synthetic; every decision and the model card say so.
    """
    import numpy as np  # deferred: a decision never needs numpy

    say = progress or (lambda _msg: None)
    y = np.asarray(outcomes)
    if len(y) != len(reports):
        raise UsageError(f"{len(reports)} reports but {len(y)} outcomes")
    if not np.isin(y, (0, 1)).all() or len(np.unique(y)) != 2:
        raise UsageError("outcomes must be 0 or 1, with both present")
    say("validating reports")
    valid = _validate(reports)
    fs = feature_set(protected)
    X = fs.matrix(valid)
    train_idx, test_idx = _split(y, holdout, seed)
    yt = y[train_idx]
    candidates = _candidates(kinds, fs.monotone, seed)
    fitted, losses = _fit_candidates(candidates, X[train_idx], yt, seed=seed, jobs=jobs, say=say)
    results: dict[str, Any] = {
        name: {"cv_log_loss": float(loss.mean())} for name, loss in losses.items()
    }
    kind, results["chosen"] = _simplest_within_one_se(losses, kinds, len(yt))
    estimator = fitted[kind]
    base = float(np.mean(yt))
    estimator.triage_meta_ = {
        "format": FORMAT,
        "feature_version": FEATURE_VERSION,
        "features": list(fs.names),
        "protected": protected,
        "kind": kind,
        "bands": [min(base * k, 0.999) for k in (1.0, 2.0, 4.0)],
        "synthetic": synthetic,
        "data_note": data_note,
        "trained": {
            "n": len(train_idx),
            "positives": int(yt.sum()),
            "held_out": len(test_idx),
            "seed": seed,
            "library_version": __version__,
        },
        "candidates": results,
        "evaluation": None,
    }
    model = RiskModel(estimator, _dumps(estimator))
    if len(test_idx):
        say("evaluating on held-out cases")
        held = [valid[i] for i in test_idx]
        estimator.triage_meta_["evaluation"] = evaluate(model, held, y[test_idx]).as_dict()
        model = RiskModel(estimator, _dumps(estimator))
    return model


def _split(y: np.ndarray, holdout: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(training, held-out) case numbers: a stratified share ``holdout`` held out."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    index = np.arange(len(y))
    if holdout <= 0:
        return index, index[:0]
    train_idx, test_idx = train_test_split(index, test_size=holdout, stratify=y, random_state=seed)
    return train_idx, test_idx


def _fit_candidates(
    candidates: dict[str, Any],
    X: np.ndarray,
    y: np.ndarray,
    *,
    seed: int,
    jobs: int | None,
    say: Callable[[str], None],
) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    """Each candidate fitted and calibrated, with the log loss of each training case in
    cross-validation (the predictions of the folds that did not see it)."""
    import numpy as np

    from .._estimators import PlattCalibrated  # deferred: imports scikit-learn

    fitted: dict[str, Any] = {}
    losses: dict[str, np.ndarray] = {}
    for name, estimator in candidates.items():
        say(f"fitting {name}")
        fitted[name] = PlattCalibrated(estimator, cv=3, random_state=seed, n_jobs=jobs).fit(X, y)
        q = np.clip(fitted[name].cv_scores_, 1e-15, 1 - 1e-15)
        losses[name] = -(y * np.log(q) + (1 - y) * np.log(1 - q))
    return fitted, losses


def _simplest_within_one_se(
    losses: dict[str, np.ndarray], kinds: Sequence[str], n: int
) -> tuple[str, dict[str, Any]]:
    """The simplest kind within one standard error of the best (Breiman et al. 1984): the
    logistic model is cheaper to score and easier to explain, so it needs a clear loss.
    ``kinds`` run simplest first."""
    import numpy as np

    best = min(losses, key=lambda name: float(losses[name].mean()))
    margin = float(losses[best].std(ddof=1) / np.sqrt(n))
    kind = next(k for k in kinds if losses[k].mean() <= losses[best].mean() + margin)
    return kind, {"kind": kind, "best": best, "one_standard_error": margin}


# -- evaluating ----------------------------------------------------------------------------------


MIN_EACH_OUTCOME = 10


@dataclass
class Evaluation:
    """A model's metrics on labelled reports, with the arrays behind its plots."""

    overall: dict[str, Any]
    subgroups: dict[str, dict[str, Any]]
    gaps: dict[str, dict[str, float]]
    instruments: dict[str, dict[str, Any]]
    thresholds: list[tuple[str, float]]
    y: np.ndarray
    p: np.ndarray
    instrument_scores: dict[str, np.ndarray]
    # Groups smaller than this, or with fewer of either outcome, are shown but not compared.
    min_group: int = 100
    min_each_outcome: int = 10

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = _finite(
            {
                "overall": self.overall,
                "subgroup_minimum": {
                    "reports": self.min_group,
                    "each_outcome": self.min_each_outcome,
                },
                "subgroups": self.subgroups,
                "gaps": self.gaps,
                "instruments": self.instruments,
                "thresholds": [list(t) for t in self.thresholds],
            }
        )
        return out


def _finite(value: Any) -> Any:
    """NaN and infinities become None, so the result is plain JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _group_of(report: Report, dimension: str) -> str:
    if dimension == "victim.age":
        return age_band(report.victim.age)
    if dimension == "abuser.relationship":
        return report.abuser.relationship or "unknown"
    return str(getattr(report, dimension))


def evaluate(
    model: RiskModel,
    reports: Sequence[Report | Mapping[str, Any]],
    outcomes: Sequence[int] | np.ndarray,
    *,
    thresholds: Sequence[tuple[str, float]] = (),
    min_group: int = 100,
) -> Evaluation:
    """Discrimination, calibration and errors at each threshold, overall and by subgroup,
    with the four instruments' AUC on the same cases side by side."""
    import numpy as np  # deferred: a decision never needs numpy

    from ._metrics import auc_ci, summary  # deferred: scipy loads only to evaluate

    valid = _validate(reports)
    y = np.asarray(outcomes)
    if len(y) != len(valid):
        raise UsageError(f"{len(valid)} reports but {len(y)} outcomes")
    p = model.estimator.predict_proba(model.features.matrix(valid))[:, 1]
    cuts = [(f"band>={name}", cut) for name, cut in zip(BANDS[1:], model.bands, strict=True)]
    points = [*cuts, *thresholds]
    main = [points[1]] if len(points) > 1 else points
    overall = summary(y, p, points)
    subgroups: dict[str, dict[str, Any]] = {}
    gaps: dict[str, dict[str, float]] = {}
    for dim in SUBGROUPS:
        labels = np.array([_group_of(r, dim) for r in valid])
        groups: dict[str, Any] = {}
        for label in sorted(set(labels)):
            mask = labels == label
            group = summary(y[mask], p[mask], main)
            group["compared"] = bool(
                group["n"] >= min_group
                and MIN_EACH_OUTCOME <= group["positives"] <= group["n"] - MIN_EACH_OUTCOME
            )
            groups[str(label)] = group
        subgroups[dim] = groups
        usable = [g for g in groups.values() if g["compared"]]
        aucs = [g["auc"] for g in usable]
        sens = [next(iter(g["at"].values()))["sensitivity"] for g in usable if g["at"]]
        gaps[dim] = {
            "groups_compared": len(usable),
            "auc_gap": (max(aucs) - min(aucs)) if len(aucs) > 1 else math.nan,
            "sensitivity_gap": (max(sens) - min(sens)) if len(sens) > 1 else math.nan,
        }
    scores: dict[str, list[float]] = {}
    for report in valid:
        answers = normalise(report)
        for name, result in score_all(report, answers).items():
            scores.setdefault(name, []).append(float(result.score))
            scores.setdefault(f"{name}.max", []).append(float(result.score_max))
    arrays = {k: np.asarray(v) for k, v in scores.items()}
    instruments: dict[str, dict[str, Any]] = {}
    for name in ("danger_assessment", "dash", "lethality_screen", "odara"):
        auc, lo, hi = auc_ci(y, arrays[name])
        auc_max, _, _ = auc_ci(y, arrays[f"{name}.max"])
        instruments[name] = {"auc": auc, "auc_ci": [lo, hi], "auc_unknown_as_yes": auc_max}
    instruments["model"] = {"auc": overall["auc"], "auc_ci": overall["auc_ci"]}
    return Evaluation(overall, subgroups, gaps, instruments, list(points), y, p, arrays, min_group)


def plots(
    evaluation: Evaluation, directory: str | Path, model: RiskModel | None = None
) -> list[Path]:
    """ROC and calibration curves as PNG files (needs the ``plots`` extra: matplotlib).

    Each plot states how many reports it rests on and, given the model, its sha256
    and whether it was trained on synthetic data.
    """
    try:
        import matplotlib  # deferred: optional (the plots extra), and slow to import

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise UsageError("plots need matplotlib: pip install 'triage[plots]'") from None
    import numpy as np
    from sklearn.metrics import roc_curve

    out = Path(directory)
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out}: is not a directory")
    out.mkdir(parents=True, exist_ok=True)
    y, p = evaluation.y, evaluation.p
    caption = _plot_caption(evaluation, model)
    fig, ax = plt.subplots(figsize=(5, 5))
    for name, score in [
        ("model", p),
        *(
            (n, evaluation.instrument_scores[n])
            for n in ("danger_assessment", "dash", "lethality_screen", "odara")
        ),
    ]:
        fpr, tpr, _ = roc_curve(y, score)
        auc = evaluation.instruments[name]["auc"]
        ax.plot(fpr, tpr, label=f"{name} (AUC {auc:.3f})")
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":")
    ax.set_xlabel("1 - specificity")
    ax.set_ylabel("sensitivity")
    ax.set_title("ROC")
    ax.legend(fontsize=7)
    fig.text(0.01, -0.02, caption, fontsize=6, va="top", wrap=True)
    roc = out / "roc.png"
    _save_figure(fig, roc)
    plt.close(fig)
    fig, ax = plt.subplots(figsize=(5, 5))
    order = np.argsort(p, kind="stable")
    bins = [b for b in np.array_split(order, 10) if len(b)]
    xs = [float(p[b].mean()) for b in bins]
    ys = [float(y[b].mean()) for b in bins]
    ax.plot(xs, ys, marker="o", label="model")
    # Both axes span what is plotted (estimates and observed shares), so no point is cut off.
    top = min(1.0, max(*xs, *ys) * 1.08) or 1.0
    ax.plot([0, top], [0, top], color="grey", linestyle=":", label="perfect calibration")
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel("mean estimate (deciles)")
    ax.set_ylabel("observed share")
    ax.set_title(f"Calibration (n = {len(y)}, {int(y.sum())} with the outcome)")
    ax.legend(fontsize=7)
    fig.text(0.01, -0.02, caption, fontsize=6, va="top", wrap=True)
    cal = out / "calibration.png"
    _save_figure(fig, cal)
    plt.close(fig)
    return [roc, cal]


def _plot_caption(evaluation: Evaluation, model: RiskModel | None) -> str:
    parts = [f"n = {len(evaluation.y)} reports"]
    if model is not None:
        parts.append(f"model sha256 {model.sha256}")
        if model.synthetic:
            parts.append("trained on SYNTHETIC data; not validated for use on real people")
    return "; ".join(parts)


def _save_figure(fig: Any, path: Path) -> None:
    with open_output(path, binary=True) as fh:
        fig.savefig(fh, format="png", dpi=120, bbox_inches="tight", metadata={"Software": None})


# -- files ---------------------------------------------------------------------------------------


def _dumps(estimator: Any) -> bytes:
    """skops bytes in canonical form: object ids renumbered, entries sorted, fixed times."""
    import skops.io as sio  # deferred: skops imports all of scikit-learn

    raw = zipfile.ZipFile(io.BytesIO(sio.dumps(estimator)))
    schema = json.loads(raw.read("schema.json"))
    numbers: dict[str, str] = {}

    def renumber(old: str) -> str:
        return numbers.setdefault(old, str(len(numbers)))

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out: dict[str, Any] = {}
            for key, value in node.items():
                if key == "__id__" and isinstance(value, int):
                    out[key] = int(renumber(str(value)))
                elif key == "file" and isinstance(value, str) and value.endswith(".npy"):
                    out[key] = renumber(value[:-4]) + ".npy"
                else:
                    out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    canonical = walk(schema)
    files = {"schema.json": json.dumps(canonical, indent=2, sort_keys=False).encode()}
    for info in raw.infolist():
        if info.filename.endswith(".npy"):
            stem = info.filename[:-4]
            if stem not in numbers:
                raise ModelError("unexpected entry in the serialised model")
            files[numbers[stem] + ".npy"] = raw.read(info.filename)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as out:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            out.writestr(info, files[name], compresslevel=9)
    return buffer.getvalue()


def save(model: RiskModel, path: str | Path) -> str:
    """Write the model (skops, canonical bytes) and return its sha256.

    A regular file is written to a temporary name and renamed, so a reader never
    sees a partial model (see `triage._io._output` for links, devices and FIFOs).
    """
    write_output(path, model.to_bytes())
    return model.sha256


def load(path: str | Path, sha256: str | None = None) -> RiskModel:
    """A model read through skops with an allow-list of types, checked, or `ModelError`.

    ``sha256`` pins the exact file: any other bytes are refused.
    """
    return loads(read_limited(path, MAX_BYTES, ModelError), sha256=sha256, where=str(path))


def loads(data: bytes, sha256: str | None = None, where: str = "<model>") -> RiskModel:
    if len(data) > MAX_BYTES:
        raise ModelError(f"{where}: larger than {MAX_BYTES >> 20} MiB")
    if not data.startswith(b"PK\x03\x04"):
        raise ModelError(f"{where}: not a skops model file (pickle and joblib files are refused)")
    digest = hashlib.sha256(data).hexdigest()
    if sha256 is not None and digest != sha256.lower():
        raise ModelError(f"{where}: sha256 {digest} is not the pinned {sha256}")
    import skops.io as sio  # deferred: skops imports all of scikit-learn

    try:
        untrusted = set(sio.get_untrusted_types(data=data))
    except Exception:
        raise ModelError(f"{where}: not a readable skops file") from None
    refused = sorted(untrusted - _ALLOWED)
    if refused:
        raise ModelError(f"{where}: refused types in the model file: {', '.join(refused)}")
    try:
        estimator = sio.loads(data, trusted=sorted(untrusted))
    except Exception:
        raise ModelError(f"{where}: the model file is damaged or not a triage model") from None
    _check(estimator, where)
    try:
        return RiskModel(estimator, data, where)
    except Exception:
        raise ModelError(f"{where}: the model cannot be scored") from None


def _check(estimator: Any, where: str) -> None:
    """The loaded object is a model this library made, and keeps its constraints."""
    # deferred: scikit-learn (and numpy) load only when a model file is read
    import numpy as np

    from .._estimators import (
        MonotoneLogisticRegression,
        PlattCalibrated,
    )

    def fail(why: str) -> None:
        raise ModelError(f"{where}: {why}")

    if type(estimator) is not PlattCalibrated:
        fail("not a triage risk model")
    meta = getattr(estimator, "triage_meta_", None)
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        fail(f"not a {FORMAT} file")
    assert isinstance(meta, dict)
    if meta.get("feature_version") != FEATURE_VERSION:
        fail(
            f"made for feature version {meta.get('feature_version')}, "
            f"this library reads {FEATURE_VERSION}"
        )
    names = meta.get("features")
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names) or not names:
        fail("its features are not a list of column names")
    try:
        fs = feature_set(bool(meta.get("protected")), names)
    except ValueError as e:
        fail(f"its features are not this library's: {e}")
    bands = meta.get("bands")
    if (
        not isinstance(bands, list)
        or len(bands) != 3
        or not all(isinstance(b, float) and 0 < b < 1 for b in bands)
        or not bands[0] < bands[1] < bands[2]
    ):
        fail("its band cut-offs are not three increasing probabilities")
    a, b = getattr(estimator, "a_", None), getattr(estimator, "b_", None)
    if not (isinstance(a, float) and isinstance(b, float) and math.isfinite(b) and 0 < a < 1e6):
        fail("its calibration is not a positive, finite slope")
    inner = getattr(estimator, "estimator_", None)
    width = fs.width
    monotone = np.asarray(fs.monotone) > 0
    if type(inner) is MonotoneLogisticRegression:
        coef = np.asarray(inner.coef_, dtype=float)
        if coef.shape != (1, width) or not np.isfinite(coef).all():
            fail("its coefficients do not match the features")
        if tuple(inner.monotone or ()) != fs.monotone or (coef[0][monotone] < 0).any():
            fail("it does not keep the monotone constraints")
        if not np.isfinite(np.asarray(inner.intercept_, dtype=float)).all():
            fail("its intercept is not finite")
    elif inner is not None and type(inner).__name__ == "HistGradientBoostingClassifier":
        if list(getattr(inner, "monotonic_cst", None) or ()) != list(fs.monotone):
            fail("it does not keep the monotone constraints")
        if getattr(inner, "n_features_in_", None) != width:
            fail("its trees do not match the features")
        for tree in inner._predictors:
            nodes = tree[0].nodes
            if not (np.isfinite(nodes["value"]).all() and (nodes["feature_idx"] < width).all()):
                fail("its trees are damaged")
    else:
        fail("its estimator is not one this library trains")


_DEMO: RiskModel | None = None
_DEMO_LOCK = threading.Lock()


def demo_model() -> RiskModel:
    """The packaged demonstration model (synthetic training data; not for real decisions),
    from its hash-pinned parameters: no scikit-learn is imported to decide with it."""
    global _DEMO
    if _DEMO is None:
        with _DEMO_LOCK:
            if _DEMO is None:
                _DEMO = RiskModel._from_params(
                    read_params(DEMO_PARAMS, DEMO_PARAMS_SHA256), DEMO_MODEL
                )
    return _DEMO


def build_demo(path: str | Path = DEMO_MODEL, n: int = 20_000, seed: int = 2026) -> RiskModel:
    """Train the demonstration model from its seed (``make model``) and write it with its card."""
    from .. import cohort  # deferred: numpy
    from ._card import write_card

    data = cohort.generate(n, seed)
    model = train(
        data.reports,
        data.outcomes,
        seed=seed,
        synthetic=True,
        data_note=f"triage.risk.cohort.generate({n}, seed={seed})",
    )
    save(model, path)
    write_card(model, path)
    if model.kind == "logistic":
        write_params(model, Path(path).with_suffix(".params.json"))
    return model


# -- pinned parameters --------------------------------------------------------------------

PARAMS_FORMAT = "triage-risk-params/1"


def params_of(model: RiskModel) -> dict[str, Any]:
    """A logistic model's fitted parameters as plain data (floats written exactly)."""
    inner = model.estimator.estimator_
    if model.kind != "logistic":
        raise UsageError("only a logistic model has parameters that can be pinned")
    return {
        "format": PARAMS_FORMAT,
        "source_sha256": model.sha256,
        "meta": model.meta,
        "coef": [float(w) for w in inner.coef_[0]],
        "intercept": float(inner.intercept_[0]),
        "a": float(model.estimator.a_),
        "b": float(model.estimator.b_),
    }


def write_params(model: RiskModel, path: Path) -> str:
    """Write the parameters file next to the model; returns its sha256."""
    data = (json.dumps(params_of(model), indent=1, sort_keys=True) + "\n").encode()
    write_output(path, data)
    return hashlib.sha256(data).hexdigest()


def read_params(path: Path, sha256: str) -> dict[str, Any]:
    """The pinned parameters, checked, or `ModelError`."""
    where = str(path)
    data = read_limited(path, MAX_BYTES, ModelError)
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise ModelError(f"{where}: sha256 {digest} is not the pinned {sha256}")
    try:
        params = json.loads(data)
    except ValueError:
        raise ModelError(f"{where}: not JSON") from None
    meta = params.get("meta") if isinstance(params, dict) else None
    if not isinstance(meta, dict) or params.get("format") != PARAMS_FORMAT:
        raise ModelError(f"{where}: not a {PARAMS_FORMAT} file")
    if meta.get("format") != FORMAT or meta.get("feature_version") != FEATURE_VERSION:
        raise ModelError(f"{where}: made for another feature version")
    fs = feature_set(bool(meta.get("protected")), meta.get("features") or [])
    coef = params.get("coef")
    numbers = [params.get(k) for k in ("intercept", "a", "b")]
    if (
        not isinstance(coef, list)
        or len(coef) != fs.width
        or not all(isinstance(w, float) and math.isfinite(w) for w in [*coef, *numbers])
        or not 0 < params["a"] < 1e6
    ):
        raise ModelError(f"{where}: its parameters do not match the features")
    if any(w < 0 for w, m in zip(coef, fs.monotone, strict=True) if m > 0):
        raise ModelError(f"{where}: it does not keep the monotone constraints")
    return params  # type: ignore[no-any-return]
