"""Decisions rendered as plain sentences, in Chinese or English.

`explain` is one helper per section of the text (the report, the level, the
instruments, the model, derived answers, the rules, the gaps, the routing, the
provenance); every sentence comes from the catalogue (`_catalogue.say`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from types import MappingProxyType
from typing import Any

from .._lang import DEFAULT_LANG, check_lang, pick
from ..decision import Decision, RoutingPlan
from ..risk import CAVEATS, INSTRUMENTS
from ..rules._facts import FACTS
from ..vocab import CASE_TYPES, DEPARTMENTS, FLAGS, LEVELS, PRIORITIES, SOURCES, TRI, Vocabulary
from ._catalogue import instrument_level, say

__all__ = ["explain", "explain_routing", "fact_label", "own_labels", "term", "value_label"]

_MAX_GAPS = 10  # the decision keeps every gap; an explanation lists the most decisive


# The labels of a policy's own sources and flags (the decision or the policy carries
# them): set for the length of one explanation, so that the sentence helpers, which
# know only a code and a language, can word them as they word the standard ones.
OWN_LABELS: ContextVar[Mapping[str, Any]] = ContextVar("own_labels", default=MappingProxyType({}))


@contextmanager
def own_labels(labels: Mapping[str, Any]) -> Iterator[None]:
    token = OWN_LABELS.set(labels)
    try:
        yield
    finally:
        OWN_LABELS.reset(token)


def term(vocab: Vocabulary, code: str, lang: str) -> str:
    """A code's label: the standard vocabulary's, else the policy's own, else the code."""
    if code in vocab:
        return vocab.label(code, lang)
    own = OWN_LABELS.get().get(code)
    return str(own.get(lang)) if own is not None else code


def fact_label(name: str, lang: str) -> str:
    if name.startswith("history:"):  # an answer carried from an earlier report of the case
        return say("from_history", lang, id=name[8:])
    if name.startswith("flags.") and name[6:] not in FLAGS:
        return say("flagged", lang, label=term(FLAGS, name[6:], lang))
    fact = FACTS.get(name)
    if fact is None:
        return name
    return pick(fact.zh, fact.en, lang)


def value_label(name: str, value: Any, lang: str) -> str:
    if value is None:
        return say("not_given", lang)
    fact = FACTS.get(name)
    if isinstance(value, bool):
        return say("true" if value else "false", lang)
    if fact is not None and fact.kind == "tri":
        return TRI.label(str(value), lang)
    if name in ("decision.level", "decision.level_max", "professional_judgement.level"):
        return LEVELS.label(str(value), lang)
    if name.startswith("instruments.") and name.endswith((".level", ".level_max")):
        return instrument_level(str(value), lang)
    if name == "decision.priority":
        return f"{value} {PRIORITIES.label(str(value), lang)}"
    if name == "source":
        return term(SOURCES, str(value), lang)
    if name == "case_type":
        return CASE_TYPES.label(str(value), lang)
    return str(value)


def _known(value: Any) -> bool:
    """An unknown or missing value is shown as such, never as a reason."""
    return value is not None and value != "unknown"


def _joined(items: Any, lang: str) -> str:
    return say("sep", lang).join(items)


def _flags(codes: Any, lang: str) -> str:
    return _joined((term(FLAGS, f, lang) for f in codes), lang) or say("none", lang)


def _heading(key: str, lang: str, text: str = "") -> str:
    return f"{say(key, lang)}{say('colon', lang)}{text}"


def explain(d: Decision, lang: str = DEFAULT_LANG) -> str:
    """The decision and every reason for it, as plain sentences (``zh`` or ``en``)."""
    check_lang(lang)
    with own_labels(d.routing.labels if d.routing is not None else {}):
        return _explain(d, lang)


