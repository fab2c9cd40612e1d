"""Command-line interface (typer + rich). Thin: parse, call the public verbs, serialise.

Exit codes (DESIGN §4.2): 0 ok; 2 usage error; 3 input unreadable or
unsupported (one line naming the file and the problem, no traceback); 4 batch
finished with failed items; 1 unexpected internal error.
"""

from __future__ import annotations

import importlib
import os
import sys
from collections.abc import Sequence

from ..errors import GlutesenseError
from ._app import EXIT_INPUT, EXIT_INTERNAL, app

__all__ = ["main", "app"]

# One module per group of subcommands; each adds its commands to `app` on import.
_COMMAND_MODULES = (
    "io_cmds",
    "triage_cmds",
)


def _load_commands() -> None:
    for name in _COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return (and, as a script, exit with) the exit code."""
    _load_commands()
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        app(args=args, prog_name="glutesense")  # usage errors exit 2 through SystemExit
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except GlutesenseError as exc:
        sys.stderr.write(f"glutesense: error: {exc.one_line()}\n")
        code = EXIT_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("glutesense: interrupted\n")
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:  # noqa: BLE001 - last line of defence: never a traceback by default
        if os.environ.get("GLUTESENSE_DEBUG"):
            raise
        msg = " ".join(str(exc).split())[:300]
        sys.stderr.write(f"glutesense: internal error ({type(exc).__name__}): {msg} "
                         "[set GLUTESENSE_DEBUG=1 for the traceback; please report it]\n")
        code = EXIT_INTERNAL
    if argv is None:
        sys.exit(code)
    return code
