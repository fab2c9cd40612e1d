"""``glutesense formats``, ``info`` and ``convert``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table
from rich.text import Text

from ._app import app, err, out, print_json

__all__ = ["formats_cmd", "info_cmd", "convert_cmd"]


@app.command("formats")
def formats_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List every supported format with its detection signature and reader."""
    from ..io import formats
    from ..io._registry import describe_spec

    specs = formats()
    if as_json:
        print_json([describe_spec(s) for s in specs])
        return
    table = Table(title="Formats glutesense reads (detected by content, most specific first)")
    # The name is what scripts and `read(format=...)` use: never fold it across lines.
    table.add_column("name", no_wrap=True)
    for col in ("format", "detected by", "reader", "write"):
        table.add_column(col, overflow="fold")
    for s in specs:
        reader = s.module if s.reader else f"not readable: {s.note}"
        _row(table, s.name, s.title, s.signature, reader, "yes" if s.writer else "")
    out.print(table)


def _row(table: Table, *cells: str) -> None:
    """Add a row of plain text (file names and units may contain [brackets], not markup)."""
    table.add_row(*(Text(str(c)) for c in cells))


def _fmt_value(v: object) -> str:
    """A metadata value as plain text: numbers short, mappings as ``key: value`` pairs."""
    from collections.abc import Mapping

    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, Mapping):
        return "; ".join(f"{k}: {_fmt_value(x)}" for k, x in v.items())
    if isinstance(v, (list, tuple)):
        if not v:
            return "none"
        if isinstance(v[0], Mapping):
            return f"{len(v)} item(s)"
        return ", ".join(_fmt_value(x) for x in v)
    return str(v)


@app.command("info")
def info_cmd(
    file: Path = typer.Argument(..., help="A recording in any supported format."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
    fs: float = typer.Option(None, "--fs", min=0.001,
                             help="Sampling rate (Hz) of a table that has no time column."),
) -> None:
    """Say what was read from FILE and what was inferred, with warnings."""
    from ..io import detect, read

    spec = detect(file)
    rec = read(file, fs=fs)
    if as_json:
        print_json({"path": str(file), "format": spec.name, "title": spec.title, **rec.to_dict()})
        return
    meta = rec.meta
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")  # never cut a path or a warning short with "…"
    _row(table, "file", str(file))
    _row(table, "format", f"{spec.title} ({spec.name})")
    for key in ("app", "device", "platform"):
        if meta.get(key):
            _row(table, key, str(meta[key]))
    _row(table, "sampling rate", f"{rec.fs:.6g} Hz")
    _row(table, "samples", f"{rec.n_samples}")
    _row(table, "duration", f"{rec.duration:.3f} s")
    if rec.start is not None:
        _row(table, "start (UTC)", rec.start.isoformat())
    _row(table, "channels", ", ".join(f"{n} ({u})" for n, u in zip(rec.ch_names, rec.ch_units)))
    for name, s in rec.streams.items():
        _row(table, f"stream {name}", f"{s.n_channels} ch @ {s.fs:.6g} Hz, {s.duration:.3f} s, "
                      + ", ".join(f"{n} ({u})" for n, u in zip(s.ch_names, s.ch_units)))
    for key, value in rec.inferred.items():
        _row(table, f"inferred: {key}", _fmt_value(value))
    out.print(table, markup=False, highlight=False)
    for w in rec.warnings:
        err.print(f"warning: {w}", markup=False, highlight=False)


@app.command("convert")
def convert_cmd(
    src: Path = typer.Argument(..., metavar="IN", help="Any readable recording."),
    dst: Path = typer.Argument(..., metavar="OUT", help="Output: .csv (canonical), .parquet, .npz, .edf"),
    fs: float = typer.Option(None, "--fs", min=0.001,
                             help="Sampling rate (Hz) of a table that has no time column."),
) -> None:
    """Convert IN to canonical CSV, Parquet, EDF or NPZ (chosen by OUT's extension)."""
    from ..io import read, write

    rec = read(src, fs=fs)
    write(rec, dst)
    err.print(f"wrote {dst} ({rec.n_channels} channels, {rec.duration:.1f} s @ {rec.fs:g} Hz)",
              markup=False, highlight=False)
