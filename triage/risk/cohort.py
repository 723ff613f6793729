"""A synthetic cohort of reports with outcomes, for demonstrating and testing risk models.

THE DATA ARE SYNTHETIC. No real case-outcome data set can be installed with an
open library, so `generate` draws reports in the intake schema, each with an
outcome: severe re-assault, or attempted or actual killing, within 12 months.
A model trained on these data has learned the assumptions below, not people;
no such model is validated for use on real people.

How a case is drawn:

1. Context: source channel, case type, the abuser's relationship to the victim,
   the victim's age and gender (shares are assumptions, shown in `CONTEXT`).
2. A latent severity ``z ~ N(0, 1)``, lower for emotional disputes, makes risk
   factors cluster, as they do in practice.
3. Each indicator is present with probability ``sigmoid(a + LOADING * z)``, ``a``
   solved so that its share in the cohort matches ``Factor.prevalence``.
4. The outcome has log-odds ``INTERCEPT + SCALE * sum(log(odds_ratio))`` over the
   factors present. Odds ratios are published figures where one was found
   (`Factor.grade` says how well it is sourced); all are multiplied by one
   ``SCALE`` so that the best attainable AUC is near the .748 of a machine-learned
   model on 350,000 UK police incidents (Turner, Brown & Medina-Ariza 2022,
   Psychosocial Intervention 31(3):145-157): published odds ratios come from
   femicide case-control studies, far more extreme than a 12-month cohort.
5. Answers go missing ("unknown") at a rate that depends on the channel, and a
   few victims answer nothing (the Lethality Screen form has a box for that:
   Maryland Network Against Domestic Violence, LAP protocol form).

Grades: ``verified`` (read in the primary source), ``secondary`` (quoted by a
secondary source), ``unverified`` (recalled figure not found in the sources
read), ``assumption`` (no published figure found; chosen to be plausible).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from .._errors import ReportError, UsageError
from .._io._json import iter_text_lines, parse_json
from .._io._output import check_distinct, open_output
from ..vocab import INDICATORS, implied_closure

__all__ = [
    "CONTEXT",
    "FACTORS",
    "SYNTHETIC_NOTICE",
    "SYNTHETIC_NOTICE_ZH",
    "Cohort",
    "Factor",
    "generate",
    "read_jsonl",
    "write_jsonl",
]

SYNTHETIC_NOTICE = (
    "Synthetic data: drawn from published risk-factor figures and stated assumptions, "
    "not from real cases. A model trained on it is not validated for use on real people."
)
SYNTHETIC_NOTICE_ZH = (
    "合成数据：依据已发表的风险因素数据和明示假设生成，并非真实案例；"
    "用其训练的模型未经真实人群验证，不得用于真实决策。"
)


@dataclass(frozen=True)
class Factor:
    """A risk factor: how common it is among reported cases, and its effect on the outcome."""

    indicator: str
    prevalence: float
    odds_ratio: float
    source: str
    grade: str  # verified | secondary | unverified | assumption


# Odds ratios are for severe or lethal outcomes; a factor with odds ratio 1 still
# correlates with the outcome through the latent severity, as weakly predictive
# checklist items do (Turner, Medina & Brown 2019, Br J Criminol 59(5):1013-1034).
FACTORS: tuple[Factor, ...] = (
    Factor(
        "strangulation",
        0.10,
        7.48,
        "Glass et al. 2008, J Emerg Med 35(3):329-335: 10% of abused controls; OR 7.48 "
        "(95% CI 4.53-12.35) for completed homicide",
        "verified",
    ),
    Factor(
        "gun_access",
        0.03,
        5.38,
        "OR: Campbell et al. 2003 multivariate, as cited by Roberts 2009, J Contemp Crim "
        "Justice 25(1):67-88; prevalence assumed (firearms are rare where the default "
        "policy applies)",
        "secondary",
    ),
    Factor(
        "weapon_use_or_threat",
        0.12,
        4.1,
        "OR: Campbell et al. 2003, Am J Public Health 93(7):1089-1097, previous threat with "
        "a weapon (direction verified in the abstract; size recalled); prevalence assumed",
        "unverified",
    ),
    Factor(
        "abuser_unemployed",
        0.25,
        4.4,
        "OR: Campbell et al. 2003, abuser unemployed (recalled, not found in the sources "
        "read); prevalence assumed",
        "unverified",
    ),
    Factor(
        "child_of_previous_partner",
        0.10,
        2.4,
        "OR: Campbell et al. 2003, perpetrator's stepchild in the home (direction verified "
        "in the abstract; size recalled); prevalence assumed",
        "unverified",
    ),
    Factor(
        "cohabited",
        0.80,
        round(1 / 0.34, 2),
        "OR: Campbell et al. 2003, never lived together is protective, recalled AOR 0.34 "
        "(direction verified in the abstract); prevalence assumed",
        "unverified",
    ),
    Factor(
        "threat_to_kill",
        0.15,
        2.0,
        "direction: '15 times more likely' (bivariate), Campbell's Danger Assessment study "
        "as quoted by One Place FJC; the conditional size is assumed",
        "assumption",
    ),
    Factor(
        "stalking",
        0.15,
        1.5,
        "direction: significant bivariate risk, Campbell et al. 2003 (abstract); size assumed",
        "assumption",
    ),
    Factor(
        "forced_sex",
        0.08,
        1.5,
        "direction: significant bivariate risk, Campbell et al. 2003 (abstract); size assumed",
        "assumption",
    ),
    Factor(
        "violence_during_pregnancy",
        0.05,
        1.5,
        "direction: significant bivariate risk, Campbell et al. 2003 (abstract); size assumed",
        "assumption",
    ),
    Factor(
        "escalation",
        0.30,
        1.5,
        "Danger Assessment item 1 (violence more frequent or severe); size assumed",
        "assumption",
    ),
    Factor(
        "abuser_suicidality",
        0.08,
        1.5,
        "Thornton 2011 / Chalkley 2015 case-control: attempted suicide by the offender as a "
        "marker of deadly violence; size assumed",
        "assumption",
    ),
    Factor(
        "prior_domestic_assault_record",
        0.20,
        0.31,
        "OR: Campbell et al. 2003, prior domestic-violence arrest is protective (direction "
        "verified in the abstract; AOR 0.31 recalled); prevalence assumed",
        "unverified",
    ),
    Factor("physical_violence", 0.65, 1.5, "prevalence and size assumed", "assumption"),
    Factor(
        "coercive_control",
        0.30,
        1.0,
        "enters through its interaction with separation (below); prevalence assumed",
        "assumption",
    ),
    Factor(
        "separation",
        0.30,
        1.0,
        "enters through its interaction with coercive control (below); prevalence assumed",
        "assumption",
    ),
)
# Estrangement from a controlling partner (Campbell et al. 2003: direction verified in the
# abstract; recalled AOR 3.6-5.5, the lower end used).
SEPARATED_FROM_CONTROLLING = Factor(
    "separation*coercive_control",
    0.0,
    3.6,
    "Campbell et al. 2003: estrangement, especially from a controlling partner",
    "unverified",
)
_CLOSURE = implied_closure()
OTHER_PREVALENCE = 0.12  # every other indicator (assumption)
CALLS_OR = Factor(
    "history.police_calls_12m",
    0.0,
    1.2,
    "per prior police call in 12 months, up to 5 (assumption; repeat "
    "victimisation is a MARAC criterion, SafeLives)",
    "assumption",
)
VIOLATION_OR = Factor(
    "history.protection_order_violations",
    0.03,
    2.0,
    "protection-order violation (assumption)",
    "assumption",
)

BASE_RATE = 0.10  # assumption; VioGén police-recorded recidivism was 14.3% within 320 days
# (López-Ossorio, Loinaz & González-Álvarez 2019, Span J Leg Med 45(2):52-58), of which
# severe re-assault is a part.
LOADING = 0.8  # how strongly the latent severity clusters risk factors (assumption)
EMOTIONAL_SHIFT = -0.7  # emotional disputes are less severe on average (assumption)
TARGET_AUC = 0.748  # Turner, Brown & Medina-Ariza 2022 (see above)
# Solved by `_calibrate` for BASE_RATE and TARGET_AUC; tests check they still hold.
SCALE = 0.5025
INTERCEPT = -3.7695

CONTEXT: dict[str, Any] = {  # shares are assumptions
    "source": {
        "police_110": 0.35,
        "grid_patrol": 0.15,
        "womens_federation": 0.12,
        "hotline_12338": 0.08,
        "mediation_referral": 0.07,
        "hospital": 0.05,
        "court": 0.05,
        "school": 0.03,
        "civil_affairs": 0.03,
        "residents_committee": 0.03,
        "social_work": 0.02,
        "self_report": 0.02,
    },
    "emotional_dispute": 0.25,
    "relationship": {
        "spouse": 0.42,
        "ex_spouse": 0.08,
        "partner": 0.07,
        "ex_partner": 0.04,
        "dating": 0.08,
        "ex_dating": 0.05,
        "parent": 0.06,
        "child": 0.06,
        "sibling": 0.03,
        "in_law": 0.03,
        "other_family": 0.03,
        "other": 0.02,
        None: 0.03,
    },
    "female_victim": 0.85,
    "unknown_rate": {  # share of questions left unanswered, by channel
        "police_110": 0.10,
        "grid_patrol": 0.30,
        "womens_federation": 0.12,
        "hotline_12338": 0.30,
        "mediation_referral": 0.20,
        "hospital": 0.20,
        "court": 0.10,
        "school": 0.40,
        "civil_affairs": 0.25,
        "residents_committee": 0.30,
        "social_work": 0.15,
        "self_report": 0.15,
    },
    "answers_nothing": 0.05,
}


@dataclass
class Cohort:
    """Synthetic reports (intake JSON shape) and their outcomes (1: severe or lethal)."""

    reports: list[dict[str, Any]]
    outcomes: np.ndarray
    seed: int
    risk: np.ndarray = field(repr=False)  # the true outcome probability of each case
    notice: str = SYNTHETIC_NOTICE

    def __len__(self) -> int:
        return len(self.reports)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = 1.0 / (1.0 + np.exp(-x))
    return out


# Gauss-Hermite nodes to average over the latent severity when solving intercepts.
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(40)
_GH_W = _GH_W / _GH_W.sum()


def _intercept_for(prevalence: float) -> float:
    """``a`` such that E[sigmoid(a + LOADING z)] over the cohort's z equals ``prevalence``."""
    lo, hi = -15.0, 15.0
    shift = np.concatenate([_GH_X, _GH_X + EMOTIONAL_SHIFT])
    weights = np.concatenate(
        [_GH_W * (1 - CONTEXT["emotional_dispute"]), _GH_W * CONTEXT["emotional_dispute"]]
    )
    for _ in range(80):
        mid = (lo + hi) / 2
        mean = float(np.sum(weights * _sigmoid(mid + LOADING * shift)))
        lo, hi = (mid, hi) if mean < prevalence else (lo, mid)
    return (lo + hi) / 2


