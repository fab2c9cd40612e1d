"""Voluntary movement (walking, shifting on a chair, standing up) to be set aside.

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Voluntary movement is large and slow compared with everything the detectors
look for. It is found the way activity is segmented in wearable-accelerometer
pipelines (e.g. the short-time signal-magnitude threshold of Mathie et al.,
2003, and the orientation-change criterion used for posture transitions by
Najafi et al., 2003): the short-time RMS of the gravity-free acceleration rises
above an adaptive threshold, or the gravity direction turns by more than a few
degrees within a second while the RMS is raised.

References
----------
Mathie MJ, Coster ACF, Lovell NH, Celler BG (2003). Detection of daily physical
activities using a triaxial accelerometer. Med Biol Eng Comput 41:296–301.
Najafi B, Aminian K, Paraschiv-Ionescu A, et al. (2003). Ambulatory system for
human motion analysis using a kinematic sensor. IEEE Trans Biomed Eng 50:711–723.
"""

from __future__ import annotations

import numpy as np
from scipy import signal

from ._base import Prepared

__all__ = ["find_intervals", "intervals_to_mask", "mask_to_intervals", "intervals",
           "WINDOW_S", "HOP_S", "MIN_RMS_MS2"]

#: Short-time RMS window and hop in s.
WINDOW_S, HOP_S = 1.0, 0.25
#: Floor of the RMS threshold in m/s²: slow walking already exceeds ~1 m/s² RMS at the
#: pelvis (Mathie et al., 2003), while pulse, twitches and sway stay far below 0.1 m/s².
MIN_RMS_MS2 = 0.3
#: Threshold over the recording's median short-time RMS (adaptive part).
RMS_FACTOR = 4.0
#: The resting short-time RMS is this percentile of it: voluntary bouts (dancing, a walk)
#: may fill half of a recording or more, so the median can be movement itself.
BASE_PERCENTILE = 20.0
#: Strong, slow movement is voluntary even when it fills most of a recording: RMS above
#: this (walking exceeds ~1 m/s² at the pelvis, Mathie et al., 2003) and 8× the resting
#: RMS, sustained for MIN_BOUT_S, with at least SLOW_SHARE_MIN of its power below
#: GAIT_MAX_HZ (step and dance cadences 1.5–2.5 Hz). Steady vibration (a vehicle, a
#: machine, music) raises the resting RMS itself, so it never reaches 8× of it.
STRONG_RMS_MS2 = 1.0
GAIT_MAX_HZ = 3.5
SLOW_SHARE_MIN = 0.6
MIN_BOUT_S = 3.0
#: Longest gap (s) of still-moving windows joined between two voluntary windows.
BRIDGE_S = 10.0
#: Gravity-direction change (degrees within one window) that marks a posture change.
TURN_DEG = 10.0


def _short_time_rms(acc: np.ndarray, fs: float) -> tuple[np.ndarray, np.ndarray]:
    """RMS about the window mean of the 3-axis signal in sliding windows (cumulative sums).

    Removing each window's mean keeps slow offsets (filter edges, tilt) out of
    the measure; only movement within the window counts.
    """
    n = acc.shape[1]
    w = max(1, int(round(WINDOW_S * fs)))
    hop = max(1, int(round(HOP_S * fs)))
    c2 = np.r_[0.0, np.cumsum(np.einsum("ij,ij->j", acc, acc))]
    c1 = np.hstack([np.zeros((3, 1)), np.cumsum(acc, axis=1)])
    starts = np.arange(0, max(n - w, 0) + 1, hop)
    ends = np.minimum(starts + w, n)
    m = (ends - starts).astype(float)
    mean = (c1[:, ends] - c1[:, starts]) / m
    var = (c2[ends] - c2[starts]) / m - np.einsum("ij,ij->j", mean, mean)
    return starts, np.sqrt(np.maximum(var, 0.0))


