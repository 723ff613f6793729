"""The decision pipeline: validate, normalise, score, apply the policy, decide."""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

from ._decision_log import DecisionLog, log_record
from ._errors import EngineError, ModelError, UsageError
from ._many import install, results
from ._version import __version__
from .case import (
    Carried,
    CaseFacts,
    CaseRouting,
    History,
    Hold,
    carry_answers,
    case_facts,
    case_routing,
    hold_for,
    read_history,
)
from .decision import (
    AnswerChange,
    CaseHold,
    CaseRecord,
    Decision,
    Handover,
    JudgementRecord,
    ModelRef,
    PolicyRef,
    Rejected,
    RoutingPlan,
)
from .report import validate_report
from .report._model import Report
from .report._normalise import Answers, normalise, widened
from .risk import score_all
from .risk._results import InstrumentResult
from .risk.model._model import ModelOutput, RiskModel, demo_model
from .risk.model._model import load as load_model
from .risk.model._model import loads as loads_model
from .routing._plan import build_plan, fallback_plan
from .routing._supervise import Event, parse_event
from .rules._evaluate import Evaluator, Judgement, World
from .rules._facts import FactContext
from .rules._load import compile_policy_file, read_source
from .rules._policy import Policy, load_policy
from .vocab import LEVELS

__all__ = ["Outcome", "Prepared", "Triage", "assess"]

Clock = Callable[[], datetime]
OnError = Literal["raise", "escalate"]
_RANK = {c: i for i, c in enumerate(LEVELS.codes)}


def _utc_now() -> datetime:
    return datetime.now(UTC)


def _judgement(report: Report) -> Judgement | None:
    pj = report.professional_judgement
    if pj is None or pj.level is None:
        return None
    return Judgement(pj.level, bool(pj.reason and pj.reason.strip()))


def _record(judgement: Judgement | None, rules_level: str, final: str) -> JudgementRecord | None:
    if judgement is None or judgement.level is None:
        return None
    pj, rules = _RANK[judgement.level], _RANK[rules_level]
    applied = final == judgement.level
    effect: Literal["raised", "confirmed", "lowered", "downgrade_refused"]
    if pj > rules:
        effect = "raised"
    elif pj == rules:
        effect = "confirmed"
    else:
        effect = "lowered" if applied else "downgrade_refused"
    return JudgementRecord(
        level=judgement.level, reason_given=judgement.reason_given, applied=applied, effect=effect
    )


def _escalated_level(judgement: Judgement | None) -> str:
    # The rules did not run: at least high, or the professional judgement if higher.
    level = "high"
    if judgement is not None and judgement.level and _RANK[judgement.level] > _RANK[level]:
        level = judgement.level
    return level


