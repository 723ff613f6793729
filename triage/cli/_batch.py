"""`triage batch`: many reports in, one result per line out."""

from __future__ import annotations

import sys

import click

from ..batch._run import run_batch
from ._common import (
    MODEL_OPTION,
    POLICY_OPTION,
    _err,
    guarded,
    model_source,
)


@click.command()
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
@click.option(
    "--verify",
    default="always",
    show_default=True,
    help="How durable-rules checks the rules compiled to Python: always, a share of "
    "reports (e.g. 1%, chosen by report id), or load (at start only). The summary says which.",
)
@click.option(
    "--cases",
    is_flag=True,
    help="Replay the archive case by case: each report with a case_id is decided with "
    "its case's earlier reports (in the file's order, which must be time order).",
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
    verify: str,
    cases: bool,
) -> None:
    """Triage every report in a JSON Lines file (or - for standard input), in order.

    Every line is accounted for: a decision, or a rejection record with its line
    number and the fields at fault (never their values); a report id seen twice gets
    a warning record. Files are written whole or not at all; standard output, pipes
    and devices get each record as soon as it is decided. Exit status 1 when any
    report was rejected.
    """
    summary = run_batch(
        input_path,
        output,
        errors_path,
        jobs=jobs,
        policy=policy_path,
        model=model_source(model_path),
        on_error=on_error,
        decision_log=decision_log,
        cases=cases,
        verify=verify,
    )
    _err(summary.text())
    if summary.rejected:
        sys.exit(1)
