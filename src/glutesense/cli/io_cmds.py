"""``glutesense formats``, ``info`` and ``convert``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ._app import app, err, out, print_json


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
    for col in ("name", "format", "detected by", "reader", "write"):
        table.add_column(col, overflow="fold")
    for s in specs:
        reader = s.module if s.reader else f"not readable: {s.note}"
        table.add_row(s.name, s.title, s.signature, reader, "yes" if s.writer else "")
    out.print(table)


def _fmt_value(v: object) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    if isinstance(v, list):
        return f"{len(v)} item(s)" if v and isinstance(v[0], dict) else ", ".join(map(str, v))
    return str(v)


@app.command("info")
def info_cmd(
    file: Path = typer.Argument(..., help="A recording in any supported format."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of text."),
) -> None:
    """Say what was read from FILE and what was inferred, with warnings."""
    from ..io import detect, read

    spec = detect(file)
    rec = read(file)
    if as_json:
        print_json({"path": str(file), "format": spec.name, "title": spec.title, **rec.to_dict()})
        return
    meta = rec.meta
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("file", str(file))
    table.add_row("format", f"{spec.title} ({spec.name})")
    for key in ("app", "device", "platform"):
        if meta.get(key):
            table.add_row(key, str(meta[key]))
    table.add_row("sampling rate", f"{rec.fs:.6g} Hz")
    table.add_row("samples", f"{rec.n_samples}")
    table.add_row("duration", f"{rec.duration:.3f} s")
    if rec.start is not None:
        table.add_row("start (UTC)", rec.start.isoformat())
    table.add_row("channels", ", ".join(f"{n} [{u}]" for n, u in zip(rec.ch_names, rec.ch_units)))
    for name, s in rec.streams.items():
        table.add_row(f"stream {name}", f"{s.n_channels} ch @ {s.fs:.6g} Hz, {s.duration:.3f} s, "
                      + ", ".join(f"{n} [{u}]" for n, u in zip(s.ch_names, s.ch_units)))
    for key, value in rec.inferred.items():
        table.add_row(f"inferred: {key}", _fmt_value(value))
    out.print(table)
    for w in rec.warnings:
        err.print(f"warning: {w}", markup=False, highlight=False)


@app.command("convert")
def convert_cmd(
    src: Path = typer.Argument(..., metavar="IN", help="Any readable recording."),
    dst: Path = typer.Argument(..., metavar="OUT", help="Output: .csv (canonical), .parquet, .npz, .edf"),
) -> None:
    """Convert IN to canonical CSV, Parquet, EDF or NPZ (chosen by OUT's extension)."""
    from ..io import read, write

    rec = read(src)
    write(rec, dst)
    err.print(f"wrote {dst} ({rec.n_channels} channels, {rec.duration:.1f} s @ {rec.fs:g} Hz)",
              markup=False, highlight=False)
