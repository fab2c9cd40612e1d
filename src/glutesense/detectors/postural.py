"""Postural: balance sway below 2 Hz and after-movement that decays once movement stops.

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Method
------
- **Sway**: RMS of the horizontal gravity-free acceleration in 0.1–2 Hz over the
  non-voluntary samples (body-sway accelerometry, Mayagoitia et al., 2002),
  filtered on ~20 Hz block means. It counts as present above
  :data:`SWAY_MIN_MS2` and three times the sensor noise expected in that band.
  The floor: quiet-standing COP sway of ≥ 3 mm RMS (PMC3966255, physiology.md
  §4.1) tilts a ~1 m pendulum by ≥ 3 mrad, i.e. ≥ 0.03 m/s² of gravity
  projection; a third of that is taken as the floor. Breathing movements
  (0.2–0.5 Hz) fall in the same band and are counted here; in a vehicle the
  analysis gives this band to the vehicle instead.
- **After-movement**: after each voluntary interval followed by ≥ 3 s of rest,
  the 0.5–15 Hz mean energy over 0.25 s (filtered around that rest only) is
  fitted with an exponential decay above its noise floor by log-linear least
  squares; ``decay_s`` is the amplitude time constant when the fit explains
  ≥ 70 % of the variance and the oscillation starts at ≥ 3× the floor (RMS).

References
----------
Mayagoitia RE, Lötters JC, Veltink PH, Hermens H (2002). Standing balance
evaluation using a triaxial accelerometer. Gait Posture 16:55–59.
"""

from __future__ import annotations

import numpy as np

from ..recording import Annotations
from ._base import Finding, Prepared
from .preprocess import bandpass
from .voluntary import mask_runs

__all__ = ["detect", "merge", "SWAY_MIN_MS2"]

#: Smallest sway RMS (m/s²) reported as present (see module docstring).
SWAY_MIN_MS2 = 0.01
_BAND = (0.1, 2.0)
_AFTER_S = 10.0
#: Rate (Hz) of the block means the sway band is filtered at.
_LOW_FS = 20.0
#: Context (s) filtered around a rest: ≫ the 0.5 Hz high-pass's memory (≈ 0.5 s).
_PAD_S = 5.0


