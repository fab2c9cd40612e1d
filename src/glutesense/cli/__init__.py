"""Command-line interface (typer + rich). Thin: parse, call the public verbs, serialise.

Exit codes (DESIGN §4.2): 0 ok; 2 usage error; 3 input unreadable or
unsupported (one line naming the file and the problem, no traceback); 4 batch
finished with failed items; 1 unexpected internal error.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys
import warnings
from collections.abc import Sequence

from .._process import retain_freed_memory
from ..errors import GlutesenseError, GlutesenseWarning
from ._app import EXIT_INPUT, EXIT_INTERNAL, app

__all__ = ["main", "app"]

# One module per group of subcommands; each adds its commands to `app` on import.
_COMMAND_MODULES = (
    "io_cmds",
    "analyze_cmds",
    "triage_cmds",
    "batch_cmds",
    "serve_cmds",
    "demo_cmds",
    "simulate_cmds",
    "evaluate_cmds",
)


_loaded = False


def _load_commands() -> None:
    """Import the command modules; one that fails to import costs only its own commands."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name in _COMMAND_MODULES:
        try:
            importlib.import_module(f"{__name__}.{name}")
        except Exception as exc:  # noqa: BLE001 - keep the other commands usable
            if os.environ.get("GLUTESENSE_DEBUG"):
                raise
            msg = " ".join(str(exc).split())[:200]
            sys.stderr.write(f"glutesense: warning: commands in {name} unavailable "
                             f"({type(exc).__name__}: {msg})\n")


class _StderrHandler(logging.Handler):
    """One line per record on the *current* ``sys.stderr``."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = " ".join(self.format(record).split())
            sys.stderr.write(f"glutesense: {record.levelname.lower()}: {msg}\n")
        except Exception:  # noqa: BLE001 - logging must never break the command
            self.handleError(record)


def _setup_logging(debug: bool) -> None:
    """glutesense's logger → one line each on stderr; third-party chatter only when debugging.

    Only handlers are added (the logger keeps propagating and keeps its level unless
    debugging), so an application or a test harness that embeds ``main`` still sees
    the records.
    """
    logger = logging.getLogger("glutesense")
    handler = next((h for h in logger.handlers if isinstance(h, _StderrHandler)), None)
    if handler is None:
        handler = _StderrHandler()
        logger.addHandler(handler)
    handler.setLevel(logging.DEBUG if debug else logging.WARNING)
    if debug:
        logger.setLevel(logging.DEBUG)
    root = logging.getLogger()
    if not root.handlers:
        # Without a handler Python's last-resort handler prints every library warning
        # (pyxdf, pygt3x ...) on stderr, which breaks the one-line error contract.
        if debug:
            other = _StderrHandler()
            other.addFilter(lambda r: not r.name.startswith("glutesense"))
            root.addHandler(other)
        else:
            root.addHandler(logging.NullHandler())


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    text = " ".join(str(message).split())
    sys.stderr.write(f"glutesense: warning: {text}\n")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return (and, as a script, exit with) the exit code.

    Without *argv* (run as the program: the ``glutesense`` script, ``python -m
    glutesense``) the process is also set up as glutesense's own
    (:func:`glutesense._process.retain_freed_memory`); a caller passing *argv*
    keeps its process as it is.
    """
    debug = bool(os.environ.get("GLUTESENSE_DEBUG"))
    with warnings.catch_warnings():
        # GlutesenseWarning reaches the user as one line on stderr; numpy/pandas/library
        # warnings only with GLUTESENSE_DEBUG=1 or an explicit -W option.
        if not (debug or sys.warnoptions):
            warnings.simplefilter("ignore")
            warnings.simplefilter("default", GlutesenseWarning)
        warnings.showwarning = _show_warning
        _setup_logging(debug)
        if argv is None:     # run as the program (the script, python -m): our own process
            retain_freed_memory()
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
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
