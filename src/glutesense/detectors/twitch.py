"""Twitch (fasciculation): isolated transients in the acceleration, FPs in the sEMG.

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Acceleration method
-------------------
1. Band-pass 3–30 Hz (single motor-unit mechanomyogram band, physiology.md §1.4);
   notch vibration lines passed in ``lines_hz``.
   The record's ends are held at their level for the filter (:func:`_bandpass_held`).
2. Remove the heartbeat: subtract, at every beat, the local median beat waveform
   scaled by least squares (beat-synchronous template subtraction, as used to
   remove the ECG from EMG; Mak et al., 2010), each beat aligned to it, with a
   sub-sample time shift and a robust fit; beats the pulse detector missed (gaps,
   record edges) are predicted from the rhythm and kept where the template fits
   (see :func:`_subtract_beats`). With music, its kick drums are found at their
   period and removed the same way (:func:`_remove_music`). Transients still
   locked to the cardiac (or music) phase (see :func:`_beat_locked`) are dropped,
   and with music those recurring at its beat interval (:func:`_music_locked`).
3. Energy of the analytic signal summed over the three axes, averaged over 50 ms.
4. Constant-false-alarm-rate threshold (Finn & Johnson, 1968): the local noise
   level is the median energy in 10-s windows; Gaussian noise makes the averaged
   energy a scaled chi-square variable with 2·B·T degrees of freedom per axis
   (bandwidth B, window T), so the threshold is the level times
   ``chi2.isf(p) / chi2.median`` for a false-alarm probability ``p`` per window.
   Inside the beat windows the level is the greater of that and the level at the
   same cardiac phase of the neighbouring beats (greatest-of / ordered-statistic
   CFAR, Hansen, 1973; Rohling, 1983: :func:`_cardiac_level`), so that residue
   of the beats raises the threshold only where it recurs.
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
Hansen VG (1973). Constant false alarm rate processing in search radars. In: Radar —
Present and Future, IEE Conf. Publ. 105:325–332 (greatest-of CFAR).
Rohling H (1983). Radar CFAR thresholding in clutter and multiple target situations. IEEE
Trans Aerosp Electron Syst 19:608–621 (ordered-statistic CFAR).
Leahy DA, Darbro W, Elsner RF, et al. (1983). On searches for pulsed emission with
application to four globular cluster X-ray sources. Astrophys J 266:160–170 (epoch folding).
Allen PJ, Polizzi G, Krakow K, Fish DR, Lemieux L (1998). Identification of EEG events in
the MR scanner: the problem of pulse artifact and a method for its subtraction.
NeuroImage 8:229–239 (beat-epoch alignment and averaging).
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
import functools

import numpy as np
from scipy import fft as sp_fft
from scipy import signal, stats
from scipy.ndimage import median_filter

from ..recording import Annotations
from ._base import Finding, Prepared
from .preprocess import MIN_FS_TWITCH_HZ, bandpass, notch_lines, robust_sigma
from . import pulse

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
_IRLS_ITER = 2
#: Most beats predicted in a gap of the beats found, or beyond the first / last one.
_FILL_MAX_BEATS = 30
#: A beat predicted at the record's edge must have this many samples of its window inside.
_EDGE_MIN_IN = 3
#: Largest alignment lag of a beat from the pulse detector / of a predicted beat, as a
#: fraction of the short beat interval.
_ALIGN_DETECTED = 0.3
_ALIGN_INSERTED = 0.15
#: A predicted beat is kept when the local template fits it with at least this amplitude.
_INSERT_MIN_AMP = 0.5
#: Beats whose template fit (normalised cross-correlation) within ±1 sample is below this
#: fraction of the median are searched over the whole alignment range.
_REALIGN_RHO = 0.8
#: A beat with an outlying epoch more than this fraction of the local period off the
#: midpoint of its neighbours is moved there (the pulse detector took a twitch for it).
_OFF_RHYTHM = 0.15
#: Epochs with more than this many times the median epoch energy are not realigned.
_ALIGN_ENERGY_MAX = 2.5
#: Length (s) of the held level added at each end of the record before band-passing.
_HOLD_S = 0.5
#: Quantile of the energy at one phase over the neighbouring beats that sets the level
#: there (ordered-statistic CFAR; Rohling, 1983, recommends about 3/4).
_OS_Q = 0.75
#: Autocorrelation of the transient energy that shows the music's beat.
_MUSIC_AC_MIN = 0.1
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


@dataclasses.dataclass(frozen=True)
class _BeatGrid:
    """The beats as subtracted: aligned instants (samples) and the window around them.

    ``pos`` (sorted) may lie slightly outside the record: windows at its edges are
    partial.
    """

    pos: np.ndarray
    pre: int
    post: int


def _windows(x: np.ndarray, start: np.ndarray, width: int) -> np.ndarray:
    """The windows ``x[..., s:s + width]`` for every *s* in *start*, stacked on the
    second-to-last axis (a copy, shape ``x.shape[:-1] + start.shape + (width,)``).

    Gathered as whole rows of a sliding-window view: about ten times faster than
    fancy indexing with ``start[:, None] + arange(width)``, which gathers element
    by element.
    """
    return np.lib.stride_tricks.sliding_window_view(x, width, axis=-1)[..., start, :]


def _dot_axes(a: np.ndarray, b: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Σ over the first (axis) dimension of a·b: three fused multiply-adds, faster than
    ``einsum`` for the few axes of an accelerometer (into *out* if given)."""
    out = np.multiply(a[0], b[0], out=out)
    tmp = np.empty_like(out)
    for i in range(1, a.shape[0]):
        out += np.multiply(a[i], b[i], out=tmp)
    return out


def _remove_beats(bp: np.ndarray, fs: float, beats_idx: np.ndarray,
                  usable: np.ndarray | None = None) -> np.ndarray:
    """*bp* with the heartbeats at *beats_idx* (samples) subtracted (see :func:`_subtract_beats`)."""
    return _subtract_beats(bp, fs, beats_idx, usable)[0]