class Prepared:
    """A report validated and normalised once, to be decided under several policies."""

    __slots__ = (
        "_maxed",
        "_predicted",
        "_scored",
        "answers",
        "case",
        "explain",
        "matched",
        "plans",
        "report",
    )

    def __init__(
        self,
        report: Report | Mapping[str, Any],
        *,
        explain: bool = True,
        sources: Sequence[str] | None = None,
    ) -> None:
        self.explain = explain  # False: no model factors (policies compared on outcomes)
        # ``sources``: the channels of the policies it is for (each policy checks its own)
        self.report = validate_report(report, sources)
        self.answers = normalise(self.report)
        self._scored: dict[str, dict[str, InstrumentResult]] = {}
        self._maxed: dict[int, FactContext] = {}
        self._predicted: dict[str, ModelOutput] = {}
        # Routing plans by `Evaluator.plan_key`: two policies whose rules ask for the
        # same routing, under the same routing sections, get the same plan.
        self.plans: dict[tuple[Any, ...], RoutingPlan] = {}
        # What each policy stratum matched (see `Evaluator.run`), shared the same way.
        self.matched: dict[Any, Any] = {}
        self.case: _Case | None = None

    def with_history(
        self,
        history: Iterable[Any] | History | None,
        events: Iterable[Any] | None,
        sources: Sequence[str],
    ) -> Prepared:
        """Read with the case's history: earlier answers carried in, the case's facts, the
        floor it holds the decision to, and where its deadlines count from."""
        case = read_history(self.report, history, events, sources)
        if case is not None:
            own = self.answers
            carried = carry_answers(self.report, own, case)
            self.answers = carried.answers  # before any instrument is scored
            self._scored.clear()
            self._predicted.clear()
            self.case = _Case(
                case,
                carried,
                case_facts(self.report, own, carried.answers, case),
                hold_for(self.report, case),
                case_routing(self.report, case),
            )
        return self

    def instruments(self, options: Mapping[str, Mapping[str, Any]]) -> dict[str, InstrumentResult]:
        key = repr(sorted((k, sorted(v.items())) for k, v in options.items()))
        scored = self._scored.get(key)
        if scored is None:
            scored = self._scored[key] = score_all(self.report, self.answers, options)
        return scored

    def predict(self, model: RiskModel) -> ModelOutput:
        """The model's estimate, computed once per model."""
        out = self._predicted.get(model.sha256)
        if out is None:
            out = self._predicted[model.sha256] = model.predict(
                self.report, self.answers, explain=self.explain
            )
        return out

    def max_context(self, evaluator: Evaluator, ctx: FactContext) -> FactContext:
        """The max-world context of ``ctx``, built once per set of instrument results.
        Its answers read as possible each no that a yes elsewhere would overturn
        (`widened`), as the instruments' and the model's tops of range do."""
        key = id(ctx.instruments)  # a dict held in self._scored, so its id stays unique
        maxed = self._maxed.get(key)
        model = ctx.model.maxed() if ctx.model is not None else None
        if maxed is None or maxed.model != model:
            wide = widened(self.answers)
            if wide is not self.answers:
                ctx = ctx.replaced(answers=wide.values)
            maxed = self._maxed[key] = evaluator.max_context(ctx, model)
        return maxed


@dataclass(frozen=True)
class _Case:
    """A report's case: its history and what it means for this decision."""

    history: History
    carried: Carried
    facts: CaseFacts
    hold: Hold | None
    routing: CaseRouting


@dataclass
class _Run:
    """One report evaluated, before it is turned into a decision."""

    policy: Policy
    evaluator: Evaluator
    report: Report
    answers: Answers
    instruments: dict[str, InstrumentResult]
    ctx: FactContext
    judgement: Judgement | None
    world: World | None = None
    maxw: World | None = None
    failed: bool = False
    model: RiskModel | None = None
    estimate: ModelOutput | None = None
    case: _Case | None = None

    @property
    def level_max(self) -> str:
        assert self.world is not None
        if self.maxw is not None and _RANK[self.maxw.level] > _RANK[self.world.level]:
            return self.maxw.level
        return self.world.level


@dataclass(frozen=True)
class Outcome:
    """The parts of a decision that policies are compared on.

    ``routing`` is built on first use. Two outcomes of the same report with equal
    ``plan_key`` have equal routing, so a comparison can skip building either.
    """

    report_id: str
    reported_at: datetime
    status: str
    risk_level: str
    risk_level_max: str
    priority: str
    flags: tuple[str, ...]
    fired: tuple[str, ...]
    plan_key: tuple[Any, ...] | None  # None: no key (an escalated outcome)
    _plan: Callable[[], RoutingPlan] = field(repr=False, compare=False)

    @cached_property
    def routing(self) -> RoutingPlan:
        return self._plan()


