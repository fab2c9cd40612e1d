"""The self-contained HTML report: inline CSS, figures as data URIs, no network needed."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np

from ..recording import Recording
from .text import DISCLAIMER, HEADLINES, limits_sentence, summary_sentences

__all__ = ["render_html", "write_html", "figures", "mechanism_rows", "body_vertical"]

_ROW_NAMES = {"pulse": "Pulse (heartbeat)", "twitch": "Twitches", "nerve": "Nerve-like bursts",
              "postural": "Sway / after-movement", "vibration": "Outside vibration"}


def mechanism_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per mechanism with its key numbers, for tables."""
    rows = []
    for key in ("pulse", "twitch", "nerve", "postural", "vibration"):
        b = report["mechanisms"][key]
        nums = []
        if key == "pulse" and b.get("heart_rate_bpm"):
            nums.append(f"{b['heart_rate_bpm']:.0f} beats/min, {len(b.get('beats_s') or [])} beats")
        if key == "twitch":
            nums.append(f"{len(b.get('events') or [])} twitches, {b.get('rate_per_min') or 0:.1f}/min, "
                        f"pattern {b.get('pattern')}")
        if key == "nerve":
            nums.append(f"{len(b.get('bursts') or [])} bursts, {b.get('burst_rate_per_min') or 0:.2f}/min")
        if key == "postural" and b.get("sway_rms_ms2") is not None:
            nums.append(f"sway {b['sway_rms_ms2']:.4f} m/s² RMS")
        if key == "vibration":
            iso = b.get("iso2631") or {}
            if b.get("source"):
                nums.append(f"source {b['source']}")
            if b.get("dominant_hz"):
                nums.append(f"{b['dominant_hz']:.2f} Hz")
            if iso.get("av_ms2") is not None:
                nums.append(f"a_v {iso['av_ms2']:.3f} m/s², VDV_z {iso.get('vdv_z_ms175') or 0:.2f} m/s^1.75")
        rows.append({"key": key, "name": _ROW_NAMES[key], "present": bool(b.get("present")),
                     "confidence": float(b.get("confidence") or 0.0),
                     "share": float(b.get("share") or 0.0), "numbers": "; ".join(nums) or "–"})
    return rows


def body_vertical(recording: Recording) -> np.ndarray | None:
    """The gravity-free body-vertical trace the report plots (None when it cannot be made).

    Callers that write both the HTML and the PDF compute it once and pass it as ``vertical=``.
    """
    from ..detectors.preprocess import prepare

    try:
        return np.asarray(prepare(recording).acc[2])
    except ValueError:
        return None


def figures(report: dict[str, Any], recording: Recording | None,
            vertical: np.ndarray | None = None, *, fmt: str = "png") -> list[dict[str, str]]:
    """Render every report figure; return ``[{"uri", "alt", "caption", "key"}]``."""
    from ..viz import report as vr
    from ..viz._common import fig_to_data_uri

    out = []

    def add(key, fig, alt, caption):
        out.append({"key": key, "uri": fig_to_data_uri(fig, fmt=fmt), "alt": alt, "caption": caption})

    add("shares", vr.plot_shares(report), "shares of movement",
        "How the movement splits between the five causes (your own movement set aside).")
    add("timeline", vr.plot_timeline(report), "timeline of mechanisms",
        "Each row is one cause; ticks are single events (twitches, heartbeats), bars are periods.")
    acc_names = recording.channels_of_type("acc") if recording is not None else ()
    if recording is not None and acc_names:
        if vertical is None:
            vertical = body_vertical(recording)
        add("traces", vr.plot_traces(recording.times - recording.t0, recording.get(acc_names),
                                     acc_names, vertical, report),
            "sensor traces", "The raw sensor axes, and the up-and-down movement without gravity.")
        if vertical is not None and vertical.size > 64:
            add("spectrum", vr.plot_spectrum(vertical, recording.fs, report), "spectrum",
                "Rhythms in the movement. Dashed lines mark your heartbeat and outside vibration.")
    add("raster", vr.plot_twitch_raster(report), "twitch raster",
        "Every twitch found, minute by minute.")
    add("exposure", vr.plot_exposure(report), "vibration exposure",
        "Seat vibration against the ISO 2631-1 health guidance (only meaningful for vibration "
        "you sit on for hours).")
    return out


def render_html(report: dict[str, Any], recording: Recording | None = None, *,
                vertical: np.ndarray | None = None) -> str:
    """Render the report as one self-contained HTML page (works offline)."""
    import jinja2

    from .._version import __version__

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("glutesense.reporting", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]), undefined=jinja2.StrictUndefined)
    triage = report.get("triage") or {}
    return env.get_template("report.html.j2").render(
        name=Path(str(report["input"].get("path") or "recording")).name,
        input=report["input"], version=__version__, triage=triage,
        headline=HEADLINES.get(triage.get("level"), ""),
        sentences=summary_sentences(report), figures=figures(report, recording, vertical),
        rows=mechanism_rows(report), limits=limits_sentence(report),
        disclaimer=report.get("disclaimer") or DISCLAIMER)


def write_html(report: dict[str, Any], path: str | os.PathLike,
               recording: Recording | None = None, **kwargs: Any) -> Path:
    """Write :func:`render_html` to *path* atomically."""
    from ..io.canonical import atomic_write

    text = render_html(report, recording, **kwargs)
    path = Path(path)
    atomic_write(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))
    return path
