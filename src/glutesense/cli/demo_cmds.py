"""``glutesense demo``: the main job on built-in data (what ``make run`` runs)."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, err, out, print_json


def print_summary(report: dict) -> None:
    """Plain words first, then the triage and the limits (terminal, via rich)."""
    from ..reporting.text import HEADLINES, limits_sentence, summary_sentences

    for s in summary_sentences(report):
        out.print(s, markup=False, highlight=False)
    tri = report.get("triage") or {}
    if tri.get("level"):
        out.print(f"\n{HEADLINES[tri['level']]}", style="bold", markup=False)
        for a in tri.get("advice") or []:
            out.print(f"  - {a}", markup=False, highlight=False)
    out.print(f"\n{limits_sentence(report)}", markup=False, highlight=False)


@app.command("demo")
def demo_cmd(
    out_dir: Path = typer.Option(Path("."), "--out-dir", help="Where to write report.html/.pdf."),
    seed: int = typer.Option(7, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="Print the report JSON instead."),
) -> None:
    """Simulate 2 minutes (after a workout, then in a car), analyse, triage, write reports."""
    from ..demo import run_demo

    err.print("simulating 2 minutes: after a workout, then in a car …", markup=False)
    report = run_demo(out_dir, seed=seed)
    outputs = report.pop("outputs")
    if as_json:
        print_json(report)
    else:
        print_summary(report)
    err.print(f"wrote {outputs['html']} and {outputs['pdf']} in {outputs['seconds']:.1f} s",
              markup=False)
