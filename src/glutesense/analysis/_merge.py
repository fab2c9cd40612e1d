"""Cropping per-chunk findings to their chunk cores and merging them (long recordings)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np

from ..detectors import nerve, postural, pulse, twitch
from ..detectors._base import Finding
from ..recording import Annotations

__all__ = ["crop_finding", "merge_findings", "empty_vibration"]

#: Summary lists whose items carry a time and must be cropped to the chunk core.
_TIMED = {"twitch": ("events", "t_s"), "postural": ("after_movement", "t_s"),
          "nerve": ("bursts", "t_s"), "pulse": ("beats_s", None)}

_ISO_KEYS = ("aw_x_ms2", "aw_y_ms2", "aw_z_ms2", "av_ms2", "vdv_z_ms175", "crest_factor_z")


def empty_vibration(reason: str) -> Finding:
    """The vibration finding when no vibration detector could run (all values null)."""
    return Finding("vibration", False, 0.0, 0.0,
                   {"source": None, "dominant_hz": None, "iso2631": dict.fromkeys(_ISO_KEYS)},
                   warnings=(reason,))


def _crop_sorted(ev: Annotations, lo: float, hi: float) -> Annotations:
    """``ev.crop(lo, hi)`` by slicing: Annotations keep their onsets sorted, so the
    events in ``[lo, hi)`` are one contiguous run (shared unchanged when that is all)."""
    i0, i1 = np.searchsorted(ev.onset, [lo, hi], side="left")
    if i0 == 0 and i1 == len(ev):
        return ev
    return Annotations(ev.onset[i0:i1], ev.duration[i0:i1], ev.label[i0:i1],
                       ev.mechanism[i0:i1], ev.source[i0:i1], ev.value[i0:i1])


def crop_finding(f: Finding, lo: float, hi: float, core_fraction: float) -> Finding:
    """Keep the events and timed summary items in ``[lo, hi)``; scale the energy."""
    summary = dict(f.summary)
    if f.mechanism in _TIMED:
        key, tkey = _TIMED[f.mechanism]
        items = summary.get(key, [])
        if tkey is None and len(items):         # a plain list of times (beats): vectorised
            t = np.asarray(items, dtype=float)
            inside = (t >= lo) & (t < hi)
            summary[key] = list(items) if inside.all() else t[inside].tolist()
        else:
            summary[key] = [it for it in items
                            if lo <= (it if tkey is None else it[tkey]) < hi]
    events = _crop_sorted(f.events, lo, hi)
    if f.mechanism in ("twitch", "nerve"):
        # event energies sum; keep the share of those inside the core
        n_all = len(f.events)
        energy = f.energy * (len(events) / n_all) if n_all else 0.0
    else:                                   # spread over time: keep the core's share
        energy = f.energy * core_fraction
    return dataclasses.replace(f, summary=summary, events=events, energy=float(energy))


def _merge_vibration(parts: list[tuple[Finding, float]]) -> Finding:
    """Exposure-weighted ISO 2631-1 values; source and frequency from the strongest chunk."""
    from ..dsp import iso2631

    ok = [(f, d) for f, d in parts if f.summary.get("iso2631", {}).get("aw_z_ms2") is not None]
    iso: dict[str, Any] = dict.fromkeys(_ISO_KEYS)
    if ok:
        w = np.array([max(d, 1e-9) for _, d in ok])
        for ax in ("aw_x_ms2", "aw_y_ms2", "aw_z_ms2"):
            iso[ax] = float(np.sqrt(np.average([f.summary["iso2631"][ax] ** 2 for f, _ in ok],
                                               weights=w)))
        iso["av_ms2"] = float(iso2631.vector_sum(iso["aw_x_ms2"], iso["aw_y_ms2"],
                                                 iso["aw_z_ms2"]))
        vdvs = [f.summary["iso2631"]["vdv_z_ms175"] for f, _ in ok
                if f.summary["iso2631"]["vdv_z_ms175"] is not None]
        iso["vdv_z_ms175"] = float(np.sum(np.asarray(vdvs) ** 4) ** 0.25) if vdvs else None
        peaks = [f.summary["iso2631"]["crest_factor_z"] * f.summary["iso2631"]["aw_z_ms2"]
                 for f, _ in ok if f.summary["iso2631"]["crest_factor_z"] is not None]
        iso["crest_factor_z"] = (float(max(peaks) / iso["aw_z_ms2"])
                                 if peaks and iso["aw_z_ms2"] > 0 else None)
    pres = [(f, d) for f, d in parts if f.present]
    total = sum(d for _, d in parts) or 1.0
    if pres:
        best = max(pres, key=lambda p: p[0].energy)[0]
        conf = float(np.average([f.confidence for f, _ in pres],
                                weights=[max(d, 1e-9) for _, d in pres]))
        summary = {**best.summary, "iso2631": iso}
    else:
        conf = float(np.average([f.confidence for f, _ in parts],
                                weights=[max(d, 1e-9) for _, d in parts]))
        summary = {**parts[0][0].summary, "source": None, "dominant_hz": None, "iso2631": iso}
    if "coverage" in summary:
        summary["coverage"] = float(sum(f.summary.get("coverage", 0.0) * d for f, d in parts)
                                    / total)
    events = Annotations.join(f.events for f, _ in parts)
    return Finding("vibration", bool(pres), float(min(max(conf, 0.0), 1.0)),
                   float(sum(f.energy for f, _ in parts)), summary, events=events,
                   warnings=tuple(dict.fromkeys(w for f, _ in parts for w in f.warnings)))


def merge_findings(mechanism: str, parts: list[tuple[Finding, float]]) -> Finding:
    """Merge cropped per-chunk findings; *parts* pairs each with its core's observed s."""
    if len(parts) == 1 and mechanism == "vibration":
        return parts[0][0]
    merger = {"pulse": pulse.merge, "twitch": twitch.merge, "nerve": nerve.merge,
              "postural": postural.merge, "vibration": _merge_vibration}[mechanism]
    out = merger(parts)
    if not math.isfinite(out.confidence):
        out = dataclasses.replace(out, confidence=0.0)
    return out
