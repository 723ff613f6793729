"""The ``triage`` command line.

Exit status: 0 on success, 2 for invalid input (with every problem on stderr),
1 when a check or test fails, 70 for an internal error, and 128 + the signal's
number when interrupted (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), after
worker processes were stopped and temporary files removed. No command prints a
traceback or any value taken from a report. An output path ``-`` is standard
output; see `triage._output` for what happens to other paths.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console

from . import _assess
from ._errors import RuleFileError, TriageError, UsageError
from ._jsonio import parse_json, read_bounded
from ._output import check_distinct, open_output, write_output
from ._render import print_decisions
from ._signals import Terminated, exit_status, interrupts
from .rules import FACTS, load_policy
from .vocab import INDICATORS, VOCABULARIES, implied_closure

__all__ = ["main"]

F = TypeVar("F", bound=Callable[..., Any])
LANG = click.Choice(["zh", "en"])
EXIT_INVALID = 2
EXIT_INTERNAL = 70


def _err(text: str) -> None:
    click.echo(text, err=True)


def guarded(func: F) -> F:
    """Turn every error into a message and an exit status, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except TriageError as exc:
            lang = kwargs.get("lang")
            _err(f"error [{exc.code}]: {exc.message}")
            for problem in exc.problems:
                _err(f"  {problem.format(lang)} [{problem.code}]")
            sys.exit(EXIT_INVALID)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt as exc:
            _err(f"interrupted ({exc})" if isinstance(exc, Terminated) else "interrupted")
            sys.exit(exit_status(exc))
        except BrokenPipeError:
            sys.exit(0)
        except Exception as exc:
            # Only the type: the message of an unexpected error may hold report data.
            _err(f"internal error ({type(exc).__name__}); no report data is shown")
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def read_report(path: str) -> Any:
    """A parsed JSON report from a file path or ``-`` for standard input."""
    if path == "-":
        return parse_json(read_bounded(sys.stdin.buffer), "<stdin>")
    return parse_json(read_bounded(Path(path)), path)


MODEL_OPTION = click.option(
    "--model",
    "model_path",
    default="default",
    show_default=True,
    help="Risk model file, `default` (the packaged demonstration model) or `none`.",
)


def model_source(value: str) -> str | None:
    return None if value == "none" else value


POLICY_OPTION = click.option(
    "--policy",
    "policy_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Policy file (default: the packaged policy).",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="triage")
def cli() -> None:
    """Risk triage and routing for domestic-violence and family-dispute reports."""


@cli.command()
@click.argument("file", default="-")
@POLICY_OPTION
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "table", "explain"]),
    default="json",
    show_default=True,
)
@click.option("--lang", type=LANG, default=None, help="Language of the table or explanation.")
@MODEL_OPTION
@guarded
def assess(file: str, policy_path: str | None, fmt: str, lang: str | None, model_path: str) -> None:
    """Triage one report (a JSON file, or - for standard input)."""
    triage = _assess.Triage(policy_path, model=model_source(model_path))
    decision = triage.assess(read_report(file))
    if fmt == "json":
        click.echo(decision.to_json(indent=2))
    elif fmt == "table":
        print_decisions([decision], lang)
    else:
        click.echo(decision.explain(lang or "zh"))


@cli.command()
@click.argument("input_path", metavar="IN.jsonl")
@click.option(
    "-o",
    "--output",
    default=None,
    help="Decisions, one JSON line per report (default or -: standard output).",
)
@click.option(
    "--errors",
    "errors_path",
    default=None,
    help="Rejections and warnings, one JSON line each (default: standard error; -: stdout).",
)
@click.option(
    "--jobs",
    type=click.IntRange(1, 256),
    default=1,
    show_default=True,
    help="Worker processes, each with its own engine.",
)
@POLICY_OPTION
@MODEL_OPTION
@click.option(
    "--on-error",
    type=click.Choice(["escalate", "raise"]),
    default="escalate",
    show_default=True,
    help="On an engine failure: a P1 decision for manual review, or a rejection.",
)
@click.option(
    "--decision-log",
    type=click.Path(dir_okay=False),
    default=None,
    help="Append an audit record per decision to this file.",
)
@guarded
def batch(
    input_path: str,
    output: str | None,
    errors_path: str | None,
    jobs: int,
    policy_path: str | None,
    model_path: str,
    on_error: str,
    decision_log: str | None,
) -> None:
    """Triage every report in a JSON Lines file (or - for standard input), in order.

    Every line is accounted for: a decision, or a rejection record with its line
    number and the fields at fault (never their values); a report id seen twice gets
    a warning record. Files are written whole or not at all; standard output, pipes
    and devices get each record as soon as it is decided. Exit status 1 when any
    report was rejected.
    """
    from ._batchio import run_batch

    summary = run_batch(
        input_path,
        output,
        errors_path,
        jobs=jobs,
        policy=policy_path,
        model=model_source(model_path),
        on_error=on_error,
        decision_log=decision_log,
    )
    _err(summary.text())
    if summary.rejected:
        sys.exit(1)


