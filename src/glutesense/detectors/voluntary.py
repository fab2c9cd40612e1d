"""Voluntary movement (walking, shifting on a chair, standing up) to be set aside.

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Voluntary movement is large and slow compared with everything the detectors
look for. It is found the way activity is segmented in wearable-accelerometer
pipelines (e.g. the short-time signal-magnitude threshold of Mathie et al.,
2003, and the orientation-change criterion used for posture transitions by
Najafi et al., 2003): the short-time RMS of the gravity-free acceleration rises
above an adaptive threshold, or the gravity direction turns by more than a few
degrees within a second while the RMS is raised.

Movement in continuous vibration
--------------------------------
A vehicle's own manoeuvres (braking, accelerating, turning, changing lanes) are
slow horizontal accelerations of several m/s² lasting a second or two; through
the equivalence of gravity and acceleration they also tilt the apparent gravity
direction by tens of degrees. From one accelerometer a brief manoeuvre cannot
be told from a brief posture shift, but the context can: a person at rest moves
the sensor by ~0.01 m/s² (BCG ≈ 1 mg, Inan et al., 2015), a vehicle seat by
0.35–0.53 m/s² (a_wz IQR of professional drivers, PMC8091068). So a movement bout
whose surroundings vibrate in the gait band by more than
:data:`VIBRATION_CONTEXT_MS2` counts as voluntary only when it carries the
signature of a person moving for seconds: the body's centre of mass rising and
falling with each step, i.e. vertical acceleration in the step band
:data:`STEP_BAND_HZ` sustained for :data:`MIN_BOUT_S` (walking, dancing,
bouncing), or strong movement mostly in the gait band 0.5–3.5 Hz sustained as
long. Brief bouts there, and movement below 0.5 Hz, are left to the vibration
analysis (ISO 2631-1 measures the whole exposure, manoeuvres included).

Computation
-----------
The short-time RMS comes from per-hop sums and sums of squares at the full rate
(windows are :data:`WINDOW_S` long, a whole number of hops). The band-limited
measures run on a ~20 Hz copy made by a second-order cascaded-integrator-comb
(triangular) decimator: at most −0.9 dB at 3.5 Hz and ≥ 27 dB rejection of what
would fold onto the gait band (Hogenauer, 1981); their causal filters' delay at a
step frequency is taken out. One pass over the data gives the per-hop sums, a
second (the triangle's dot products on a strided window view) the decimated copy.
Every measure ignores a constant offset, so the raw signal with gravity can be
used directly.

References
----------
Mathie MJ, Coster ACF, Lovell NH, Celler BG (2003). Detection of daily physical
activities using a triaxial accelerometer. Med Biol Eng Comput 41:296–301.
Najafi B, Aminian K, Paraschiv-Ionescu A, et al. (2003). Ambulatory system for
human motion analysis using a kinematic sensor. IEEE Trans Biomed Eng 50:711–723.
Saunders JB, Inman VT, Eberhart HD (1953). The major determinants in normal and
pathological gait. J Bone Joint Surg Am 35:543–558.
Zijlstra W, Hof AL (2003). Assessment of spatio-temporal gait parameters from
trunk accelerations during human walking. Gait Posture 18:1–10.
Pachi A, Ji T (2005). Frequency and velocity of people walking. Struct Eng 83:36–40.
Hogenauer EB (1981). An economical class of digital filters for decimation and
interpolation. IEEE Trans Acoust Speech Signal Process 29:155–162.
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from scipy import signal

from ._base import Prepared, _median, _quantile

__all__ = ["find_intervals", "intervals_to_mask", "mask_to_intervals", "mask_runs", "intervals",
           "cic_decimate", "Features", "features", "intervals_from_features",
           "HopSums", "hop_block_sums", "WINDOW_S", "HOP_S",
           "MIN_RMS_MS2", "STEP_BAND_HZ", "MIN_STEP_RMS_MS2", "VIBRATION_CONTEXT_MS2"]

#: Short-time RMS window and hop in s (the window is a whole number of hops).
WINDOW_S, HOP_S = 1.0, 0.25
#: Floor of the RMS threshold in m/s²: slow walking already exceeds ~1 m/s² RMS at the
#: pelvis (Mathie et al., 2003), while pulse, twitches and sway stay far below 0.1 m/s².
MIN_RMS_MS2 = 0.3
#: Threshold over the recording's median short-time RMS (adaptive part).
RMS_FACTOR = 4.0
#: The resting short-time RMS is this percentile of it: voluntary bouts (dancing, a walk)
#: may fill half of a recording or more, so the median can be movement itself.
BASE_PERCENTILE = 20.0
#: Strong movement is voluntary even when it fills most of a recording: RMS above
#: this (walking exceeds ~1 m/s² at the pelvis, Mathie et al., 2003) and 8× the resting
#: RMS, sustained for MIN_BOUT_S, with at least SLOW_SHARE_MIN of its power in the gait
#: band GAIT_BAND_HZ (step and dance cadences 1.5–2.5 Hz, the stride half that; below
#: 0.5 Hz lie a vehicle's manoeuvres). Steady vibration (a vehicle, a machine, music)
#: raises the resting RMS itself, so it never reaches 8× of it.
STRONG_RMS_MS2 = 1.0
GAIT_BAND_HZ = (0.5, 3.5)
SLOW_SHARE_MIN = 0.6
#: Shortest sustained bout in s (≈ 5 steps at a walking cadence of 1.6–2.4 steps/s,
#: Pachi & Ji, 2005).
MIN_BOUT_S = 3.0
#: Longest gap (s) of still-moving windows joined between two voluntary windows.
BRIDGE_S = 10.0
#: Gravity-direction change (degrees within one window) that marks a posture change.
TURN_DEG = 10.0
#: Step band (Hz) of the vertical acceleration: the centre of mass rises and falls once
#: per step, at 1.6–2.4 Hz in walking (Pachi & Ji, 2005; Zijlstra & Hof, 2003); 1 Hz
#: admits slow walking, 3.5 Hz running and bouncing.
STEP_BAND_HZ = (1.0, 3.5)
#: Floor (m/s²) of the vertical step-band RMS of gait: a ≈ 5 cm peak-to-peak vertical
#: excursion per step (Saunders et al., 1953) at 1.6 Hz is ≈ 1.8 m/s² RMS; a quarter
#: of that (rounded down) leaves room for slow and careful walking.
MIN_STEP_RMS_MS2 = 0.4
#: A bout whose surroundings move the sensor by more than this gait-band short-time RMS
#: (m/s²) lies in continuous vibration: ten times the resting BCG (≈ 0.01 m/s², Inan et
#: al., 2015), three times the quiet-standing sway floor (0.03 m/s², see
#: :mod:`.postural`) and well below vehicle-seat levels (a_wz 0.35–0.53 m/s²,
#: PMC8091068).
VIBRATION_CONTEXT_MS2 = 0.1
#: Surroundings (s on each side) over which that context is measured.
CONTEXT_S = 15.0
#: Rate (Hz) of the decimated copy used for the band-limited measures.
_LOW_FS = 20.0


@functools.lru_cache(maxsize=32)
def _sos(order: int, wn: float | tuple[float, float], btype: str, fs: float) -> np.ndarray:
    return signal.butter(order, wn, btype=btype, fs=fs, output="sos")


@functools.lru_cache(maxsize=32)
def _zi(order: int, wn: float | tuple[float, float], btype: str, fs: float) -> np.ndarray:
    return signal.sosfilt_zi(_sos(order, wn, btype, fs))


@dataclasses.dataclass(frozen=True)
class HopSums:
    """Per-hop sums of a (rows, n) signal over blocks of *hop* samples (a partial last
    block dropped): ``s`` (rows, nh) the sums, ``sq`` (nh,) the sums of squares over all
    rows. They give the gravity track's block means and the short-time RMS."""

    hop: int
    s: np.ndarray
    sq: np.ndarray


