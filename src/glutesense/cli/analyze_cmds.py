"""``glutesense analyze FILE [--json] [--html OUT.html] [--pdf OUT.pdf] [--answers ANSWERS.json]``."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, err, print_json

__all__ = ["analyze_cmd"]


@app.command("analyze")
def analyze_cmd(
    file: Path = typer.Argument(..., help="A recording in any supported format."),
    as_json: bool = typer.Option(False, "--json",
                                 help="Print the glutesense.report/1 JSON document."),
    html: Path = typer.Option(None, "--html", metavar="OUT.html",
                              help="Also write the self-contained HTML report."),
    pdf: Path = typer.Option(None, "--pdf", metavar="OUT.pdf",
                             help="Also write the PDF report for your doctor."),
    answers: Path = typer.Option(None, "--answers", metavar="ANSWERS.json",
                                 help="Questionnaire answers (JSON) for the triage."),
    fs: float = typer.Option(None, "--fs", min=0.001,
                             help="Sampling rate (Hz) of a table that has no time column."),
) -> None:
    """Explain the movement in FILE: pulse, twitches, nerve bursts, sway, vibration."""
    from ..io import read
    from ..reporting.build import build_report
    from ..triage import load_answers
    from ._summary import print_summary

    given = None if answers is None else load_answers(answers).known()
    rec = read(file, fs=fs)
    err.print(f"analysing {file} ({rec.duration:.1f} s @ {rec.fs:g} Hz) …", markup=False,
              highlight=False)
    report = build_report(rec, given)
    if html is not None or pdf is not None:
        from ..reporting import body_vertical, write_html, write_pdf

        vertical = body_vertical(rec)  # once, for both reports
        for path, writer in ((html, write_html), (pdf, write_pdf)):
            if path is not None:
                writer(report, path, rec, vertical=vertical)
                err.print(f"wrote {path}", markup=False, highlight=False)
    if as_json:
        print_json(report)
    else:
        print_summary(report)