@cli.command()
@click.option("--lang", type=LANG, default=None, help="Only this language.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@guarded
def vocab(lang: str | None, as_json: bool) -> None:
    """Print the shared vocabulary: every code with its Chinese and English label."""
    closure = implied_closure()
    if as_json:
        out: dict[str, Any] = {}
        for name, vocabulary in VOCABULARIES.items():
            rows = []
            for term in vocabulary:
                row: dict[str, Any] = {"code": term.code}
                if lang in (None, "zh"):
                    row["zh"] = term.zh
                if lang in (None, "en"):
                    row["en"] = term.en
                if vocabulary is INDICATORS:
                    row["implies"] = sorted(closure[term.code])
                rows.append(row)
            out[name] = {"ordered": vocabulary.ordered, "terms": rows}
        click.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    console = Console()
    for name, vocabulary in VOCABULARIES.items():
        title = vocabulary.title(lang) if lang else f"{vocabulary.zh} {vocabulary.en}"
        console.print(
            f"[bold]{name}[/bold] — {title}" + (" (ordered)" if vocabulary.ordered else "")
        )
        for term in vocabulary:
            label = term.label(lang) if lang else f"{term.zh} / {term.en}"
            console.print(f"  {term.code:<38} {label}", highlight=False)


@cli.command()
@click.argument("what", type=click.Choice(["report", "decision", "policy", "fixture"]))
@guarded
def schema(what: str) -> None:
    """Print the JSON Schema of reports, decisions, policy files or case fixtures."""
    from . import _schemas

    click.echo(json.dumps(_schemas.schema(what), ensure_ascii=False, indent=2))


@cli.command()
@click.argument("paths", nargs=-1)
@POLICY_OPTION
@click.option("--lang", type=LANG, default=None)
@MODEL_OPTION
@guarded
def demo(
    paths: tuple[str, ...], policy_path: str | None, lang: str | None, model_path: str
) -> None:
    """Triage the example reports and print a bilingual table."""
    files: list[Path] = []
    for raw in paths or ("examples/reports",):
        path = Path(raw)
        files.extend(sorted(path.glob("*.json")) if path.is_dir() else [path])
    if not files:
        raise UsageError("no example reports found; pass a directory of JSON reports")
    triage = _assess.Triage(policy_path, model=model_source(model_path))
    decisions = [triage.assess(read_report(str(f))) for f in files]
    print_decisions(decisions, lang)


@cli.command()
@click.option("--n", "n", type=click.IntRange(1, 10_000_000), required=True, help="Reports.")
@click.option("--seed", type=int, default=0, show_default=True)
@click.option("-o", "--output", default="-", show_default=True, help="The reports (JSON Lines).")
@click.option(
    "--outcomes",
    default=None,
    help="Also write each report's synthetic outcome as {id, outcome} lines here.",
)
@guarded
def cohort(n: int, seed: int, output: str, outcomes: str | None) -> None:
    """Write a SYNTHETIC archive of reports (the generator the packaged model learns from).

    The reports are valid input for `batch`, `rules diff` and, with --outcomes,
    `model train` and `model evaluate` (--data ARCHIVE --outcomes FILE). Not real
    cases: the figures behind them are listed in `triage.risk.cohort`.
    """
    from .risk import cohort as synthetic

    check_distinct({"--output": output, "--outcomes": outcomes})
    synthetic.write_jsonl(synthetic.generate(n, seed), output, outcomes, inline=False)
    _err(f"{n} synthetic reports (seed {seed}); {synthetic.SYNTHETIC_NOTICE}")


@cli.group()
def rules() -> None:
    """Check, document and test policy rule files."""


@rules.command("check")
@click.argument("files", nargs=-1, required=True)
@click.option("--lang", type=LANG, default=None)
@guarded
def rules_check(files: tuple[str, ...], lang: str | None) -> None:
    """Validate policy files; list every problem as file:line:col (exit 2), or a summary."""
    failed = False
    for path in files:
        try:
            policy = load_policy(path)
        except RuleFileError as exc:
            failed = True
            for problem in exc.problems:
                _err(f"{problem.format(lang)} [{problem.code}]")
            continue
        click.echo(f"{path}: ok — {policy.summary()}")
        for code, zh, en in policy.notices():
            text = {"zh": zh, "en": en}.get(lang or "", f"{en} / {zh}")
            click.echo(f"{path}: note: {text} [{code}]")
    if failed:
        sys.exit(EXIT_INVALID)


@rules.command("facts")
@click.option("--lang", type=LANG, default=None)
@click.option("--json", "as_json", is_flag=True)
@guarded
def rules_facts(lang: str | None, as_json: bool) -> None:
    """List every fact a rule may test, with its type, operators and values."""
    rows = []
    for fact in FACTS.values():
        rows.append(
            {
                "fact": fact.name,
                "kind": fact.kind,
                "zh": fact.zh,
                "en": fact.en,
                "operators": list(fact.operators),
                "values": list(fact.domain()),
                "optional": fact.optional,
                "derived": fact.derived,
            }
        )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for row in rows:
        label = row[lang] if lang else f"{row['zh']} / {row['en']}"
        shown = [str(v) for v in fact_values(row)]
        values = f" [{', '.join(shown)}]" if shown else ""
        click.echo(f"{row['fact']:<48} {row['kind']:<5} {label}{values}")


def policy_source(value: str) -> str | None:
    """A policy argument: a file, or ``default`` for the packaged policy."""
    return None if value == "default" else value


@rules.command("test")
@click.argument("policy")
@click.argument("cases", nargs=-1)
@click.option("--coverage", is_flag=True, help="Also list rules that no case fired.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable results.")
@click.option("--lang", type=LANG, default=None)
@guarded
def rules_test(
    policy: str, cases: tuple[str, ...], coverage: bool, as_json: bool, lang: str | None
) -> None:
    """Run case fixtures against POLICY (a file, or `default`); exit 0 only if all pass."""
    from .rules._fixtures import coverage as uncovered
    from .rules._fixtures import run_fixtures

    triage = _assess.Triage(policy_source(policy))
    results = run_fixtures(triage, cases or ("examples/cases",))
    counts = {
        k: sum(1 for r in results if r.status == k) for k in ("pass", "fail", "error", "skip")
    }
    missing = uncovered(triage, results) if coverage else []
    if as_json:
        click.echo(
            json.dumps(
                {
                    "policy": {
                        "id": triage.policy.id,
                        "version": triage.policy.version,
                        "sha256": triage.policy.sha256,
                    },
                    "passed": counts["pass"],
                    "failed": counts["fail"],
                    "errors": counts["error"],
                    "skipped": counts["skip"],
                    "results": [r.as_dict() for r in results],
                    **({"uncovered_rules": missing} if coverage else {}),
                },
                ensure_ascii=False,
                indent=2,
            )
        )
    else:
        zh = lang == "zh"
        for r in results:
            desc = r.description.get(lang or "en", "") if r.description else ""
            if r.status == "pass":
                click.echo(f"PASS  {r.path}  {desc}")
            elif r.status == "skip":
                click.echo(f"SKIP  {r.path}  {desc}")
            elif r.status == "error":
                for problem in r.problems:
                    click.echo(f"ERROR {problem.format(lang)} [{problem.code}]")
            else:
                click.echo(f"FAIL  {r.path}  {desc}")
                width = max((len(m.what) for m in r.mismatches), default=10) + 12
                click.echo(f"      {'':<{width}}{'expected':<44}actual")
                for m in r.mismatches:
                    what = f"{m.what} (line {m.line})"
                    click.echo(f"      {what:<{width}}{m.expected:<44}{m.actual}")
                click.echo(
                    ("      触发的规则：" if zh else "      rules fired: ")
                    + (", ".join(r.fired) or "—")
                )
        if coverage:
            click.echo(
                ("没有用例触发的规则：" if zh else "rules no case fired: ")
                + (", ".join(missing) or "none")
            )
        click.echo(
            f"{counts['pass']} passed, {counts['fail']} failed"
            f" ({counts['error']} errors, {counts['skip']} skipped)"
        )
    if counts["fail"] or counts["error"] or not counts["pass"]:
        sys.exit(1)


@rules.command("diff")
@click.argument("old")
@click.argument("new")
@click.option(
    "--cases",
    "paths",
    multiple=True,
    required=True,
    help="Fixtures, a JSON Lines file of reports, JSON reports, or a directory.",
)
@click.option("--examples", default=5, show_default=True, help="Report ids kept per change.")
@click.option("--jobs", type=int, default=None, help="Worker processes (default: CPU count).")
@click.option("--json", "as_json", is_flag=True)
@click.option("--lang", type=LANG, default=None)
@click.option("-o", "--output", default=None, help="Write the diff here (default or -: stdout).")
@click.option(
    "--errors",
    "errors_path",
    default=None,
    help="Invalid reports, one JSON line each with the reason (default: standard error).",
)
@guarded
def rules_diff(
    old: str,
    new: str,
    paths: tuple[str, ...],
    examples: int,
    jobs: int | None,
    as_json: bool,
    lang: str | None,
    output: str | None,
    errors_path: str | None,
) -> None:
    """Compare two policies on the same reports: what moves, with example report ids.

    Each invalid report is listed with its reason (as `triage batch` does); exit
    status 1 when any report was invalid.
    """
    import contextlib
    import itertools

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    from .rules._diff import diff_policies, dumps, iter_reports

    inputs: dict[str, str | None] = {f"--cases {p}": p for p in paths}
    inputs.update(OLD=policy_source(old), NEW=policy_source(new))
    targets = check_distinct({"--output": output, "--errors": errors_path}, inputs)
    reports = itertools.chain.from_iterable(iter_reports(p) for p in paths)
    err = Console(stderr=True)
    with contextlib.ExitStack() as stack:
        errors = (
            stack.enter_context(open_output(targets["--errors"]))
            if "--errors" in targets
            else sys.stderr
        )

        def rejected(record: Any) -> None:
            errors.write(json.dumps(record.as_dict(), ensure_ascii=False) + "\n")

        progress = None
        if err.is_terminal:
            bar = stack.enter_context(
                Progress(
                    "[progress.description]{task.description}",
                    BarColumn(),
                    MofNCompleteColumn(),
                    TimeElapsedColumn(),
                    console=err,
                )
            )
            task = bar.add_task("reports", total=_count_reports(paths))
            progress = lambda n: bar.advance(task, n)  # noqa: E731
        result = diff_policies(
            policy_source(old),
            policy_source(new),
            reports,
            jobs=jobs,
            examples=examples,
            progress=progress,
            rejected=rejected,
        )
    from ._render import diff_text, print_diff

    if as_json or "--output" in targets:
        text = dumps(result) + "\n" if as_json else diff_text(result, lang)
        if "--output" in targets:
            write_output(targets["--output"], text)
        else:
            click.echo(text, nl=False)
    else:
        print_diff(result, lang)
    if result.invalid:
        _err(f"{result.invalid} invalid reports; see {errors_path or 'above'} for each reason")
        sys.exit(1)


def _count_reports(paths: tuple[str, ...]) -> int | None:
    total = 0
    for raw in paths:
        path = Path(raw)
        files = sorted(path.iterdir()) if path.is_dir() else [path]
        for f in files:
            if f.suffix == ".jsonl":
                with f.open("rb") as fh:
                    total += sum(1 for line in fh if line.strip())
            elif f.suffix in (".json", ".yaml", ".yml"):
                total += 1
    return total or None


@rules.command("doc")
@click.argument("policy")
@click.option("--lang", type=LANG, default="zh", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["md", "html"]), default="md", show_default=True)
@click.option("-o", "--output", default=None, help="Write to this file instead of standard output.")
@guarded
def rules_doc(policy: str, lang: str, fmt: str, output: str | None) -> None:
    """Write POLICY as a rulebook to review and sign off (Markdown or HTML)."""
    from .rules._doc import rulebook

    targets = check_distinct({"--output": output}, {"POLICY": policy_source(policy)})
    text = rulebook(load_policy(policy_source(policy)), lang, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(targets["--output"], text)


def fact_values(row: dict[str, Any]) -> list[Any]:
    return list(row["values"])


def _register() -> None:
    from ._cli_model import model

    cli.add_command(model)


_register()


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``triage`` command: SIGTERM and SIGHUP stop it like Ctrl-C."""
    with interrupts():
        cli.main(args=argv, prog_name="triage")


if __name__ == "__main__":  # pragma: no cover
    main()
