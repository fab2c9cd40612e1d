"""``glutesense batch``: analyse many recordings on Dask, resumable, then collate."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from ._app import EXIT_BATCH, EXIT_USAGE, app, err, print_json

__all__ = ["batch_cmd"]

_SIDECARS = (".emg.csv", ".truth.json")


def _expand(inputs: list[Path]) -> list[Path]:
    """Files as given; a folder stands for the recordings directly inside it."""
    out: list[Path] = []
    for p in inputs:
        if p.is_dir():
            out += sorted(q for q in p.iterdir() if q.is_file() and not q.name.startswith(".")
                          and not q.name.lower().endswith(_SIDECARS))
        else:
            out.append(p)
    return out


@app.command("batch")
def batch_cmd(
    inputs: list[Path] = typer.Argument(..., help="Recordings, or folders of recordings."),
    out: Path = typer.Option(..., "--out", help="Output folder (one sub-folder per input)."),
    scheduler: str = typer.Option(
        None, "--scheduler",
        help="sync | threads | processes | local | tcp://HOST:PORT "
             "(default: $DASK_SCHEDULER_ADDRESS, else processes)."),
    workers: int = typer.Option(None, "--workers", min=1, help="Number of workers."),
    report: bool = typer.Option(True, "--report/--no-report", help="Write DIR/cohort.html."),
    as_json: bool = typer.Option(False, "--json", help="Print the run summary as JSON."),
) -> None:
    """Analyse many recordings: DIR/<stem>/summary.json + features.parquet, then DIR/summary.*."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..batch import run_batch
    from ..batch.cohort_report import write_cohort_report
    from ..batch.run import SCHEDULERS

    # processes: the analysis holds the GIL between numpy calls, so threads gave 2 workers
    # only ~1.3 times the throughput of one, processes ~1.8 (benchmarks/batch_throughput.py);
    # and forked from this warmed process they start in ~30 ms, a LocalCluster in ~2 s.
    scheduler = scheduler or os.environ.get("DASK_SCHEDULER_ADDRESS") or "processes"
    if scheduler not in SCHEDULERS and not scheduler.startswith("tcp://"):
        err.print(f"unknown scheduler {scheduler!r}: use sync, threads, processes, local or "
                  "tcp://HOST:PORT", markup=False)
        raise typer.Exit(EXIT_USAGE)
    files = _expand(inputs)
    if not files:
        err.print("no input files", markup=False)
        raise typer.Exit(EXIT_USAGE)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=err, transient=not err.is_terminal) as bar:
        task = bar.add_task("analysing", total=len(files))

        def _tick(item) -> None:
            bar.advance(task)
            if item.status == "failed":
                bar.console.print(f"failed: {item.error}", markup=False, highlight=False)

        result = run_batch(files, out, scheduler=scheduler, workers=workers, progress=_tick)
    if report:
        import pandas as pd

        write_cohort_report(pd.read_parquet(Path(out) / "summary.parquet"), Path(out) / "cohort.html")
    d = result.to_dict()
    if as_json:
        print_json(d)
    else:
        err.print(f"{d['n_done']} analysed, {d['n_skipped']} already done, {d['n_failed']} failed "
                  f"in {d['seconds']:.1f} s → {out}", markup=False, highlight=False)
    if result.n_failed:
        raise typer.Exit(EXIT_BATCH)
