"""The ``triage`` command line.

Exit status: 0 on success, 2 for invalid input (with every problem on stderr),
1 when a check or test fails, 70 for an internal error, and 128 + the signal's
number when interrupted (130 for Ctrl-C, 143 for SIGTERM, 129 for SIGHUP), after
worker processes were stopped and temporary files removed. No command prints a
traceback or any value taken from a report. An output path ``-`` is standard
output; see `triage._io._output` for what happens to other paths.
"""

from __future__ import annotations

import click

from .._signals import interrupts
from ._assess import assess, cohort, demo, schema, vocab
from ._batch import batch
from ._model import model
from ._rules import rules
from ._serve import serve

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="triage")
def cli() -> None:
    """Risk triage and routing for domestic-violence and family-dispute reports."""


for _command in (assess, batch, vocab, schema, demo, cohort, rules, model, serve):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> None:
    """Entry point of the ``triage`` command: SIGTERM and SIGHUP stop it like Ctrl-C."""
    with interrupts():
        cli.main(args=argv, prog_name="triage")