def hop_block_sums(x: np.ndarray, hop: int) -> HopSums:
    """:class:`HopSums` of *x* (rows, n) over blocks of *hop* samples, read straight from
    the data (numpy's own loops: a multithreaded BLAS call on products this thin stalls
    when the cores are busy)."""
    nh = x.shape[1] // hop
    s = np.empty((x.shape[0], nh))
    sq = np.zeros(nh)
    for i, row in enumerate(x):
        blk = np.ascontiguousarray(row[: nh * hop]).reshape(nh, hop)
        s[i] = np.einsum("ij->i", blk)
        sq += np.einsum("ij,ij->i", blk, blk)
    return HopSums(hop, s, sq)


#: Frequency (Hz) at which the band filters' delay is compensated: a typical step
#: frequency (1.6–2.4 Hz, Pachi & Ji, 2005).
_DELAY_AT_HZ = 2.0


@functools.lru_cache(maxsize=32)
def _delay(fs: float, step: bool) -> int:
    """Group delay in samples at :data:`_DELAY_AT_HZ` of the gait band-pass (and, with
    *step*, the step high-pass after it) at rate *fs*."""
    sos = _sos(2, GAIT_BAND_HZ, "bandpass", fs)
    if step:
        sos = np.vstack([sos, _sos(2, STEP_BAND_HZ[0], "highpass", fs)])
    b, a = signal.sos2tf(sos)
    _, gd = signal.group_delay((b, a), w=[_DELAY_AT_HZ], fs=fs)
    return int(round(float(gd[0])))


