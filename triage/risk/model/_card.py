"""A model card (Markdown and JSON) next to each model file: what it was trained on, how
well it did on held-out cases, where it does worse, and what it must not be used for."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..._io._output import write_output

if TYPE_CHECKING:
    from ._model import RiskModel

__all__ = ["card_data", "card_markdown", "write_card"]

INTENDED_USE = (
    "A second opinion for triage staff: rules may raise a decision on its estimate, never "
    "lower one. It estimates the chance of severe re-assault, or an attempted or actual "
    "killing, within 12 months of a report."
)
LIMITS = [
    "Not a diagnosis and not a prediction about a person: an estimate from patterns in past "
    "cases, which are incomplete and recorded by institutions with their own biases.",
    "Held-out metrics describe cases like the training data; a different place, time or "
    "intake channel needs its own evaluation before use.",
    "It never lowers a level set by the instruments, the rules or a professional.",
    "Unanswered questions are never read as lower risk than a no (monotone constraints); the "
    "estimate with every unknown answered yes is reported alongside.",
]


def card_data(model: RiskModel) -> dict[str, Any]:
    from ..cohort import SYNTHETIC_NOTICE  # deferred: the cohort module imports numpy

    meta = model.meta
    return {
        "model": {
            "kind": meta["kind"],
            "sha256": model.sha256,
            "format": meta["format"],
            "feature_version": meta["feature_version"],
            "protected_attributes_used": meta["protected"],
        },
        "synthetic": model.synthetic,
        "notice": SYNTHETIC_NOTICE if model.synthetic else None,
        "data": {"note": meta.get("data_note", ""), **meta["trained"]},
        "bands": dict(
            zip(("moderate_from", "high_from", "very_high_from"), meta["bands"], strict=True)
        ),
        "model_selection": meta["candidates"],
        "evaluation": meta.get("evaluation"),
        "intended_use": INTENDED_USE,
        "limits": LIMITS,
    }


def _num(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def card_markdown(model: RiskModel) -> str:
    """The card as Markdown: what the model is, its use and limits, how it was chosen,
    its bands and its held-out performance (overall, beside the instruments, and by
    subgroup)."""
    d = card_data(model)
    lines = _card_header(d) + _card_selection(d)
    ev = d["evaluation"]
    if ev:
        lines += _card_performance(ev) + _card_subgroups(ev)
    return "\n".join(lines) + "\n"


def _card_header(d: dict[str, Any]) -> list[str]:
    lines = [f"# Model card: {d['model']['kind']} risk model", ""]
    if d["synthetic"]:
        lines += [f"> **{d['notice']}**", ""]
    lines += [
        f"- **sha256**: `{d['model']['sha256']}`",
        f"- **format**: {d['model']['format']}, features v{d['model']['feature_version']}",
        "- **protected attributes as inputs**: "
        + ("yes" if d["model"]["protected_attributes_used"] else "no"),
        f"- **trained on**: {d['data']['n']} cases ({d['data']['positives']} positive), "
        f"{d['data']['held_out']} held out; seed {d['data']['seed']}; "
        f"triage {d['data']['library_version']}",
    ]
    if d["data"]["note"]:
        lines.append(f"- **data**: {d['data']['note']}")
    lines += ["", "## Intended use", "", INTENDED_USE, "", "## Limits", ""]
    lines += [f"- {item}" for item in LIMITS]
    return lines


def _card_selection(d: dict[str, Any]) -> list[str]:
    lines = ["", "## Model selection (cross-validated log loss, lower is better)", ""]
    chosen = d["model_selection"].get("chosen", {})
    lines += [
        f"- {name}: {_num(r['cv_log_loss'], 4)}"
        for name, r in d["model_selection"].items()
        if name != "chosen"
    ]
    if chosen:
        lines.append(
            f"- kept: {chosen['kind']} (the simplest within one standard error, "
            f"{_num(chosen['one_standard_error'], 4)}, of the best: {chosen['best']})"
        )
    bands = d["bands"]
    lines += [
        "",
        "## Bands",
        "",
        f"low < {_num(bands['moderate_from'])} ≤ moderate < {_num(bands['high_from'])} ≤ "
        f"high < {_num(bands['very_high_from'])} ≤ very high",
    ]
    return lines


def _card_performance(ev: dict[str, Any]) -> list[str]:
    """Overall, at each threshold, and the instruments on the same cases."""
    o = ev["overall"]
    lo, hi = o["auc_ci"]
    lines = [
        "",
        "## Held-out performance",
        "",
        f"- AUC {_num(o['auc'])} (95% CI {_num(lo)}–{_num(hi)}), Brier {_num(o['brier'])},"
        f" ECE {_num(o['ece'])}, prevalence {_num(o['prevalence'])}",
        "",
        "| threshold | estimate ≥ | flagged | sensitivity | specificity | PPV |",
        "|---|---|---|---|---|---|",
    ]
    for name, m in o["at"].items():
        lines.append(
            f"| {name} | {_num(m['threshold'])} | {m['flagged']} | "
            f"{_num(m['sensitivity'])} | {_num(m['specificity'])} | {_num(m['ppv'])} |"
        )
    lines += [
        "",
        "Instruments on the same cases (unanswered items counted as no):",
        "",
        "| instrument | AUC | 95% CI | AUC, unknown as yes |",
        "|---|---|---|---|",
    ]
    for name, m in ev["instruments"].items():
        lo, hi = m["auc_ci"]
        lines.append(
            f"| {name} | {_num(m['auc'])} | {_num(lo)}–{_num(hi)} | "
            f"{_num(m.get('auc_unknown_as_yes'))} |"
        )
    return lines


def _card_subgroups(ev: dict[str, Any]) -> list[str]:
    lines = [
        "",
        "## Subgroups",
        "",
        "Gaps are the largest difference between groups with at least 100 cases and "
        "10 of each outcome.",
        "",
        "| subgroup | groups compared | AUC gap | sensitivity gap |",
        "|---|---|---|---|",
    ]
    for dim, g in ev["gaps"].items():
        lines.append(
            f"| {dim} | {g['groups_compared']} | {_num(g['auc_gap'])} | "
            f"{_num(g['sensitivity_gap'])} |"
        )
    for dim, groups in ev["subgroups"].items():
        lines += [
            "",
            f"### {dim}",
            "",
            "| group | n | prevalence | AUC | Brier | ECE |",
            "|---|---|---|---|---|---|",
        ]
        for label, g in groups.items():
            lines.append(
                f"| {label} | {g['n']} | {_num(g['prevalence'])} | {_num(g['auc'])} "
                f"| {_num(g['brier'])} | {_num(g['ece'])} |"
            )
    return lines


def write_card(model: RiskModel, model_path: str | Path) -> tuple[Path, Path]:
    """``<model>.card.md`` and ``<model>.card.json`` beside the model file."""
    base = Path(model_path)
    md = base.with_name(base.stem + ".card.md")
    js = base.with_name(base.stem + ".card.json")
    write_output(md, card_markdown(model))
    write_output(js, json.dumps(card_data(model), indent=2, ensure_ascii=False) + "\n")
    return md, js
