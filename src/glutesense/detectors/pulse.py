"""Pulse: heartbeats and heart rate from a seat / pocket ballistocardiogram (BCG).

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Method
------
1. Band-pass 1–10 Hz (the BCG band, Inan et al., 2015) the three gravity-free
   axes; notch any narrowband vibration lines passed in ``lines_hz``. When fewer
   than 80 % of the windows give a rhythm there, 5–30 Hz (the sternal SCG band)
   is tried too and the band with more accepted windows is kept.
2. Orientation-free energy envelope: the sum of squares over the axes, low-passed
   at 4 Hz, which also removes the ripple of vibration tones above 2 Hz.
3. In 10-s windows (5-s hop) away from voluntary movement: the normalised
   autocorrelation of the envelope (decimated to ≈ 25 Hz); its highest peak at a
   lag of 0.33–1.5 s (40–180 bpm), corrected for the sub-harmonic (half-lag)
   error and refined by parabolic interpolation, gives the beat period. The peak height is the
   window's signal-quality index (SQI), as in autocorrelation-based BCG and
   seismocardiogram heart-rate estimation (Brüser et al., 2011; Inan et al.,
   2015).
4. Windows with SQI ≥ :data:`SQI_MIN` whose period agrees (±10 %) with the
   median of the quality windows within ±:data:`TRACK_S` are accepted (the rate
   may fall by 25–40 bpm in the first minute after exercise, so agreement is
   local, not with the whole recording's median); the pulse is present when at
   least half of the usable windows are (:data:`VEHICLE_MIN_FRACTION` under
   vehicle vibration). Lags at a music beat found by the vibration stage and its
   multiples are no candidates (bass bursts imitate a heartbeat).
5. Beats (all spacing rules use the local period, interpolated between the
   accepted windows): the median waveform around envelope peaks (≥ 0.6 periods apart) is
   the beat template; beats are the peaks, ≥ 0.6 periods apart, of the
   normalised cross-correlation with it above :data:`NCC_MIN` (template
   matching; a twitch between beats has the wrong shape and loses); beats missed
   in long gaps are searched for along the rhythm. Heart rate = 60 / mean of the
   plausible beat-to-beat intervals (0.7–1.4 periods).

When the rate cannot be measured, ``present`` is False and ``heart_rate_bpm``
is None, with a warning: the detector never guesses.

References
----------
Cole CR, Blackstone EH, Pashkow FJ, Snader CE, Lauer MS (1999). Heart-rate recovery
immediately after exercise as a predictor of mortality. N Engl J Med 341:1351–1357.
Imai K, Sato H, Hori M, et al. (1994). Vagally mediated heart rate recovery after
exercise is accelerated in athletes but blunted in patients with chronic heart
failure. J Am Coll Cardiol 24:1529–1535.
Lipponen JA, Tarvainen MP (2019). A robust algorithm for heart rate variability
time series artefact correction using novel beat classification. J Med Eng
Technol 43:173–181.
Brüser C, Stadlthanner K, de Waele S, Leonhardt S (2011). Adaptive beat-to-beat
heart rate estimation in ballistocardiograms. IEEE Trans Inf Technol Biomed
15:778–786.
Inan OT, Migeotte P-F, Park K-S, et al. (2015). Ballistocardiography and
seismocardiography: a review of recent advances. IEEE J Biomed Health Inform
19:1414–1427.
"""

from __future__ import annotations

import bisect

import numpy as np
from scipy import signal

from ..recording import Annotations
from ._base import Finding, Prepared
from .preprocess import bandpass, butter_sos, notch_lines

__all__ = ["detect", "beat_template", "SQI_MIN", "NCC_MIN", "BANDS_HZ", "merge"]

#: Minimum autocorrelation peak height for a window's heart rate to count.
SQI_MIN = 0.3
#: Bands tried in turn (Hz): the seat/pocket BCG band, then the sternal SCG band, whose
#: energy lies higher (Inan et al., 2015); the band with the steadier rhythm is used.
BANDS_HZ = ((1.0, 10.0), (5.0, 30.0))
#: Most beats averaged (median) into a beat template.
TEMPLATE_BEATS = 150
#: Minimum similarity (cosine) to the median beat waveform for a beat to count.
NCC_MIN = 0.4
#: Largest relative difference between a window's beat period and its neighbours' median.
PERIOD_TOL = 0.1
#: Neighbourhood (± s between window starts) over which the beat period must agree.
TRACK_S = 15.0
#: Fraction of the usable windows that must agree for the pulse to be present (and under
#: vehicle vibration).
MIN_FRACTION = 0.5
VEHICLE_MIN_FRACTION = 0.8
#: Multiples of a music beat period excluded from the heart's periods, and the tolerance.
MUSIC_MULTIPLES = (0.5, 1.0, 2.0, 3.0)
EXCLUDE_TOL = 0.05
_WIN_S, _HOP_S = 10.0, 5.0
_LAG_MIN_S, _LAG_MAX_S = 60.0 / 180.0, 60.0 / 40.0


