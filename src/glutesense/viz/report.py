"""Figures of the per-recording report (HTML and PDF).

Every function takes the ``glutesense.report/1`` document (and, where it needs
samples, the recording's times and traces) and returns a matplotlib Figure.
Long traces are thinned with tsdownsample's MinMaxLTTB (the algorithm
plotly-resampler uses) so a 24-hour recording still draws quickly and keeps its
peaks.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ._common import MECH_COLORS, subplots

__all__ = ["thin", "plot_traces", "plot_timeline", "plot_spectrum", "plot_twitch_raster",
           "plot_exposure", "plot_shares"]

_LABELS = {"twitch": "Twitches", "postural": "Sway / after-movement", "pulse": "Pulse",
           "nerve": "Nerve-like bursts", "vibration": "Outside vibration"}


def thin(t: np.ndarray, y: np.ndarray, n_out: int = 3000) -> tuple[np.ndarray, np.ndarray]:
    """Reduce a trace to about *n_out* points keeping its shape and extremes (MinMaxLTTB)."""
    if y.size <= n_out:
        return t, y
    from tsdownsample import MinMaxLTTBDownsampler

    idx = MinMaxLTTBDownsampler().downsample(np.ascontiguousarray(y, dtype=np.float64),
                                             n_out=n_out)
    return t[idx], y[idx]


def _shade_voluntary(ax, report: dict[str, Any]) -> None:
    for i, v in enumerate(report.get("voluntary") or []):
        ax.axvspan(v["t0_s"], v["t1_s"], color=MECH_COLORS["voluntary"], alpha=0.15, lw=0,
                   label="your own movement" if i == 0 else None)


def _style(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.25, lw=0.5)


def plot_traces(times: np.ndarray, raw: np.ndarray, names: tuple[str, ...],
                vertical: np.ndarray | None, report: dict[str, Any]):
    """Raw sensor axes and the gravity-free body-vertical trace."""
    n = 2 if vertical is not None else 1
    fig, axes = subplots(n, 1, figsize=(10, 2.4 * n), sharex=True, squeeze=False)
    ax = axes[0, 0]
    for i, name in enumerate(names):
        tt, yy = thin(times, raw[i])
        ax.plot(tt, yy, lw=0.6, label=name)
    ax.set_ylabel("m/s²")
    ax.set_title("What the sensor recorded (with gravity)", fontsize=10, loc="left")
    ax.legend(loc="upper right", fontsize=7, ncol=len(names), frameon=False)
    _shade_voluntary(ax, report)
    _style(ax)
    if vertical is not None:
        ax = axes[1, 0]
        tt, yy = thin(times[: vertical.size], vertical)
        ax.plot(tt, yy, lw=0.6, color="k")
        ax.set_ylabel("m/s²")
        ax.set_title("Up-and-down movement without gravity (body-vertical)", fontsize=10, loc="left")
        _shade_voluntary(ax, report)
        _style(ax)
    axes[-1, 0].set_xlabel("time (s)")
    fig.tight_layout()
    return fig


def plot_timeline(report: dict[str, Any]):
    """When each mechanism acted: one row per mechanism, your own movement shaded."""
    m = report["mechanisms"]
    dur = float(report["input"]["duration_s"])
    fig, ax = subplots(figsize=(10, 2.6))
    rows = ["twitch", "nerve", "pulse", "postural", "vibration"]
    for y, key in enumerate(rows):
        c = MECH_COLORS[key]
        blk = m.get(key) or {}
        if key == "twitch":
            ts = [e["t_s"] for e in blk.get("events") or []] if blk.get("present") else []
            ax.plot(ts, [y] * len(ts), "|", color=c, ms=14, mew=1.5)
        elif key == "nerve":
            for b in blk.get("bursts") or []:
                ax.plot([b["t_s"]], [y], "D", color=c, ms=6)
        elif key == "pulse":
            beats = blk.get("beats_s") or []
            ax.plot(beats, [y] * len(beats), "|", color=c, ms=8, mew=0.8)
        elif key == "postural":
            if blk.get("present"):
                ax.barh(y, dur, left=0, height=0.25, color=c, alpha=0.35)
            for a in blk.get("after_movement") or []:
                ax.barh(y, a["decay_s"] or 1.0, left=a["t_s"], height=0.6, color=c, alpha=0.8)
        elif key == "vibration" and blk.get("present"):
            ax.barh(y, dur, left=0, height=0.6, color=c, alpha=0.5)
    for v in report.get("voluntary") or []:
        ax.axvspan(v["t0_s"], v["t1_s"], color=MECH_COLORS["voluntary"], alpha=0.15, lw=0)
    ax.set_yticks(range(len(rows)), [_LABELS[r] for r in rows], fontsize=8)
    ax.set_xlim(0, dur)
    ax.set_ylim(-0.6, len(rows) - 0.4)
    ax.set_xlabel("time (s)   (grey: your own movement, set aside)")
    ax.set_title("What moved, and when", fontsize=10, loc="left")
    _style(ax)
    fig.tight_layout()
    return fig


def plot_spectrum(vertical: np.ndarray, fs: float, report: dict[str, Any]):
    """Welch spectrum of the body-vertical movement with the found sources marked."""
    from scipy.signal import welch

    nper = int(min(vertical.size, 2 ** math.ceil(math.log2(max(16.0, 20 * fs)))))
    f, p = welch(vertical, fs=fs, nperseg=nper)
    fig, ax = subplots(figsize=(10, 2.8))
    ax.semilogy(f[1:], p[1:], color="k", lw=0.8)
    m = report["mechanisms"]
    hr = (m.get("pulse") or {}).get("heart_rate_bpm")
    if hr:
        ax.axvline(hr / 60, color=MECH_COLORS["pulse"], ls="--", lw=1,
                   label=f"heartbeat {hr:.0f}/min = {hr / 60:.2f} Hz")
    dom = (m.get("vibration") or {}).get("dominant_hz")
    if dom and (m.get("vibration") or {}).get("present"):
        src = m["vibration"].get("source") or "vibration"
        ax.axvline(dom, color=MECH_COLORS["vibration"], ls="--", lw=1, label=f"{src} {dom:.1f} Hz")
    ax.axvspan(0.1, 2.0, color=MECH_COLORS["postural"], alpha=0.08, label="sway band (0.1–2 Hz)")
    ax.set_xlim(f[1], fs / 2)
    ax.set_xscale("log")
    ax.set_xlabel("frequency (Hz)")
    ax.set_ylabel("(m/s²)²/Hz")
    ax.set_title("Which rhythms are in the movement", fontsize=10, loc="left")
    ax.legend(fontsize=8, frameon=False, loc="upper right")
    _style(ax)
    fig.tight_layout()
    return fig


def plot_twitch_raster(report: dict[str, Any], *, row_s: float = 60.0):
    """Each twitch as a tick; one row per minute; tick size grows with peak amplitude."""
    events = (report["mechanisms"].get("twitch") or {}).get("events") or []
    dur = float(report["input"]["duration_s"])
    n_rows = max(1, int(math.ceil(dur / row_s)))
    fig, ax = subplots(figsize=(10, 0.35 * n_rows + 1.2))
    if events:
        t = np.array([e["t_s"] for e in events])
        a = np.array([e.get("peak_ms2") or 0.0 for e in events])
        size = 20 + 180 * (a / a.max() if a.max() > 0 else a)
        ax.scatter(t % row_s, t // row_s, s=size, marker="|", color=MECH_COLORS["twitch"])
    else:
        ax.text(0.5, 0.5, "no twitches found", transform=ax.transAxes, ha="center", va="center")
    ax.set_xlim(0, row_s)
    ax.set_ylim(n_rows - 0.5, -0.5)
    ax.set_xlabel("seconds within the minute")
    ax.set_ylabel("minute")
    ax.set_title("Twitches (each tick is one; bigger tick = stronger)", fontsize=10, loc="left")
    _style(ax)
    fig.tight_layout()
    return fig


def plot_exposure(report: dict[str, Any]):
    """Measured seat vibration against the ISO 2631-1 health guidance caution zone."""
    from ..dsp.iso2631 import EU_ACTION_A8, EU_LIMIT_A8, HGCZ_8H_LOWER, HGCZ_8H_UPPER

    hours = np.logspace(math.log10(0.1), math.log10(24), 200)
    scale = np.sqrt(8.0 / hours)
    fig, ax = subplots(figsize=(10, 2.8))
    ax.fill_between(hours, HGCZ_8H_LOWER * scale, HGCZ_8H_UPPER * scale, color="#ffdd57",
                    alpha=0.5, label="caution zone (ISO 2631-1 Annex B, bounds unverified)")
    ax.plot(hours, EU_ACTION_A8 * scale, color="#b35900", lw=1, ls=":",
            label="EU action value A(8) = 0.5 m/s²")
    ax.plot(hours, EU_LIMIT_A8 * scale, color="#8b0000", lw=1, ls=":",
            label="EU limit value A(8) = 1.15 m/s²")
    vib = report["mechanisms"].get("vibration") or {}
    av = (vib.get("iso2631") or {}).get("av_ms2")
    if av:
        ax.axhline(av, color=MECH_COLORS["vibration"], lw=2,
                   label=f"this recording: a_v = {av:.2f} m/s²")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("hours per day on this seat")
    ax.set_ylabel("weighted vibration (m/s²)")
    ax.set_title("Seat vibration against the health guidance", fontsize=10, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="upper right")
    _style(ax)
    fig.tight_layout()
    return fig


def plot_shares(report: dict[str, Any]):
    """How the movement energy (your own movement set aside) splits between mechanisms."""
    m = report["mechanisms"]
    keys = [k for k in ("pulse", "twitch", "nerve", "postural", "vibration")]
    vals = [float(m[k].get("share") or 0.0) for k in keys] + [float(report.get("unexplained_share") or 0.0)]
    labels = [_LABELS[k] for k in keys] + ["Not explained"]
    colors = [MECH_COLORS[k] for k in keys] + [MECH_COLORS["unexplained"]]
    fig, ax = subplots(figsize=(10, 1.5))
    left = 0.0
    for v, lab, c in zip(vals, labels, colors):
        if v <= 0:
            continue
        ax.barh(0, v, left=left, color=c, label=f"{lab} {v:.0%}")
        left += v
    ax.set_xlim(0, 1)
    ax.set_yticks([])
    ax.set_xticks([0, 0.25, 0.5, 0.75, 1], ["0", "25%", "50%", "75%", "100%"])
    ax.legend(fontsize=8, ncol=3, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.35))
    ax.set_title("Share of the movement", fontsize=10, loc="left")
    ax.spines[["top", "right", "left"]].set_visible(False)
    fig.tight_layout()
    return fig