class Triage:
    """A reusable triage pipeline bound to one policy (the packaged default if none given).

    Args:
        policy: a `Policy`, a path to a policy file, its bytes, or None for the default.
        on_error: ``"raise"`` raises `EngineError` when the rule engine fails;
            ``"escalate"`` returns a decision marked ``engine_error`` at P1 for
            manual review, so that no case is ever dropped.
        clock: where ``decided_at`` comes from (inject a fixed clock to reproduce output).
        model: the risk model whose estimate rules may read: ``"default"`` for the
            packaged demonstration model (trained on synthetic data), a `RiskModel`, a
            path to a model file, or None for none. It is used only when the policy
            reads ``model.*`` facts, and loaded then.
        model_sha256: refuse any model file but the one with this sha256.
        decision_log: a file to append one JSON line per decision to (identifiers and
            results, never report contents), or a callable that receives each record.
        verify: rules match in Python generated from the policy at load; durable-rules,
            the engine of record, checks them: ``"always"`` (every decision, the
            default), a share of reports chosen by report id such as ``"1%"``, or
            ``"load"`` (generated facts when the policy is loaded). A disagreement is an
            `EngineError` (or, with ``on_error="escalate"``, an escalated decision).
        engine: ``"durable"`` to match with durable-rules alone (``verify`` then has
            nothing to check).
    """

    def __init__(
        self,
        policy: Policy | str | Path | bytes | None = None,
        *,
        on_error: OnError = "raise",
        clock: Clock = _utc_now,
        model: RiskModel | str | Path | None = "default",
        model_sha256: str | None = None,
        decision_log: str | Path | Callable[[dict[str, Any]], None] | None = None,
        verify: str = "always",
        engine: str = "compiled",
    ) -> None:
        if on_error not in ("raise", "escalate"):
            raise UsageError("on_error must be 'raise' or 'escalate'")
        self._on_error = on_error
        self._verify = verify
        self._engine = engine
        self._clock = clock
        self._swap = threading.Lock()
        self._model_source = model
        self._model_sha256 = model_sha256
        self._model: RiskModel | None = None
        self._model_lock = threading.Lock()
        if isinstance(model, RiskModel):
            if model_sha256 is not None and model.sha256 != model_sha256.lower():
                raise ModelError(f"the model's sha256 {model.sha256} is not the pinned one")
            self._model = model
        elif model not in (None, "default"):
            self._model = load_model(model, model_sha256)  # a bad file fails here, not later
        self._active = self._prepare(policy)
        self._log = DecisionLog(decision_log) if decision_log is not None else None

    def _worker_spec(self) -> tuple[tuple[bytes, str], Any, str | None, str, str, str]:
        """What a worker process needs to build the same pipeline: the policy as its
        bytes and the name it was loaded under (a forked worker then finds it compiled
        and checked already, in what it inherited)."""
        source = self._model_source
        model: Any = (
            ("bytes", source.to_bytes())
            if isinstance(source, RiskModel)
            else (str(source) if isinstance(source, Path) else source)
        )
        sha = self._model_sha256
        if isinstance(source, RiskModel):
            sha = source.sha256
        policy = (self.policy.source, self.policy.path)
        return policy, model, sha, self._on_error, self._verify, self._engine

    def worker_setup(self) -> tuple[Any, tuple[Any, ...]]:
        """What a worker process runs to build the same pipeline (see `_many.results`)."""
        return _start_worker, self._worker_spec()

    def assess_many(
        self, reports: Iterable[Report | Mapping[str, Any] | bytes | str], *, jobs: int = 1
    ) -> Iterator[Decision | Rejected]:
        """One result per report, in order: a `Decision`, or a `Rejected` naming the fault.

        Reports may be dicts, `Report` objects or JSON text. ``jobs`` worker processes
        (each with its own engine) decide chunks in parallel; memory stays bounded.
        A model or usage failure stops the run with its error.
        """
        items = ((i, None, None, r) for i, r in enumerate(reports))
        stream = results(self, items, jobs=jobs, records=self._log is not None)
        with contextlib.closing(stream):
            for _, result, record, _ in stream:
                if record is not None and self._log is not None:
                    self._log.write(record)
                yield result

    def model(self) -> RiskModel | None:
        """The risk model decisions use (loaded on first use), or None."""
        if self._model is None and self._model_source == "default":
            with self._model_lock:
                if self._model is None:
                    found = demo_model()
                    if (
                        self._model_sha256 is not None
                        and found.sha256 != self._model_sha256.lower()
                    ):
                        raise ModelError(
                            f"the packaged model's sha256 {found.sha256} is not the pinned one"
                        )
                    self._model = found
        return self._model

    def _prepare(self, policy: Policy | str | Path | bytes | None) -> tuple[Policy, Evaluator]:
        loaded = load_policy(policy)
        return loaded, Evaluator(loaded, engine=self._engine, verify=self._verify)

    @property
    def verify(self) -> str:
        """How durable-rules checks the generated matchers: "always", "load" or a share
        such as "1%" ("durable" when durable-rules alone matches)."""
        return "durable" if self._engine == "durable" else self._verify

    @property
    def policy(self) -> Policy:
        return self._active[0]

    def reload(self, policy: Policy | str | Path | bytes | None) -> Policy:
        """Switch to another policy; decisions already under way finish on the old one.

        The new policy is fully validated and compiled before the switch, so a bad
        file leaves the current policy in place.
        """
        prepared = self._prepare(policy)
        with self._swap:
            self._active = prepared
        return prepared[0]

    def _run(self, report: Report | Mapping[str, Any] | Prepared, gaps: bool = True) -> _Run:
        policy, evaluator = self._active  # one policy version for the whole decision
        prepared = (
            report if isinstance(report, Prepared) else Prepared(report, sources=policy.sources)
        )
        valid, answers = prepared.report, prepared.answers
        if valid.source not in policy.sources:  # prepared for another policy
            validate_report(valid, policy.sources)
        instruments = prepared.instruments(policy.meta.instrument_options)
        model = self.model() if evaluator.reads_model else None
        estimate = prepared.predict(model) if model is not None else None
        case = prepared.case
        ctx = FactContext(
            valid, answers.values, answers.intimate, instruments, estimate,
            separated=answers.separated,
            case=case.facts if case is not None else None,
            hold=case.hold if case is not None else None,
        )  # fmt: skip
        judgement = _judgement(valid)
        run = _Run(
            policy,
            evaluator,
            valid,
            answers,
            instruments,
            ctx,
            judgement,
            model=model,
            estimate=estimate,
            case=case,
        )
        try:
            # Matches are shared only between policies compared side by side (`outcome`);
            # within one decision the two worlds rarely match a stratum alike.
            memo = None if gaps else prepared.matched
            check = evaluator.verifies(valid.id)
            if evaluator.needs_max_world(ctx):
                run.maxw = evaluator.run(
                    prepared.max_context(evaluator, ctx),
                    judgement,
                    maxed=True,
                    level_only=not gaps,
                    record=False,
                    memo=memo,
                    check=check,
                )
            run.world = evaluator.run(
                ctx,
                judgement,
                level_max=run.maxw.level if run.maxw else None,
                record=gaps,
                memo=memo,
                check=check,
            )
        except EngineError:
            if self._on_error == "raise":
                raise
            run.failed = True
        return run

    def assess(
        self,
        report: Report | Mapping[str, Any],
        *,
        history: Iterable[Any] | History | None = None,
        events: Iterable[Any] | None = None,
        log: bool = True,
    ) -> Decision:
        """Decide one report (a `Report` or a dict in the report JSON shape).

        ``history``: the case's earlier reports with the decisions they got, oldest first,
        each ``{"report": ..., "decision": ...}`` as the intake system stored them (JSON
        text or objects); ``events``: what happened to the case since, as `routing.overdue`
        takes them. Without a history the report is decided alone. A history that does
        not fit raises `HistoryError`. ``log=False`` leaves the decision out of the
        decision log (batch runs log each decision where the results are gathered).
        """
        decision = self._assess(report, history, events)
        if log and self._log is not None:
            self._log.write(log_record(decision))
        return decision

    def replay(
        self, reports: Iterable[Report | Mapping[str, Any]], events: Iterable[Any] = ()
    ) -> list[Decision]:
        """Decide a case's reports in time order, each with the earlier ones (and the
        decisions they got here) as its history: what the intake system would have
        stored. ``events`` are given to each report with those that came before it."""
        given = [e if isinstance(e, Event) else parse_event(e) for e in events]
        history: list[dict[str, Any]] = []
        out = []
        for report in reports:
            valid = validate_report(report, self.policy.sources)
            now = valid.reported_at.astimezone(UTC)
            before = [e for e in given if e.at.astimezone(UTC) <= now]
            decision = self.assess(
                valid, history=history or None, events=(before or None) if history else None
            )
            out.append(decision)
            history.append({"report": valid, "decision": decision})
        return out

    def _assess(
        self,
        report: Report | Mapping[str, Any],
        history: Iterable[Any] | History | None = None,
        events: Iterable[Any] | None = None,
    ) -> Decision:
        given: Report | Mapping[str, Any] | Prepared = report
        if history is not None or events is not None:
            sources = self._active[0].sources
            prepared = report if isinstance(report, Prepared) else Prepared(report, sources=sources)
            given = prepared.with_history(history, events, sources)
        run = self._run(given)
        policy, evaluator, valid, world, maxw = (
            run.policy,
            run.evaluator,
            run.report,
            run.world,
            run.maxw,
        )
        ref = PolicyRef.trusted(
            id=policy.id,
            version=policy.version,
            jurisdiction=policy.meta.jurisdiction,
            sha256=policy.sha256,
        )
        if run.failed or world is None:
            hold = run.case.hold if run.case is not None else None
            return self._escalated(
                policy, valid, run.answers, run.instruments, run.judgement, ref, hold
            )
        model_ref = None
        if run.model is not None and run.estimate is not None:
            est = run.estimate
            model_ref = ModelRef.trusted(
                kind=run.model.kind,
                sha256=run.model.sha256,
                synthetic=run.model.synthetic,
                probability=est.probability,
                probability_max=est.probability_max,
                band=est.band,
                band_max=est.band_max,
                top_factors=est.top_factors,
            )
        gaps = evaluator.gaps(world, maxw, run.ctx) if maxw is not None else ()
        case = run.case
        plan = build_plan(
            policy,
            valid,
            evaluator.rules_fired(world),
            world.level,
            case=case.routing if case is not None else None,
        )
        return _built(
            **self._header(valid, run.answers, run.instruments, ref),
            assessed_case_type=(
                "domestic_violence"
                if "assessed_as_domestic_violence" in world.flags
                else valid.case_type
            ),
            risk_level=world.level,
            risk_level_max=run.level_max,
            rules_level=world.rules_level,
            priority=world.priority,
            flags=tuple(sorted(world.flags)),
            trace=evaluator.trace(world, model_ref.top_factors if model_ref is not None else ()),
            information_gaps=gaps,
            professional_judgement=_record(run.judgement, world.rules_level, world.level),
            model=model_ref,
            routing=plan,
            case=_case_record(case, world, plan) if case is not None else None,
        )

    def outcome(self, report: Report | Mapping[str, Any] | Prepared) -> Outcome:
        """What the decision would say, without its trace and gaps (for comparing policies).

        Level, priority, flags and routing are exactly those of `assess`.
        """
        prepared = (
            report
            if isinstance(report, Prepared)
            else Prepared(report, explain=False, sources=self.policy.sources)
        )
        run = self._run(prepared, gaps=False)
        valid, world = run.report, run.world
        if run.failed or world is None:
            level = _escalated_level(run.judgement)
            fallback = fallback_plan(run.policy, valid, level)
            return Outcome(
                valid.id,
                valid.reported_at,
                "engine_error",
                level,
                "extreme",
                "P1",
                (),
                (),
                None,
                lambda: fallback,
            )
        policy, evaluator = run.policy, run.evaluator
        key = evaluator.plan_key(world)
        rules = evaluator.rules_fired(world)
        level = world.level

        def plan() -> RoutingPlan:
            shared = prepared.plans.get(key)
            if shared is None:
                shared = prepared.plans[key] = build_plan(policy, valid, rules, level)
            return shared

        return Outcome(
            valid.id,
            valid.reported_at,
            "ok",
            world.level,
            run.level_max,
            world.priority,
            tuple(sorted(world.flags)),
            tuple(r.id for r in rules),
            key,
            plan,
        )

    def _escalated(
        self,
        policy: Policy,
        valid: Report,
        answers: Answers,
        instruments: dict[str, Any],
        judgement: Judgement | None,
        ref: PolicyRef,
        hold: Hold | None = None,
    ) -> Decision:
        """A decision for manual review when the engine failed: P1, never dropped, and
        never below what the case holds it to."""
        level = _escalated_level(judgement)
        if hold is not None and _RANK[hold.level] > _RANK[level]:
            level = hold.level
        return Decision(
            **self._header(valid, answers, instruments, ref),
            assessed_case_type=valid.case_type,
            status="engine_error",
            risk_level=level,
            risk_level_max="extreme",
            rules_level=level,
            priority="P1",
            flags=tuple(sorted(hold.flags)) if hold is not None else (),
            routing=fallback_plan(policy, valid, level),
        )

    def _header(
        self, valid: Report, answers: Answers, instruments: dict[str, Any], ref: PolicyRef
    ) -> dict[str, Any]:
        """What every decision says about its report and its provenance."""
        return {
            "report_id": valid.id,
            "reported_at": valid.reported_at,
            "source": valid.source,
            "case_type": valid.case_type,
            "decided_at": self._clock(),
            "library_version": __version__,
            "instruments": instruments,
            "derived_indicators": answers.derived,
            "policy": ref,
        }


