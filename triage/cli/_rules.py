"""`triage rules`: check, document, test and compare policy files."""

from __future__ import annotations

import contextlib
import itertools
import json
import sys
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from .._errors import RuleFileError
from .._io._output import check_distinct, open_output, write_output
from .._pipeline import Triage
from ..explanation._rulebook import rulebook
from ..explanation._tables import diff_text, print_diff, progress_bar
from ..policytest._diff import diff_policies, dumps, iter_reports
from ..policytest._fixtures import coverage as uncovered
from ..policytest._fixtures import run_fixtures
from ..rules import FACTS, load_policy
from ..rules._evaluate import describe_verify
from ._common import (
    EXIT_INVALID,
    FORMAT_OPTION,
    LANG,
    _err,
    guarded,
    policy_source,
)


@click.group()
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
@FORMAT_OPTION
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


@rules.command("test")
@click.argument("policy")
@click.argument("cases", nargs=-1)
@click.option("--coverage", is_flag=True, help="Also list rules that no case fired.")
@FORMAT_OPTION
@click.option("--lang", type=LANG, default=None)
@guarded
def rules_test(
    policy: str, cases: tuple[str, ...], coverage: bool, as_json: bool, lang: str | None
) -> None:
    """Run case fixtures against POLICY (a file, or `default`); exit 0 only if all pass."""
    triage = Triage(policy_source(policy))
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
@FORMAT_OPTION
@click.option("--lang", type=LANG, default=None)
@click.option("-o", "--output", default=None, help="Write the diff here (default or -: stdout).")
@click.option(
    "--errors",
    "errors_path",
    default=None,
    help="Invalid reports, one JSON line each with the reason (default: standard error).",
)
@click.option(
    "--by-case",
    is_flag=True,
    help="Decide each report with its case's earlier ones, each policy replaying the cases "
    "with its own decisions (input in time order; one process).",
)
@click.option(
    "--verify",
    default="1%",
    show_default=True,
    help="How durable-rules checks both policies' compiled rules: always, a share of "
    "reports (chosen by report id), or load. Standard error says which.",
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
    by_case: bool,
    verify: str,
) -> None:
    """Compare two policies on the same reports: what moves, with example report ids.

    Each invalid report is listed with its reason (as `triage batch` does); exit
    status 1 when any report was invalid.
    """

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
            bar = stack.enter_context(progress_bar(err))
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
            by_case=by_case,
            verify=verify,
        )
    if as_json or "--output" in targets:
        text = dumps(result) + "\n" if as_json else diff_text(result, lang)
        if "--output" in targets:
            write_output(targets["--output"], text)
        else:
            click.echo(text, nl=False)
    else:
        print_diff(result, lang)
    _err(f"{result.reports} reports compared; {describe_verify(verify)}")
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
    targets = check_distinct({"--output": output}, {"POLICY": policy_source(policy)})
    text = rulebook(load_policy(policy_source(policy)), lang, fmt)
    if output is None:
        click.echo(text, nl=False)
    else:
        write_output(targets["--output"], text)


def fact_values(row: dict[str, Any]) -> list[Any]:
    return list(row["values"])
