"""``triage model``: train, evaluate and describe risk models."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from .._errors import UsageError
from .._io._output import check_distinct
from ..explanation._tables import wide_console
from ..risk.model import _model as models
from ..risk.model._card import card_data, card_markdown, write_card
from ..risk.model._model import BANDS
from ..rules import load_policy
from ..rules._formula import And, Lit, Or, formula
from ._common import FORMAT_OPTION, guarded, policy_source

__all__ = ["model"]


OUTCOMES_OPTION = click.option(
    "--outcomes",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="With --data: a JSON Lines file of {id, outcome} (as `triage cohort --outcomes`).",
)


def _data(
    data: str | None, cohort_n: int | None, seed: int, outcomes: str | None = None
) -> tuple[list[Any], Any, str, bool]:
    """(reports, outcomes, description, synthetic) from --data [--outcomes] or --cohort."""
    if (data is None) == (cohort_n is None):
        raise UsageError("give exactly one of --data FILE.jsonl and --cohort N")
    if outcomes is not None and data is None:
        raise UsageError("--outcomes goes with --data")
    from ..risk import cohort  # deferred: numpy, for the model commands only

    if data is not None:
        reports, labels = cohort.read_jsonl(data, outcomes)
        return reports, labels, f"{Path(data).name} ({len(reports)} reports)", False
    assert cohort_n is not None
    made = cohort.generate(cohort_n, seed)
    return (
        made.reports,
        made.outcomes,
        f"triage.risk.cohort.generate({cohort_n}, seed={seed})",
        True,
    )


def _load(path: str, sha256: str | None) -> Any:
    if path == "default":
        found = models.load(models.DEMO_MODEL, sha256)
        return found
    return models.load(path, sha256)


def policy_thresholds(policy: Any, risk_model: Any) -> list[tuple[str, float]]:
    """The estimates at which the policy's rules start to act on the model."""
    out: list[tuple[str, float]] = []
    for rule in policy.rules:
        stack = [formula(rule.when)]
        while stack:
            node = stack.pop()
            if isinstance(node, And | Or):
                stack.extend(node.items)
            elif isinstance(node, Lit) and node.vs.fact == "model.probability":
                out.append((f"rule {rule.id}", float(node.vs.intervals[0].lo)))
            elif isinstance(node, Lit) and node.vs.fact == "model.band":
                lowest = min(BANDS.index(v) for v in node.vs.values)
                if lowest > 0:
                    out.append((f"rule {rule.id}", risk_model.bands[lowest - 1]))
    return out