# `assess` keeps the pipelines it built, keyed by the policy file's sha256, so calling it
# with the same policy does not recompile it; a changed file is a new key.
_PIPELINES: OrderedDict[str, Triage] = OrderedDict()
_PIPELINES_LOCK = threading.Lock()
_PIPELINES_KEPT = 8


def _pipeline_for(policy: Policy | str | Path | None) -> Triage:
    if policy is None:
        key = "default"
    elif isinstance(policy, Policy):
        key = policy.sha256
    else:
        key = hashlib.sha256(read_source(policy)[0]).hexdigest()
    with _PIPELINES_LOCK:
        found = _PIPELINES.get(key)
        if found is not None:
            _PIPELINES.move_to_end(key)
            return found
    built = Triage(policy)
    with _PIPELINES_LOCK:
        _PIPELINES[key] = built
        while len(_PIPELINES) > _PIPELINES_KEPT:
            _PIPELINES.popitem(last=False)
    return built


def assess(
    report: Report | Mapping[str, Any], policy: Policy | str | Path | None = None
) -> Decision:
    """Decide one report with ``policy`` (the packaged default policy when None).

    The pipeline for a policy is built once and kept (the last 8 policies, by the
    file's sha256), so repeated calls cost what `Triage.assess` costs.
    """
    return _pipeline_for(policy).assess(report)


