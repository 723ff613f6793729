"""Report generators for property and differential tests: hypothesis, and a fast seeded one."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from triage.vocab import (
    CASE_TYPES,
    CONTACT_KINDS,
    GENDERS,
    HELP_CHANNELS,
    HELP_OUTCOMES,
    INDICATORS,
    LEVELS,
    RELATIONSHIPS,
    SOURCES,
)

ANSWERS = ("yes", "no", "unknown")
EDGE_AGES = (0, 8, 15, 17, 18, 19, 45, 59, 60, 61, 90, 120)
EDGE_COUNTS = (0, 1, 2, 3, 4, 10)


def random_report(rng: random.Random, i: int = 0) -> dict[str, Any]:
    """One report with every field sometimes missing and answers spread over yes/no/unknown."""

    def maybe(p: float, value: Any) -> Any:
        return value if rng.random() < p else None

    def tri() -> bool | None:
        return rng.choice((True, False, None))

    start = datetime(2026, 1, 1, tzinfo=UTC)
    moment = start + timedelta(minutes=rng.randrange(0, 60 * 24 * 365))
    offset = rng.choice(("+08:00", "+00:00", "-05:00"))
    report: dict[str, Any] = {
        "id": f"R-{i:06d}",
        "reported_at": moment.strftime("%Y-%m-%dT%H:%M:%S") + offset,
        "source": rng.choice(SOURCES.codes),
        "case_type": rng.choice(CASE_TYPES.codes),
    }
    p_answer = rng.choice((0.1, 0.5, 0.9))
    p_yes = rng.choice((0.05, 0.2, 0.5))
    indicators = {}
    for code in INDICATORS.codes:
        if rng.random() < p_answer:
            indicators[code] = "yes" if rng.random() < p_yes else rng.choice(("no", "unknown"))
    report["indicators"] = indicators
    victim = {
        "age": maybe(0.7, rng.choice((*EDGE_AGES, rng.randint(0, 120)))),
        "gender": maybe(0.8, rng.choice(GENDERS.codes)),
        "pregnant": tri(),
        "disability": tri(),
        "lacks_capacity": tri(),
    }
    report["victim"] = {k: v for k, v in victim.items() if v is not None}
    abuser = {
        "age": maybe(0.5, rng.randint(12, 90)),
        "gender": maybe(0.7, rng.choice(GENDERS.codes)),
        "relationship": maybe(0.8, rng.choice(RELATIONSHIPS.codes)),
    }
    report["abuser"] = {k: v for k, v in abuser.items() if v is not None}
    children = {"count": maybe(0.6, rng.choice(EDGE_COUNTS)), "minors_exposed": tri()}
    report["children"] = {k: v for k, v in children.items() if v is not None}
    history = {
        "police_calls_12m": maybe(0.6, rng.choice(EDGE_COUNTS)),
        "prior_protection_orders": maybe(0.4, rng.choice((0, 1, 2))),
        "protection_order_violations": maybe(0.4, rng.choice((0, 0, 1, 2))),
    }
    report["history"] = {k: v for k, v in history.items() if v is not None}
    requests = {"protection_order": tri(), "shelter": tri(), "mediation": tri()}
    report["requests"] = {k: v for k, v in requests.items() if v is not None}
    consent = {"share_with_agencies": tri(), "referral": tri()}
    report["consent"] = {k: v for k, v in consent.items() if v is not None}
    if rng.random() < 0.5:
        report["location"] = {"street": rng.choice(("xixiang", "xinan", "fuyong", "songgang"))}
    if rng.random() < 0.3:
        pj: dict[str, Any] = {"level": rng.choice(LEVELS.codes)}
        if rng.random() < 0.5:
            pj["reason"] = "assessor's reasons"
        if rng.random() < 0.5:
            pj["believes_lethal"] = rng.choice((True, False))
        report["professional_judgement"] = pj
    _later_fields(rng, report, moment)
    return report


def _later_fields(rng: random.Random, report: dict[str, Any], moment: datetime) -> None:
    """The fields the report learnt later, drawn after the others so that a seed keeps
    giving the same values to those."""

    def tri() -> bool | None:
        return rng.choice((True, False, None))

    def put(section: str, name: str, value: Any) -> None:
        if value is not None:
            report.setdefault(section, {})[name] = value

    put("victim", "minor", tri() if rng.random() < 0.3 else None)
    if rng.random() < 0.2:
        put(
            "abuser",
            "separated_at",
            (moment - timedelta(days=rng.randint(0, 900))).date().isoformat(),
        )
    elif rng.random() < 0.1:
        put("abuser", "months_since_separation", rng.choice((0, 6, 11, 12, 30)))
    put("abuser", "others_involved", tri())
    put("abuser", "can_reach_workplace_or_school", tri())
    for name in ("failed_mediation", "prior_warning_letter", "penalty_imposed"):
        put("history", name, tri() if rng.random() < 0.5 else None)
    if rng.random() < 0.4:
        put(
            "history",
            "help_sought",
            [
                {
                    "to": rng.choice(HELP_CHANNELS.codes),
                    **(
                        {"months_ago": rng.choice((0, 3, 11, 12, 24))} if rng.random() < 0.8 else {}
                    ),
                    **({"outcome": rng.choice(HELP_OUTCOMES.codes)} if rng.random() < 0.8 else {}),
                }
                for _ in range(rng.choice((0, 1, 1, 2, 3)))
            ],
        )
    if rng.random() < 0.25:
        contact: dict[str, Any] = {"kind": rng.choice(CONTACT_KINDS.codes)}
        if rng.random() < 0.7:
            day = moment.date() + timedelta(days=rng.choice((-3, 0, 1, 7, 8, 30)))
            contact["on"] = day.isoformat()
        report["upcoming_contact"] = contact


def random_reports(n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    return [random_report(rng, i) for i in range(n)]


@st.composite
def reports(draw: st.DrawFn) -> dict[str, Any]:
    """A valid report, shrinking towards few answers."""
    report: dict[str, Any] = {
        "id": "H-1",
        "reported_at": "2026-03-02T21:15:00+08:00",
        "source": draw(st.sampled_from(SOURCES.codes)),
        "case_type": draw(st.sampled_from(CASE_TYPES.codes)),
        "indicators": draw(
            st.dictionaries(
                st.sampled_from(INDICATORS.codes),
                st.sampled_from(ANSWERS),
                max_size=len(INDICATORS),
            )
        ),
    }
    age = draw(st.none() | st.sampled_from(EDGE_AGES))
    victim: dict[str, Any] = {}
    if age is not None:
        victim["age"] = age
    for name in ("pregnant", "disability", "lacks_capacity"):
        value = draw(st.sampled_from((None, True, False)))
        if value is not None:
            victim[name] = value
    report["victim"] = victim
    relationship = draw(st.none() | st.sampled_from(RELATIONSHIPS.codes))
    if relationship is not None:
        report["abuser"] = {"relationship": relationship}
    count = draw(st.none() | st.sampled_from(EDGE_COUNTS))
    exposed = draw(st.sampled_from((None, True, False)))
    report["children"] = {
        k: v for k, v in (("count", count), ("minors_exposed", exposed)) if v is not None
    }
    history = {}
    for name in ("police_calls_12m", "protection_order_violations"):
        value = draw(st.none() | st.sampled_from(EDGE_COUNTS))
        if value is not None:
            history[name] = value
    report["history"] = history
    requests = {}
    for name in ("protection_order", "shelter", "mediation"):
        value = draw(st.sampled_from((None, True, False)))
        if value is not None:
            requests[name] = value
    report["requests"] = requests
    for name in ("failed_mediation", "prior_warning_letter", "penalty_imposed"):
        value = draw(st.sampled_from((None, True, False)))
        if value is not None:
            history[name] = value
    help_sought = draw(
        st.none()
        | st.lists(
            st.fixed_dictionaries(
                {"to": st.sampled_from(HELP_CHANNELS.codes)},
                optional={
                    "months_ago": st.sampled_from((0, 11, 12, 24)),
                    "outcome": st.sampled_from(HELP_OUTCOMES.codes),
                },
            ),
            max_size=3,
        )
    )
    if help_sought is not None:
        history["help_sought"] = help_sought
    abuser = report.setdefault("abuser", {})
    for name in ("others_involved", "can_reach_workplace_or_school"):
        value = draw(st.sampled_from((None, True, False)))
        if value is not None:
            abuser[name] = value
    if draw(st.booleans()):
        contact: dict[str, Any] = {"kind": draw(st.sampled_from(CONTACT_KINDS.codes))}
        days = draw(st.none() | st.sampled_from((-1, 0, 7, 8)))
        if days is not None:
            contact["on"] = (date(2026, 3, 2) + timedelta(days=days)).isoformat()
        report["upcoming_contact"] = contact
    level = draw(st.none() | st.sampled_from(LEVELS.codes))
    if level is not None:
        report["professional_judgement"] = {
            "level": level,
            **({"reason": "because"} if draw(st.booleans()) else {}),
        }
    return report