def _sway_power(h: np.ndarray, fs: float, on: np.ndarray, off: np.ndarray) -> float:
    """Mean power of the rows of *h* in :data:`_BAND`, summed over rows, over the samples
    outside the voluntary runs ``[on, off)``.

    The band lies far below the sampling rate, so it is filtered on ~20 Hz block
    means (``q = floor(fs / 20)`` samples each): their boxcar loses 0.14 dB at 2 Hz
    and lets what folds onto 0.1–2 Hz (18–22 Hz at 20 Hz) through at ≤ −19 dB, i.e.
    ≤ 1.3 % in power. A block counts when all its samples are usable (none in a run).
    """
    q = max(1, int(fs // _LOW_FS))
    nb = h.shape[1] // q
    if nb < 2:
        return 0.0
    if q > 1:
        y = np.empty((h.shape[0], nb))
        for i, r in enumerate(h):
            np.einsum("ij->i", np.ascontiguousarray(r[: nb * q]).reshape(nb, q), out=y[i])
        y *= 1.0 / q
    else:
        y = h
    ok = np.ones(nb, dtype=bool)
    for a, b in zip(on // q, (off - 1) // q + 1):     # blocks touched by each run
        ok[a:b] = False
    n_ok = int(np.count_nonzero(ok))
    if n_ok == 0:
        return 0.0
    low = bandpass(y, fs / q, *_BAND)
    # einsum, not a BLAS dot: OpenBLAS would keep a second core spinning after the call
    return float(np.einsum("ij,ij,j->", low, low, ok.astype(low.dtype)) / n_ok)


def _decay(y: np.ndarray, fs: float) -> tuple[float | None, float]:
    """Exponential time constant of the oscillation in *y* (3, n) and its energy above floor.

    The 0.25-s mean energy ``e(t) = A² exp(−2t/τ) + floor`` (noise adds in power)
    is fitted by least squares on ``log(e − floor)`` from one smoothing window
    after its maximum until the excess falls to the floor; ``τ = −2 / slope``.
    """
    w = max(1, int(round(0.25 * fs)))
    e = np.convolve(np.einsum("ij,ij->j", y, y), np.ones(w) / w, mode="same")
    n = e.size
    floor = float(np.median(e[n // 2:]))
    if floor <= 0 or e[: w * 2].max() < 9 * floor:          # start ≥ 3x the floor in RMS
        return None, 0.0
    i0 = int(np.argmax(e[: w * 4])) + w
    below = np.flatnonzero(e[i0:] - floor < floor)
    i1 = i0 + (int(below[0]) if below.size else n - i0)
    if i1 - i0 < max(4, int(0.3 * fs)):
        return None, 0.0
    t = np.arange(i0, i1) / fs
    z = np.log(np.maximum(e[i0:i1] - floor, 1e-300))
    slope, icpt = np.polyfit(t, z, 1)
    resid = z - (slope * t + icpt)
    r2 = 1.0 - resid.var() / max(z.var(), 1e-12)
    if slope >= 0 or r2 < 0.7:
        return None, 0.0
    energy = float(np.sum(np.maximum(e[i0 - w:i1] - floor, 0.0)))
    return float(-2.0 / slope), energy


def detect(prepared: Prepared) -> Finding:
    """Measure sway and after-movement decay.

    Parameters
    ----------
    prepared : Prepared
        Output of :func:`glutesense.detectors.preprocess.prepare`.

    Returns
    -------
    Finding
        ``summary``: ``sway_rms_ms2``, ``after_movement`` [{"t_s", "decay_s"}] and
        ``sway_energy`` (the part of ``energy`` that is sway, (m/s²)²·samples).
    """
    fs, acc = prepared.fs, prepared.acc
    n = acc.shape[1]
    on, off = mask_runs(prepared.voluntary)          # the voluntary runs, in samples
    n_usable = n - int(np.sum(off - on))
    moves = bool(acc[:, ::97].any() or np.any(acc))         # a coarse look usually decides
    if n < int(10 * fs) or n_usable == 0 or not moves:
        return Finding("postural", False, 0.0, 0.0, {"sway_rms_ms2": None, "after_movement": []},
                       warnings=("recording too short (< 10 s of rest) to measure sway",)
                       if moves else ())
    sway2 = _sway_power(acc[:2], fs, on, off)
    sway = float(np.sqrt(sway2))
    noise_band2 = 2 * prepared.noise_rms ** 2 * (_BAND[1] - _BAND[0]) / (fs / 2)
    thr = max(SWAY_MIN_MS2, 3.0 * np.sqrt(noise_band2))
    present_sway = sway > thr
    energy = max(sway2 - noise_band2, 0.0) * n_usable if present_sway else 0.0
    sway_energy = energy

    after = []
    pad = int(_PAD_S * fs)
    horizon = int(_AFTER_S * fs)
    for k, i1 in enumerate(off):
        i1 = int(i1)
        # rest after the movement: up to the next voluntary run, _AFTER_S or the end
        nxt = int(on[k + 1]) if k + 1 < on.size else n
        m = min(nxt, i1 + horizon, n) - i1
        if m < int(3 * fs):
            continue
        # the 0.5-15 Hz band only around the rest after the movement (the filter has
        # forgotten anything _PAD_S away)
        a, b = max(0, i1 - pad), min(n, i1 + m + pad)
        mid = bandpass(acc[:, a:b], fs, 0.5, 15.0)
        tau, en = _decay(mid[:, i1 - a:i1 - a + m], fs)
        if tau is not None:
            after.append({"t_s": round(prepared.t0 + i1 / fs, 3),
                          "decay_s": round(tau, 3)})
            energy += en
    present = present_sway or bool(after)
    ratio = sway / thr
    conf = float(np.clip(abs(ratio - 1.0) / (ratio + 1.0) * 2.0, 0.0, 1.0))
    if after:
        conf = max(conf, 1.0 - 0.5 ** len(after))
    events = Annotations([a["t_s"] for a in after], 0.0, ["after_movement"],
                         ["postural"] * len(after), ["detector:postural"],
                         [a["decay_s"] for a in after])
    return Finding("postural", bool(present), conf, float(energy),
                   {"sway_rms_ms2": round(sway, 5), "after_movement": after,
                    "sway_energy": float(sway_energy)}, events=events)


def merge(parts: list[tuple[Finding, float]]) -> Finding:
    """Combine per-chunk findings (already cropped to their cores) into one."""
    ok = [(f, d) for f, d in parts if f.summary["sway_rms_ms2"] is not None]
    sway = (float(np.sqrt(np.average([f.summary["sway_rms_ms2"] ** 2 for f, _ in ok],
                                     weights=[d for _, d in ok]))) if ok else None)
    after = [a for f, _ in parts for a in f.summary["after_movement"]]
    present = any(f.present for f, _ in parts)
    conf = float(np.average([f.confidence for f, _ in parts],
                            weights=[max(d, 1e-9) for _, d in parts]))
    events = Annotations.join(f.events for f, _ in parts)
    return Finding("postural", present, conf, float(sum(f.energy for f, _ in parts)),
                   {"sway_rms_ms2": None if sway is None else round(sway, 5),
                    "after_movement": after,
                    "sway_energy": float(sum(f.summary.get("sway_energy", 0.0) for f, _ in parts))},
                   events=events, warnings=tuple(dict.fromkeys(w for f, _ in parts
                                                               for w in f.warnings)))