def _start_worker(
    policy: tuple[bytes, str],
    model: Any,
    model_sha256: str | None,
    on_error: str,
    verify: str,
    engine: str,
) -> None:
    """In a worker process: build the pipeline the parent described, and install it."""
    if isinstance(model, tuple):  # ("bytes", data): a RiskModel given as an object
        model = loads_model(model[1], sha256=model_sha256)
    data, where = policy
    install(
        Triage(
            Policy(compile_policy_file(data, where=where)),
            model=model,
            model_sha256=model_sha256,
            on_error=on_error,  # type: ignore[arg-type]
            verify=verify,
            engine=engine,
        )
    )


def _built(**fields: Any) -> Decision:
    """The decision from parts the library built from validated input, not validated
    again. Only the clock is the caller's: anything but a datetime from it goes through
    validation (and fails there as before)."""
    if not isinstance(fields["decided_at"], datetime):
        return Decision.model_validate(
            {
                **fields,
                "trace": [e.model_dump() for e in fields["trace"]],
                "information_gaps": [g.model_dump() for g in fields["information_gaps"]],
            }
        )
    return Decision.trusted(**fields)


def _case_record(case: _Case, world: World, plan: RoutingPlan) -> CaseRecord:
    """What the case's history did to this decision, for the decision to say (built from
    the checked history and the library's own results, not validated again)."""
    facts, hold, routing = case.facts, case.hold, case.routing
    held = None
    if hold is not None:
        held = CaseHold.trusted(
            level=hold.level,
            flags=tuple(sorted(hold.flags)),
            by=hold.by,
            until=hold.until,
            raised=_RANK[hold.level] > _RANK[world.rules_level],
        )
    handover = None
    if routing.lead is not None and plan.lead != routing.lead:
        handover = Handover.trusted(from_lead=routing.lead, to_lead=plan.lead, rule=plan.lead_rule)
    return CaseRecord.trusted(
        case_id=case.history.case_id,
        earlier_reports=case.history.report_ids,
        reports_12m=facts.reports_12m,
        sources=facts.sources,
        days_since_last=facts.days_since_last,
        previous_level=facts.previous_level,
        level_rose=_RANK[world.level] > _RANK[facts.previous_level],
        new_red_flags=facts.new_red_flags,
        held=held,
        contradictions=tuple(
            AnswerChange.trusted(indicator=c, earlier_report=r)
            for c, r in case.carried.contradictions
        ),
        changed_since=tuple(
            AnswerChange.trusted(indicator=c, earlier_report=r) for c, r in case.carried.changed
        ),
        opened_at=routing.opened_at,
        reopened=routing.reopened,
        handover=handover,
    )
