"""``glutesense demo``: the main job on built-in data (what ``make run`` runs)."""

from __future__ import annotations

from pathlib import Path

import typer

from ._app import app, err, print_json

__all__ = ["demo_cmd"]


@app.command("demo")
def demo_cmd(
    out_dir: Path = typer.Option(Path("."), "--out-dir", help="Where to write report.html/.pdf."),
    seed: int = typer.Option(7, "--seed"),
    as_json: bool = typer.Option(False, "--json", help="Print the report JSON instead."),
) -> None:
    """Simulate 2 minutes (after a workout, then in a car), analyse, triage, write reports."""
    from ..demo import run_demo
    from ._summary import print_summary

    err.print("simulating 2 minutes: after a workout, then in a car …", markup=False)
    report = run_demo(out_dir, seed=seed)
    outputs = report.pop("outputs")
    if as_json:
        print_json(report)
    else:
        print_summary(report)
    err.print(f"wrote {outputs['html']} and {outputs['pdf']} in {outputs['seconds']:.1f} s",
              markup=False)