def find_intervals(acc: np.ndarray, fs: float, gravity: np.ndarray | None = None,
                   gravity_fs: float | None = None) -> np.ndarray:
    """Find voluntary-movement intervals.

    Parameters
    ----------
    acc : ndarray, shape (3, n_samples)
        Gravity-free acceleration in m/s².
    fs : float
        Sampling rate of *acc* in Hz.
    gravity : ndarray, shape (3, n_blocks) or None
        Low-passed gravity vectors (any frame) sampled at *gravity_fs*; None when
        the recording has no gravity (the orientation criterion is then skipped).
    gravity_fs : float or None
        Rate of *gravity* in Hz.

    Returns
    -------
    ndarray, shape (k, 2)
        Merged ``[t0, t1]`` intervals in s from the first sample.
    """
    n = acc.shape[1]
    if n == 0:
        return np.zeros((0, 2))
    starts, rms = _short_time_rms(acc, fs)
    base = float(np.median(rms))
    rest = float(np.percentile(rms, BASE_PERCENTILE))
    thr = max(RMS_FACTOR * base, MIN_RMS_MS2)
    flag = rms > thr
    strong = rms > max(STRONG_RMS_MS2, 2.0 * RMS_FACTOR * rest)
    if n > 30 and 0.45 * fs > GAIT_MAX_HZ and strong.any():
        lo = signal.sosfilt(signal.butter(2, GAIT_MAX_HZ, fs=fs, output="sos"), acc, axis=1)
        share = _short_time_rms(lo, fs)[1] ** 2 / np.maximum(rms ** 2, 1e-300)
        slow = share >= SLOW_SHARE_MIN
        # a bout that fills much of the recording is not above its median: strong,
        # slow (gait- and dance-like) movement sustained for seconds marks it instead
        flag |= _sustained(strong & slow, fs)
    lag = max(1, int(round(WINDOW_S * gravity_fs))) if gravity_fs else 0
    if gravity is not None and lag and gravity.shape[1] > lag:
        u = gravity / np.maximum(np.linalg.norm(gravity, axis=0), 1e-12)
        cosang = np.einsum("ij,ij->j", u[:, lag:], u[:, :-lag])
        turn = np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0)))
        t_turn = (np.arange(turn.size) + lag / 2) / gravity_fs
        turn_at = np.interp((starts + 0.5 * WINDOW_S * fs) / fs, t_turn, turn)
        flag |= (turn_at > TURN_DEG) & (rms > min(2.0 * base, thr))
    moving = rms > max(RMS_FACTOR * rest, MIN_RMS_MS2)
    if not flag.any():
        return np.zeros((0, 2))
    flag = _bridge(flag, moving, fs)
    t0 = starts[flag] / fs
    t1 = t0 + WINDOW_S
    # merge overlapping / nearby windows (gap < 1 s)
    brk = np.flatnonzero(t0[1:] > t1[:-1] + 1.0)
    s = np.r_[0, brk + 1]
    iv = np.column_stack([t0[s], np.maximum.reduceat(t1, s)])
    iv[:, 1] = np.minimum(iv[:, 1], n / fs)
    return iv


def _sustained(flag: np.ndarray, fs: float) -> np.ndarray:
    """Runs of flagged windows lasting at least :data:`MIN_BOUT_S` (a bump is brief)."""
    hop = max(1, int(round(HOP_S * fs)))
    need = max(1, int(round(MIN_BOUT_S * fs / hop)))
    d = np.diff(np.r_[0, flag.astype(np.int8), 0])
    out = np.zeros_like(flag)
    for a, b in zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1)):
        if b - a >= need:
            out[a:b] = True
    return out


def _bridge(flag: np.ndarray, moving: np.ndarray, fs: float) -> np.ndarray:
    """Join flagged windows across gaps of at most :data:`BRIDGE_S` in which every window
    still moves (hysteresis thresholding, Canny 1986): a dance or a walk varies in
    strength, and its quieter seconds are movement too. Only gaps *between* flagged
    windows are filled, so steady vibration never grows into voluntary movement."""
    hop = max(1, int(round(HOP_S * fs)))
    max_gap = int(round(BRIDGE_S * fs / hop))
    idx = np.flatnonzero(flag)
    out = flag.copy()
    for a, b in zip(idx[:-1], idx[1:]):
        if 1 < b - a <= max_gap + 1 and moving[a + 1:b].all():
            out[a + 1:b] = True
    return out


def intervals_to_mask(iv: np.ndarray, n: int, fs: float) -> np.ndarray:
    """Boolean mask of the samples inside any interval."""
    mask = np.zeros(n, dtype=bool)
    if len(iv):
        d = np.zeros(n + 1, dtype=np.int32)
        i0 = np.clip(np.floor(iv[:, 0] * fs).astype(int), 0, n)
        i1 = np.clip(np.ceil(iv[:, 1] * fs).astype(int), 0, n)
        np.add.at(d, i0, 1)
        np.add.at(d, i1, -1)
        mask = np.cumsum(d[:-1]) > 0
    return mask


def mask_to_intervals(mask: np.ndarray, fs: float, t0: float = 0.0) -> list[dict[str, float]]:
    """``[{"t0_s", "t1_s"}]`` for the runs of True in *mask*."""
    m = np.r_[False, np.asarray(mask, dtype=bool), False].astype(np.int8)
    d = np.diff(m)
    on, off = np.flatnonzero(d == 1), np.flatnonzero(d == -1)
    return [{"t0_s": float(t0 + a / fs), "t1_s": float(t0 + b / fs)} for a, b in zip(on, off)]


def intervals(prepared: Prepared) -> list[dict[str, float]]:
    """The voluntary intervals of a :class:`Prepared` recording as ``[{"t0_s", "t1_s"}]``."""
    return mask_to_intervals(prepared.voluntary, prepared.fs, prepared.t0)