def _n(value: Any, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    return f"{value:.{digits}f}"


def print_evaluation(result: dict[str, Any], console: Console) -> None:
    o = result["overall"]
    lo, hi = o["auc_ci"]
    console.print(
        f"{o['n']} reports, {o['positives']} with the outcome "
        f"(prevalence {_n(o['prevalence'])}); AUC {_n(o['auc'])} "
        f"(95% CI {_n(lo)}–{_n(hi)}), Brier {_n(o['brier'])}, ECE {_n(o['ece'])}",
        highlight=False,
    )
    points = Table(title="At each threshold")
    for col in ("threshold", "estimate ≥", "flagged", "sensitivity", "specificity", "PPV"):
        points.add_column(col)
    for name, m in o["at"].items():
        points.add_row(
            name,
            _n(m["threshold"]),
            str(m["flagged"]),
            _n(m["sensitivity"]),
            _n(m["specificity"]),
            _n(m["ppv"]),
        )
    console.print(points)
    inst = Table(title="Model and instruments on the same reports")
    for col in ("", "AUC", "95% CI", "AUC, unknown as yes"):
        inst.add_column(col)
    for name, m in result["instruments"].items():
        inst.add_row(
            name,
            _n(m["auc"]),
            f"{_n(m['auc_ci'][0])}–{_n(m['auc_ci'][1])}",
            _n(m.get("auc_unknown_as_yes")),
        )
    console.print(inst)
    least = result["subgroup_minimum"]
    gaps = Table(
        title=f"Subgroup gaps (groups with ≥{least['reports']} reports and "
        f"≥{least['each_outcome']} of each outcome)"
    )
    for col in ("subgroup", "groups", "AUC gap", "sensitivity gap"):
        gaps.add_column(col)
    for dim, g in result["gaps"].items():
        gaps.add_row(dim, str(g["groups_compared"]), _n(g["auc_gap"]), _n(g["sensitivity_gap"]))
    console.print(gaps)
    for dim, groups in result["subgroups"].items():
        table = Table(title=dim)
        cols = ("group", "n", "prevalence", "AUC", "Brier", "ECE", "sensitivity", "PPV", "compared")
        for col in cols:
            table.add_column(col)
        for label, g in groups.items():
            at: dict[str, Any] = next(iter(g["at"].values()), {})
            table.add_row(
                label,
                str(g["n"]),
                _n(g["prevalence"]),
                _n(g["auc"]),
                _n(g["brier"]),
                _n(g["ece"]),
                _n(at.get("sensitivity")),
                _n(at.get("ppv")),
                "yes" if g.get("compared") else "no (too small)",
            )
        console.print(table)


@click.group()
def model() -> None:
    """Train, evaluate and describe risk models."""


@model.command("train")
@click.option(
    "--cohort",
    "cohort_n",
    type=int,
    default=None,
    help="Train on N synthetic reports (triage.risk.cohort).",
)
@click.option("--seed", type=int, default=0, show_default=True)
@click.option(
    "--data",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="JSON Lines of reports, each with an 'outcome' of 0 or 1.",
)
@OUTCOMES_OPTION
@click.option(
    "--out",
    "out",
    required=True,
    help="Model file to write (a model card is written beside it).",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    type=click.Choice(["logistic", "boosted"]),
    help="Model kinds to compare (default: both).",
)
@click.option("--protected", is_flag=True, help="Also use protected attributes as inputs.")
@click.option("--holdout", type=float, default=0.2, show_default=True)
@click.option("--jobs", type=int, default=None, help="Worker processes for cross-validation.")
@guarded
def model_train(
    cohort_n: int | None,
    seed: int,
    data: str | None,
    outcomes: str | None,
    out: str,
    kinds: tuple[str, ...],
    protected: bool,
    holdout: float,
    jobs: int | None,
) -> None:
    """Train a model, keep the best kind, and write it with its model card."""
    if not 0 <= holdout < 1:
        raise UsageError("--holdout must be at least 0 and below 1")
    if out == "-":
        raise UsageError("--out: the model is written with its card beside it; give a file")
    base = Path(out)
    check_distinct(
        {
            "--out": out,
            "the model card": base.with_name(base.stem + ".card.md"),
            "the model card (JSON)": base.with_name(base.stem + ".card.json"),
        },
        {"--data": data, "--outcomes": outcomes},
    )
    err = Console(stderr=True)
    reports, labels, note, synthetic = _data(data, cohort_n, seed, outcomes)
    with err.status("training") as status:
        fitted = models.train(
            reports,
            labels,
            protected=protected,
            kinds=kinds or ("logistic", "boosted"),
            holdout=holdout,
            seed=seed,
            jobs=jobs,
            synthetic=synthetic,
            data_note=note,
            progress=lambda msg: status.update(msg),
        )
    models.save(fitted, out)
    md, js = write_card(fitted, out)
    meta = fitted.meta
    click.echo(f"{out}: {meta['kind']} model, sha256 {fitted.sha256}")
    ev = meta.get("evaluation")
    if ev:
        o = ev["overall"]
        click.echo(
            f"held out: AUC {_n(o['auc'])} (95% CI {_n(o['auc_ci'][0])}–"
            f"{_n(o['auc_ci'][1])}), Brier {_n(o['brier'])}, ECE {_n(o['ece'])}"
        )
    click.echo(f"model card: {md}, {js}")
    if synthetic:
        click.echo("note: trained on synthetic data; not validated for use on real people")


@model.command("evaluate")
@click.argument("model_file")
@click.option("--data", type=click.Path(dir_okay=False, exists=True), default=None)
@OUTCOMES_OPTION
@click.option("--cohort", "cohort_n", type=int, default=None)
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--policy",
    "policy_path",
    default="default",
    show_default=True,
    help="Policy whose model rules give the operating points.",
)
@click.option(
    "--plots",
    "plots_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Write ROC and calibration curves (PNG) to this directory.",
)
@click.option("--sha256", default=None, help="Refuse the model unless it has this sha256.")
@FORMAT_OPTION
@guarded
def model_evaluate(
    model_file: str,
    data: str | None,
    outcomes: str | None,
    cohort_n: int | None,
    seed: int,
    policy_path: str,
    plots_dir: str | None,
    sha256: str | None,
    as_json: bool,
) -> None:
    """Measure MODEL_FILE (or `default`) on labelled reports, with the instruments beside it."""
    fitted = _load(model_file, sha256)
    reports, labels, _, _ = _data(data, cohort_n, seed, outcomes)
    policy = load_policy(policy_source(policy_path))
    result = models.evaluate(fitted, reports, labels, thresholds=policy_thresholds(policy, fitted))
    written = models.plots(result, plots_dir, fitted) if plots_dir else []
    if as_json:
        click.echo(
            json.dumps(
                {
                    "model": {
                        "sha256": fitted.sha256,
                        "kind": fitted.kind,
                        "synthetic": fitted.synthetic,
                    },
                    **result.as_dict(),
                    "plots": [str(p) for p in written],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    console = wide_console()
    tag = " (synthetic training data)" if fitted.synthetic else ""
    console.print(f"{fitted.kind} model{tag}, sha256 {fitted.sha256}", highlight=False)
    print_evaluation(result.as_dict(), console)
    for path in written:
        console.print(f"plot: {path}", highlight=False, markup=False)


@model.command("card")
@click.argument("model_file")
@click.option("--format", "fmt", type=click.Choice(["md", "json"]), default="md", show_default=True)
@guarded
def model_card(model_file: str, fmt: str) -> None:
    """Print the model card of MODEL_FILE (or `default`)."""
    fitted = _load(model_file, None)
    if fmt == "md":
        click.echo(card_markdown(fitted), nl=False)
    else:
        click.echo(json.dumps(card_data(fitted), ensure_ascii=False, indent=2))


_PINNED_IN = "triage/risk/model/_model.py"


@model.command("build-demo")
@guarded
def model_build_demo() -> None:
    """Rebuild the packaged demonstration model from its seed (what `make model` runs)."""
    built = models.build_demo()
    click.echo(f"{models.DEMO_MODEL}: {built.kind} model, sha256 {built.sha256}")
    if built.kind == "logistic":
        pinned = hashlib.sha256(models.DEMO_PARAMS.read_bytes()).hexdigest()
        if pinned != models.DEMO_PARAMS_SHA256:
            click.echo(f"pin its parameters: DEMO_PARAMS_SHA256 = {pinned!r} in {_PINNED_IN}")
