"""Scoring one analysed recording against what is known about it (shared by all sources)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..recording import Recording
from .iso_reference import aw_spectral, body_frame
from .metrics import relative_error, score_twitches

__all__ = ["TOL_S", "NOISE_FACTOR", "VIB_BAND_LO_HZ", "score_case", "hr_from_beats",
           "vibration_snr_db"]

#: Twitch matching tolerance, s.
TOL_S = 0.15
#: Twitches are scored when their peak is at least this many times the sensor-noise RMS.
NOISE_FACTOR = 5.0
#: Vibration is scored only where its power above this frequency (Hz) reaches the sensor
#: noise in the same band (SNR ≥ 0 dB): a source buried in the noise is not observable, just
#: as twitches below 5× the noise are not scored.
VIB_BAND_LO_HZ = 2.0
#: Voluntary bouts are widened by this much (s) before events inside them are ignored.
_VOL_MARGIN_S = 1.0


def hr_from_beats(beats_s: Sequence[float]) -> float | None:
    """Mean heart rate (bpm) from beat times: 60·(n − 1) / (t_last − t_first)."""
    b = np.asarray(beats_s, dtype=float)
    if b.size < 2 or b[-1] <= b[0]:
        return None
    return float(60.0 * (b.size - 1) / (b[-1] - b[0]))


def vibration_snr_db(component: np.ndarray, fs: float, noise_rms_ms2: float) -> float:
    """Power of the true vibration component above :data:`VIB_BAND_LO_HZ` over the noise's.

    *component* is the (3, n) vibration acceleration (m/s²) the sensor received;
    the noise power in the band is that of white noise of per-axis RMS *noise_rms_ms2*
    over 0..fs/2 (3 axes). Returns 10·log10 of the ratio (−inf for no power).
    """
    x = np.asarray(component, dtype=float)
    x = x - x.mean(axis=-1, keepdims=True)
    n = x.shape[-1]
    spec = np.abs(np.fft.rfft(x, axis=-1)) ** 2
    f = np.fft.rfftfreq(n, 1.0 / fs)
    p = 2.0 * float(spec[:, f >= VIB_BAND_LO_HZ].sum()) / n**2
    nyq = fs / 2.0
    noise = 3.0 * noise_rms_ms2**2 * max(nyq - VIB_BAND_LO_HZ, 0.0) / nyq
    return 10.0 * math.log10(p / noise) if p > 0 and noise > 0 else -math.inf


def _r(x: float | None, nd: int = 4) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def score_case(rec: Recording, report: dict[str, Any], *, hr_truth: float | None, at_rest: bool,
               twitch_truth: list[dict[str, Any]] | None, noise_rms_ms2: float | None,
               vib_source: str | None | bool, appliance_hz: float | None,
               gravity_dir: np.ndarray | None, score_aw: bool,
               voluntary: Sequence[tuple[float, float]] = (),
               nerve_bursts: Sequence[tuple[float, float]] = ()) -> dict[str, Any]:
    """Score one report against the known facts; ``None`` arguments mean "unknown, not scored".

    Parameters
    ----------
    rec : Recording
        The recording as the analyser saw it (for the a_w reference).
    report : dict
        ``analyze(rec).to_report_dict()``.
    hr_truth : float or None
        True mean heart rate (bpm); None = no pulse truth.
    at_rest : bool
        Whether the heart rate is a resting one (no exercise recovery).
    twitch_truth : list of dict or None
        Truth twitches ``{"t_s", "peak_ms2"}`` (empty list = none happened); None = unknown.
    noise_rms_ms2 : float or None
        Per-axis sensor-noise RMS (for the ≥ 5× threshold).
    vib_source : str, None or False
        Expected vibration source, None = no vibration expected, False = not scored.
    appliance_hz : float or None
        True appliance fundamental (Hz) when the source is an appliance.
    gravity_dir : ndarray or None
        Sensor-frame gravity direction (None: the record's mean direction).
    score_aw : bool
        Compare the report's a_w with the spectral reference.
    voluntary : sequence of (t0, t1)
        Truth voluntary intervals (events inside are ignored).
    nerve_bursts : sequence of (t0, t1)
        Truth nerve-burst spans (first to last discharge). A reported twitch within
        :data:`TOL_S` of one, and not of a truth twitch, is a real involuntary
        discharge given to the wrong mechanism: it is counted as ``at_nerve`` (a
        confusion, reported), neither as a hit nor as a false twitch.
    """
    mech = report["mechanisms"]
    out: dict[str, Any] = {}
    if hr_truth is not None:
        est = mech["pulse"].get("heart_rate_bpm")
        out["hr"] = {"truth_bpm": _r(hr_truth, 3), "estimate_bpm": _r(est, 3),
                     "error_bpm": None if est is None else _r(est - hr_truth, 3),
                     "at_rest": at_rest}
    ignore = [(a - _VOL_MARGIN_S, b + _VOL_MARGIN_S) for a, b in voluntary]
    det_t = [float(e["t_s"]) for e in mech["twitch"].get("events") or []]
    at_nerve = 0
    if nerve_bursts and twitch_truth is not None:
        tw_t = np.asarray([e["t_s"] for e in twitch_truth], dtype=float)
        near_nerve = [any(a - TOL_S <= t <= b + TOL_S for a, b in nerve_bursts) for t in det_t]
        near_twitch = [bool(tw_t.size) and float(np.min(np.abs(tw_t - t))) <= TOL_S
                       for t in det_t]
        keep = [not (n and not w) for n, w in zip(near_nerve, near_twitch)]
        at_nerve = len(det_t) - sum(keep)
        det_t = [t for t, k in zip(det_t, keep) if k]
    if twitch_truth is not None:
        minutes = rec.duration / 60.0
        if twitch_truth:
            thr = NOISE_FACTOR * float(noise_rms_ms2)
            s = score_twitches([e["t_s"] for e in twitch_truth],
                               [e["peak_ms2"] for e in twitch_truth],
                               det_t, min_peak_ms2=thr, tol_s=TOL_S, ignore=ignore)
            out["twitch"] = {**s, "n_truth": len(twitch_truth), "n_detected": len(det_t),
                             "at_nerve": at_nerve,
                             "min_peak_ms2": _r(thr, 5), "noise_rms_ms2": _r(noise_rms_ms2, 5)}
        else:
            vol_s = sum(max(0.0, min(b, rec.duration) - max(a, 0.0)) for a, b in ignore)
            n_false = sum(1 for t in det_t if not any(a <= t <= b for a, b in ignore))
            out["false_twitch"] = {"n": n_false, "at_nerve": at_nerve,
                                   "minutes": _r(max(minutes - vol_s / 60, 0.0), 4)}
    if vib_source is not False:
        got = mech["vibration"]["source"] if mech["vibration"].get("present") else None
        out["vibration"] = {"expected": vib_source, "detected": got, "correct": got == vib_source}
    if appliance_hz is not None:
        est = mech["vibration"].get("dominant_hz") if mech["vibration"].get("present") else None
        out["dominant"] = {"truth_hz": _r(appliance_hz), "estimate_hz": _r(est),
                           "error_hz": None if est is None else _r(est - appliance_hz)}
    if score_aw:
        acc = np.vstack([rec.data[rec.ch_names.index(c)] for c in ("acc_x", "acc_y", "acc_z")])
        ref = aw_spectral(body_frame(acc, gravity_dir), rec.fs)
        iso = mech["vibration"].get("iso2631") or {}
        det_z, det_v = iso.get("aw_z_ms2"), iso.get("av_ms2")
        out["aw"] = {"reference": {k: _r(v, 5) for k, v in ref.items()},
                     "report": {"aw_z_ms2": det_z, "av_ms2": det_v},
                     "rel_error_z": _r(relative_error(det_z, ref["aw_z_ms2"])),
                     "rel_error_v": _r(relative_error(det_v, ref["av_ms2"]))}
    return out
