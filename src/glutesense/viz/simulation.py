"""Each mechanism's contribution to a simulated recording, one panel each, plus the sensor trace.

Used by ``glutesense simulate --plot OUT.png``. Panels share the time axis;
each shows the body-frame, coupled acceleration that mechanism adds at the
device (x, y, z), with the truth events marked; the last panels show the
sensor output (sensor frame, gravity removed by subtracting each axis' median
for display) and the EMG when the scenario has an electrode.
Long recordings are drawn as min/max envelopes per pixel column so the PNG
stays faithful and small.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from ._common import MECH_COLORS, subplots

__all__ = ["plot_simulation"]

_AXIS_STYLE = (("x", 1.0), ("y", 0.55), ("z", 0.3))
_MAX_POINTS = 4000


def _envelope(t: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Min/max per bin when *x* has more samples than :data:`_MAX_POINTS`."""
    if x.size <= 2 * _MAX_POINTS:
        return None
    k = -(-x.size // _MAX_POINTS)                  # samples per bin (ceil): every sample is drawn
    pad = (-x.size) % k
    xb = np.concatenate([x, np.full(pad, x[-1])]).reshape(-1, k)
    return t[::k], xb.min(axis=1), xb.max(axis=1)


def _trace(ax: Any, t: np.ndarray, x: np.ndarray, color: str, alpha: float, label: str) -> None:
    env = _envelope(t, x)
    if env is None:
        ax.plot(t, x, color=color, alpha=alpha, lw=0.7, label=label)
    else:
        ax.fill_between(env[0], env[1], env[2], color=color, alpha=alpha, lw=0.4, edgecolor=color,
                        label=label)


def _mark_events(ax: Any, rec: Any, mech: str | None, color: str) -> None:
    ann = rec.annotations
    if mech is None:
        sel = [i for i, m in enumerate(ann.mechanism) if m is None]
    else:
        sel = [i for i, m in enumerate(ann.mechanism) if m == mech]
    if not sel:
        return
    onsets = ann.onset[sel]
    durations = ann.duration[sel]
    spans = durations > 0
    for o, d in zip(onsets[spans][:50], durations[spans][:50]):
        ax.axvspan(o, o + d, color=color, alpha=0.08, lw=0)
    points = onsets[~spans]
    if points.size:
        y = ax.get_ylim()[1]
        ax.plot(points[:2000], np.full(min(points.size, 2000), y * 0.92), "|", color=color, ms=6, alpha=0.8)


def plot_simulation(sim: Any, path: str | Path, *, title: str | None = None) -> Path:
    """Draw every mechanism's contribution and the sensor trace of a simulation to *path*.

    Parameters
    ----------
    sim : glutesense.scenarios.Simulation
        A simulation made with ``keep_components=True``.
    path : path-like
        Output image (PNG, SVG or PDF by extension).
    title : str or None
        Figure title (default: scenario, seed and duration).

    Returns
    -------
    Path
        The written file.
    """
    rec, truth, comps = sim
    if comps is None:
        raise ValueError("simulate with keep_components=True to plot the mechanisms")
    names = [k for k in ("voluntary", "twitch", "postural", "pulse", "nerve", "vibration") if k in comps]
    emg = rec.streams.get("emg")
    n_panels = len(names) + 1 + (emg is not None)
    fig, axes = subplots(n_panels, 1, figsize=(11, 1.7 * n_panels + 0.8), sharex=True, squeeze=False)
    axes = axes[:, 0]
    t = rec.times
    for ax, name in zip(axes, names):
        a = comps[name]
        color = MECH_COLORS.get(name, "black")
        for (axis_name, alpha), row in zip(_AXIS_STYLE, a):
            _trace(ax, t, row, color, alpha, axis_name)
        block = truth["mechanisms"].get(name, {})
        rms = float(np.sqrt(np.mean(a**2)))
        extra = ""
        if name == "pulse" and block.get("heart_rate_bpm"):
            extra = f", HR {block['heart_rate_bpm']:.0f} bpm"
        elif name == "vibration" and block.get("source"):
            extra = (f", {block['source']} {block['dominant_hz']:g} Hz, "
                     f"a_wz {block['iso2631']['aw_z_ms2']:.2f} m/s² at the seat")
        elif name == "twitch":
            extra = f", {block.get('n_events', 0)} events"
        elif name == "nerve":
            extra = f", {len(block.get('bursts', []))} bursts"
        ax.set_ylabel(f"{name}\nm/s²", fontsize=8)
        ax.set_title(f"{name}: r.m.s. {rms:.3g} m/s²{extra}", fontsize=8, loc="left")
        _mark_events(ax, rec, None if name == "voluntary" else name, color)
        ax.tick_params(labelsize=7)
    ax = axes[len(names)]
    for (axis_name, alpha), row in zip(_AXIS_STYLE, rec.data):
        _trace(ax, t, row - np.median(row), "black", alpha, f"sensor {axis_name}")
    sensor = truth.get("sensor", {})
    ax.set_title(f"sensor ({sensor.get('placement', '?')}, sensor frame, median removed for display)",
                 fontsize=8, loc="left")
    ax.set_ylabel("sensor\nm/s²", fontsize=8)
    ax.legend(fontsize=6, loc="upper right", ncol=3)
    ax.tick_params(labelsize=7)
    if emg is not None:
        ax = axes[-1]
        _trace(ax, emg.times, emg.data[0] * 1e3, "#8c564b", 0.9, "EMG")
        ax.set_ylabel("EMG\nmV", fontsize=8)
        ax.set_title(f"surface EMG ({emg.fs:g} Hz)", fontsize=8, loc="left")
        ax.tick_params(labelsize=7)
    axes[-1].set_xlabel("time (s)", fontsize=8)
    fig.suptitle(title or f"{truth['scenario']} — seed {truth['seed']}, {truth['duration_s']:g} s at "
                 f"{truth['fs_hz']:g} Hz", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    return path
