"""``glutesense scenarios`` and ``glutesense simulate``."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.table import Table

from ..errors import ParameterError
from ._app import app, err, out, print_json

__all__ = ["scenarios_cmd", "simulate_cmd"]

_FORMATS = ("canonical", "phyphox", "sensorlogger")


def _scenario_names() -> list[str]:
    from ..scenarios import list_scenarios

    return [s.name for s in list_scenarios()]


@app.command("scenarios")
def scenarios_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the built-in simulation scenarios with a one-line description."""
    from ..scenarios import list_scenarios

    items = list_scenarios()
    if as_json:
        print_json([{"name": s.name, "description": s.description, "duration_s": s.duration_s,
                     "fs_hz": s.fs_hz, "emg_fs_hz": s.emg_fs_hz, "seed": s.seed,
                     "mechanisms": sorted(s.mechanisms), "sensor": dict(s.sensor)} for s in items])
        return
    table = Table(title="Scenarios (glutesense simulate --scenario NAME)")
    table.add_column("name", no_wrap=True)
    table.add_column("description", overflow="fold")
    for s in items:
        table.add_row(s.name, s.description)
    out.print(table)


def _export_path(path: Path, fmt: str) -> Path:
    """``FILE.csv`` → ``FILE.<fmt>.zip`` beside it."""
    stem = path.name[:-4] if path.name.lower().endswith(".csv") else path.name
    return path.with_name(f"{stem}.{fmt}.zip")


@app.command("simulate")
def simulate_cmd(
    scenario: str = typer.Option(..., "--scenario", help="Scenario name (see `glutesense scenarios`)."),
    duration: float = typer.Option(None, "--duration", min=0.01,
                                   help="Duration in s (default: the scenario's)."),
    seed: int = typer.Option(None, "--seed", help="Random seed (default: the scenario's)."),
    out_path: Path = typer.Option(..., "--out", help="Output canonical CSV (FILE.csv)."),
    fs: float = typer.Option(None, "--fs", help="Accelerometer rate in Hz (default: the scenario's)."),
    fmt: str = typer.Option("canonical", "--format",
                            help="Also write an app-shaped export: canonical | phyphox | sensorlogger."),
    plot: Path = typer.Option(None, "--plot", help="Draw each mechanism's contribution to OUT.png."),
) -> None:
    """Simulate a scenario: FILE.csv (+ FILE.emg.csv if EMG) + FILE.truth.json [+ app export, plot]."""
    from ..io.canonical import atomic_write, write_canonical_csv
    from ..scenarios import simulate

    names = _scenario_names()
    if scenario not in names:
        raise typer.BadParameter(f"unknown scenario {scenario!r}; valid: {', '.join(names)}",
                                 param_hint="'--scenario'")
    if fmt not in _FORMATS:
        raise typer.BadParameter(f"unknown format {fmt!r}; valid: {', '.join(_FORMATS)}",
                                 param_hint="'--format'")
    try:
        sim = simulate(scenario, duration_s=duration, fs=fs, seed=seed, keep_components=plot is not None)
    except ParameterError as exc:        # e.g. --fs outside what the models support
        raise typer.BadParameter(exc.one_line()) from None
    rec, truth = sim.recording, sim.truth
    stem = out_path.name[:-4] if out_path.name.lower().endswith(".csv") else out_path.name
    written = [out_path]
    write_canonical_csv(rec, out_path)
    if "emg" in rec.streams:
        written.append(out_path.with_name(stem + ".emg.csv"))
    truth_path = out_path.with_name(stem + ".truth.json")
    text = json.dumps(truth, indent=1, allow_nan=False) + "\n"
    atomic_write(truth_path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    written.append(truth_path)
    if fmt == "phyphox":
        from ..io.phyphox import write_phyphox

        write_phyphox(rec, _export_path(out_path, fmt))
        written.append(_export_path(out_path, fmt))
    elif fmt == "sensorlogger":
        from ..io.sensorlogger import write_sensorlogger

        write_sensorlogger(rec, _export_path(out_path, fmt), kind="zip")
        written.append(_export_path(out_path, fmt))
    if plot is not None:
        from ..viz.simulation import plot_simulation

        written.append(plot_simulation(sim, plot))
    present = [k for k, v in truth["mechanisms"].items() if v.get("present")]
    err.print(f"simulated {scenario}: {rec.duration:g} s @ {rec.fs:g} Hz, seed {truth['seed']}, "
              f"mechanisms: {', '.join(present) or 'none'}", markup=False, highlight=False)
    for p in written:
        out.print(str(p), markup=False, highlight=False)