def _choice(rng: np.random.Generator, shares: dict[Any, float], n: int) -> list[Any]:
    keys = list(shares)
    p = np.array([shares[k] for k in keys], dtype=float)
    picks = rng.choice(len(keys), size=n, p=p / p.sum())
    return [keys[i] for i in picks]


# The indicators the cohort's first random stream draws, in that stream's order.
# Indicators the library learnt later are drawn from a stream of their own (`_later`),
# so that a seed keeps giving the same answers to these, the same outcomes and the
# same reports it always gave.
FIRST_INDICATORS: tuple[str, ...] = INDICATORS.codes[
    : INDICATORS.codes.index("victim_support_barriers") + 1
]
LATER_INDICATORS: tuple[str, ...] = tuple(c for c in INDICATORS.codes if c not in FIRST_INDICATORS)


def _later(n: int, seed: int, z: np.ndarray) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """The later indicators' true answers, and their draws for going missing.

    They share the latent severity ``z`` (and so correlate with the outcome the way
    weakly predictive items do) but are not in the outcome's log odds.
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    base = _intercept_for(OTHER_PREVALENCE)
    present = {code: rng.random(n) < _sigmoid(base + LOADING * z) for code in LATER_INDICATORS}
    return present, rng.random((n, len(LATER_INDICATORS)))


def _draw(n: int, seed: int) -> dict[str, Any]:
    """Everything about ``n`` cases, as arrays (the true answers, before any go missing).

    ``lp`` is the sum of log odds ratios of each case; with ``u`` it gives the outcome
    for any scale and intercept (see `_outcomes`).
    """
    rng = np.random.default_rng(np.random.PCG64(seed))
    emotional = rng.random(n) < CONTEXT["emotional_dispute"]
    z = rng.standard_normal(n) + np.where(emotional, EMOTIONAL_SHIFT, 0.0)
    prevalence = dict.fromkeys(FIRST_INDICATORS, OTHER_PREVALENCE)
    prevalence.update({f.indicator: f.prevalence for f in FACTORS})
    present = {
        code: rng.random(n) < _sigmoid(_intercept_for(p) + LOADING * z)
        for code, p in prevalence.items()
    }
    later, later_missing = _later(n, seed, z)
    present.update(later)
    for code, broader in _CLOSURE.items():  # a specific answer settles the broader ones
        for broad in broader:
            present[broad] = present[broad] | present[code]
    calls = rng.poisson(np.exp(-0.6 + 0.6 * z))
    violations = (
        rng.random(n) < _sigmoid(_intercept_for(VIOLATION_OR.prevalence) + LOADING * z)
    ).astype(int)
    orders = violations + (rng.random(n) < 0.05)
    lp = np.zeros(n)
    for f in FACTORS:
        lp += np.log(f.odds_ratio) * present[f.indicator]
    lp += np.log(SEPARATED_FROM_CONTROLLING.odds_ratio) * (
        present["separation"] & present["coercive_control"]
    )
    lp += np.log(CALLS_OR.odds_ratio) * np.minimum(calls, 5)
    lp += np.log(VIOLATION_OR.odds_ratio) * violations
    u = rng.random(n)
    return {
        "rng": rng,
        "emotional": emotional,
        "present": present,
        "calls": calls,
        "violations": violations,
        "orders": orders,
        "lp": lp,
        "u": u,
        "later_missing": later_missing,
    }


def _outcomes(d: dict[str, Any], scale: float, intercept: float) -> tuple[np.ndarray, np.ndarray]:
    risk = _sigmoid(intercept + scale * d["lp"])
    return risk, (d["u"] < risk).astype(np.int8)


def generate(n: int, seed: int = 0) -> Cohort:
    """``n`` synthetic reports with outcomes; the same ``seed`` gives the same cohort."""
    if n < 1:
        raise UsageError("a cohort needs at least one report")
    d = _draw(n, seed)
    risk, outcome = _outcomes(d, SCALE, INTERCEPT)
    rng: np.random.Generator = d["rng"]
    sources = _choice(rng, CONTEXT["source"], n)
    relationships = _choice(rng, CONTEXT["relationship"], n)
    female = rng.random(n) < CONTEXT["female_victim"]
    ages = np.clip(np.rint(rng.normal(36, 11, n)), 16, 90).astype(int)
    young = rng.integers(4, 18, n)
    old = rng.integers(60, 90, n)
    nothing = rng.random(n) < CONTEXT["answers_nothing"]
    missing_draw = np.hstack([rng.random((n, len(FIRST_INDICATORS))), d["later_missing"]])
    field_missing = rng.random((n, 6))
    kids = rng.poisson(1.0, n)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    minutes = rng.integers(0, 365 * 24 * 60, n)
    rates = CONTEXT["unknown_rate"]
    reports: list[dict[str, Any]] = []
    codes = FIRST_INDICATORS + LATER_INDICATORS
    present = d["present"]
    for i in range(n):
        source = sources[i]
        rate = 1.0 if nothing[i] else rates[source]
        indicators = {}
        for k, code in enumerate(codes):
            if missing_draw[i, k] < rate:
                indicators[code] = "unknown"
            else:
                indicators[code] = "yes" if present[code][i] else "no"
        relationship = relationships[i]
        age = int(
            young[i] if relationship == "parent" else old[i] if relationship == "child" else ages[i]
        )
        victim: dict[str, Any] = {"gender": "female" if female[i] else "male"}
        if field_missing[i, 0] >= 0.15:
            victim["age"] = age
        abuser: dict[str, Any] = {"gender": "male" if female[i] else "female"}
        if relationship is not None:
            abuser["relationship"] = relationship
        history: dict[str, Any] = {}
        if field_missing[i, 1] >= rate:
            history["police_calls_12m"] = int(d["calls"][i])
        if field_missing[i, 2] >= rate:
            history["protection_order_violations"] = int(d["violations"][i])
            history["prior_protection_orders"] = int(d["orders"][i])
        children: dict[str, Any] = {}
        if field_missing[i, 3] >= 0.2:
            children["count"] = int(kids[i])
            if kids[i] and field_missing[i, 4] >= rate:
                children["minors_exposed"] = bool(field_missing[i, 5] < 0.5)
        reports.append(
            {
                "id": f"SYN-{seed}-{i:07d}",
                "reported_at": (start + timedelta(minutes=int(minutes[i]))).isoformat(),
                "source": source,
                "case_type": "emotional_dispute" if d["emotional"][i] else "domestic_violence",
                "victim": victim,
                "abuser": abuser,
                "children": children,
                "indicators": indicators,
                "history": history,
            }
        )
    return Cohort(reports, outcome, seed, risk)


def _calibrate(n: int = 400_000, seed: int = 12345) -> tuple[float, float]:
    """(SCALE, INTERCEPT) giving BASE_RATE and TARGET_AUC for the true risk."""
    from sklearn.metrics import roc_auc_score

    d = _draw(n, seed)

    def intercept_for(scale: float) -> float:
        lo, hi = -15.0, 5.0
        for _ in range(50):
            mid = (lo + hi) / 2
            risk, _ = _outcomes(d, scale, mid)
            lo, hi = (mid, hi) if risk.mean() < BASE_RATE else (lo, mid)
        return (lo + hi) / 2

    lo, hi = 0.05, 1.5
    for _ in range(30):
        mid = (lo + hi) / 2
        risk, outcome = _outcomes(d, mid, intercept_for(mid))
        lo, hi = (mid, hi) if roc_auc_score(outcome, risk) < TARGET_AUC else (lo, mid)
    scale = (lo + hi) / 2
    return round(scale, 4), round(intercept_for(scale), 4)


# -- files --------------------------------------------------------------------------------------


def write_jsonl(
    cohort: Cohort, path: str | Path, outcomes: str | Path | None = None, *, inline: bool = True
) -> None:
    """The cohort as JSON Lines, one report per line.

    With ``outcomes``, the reports alone go to ``path`` (valid input for `triage batch`
    and `rules diff`) and ``{"id": …, "outcome": 0 or 1}`` lines to ``outcomes``.
    Otherwise each report carries its ``outcome`` when ``inline`` (model training data).
    """
    targets = check_distinct({"archive": path, "outcomes": outcomes})
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(open_output(targets["archive"]))
        out = stack.enter_context(open_output(targets["outcomes"])) if outcomes else None
        for report, outcome in zip(cohort.reports, cohort.outcomes, strict=True):
            record = {**report, "outcome": int(outcome)} if inline and out is None else report
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            if out is not None:
                out.write(json.dumps({"id": report["id"], "outcome": int(outcome)}) + "\n")


def read_jsonl(
    path: str | Path, outcomes: str | Path | None = None
) -> tuple[list[dict[str, Any]], np.ndarray]:
    """Reports and outcomes from JSON Lines.

    Each line carries an ``outcome`` of 0 or 1, or, with ``outcomes``, that file
    gives ``{"id": …, "outcome": 0 or 1}`` for every report's id (as `triage cohort
    --outcomes` writes it). Raises `ReportError` naming every bad line
    (``file:line``), never its contents.
    """
    known = _read_outcomes(outcomes) if outcomes is not None else None
    reports: list[dict[str, Any]] = []
    found: list[int] = []
    problems: list[str] = []
    for where, data in _json_lines(path, problems):
        if known is not None:
            rid = data.get("id") if isinstance(data, dict) else None
            if not isinstance(rid, str) or rid not in known:
                problems.append(f"{where}: no outcome for this report's id in {outcomes}")
                continue
            found.append(known[rid])
            reports.append(data)
            continue
        if not _is_outcome(data.get("outcome") if isinstance(data, dict) else None):
            problems.append(f"{where}: needs an 'outcome' of 0 or 1")
            continue
        found.append(int(data.pop("outcome")))
        reports.append(data)
    _raise_problems(problems)
    if not reports:
        raise UsageError(f"{path}: no reports")
    return reports, np.asarray(found, dtype=np.int8)


def _is_outcome(value: Any) -> bool:
    return value in (0, 1) and not isinstance(value, bool)


def _read_outcomes(path: str | Path) -> dict[str, int]:
    out: dict[str, int] = {}
    problems: list[str] = []
    for where, data in _json_lines(path, problems):
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("id"), str)
            or not _is_outcome(data.get("outcome"))
        ):
            problems.append(f"{where}: needs an 'id' and an 'outcome' of 0 or 1")
        elif data["id"] in out:
            problems.append(f"{where}: a second outcome for the same id")
        else:
            out[data["id"]] = int(data["outcome"])
    _raise_problems(problems)
    return out


def _json_lines(path: str | Path, problems: list[str]) -> Iterator[tuple[str, Any]]:
    p = Path(path)
    try:
        fh = p.open("rb")
    except OSError:
        raise UsageError(f"{p}: cannot be read") from None
    with fh:
        for number, line in _lines(iter_text_lines(fh)):
            where = f"{p}:{number}"
            if line is None:
                problems.append(f"{where}: line too long")
                continue
            try:
                yield where, parse_json(line, where)
            except ReportError:
                problems.append(f"{where}: not valid JSON")


def _raise_problems(problems: list[str]) -> None:
    if problems:
        shown = "; ".join(problems[:10]) + (
            f"; and {len(problems) - 10} more" if len(problems) > 10 else ""
        )
        raise ReportError(f"{len(problems)} bad lines: {shown}")


def _lines(items: Iterable[tuple[int, bytes | None]]) -> Iterator[tuple[int, bytes | None]]:
    for number, line in items:
        if line is not None and not line.strip():
            continue
        yield number, line
