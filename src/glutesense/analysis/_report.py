"""The ``glutesense.report/1`` document and the plain-language summary of an Analysis."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from .._version import __version__
from ..recording import MECHANISMS, thaw

if TYPE_CHECKING:
    from ._analysis import Analysis

__all__ = ["report_dict", "SCHEMA", "DISCLAIMER", "PATTERNS", "SOURCES"]

SCHEMA = "glutesense.report/1"
PATTERNS = ("none", "sporadic", "clustered", "continuous")
SOURCES = ("vehicle", "appliance", "music", "other")
DISCLAIMER = (
    "glutesense explains movement measured by a sensor; it is not a medical device and does "
    "not diagnose. Numbers are estimates with the limits stated in this report. If you have "
    "numbness between the legs, new bladder or bowel problems, or weakness that is getting "
    "worse, seek medical help now; for twitching that is continuous, spreading, painful or "
    "lasts for weeks, see a doctor.")

#: The placeholder triage block: the triage step (glutesense.triage) fills it in.
TRIAGE_PLACEHOLDER = {"level": None, "reasons": [], "advice": [], "red_flags": [],
                      "note": "not assessed here: filled in by the triage step "
                              "(glutesense.triage) from the findings and the answers"}


def _num(x: Any, nd: int = 4) -> float | None:
    if x is None:
        return None
    x = float(x)
    return round(x, nd) if math.isfinite(x) else None


def _nums(xs: Any, nd: int) -> list[float | None]:
    """:func:`_num` over a sequence, vectorised (long recordings have ~10⁵ beats).

    ``np.round`` scales, rounds half to even and scales back; it can differ from
    Python's correctly rounded :func:`round` only for values within one ulp of a
    half-way point, i.e. by one unit of the last kept decimal at most.
    """
    x = np.asarray(xs, dtype=float).reshape(-1)
    if x.size == 0:
        return []
    out = np.round(x, nd).tolist()
    bad = ~np.isfinite(x)
    if bad.any():
        for i in np.flatnonzero(bad):
            out[i] = None
    return out


def _mechanism(a: "Analysis", m: str) -> dict[str, Any]:
    f = a.findings[m]
    s = f.summary
    out: dict[str, Any] = {"present": bool(f.present),
                           "confidence": _num(min(max(f.confidence, 0.0), 1.0)),
                           "share": a.shares[m]}
    if m == "twitch":
        out.update(rate_per_min=_num(s.get("rate_per_min", 0.0), 3) or 0.0,
                   pattern=s.get("pattern", "none") if f.present else "none",
                   events=[{"t_s": t, "peak_ms2": p} for t, p in zip(
                       _nums([e["t_s"] for e in s.get("events", [])], 3),
                       _nums([e["peak_ms2"] for e in s.get("events", [])], 5))])
        if "emg" in s:
            out["emg"] = dict(s["emg"])
        if s.get("set_aside"):
            out["set_aside"] = int(s["set_aside"])
    elif m == "postural":
        out.update(sway_rms_ms2=_num(s.get("sway_rms_ms2"), 5),
                   after_movement=[{"t_s": _num(e["t_s"], 3), "decay_s": _num(e["decay_s"], 3)}
                                   for e in s.get("after_movement", [])])
    elif m == "pulse":
        out.update(heart_rate_bpm=_num(s.get("heart_rate_bpm"), 2) if f.present else None,
                   beats_s=_nums(s.get("beats_s", []), 3) if f.present else [],
                   signal_quality=_num(s.get("sqi"), 3))
    elif m == "nerve":
        out.update(burst_rate_per_min=_num(s.get("burst_rate_per_min", 0.0), 3) or 0.0,
                   bursts=[{"t_s": _num(b["t_s"], 4), "n_discharges": int(b["n_discharges"]),
                            "intraburst_hz": _num(b["intraburst_hz"], 2)}
                           for b in s.get("bursts", [])])
        if s.get("set_aside"):
            out["set_aside"] = int(s["set_aside"])
    else:
        iso = s.get("iso2631") or {}
        src = s.get("source") if f.present else None
        out.update(source=src if src in SOURCES else (None if src is None else "other"),
                   dominant_hz=_num(s.get("dominant_hz"), 3) if f.present else None,
                   iso2631={k: _num(iso.get(k), 5) for k in
                            ("aw_x_ms2", "aw_y_ms2", "aw_z_ms2", "av_ms2", "vdv_z_ms175",
                             "crest_factor_z")})
    return out


def report_dict(a: "Analysis") -> dict[str, Any]:
    """Build the ``glutesense.report/1`` document (DESIGN §4.3) from an Analysis."""
    inp = a.input
    fs_hz = _num(inp["fs_hz"], 4)
    return {
        "schema": SCHEMA,
        "version": __version__,
        "input": {
            "path": None if inp["path"] is None else str(inp["path"]),
            "format": None if inp["format"] is None else str(inp["format"]),
            "duration_s": _num(inp["duration_s"], 3),
            "fs_hz": fs_hz,
            "n_samples": int(inp["n_samples"]),
            "gravity_included": bool(inp["gravity_included"]),
            "warnings": [str(w) for w in inp["warnings"]],
            "orientation_changes": [{"t_s": _num(c["t_s"], 2), "angle_deg": _num(c["angle_deg"], 1)}
                                    for c in inp.get("orientation_changes", [])],
        },
        "mechanisms": {m: _mechanism(a, m) for m in MECHANISMS},
        "voluntary": [{"t0_s": _num(v["t0_s"], 3), "t1_s": _num(v["t1_s"], 3)}
                      for v in a.voluntary],
        "unexplained_share": a.unexplained_share,
        "limits": {"max_frequency_hz": fs_hz / 2.0,
                   "min_detectable_twitch_ms2": _num(a.limits["min_detectable_twitch_ms2"], 5),
                   "emg_fs_hz": _num(a.limits.get("emg_fs_hz"), 1)},
        "timeline": thaw(a.timeline),
        "triage": dict(TRIAGE_PLACEHOLDER),
        "disclaimer": DISCLAIMER,
    }
