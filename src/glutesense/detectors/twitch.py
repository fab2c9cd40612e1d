"""Twitch (fasciculation): isolated transients in the acceleration, FPs in the sEMG.

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Acceleration method
-------------------
1. Band-pass 3–30 Hz (single motor-unit mechanomyogram band, physiology.md §1.4);
   notch vibration lines passed in ``lines_hz``.
2. Remove the heartbeat: subtract, at every beat found by the pulse detector, the
   median beat waveform scaled by least squares (beat-synchronous template
   subtraction, as used to remove the ECG from EMG; Mak et al., 2010), with a
   local template, a sub-sample time shift, a robust fit and an optimal basis
   set of the beat-to-beat variation (see :func:`_remove_beats`). Transients
   still locked to the cardiac phase (see :func:`_beat_locked`) are dropped, and
   with music those recurring at its beat interval (:func:`_music_locked`).
3. Energy of the analytic signal summed over the three axes, averaged over 50 ms.
4. Constant-false-alarm-rate threshold (Finn & Johnson, 1968): the local noise
   level is the median energy in 10-s windows; Gaussian noise makes the averaged
   energy a scaled chi-square variable with 2·B·T degrees of freedom per axis
   (bandwidth B, window T), so the threshold is the level times
   ``chi2.isf(p) / chi2.median`` for a false-alarm probability ``p`` per window.
5. Transients are threshold-crossing energy peaks with at least half their
   height as prominence, 60 ms apart, dated at their onset (:func:`_onsets`); voluntary movement is excluded, from
   0.5 s before to :data:`AFTER_GUARD_S` after (after-movement settles then).
6. Transients in groups (≥ 3 within 0.35 s of each other) belong to the nerve
   detector; the rest are twitches.

Pattern: ``none`` (no twitch), ``continuous`` (≥ 30 /min in ≥ 80 % of the
1-min blocks), ``clustered`` (counts in 10-s windows over-dispersed, Fano factor
> 2, or inter-event-interval CV > 1.5; a Poisson process gives 1 for both,
Cox & Lewis, 1966), otherwise ``sporadic``.

sEMG method (``prepared.emg``)
------------------------------
Band-pass 20–450 Hz; potentials are peaks of the 5-ms mean energy above a
constant-false-alarm threshold (noise sigma from the MAD, chi-square tail
probability 1e-7), with half their height as prominence and 4 ms apart.
Discharges each < 0.2 s after the previous form a burst (nerve) when the group
holds a doublet (< 20 ms) or ≥ 3 discharges. The remaining fasciculation
potentials (FPs) are clustered by waveform correlation (r ≥ 0.85, greedy
template matching as in Bashford et al., 2019) into distinct motor-unit shapes.

References
----------
Finn HM, Johnson RS (1968). Adaptive detection mode with threshold control as a
function of spatially sampled clutter-level estimates. RCA Review 29:414–464.
Cox DR, Lewis PAW (1966). The Statistical Analysis of Series of Events. Methuen.
Beaton AE, Tukey JW (1974). The fitting of power series, meaning polynomials, illustrated
on band-spectroscopic data. Technometrics 16:147–185 (the biweight).
Weissler AM, Harris WS, Schoenfeld CD (1968). Systolic time intervals in heart failure in
man. Circulation 37:149–159 (systolic intervals shorten as the heart rate rises).
Niazy RK, Beckmann CF, Iannetti GD, Brady JM, Smith SM (2005). Removal of FMRI environment
artifacts from EEG data using optimal basis sets. NeuroImage 28:720–737.
Mak JN, Hu Y, Luk KD (2010). An automated ECG-artifact removal method for trunk
muscle surface EMGs. Clin Neurophysiol 121:1735–1746 (template subtraction).
Bashford J, Wickham A, Iniesta R, et al. (2019). SPiQE: an automated analytical
tool for detecting and characterising fasciculations in amyotrophic lateral
sclerosis. Clin Neurophysiol 130:1083–1090.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy import fft as sp_fft
from scipy import signal, stats
from scipy.ndimage import median_filter

from ..recording import Annotations
from ._base import Finding, Prepared
from .preprocess import MIN_FS_TWITCH_HZ, bandpass, notch_lines, robust_sigma
from . import pulse
from .pulse import TEMPLATE_BEATS

__all__ = ["MUSIC_TOL", "MUSIC_MAX_BEATS", "detect", "find_transients", "transients_without_beats", "group_transients",
           "emg_discharges", "pattern", "Transients", "P_FALSE_ALARM", "P_BEAT_LOCKED",
           "AFTER_GUARD_S", "merge"]

#: False-alarm probability per independent energy window.
P_FALSE_ALARM = 1e-5
#: Tail probability (scan-corrected) below which a cardiac-phase neighbourhood is beat-locked.
P_BEAT_LOCKED = 1e-2
_BAND = (3.0, 30.0)
_AVG_S = 0.05
_LEVEL_S = 10.0
_MIN_SEP_S = 0.06
#: Seconds after voluntary movement not searched (after-movement settles; postural).
AFTER_GUARD_S = 3.0
#: Transients closer than this belong to one group; ≥ 3 in a group make a burst.
GROUP_GAP_S = 0.35
GROUP_MIN = 3
#: Transient time = onset: where the 50-ms energy last rose through this fraction of its
#: peak, at most ONSET_MAX_S before the peak.
ONSET_FRACTION = 0.25
ONSET_MAX_S = 0.15
#: Music-locked transients: interval within ± this many beats of a whole number of beats ...
MUSIC_TOL = 0.06
#: ... from 1 to this many beats.
MUSIC_MAX_BEATS = 4
#: Half-width of the cardiac-phase neighbourhood of the beat-locking test.
_PHASE_HALF = 0.05
#: Beat-locked transients must recur: neighbours closer than this many beats count once.
_LOCK_GAP_BEATS = 5.0
#: Beats per block of the local beat template (the median runs over 3 blocks).
_BLOCK_BEATS = 16
#: Largest time shift (samples) fitted to a beat.
_SHIFT_MAX = 0.5
#: Tukey-biweight cut-off (× the median residual norm) and iterations of the robust beat
#: fit, so that a twitch coinciding with a beat is left in the residual instead of being
#: fitted away.
_TUKEY_C = 3.0
_IRLS_ITER = 4
#: Principal components of the beat residuals fitted per beat (optimal basis set).
_OBS_PCS = 3
#: Tukey cut-off (× the median residual norm) of the basis-set fit: looser than the template
#: fit's, since the residue it fits is larger than the noise.
_OBS_C = 6.0
_EMG_P = 1e-7
_DOUBLET_S = 0.020
_EMG_GROUP_GAP_S = 0.2


@dataclasses.dataclass(frozen=True)
class Transients:
    """Transients found in the acceleration.

    Attributes
    ----------
    t_s : ndarray
        Times of the energy peaks (s).
    peak_ms2 : ndarray
        Peak vector magnitude of the band-passed acceleration (m/s²).
    energy : ndarray
        Energy above the local noise, (m/s²)²·samples.
    min_detectable_ms2 : float
        Amplitude of a sinusoidal burst that just reaches the median threshold.
    observed_s : float
        Non-voluntary time searched (s).
    """

    t_s: np.ndarray
    peak_ms2: np.ndarray
    energy: np.ndarray
    min_detectable_ms2: float
    observed_s: float


def _remove_beats(bp: np.ndarray, fs: float, beats_idx: np.ndarray) -> np.ndarray:
    """Beat-synchronous least-squares template subtraction (Mak et al., 2010).

    Five refinements make it hold at high and changing heart rates:

    * the window around each beat (0.3 before to 0.6 after) is scaled to the
      short beat intervals (10th percentile), so that neighbouring beats do not
      overlap even while the rate falls after exercise;
    * the template is local: the median waveform of the beats in the block of
      :data:`_BLOCK_BEATS` around each beat (the waveform's timing changes with
      the heart rate: the pre-ejection period and systole shorten as it rises,
      Weissler et al., 1968);
    * each beat is fitted with the template *and its time derivative* (the
      first-order Taylor expansion of a small time shift, T(t − δ) ≈ T − δ·T′),
      so that beat instants known only to the nearest sample (±0.5/fs, a 30 %
      residue for a 10 Hz wave at 100 Hz) are aligned to a fraction of a sample;
    * the fit is robust: it starts from the median amplitude of the neighbouring
      beats and reweights the samples with Tukey's biweight (iteratively
      reweighted least squares; Beaton & Tukey, 1974), so that a twitch
      coinciding with a beat stays in the residual instead of inflating the
      beat's amplitude;
    * what the beats still share after that (their waves moving against each
      other with breathing) is removed with an optimal basis set
      (:func:`_obs_residual`).
    """
    if beats_idx.size < 10:
        return bp
    ibi = float(np.percentile(np.diff(beats_idx), 10))
    pre, post = int(round(0.3 * ibi)), int(round(0.6 * ibi))
    n = bp.shape[1]
    b = beats_idx[(beats_idx - pre >= 0) & (beats_idx + post < n)]
    if b.size < 10 or pre + post < 3:
        return bp
    idx = b[:, None] + np.arange(-pre, post)[None, :]
    segs = bp[:, idx]                                          # (3, nb, L)
    nb = b.size
    nblk = -(-nb // _BLOCK_BEATS)
    if nblk <= 3:
        some = np.linspace(0, nb - 1, min(nb, TEMPLATE_BEATS)).astype(int)
        tmpl = np.broadcast_to(np.median(segs[:, some], axis=1)[:, None, :], segs.shape)
    else:
        blocks = np.empty((nblk, 3, segs.shape[2]))
        for k in range(nblk):
            lo, hi = max(0, (k - 1) * _BLOCK_BEATS), min(nb, (k + 2) * _BLOCK_BEATS)
            blocks[k] = np.median(segs[:, lo:hi], axis=1)
        tmpl = np.moveaxis(blocks[np.arange(nb) // _BLOCK_BEATS], 0, 1)    # (3, nb, L)
    der = np.gradient(tmpl, axis=-1)
    # robust start: each beat's amplitude from its neighbours (the beat's strength follows
    # breathing smoothly), then Tukey-biweight IRLS from there
    amp = np.einsum("ijk,ijk->j", segs, tmpl) / np.maximum(
        np.einsum("ijk,ijk->j", tmpl, tmpl), 1e-300)
    amp = median_filter(np.clip(amp, 0.3, 2.0), size=min(7, 2 * (nb // 2) + 1), mode="nearest")
    shift = np.zeros(nb)
    prod = tuple(np.einsum("ijk,ijk->jk", p, q) for p, q in
                 ((tmpl, tmpl), (tmpl, der), (der, der), (segs, tmpl), (segs, der)))
    sig = None
    for _ in range(_IRLS_ITER):
        res = segs - amp[None, :, None] * (tmpl - shift[None, :, None] * der)
        r = np.sqrt(np.einsum("ijk,ijk->jk", res, res))           # (nb, L) residual norm
        if sig is None:
            sig = max(float(np.median(r)), 1e-300)
        u = r / (_TUKEY_C * sig)
        w = np.where(u < 1.0, (1.0 - u ** 2) ** 2, 0.0)
        amp, shift = _fit_beats(prod, w, (amp, shift))
    model = amp[None, :, None] * (tmpl - shift[None, :, None] * der)
    res = segs - model
    u = np.sqrt(np.einsum("ijk,ijk->jk", res, res)) / (_OBS_C * sig)
    model = model + _obs_residual(res, np.where(u < 1.0, (1.0 - u ** 2) ** 2, 0.0))
    out = bp.copy()
    # overlapping beats (fast rates) are subtracted in sequence, which is exact for sums
    for j in range(2):
        sel = slice(j, None, 2)
        out[:, idx[sel]] -= model[:, sel]
    return out


def _obs_residual(res: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The part of the beat residuals that the beats share: an optimal basis set.

    The beat-to-beat variation of a ballistocardiogram is not only amplitude and
    timing: its waves (and the local arterial pulse) move against each other with
    breathing and blood pressure. As in the optimal-basis-set removal of the BCG
    artefact from EEG (Niazy et al., 2005), the first :data:`_OBS_PCS` principal
    components of the residual epochs (3 axes joined) are fitted to each beat by
    weighted least squares (the robust weights *w* of the template fit, so that a
    twitch riding on a beat is not fitted) and returned as model. Transients at
    random times are no principal component of hundreds of beat epochs.
    """
    nb = res.shape[1]
    if nb < 4 * _OBS_PCS or _OBS_PCS == 0:
        return np.zeros_like(res)
    x = np.moveaxis(res, 1, 0).reshape(nb, -1)                      # (nb, 3L)
    ww = np.tile(w, (1, res.shape[0]))                              # (nb, 3L), axes joined
    # principal directions from the beats without down-weighted samples (robust)
    clean = ww.min(axis=1) > 0.5
    basis_src = x[clean] if clean.sum() >= 4 * _OBS_PCS else x
    if basis_src.shape[0] > 2 * TEMPLATE_BEATS:       # evenly spread: plenty for 3 directions
        basis_src = basis_src[np.linspace(0, basis_src.shape[0] - 1, 2 * TEMPLATE_BEATS)
                              .astype(int)]
    v = _principal_directions(basis_src - basis_src.mean(axis=0), _OBS_PCS)   # (k, 3L)
    g = np.einsum("jm,km,lm->jkl", ww, v, v)                        # (nb, k, k)
    h = np.einsum("jm,jm,km->jk", ww, x, v)                         # (nb, k)
    g += 1e-9 * np.trace(g, axis1=1, axis2=2)[:, None, None] * np.eye(_OBS_PCS)
    coef = np.linalg.solve(g, h[..., None])[..., 0]                 # (nb, k)
    fit = np.einsum("jk,km->jm", coef, v)                           # (nb, 3L)
    return np.moveaxis(fit.reshape(nb, res.shape[0], -1), 0, 1)


