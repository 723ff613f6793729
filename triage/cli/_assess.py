"""`triage assess`, `demo`, `vocab`, `schema` and `cohort`: one report, the examples, the
vocabulary, the contracts, a synthetic archive."""

from __future__ import annotations

import json
from pathlib import Path

import click
from rich.console import Console

from .._errors import UsageError
from .._io._output import check_distinct
from .._pipeline import Triage
from ..explanation import explain
from ..explanation._tables import print_decisions
from ..policytest import _schemas
from ..rules import load_policy
from ..vocab import VOCABULARIES, vocabulary_table
from ._common import (
    FORMAT_OPTION,
    LANG,
    MODEL_OPTION,
    POLICY_OPTION,
    _err,
    guarded,
    model_source,
    read_json_lines,
    read_report,
)


@click.command()
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
@click.option(
    "--history",
    "history_path",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="The case's earlier reports with their decisions: JSON Lines, one "
    '{"report": ..., "decision": ...} per line, oldest first.',
)
@click.option(
    "--events",
    "events_path",
    type=click.Path(dir_okay=False, exists=True),
    default=None,
    help="What happened to the case since: JSON Lines, one event per line.",
)
@guarded
def assess(
    file: str,
    policy_path: str | None,
    fmt: str,
    lang: str | None,
    model_path: str,
    history_path: str | None,
    events_path: str | None,
) -> None:
    """Triage one report (a JSON file, or - for standard input), alone or with its case's
    history."""
    triage = Triage(policy_path, model=model_source(model_path))
    history = read_json_lines(history_path) if history_path else None
    events = read_json_lines(events_path) if events_path else None
    decision = triage.assess(read_report(file), history=history, events=events)
    if fmt == "json":
        click.echo(decision.to_json(indent=2))
    elif fmt == "table":
        print_decisions([decision], lang)
    else:
        click.echo(explain(decision, lang or "zh"))


@click.command()
@click.option("--lang", type=LANG, default=None, help="Only this language.")
@FORMAT_OPTION
@guarded
def vocab(lang: str | None, as_json: bool) -> None:
    """Print the shared vocabulary: every code with its Chinese and English label."""
    if as_json:
        out = vocabulary_table(lang)
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


@click.command()
@click.argument("what", type=click.Choice(["report", "decision", "policy", "fixture"]))
@POLICY_OPTION
@guarded
def schema(what: str, policy_path: str | None) -> None:
    """Print the JSON Schema of reports, decisions, policy files or case fixtures.

    A report's sources are the policy's: the packaged one's unless --policy names another.
    """
    sources = load_policy(policy_path).sources if policy_path is not None else None
    click.echo(json.dumps(_schemas.schema(what, sources), ensure_ascii=False, indent=2))


@click.command()
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
    triage = Triage(policy_path, model=model_source(model_path))
    decisions = [triage.assess(read_report(str(f))) for f in files]
    print_decisions(decisions, lang)


@click.command()
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
    check_distinct({"--output": output, "--outcomes": outcomes})
    from ..risk import cohort as synthetic  # deferred: numpy, for this command only

    synthetic.write_jsonl(synthetic.generate(n, seed), output, outcomes, inline=False)
    _err(f"{n} synthetic reports (seed {seed}). {synthetic.SYNTHETIC_NOTICE}")
    _err(synthetic.SYNTHETIC_NOTICE_ZH)