def _envelope(bp: np.ndarray, fs: float) -> np.ndarray:
    e = np.einsum("ij,ij->j", bp, bp)
    if e.size > 30:
        sos = butter_sos(2, min(4.0, 0.4 * fs), "low", fs)
        e = signal.sosfiltfilt(sos, e)
    return e


def _window_periods(env: np.ndarray, fs: float, usable: np.ndarray,
                    exclude_s: tuple[float, ...] = ()) -> tuple[np.ndarray, np.ndarray,
                                                                np.ndarray]:
    """(window start indices, period in s, SQI) for every usable 10-s window.

    Lags within ±:data:`EXCLUDE_TOL` of the periods in *exclude_s* (a music beat and
    its multiples) are not candidates; a window whose period still lands there has
    SQI 0.
    """
    w = int(round(_WIN_S * fs))
    hop = int(round(_HOP_S * fs))
    n = env.size
    if n < w:
        w = n
    starts = np.arange(0, n - w + 1, hop) if n >= w else np.zeros(0, dtype=int)
    if starts.size == 0:
        return starts, np.zeros(0), np.zeros(0)
    cu = np.r_[0, np.cumsum(usable)]
    ok = (cu[starts + w] - cu[starts]) > 0.9 * w
    starts = starts[ok]
    if starts.size == 0:
        return starts, np.zeros(0), np.zeros(0)
    seg = np.lib.stride_tricks.sliding_window_view(env, w)[starts]
    # clip at the 95th percentile so that a few large transients cannot dominate
    seg = np.minimum(seg, np.percentile(seg, 95, axis=1, keepdims=True))
    seg = seg - seg.mean(axis=1, keepdims=True)
    nfft = int(2 ** np.ceil(np.log2(2 * w)))
    spec = np.fft.rfft(seg, nfft, axis=1)
    ac = np.fft.irfft(np.abs(spec) ** 2, nfft, axis=1)[:, :w]
    ac /= np.maximum(ac[:, :1], 1e-300)
    lo = max(1, int(np.floor(_LAG_MIN_S * fs)))
    hi = min(w - 2, int(np.ceil(_LAG_MAX_S * fs)))
    if hi <= lo + 2:
        return starts, np.full(starts.size, np.nan), np.zeros(starts.size)
    rows = np.arange(starts.size)
    # local maxima only (so the lag-0 flank cannot win), then the highest one
    core = ac[:, lo:hi + 1]
    is_max = np.zeros_like(core, dtype=bool)
    is_max[:, 1:-1] = (core[:, 1:-1] >= core[:, :-2]) & (core[:, 1:-1] > core[:, 2:])
    cand = np.where(is_max, core, -np.inf)
    lag_s = np.arange(lo, hi + 1) / fs
    banned = np.zeros(lag_s.size, dtype=bool)
    for p_ex in exclude_s:
        banned |= np.abs(lag_s - p_ex) <= EXCLUDE_TOL * p_ex
    cand[:, banned] = -np.inf
    k = np.argmax(cand, axis=1) + lo
    sqi = ac[rows, k]
    # sub-harmonic check: a strong peak near half the lag means we locked on 2 periods
    half = np.round(k / 2).astype(int)
    tol = np.maximum(1, np.round(0.1 * half).astype(int))
    for r in rows:
        a, b = half[r] - tol[r], half[r] + tol[r] + 1
        if a >= lo and np.isfinite(sqi[r]):
            j = a + int(np.argmax(ac[r, a:b]))
            if 0 < j < w - 1 and ac[r, j] >= 0.6 * sqi[r] and ac[r, j] >= ac[r, j - 1] \
                    and ac[r, j] >= ac[r, j + 1]:
                k[r] = j
                sqi[r] = ac[r, j]
    km = np.clip(k, 1, w - 2)
    y0, y1, y2 = ac[rows, km - 1], ac[rows, km], ac[rows, km + 1]
    den = y0 - 2 * y1 + y2
    delta = np.where(np.abs(den) > 1e-12, 0.5 * (y0 - y2) / np.where(den == 0, 1, den), 0.0)
    period = (km + np.clip(delta, -0.5, 0.5)) / fs
    sqi = np.where(np.isfinite(sqi), sqi, 0.0)
    for p_ex in exclude_s:
        sqi = np.where(np.abs(period - p_ex) <= EXCLUDE_TOL * p_ex, 0.0, sqi)
    return starts, period, sqi