def _explain(d: Decision, lang: str) -> str:
    lines = [_report_line(d, lang)]
    if d.status == "engine_error":
        lines.append(say("engine_error", lang))
    lines.append(_heading("level", lang, _level(d, lang)))
    lines.append(_heading("priority", lang, f"{d.priority} {PRIORITIES.label(d.priority, lang)}"))
    lines.append(_heading("flags", lang, _flags(d.flags, lang)))
    lines.append(_heading("instruments", lang))
    lines.extend(_instrument_line(name, r, lang) for name, r in d.instruments.items())
    if d.model is not None:
        lines.append(_model_line(d.model, lang))
    lines.extend(_derived(d, lang))
    lines.extend(_rules(d, lang))
    lines.extend(_gaps(d, lang))
    lines.extend(_case(d, lang))
    if d.routing is not None:
        lines.extend(explain_routing(d.routing, lang))
    lines.append(_provenance(d, lang))
    return "\n".join(lines)


def _report_line(d: Decision, lang: str) -> str:
    return say(
        "report_line",
        lang,
        report=say("report", lang),
        id=d.report_id,
        source=term(SOURCES, d.source, lang),
        case_type=CASE_TYPES.label(d.case_type, lang),
        retyped=(
            say("retyped", lang, case_type=CASE_TYPES.label(d.assessed_case_type, lang))
            if d.assessed_case_type != d.case_type
            else ""
        ),
    )


def _level(d: Decision, lang: str) -> str:
    """The level, what it could be, and what became of a professional judgement."""
    level = LEVELS.label(d.risk_level, lang)
    if d.risk_level_max != d.risk_level:
        level += say(
            "level_could_be",
            lang,
            label=LEVELS.label(d.risk_level_max, lang),
            code=d.risk_level_max,
        )
    pj = d.professional_judgement
    if pj is not None:
        judged = say(f"pj_{pj.effect}", lang, label=LEVELS.label(pj.level, lang), code=pj.level)
        level += say("paren", lang, judged)
    return level


def _instrument_line(name: str, r: Any, lang: str) -> str:
    if r.score == r.score_max:
        score = say("score", lang, score=r.score)
    else:
        score = say("score_range", lang, score=r.score, score_max=r.score_max)
    shown, shown_max = instrument_level(r.level, lang), instrument_level(r.level_max, lang)
    if r.level == r.level_max:
        level = say("instrument_level", lang, level=shown)
    else:
        level = say("instrument_level_range", lang, level=shown, level_max=shown_max)
    extra = ""
    if name == "odara":
        extra = say("odara_rate", lang, rate=r.recidivism_rate)
    if name == "lethality_screen" and r.screened_in_by == "officer_belief":
        extra = say("officer_belief", lang)
    if not r.applies:
        extra += say("outside_population", lang)
    caveats = "".join(say("semi", lang) + pick(*CAVEATS[c], lang) for c in r.caveats)
    body = f"{score}{say('comma', lang)}{level}{extra}{caveats}"
    return say("instrument_line", lang, title=INSTRUMENTS[name].name(lang), body=body)


def _model_line(m: Any, lang: str) -> str:
    span = (
        "" if m.probability_max == m.probability else say("model_span", lang, p=m.probability_max)
    )
    factors = _joined((fact_label(name, lang) for name, _ in m.top_factors), lang) or "—"
    return say(
        "model_line",
        lang,
        synthetic=say("synthetic", lang) if m.synthetic else "",
        p=m.probability,
        span=span,
        band=say(f"band_{m.band}", lang),
        factors=factors,
    )


def _derived(d: Decision, lang: str) -> list[str]:
    if not d.derived_indicators:
        return []
    lines = [_heading("derived", lang)]
    for dv in d.derived_indicators:
        lines.append(
            say(
                "derived_line",
                lang,
                indicator=fact_label("indicators." + dv.indicator, lang),
                because=_joined((fact_label(b, lang) for b in dv.because), lang),
            )
        )
    return lines