def _subtract_beats(bp: np.ndarray, fs: float, beats_idx: np.ndarray,
                    usable: np.ndarray | None = None) -> tuple[np.ndarray, _BeatGrid | None]:
    """Beat-synchronous least-squares template subtraction (Mak et al., 2010).

    Refinements that make it hold at high and changing heart rates and where the
    beat list is incomplete:

    * the window around each beat (0.3 before to 0.6 after) is scaled to the
      short beat intervals (10th percentile), so that neighbouring beats do not
      overlap even while the rate falls after exercise;
    * every beat is aligned to the local template by the lag of the best
      normalised cross-correlation, within ±:data:`_ALIGN_DETECTED` of the short
      beat interval: beat instants found in the 1–10 Hz BCG band jitter by tens
      of ms against the 3–30 Hz waveform subtracted here (the epoch alignment
      step of template and optimal-basis-set BCG removal; Allen et al., 1998;
      Niazy et al., 2005);
    * the beat train is completed (:func:`_beat_grid`): beats the pulse
      detector missed (a gap of k local periods holds k − 1 beats) and beats
      beyond the first and last ones (partial windows at the record's edges are
      fitted on the samples inside) are predicted from the local period, aligned
      within ±:data:`_ALIGN_INSERTED`, and kept only where the local template
      fits there with at least :data:`_INSERT_MIN_AMP` of the neighbours'
      amplitude;
    * the template is local: the median waveform of each block of
      :data:`_BLOCK_BEATS` beats, averaged over the block and its two neighbours
      (the waveform's timing changes with the heart rate: the pre-ejection period
      and systole shorten as it rises, Weissler et al., 1968);
    * each beat is fitted with the template *and its time derivative* (the
      first-order Taylor expansion of a small time shift, T(t − δ) ≈ T − δ·T′),
      so that beat instants known only to the nearest sample are aligned to a
      fraction of a sample;
    * the fit is robust: it starts from the median amplitude of the neighbouring
      beats and reweights the samples with Tukey's biweight (iteratively
      reweighted least squares; Beaton & Tukey, 1974), so that a twitch
      coinciding with a beat stays in the residual instead of inflating the
      beat's amplitude.

    What still differs from beat to beat is handled by the threshold instead
    (:func:`_cardiac_level`). (An optimal basis set of the beat residuals, Niazy
    et al., 2005, was fitted here before; with the epoch alignment it removed no
    more residue in the evaluation and cost a third of the time.)

    Everything is vectorised over the beats (one gather of the beat epochs, one
    median per block of beats, one weighted ``bincount`` per axis to subtract).

    *usable* (bool per sample, default all) marks the time away from voluntary
    movement: no beat is predicted where its window touches movement, and beats
    there do not enter the templates.

    Returns the cleaned signal and the beat grid used (None when there are too
    few beats to build a template).
    """
    b = np.unique(np.asarray(beats_idx, dtype=np.int64))
    n = bp.shape[1]
    if b.size < 10:
        return bp, None
    ibi = float(np.percentile(np.diff(b), 10))
    pre, post = int(round(0.3 * ibi)), int(round(0.6 * ibi))
    L = pre + post
    if L < 3:
        return bp, None
    s_det = max(0, int(round(_ALIGN_DETECTED * ibi)))
    s_ins = max(0, int(round(_ALIGN_INSERTED * ibi)))
    m = L + s_ins + 1                                 # zero margin: edge windows stay in range
    pad = np.zeros((bp.shape[0], n + 2 * m), dtype=np.float32)
    pad[:, m:m + n] = bp
    # quiet[i]: sample i of pad is inside the record and away from voluntary movement
    quiet = np.zeros(n + 2 * m, dtype=bool)
    quiet[m:m + n] = True if usable is None else usable
    got = _beat_grid(pad, quiet, m, n, b, pre, L, s_det, s_ins, 0.5 * ibi)
    if got is None:
        return bp, None
    start, (sm, blk) = got
    ar = np.arange(L)

    def inside(rows: np.ndarray) -> np.ndarray:
        """Which samples of the windows starting at *rows* lie inside the record."""
        idx = rows[:, None] + ar
        return (idx >= m) & (idx < m + n)

    segs = _windows(pad, start, L)                               # (3, nb, L)
    nb = start.size
    dsm = np.gradient(sm, axis=-1)
    tmpl, der = sm[:, blk], dsm[:, blk]                          # per beat (fresh copies)
    # the template's own products once per block
    prod = np.empty((5, nb, L), dtype=np.result_type(segs, tmpl, der))
    bprod = np.empty((3,) + sm.shape[1:], dtype=prod.dtype)
    for k, (p, q) in enumerate(((sm, sm), (sm, dsm), (dsm, dsm))):
        _dot_axes(p, q, out=bprod[k])
    prod[:3] = bprod[:, blk]
    cut = np.flatnonzero((start < m) | (start + L > m + n))
    partial = cut.size > 0
    if partial:                    # windows cut by the record's edges: fit the part inside
        vf = inside(start[cut]).astype(np.float32)
        tmpl[:, cut] *= vf
        der[:, cut] *= vf
        prod[:3, cut] *= vf                                      # vf is 0 or 1: vf² = vf
    # robust start: each beat's amplitude from its neighbours (the beat's strength follows
    # breathing smoothly), then Tukey-biweight IRLS from there
    _dot_axes(segs, tmpl, out=prod[3])
    _dot_axes(segs, der, out=prod[4])
    amp = prod[3].sum(axis=1, dtype=float) / np.maximum(prod[0].sum(axis=1, dtype=float), 1e-30)
    amp = median_filter(np.clip(amp, 0.3, 2.0), size=min(7, 2 * (nb // 2) + 1), mode="nearest")
    shift = np.zeros(nb)
    sig = None
    for _ in range(_IRLS_ITER):
        a32, s32 = amp.astype(np.float32)[:, None], shift.astype(np.float32)[:, None]
        # residual segs − a·(T − s·T′), one axis at a time into two reused buffers
        r2 = np.empty((nb, L), dtype=np.result_type(segs, tmpl, der, np.float32))
        res = np.empty_like(r2)
        for ax in range(segs.shape[0]):
            if sig is None:                           # no shift yet: T − 0·T′ is T exactly
                np.multiply(a32, tmpl[ax], out=res)
            else:
                np.multiply(s32, der[ax], out=res)
                np.subtract(tmpl[ax], res, out=res)
                np.multiply(a32, res, out=res)
            np.subtract(segs[ax], res, out=res)
            np.multiply(res, res, out=res)
            if ax == 0:
                r2, res = res, r2
            else:
                r2 += res                             # (nb, L) squared norm
        if sig is None:
            # the scale from every k-th beat (≥ 256 beats, ≥ 20 000 samples): its median
            # is then within about 1 % of the full one, at a fraction of the cost
            k = max(1, nb // 256)
            sig = max(float(np.sqrt(np.median(r2[::k][inside(start[::k])] if partial
                                              else r2[::k]))), 1e-30)
        # Tukey's biweight (1 − u²)² for u < 1, else 0
        w = np.divide(r2, np.float32((_TUKEY_C * sig) ** 2), out=r2)
        np.subtract(1.0, w, out=w)
        np.maximum(w, 0.0, out=w)
        np.square(w, out=w)
        amp, shift = _fit_beats(prod, w, (amp, shift))
    # subtract the model a·(T − s·T′) from pad, one axis at a time. Every other window is
    # disjoint from the next but one (beats are kept at least half the short interval
    # apart, the windows span 0.9 of it): the two halves are subtracted in place in turn.
    # Where windows of alternate beats overlap after all, the model is summed first.
    a32, s32 = amp.astype(np.float32)[:, None], shift.astype(np.float32)[:, None]
    model = np.empty((nb, L), dtype=np.result_type(tmpl, der, np.float32))
    disjoint = bool(np.all(start[2:] - start[:-2] >= L))      # start is sorted
    for a in range(bp.shape[0]):
        np.multiply(s32, der[a], out=model)
        np.subtract(tmpl[a], model, out=model)
        np.multiply(a32, model, out=model)
        if disjoint:
            for par in range(2):
                ii = (start[par::2, None] + ar).ravel()
                pad[a, ii] -= model[par::2].ravel()
        else:
            pad[a] -= np.bincount((start[:, None] + ar).ravel(), weights=model.ravel(),
                                  minlength=pad.shape[1])
    return pad[:, m:m + n], _BeatGrid(np.sort(start - m + pre), pre, post)


def _window_quiet(quiet: np.ndarray, start: np.ndarray, L: int) -> np.ndarray:
    """Whether each window [start, start + L) of *quiet* is all True."""
    c = np.r_[0, np.cumsum(~quiet)]
    return c[start + L] - c[start] == 0


def _beat_grid(pad: np.ndarray, quiet: np.ndarray, m: int, n: int, b: np.ndarray, pre: int,
               L: int, s_det: int, s_ins: int,
               min_gap: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Window starts (indices into *pad*, the record with *m* zeros each side) of the
    beats to subtract, sorted, and their local templates (c, nb, L): the beats found,
    aligned, and the beats they miss.

    1. The beats found are aligned to the local template of their neighbours
       (:func:`_best_lags`): one sample at a time while the best lag keeps
       moving, and over all of ±*s_det* samples where the fit stays below
       :data:`_REALIGN_RHO` times the median fit (beats the pulse detector
       misplaced), except those whose epoch holds
       more than :data:`_ALIGN_ENERGY_MAX` times the median epoch energy (a
       twitch on the beat, which the cross-correlation would follow); such a beat
       lying more than :data:`_OFF_RHYTHM` of the local period off the midpoint of
       its neighbours is moved there (the pulse detector took the twitch for the
       beat). Of two beats aligned closer than *min_gap* (a spurious extra beat)
       the better fit stays.
    2. Gaps: with the local period the running median of 9 beat intervals (each
       divided by the number of periods it spans), an
       interval of k ≥ 2 periods (up to :data:`_FILL_MAX_BEATS`) receives k − 1
       evenly spaced beats, each aligned within ±*s_ins*.
    3. Edges: beats are tracked one period at a time beyond the first and the
       last beat while their window reaches into the record (up to
       :data:`_FILL_MAX_BEATS`, and until three in a row are not seen), each
       aligned within ±*s_ins* and then the anchor of the next.

    A predicted beat is kept where the template fits it with an amplitude
    between :data:`_INSERT_MIN_AMP` and 2 (the beats found fit with ≈ 1) and its
    window is *quiet* (inside the record, away from voluntary movement) where
    the record goes: the heart does not stop, but where its beat is not seen
    nothing is subtracted. In a gap, a predicted beat whose epoch is outlying in
    energy (a twitch on it) is kept at its predicted instant, unaligned; at the
    edges it is not kept. None when fewer than 3 beats found have quiet windows
    (no template).
    """
    start = b - pre + m
    calm = _window_quiet(quiet, start, L)
    loud = np.r_[0, np.cumsum(~quiet[m:m + n])]
    got = _local_templates(pad, start, L, calm, blocks=True)
    if got is None:
        return None
    sm, blk = got
    tmpl = sm[:, blk]
    # epochs holding much more energy than a beat (a twitch on the beat) are not realigned:
    # the cross-correlation would follow the twitch
    ce = np.r_[0.0, np.cumsum(_dot_axes(pad, pad), dtype=float)]
    e_ref = float(np.median((ce[start + L] - ce[start])[calm]))

    def clean(st: np.ndarray) -> np.ndarray:
        return ce[st + L] - ce[st] <= _ALIGN_ENERGY_MAX * e_ref

    # every beat within ±1 sample, then on from there while the lag keeps moving
    ok = clean(start)
    lag, amp, rho = _best_lags(pad, start, tmpl, np.where(ok, 1, 0), m, m + n)
    # hill-climb one sample at a time while the best lag keeps moving
    moving = np.flatnonzero(ok & (np.abs(lag) == 1))
    for _ in range(s_det - 1):
        if not moving.size:
            break
        step, a, r = _best_lags(pad, start[moving] + lag[moving], tmpl[:, moving],
                                np.ones(moving.size, dtype=np.int64), m, m + n)
        lag[moving] += step
        amp[moving], rho[moving] = a, r
        moving = moving[(step != 0) & (np.abs(lag[moving]) < s_det)]
    # the whole range where the fit stays poor (a beat far off, or on a side lobe)
    far = np.flatnonzero(ok & (rho < _REALIGN_RHO * np.median(rho)))
    if far.size and s_det > 1:
        lag[far], amp[far], _ = _best_lags(pad, start[far], tmpl[:, far],
                                           np.full(far.size, s_det), m, m + n)
    start = start + lag
    # a beat put on a twitch (an outlying epoch off the rhythm) goes back to the rhythm:
    # midway between its neighbours
    mid, half = start.copy(), np.full(start.size, np.inf)
    mid[1:-1] = (start[:-2] + start[2:]) // 2
    half[1:-1] = (start[2:] - start[:-2]) / 2
    start = np.where(~clean(start) & (np.abs(start - mid) > _OFF_RHYTHM * half), mid, start)
    keep = _not_doubled(start, amp, min_gap)
    start, blk, amp = start[keep], blk[keep], amp[keep]
    if start.size < 3:
        return None
    d = np.diff(start).astype(float)
    k = min(9, 2 * ((d.size - 1) // 2) + 1)
    # local period: running median of the intervals, each first divided by the number of
    # periods it spans (a missed beat doubles an interval), mirrored at the ends
    per = median_filter(d, size=k, mode="mirror")
    per = median_filter(d / np.maximum(np.rint(d / per), 1.0), size=k, mode="mirror")
    # 2. gaps
    q = np.rint(d / np.maximum(per, 1.0)).astype(np.int64)
    gi = np.flatnonzero((q >= 2) & (q <= _FILL_MAX_BEATS + 1))
    reps = q[gi] - 1
    j = np.arange(reps.sum()) - np.repeat(np.cumsum(reps) - reps, reps) + 1
    src = np.repeat(gi, reps)
    gs = np.rint(start[src] + j * np.repeat(d[gi] / q[gi], reps)).astype(np.int64)
    found, fit, source = [start], [amp], [np.arange(start.size)]
    # templates of the aligned beats (sharper than those of the beats as given)
    t2 = _local_templates(pad, start, L, _window_quiet(quiet, start, L), blocks=True)
    if t2 is not None:
        sm, blk = t2
    if gs.size:
        c = clean(gs)
        lag, a, _ = _best_lags(pad, gs, sm[:, blk[src]], np.where(c, s_ins, 0), m, m + n)
        # an epoch with a twitch in it keeps the predicted instant (a gap between two beats
        # found predicts it well): the robust fit then leaves the twitch alone
        ok = np.where(c, _plausible(a, loud, gs + lag, L, m, n),
                      _plausible(np.ones(gs.size), loud, gs, L, m, n))
        found.append((gs + lag)[ok])
        fit.append(np.where(c, a, 0.5 * _INSERT_MIN_AMP)[ok])
        source.append(src[ok])
    # 3. edges, one beat per step
    for step, anchor, i in ((-per[0], start[0], 0), (per[-1], start[-1], start.size - 1)):
        missed = 0
        for _ in range(_FILL_MAX_BEATS):
            nxt = int(round(anchor + step))
            if not m - L + _EDGE_MIN_IN < nxt < m + n - _EDGE_MIN_IN or missed >= 3:
                break
            lag, a, _ = _best_lags(pad, np.array([nxt]), sm[:, blk[i:i + 1]], np.array([s_ins]),
                                   m, m + n)
            if _plausible(a, loud, nxt + lag, L, m, n)[0] and clean(np.array([nxt]))[0]:
                nxt += int(lag[0])
                found.append(np.array([nxt]))
                fit.append(a)
                source.append(np.array([i]))
                missed = 0
            else:
                missed += 1
            anchor = nxt
    start, amp, source = np.concatenate(found), np.concatenate(fit), np.concatenate(source)
    keep = _not_doubled(start, amp, min_gap)
    start, source = start[keep], source[keep]
    order = np.argsort(start, kind="stable")
    return start[order], (sm, blk[source[order]])


def _plausible(amp: np.ndarray, loud: np.ndarray, start: np.ndarray, L: int, m: int,
               n: int) -> np.ndarray:
    """Predicted beats to keep: amplitude in [:data:`_INSERT_MIN_AMP`, 2] and the part of
    the window inside the record away from voluntary movement (*loud*: cumulative count
    of the record's samples in movement, with a leading 0)."""
    lo, hi = np.clip(start, m, m + n), np.clip(start + L, m, m + n)
    return (amp >= _INSERT_MIN_AMP) & (amp <= 2.0) & (loud[hi - m] - loud[lo - m] == 0)


def _local_templates(x: np.ndarray, start: np.ndarray, L: int, use: np.ndarray,
                     q: float = 0.5, *,
                     blocks: bool = False) -> np.ndarray | tuple[np.ndarray, np.ndarray] | None:
    """Local template of every beat: the epochs ``x[:, s:s + L]`` of *x* (c, N) at the
    window starts *start* (nb,), shape (c, nb, L). Only the starts of the beats
    marked *use* need to be valid; their epochs are gathered straight into the
    blocks.

    Only the beats marked *use* enter: the median (or the quantile *q*) of each
    block of :data:`_BLOCK_BEATS` of them (robust to the odd twitch), averaged
    over the block and its two neighbours; every beat gets the template of the
    block its position falls in. None when fewer than 3 beats are usable.

    With *blocks*, the templates are returned once per block, (c, nblk, L), with
    the block of every beat, (nb,): ``tmpl[:, blk]`` is the per-beat form.
    """
    ui = np.flatnonzero(use)
    nu = ui.size
    if nu < 3:
        return None
    c, nb = x.shape[0], start.size
    nblk = -(-nu // _BLOCK_BEATS)
    if nblk <= 3:
        med = np.quantile(_windows(x, start[ui], L), q, axis=1)[:, None, :]   # (c, 1, L)
        if blocks:
            return med, np.zeros(nb, dtype=np.intp)
        return np.broadcast_to(med, (c, nb, L))
    # pad the last block with the beats just before it, so every block holds _BLOCK_BEATS
    src = np.minimum(np.arange(nblk * _BLOCK_BEATS), nu - 1)
    src[(nblk - 1) * _BLOCK_BEATS:] = np.arange(nu - _BLOCK_BEATS, nu)
    g = _windows(x, start[ui[src]], L).reshape(c, nblk, _BLOCK_BEATS, L)
    # order statistics by sorting the beats of a block at each sample: numpy's vectorised
    # sort of short contiguous rows is several times faster than its median/partition
    g = np.ascontiguousarray(np.swapaxes(g, -1, -2))                  # (c, nblk, L, B)
    g.sort(axis=-1)
    r = q * (_BLOCK_BEATS - 1)
    i0 = int(np.floor(r))
    bm = g[..., i0] if i0 + 1 >= _BLOCK_BEATS else (
        g[..., i0] * (i0 + 1 - r) + g[..., i0 + 1] * (r - i0))     # (c, nblk, L)
    cs = np.concatenate([np.zeros((c, 1, L), bm.dtype), np.cumsum(bm, axis=1)], axis=1)
    lo = np.maximum(np.arange(nblk) - 1, 0)
    hi = np.minimum(np.arange(nblk) + 2, nblk)
    sm = (cs[:, hi] - cs[:, lo]) / (hi - lo)[:, None].astype(bm.dtype)  # 3-block mean
    blk = np.minimum(np.searchsorted(ui, np.arange(nb)) // _BLOCK_BEATS, nblk - 1)
    return (sm, blk) if blocks else sm[:, blk]                        # (c, nb, L)


def _best_lags(pad: np.ndarray, start: np.ndarray, tmpl: np.ndarray, smax: np.ndarray,
               lo: int, hi: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lag (samples, |lag| ≤ *smax* per beat) at which the template fits each beat epoch
    best, the least-squares amplitude and the normalised cross-correlation there.

    The lag maximising the normalised cross-correlation ⟨x, T⟩ / (‖x‖·‖T‖) over
    the samples inside the record (indices [lo, hi) of *pad*) is taken, i.e. the
    largest fraction of the epoch's energy explained by the template: unlike the
    raw cross-correlation, it does not favour lags that bring more of the
    template inside a window cut by the record's edge, nor lags whose window
    takes in a twitch next to the beat.
    """
    L = tmpl.shape[-1]
    s = int(smax.max())
    ext = _windows(pad, start - s, L + 2 * s)                         # (c, nb, L + 2s)
    if s <= 2:                                                       # a few lags: a short loop
        xc = np.empty((start.size, 2 * s + 1), dtype=np.float64)
        for i in range(2 * s + 1):
            xc[:, i] = np.einsum("ijk,ijk->j", ext[:, :, i:i + L], tmpl)
    else:
        win = np.lib.stride_tricks.sliding_window_view(ext, L, axis=2)   # (c, nb, 2s + 1, L)
        xc = np.einsum("ijsk,ijk->js", win, tmpl)
    q = _dot_axes(tmpl, tmpl)                          # (nb, L)
    tt = np.broadcast_to(q.sum(axis=1, dtype=float)[:, None], xc.shape).copy()
    cut = np.flatnonzero((start - s < lo) | (start + s + L - 1 >= hi))
    if cut.size:
        pos = (start[cut] - s)[:, None] + np.arange(L + 2 * s)
        inside = ((pos >= lo) & (pos < hi)).astype(q.dtype)
        tt[cut] = np.einsum("jsk,jk->js", np.lib.stride_tricks.sliding_window_view(
            inside, L, axis=1), q[cut])
    tt = np.maximum(tt, 1e-30)
    e2 = _dot_axes(ext, ext)                           # (nb, L + 2s)
    c2 = np.concatenate([np.zeros((e2.shape[0], 1), e2.dtype), np.cumsum(e2, axis=1)], axis=1)
    xx = np.maximum(c2[:, L:] - c2[:, :-L], 1e-30, dtype=float)     # (nb, 2s + 1)
    lags = np.arange(-s, s + 1)
    gain = np.where((np.abs(lags)[None, :] <= smax[:, None]) & (xc > 0),
                    xc / np.sqrt(tt * xx), -1.0)
    # the smallest lag among equals: search the lags in order of |lag|
    order = np.argsort(np.abs(lags), kind="stable")
    k = order[np.argmax(gain[:, order], axis=1)]
    j = np.arange(xc.shape[0])
    return lags[k], np.where(gain[j, k] >= 0, xc[j, k] / tt[j, k], 0.0), gain[j, k]


def _not_doubled(start: np.ndarray, score: np.ndarray, min_gap: float) -> np.ndarray:
    """Keep-mask dropping the worse-fitting of two beats closer than *min_gap* samples."""
    order = np.argsort(start, kind="stable")
    keep = np.ones(start.size, dtype=bool)
    close = np.flatnonzero(np.diff(start[order]) < min_gap)
    a, b_ = order[close], order[close + 1]
    keep[np.where(score[a] >= score[b_], b_, a)] = False
    return keep


def _cardiac_level(e: np.ndarray, level: np.ndarray, grid: _BeatGrid,
                   usable: np.ndarray, os_scale: float) -> np.ndarray:
    """Noise level raised to the beat residue's level at each cardiac phase.

    Greatest-of CFAR (Hansen, 1973): next to the level of the surrounding time
    (:func:`_local_level`), the reference cells of a sample inside a beat window
    are the samples at the same cardiac phase of the neighbouring beats; the
    larger of the two levels is used (:func:`_phase_level`). What is left of the
    beats after subtraction recurs at every beat and so raises the threshold
    there, while a twitch, which falls at a random cardiac phase, hardly moves
    the median over the beats.
    """
    return _phase_level(e, level, grid.pos - grid.pre, grid.pre + grid.post, usable, os_scale)


def _phase_level(e: np.ndarray, level: np.ndarray, starts: np.ndarray, L: int,
                 usable: np.ndarray, os_scale: float) -> np.ndarray:
    """*level* raised, inside the windows [start, start + L) of a recurring
    interference, to the level of *e* at the same phase of the neighbouring
    windows; windows touching voluntary movement do not enter.

    The level is an order statistic (ordered-statistic CFAR, Rohling, 1983): the
    :data:`_OS_Q` quantile over the neighbouring windows (:func:`_local_templates`),
    times *os_scale*, which maps that quantile of the noise-only energy
    distribution onto its median (the reference of :func:`_local_level`). With
    noise alone both levels agree; residue that varies from beat to beat (a
    template that fits some beats less well) raises the upper quantile and so
    the threshold, while twitches, in fewer than a quarter of the windows at any
    phase, do not.
    """
    n = e.size
    if n < L:
        return level
    inside = (starts >= 0) & (starts + L <= n)
    st = np.clip(starts, 0, n - L)
    moved = np.r_[0, np.cumsum(~usable)]            # voluntary samples before each index
    use = inside & (moved[st + L] - moved[st] == 0)
    if use.sum() < 2 * _BLOCK_BEATS:
        return level
    res_lvl = _local_templates(e[None], st, L, use, _OS_Q)[0] * os_scale
    out = level.copy()
    ar = np.arange(L)
    # neighbouring windows may overlap (fast heart rates): alternate ones never do
    for par in range(2):
        s_p, r_p, in_p = starts[par::2], res_lvl[par::2], inside[par::2]
        ii = (s_p[in_p][:, None] + ar).ravel()
        out[ii] = np.maximum(out[ii], r_p[in_p].ravel())
        if not in_p.all():                      # windows cut by the record's edges
            idx = s_p[~in_p][:, None] + ar
            ok = (idx >= 0) & (idx < n)
            out[idx[ok]] = np.maximum(out[idx[ok]], r_p[~in_p][ok])
    return out


def _remove_music(bp: np.ndarray, fs: float, period0: float,
                  usable: np.ndarray) -> tuple[np.ndarray, _BeatGrid | None]:
    """Subtract the music's beat (kick drums) like the heartbeats.

    A kick drum on every beat of the music is a waveform recurring at a fixed
    period, like a heartbeat: its period is found in the autocorrelation of the
    signal's energy (:func:`_music_period`), the beats are placed at the phase
    where the energy folded on that period peaks (epoch folding, Leahy et al.,
    1983), and :func:`_subtract_beats` removes them (local template, a fitted
    amplitude per beat, robust to a twitch on a beat). Returns *bp* unchanged and
    None when the energy shows no such period.
    """
    w = max(2, int(round(_AVG_S * fs)))
    x = np.convolve(np.einsum("ij,ij->j", bp, bp), np.ones(w) / w, mode="same")
    med = float(np.median(x[usable])) if usable.any() else 0.0
    if med <= 0:
        return bp, None
    x = np.where(usable, x / med - 1.0, 0.0)
    per = _music_period(x, period0)
    if per is None:
        return bp, None
    nper = int(x.size // per)
    if nper < 10:
        return bp, None
    ph = np.mod(np.arange(int(nper * per)), per).astype(np.int64)
    fold = np.bincount(ph, weights=x[:ph.size], minlength=int(np.ceil(per)))
    beats = np.rint(np.argmax(fold) + per * np.arange(-1, nper + 1)).astype(np.int64)
    beats = beats[(beats >= 0) & (beats < x.size)]
    return _subtract_beats(bp, fs, beats, usable)


def _music_period(x: np.ndarray, period0: float) -> float | None:
    """The period (samples) of the music's beat in *x* (energy above the noise level,
    0 outside the usable time), from its autocorrelation; None when it shows none.

    The vibration stage's tempo may be off by a few per cent or by an octave, so
    the autocorrelation is searched at 0.5, 1 and 2 times *period0*, ±8 %; the
    shortest lag whose peak reaches :data:`_MUSIC_AC_MIN` is the beat (a kick on
    every beat also correlates at two beats). It is then refined on the peaks at
    4, 16, 64 … times it (within a third of the record), where a sample's error
    is divided by the multiple (parabolic interpolation of each peak).
    """
    n = x.size
    nfft = sp_fft.next_fast_len(2 * n, real=True)
    f = sp_fft.rfft(x, nfft)
    ac = sp_fft.irfft(f.real ** 2 + f.imag ** 2, nfft)[:n]
    if ac[0] <= 0:
        return None
    ac = ac / ac[0]

    def peak(lo: float, hi: float) -> tuple[float, float]:
        i0, i1 = max(2, int(np.floor(lo))), min(n - 2, int(np.ceil(hi)))
        if i1 <= i0:
            return float("nan"), -1.0
        k = i0 + int(np.argmax(ac[i0:i1 + 1]))
        a, b, c = ac[k - 1], ac[k], ac[k + 1]
        den = a - 2 * b + c
        return k + (0.5 * (a - c) / den if den < 0 else 0.0), float(b)

    for mult in (0.5, 1.0, 2.0):
        p0 = period0 * mult
        lag, h = peak(0.92 * p0, 1.08 * p0)
        if h >= _MUSIC_AC_MIN and lag >= 2.0:
            # refine on ever higher multiples: the k-th peak lies within k times the
            # current uncertainty (half a sample to start with) of k times the estimate
            err, k = 0.5, 1
            while 4 * k * lag < n / 3:
                k *= 4
                lag_k, _ = peak(k * lag - k * err - 1, k * lag + k * err + 1)
                if not np.isfinite(lag_k):
                    break
                lag, err = lag_k / k, 0.5 / k
            return float(lag)
    return None


def _fit_beats(prod: np.ndarray, w: np.ndarray,
               prev: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Weighted least-squares amplitude and time shift (samples) of each beat.

    Model ``a·(T − δ·T′)`` fitted as ``a·T + b·T′`` with per-sample weights *w*
    (nb, L); ``δ = −b/a``. *prod* holds the per-sample products summed over the
    axes, (T·T, T·T′, T′·T′, S·T, S·T′), stacked (5, nb, L). The amplitude is clipped to
    [0.3, 2] and the shift to ±:data:`_SHIFT_MAX` samples (beat instants are known
    to the nearest sample); beats without enough weight keep *prev*.
    """
    tt, td, dd, st, sd = np.einsum("jk,pjk->pj", w, prod).astype(float)
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
    # the smallest count whose binomial tail (Bonferroni over the n scans) is significant
    sig = np.flatnonzero(stats.binom.sf(np.arange(n + 1) - 2, n - 1, 2 * _PHASE_HALF) * n
                         < P_BEAT_LOCKED)
    c_min = max(3, int(sig[0])) if sig.size else n + 2
    t_sorted = bool(np.all(np.diff(t) >= 0))
    for i in range(n):
        di = dist[i] if dist is not None else np.abs(phase - phase[i])
        near = np.minimum(di, 1.0 - di) <= _PHASE_HALF
        tn = t[near] if t_sorted else np.sort(t[near])
        # a regular motor-unit train near the heart rate drifts slowly through the
        # phases: its consecutive events count once (episodes > _LOCK_GAP_BEATS apart)
        count = 1 + int(np.count_nonzero(np.diff(tn) > gap))
        if count >= c_min:
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


def _analytic_energy(x: np.ndarray) -> np.ndarray:
    """Squared magnitude of the analytic signal, summed over the rows of *x*.

    |x + i·H{x}|² = x² + H{x}², with the Hilbert transform H{x} from one real FFT
    and its inverse (−i times the positive frequencies, DC and Nyquist zeroed):
    the same as ``abs(scipy.signal.hilbert(x)) ** 2`` at half its cost.
    """
    n = x.shape[1]
    nfft = sp_fft.next_fast_len(n, real=True)
    spec = sp_fft.rfft(x, nfft, axis=1)
    spec[:, 0] = 0.0
    if nfft % 2 == 0:
        spec[:, -1] = 0.0
    h = sp_fft.irfft(spec * -1j, nfft, axis=1)[:, :n]
    return np.einsum("ij,ij->j", x, x) + np.einsum("ij,ij->j", h, h)


def _bandpass_held(x: np.ndarray, fs: float, band: tuple[float, float]) -> np.ndarray:
    """The band-pass of :func:`~.preprocess.bandpass` with the record's ends held.

    A zero-phase filter pads the record by reflecting it about its end point
    (``sosfiltfilt``'s odd extension), which mirrors a heartbeat cut by the end
    into a second, inverted one that no beat template fits. Here the record is
    extended by :data:`_HOLD_S` of its median level near each end instead (the
    signal is gravity-free: the movement simply stops), so that a beat cut by the
    end stays the part of a beat that it is.
    """
    k = int(round(_HOLD_S * fs))
    if x.shape[1] < 2 * k:
        return bandpass(x, fs, *band)
    head = np.median(x[:, :k], axis=1, keepdims=True)
    tail = np.median(x[:, -k:], axis=1, keepdims=True)
    xp = np.concatenate([np.repeat(head, k, axis=1), x, np.repeat(tail, k, axis=1)],
                        axis=1, dtype=np.float32)
    # single precision (the beat template work is float32 already): the same 2nd-order
    # Butterworth sections and odd-extension filtfilt as bandpass, at two thirds of its cost
    return signal.sosfiltfilt(_band_sos(fs, band), xp, axis=-1)[:, k:-k]


@functools.lru_cache(maxsize=16)
def _band_sos(fs: float, band: tuple[float, float]) -> np.ndarray:
    """Float32 sections of :func:`~.preprocess.bandpass`'s Butterworth band-pass."""
    return signal.butter(2, band, btype="bandpass", fs=fs, output="sos").astype(np.float32)


def _guard(voluntary: np.ndarray, fs: float) -> np.ndarray:
    """The voluntary mask widened by 0.5 s before and :data:`AFTER_GUARD_S` after."""
    v = voluntary.astype(np.int8)
    n = v.size
    c = np.r_[0, np.cumsum(v)]
    pre, post = int(0.5 * fs), int(AFTER_GUARD_S * fs)
    # any voluntary sample in [i - post, i + pre]: c[min(i + pre + 1, n)] − c[max(i − post, 0)]
    hi = np.full(n, c[n])
    k = max(n - pre, 0)
    hi[:k] = c[pre + 1:pre + 1 + k]
    lo = np.zeros(n, dtype=c.dtype)
    k = max(n - post, 0)
    lo[n - k:] = c[:k]
    return (hi - lo) > 0


def _dof(fs: float, band: tuple[float, float], w: int) -> float:
    """Degrees of freedom of the chi-square law of the noise energy averaged over *w*
    samples: 2·B·T per axis for the analytic signal, three axes."""
    return max(6.0, 6.0 * (band[1] - band[0]) * w / fs)


def _os_scale(fs: float, band: tuple[float, float]) -> float:
    """Median over the :data:`_OS_Q` quantile of the noise-only averaged energy."""
    w = max(2, int(round(_AVG_S * fs)))
    dof = _dof(fs, band, w)
    return float(stats.chi2.median(dof) / stats.chi2.ppf(_OS_Q, dof))


def _threshold_factor(fs: float, band: tuple[float, float]) -> tuple[float, int]:
    w = max(2, int(round(_AVG_S * fs)))
    dof = _dof(fs, band, w)
    return float(stats.chi2.isf(P_FALSE_ALARM, dof) / stats.chi2.median(dof)), w


def _local_level(e: np.ndarray, fs: float, usable: np.ndarray) -> np.ndarray:
    """Median energy in 10-s windows (2.5-s blocks, running median of 4), per sample.

    The block medians are taken over every other sample: *e* is averaged over
    :data:`_AVG_S` (several samples), so neighbouring samples carry nearly the
    same information and the median's precision is kept at half the cost.
    """
    blk = max(1, int(round(_LEVEL_S / 4 * fs)))
    n = e.size
    nb = int(np.ceil(n / blk))
    pad = nb * blk - n
    step = 2 if blk >= 8 else 1
    ee = np.r_[e, np.full(pad, np.nan)].reshape(nb, blk)[:, ::step]
    uu = np.r_[usable, np.zeros(pad, dtype=bool)].reshape(nb, blk)[:, ::step] & np.isfinite(ee)
    # blocks without a gap: the plain median (nanmedian of short rows goes through masked
    # arrays, several times slower); the same order statistics. All-NaN (voluntary) blocks
    # are left out and marked (no warning is raised: warnings.catch_warnings is not
    # thread-safe under the threads scheduler).
    full = uu.all(axis=1)
    empty = ~uu.any(axis=1)
    gap = ~full & ~empty
    med = np.full(nb, np.nan)
    med[full] = np.median(ee[full], axis=1)
    if gap.any():
        med[gap] = np.nanmedian(np.where(uu[gap], ee[gap], np.nan), axis=1)
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
    bp = _bandpass_held(x, fs, band)
    bidx = grid = None
    if beats_s is not None and len(beats_s):
        bidx = np.round((np.asarray(beats_s) - prepared.t0) * fs).astype(int)
        bidx = bidx[(bidx >= 0) & (bidx < bp.shape[1])]
        bp, grid = _subtract_beats(bp, fs, bidx, usable)
    mgrid = None
    if music_bpm:
        # the music's kick drums recur at its beat: removed like the heartbeats
        bp, mgrid = _remove_music(bp, fs, 60.0 / music_bpm * fs, usable)
    n = bp.shape[1]
    # the envelope in single precision (its FFTs take half the time; the energy's
    # relative error, ~1e-7, is far below the noise level's own scatter)
    env = _analytic_energy(bp.astype(np.float32, copy=False))
    factor, w = _threshold_factor(fs, band)
    e = np.convolve(env, np.ones(w) / w, mode="same")
    # keep transients out of the noise level and away from voluntary movement: 0.5 s
    # before it and the first AFTER_GUARD_S after it, where tissue is still settling
    level = _local_level(e, fs, usable)
    if np.all(np.isnan(level)):
        return none
    os_scale = _os_scale(fs, band)
    lvl = level if grid is None else _cardiac_level(e, level, grid, usable, os_scale)
    if mgrid is not None:
        lvl = _cardiac_level(e, lvl, mgrid, usable, os_scale)
    thr = factor * lvl
    r = np.where(usable, e / np.maximum(thr, 1e-300), 0.0)
    pk, prop = signal.find_peaks(r, height=1.0, distance=max(1, int(_MIN_SEP_S * fs)),
                                 prominence=0.0)
    keep = prop["prominences"] >= 0.5 * prop["peak_heights"]
    pk = pk[keep]
    if grid is not None and grid.pos.size >= 10 and pk.size >= 3:
        pk = pk[~_beat_locked(pk, grid.pos)]
    if mgrid is not None and pk.size >= 3:
        # what the kick drums leave recurs at the music's phase, like beat residue
        pk = pk[~_beat_locked(pk, mgrid.pos)]
    if music_bpm and pk.size >= 2:
        pk = pk[~_music_locked(pk, 60.0 / music_bpm * fs)]
    half = max(1, int(round(0.05 * fs)))
    if pk.size:
        idx = np.clip(pk[:, None] + np.arange(-half, half + 1)[None, :], 0, n - 1)
        seg = bp[:, idx].astype(float)
        mag = np.sqrt(np.einsum("ijk,ijk->jk", seg, seg))
        peak = mag.max(axis=1)
        lo = int(0.1 * fs)
        hi = int(0.3 * fs)
        idx2 = np.clip(pk[:, None] + np.arange(-lo, hi)[None, :], 0, n - 1)
        seg = bp[:, idx2].astype(float)
        en = np.einsum("ijk,ijk->j", seg, seg) - level[pk] * (lo + hi)
        en = np.maximum(en, 0.0)
    else:
        peak = en = np.zeros(0)
    # medians over every 4th usable sample (the levels are piecewise constant over 2.5 s;
    # all usable samples when too few of them fall on the 4th ones)
    step = 4 if np.count_nonzero(usable[::4]) >= 100 else 1
    u4 = usable[::step]
    med_thr = float(np.nanmedian(thr[::step][u4])) if u4.any() else float("nan")
    med_lvl = float(np.nanmedian(level[::step][u4])) if u4.any() else float("nan")
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
    events = Annotations.join(f.events for f, _ in parts)
    return Finding("twitch", present, float(np.clip(conf, 0, 1)),
                   float(sum(f.energy for f, _ in parts)), summary, events=events,
                   warnings=tuple(dict.fromkeys(w for f, _ in parts for w in f.warnings)))
