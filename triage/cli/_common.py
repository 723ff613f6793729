"""What every command shares: error handling that never shows a traceback or a value
from a report, exit statuses, and the common options."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from .._errors import ReportError, TriageError
from .._io._json import iter_text_lines, parse_json, read_bounded
from .._signals import Terminated, exit_status

__all__ = [
    "FORMAT_OPTION",
    "LANG",
    "MODEL_OPTION",
    "POLICY_OPTION",
    "guarded",
    "model_source",
    "policy_source",
    "read_json_lines",
    "read_report",
]

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


def read_json_lines(path: str) -> list[Any]:
    """Every non-blank line of a JSON Lines file, parsed, each located as ``path:line``
    when it is not JSON (a case's history, or its events)."""
    out = []
    with Path(path).open("rb") as fh:
        for number, line in iter_text_lines(fh):
            if line is None:
                raise ReportError(f"{path}:{number}: line too long")
            if line.strip():
                out.append(parse_json(line, f"{path}:{number}"))
    return out


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


def policy_source(value: str) -> str | None:
    """A policy argument: a file, or ``default`` for the packaged policy."""
    return None if value == "default" else value


def _is_json(ctx: click.Context, param: click.Parameter, value: str) -> bool:
    return value == "json"


# One spelling for machine output across commands: --format json (the value arrives as
# the flag ``as_json``).
FORMAT_OPTION = click.option(
    "--format",
    "as_json",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    callback=_is_json,
    help="Readable text, or JSON for machines.",
)
