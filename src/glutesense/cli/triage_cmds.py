"""``glutesense triage``: questionnaire answers → level, reasons, advice, sources."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from ._app import EXIT_USAGE, app, err, out, print_json

__all__ = ["triage_cmd", "print_triage"]


def _ask() -> dict[str, Any]:
    """Ask every question on stderr and read the answers from stdin; Enter skips."""
    import sys

    from ..triage import QUESTIONS, Answers, parse_answers

    answers: dict[str, Any] = {}
    fields = Answers.model_fields
    err.print("Answer each question; press Enter to skip.", markup=False)
    for key, question in QUESTIONS.items():
        ann = str(fields[key].annotation)
        while True:
            err.print(f"{question} ", end="", markup=False, highlight=False)
            line = sys.stdin.readline()
            raw = line.strip().lower()
            if not raw:
                break
            try:
                if "bool" in ann:
                    if raw not in ("y", "yes", "n", "no"):
                        raise ValueError("answer yes or no")
                    value: Any = raw.startswith("y")
                elif "int" in ann:
                    value = int(raw)
                elif "float" in ann:
                    value = float(raw.replace(",", "."))
                else:
                    value = raw
                parse_answers({key: value})
            except ValueError as exc:
                err.print(f"  not understood: {getattr(exc, 'message', exc)}", markup=False)
                continue
            answers[key] = value
            break
        if not line:  # end of input: the remaining questions stay unknown
            break
    return answers


def print_triage(result: Any) -> None:
    """Plain-language triage on stdout."""
    from ..reporting.text import HEADLINES

    out.print(HEADLINES[result.level], style="bold", markup=False)
    if result.reasons:
        out.print("\nWhy:", style="bold", markup=False)
        for r in result.reasons:
            out.print(f"  - {r}", markup=False, highlight=False)
    out.print("\nWhat to do:", style="bold", markup=False)
    for a in result.advice:
        out.print(f"  - {a}", markup=False, highlight=False)
    if result.sources:
        out.print("\nSources:", style="bold", markup=False)
        for s in result.sources:
            out.print(f"  - {s['title']} <{s['url']}>", markup=False, highlight=False)
    out.print("\nglutesense does not diagnose. If you are worried, contact a doctor.",
              markup=False, highlight=False)


@app.command("triage")
def triage_cmd(
    answers: Path = typer.Option(None, "--answers", help="Questionnaire answers (JSON object)."),
    interactive: bool = typer.Option(False, "--interactive", help="Ask the questions here."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Say how worried to be, from questionnaire answers, with reasons and sources."""
    from ..triage import load_answers, parse_answers, triage

    if (answers is None) == (not interactive):
        err.print("glutesense: error: give exactly one of --answers FILE or --interactive",
                  markup=False)
        raise typer.Exit(EXIT_USAGE)
    ans = load_answers(answers) if answers is not None else parse_answers(_ask())
    result = triage(ans)
    if as_json:
        print_json(result.to_dict())
    else:
        print_triage(result)