def _rules(d: Decision, lang: str) -> list[str]:
    """Each rule that fired: what it is, the facts it read, what it changed."""
    lines = [_heading("rules", lang)]
    for n, entry in enumerate(d.trace, 1):
        source = say("rule_source", lang, source=entry.source) if entry.source else ""
        lines.append(f"  {n}. [{entry.rule}] {entry.description.get(lang)}{source}")
        causes = entry.because or tuple(k for k, v in entry.read.items() if _known(v))
        reasons = say("semi", lang).join(
            f"{fact_label(k, lang)} = {value_label(k, entry.read[k], lang)}" for k in causes
        )
        if reasons:
            lines.append("     " + _heading("because", lang, reasons))
        unknown = say("sep", lang).join(
            fact_label(k, lang) for k, v in entry.read.items() if not _known(v)
        )
        if unknown:
            lines.append("     " + _heading("still_unknown", lang, unknown))
        lines.append("     " + _heading("result", lang, _rule_effect(entry, lang)))
    if not d.trace:
        lines.append(say("no_rules", lang))
    return lines


def _rule_effect(entry: Any, lang: str) -> str:
    parts = []
    if entry.raised_level:
        a, b = entry.raised_level
        parts.append(
            say(
                "raised_level",
                lang,
                a=a,
                b=b,
                a_label=LEVELS.label(a, lang),
                b_label=LEVELS.label(b, lang),
            )
        )
    elif entry.level:
        parts.append(
            say("level_met", lang, label=LEVELS.label(entry.level, lang), code=entry.level)
        )
    if entry.raised_priority:
        a, b = entry.raised_priority
        parts.append(say("raised_priority", lang, a=a, b=b))
    if entry.added_flags:
        parts.append(say("added_flags", lang, flags=_flags(entry.added_flags, lang)))
    if entry.lead:
        parts.append(say("lead_is", lang, label=DEPARTMENTS.label(entry.lead, lang)))
    if entry.co_handlers:
        labels = _joined((DEPARTMENTS.label(c, lang) for c in entry.co_handlers), lang)
        parts.append(say("co_handlers_are", lang, labels=labels))
    if entry.note:
        parts.append(say("note", lang, text=entry.note.get(lang)))
    if not parts:
        return say("nothing_new", lang)
    return say("semi", lang).join(parts)


def _case(d: Decision, lang: str) -> list[str]:
    """What the case's history did: the hold, what changed, its deadlines and lead."""
    c = d.case
    if c is None:
        return []
    previous = LEVELS.label(c.previous_level, lang)
    counts = {"n": len(c.earlier_reports), "n12": c.reports_12m, "sources": c.sources}
    lines = [
        _heading("case_title", lang),
        say("case_line", lang, case=c.case_id, days=c.days_since_last, previous=previous, **counts),
    ]
    if c.held is not None:
        held = c.held
        level, flags = LEVELS.label(held.level, lang), _flags(held.flags, lang)
        until = held.until.isoformat()
        lines.append(say("case_held", lang, until=until, level=level, flags=flags, by=held.by))
    if c.new_red_flags:
        items = _joined((fact_label(f"indicators.{f}", lang) for f in c.new_red_flags), lang)
        lines.append(say("case_new_red_flags", lang, items=items))
    for x in c.contradictions:
        label = fact_label(f"indicators.{x.indicator}", lang)
        lines.append(say("case_contradiction", lang, indicator=label, id=x.earlier_report))
    for x in c.changed_since:
        label = fact_label(f"indicators.{x.indicator}", lang)
        lines.append(say("case_changed", lang, indicator=label, id=x.earlier_report))
    reopened = say("case_reopened", lang) if c.reopened else ""
    lines.append(say("case_opened", lang, at=c.opened_at.isoformat(), reopened=reopened))
    if c.handover is not None:
        h = c.handover
        a, b = DEPARTMENTS.label(h.from_lead, lang), DEPARTMENTS.label(h.to_lead, lang)
        lines.append(say("case_handover", lang, from_lead=a, to_lead=b, rule=h.rule or "—"))
    return lines