def _principal_directions(xc: np.ndarray, k: int, iters: int = 40) -> np.ndarray:
    """The *k* leading principal directions (rows) of the centred rows of *xc*.

    Orthogonal (subspace) iteration on X·(Xᵀ·V) with Gram–Schmidt, in plain
    element-wise numpy: these small problems must not wake a multi-threaded BLAS,
    which on a shared CPU costs seconds instead of milliseconds.
    """
    rng = np.random.default_rng(0)
    v = rng.standard_normal((k, xc.shape[1]))
    for _ in range(iters):
        v = np.einsum("jm,kj->km", xc, np.einsum("jm,km->kj", xc, v))
        for i in range(k):
            for j in range(i):
                v[i] -= np.dot(v[i], v[j]) * v[j]
            v[i] /= max(float(np.sqrt(np.dot(v[i], v[i]))), 1e-300)
    return v


def _fit_beats(prod: tuple[np.ndarray, ...], w: np.ndarray,
               prev: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares amplitude and time shift (samples) of each beat.

    Model ``a·(T − δ·T′)`` fitted as ``a·T + b·T′`` with per-sample weights *w*
    (nb, L); ``δ = −b/a``. *prod* holds the per-sample products summed over the
    axes, (T·T, T·T′, T′·T′, S·T, S·T′), each (nb, L). The amplitude is clipped to
    [0.3, 2] and the shift to ±:data:`_SHIFT_MAX` samples (beat instants are known
    to the nearest sample); beats without enough weight keep *prev*.
    """
    tt, td, dd, st, sd = ((w * q).sum(axis=1) for q in prod)
    det = tt * dd - td ** 2
    okd = det > 1e-9 * np.maximum(tt * dd, 1e-300)
    amp = np.where(okd, (st * dd - sd * td) / np.where(okd, det, 1.0), prev[0])
    slope = np.where(okd, (sd * tt - st * td) / np.where(okd, det, 1.0), 0.0)
    amp = np.clip(amp, 0.3, 2.0)
    shift = np.where(okd, np.clip(-slope / amp, -_SHIFT_MAX, _SHIFT_MAX), prev[1])
    return amp, shift


def _beat_locked(pk: np.ndarray, bidx: np.ndarray) -> np.ndarray:
    """Transients locked to the cardiac cycle (residue of beats and heart sounds).

    The cardiac phase of each transient is its time since the previous beat over
    that beat's own interval (the rate changes, e.g. while it recovers after
    exercise; across a gap of missed beats the median interval is used), in
    [0, 1). For each transient the others within ±0.05 of its phase (circular)
    are counted; for transients independent of the heart the count is
    binomial(n − 1, 0.1). Where its tail probability, times n for the scan over
    all transients (Bonferroni), falls below :data:`P_BEAT_LOCKED` (≥ 3 events
    in the neighbourhood), the transients there are beat-locked and dropped.
    Transients of the neighbourhood fewer than :data:`_LOCK_GAP_BEATS` beats apart
    count as one: a regular motor-unit train firing near the heart rate drifts
    slowly through the phases and must not look locked.
    """
    n = pk.size
    d = np.diff(bidx).astype(float)
    med = float(np.median(d))
    j = np.searchsorted(bidx, pk, side="right") - 1
    inside = (j >= 0) & (j < bidx.size - 1)
    ibi = np.where(inside, d[np.clip(j, 0, d.size - 1)], med)
    ibi = np.where((ibi > 1.5 * med) | (ibi < 0.5 * med), med, ibi)
    prev = np.where(j >= 0, bidx[np.maximum(j, 0)], bidx[0] - med)
    phase = np.mod((pk - prev) / ibi, 1.0)
    t = pk.astype(float)
    dist = np.abs(phase[:, None] - phase[None, :]) if n <= 4000 else None
    locked = np.zeros(n, dtype=bool)
    gap = _LOCK_GAP_BEATS * med
    for i in range(n):
        di = dist[i] if dist is not None else np.abs(phase - phase[i])
        near = np.minimum(di, 1.0 - di) <= _PHASE_HALF
        tn = np.sort(t[near])
        # a regular motor-unit train near the heart rate drifts slowly through the
        # phases: its consecutive events count once (episodes > _LOCK_GAP_BEATS apart)
        count = 1 + int(np.count_nonzero(np.diff(tn) > gap))
        if count >= 3 and stats.binom.sf(count - 2, n - 1, 2 * _PHASE_HALF) * n < P_BEAT_LOCKED:
            locked |= near
    return locked


def _onsets(pk: np.ndarray, e: np.ndarray, fs: float, w: int) -> np.ndarray:
    """Onset of each transient: where its averaged energy last rose through
    :data:`ONSET_FRACTION` of its peak, at most :data:`ONSET_MAX_S` before it, plus
    half the (centred) averaging window *w* in samples, by which the average
    rises early.

    A twitch's energy peaks after its onset (contraction time, then the tissue
    rings), later the slower it is; the discharge happened at the onset.
    """
    if pk.size == 0:
        return pk.astype(float)
    m = max(1, int(round(ONSET_MAX_S * fs)))
    idx = pk[:, None] - np.arange(m + 1)[None, :]                   # back from the peak
    seg = e[np.clip(idx, 0, e.size - 1)]
    below = seg < ONSET_FRACTION * e[pk][:, None]
    first = np.where(below.any(axis=1), np.argmax(below, axis=1), m)
    return np.minimum(pk - first + w / 2.0, pk).astype(float)


def _music_locked(pk: np.ndarray, period: float) -> np.ndarray:
    """Transients that recur at the music's beat interval (period in samples).

    A transient whose interval to one of its two neighbours on either side lies
    within ±:data:`MUSIC_TOL` beats of 1–:data:`MUSIC_MAX_BEATS` whole beats
    follows the music (kick-drum bursts that cross the threshold on some beats
    only). Twitches at random (Poisson) times rarely do: at 6 /min the chance
    that a neighbour falls in one of these windows is ≈ 4 %.
    """
    t = np.sort(pk).astype(float)
    locked = np.zeros(t.size, dtype=bool)
    for lag in (1, 2):
        if t.size <= lag:
            break
        beats = (t[lag:] - t[:-lag]) / period
        k = np.round(beats)
        hit = (k >= 1) & (k <= MUSIC_MAX_BEATS) & (np.abs(beats - k) <= MUSIC_TOL)
        locked[lag:] |= hit
        locked[:-lag] |= hit
    out = np.zeros(pk.size, dtype=bool)
    out[np.argsort(pk)] = locked
    return out


def _guard(voluntary: np.ndarray, fs: float) -> np.ndarray:
    """The voluntary mask widened by 0.5 s before and :data:`AFTER_GUARD_S` after."""
    v = voluntary.astype(np.int8)
    n = v.size
    c = np.r_[0, np.cumsum(v)]
    pre, post = int(0.5 * fs), int(AFTER_GUARD_S * fs)
    i = np.arange(n)
    # any voluntary sample in [i - post, i + pre]
    return (c[np.minimum(i + pre + 1, n)] - c[np.maximum(i - post, 0)]) > 0


def _threshold_factor(fs: float, band: tuple[float, float]) -> tuple[float, int]:
    w = max(2, int(round(_AVG_S * fs)))
    bw = band[1] - band[0]
    dof = max(6.0, 6.0 * bw * w / fs)
    return float(stats.chi2.isf(P_FALSE_ALARM, dof) / stats.chi2.median(dof)), w


def _local_level(e: np.ndarray, fs: float, usable: np.ndarray) -> np.ndarray:
    """Median energy in 10-s windows (2.5-s blocks, running median of 4), per sample."""
    blk = max(1, int(round(_LEVEL_S / 4 * fs)))
    n = e.size
    nb = int(np.ceil(n / blk))
    pad = nb * blk - n
    ee = np.r_[e, np.full(pad, np.nan)].reshape(nb, blk)
    uu = np.r_[usable, np.zeros(pad, dtype=bool)].reshape(nb, blk)
    ee = np.where(uu, ee, np.nan)
    # All-NaN (voluntary) blocks: filled before the median and marked after it, so no warning is
    # raised (warnings.catch_warnings is not thread-safe under the threads scheduler).
    empty = np.all(np.isnan(ee), axis=1)
    med = np.nanmedian(np.where(empty[:, None], 0.0, ee), axis=1)
    med[empty] = np.nan
    if np.all(np.isnan(med)):
        return np.full(n, np.nan)
    med = np.where(np.isnan(med), np.nanmedian(med), med)
    k = min(4, nb)
    if nb >= k > 1:
        win = np.lib.stride_tricks.sliding_window_view(np.r_[med, med[-(k - 1):]], k)
        med = np.median(win, axis=1)[:nb]
    return np.repeat(med, blk)[:n]


def find_transients(prepared: Prepared, *, beats_s: np.ndarray | None = None,
                    lines_hz: tuple[float, ...] = (),
                    music_bpm: float | None = None) -> Transients:
    """Find every transient (twitch or nerve discharge) in the acceleration.

    Parameters
    ----------
    prepared : Prepared
        Output of :func:`glutesense.detectors.preprocess.prepare`.
    beats_s : ndarray or None
        Heartbeat times (s) from the pulse detector, removed before detection.
    lines_hz : tuple of float
        Narrowband vibration lines (Hz) to notch out.
    music_bpm : float or None
        Tempo of music vibration (from the vibration stage): transients that recur
        at its beat interval are the music's kick drum, not the body's
        (see :func:`_music_locked`).
    """
    fs, acc = prepared.fs, prepared.acc
    usable = ~_guard(prepared.voluntary, fs)
    observed = float(usable.sum() / fs)
    none = Transients(np.zeros(0), np.zeros(0), np.zeros(0), float("nan"), observed)
    if fs < MIN_FS_TWITCH_HZ or acc.shape[1] < int(2 * fs) or not np.any(acc):
        return none
    band = (_BAND[0], min(_BAND[1], 0.45 * fs))
    x = notch_lines(acc, fs, lines_hz) if lines_hz else acc
    bp = bandpass(x, fs, *band)
    bidx = None
    if beats_s is not None and len(beats_s):
        bidx = np.round((np.asarray(beats_s) - prepared.t0) * fs).astype(int)
        bidx = bidx[(bidx >= 0) & (bidx < bp.shape[1])]
        bp = _remove_beats(bp, fs, bidx)
    n = bp.shape[1]
    nfft = sp_fft.next_fast_len(n)
    env = np.abs(signal.hilbert(bp, N=nfft, axis=1)[:, :n]) ** 2
    factor, w = _threshold_factor(fs, band)
    e = np.convolve(env.sum(axis=0), np.ones(w) / w, mode="same")
    # keep transients out of the noise level and away from voluntary movement: 0.5 s
    # before it and the first AFTER_GUARD_S after it, where tissue is still settling
    level = _local_level(e, fs, usable)
    if np.all(np.isnan(level)):
        return none
    thr = factor * level
    r = np.where(usable, e / np.maximum(thr, 1e-300), 0.0)
    pk, prop = signal.find_peaks(r, height=1.0, distance=max(1, int(_MIN_SEP_S * fs)),
                                 prominence=0.0)
    keep = prop["prominences"] >= 0.5 * prop["peak_heights"]
    pk = pk[keep]
    if bidx is not None and bidx.size >= 10 and pk.size >= 3:
        pk = pk[~_beat_locked(pk, bidx)]
    if music_bpm and pk.size >= 2:
        pk = pk[~_music_locked(pk, 60.0 / music_bpm * fs)]
    half = max(1, int(round(0.05 * fs)))
    if pk.size:
        idx = np.clip(pk[:, None] + np.arange(-half, half + 1)[None, :], 0, n - 1)
        mag = np.sqrt(np.einsum("ijk,ijk->jk", bp[:, idx], bp[:, idx]))
        peak = mag.max(axis=1)
        lo = int(0.1 * fs)
        hi = int(0.3 * fs)
        idx2 = np.clip(pk[:, None] + np.arange(-lo, hi)[None, :], 0, n - 1)
        en = np.einsum("ijk,ijk->j", bp[:, idx2], bp[:, idx2]) - level[pk] * (lo + hi)
        en = np.maximum(en, 0.0)
    else:
        peak = en = np.zeros(0)
    med_thr = float(np.nanmedian(thr[usable])) if usable.any() else float("nan")
    med_lvl = float(np.nanmedian(level[usable])) if usable.any() else float("nan")
    amin = float(np.sqrt(max(med_thr - med_lvl, 0.0)))
    return Transients(prepared.t0 + _onsets(pk, e, fs, w) / fs, peak, en, amin, observed)


def transients_without_beats(prepared: Prepared, *, beats_s: np.ndarray | None = None,
                             lines_hz: tuple[float, ...] = ()) -> Transients:
    """:func:`find_transients` with heartbeats removed; runs the pulse detector if needed."""
    if beats_s is None:
        pf = pulse.detect(prepared, lines_hz=lines_hz)
        beats_s = np.asarray(pf.summary["beats_s"]) if pf.present else None
    return find_transients(prepared, beats_s=beats_s, lines_hz=lines_hz)


def group_transients(t_s: np.ndarray) -> list[np.ndarray]:
    """Indices of the transients forming groups (≥ 3, each < 0.35 s from the next)."""
    t = np.asarray(t_s)
    if t.size < GROUP_MIN:
        return []
    brk = np.flatnonzero(np.diff(t) > GROUP_GAP_S)
    parts = np.split(np.arange(t.size), brk + 1)
    return [p for p in parts if p.size >= GROUP_MIN]


def pattern(times_s: np.ndarray, observed_s: float) -> str:
    """Classify event times as ``none``, ``sporadic``, ``clustered`` or ``continuous``."""
    t = np.sort(np.asarray(times_s, dtype=float))
    if t.size == 0:
        return "none"
    span0 = t[0] - min(t[0], 0.0)
    minutes = max(observed_s / 60.0, 1e-9)
    if t.size / minutes >= 30.0:
        edges = np.arange(span0, span0 + observed_s + 60.0, 60.0)
        counts, _ = np.histogram(t, edges[edges <= t[0] + observed_s + 60.0])
        full = counts[: max(1, int(observed_s // 60))]
        if np.mean(full >= 30) >= 0.8:
            return "continuous"
    if t.size >= 5:
        ieis = np.diff(t)
        cv = ieis.std() / max(ieis.mean(), 1e-12)
        counts, _ = np.histogram(t, np.arange(t[0], t[0] + max(observed_s, 10.0) + 10.0, 10.0))
        fano = counts.var() / max(counts.mean(), 1e-12)
        if fano > 2.0 or cv > 1.5:
            return "clustered"
    return "sporadic"


def _emg_waveforms(y: np.ndarray, idx: np.ndarray, half: int) -> np.ndarray:
    ok = idx[(idx - half >= 0) & (idx + half < y.size)]
    wav = y[ok[:, None] + np.arange(-half, half + 1)[None, :]]
    wav = wav - wav.mean(axis=1, keepdims=True)
    return wav / np.maximum(np.linalg.norm(wav, axis=1, keepdims=True), 1e-300)


def _n_shapes(wav: np.ndarray, r_min: float = 0.85) -> int:
    """Greedy correlation clustering; clusters with ≥ 2 members are distinct MUAPs."""
    templates: list[np.ndarray] = []
    counts: list[int] = []
    for w in wav[:2000]:
        if templates:
            c = np.asarray(templates) @ w
            j = int(np.argmax(c))
            if c[j] >= r_min:
                counts[j] += 1
                continue
        templates.append(w)
        counts.append(1)
    return int(sum(c >= 2 for c in counts))


def emg_discharges(prepared: Prepared) -> dict | None:
    """Discharges in the sEMG stream: isolated FPs, bursts and MUAP shapes.

    Returns None without EMG; else a dict with ``fp_s`` (isolated fasciculation
    potentials), ``bursts`` (list of {"t_s", "n_discharges", "intraburst_hz"}:
    discharges each < 0.2 s after the previous, holding a doublet (< 20 ms) or
    ≥ 3 discharges), ``n_shapes`` (distinct MUAP shapes among the isolated FPs)
    and ``observed_s``.
    """
    emg = prepared.emg
    if emg is None or emg.n_samples < 100:
        return None
    fs = emg.fs
    y = bandpass(emg.data[0], fs, 20.0, 450.0)
    sig = float(robust_sigma(y))
    if sig <= 0:
        return {"fp_s": np.zeros(0), "bursts": [], "n_shapes": 0, "observed_s": emg.duration}
    # one peak per potential: mean energy over 5 ms (merges the phases of a MUAP), peaks
    # with half their height as prominence, 4 ms apart
    w = max(1, int(round(0.005 * fs)))
    e = np.convolve(y * y, np.ones(w) / w, mode="same")
    dof = max(1.0, 2.0 * (min(450.0, 0.45 * fs) - 20.0) * w / fs)
    thr = sig ** 2 * stats.chi2.isf(_EMG_P, dof) / dof
    pk, prop = signal.find_peaks(e, height=thr, distance=max(1, int(0.004 * fs)),
                                 prominence=0.0)
    pk = pk[prop["prominences"] >= 0.5 * prop["peak_heights"]]
    t = emg.t0 + pk / fs
    close = np.r_[np.diff(t) <= _DOUBLET_S, False]
    brk = np.flatnonzero(np.diff(t) >= _EMG_GROUP_GAP_S)
    single = np.ones(t.size, dtype=bool)
    bursts = []
    for g in np.split(np.arange(t.size), brk + 1):
        if g.size >= 3 or (g.size == 2 and close[g[0]]):
            tg = t[g]
            single[g] = False
            bursts.append({"t_s": round(float(tg[0]), 4), "n_discharges": int(g.size),
                           "intraburst_hz": round(float((g.size - 1) / max(tg[-1] - tg[0], 1e-6)),
                                                  2)})
    half = max(2, int(round(0.005 * fs)))
    shapes = 0
    if single.any():
        # align each potential on its largest phase (within ±3 ms of the energy peak)
        m = max(1, int(round(0.003 * fs)))
        ps = pk[single]
        ok = ps[(ps - m >= 0) & (ps + m < y.size)]
        win = np.abs(y[ok[:, None] + np.arange(-m, m + 1)[None, :]])
        shapes = _n_shapes(_emg_waveforms(y, ok + np.argmax(win, axis=1) - m, half))
    return {"fp_s": t[single], "bursts": bursts, "n_shapes": shapes, "observed_s": emg.duration}


def _confidence(n: int, minutes: float) -> float:
    """Confidence in the presence call from the event count (Poisson reasoning).

    With n events: P(fewer than n false alarms) at the design false-alarm rate of
    0.3 /min. With none: P(at least one event in the time observed) had twitching
    at ≥ 1 /min been present, 1 − exp(−minutes).
    """
    if n == 0:
        return float(1.0 - np.exp(-max(minutes, 0.0)))
    return float(stats.poisson.cdf(n - 1, 0.3 * max(minutes, 1e-9)))


def _present_confidence(n_acc: int, minutes: float, n_emg: int,
                        emg_minutes: float) -> tuple[bool, float]:
    """(present, confidence) from acceleration transients and sEMG potentials."""
    c_acc = _confidence(n_acc, minutes) if n_acc else 0.0
    c_emg = _confidence(n_emg, emg_minutes) if n_emg else 0.0
    present = (n_acc > 0 and c_acc >= 0.8) or n_emg >= 2
    if present:
        return True, max(c_acc, c_emg)
    if n_acc:
        return False, 1.0 - c_acc
    return False, _confidence(0, max(minutes, emg_minutes))


def detect(prepared: Prepared, *, beats_s: np.ndarray | None = None,
           lines_hz: tuple[float, ...] = (), transients: Transients | None = None) -> Finding:
    """Find twitches (isolated transients / fasciculation potentials).

    Parameters
    ----------
    prepared : Prepared
        Output of :func:`glutesense.detectors.preprocess.prepare`.
    beats_s : ndarray or None
        Heartbeat times to remove (from the pulse detector). When None the pulse
        detector is run here first, so heartbeats are never counted as twitches.
    lines_hz : tuple of float
        Narrowband vibration lines (Hz) to notch out.
    transients : Transients or None
        Reuse transients already found (the analysis shares them with the nerve
        detector).

    Returns
    -------
    Finding
        ``summary``: ``rate_per_min``, ``pattern``, ``events`` [{"t_s", "peak_ms2"}],
        ``min_detectable_twitch_ms2`` and, with sEMG, ``emg`` {"n_potentials",
        "rate_per_min", "n_shapes"}.
    """
    if transients is None:
        transients = transients_without_beats(prepared, beats_s=beats_s, lines_hz=lines_hz)
    in_group = np.zeros(transients.t_s.size, dtype=bool)
    for g in group_transients(transients.t_s):
        in_group[g] = True
    t, peak = transients.t_s[~in_group], transients.peak_ms2[~in_group]
    energy = float(transients.energy[~in_group].sum())
    minutes = transients.observed_s / 60.0
    emg = emg_discharges(prepared)
    summary: dict = {}
    n_emg = 0
    if emg is not None:
        n_emg = int(emg["fp_s"].size)
        summary["emg"] = {"n_potentials": n_emg,
                          "rate_per_min": round(n_emg / max(emg["observed_s"] / 60, 1e-9), 2),
                          "n_shapes": int(emg["n_shapes"])}
    present, conf = _present_confidence(int(t.size), minutes, n_emg,
                                        emg["observed_s"] / 60 if emg else 0.0)
    rate = t.size / max(minutes, 1e-9) if minutes > 0 else 0.0
    summary.update({
        "rate_per_min": round(rate, 3),
        "pattern": (("none" if not present else
                     pattern(emg["fp_s"], emg["observed_s"]) if n_emg > t.size else
                     pattern(t, transients.observed_s))),
        "events": [{"t_s": round(float(a), 3), "peak_ms2": round(float(b), 5)}
                   for a, b in zip(t, peak)],
        "min_detectable_twitch_ms2": (None if not np.isfinite(transients.min_detectable_ms2)
                                      else round(transients.min_detectable_ms2, 5)),
    })
    events = Annotations(t, 0.0, ["twitch"], ["twitch"] * t.size, ["detector:twitch"], peak)
    return Finding("twitch", present, float(np.clip(conf, 0, 1)), energy, summary,
                   events=events)


def merge(parts: list[tuple[Finding, float]]) -> Finding:
    """Combine per-chunk findings (already cropped to their cores) into one."""
    ev = [e for f, _ in parts for e in f.summary["events"]]
    t = np.array([e["t_s"] for e in ev])
    observed = float(sum(d for _, d in parts))
    minutes = observed / 60.0
    n = len(ev)
    emg_parts = [f.summary["emg"] for f, _ in parts if "emg" in f.summary]
    n_emg = sum(p["n_potentials"] for p in emg_parts)
    present, conf = _present_confidence(n, minutes, n_emg, minutes if emg_parts else 0.0)
    set_aside = sum(f.summary.get("set_aside", 0) for f, _ in parts)
    if set_aside and not present:
        conf = min(conf, 0.5)            # transients were there but could not be attributed
    mins = [f.summary["min_detectable_twitch_ms2"] for f, _ in parts
            if f.summary["min_detectable_twitch_ms2"] is not None]
    summary: dict = {
        "rate_per_min": round(n / max(minutes, 1e-9), 3),
        "pattern": pattern(t, observed) if present else "none",
        "events": ev,
        "min_detectable_twitch_ms2": float(np.median(mins)) if mins else None,
    }
    if set_aside:
        summary["set_aside"] = set_aside
    if emg_parts:
        summary["emg"] = {"n_potentials": n_emg,
                          "rate_per_min": round(n_emg / max(minutes, 1e-9), 2),
                          "n_shapes": max(p["n_shapes"] for p in emg_parts)}
    events = Annotations()
    for f, _ in parts:
        events = events + f.events
    return Finding("twitch", present, float(np.clip(conf, 0, 1)),
                   float(sum(f.energy for f, _ in parts)), summary, events=events,
                   warnings=tuple(dict.fromkeys(w for f, _ in parts for w in f.warnings)))