def cic_decimate(x: np.ndarray, fs: float, target_fs: float = _LOW_FS
                 ) -> tuple[np.ndarray, float, int]:
    """Decimate along the last axis by ``q = floor(fs / target_fs)`` with a 2nd-order CIC.

    The filter is the triangular window of ``2q − 1`` samples (a boxcar of *q* applied
    twice; Hogenauer, 1981): each output is the triangle's dot product with its
    ``2q − 1`` input samples (a strided window view, no copy). Its response
    ``(sin(πfq/fs) / (q sin(πf/fs)))²`` loses at most 0.9 dB up to ``0.175·fs/q`` and
    rejects by ≥ 27 dB what would fold onto it.

    Parameters
    ----------
    x : ndarray, shape (..., n) or (n,)
        Signal(s) at *fs*.
    fs : float
        Sampling rate of *x* in Hz.
    target_fs : float
        Lowest acceptable output rate in Hz.

    Returns
    -------
    y : ndarray, shape (k, m)
        Decimated rows (2-D even for 1-D input); ``y[:, j]`` is centred on input
        sample ``q·j + offset``.
    fs_out : float
        ``fs / q``.
    offset : int
        ``q − 1`` (0 when no decimation was needed).
    """
    x2 = np.asarray(x, dtype=float).reshape(-1, np.shape(x)[-1])
    q = max(1, int(fs // target_fs))
    nb = x2.shape[1] // q
    if q == 1 or nb < 2:
        return x2, fs, 0
    tri = np.concatenate([np.arange(1, q + 1), np.arange(q - 1, 0, -1)]).astype(float)
    out = np.empty((x2.shape[0], nb - 1))
    for i, row in enumerate(x2):
        win = np.lib.stride_tricks.sliding_window_view(row, 2 * q - 1)[::q][: nb - 1]
        np.einsum("ij,j->i", win, tri, out=out[i])
    out *= 1.0 / q ** 2
    return out, fs / q, q - 1


def _frame(n: int, fs: float) -> tuple[int, int]:
    """Hop and window length in samples (the window a whole number of hops)."""
    hop = max(1, int(round(HOP_S * fs)))
    return hop, hop * max(1, int(round(WINDOW_S / HOP_S)))


def _short_time_rms(acc: np.ndarray, fs: float, sums: HopSums | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """RMS about the window mean of the 3-axis signal in sliding windows.

    Removing each window's mean keeps slow offsets (gravity, filter edges, tilt) out
    of the measure; only movement within the window counts. Computed from per-hop
    sums and sums of squares (from *sums* when given), so the full-rate data are read
    at most once.
    """
    n = acc.shape[1]
    hop, w = _frame(n, fs)
    k = w // hop
    nh = n // hop
    if nh < k:                                   # shorter than one window: one window
        d = acc - acc.mean(axis=1, keepdims=True)
        return np.zeros(1, dtype=int), np.atleast_1d(np.sqrt(np.einsum("ij,ij->", d, d)
                                                             / max(n, 1)))
    if sums is None or sums.hop != hop or sums.sq.size < nh:
        sums = hop_block_sums(acc, hop)
    s, q = sums.s[:, :nh], sums.sq[:nh]
    nw = nh - k + 1
    s_w, q_w = s[:, :nw].copy(), q[:nw].copy()
    for i in range(1, k):                        # sliding sums (no cumulative round-off)
        s_w += s[:, i:i + nw]
        q_w += q[i:i + nw]
    mean = s_w / w
    var = q_w / w - np.einsum("ij,ij->j", mean, mean)
    return np.arange(nw) * hop, np.sqrt(np.maximum(var, 0.0))


def _window_rms(y: np.ndarray, i0: np.ndarray, i1: np.ndarray) -> np.ndarray:
    """RMS about the mean of each row of *y* in windows [i0, i1); shape (rows, windows)."""
    y = np.atleast_2d(y)
    z = np.zeros((y.shape[0], 1))
    c1 = np.concatenate([z, np.cumsum(y, axis=1)], axis=1)
    c2 = np.concatenate([z, np.cumsum(y * y, axis=1)], axis=1)
    m = np.maximum(i1 - i0, 1).astype(float)
    mean = (c1[:, i1] - c1[:, i0]) / m
    return np.sqrt(np.maximum((c2[:, i1] - c2[:, i0]) / m - mean * mean, 0.0))


def _band_measures(acc: np.ndarray, fs: float, starts: np.ndarray, w: int,
                   gravity: np.ndarray | None, gravity_fs: float | None
                   ) -> tuple[np.ndarray, np.ndarray] | None:
    """Per-window RMS in the gait band (3 axes) and vertical RMS in the step band.

    Both run on the CIC-decimated copy; "vertical" is the local gravity direction
    (row 2 of *acc* without gravity). None if the rate is too low for the bands.
    """
    y, dfs, off = cic_decimate(acc, fs)
    q = int(round(fs / dfs))
    nd = y.shape[1]
    hop = max(1, int(round(HOP_S * fs)))
    if dfs < 2.5 * GAIT_BAND_HZ[1] or nd < 30:
        return None
    # start in the steady state of the first sample: *acc* may carry gravity
    sos = _sos(2, GAIT_BAND_HZ, "bandpass", dfs)
    gait = signal.sosfilt(sos, y, axis=1, zi=_zi(2, GAIT_BAND_HZ, "bandpass", dfs)[:, None, :]
                          * y[None, :, :1])[0]
    del y
    if gravity is not None and gravity_fs and gravity.shape[1] >= 2:
        u = gravity / np.maximum(np.linalg.norm(gravity, axis=0), 1e-12)
        vert = _vertical(u, gait, q, off, fs, gravity_fs)
    else:
        vert = gait[2]
    step = signal.sosfilt(_sos(2, STEP_BAND_HZ[0], "highpass", dfs), vert)[None, :]
    # undo the filters' delay at a typical step frequency, so the measures line up
    # with the full-rate RMS (samples shifted in from beyond the end are zeros)
    d_gait, d_step = _delay(dfs, False), _delay(dfs, True)
    d_gait = d_gait if 0 < d_gait < nd else 0
    d_step = d_step if 0 < d_step < nd else 0
    if hop % q == 0 and starts.size and starts[0] == 0:
        k = w // hop
        r_gait = _aligned_window_rms(gait, hop // q, k, starts.size, d_gait)
        r_step = _aligned_window_rms(step, hop // q, k, starts.size, d_step)
    else:
        # decimated samples whose centre lies in [start, start + w)
        i0 = np.clip(-((off - starts) // q), 0, nd)
        i1 = np.clip(-((off - starts - w) // q), 0, nd)
        r_gait = _window_rms(_shifted(gait, d_gait), i0, i1)
        r_step = _window_rms(_shifted(step, d_step), i0, i1)
    return np.sqrt(r_gait[0] ** 2 + r_gait[1] ** 2 + r_gait[2] ** 2), r_step[0]


def _vertical(u: np.ndarray, z: np.ndarray, q: int, off: int, fs: float,
              gravity_fs: float) -> np.ndarray:
    """Projection of the decimated rows *z* (3, nd) on the unit gravity *u* (3, nb) of the
    0.25-s block holding each decimated sample's centre ``q·j + off``.

    When a gravity block is a whole number *r* of decimation blocks (and q > 1), sample
    *j*'s centre ``q·j + q − 1`` lies in block ``j // r`` (it is ≥ 1 sample from a block
    edge, far beyond round-off), so each block's direction multiplies *r* consecutive
    samples without a per-sample gather.
    """
    nd, nbg = z.shape[1], u.shape[1]
    ratio = fs / gravity_fs
    ghop = int(round(ratio))
    if q > 1 and off == q - 1 and abs(ratio - ghop) < 1e-9 and ghop % q == 0:
        r = ghop // q
        m = min(nd // r, nbg)
        vert = np.empty(nd)
        np.einsum("ib,ibk->bk", u[:, :m], z[:, : m * r].reshape(3, m, r),
                  out=vert[: m * r].reshape(m, r))
        if nd > m * r:
            vert[m * r:] = np.einsum("i,ij->j", u[:, min(m, nbg - 1)], z[:, m * r:])
        return vert
    blk = ((q * np.arange(nd) + off) * (gravity_fs / fs)).astype(np.intp)
    return np.einsum("ij,ij->j", u[:, np.minimum(blk, nbg - 1)], z)


def _shifted(z: np.ndarray, d: int) -> np.ndarray:
    """*z* advanced by *d* samples along the last axis, zeros shifted in at the end."""
    if d <= 0:
        return z
    out = np.zeros_like(z)
    out[:, :-d] = z[:, d:]
    return out


def _aligned_window_rms(z: np.ndarray, hd: int, k: int, nw: int, shift: int = 0
                        ) -> np.ndarray:
    """:func:`_window_rms` for windows of *k* blocks of *hd* samples, hop one block
    (window *j* starts at sample ``j·hd``) of ``_shifted(z, shift)``; from block sums
    (read in place, no shifted or padded copy), missing samples at the end are not
    counted."""
    rows, nd = z.shape
    nblk = nw + k - 1
    src = z[:, shift:]
    avail = min(src.shape[1], nblk * hd)
    full = avail // hd
    s1 = np.zeros((rows, nblk))
    s2 = np.zeros((rows, nblk))
    if full:
        zb = src[:, : full * hd].reshape(rows, full, hd)
        np.einsum("ijk->ij", zb, out=s1[:, :full])
        np.einsum("ijk,ijk->ij", zb, zb, out=s2[:, :full])
    rem = avail - full * hd
    if rem:                                      # a partial block, zero-padded
        zb = np.zeros((rows, 1, hd))
        zb[:, 0, :rem] = src[:, full * hd: avail]
        s1[:, full] = np.einsum("ijk->ij", zb)[:, 0]
        s2[:, full] = np.einsum("ijk,ijk->ij", zb, zb)[:, 0]
    w1 = s1[:, :nw].copy()
    w2 = s2[:, :nw].copy()
    for i in range(1, k):
        w1 += s1[:, i:i + nw]
        w2 += s2[:, i:i + nw]
    j0 = np.arange(nw) * hd
    m = np.maximum(np.minimum(j0 + k * hd, nd) - j0, 1).astype(float)
    mean = w1 / m
    return np.sqrt(np.maximum(w2 / m - mean * mean, 0.0))


@dataclasses.dataclass
class Features:
    """Per-window movement measures behind :func:`find_intervals` (windows of
    :data:`WINDOW_S` every :data:`HOP_S`; window *j* starts at sample ``starts[j]``).

    Attributes
    ----------
    n, fs, w : int, float, int
        Samples, rate and window length in samples.
    starts : ndarray of int
        First sample of each window.
    rms : ndarray
        Short-time RMS of the 3-axis acceleration about the window mean.
    gait, step : ndarray or None
        Gait-band (3-axis) and vertical step-band RMS; None if fs is too low.
    turn : ndarray or None
        Gravity-direction change (degrees within one window); None without gravity.
    """

    n: int
    fs: float
    w: int
    starts: np.ndarray
    rms: np.ndarray
    gait: np.ndarray | None
    step: np.ndarray | None
    turn: np.ndarray | None


def features(acc: np.ndarray, fs: float, gravity: np.ndarray | None = None,
             gravity_fs: float | None = None, sums: HopSums | None = None
             ) -> Features:
    """The per-window measures of *acc* (see :func:`find_intervals` for the arguments;
    *sums*: :func:`hop_block_sums` of *acc* over the :data:`HOP_S` hop, if already
    computed).

    *acc* need not be gravity-free: every measure is taken about the window mean or
    in a band above 0.5 Hz (the band filters start in the steady state of the first
    sample), so the raw signal gives the same result without the filter edges that a
    gravity-removal filter leaves at orientation changes.
    """
    n = acc.shape[1]
    hop, w = _frame(n, fs)
    if sums is None and n >= w:
        sums = hop_block_sums(acc, hop)
    starts, rms = _short_time_rms(acc, fs, sums)
    bands = (_band_measures(acc, fs, starts, w, gravity, gravity_fs) if n >= w
             else None)
    gait, step = bands if bands is not None else (None, None)
    turn = None
    lag = max(1, int(round(WINDOW_S * gravity_fs))) if gravity_fs else 0
    if gravity is not None and lag and gravity.shape[1] > lag:
        u = gravity / np.maximum(np.linalg.norm(gravity, axis=0), 1e-12)
        cosang = np.einsum("ij,ij->j", u[:, lag:], u[:, :-lag])
        deg = np.degrees(np.arccos(np.clip(cosang, -1.0, 1.0)))
        t_turn = (np.arange(deg.size) + lag / 2) / gravity_fs
        turn = np.interp((starts + 0.5 * w) / fs, t_turn, deg)
    return Features(n, fs, w, starts, rms, gait, step, turn)


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
        Low-passed gravity vectors in the frame of *acc*, sampled at *gravity_fs*
        (block *k* covers ``[k, k + 1) / gravity_fs``); None when the recording
        has no gravity (the orientation criterion is then skipped and row 2 of
        *acc* is taken as vertical).
    gravity_fs : float or None
        Rate of *gravity* in Hz.

    Returns
    -------
    ndarray, shape (k, 2)
        Merged ``[t0, t1]`` intervals in s from the first sample.
    """
    if acc.shape[1] == 0:
        return np.zeros((0, 2))
    return intervals_from_features(features(acc, fs, gravity, gravity_fs))


def intervals_from_features(feat: Features) -> np.ndarray:
    """The voluntary intervals ``[t0, t1]`` (s) that the measures *feat* show."""
    n, fs, w, starts, rms, gait = feat.n, feat.fs, feat.w, feat.starts, feat.rms, feat.gait
    if n == 0:
        return np.zeros((0, 2))
    base = float(_median(rms))
    rest = _quantile(rms, BASE_PERCENTILE / 100.0)
    thr = max(RMS_FACTOR * base, MIN_RMS_MS2)
    flag = rms > thr
    sustained = np.zeros_like(flag)
    if gait is not None:
        step = feat.step
        strong = rms > max(STRONG_RMS_MS2, 2.0 * RMS_FACTOR * rest)
        slow = gait ** 2 >= SLOW_SHARE_MIN * rms ** 2
        # a bout that fills much of the recording is not above its median: strong
        # movement mostly in the gait band, or the vertical rhythm of steps, sustained
        # for seconds marks it instead
        step_thr = max(MIN_STEP_RMS_MS2, RMS_FACTOR * _quantile(step, BASE_PERCENTILE / 100.0))
        sustained = _sustained(strong & slow, fs) | _sustained(step > step_thr, fs)
        flag |= sustained
    if feat.turn is not None:
        flag |= (feat.turn > TURN_DEG) & (rms > min(2.0 * base, thr))
    moving = rms > max(RMS_FACTOR * rest, MIN_RMS_MS2)
    if not flag.any():
        return np.zeros((0, 2))
    flag = _bridge(flag, moving, fs)
    if gait is not None:
        flag = _in_context(flag, sustained, gait)
    if not flag.any():
        return np.zeros((0, 2))
    t0 = starts[flag] / fs
    t1 = t0 + w / fs
    # merge overlapping / nearby windows (gap < 1 s)
    brk = np.flatnonzero(t0[1:] > t1[:-1] + 1.0)
    s = np.r_[0, brk + 1]
    iv = np.column_stack([t0[s], np.maximum.reduceat(t1, s)])
    iv[:, 1] = np.minimum(iv[:, 1], n / fs)
    return iv


def _in_context(flag: np.ndarray, sustained: np.ndarray, gait: np.ndarray) -> np.ndarray:
    """Drop bouts that lie in continuous vibration without a sustained gait signature.

    The context of a bout is the median gait-band RMS *gait* of the unflagged windows
    within :data:`CONTEXT_S` on either side of it (of all unflagged windows if there are
    none nearby). The gait band rather than the whole band keeps white sensor noise
    (which spreads up to fs/2) from passing for vibration. Above
    :data:`VIBRATION_CONTEXT_MS2` a bout is kept only if it contains sustained gait-like
    movement (see the module docstring).
    """
    on, off = mask_runs(flag)
    c = int(round(CONTEXT_S / HOP_S))
    quiet = gait[~flag]
    out = flag.copy()
    for a, b in zip(on, off):
        if sustained[a:b].any():
            continue
        near = np.concatenate((gait[max(0, a - c):a], gait[b:b + c]))
        near_ok = ~np.concatenate((flag[max(0, a - c):a], flag[b:b + c]))
        ctx = near[near_ok] if near_ok.any() else quiet
        if ctx.size and _median(ctx) > VIBRATION_CONTEXT_MS2:
            out[a:b] = False
    return out


def _sustained(flag: np.ndarray, fs: float) -> np.ndarray:
    """Runs of flagged windows lasting at least :data:`MIN_BOUT_S` (a bump is brief)."""
    hop = max(1, int(round(HOP_S * fs)))
    need = max(1, int(round(MIN_BOUT_S * fs / hop)))
    on, off = mask_runs(flag)
    keep = off - on >= need
    d = np.zeros(flag.size + 1, dtype=np.int32)
    np.add.at(d, on[keep], 1)
    np.add.at(d, off[keep], -1)
    return np.cumsum(d[:-1]) > 0


def _bridge(flag: np.ndarray, moving: np.ndarray, fs: float) -> np.ndarray:
    """Join flagged windows across gaps of at most :data:`BRIDGE_S` in which every window
    still moves (hysteresis thresholding, Canny 1986): a dance or a walk varies in
    strength, and its quieter seconds are movement too. Only gaps *between* flagged
    windows are filled, so steady vibration never grows into voluntary movement."""
    hop = max(1, int(round(HOP_S * fs)))
    max_gap = int(round(BRIDGE_S * fs / hop))
    idx = np.flatnonzero(flag)
    out = flag.copy()
    if idx.size < 2:
        return out
    gap = np.diff(idx)
    cand = np.flatnonzero((gap > 1) & (gap <= max_gap + 1))
    if cand.size:
        still = np.r_[0, np.cumsum(~moving, dtype=np.int64)]     # non-moving windows so far
        a, b = idx[cand], idx[cand + 1]
        for a_, b_ in zip(a[still[b] - still[a + 1] == 0], b[still[b] - still[a + 1] == 0]):
            out[a_ + 1:b_] = True
    return out


def intervals_to_mask(iv: np.ndarray, n: int, fs: float) -> np.ndarray:
    """Boolean mask of the samples inside any interval."""
    mask = np.zeros(n, dtype=bool)
    if len(iv):
        iv = np.asarray(iv, dtype=float)
        i0 = np.clip(np.floor(iv[:, 0] * fs).astype(int), 0, n)
        i1 = np.clip(np.ceil(iv[:, 1] * fs).astype(int), 0, n)
        for a, b in zip(i0, i1):
            mask[a:b] = True
    return mask


def mask_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """First and one-past-last sample of every run of True in the boolean *mask*.

    One comparison of neighbours finds the changes (no padded or converted copy of the
    mask); a change to True starts a run, a change to False ends one.
    """
    m = np.asarray(mask, dtype=bool).reshape(-1)
    if m.size == 0:
        return np.zeros(0, dtype=np.intp), np.zeros(0, dtype=np.intp)
    ch = np.flatnonzero(m[1:] != m[:-1]) + 1
    up = m[ch]
    on, off = ch[up], ch[~up]
    if m[0]:
        on = np.concatenate(([0], on))
    if m[-1]:
        off = np.concatenate((off, [m.size]))
    return on, off


def mask_to_intervals(mask: np.ndarray, fs: float, t0: float = 0.0) -> list[dict[str, float]]:
    """``[{"t0_s", "t1_s"}]`` for the runs of True in *mask*."""
    on, off = mask_runs(mask)
    return [{"t0_s": float(t0 + a / fs), "t1_s": float(t0 + b / fs)} for a, b in zip(on, off)]


def intervals(prepared: Prepared) -> list[dict[str, float]]:
    """The voluntary intervals of a :class:`Prepared` recording as ``[{"t0_s", "t1_s"}]``."""
    return mask_to_intervals(prepared.voluntary, prepared.fs, prepared.t0)