def _gaps(d: Decision, lang: str) -> list[str]:
    """The most decisive unanswered questions, and how many more there are."""
    if not d.information_gaps:
        return []
    lines = [_heading("gaps", lang)]
    for gap in d.information_gaps[:_MAX_GAPS]:
        lines.append(f"  - {fact_label(gap.fact, lang)}{say('colon', lang)}{_gap_text(gap, lang)}")
    if len(d.information_gaps) > _MAX_GAPS:
        lines.append(say("more_gaps", lang, n=len(d.information_gaps) - _MAX_GAPS))
    return lines


def _effects(level: str | None, add: Any, remove: Any, lang: str) -> list[str]:
    parts = []
    if level:
        parts.append(say("raise_to", lang, label=LEVELS.label(level, lang), code=level))
    if add:
        parts.append(say("add", lang, flags=_flags(add, lang)))
    if remove:
        parts.append(say("remove", lang, flags=_flags(remove, lang)))
    return parts


def _gap_text(gap: Any, lang: str) -> str:
    out = []
    solo = _effects(gap.could_raise_level_to, gap.could_add_flags, gap.could_remove_flags, lang)
    if solo:
        out.append(say("yes_alone", lang, effects=_joined(solo, lang)))
    joint = _effects(gap.jointly_raise_level_to, gap.jointly_add_flags, (), lang)
    if joint:
        out.append(say("yes_jointly", lang, effects=_joined(joint, lang)))
    return say("semi", lang).join(out) or say("affects_rules", lang)


def _provenance(d: Decision, lang: str) -> str:
    p = d.policy
    return say(
        "policy_line",
        lang,
        policy=say("policy", lang),
        id=p.id,
        version=p.version,
        jurisdiction=p.jurisdiction,
        sha256=p.sha256,
        library=say("library", lang),
        library_version=d.library_version,
    )


def explain_routing(plan: RoutingPlan, lang: str = DEFAULT_LANG) -> list[str]:
    """Who leads and why, the tasks with their deadlines, what was withheld, and when
    the family is visited and re-assessed."""
    check_lang(lang)

    def label(code: str) -> str:
        known = plan.labels.get(code)
        return known.get(lang) if known is not None else code

    why = say("rule_n", lang, rule=plan.lead_rule) if plan.lead_rule else say("by_default", lang)
    lines = [say("routing_lead", lang, lead=label(plan.lead), why=why)]
    if plan.co_handlers:
        labels = _joined((label(c) for c in plan.co_handlers), lang)
        lines.append(say("routing_co", lang, labels=labels))
    lines.append(say("routing_tasks", lang))
    lines.extend(_task_line(task, label, lang) for task in plan.tasks)
    if plan.past_holiday_list:
        end = plan.holidays_through
        lines.append(say("past_holidays", lang, end=end) if end else say("no_holidays", lang))
    if plan.withheld:
        items = [
            say("withheld_action", lang, department=label(w.department), action=label(w.action))
            if w.action
            else label(w.department)
            for w in plan.withheld
        ]
        lines.append(say("withheld", lang, items=_joined(items, lang)))
    dates = _joined((f.isoformat() for f in plan.follow_ups), lang)
    lines.append(say("follow_ups", lang, dates=dates))
    lines.append(say("reassess", lang, date=plan.reassess_by.isoformat()))
    return lines


def _task_line(task: Any, label: Any, lang: str) -> str:
    basis = say("task_basis", lang, basis=task.basis) if task.basis else ""
    counted = (
        ""
        if task.counted_from == "reported_at"
        else say("task_counted", lang, label=label(task.counted_from))
    )
    override = (
        say("task_override", lang, duty=task.consent_override) if task.consent_override else ""
    )
    return say(
        "task_line",
        lang,
        department=label(task.department),
        action=label(task.action),
        due=task.due.isoformat(),
        rest=f"{counted}{basis}{override}",
    )