def _local_median(period: np.ndarray, good: np.ndarray, starts: np.ndarray,
                  fs: float) -> np.ndarray:
    """Median period of the quality windows within ±:data:`TRACK_S` of each window.

    The heart rate is not stationary: after exercise it falls by 25–40 bpm in the
    first minute (fast phase of heart-rate recovery; Imai et al., 1994; Cole et
    al., 1999), ≈ 1 bpm/s at most. A window's period is therefore checked against
    its neighbours', not against the whole recording's.
    """
    c = starts / fs
    near = np.abs(c[:, None] - c[None, :]) <= TRACK_S
    near &= good[None, :]
    out = np.empty(period.size)
    for i in range(period.size):
        sel = period[near[i]]
        out[i] = np.median(sel) if sel.size else period[i]
    return out


def _period_track(starts: np.ndarray, period: np.ndarray, good: np.ndarray, n: int,
                  fs: float) -> np.ndarray:
    """Beat period (s) at every sample: the accepted windows' periods at their centres,
    linearly interpolated (held constant beyond the first and last)."""
    w = int(round(_WIN_S * fs))
    centres = starts[good] + w / 2
    return np.interp(np.arange(n), centres, period[good])


def _rhythm(x: np.ndarray, fs: float, band: tuple[float, float], usable: np.ndarray,
            exclude_s: tuple[float, ...] = ()):
    """Band-pass, envelope and windowed beat periods in one band.

    Returns ``(bp, env, starts, period, sqi, accepted fraction, median SQI, accepted)``.
    """
    bp = bandpass(x, fs, *band)
    env = _envelope(bp, fs)
    # the envelope holds nothing above 4 Hz: decimate to ≈ 25 Hz for the autocorrelation
    q = max(1, int(fs // 25.0))
    starts, period, sqi = _window_periods(env[::q], fs / q, usable[::q], exclude_s)
    starts = starts * q
    good = sqi >= SQI_MIN
    if good.sum() >= 1:
        ref = _local_median(period, good, starts, fs)
        good &= np.abs(period - ref) <= PERIOD_TOL * ref
    frac = float(good.sum() / max(starts.size, 1))
    med_sqi = float(np.median(sqi[good])) if good.any() else 0.0
    return bp, env, starts, period, sqi, frac, med_sqi, good


def _spaced_peaks(x: np.ndarray, track: np.ndarray, height: float) -> np.ndarray:
    """Peaks of *x* above *height*, each at least 0.6 local beat periods (*track*, in
    samples) from any higher one: :func:`scipy.signal.find_peaks`' ``distance`` rule
    with a distance that follows the heart rate."""
    dmin = max(1, int(0.6 * float(np.min(track))))
    pk, prop = signal.find_peaks(x, height=height, distance=dmin)
    if pk.size < 2 or np.ptp(track) < 1.0:
        return pk
    order = np.argsort(-prop["peak_heights"], kind="stable")
    keep: list[int] = []
    for i in order:
        p = int(pk[i])
        d = 0.6 * track[p]
        j = bisect.bisect_left(keep, p)
        if (j < len(keep) and keep[j] - p < d) or (j > 0 and p - keep[j - 1] < d):
            continue
        keep.insert(j, p)
    return np.asarray(keep, dtype=int)


def _fill_gaps(pk: np.ndarray, ncc: np.ndarray, track: np.ndarray) -> np.ndarray:
    """Insert beats missed in gaps longer than 1.5 periods (rhythm-guided search).

    In each such gap the best template match 0.7–1.3 periods (the local period,
    *track*, in samples) after the last beat is taken when its similarity reaches
    ``NCC_MIN / 2``, and the search repeats from it (the "fix peaks" idea of beat
    correction, e.g. Lipponen & Tarvainen, 2019, applied with the template
    similarity).
    """
    if pk.size < 2:
        return pk
    added = []
    for a, b in zip(pk[:-1], pk[1:]):
        last = a
        period = float(track[a])
        while b - last > 1.5 * period:
            lo, hi = int(last + 0.7 * period), int(min(last + 1.3 * period, b - 0.5 * period))
            if hi <= lo:
                break
            j = lo + int(np.argmax(ncc[lo:hi]))
            if ncc[j] < 0.5 * NCC_MIN:
                last = int(last + period)
                continue
            added.append(j)
            last = j
            period = float(track[j])
    return np.sort(np.r_[pk, np.asarray(added, dtype=int)]) if added else pk


def beat_template(bp: np.ndarray, fs: float, beats_idx: np.ndarray,
                  period_s: float) -> tuple[np.ndarray, int]:
    """Median beat waveform of the band-passed 3-axis signal around *beats_idx*.

    Returns the template, shape (3, L), and the index of the beat instant in it.
    """
    pre = int(round(0.3 * period_s * fs))
    post = int(round(0.6 * period_s * fs))
    n = bp.shape[1]
    ok = beats_idx[(beats_idx - pre >= 0) & (beats_idx + post < n)]
    if ok.size == 0:
        return np.zeros((3, pre + post)), pre
    # at most TEMPLATE_BEATS beats, evenly spread: the median converges long before
    sel = ok[np.linspace(0, ok.size - 1, min(ok.size, TEMPLATE_BEATS)).astype(int)]
    idx = sel[:, None] + np.arange(-pre, post)[None, :]
    segs = bp[:, idx]                                    # (3, n_beats, L)
    return np.median(segs, axis=1), pre


def _ncc(bp: np.ndarray, tmpl: np.ndarray) -> np.ndarray:
    """Normalised cross-correlation (cosine similarity) of the 3-axis signal with *tmpl*.

    Entry i compares ``bp[:, i:i + L]`` with the template (``L = tmpl.shape[1]``).
    """
    L = tmpl.shape[1]
    num = sum(signal.fftconvolve(bp[i], tmpl[i, ::-1], mode="valid") for i in range(3))
    c = np.r_[0.0, np.cumsum(np.einsum("ij,ij->j", bp, bp))]
    en = c[L:] - c[:-L]
    return num / np.maximum(np.sqrt(np.maximum(en, 0.0)) * np.linalg.norm(tmpl), 1e-300)


def detect(prepared: Prepared, *, lines_hz: tuple[float, ...] = (),
           music_bpm: float | None = None, vehicle: bool = False) -> Finding:
    """Find heartbeats and the heart rate in a prepared recording.

    Parameters
    ----------
    prepared : Prepared
        Output of :func:`glutesense.detectors.preprocess.prepare`.
    lines_hz : tuple of float
        Narrowband vibration lines (Hz) to notch out first (from the vibration
        stage).
    music_bpm : float or None
        Tempo of music vibration found by the vibration stage: beat-periodic bass
        imitates a heartbeat, so periods at its beat and multiples
        (:data:`MUSIC_MULTIPLES`) are not taken for the heart's; a heart rate that
        coincides with the tempo is not measured.
    vehicle : bool
        Vehicle vibration was found: its broadband 1–20 Hz motion fills the BCG
        band and gives chance rhythms in some windows, so the rhythm must hold in
        :data:`VEHICLE_MIN_FRACTION` of the windows (not half) before a heart rate
        is reported; otherwise it is "not measured" rather than wrong.

    Returns
    -------
    Finding
        ``summary``: ``heart_rate_bpm`` (None when not measurable), ``beats_s``,
        ``sqi`` (median autocorrelation peak of the accepted windows) and
        ``hr_windows`` (count of accepted / usable windows); ``events``: one
        ``beat`` per heartbeat.
    """
    fs, acc = prepared.fs, prepared.acc
    empty = {"heart_rate_bpm": None, "beats_s": [], "sqi": 0.0}
    if fs < 12.0 or acc.shape[1] < int(_WIN_S * fs) or not np.any(acc):
        why = ("sampling too slow for the pulse (needs ≥ 12 Hz)" if fs < 12.0 else
               "recording shorter than 10 s or without acceleration: heart rate not measured")
        return Finding("pulse", False, 0.0, 0.0, empty, warnings=(why,))
    x = notch_lines(acc, fs, lines_hz) if lines_hz else acc
    usable = ~prepared.voluntary
    exclude = tuple(k * 60.0 / music_bpm for k in MUSIC_MULTIPLES) if music_bpm else ()
    best = None
    for band in BANDS_HZ:
        if band[0] >= 0.45 * fs:
            continue
        cand = _rhythm(x, fs, band, usable, exclude)
        if best is None or (cand[5], cand[6]) > (best[5], best[6]):
            best = cand
        if best[5] >= 0.8:
            break
    bp, env, starts, period, sqi, frac, _, good = best
    n_usable = starts.size
    if n_usable == 0 or frac < (VEHICLE_MIN_FRACTION if vehicle else MIN_FRACTION):
        conf = float(np.clip(1.0 - frac, 0.0, 1.0)) if n_usable else 0.0
        return Finding("pulse", False, conf, 0.0, {**empty, "sqi": float(np.median(sqi))
                                                    if sqi.size else 0.0},
                       warnings=("heart rate could not be measured: no steady beat-to-beat "
                                 "rhythm was found",))
    t_med = float(np.median(period[good]))
    w = int(round(_WIN_S * fs))
    cover = np.zeros(env.size, dtype=bool)
    for s in starts[good]:
        cover[s:s + w] = True
    cover &= usable
    track = _period_track(starts, period, good, env.size, fs) * fs      # samples per beat
    pk0 = _spaced_peaks(np.where(cover, env, 0.0), track, np.median(env[cover]))
    tmpl, pre = beat_template(bp, fs, pk0, t_med)
    pk = np.zeros(0, dtype=int)
    if np.any(tmpl) and tmpl.shape[1] < bp.shape[1]:
        ncc = _ncc(bp, tmpl)
        ncc = np.where(cover[pre:pre + ncc.size], ncc, 0.0)
        pk = _spaced_peaks(ncc, track[pre:pre + ncc.size], NCC_MIN)
        pk = _fill_gaps(pk, ncc, track[pre:pre + ncc.size]) + pre
    ibi = np.diff(pk) / fs
    loc = track[(pk[:-1] + pk[1:]) // 2] / fs if pk.size > 1 else np.zeros(0)
    ok = (ibi > 0.7 * loc) & (ibi < 1.4 * loc)
    hr = 60.0 / float(ibi[ok].mean()) if ok.sum() >= 5 else 60.0 / t_med
    tmpl, _ = beat_template(bp, fs, pk, t_med)
    energy = float(pk.size * np.sum(tmpl ** 2))
    med_sqi = float(np.median(sqi[good]))
    conf = float(np.clip(frac * min(1.0, med_sqi / 0.6), 0.0, 1.0))
    beats = prepared.t0 + pk / fs
    events = Annotations(beats, 0.0, ["beat"], ["pulse"] * beats.size, ["detector:pulse"],
                         np.full(beats.size, hr))
    summary = {"heart_rate_bpm": round(hr, 2), "beats_s": [round(float(b), 3) for b in beats],
               "sqi": round(med_sqi, 3), "hr_windows": [int(good.sum()), int(n_usable)]}
    return Finding("pulse", True, conf, energy, summary, events=events)


def merge(parts: list[tuple[Finding, float]]) -> Finding:
    """Combine per-chunk findings (each with its core duration in s) into one.

    Heart rate: duration-weighted mean over the chunks where the pulse was found.
    """
    pres = [(f, d) for f, d in parts if f.present]
    if not pres:
        best = max(parts, key=lambda p: p[1])[0]
        return Finding("pulse", False, float(np.average([f.confidence for f, _ in parts],
                                                        weights=[max(d, 1e-9) for _, d in parts])),
                       0.0, {"heart_rate_bpm": None, "beats_s": [], "sqi": best.summary["sqi"]},
                       warnings=best.warnings)
    wts = np.array([max(d, 1e-9) for _, d in pres])
    hr = float(np.average([f.summary["heart_rate_bpm"] for f, _ in pres], weights=wts))
    beats = [b for f, _ in pres for b in f.summary["beats_s"]]
    events = Annotations()
    for f, _ in pres:
        events = events + f.events
    total = max(sum(d for _, d in parts), float(wts.sum()))
    conf = float(np.average([f.confidence for f, _ in pres], weights=wts))
    conf = max(conf * float(wts.sum() / total), 0.0)    # scaled by the time it was found in
    summary = {"heart_rate_bpm": round(hr, 2), "beats_s": beats,
               "sqi": round(float(np.average([f.summary["sqi"] for f, _ in pres], weights=wts)), 3)}
    return Finding("pulse", True, conf, float(sum(f.energy for f, _ in pres)), summary,
                   events=events,
                   warnings=tuple(dict.fromkeys(w for f, _ in parts for w in f.warnings)))
