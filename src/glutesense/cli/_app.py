"""The typer application and the helpers every subcommand shares.

stdout carries results only; progress, warnings and logs go to stderr
(DESIGN §4.2). Colour is off when the output is not a terminal or ``NO_COLOR``
is set (rich does both).
"""

from __future__ import annotations

import json
import sys
from typing import Any

import typer
from rich.console import Console

__all__ = ["app", "out", "err", "print_json", "EXIT_OK", "EXIT_USAGE", "EXIT_INPUT", "EXIT_BATCH",
           "EXIT_INTERNAL"]

EXIT_OK, EXIT_INTERNAL, EXIT_USAGE, EXIT_INPUT, EXIT_BATCH = 0, 1, 2, 3, 4

app = typer.Typer(
    name="glutesense",
    help="Why do my buttocks move on their own? Read, simulate, explain and triage recordings.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

#: Results (stdout). Wide enough that tables are not squeezed when piped.
out = Console(soft_wrap=True)
#: Progress, warnings and logs (stderr).
err = Console(stderr=True, soft_wrap=True)


def print_json(obj: Any) -> None:
    """Print one JSON document on stdout."""
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, allow_nan=False) + "\n")
    sys.stdout.flush()


def _version(value: bool) -> None:
    if value:
        from .._version import __version__

        sys.stdout.write(f"glutesense {__version__}\n")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                 help="Print the version and exit."),
) -> None:
    """glutesense: simulate, explain and triage involuntary gluteal movement."""
