"""A PDF "for your doctor" (matplotlib PdfPages: no system dependencies).

Page 1 is text: the summary, the triage with reasons and sources, a table of
the measured quantities and the sensor's limits. The following pages hold the
figures of the HTML report.
"""

from __future__ import annotations

import datetime as _dt
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np

from ..recording import Recording
from .html import mechanism_rows
from .text import DISCLAIMER, HEADLINES, limits_sentence, summary_sentences

__all__ = ["write_pdf"]


def _text_page(pdf, report: dict[str, Any]) -> None:
    from ..viz._common import figure

    fig = figure((8.27, 11.69))  # A4 portrait
    y = 0.95

    def line(text: str, *, size: float = 10, weight: str = "normal", width: int = 95,
             gap: float = 0.004, color: str = "black") -> None:
        nonlocal y
        for ln in textwrap.wrap(text, width=width) or [""]:
            fig.text(0.07, y, ln, fontsize=size, weight=weight, color=color, va="top")
            y -= size * 0.0019
        y -= gap

    inp = report["input"]
    line("glutesense report for your doctor", size=16, weight="bold", gap=0.01)
    line(f"File: {Path(str(inp.get('path') or '')).name}   Format: {inp.get('format')}   "
         f"Duration: {inp['duration_s']:.0f} s   Rate: {inp['fs_hz']:.4g} Hz   "
         f"Generated: {_dt.datetime.now(_dt.timezone.utc):%Y-%m-%d %H:%M} UTC   "
         f"glutesense {report.get('version', '')}", size=8, color="#555555", gap=0.012)
    tri = report.get("triage") or {}
    if tri.get("level"):
        line(f"Triage: {tri['level'].replace('_', ' ')}: {HEADLINES[tri['level']]}", size=12,
             weight="bold")
        for r in tri.get("reasons") or []:
            line(f"• {r}", size=9)
        for a in tri.get("advice") or []:
            line(f"→ {a}", size=9)
        for s in tri.get("sources") or []:
            line(f"Source: {s['title']} ({s['url']})", size=7, color="#555555", width=130)
        y -= 0.01
    line("Summary", size=12, weight="bold")
    for s in summary_sentences(report):
        line(s, size=9.5)
    y -= 0.01
    line("Measured quantities", size=12, weight="bold")
    for row in mechanism_rows(report):
        line(f"{row['name']}: {'present' if row['present'] else 'not found'} "
             f"(confidence {row['confidence']:.2f}, share {row['share']:.0%}); {row['numbers']}",
             size=9, width=110)
    vol = report.get("voluntary") or []
    line(f"Voluntary movement set aside: {len(vol)} interval(s), "
         f"{sum(v['t1_s'] - v['t0_s'] for v in vol):.0f} s.", size=9)
    y -= 0.01
    line("Limits of this recording", size=12, weight="bold")
    line(limits_sentence(report), size=9)
    for w in inp.get("warnings") or []:
        line(f"Note: {w}", size=8, color="#8a4b00", width=120)
    y -= 0.01
    line(report.get("disclaimer") or DISCLAIMER, size=8, color="#555555", width=120)
    pdf.savefig(fig)


def write_pdf(report: dict[str, Any], path: str | os.PathLike,
              recording: Recording | None = None, *, vertical: np.ndarray | None = None) -> Path:
    """Write the doctor's PDF to *path* (atomically)."""
    from matplotlib.backends.backend_pdf import PdfPages

    from ..io.canonical import atomic_write
    from ..viz import report as vr
    from .html import body_vertical

    def _write(tmp: Path) -> None:
        with PdfPages(tmp, metadata={"Title": "glutesense report", "Creator": "glutesense"}) as pdf:
            _text_page(pdf, report)
            figs = [vr.plot_shares(report), vr.plot_timeline(report)]
            acc = recording.channels_of_type("acc") if recording is not None else ()
            vert = vertical
            if recording is not None and acc:
                vert = vert if vert is not None else body_vertical(recording)
                figs.append(vr.plot_traces(recording.times - recording.t0, recording.get(acc), acc,
                                           vert, report))
                if vert is not None and vert.size > 64:
                    figs.append(vr.plot_spectrum(vert, recording.fs, report))
            figs += [vr.plot_twitch_raster(report), vr.plot_exposure(report)]
            for f in figs:
                f.set_size_inches(10, max(f.get_size_inches()[1], 2.5))
                pdf.savefig(f)

    path = Path(path)
    atomic_write(path, _write)
    return path
