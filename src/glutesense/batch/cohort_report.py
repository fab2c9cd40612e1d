"""A dataset-level HTML report: distributions across the cohort, with outliers listed."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["outliers", "write_cohort_report"]

_NUMERIC = [
    ("heart_rate_bpm", "Heart rate", "beats per minute"),
    ("twitch_rate_per_min", "Twitch rate", "twitches per minute"),
    ("nerve_burst_rate_per_min", "Nerve-like burst rate", "bursts per minute"),
    ("vibration_av_ms2", "Seat vibration (ISO 2631-1 a_v)", "m/s²"),
]


def outliers(values: Any, *, threshold: float = 3.5) -> np.ndarray:
    """Indices whose modified z-score exceeds *threshold* (Iglewicz & Hoaglin 1993).

    ``z = 0.6745 (x - median) / MAD`` (mean-absolute-deviation fallback when MAD = 0);
    NaN values are never outliers.
    """
    x = np.asarray(values, dtype=float)
    ok = np.isfinite(x)
    if ok.sum() < 3:
        return np.zeros(0, dtype=int)
    med = np.median(x[ok])
    dev = np.abs(x[ok] - med)
    # MAD/0.6745 estimates sigma; when MAD is 0, fall back to 1.253314·mean |x - median|.
    scale = np.median(dev) / 0.6745 if np.median(dev) > 0 else 1.253314 * np.mean(dev)
    if scale == 0:
        return np.zeros(0, dtype=int)
    z = (x - med) / scale
    return np.flatnonzero(ok & (np.abs(z) > threshold))


def write_cohort_report(table, path: str | Path) -> Path:
    """Write a self-contained HTML report of the collated *table* (pandas DataFrame)."""
    from ..dsp.iso2631 import HGCZ_8H_LOWER, HGCZ_8H_UPPER
    from ..viz._common import fig_to_data_uri
    from ..viz.cohort import plot_counts, plot_distribution

    path = Path(path)
    done = table[table["status"] == "done"] if "status" in table else table
    failed = table[table["status"] == "failed"] if "status" in table else table.iloc[0:0]
    figs, rows_out = [], []
    for col, title, unit in _NUMERIC:
        if col not in done:
            continue
        vals = done[col].astype(float).to_numpy()
        zone = (HGCZ_8H_LOWER, HGCZ_8H_UPPER) if col == "vibration_av_ms2" else None
        figs.append(fig_to_data_uri(plot_distribution(vals, title=title, unit=unit, zone=zone)))
        for i in outliers(vals):
            rows_out.append((done["path"].iloc[i], title, f"{vals[i]:.3g} {unit}",
                             f"cohort median {np.nanmedian(vals):.3g}"))
    for col, title in (("twitch_pattern", "Twitch pattern"), ("vibration_source", "Vibration source")):
        if col in done:
            counts = done[col].astype(object).where(done[col].notna(), "none").value_counts().to_dict()
            figs.append(fig_to_data_uri(plot_counts(counts, title=title)))
    n = len(table)
    esc = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        "<title>glutesense cohort report</title><style>",
        "body{font-family:system-ui,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}",
        "img{max-width:100%}.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(420px,1fr));gap:1em}",
        "table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:.3em .6em;text-align:left}",
        "</style></head><body>",
        "<h1>Cohort report</h1>",
        f"<p>{len(done)} of {n} recordings analysed; {len(failed)} failed.</p>",
        "<div class='grid'>", *[f"<img alt='distribution' src='{u}'>" for u in figs], "</div>",
        "<h2>Outliers</h2>",
    ]
    if rows_out:
        parts.append("<table><tr><th>recording</th><th>measure</th><th>value</th><th>context</th></tr>")
        parts += [f"<tr><td>{esc(str(a))}</td><td>{esc(b)}</td><td>{esc(c)}</td><td>{esc(d)}</td></tr>"
                  for a, b, c, d in rows_out]
        parts.append("</table>")
    else:
        parts.append("<p>None (modified z-score above 3.5).</p>")
    if len(failed):
        parts.append("<h2>Failed recordings</h2><table><tr><th>recording</th><th>reason</th></tr>")
        parts += [f"<tr><td>{esc(str(p))}</td><td>{esc(str(e))}</td></tr>"
                  for p, e in zip(failed["path"], failed["error"])]
        parts.append("</table>")
    parts.append("<p><small>glutesense does not diagnose. The ISO 2631-1 caution-zone bounds "
                 "shown are unverified.</small></p></body></html>")
    from ..io.canonical import atomic_write

    atomic_write(path, lambda tmp: tmp.write_text("\n".join(parts), encoding="utf-8"))
    return path
