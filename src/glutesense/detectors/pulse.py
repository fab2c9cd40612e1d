"""Pulse: heartbeats and heart rate from a seat / pocket ballistocardiogram (BCG).

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Method
------
1. Each band is worked at a reduced rate: the three gravity-free axes are
   anti-alias filtered (linear-phase FIR) and decimated to ≥ 4.5 × the band's
   upper edge (50 Hz for 1–10 Hz at 100 Hz), which keeps the second-order
   band-pass's skirt to 20 Hz where the BCG still carries energy. Band-pass
   1–10 Hz (the BCG band, Inan et al., 2015); notch any narrowband vibration
   lines passed in ``lines_hz`` where they lie after decimation. When fewer than
   80 % of the windows give a rhythm there, 5–30 Hz (the sternal SCG band) is
   tried too and the band with more accepted windows is kept. (Computation: the
   anti-alias FIR, the decimation and the zero-phase forward–backward filter are
   one linear operation, applied by FFT overlap-save to the polyphase parts of the
   full-rate signal; the recursive filter itself runs only near the two ends. The
   result equals FIR + ``sosfiltfilt`` to ≈ 1e-13 of its peak, and the block spectra
   are reused for the template correlation of step 5.)
2. Orientation-free energy envelope: the sum of squares over the axes, low-passed
   at 4 Hz, which also removes the ripple of vibration tones above 2 Hz.
3. In 10-s windows (5-s hop, and a last one ending with the recording) away
   from voluntary movement: the normalised
   autocorrelation of the envelope (decimated to ≈ 25 Hz); its highest peak at a
   lag of 0.33–1.5 s (40–180 bpm), corrected for the sub-harmonic (half-lag)
   error and refined by parabolic interpolation, gives the beat period. The peak
   height is the window's signal-quality index (SQI), as in autocorrelation-based
   BCG and seismocardiogram heart-rate estimation (Brüser et al., 2011; Inan et
   al., 2015).
4. Windows with SQI ≥ :data:`SQI_MIN` whose period agrees (±10 %) with the
   median of the quality windows within ±:data:`TRACK_S` are accepted (the rate
   may fall by 25–40 bpm in the first minute after exercise, so agreement is
   local, not with the whole recording's median); the pulse is present when at
   least half of the usable windows are (:data:`VEHICLE_MIN_FRACTION` under
   vehicle vibration; when it fills only part of the record and the rhythm does
   not hold that well under it, its windows are set aside and the rest decide).
   Lags at a music beat found by the vibration stage and its multiples are no
   candidates (bass bursts imitate a heartbeat).
5. Beats (all spacing rules use the local period, interpolated between the
   accepted windows): the median waveform around envelope peaks (≥ 0.6 periods
   apart) is the beat template; beats are the peaks, ≥ 0.6 periods apart, of the
   normalised cross-correlation with it above :data:`NCC_MIN` (template
   matching; a twitch between beats has the wrong shape and loses); beats missed
   in long gaps are searched for along the rhythm. Every candidate peak is
   located and measured between the samples by band-limited (windowed-sinc)
   interpolation on a grid finer than the full rate before beats are chosen, so
   beat instants keep sub-millisecond precision although the work is decimated.
   Heart rate = 60 / mean of the plausible beat-to-beat intervals (0.7–1.4
   periods).

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

import functools
import typing

import numpy as np
from scipy import fft, signal

from ..recording import Annotations
from ._base import Finding, Prepared
from .preprocess import bandpass, butter_sos

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
#: Working rate at least this multiple of a band's upper edge (decimation below it): the
#: zero-phase second-order band-pass still passes −15 dB at twice its edge, and the BCG
#: carries energy up to ≈ 20 Hz (Inan et al., 2015), which matters when vibration fills
#: the band's core; the Nyquist frequency must lie above that skirt.
OVERSAMPLE = 4.5
#: The anti-alias filter passes up to this multiple of the band's upper edge.
SKIRT = 1.5
#: Its stop-band attenuation (dB), beyond the band-pass's own ≈ 40 dB at 40–50 Hz.
ALIAS_DB = 50.0
_SINC_HALF, _SINC_BETA = 6, 6.0
_XC_NFFT = 2048
_WIN_S, _HOP_S = 10.0, 5.0
_LAG_MIN_S, _LAG_MAX_S = 60.0 / 180.0, 60.0 / 40.0


@functools.lru_cache(maxsize=32)
def _decimator(fs: float, hi: float) -> tuple[int, np.ndarray | None]:
    """Decimation factor and anti-alias FIR for work in a band reaching *hi* Hz.

    The rate is reduced to the lowest ``fs / q`` (integer *q*) of at least
    :data:`OVERSAMPLE` × *hi*. The linear-phase low-pass (Kaiser window,
    ``kaiserord`` for :data:`ALIAS_DB` dB) passes up to ``SKIRT × hi`` and stops
    from ``fs/q − SKIRT × hi``, the lowest frequency that folds back onto what it
    passes; its half-length is a multiple of *q*, so decimated sample *i* lies
    exactly at full-rate sample ``i·q``.
    """
    q = max(1, int(fs // (OVERSAMPLE * hi)))
    if q == 1:
        return 1, None
    fs_d = fs / q
    keep = min(SKIRT * hi, 0.4 * fs_d)
    numtaps, beta = signal.kaiserord(ALIAS_DB, (fs_d - 2.0 * keep) / (0.5 * fs))
    half = -(-(numtaps // 2) // q) * q
    h = signal.firwin(2 * half + 1, 0.5 * fs_d, window=("kaiser", beta), fs=fs)
    h.flags.writeable = False
    return q, h


def _decimate(x: np.ndarray, q: int, h: np.ndarray | None) -> np.ndarray:
    """Anti-alias filter and keep every *q*-th sample (polyphase FIR, zero delay)."""
    if q == 1 or h is None:
        return x
    half = (h.size - 1) // 2
    y = signal.upfirdn(h, x, 1, q, axis=-1)
    m = -(-x.shape[-1] // q)
    return y[..., half // q: half // q + m]


#: Tail of a filter's impulse response (its share of the total |h|) beyond which the FFT
#: form of a zero-phase filter cuts it: the result then matches the recursive one to
#: ≈ 1e-13 of its peak.
_IR_TOL = 1e-13
#: Spectra held at once by :func:`_zero_phase` (bytes).
_FFT_GROUP_BYTES = 1 << 20


@functools.lru_cache(maxsize=32)
def _zero_phase_plan(sos_bytes: bytes, q: int, h_bytes: bytes):
    """Kernels for :func:`_zero_phase`: ``(K, D, dmin, V)`` or None when the filter rings
    too long (or is unstable) to be worth an FFT.

    The forward–backward pass of the recursive filter *sos* acts away from the ends as
    convolution with the autocorrelation *g* of its impulse response, cut at ±K where
    the response's tail falls below :data:`_IR_TOL`. Preceded by the anti-alias FIR *h*
    and decimation by *q*, the whole chain is one full-rate kernel evaluated at every
    *q*-th sample, split here into its *q* polyphase parts ``V[p]`` (applied to
    ``x[p::q]``) over offsets ``dmin .. dmin + D − 1``.
    """
    sos = np.frombuffer(sos_bytes).reshape(-1, 6).copy()
    h = np.frombuffer(h_bytes).copy() if h_bytes else None
    r = float(np.max(np.abs(signal.sos2zpk(sos)[1]), initial=0.0))
    if not r < 1.0:
        return None
    length = 64 + (int(np.ceil(np.log(1e-20) / np.log(r))) if r > 0 else 0)
    if length > 1 << 16:
        return None
    imp = np.zeros(length)
    imp[0] = 1.0
    ir = signal.sosfilt(sos, imp)
    tail = np.cumsum(np.abs(ir)[::-1])[::-1]
    k = int(np.argmax(tail <= _IR_TOL * tail[0]))
    if k == 0:
        return None
    ir = ir[:k + 1]
    g = signal.fftconvolve(ir, ir[::-1])                 # autocorrelation, lags −k .. k
    half = 0 if h is None else (h.size - 1) // 2
    if q > 1:
        up = np.zeros(q * (g.size - 1) + 1)
        up[::q] = g
        w = np.convolve(up, h)
    else:
        w = g
    # output i = Σ_t w[t] · x[q·i + o − t]; part b = t mod q reads phase p = (o − b) mod q
    o = q * k + half
    parts = []
    for b in range(q):
        p = (o - b) % q
        parts.append((p, (o - b - p) // q, w[b::q]))
    dmin = min(-c for _, c, _ in parts)
    D = max(wb.size - c for _, c, wb in parts) - dmin
    V = np.zeros((q, D))
    for p, c, wb in parts:
        V[p, -c - dmin:-c - dmin + wb.size] = wb
    V.flags.writeable = False
    return k, D, dmin, V


@functools.lru_cache(maxsize=32)
def _plan_spectrum(sos_bytes: bytes, q: int, h_bytes: bytes, nfft: int) -> np.ndarray:
    spec = fft.rfft(_zero_phase_plan(sos_bytes, q, h_bytes)[3], nfft, axis=-1)
    spec.flags.writeable = False
    return spec


class _Spectra(typing.NamedTuple):
    """Block spectra of a signal computed by :func:`_zero_phase` (overlap-save).

    ``groups`` holds arrays ``(rows, blocks, nfft // 2 + 1)``; circular sample
    ``D − 1 + j`` of block *b* is sample ``b · step + j`` of the signal (``0 ≤ j <
    step``), and the ``lmax − 1`` samples after it are valid too. The first and last
    ``edge`` samples of the signal are not those of the spectra (:func:`_zero_phase`
    replaces them).
    """

    nfft: int
    step: int
    D: int
    lmax: int
    edge: int
    groups: list


def _zero_phase(x: np.ndarray, q: int, h: np.ndarray | None, sos: np.ndarray,
                exact, lmax: int = 0):
    """``exact(_decimate(x, q, h))`` for a zero-phase recursive filter *exact* with
    design *sos*, the bulk computed by FFT; returns it and its :class:`_Spectra` (None
    when it was computed by *exact* alone).

    *exact* is the forward–backward filter (:func:`scipy.signal.sosfiltfilt` or
    :func:`~glutesense.detectors.preprocess.bandpass` with the design *sos*). Away
    from the ends its result is a convolution with a kernel that decays geometrically
    (:func:`_zero_phase_plan`); that convolution, together with the anti-alias FIR and
    the decimation, is done by FFT overlap-save on the *q* polyphase parts of *x*
    (the parts' spectra are summed, so one inverse transform per block serves them
    all). Within ``K`` samples of either end, where the edge extension and the initial
    states matter, *exact* itself is run on a short stretch of the decimated signal
    (``2K + 16`` samples: the far end of the stretch has faded by then). The two agree
    to ≈ 1e-13 of the peak; two recursive passes cost several times more. Blocks
    overlap by ``lmax − 1`` more samples than the kernel needs, so that the kept
    spectra also serve a correlation with up to *lmax* taps (:func:`_xcorr_kept`).
    """
    n = x.shape[-1]
    n_d = -(-n // q)
    key = (np.ascontiguousarray(sos, dtype=float).tobytes(), q,
           b"" if h is None else h.tobytes())
    plan = _zero_phase_plan(*key)
    if plan is None or n_d < 8 * (2 * plan[0] + 16):
        return exact(_decimate(x, q, h)), None
    k, D, dmin, _ = plan
    half = 0 if h is None else (h.size - 1) // 2
    nfft = 1 << max(10, int(np.ceil(np.log2(4 * (D + lmax)))))
    spec_v = _plan_spectrum(*key, nfft)
    step = nfft - D + 1 - max(lmax - 1, 0)
    nb = -(-n_d // step)
    first = dmin + D - 1                 # index of x[p::q][0] in the zero-padded phase
    rows = x.shape[0]
    phases = [x[:, p::q] for p in range(q)]
    # a few blocks at a time: the spectra stay small and their memory is reused
    group = max(1, _FFT_GROUP_BYTES // (16 * rows * nfft))
    y = np.empty((rows, n_d))
    kept = []
    for b0 in range(0, nb, group):
        b1 = min(nb, b0 + group)
        s0, s1 = b0 * step - first, (b1 - 1) * step - first + nfft
        acc = None
        for p, xp in enumerate(phases):
            if s0 >= 0 and s1 <= xp.shape[1]:
                seg = xp[:, s0:s1]
            else:
                seg = np.zeros((rows, s1 - s0))
                lo, hi = max(s0, 0), min(s1, xp.shape[1])
                if hi > lo:
                    seg[:, lo - s0:hi - s0] = xp[:, lo:hi]
            xs = fft.rfft(np.lib.stride_tricks.sliding_window_view(seg, nfft, axis=-1)[:, ::step],
                          axis=-1)
            xs *= spec_v[p]
            if acc is None:
                acc = xs
            else:
                acc += xs
        if lmax:
            kept.append(acc)
        out = fft.irfft(acc, nfft, axis=-1)[..., D - 1:D - 1 + step]
        if b1 * step <= n_d:
            np.copyto(y[:, b0 * step:b1 * step].reshape(rows, b1 - b0, step), out)
        else:
            y[:, b0 * step:] = out.reshape(rows, -1)[:, :n_d - b0 * step]
    # both ends in one call of *exact*: the first q·m + half full-rate samples give the
    # first m decimated ones, the last (zero-padded as _decimate pads) the last m
    m = 2 * k + 16
    ends = np.zeros((2 * rows, q * m + half))
    ends[:rows] = x[:, :q * m + half]
    a = q * (n_d - m) - half
    ends[rows:, :n - a] = x[:, a:]
    d = _decimate(ends, q, h)
    d = exact(np.concatenate([d[:rows, :m], d[rows:, half // q:half // q + m]], axis=0))
    y[:, :k] = d[:rows, :k]
    y[:, n_d - k:] = d[rows:, m - k:]
    return y, (_Spectra(nfft, step, D, lmax, k, kept) if lmax else None)


def _notch_sos(fs: float, q: int, h: np.ndarray | None,
               lines_hz: tuple[float, ...]) -> np.ndarray:
    """Notches (second-order sections) for vibration lines and their 2nd harmonics,
    placed where they lie after decimation by *q*.

    As :func:`~glutesense.detectors.preprocess.notch_lines` does at the full rate,
    every line below 0.45 fs is notched, unless the anti-alias filter *h* already
    suppresses it by ≥ ``ALIAS_DB − 10`` dB (a notch would then cut the BCG band
    at the alias for nothing). A line the filter lets through — ≈ 40 dB down at the
    stop edge is too little for a machine many times stronger than the pulse —
    reappears at its alias ``|f − k·fs/q|``, where the notch goes
    (:func:`scipy.signal.iirnotch`, quality 20).
    """
    fs_d = fs / q
    freqs = set()
    for f in lines_hz:
        for g in (f, 2.0 * f):
            if g >= 0.45 * fs:
                continue
            if h is not None and abs(signal.freqz(h, worN=[g], fs=fs)[1][0]) < \
                    10 ** (-(ALIAS_DB - 10.0) / 20.0):
                continue
            a = abs(g - fs_d * round(g / fs_d))
            if 0 < a < 0.45 * fs_d:
                freqs.add(round(a, 3))
    if not freqs:
        return np.zeros((0, 6))
    return np.vstack([signal.tf2sos(*signal.iirnotch(f, 20.0, fs=fs_d)) for f in sorted(freqs)])


def _envelope(power: np.ndarray, fs: float) -> np.ndarray:
    """The energy envelope: *power* (``Σ bp²`` over the axes) low-passed at 4 Hz."""
    if power.size <= 30:
        return power
    sos = butter_sos(2, min(4.0, 0.4 * fs), "low", fs)
    return _zero_phase(power[None, :], 1, None, sos, lambda s: signal.sosfiltfilt(sos, s, axis=-1))[0][0]


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
    if starts.size and starts[-1] + w < n:
        starts = np.r_[starts, n - w]              # a last window ending with the record
    if starts.size == 0:
        return starts, np.zeros(0), np.zeros(0)
    cu = np.r_[0, np.cumsum(usable)]
    ok = (cu[starts + w] - cu[starts]) > 0.9 * w
    starts = starts[ok]
    if starts.size == 0:
        return starts, np.zeros(0), np.zeros(0)
    seg = np.lib.stride_tricks.sliding_window_view(env, w)[starts]
    # clip at the 95th percentile so that a few large transients cannot dominate
    kth = int(0.95 * (w - 1))
    seg = np.minimum(seg, np.partition(seg, kth, axis=1)[:, kth:kth + 1])
    seg = seg - seg.mean(axis=1, keepdims=True)
    lo = max(1, int(np.floor(_LAG_MIN_S * fs)))
    hi = min(w - 2, int(np.ceil(_LAG_MAX_S * fs)))
    if hi <= lo + 2:
        return starts, np.full(starts.size, np.nan), np.zeros(starts.size)
    # only lags up to hi + 1 are needed: no zero padding to 2w is required beyond that
    nfft = int(fft.next_fast_len(w + hi + 2, real=True))
    ac = fft.irfft(np.abs(fft.rfft(seg, nfft, axis=1)) ** 2, nfft, axis=1)[:, :hi + 2]
    ac /= np.maximum(ac[:, :1], 1e-300)
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
    off = np.arange(-int(tol.max()), int(tol.max()) + 1)
    j_all = half[:, None] + off[None, :]
    inside = (np.abs(off)[None, :] <= tol[:, None]) & (j_all >= 1) & (j_all <= hi)
    vals = np.where(inside, ac[rows[:, None], np.clip(j_all, 0, hi + 1)], -np.inf)
    j = j_all[rows, np.argmax(vals, axis=1)]
    aj = ac[rows, j]
    sub = ((half - tol >= lo) & np.isfinite(sqi) & (aj >= 0.6 * sqi)
           & (aj >= ac[rows, j - 1]) & (aj >= ac[rows, j + 1]))
    k = np.where(sub, j, k)
    sqi = np.where(sub, aj, sqi)
    km = np.clip(k, 1, hi)
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
    a = np.searchsorted(c, c - TRACK_S, "left")
    b = np.searchsorted(c, c + TRACK_S, "right")
    idx = a[:, None] + np.arange(int((b - a).max()))[None, :]
    valid = idx < b[:, None]
    idx = np.minimum(idx, c.size - 1)
    vals = np.where(valid & good[idx], period[idx], np.nan)
    vals.sort(axis=1)                                    # NaN last
    cnt = np.sum(~np.isnan(vals), axis=1)
    rows = np.arange(c.size)
    med = 0.5 * (vals[rows, np.maximum(cnt - 1, 0) // 2] + vals[rows, cnt // 2 - (cnt == 0)])
    return np.where(cnt > 0, med, period)


class _Track:
    """Beat period (in samples) at any sample index: the accepted windows' periods at
    their centres, linearly interpolated (held constant beyond the first and last).

    Evaluated only where asked (``track[i]``), not at every sample; ``shifted(k, n)``
    is the same track seen from sample *k* on, *n* samples long.
    """

    def __init__(self, centres: np.ndarray, periods: np.ndarray, size: int) -> None:
        self.centres, self.periods, self.size = centres, periods, size

    def __getitem__(self, i):
        return np.interp(i, self.centres, self.periods)

    def shifted(self, k: int, size: int) -> _Track:
        return _Track(self.centres - k, self.periods, size)

    def min(self) -> float:
        return float(self.periods.min())

    def ptp(self) -> float:
        return float(np.ptp(self.periods))


def _period_track(starts: np.ndarray, period: np.ndarray, good: np.ndarray, n: int,
                  fs: float) -> _Track:
    """Beat period in samples along the record (see :class:`_Track`)."""
    w = int(round(_WIN_S * fs))
    return _Track(starts[good] + w / 2, period[good] * fs, n)


def _rhythm(x: np.ndarray, fs: float, band: tuple[float, float], usable: np.ndarray,
            exclude_s: tuple[float, ...] = (), lines_hz: tuple[float, ...] = ()):
    """Decimate, notch, band-pass, envelope and windowed beat periods in one band.

    Returns ``(bp, env, starts, period, sqi, accepted fraction, median SQI, accepted,
    q, power, spectra)``: ``bp``, ``env`` and ``power`` (``Σ bp²`` over the axes) at
    the working rate ``fs / q`` (:func:`_decimator`), the window ``starts`` in
    full-rate samples, and ``bp``'s block spectra (:class:`_Spectra` or None) for
    :func:`_ncc`.
    """
    q, h = _decimator(fs, min(band[1], 0.45 * fs))
    fs_d = fs / q
    # the envelope holds nothing above 4 Hz: its autocorrelation runs at ≈ 25 Hz, on
    # every qa-th full-rate sample; the longest period it can give (parabolic
    # interpolation adds up to half a lag step) sets the longest beat template
    qa = max(1, int(fs // 25.0))
    lmax = _template_len(_LAG_MAX_S + 2.0 * qa / fs, fs_d)
    notch = _notch_sos(fs, q, h, lines_hz) if lines_hz else np.zeros((0, 6))
    sos = butter_sos(2, (band[0], min(band[1], 0.45 * fs_d)), "band", fs_d)
    if notch.size and -(-x.shape[-1] // q) >= 64:
        # notches and band-pass in one zero-phase pass
        sos = np.vstack([notch, sos])
        bp, spectra = _zero_phase(x, q, h, sos, lambda s: signal.sosfiltfilt(sos, s, axis=-1), lmax)
    elif min(band[1], 0.45 * fs_d) > band[0]:
        bp, spectra = _zero_phase(x, q, h, sos, lambda s: bandpass(s, fs_d, *band), lmax)
    else:
        bp, spectra = bandpass(_decimate(x, q, h), fs_d, *band), None
    power = np.einsum("ij,ij->j", bp, bp)
    env = _envelope(power, fs_d)
    # (linear interpolation between the working-rate samples when qa is no multiple of q)
    if qa % q == 0:
        env_a = env[::qa // q]
    else:
        env_a = np.interp(np.arange(0, x.shape[-1], qa) / q, np.arange(env.size), env)
    starts, period, sqi = _window_periods(env_a, fs / qa, usable[::qa], exclude_s)
    starts = starts * qa                                   # full-rate samples
    good = sqi >= SQI_MIN
    if good.sum() >= 1:
        ref = _local_median(period, good, starts, fs)
        good &= np.abs(period - ref) <= PERIOD_TOL * ref
    frac = float(good.sum() / max(starts.size, 1))
    med_sqi = float(np.median(sqi[good])) if good.any() else 0.0
    return bp, env, starts, period, sqi, frac, med_sqi, good, q, power, spectra


def _select_spaced(pos: np.ndarray, height: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """Indices of the candidates kept when each must lie at least *dist* (its own) from
    every higher kept one.

    Same result as taking the candidates from the highest down and keeping each
    unless a kept one lies closer than its *dist* (the greedy rule of
    :func:`scipy.signal.find_peaks`' ``distance``, with a distance of its own for
    each candidate); resolved in vectorised rounds: a candidate is settled once
    every higher one within its reach is. *pos* must be sorted.
    """
    n = pos.size
    if n < 2:
        return np.arange(n)
    rank = np.empty(n, dtype=np.int64)
    rank[np.argsort(-height, kind="stable")] = np.arange(n)
    i = np.arange(n)
    reach = int(max(np.max(np.searchsorted(pos, pos + dist) - i),
                    np.max(i - np.searchsorted(pos, pos - dist)), 1))
    off = np.r_[np.arange(-reach, 0), np.arange(1, reach + 1)]
    nb = i[:, None] + off[None, :]
    inb = (nb >= 0) & (nb < n)
    nb = np.clip(nb, 0, n - 1)
    # the higher candidates within reach of each one: it is kept iff none of them is
    block = inb & (np.abs(pos[nb] - pos[:, None]) < dist[:, None]) & (rank[nb] < rank[:, None])
    rows = np.flatnonzero(block.any(axis=1))
    state = np.ones(n, dtype=np.int8)                  # 1 kept, 0 open, -1 dropped
    state[rows] = 0
    block, nb = block[rows], nb[rows]
    while rows.size:
        s = state[nb]
        dropped = np.any(block & (s == 1), axis=1)
        kept = ~dropped & ~np.any(block & (s == 0), axis=1)
        state[rows[dropped]] = -1
        state[rows[kept]] = 1
        todo = ~(dropped | kept)
        if todo.all():                                # cannot happen (ranks are strict)
            break
        rows, block, nb = rows[todo], block[todo], nb[todo]
    return np.flatnonzero(state == 1)


def _windows_mask(starts: np.ndarray, w: int, n: int) -> np.ndarray:
    """Samples (of *n*) inside any window ``[s, s + w)``, *s* in *starts*: the windows
    are merged into runs, which are set slice by slice (they are few)."""
    mask = np.zeros(n, dtype=bool)
    if starts.size == 0:
        return mask
    starts = np.sort(starts)
    reach = np.maximum.accumulate(np.minimum(starts + w, n))
    new = np.flatnonzero(np.r_[True, starts[1:] > reach[:-1]])
    for a, b in zip(starts[new].tolist(), reach[np.r_[new[1:] - 1, reach.size - 1]].tolist()):
        mask[a:b] = True
    return mask


def _spaced_peaks(x: np.ndarray, track: _Track, height: float) -> np.ndarray:
    """Peaks of *x* above *height*, each at least 0.6 local beat periods (*track*, in
    samples) from any higher one: :func:`scipy.signal.find_peaks`' ``distance`` rule
    with a distance that follows the heart rate."""
    dmin = max(1, int(0.6 * track.min()))
    pk, prop = signal.find_peaks(x, height=height, distance=dmin)
    if pk.size < 2 or track.ptp() < 1.0:
        return pk
    return pk[_select_spaced(pk.astype(float), prop["peak_heights"], 0.6 * track[pk])]


def _fill_gaps(beats: np.ndarray, pos: np.ndarray, height: np.ndarray,
               track: _Track) -> np.ndarray:
    """Beats missed in gaps longer than 1.5 periods (rhythm-guided search).

    *beats* are the beat positions found (sorted, in samples), *pos* and *height*
    the candidate peaks (sorted) with their similarity, *track* the local period
    in samples. In each gap longer than 1.5 periods the best candidate 0.7–1.3
    periods after the last beat is taken when its similarity reaches
    ``NCC_MIN / 2``, and the search repeats from it (the "fix peaks" idea of beat
    correction, e.g. Lipponen & Tarvainen, 2019, applied with the template
    similarity). Returns the positions of the beats added.
    """
    if beats.size < 2:
        return np.zeros(0)
    per_at = track[np.clip(np.rint(beats).astype(int), 0, track.size - 1)]
    gaps = np.flatnonzero(np.diff(beats) > 1.5 * per_at[:-1])
    if gaps.size == 0 or pos.size == 0:
        return np.zeros(0)
    per_c = track[np.clip(np.rint(pos).astype(int), 0, track.size - 1)]
    added = []
    for g in gaps:
        last, b = float(beats[g]), float(beats[g + 1])
        period = float(per_at[g])
        while b - last > 1.5 * period:
            lo, hi = last + 0.7 * period, min(last + 1.3 * period, b - 0.5 * period)
            if hi <= lo:
                break
            i0, i1 = np.searchsorted(pos, (lo, hi))
            j = i0 + int(np.argmax(height[i0:i1])) if i1 > i0 else -1
            if j < 0 or height[j] < 0.5 * NCC_MIN:
                last += period
                continue
            added.append(float(pos[j]))
            last = float(pos[j])
            period = float(per_c[j])
    return np.asarray(added)


@functools.lru_cache(maxsize=8)
def _sinc_kernel(sub: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fractional offsets ``u`` (step 1/*sub* over ±1), sample offsets ``m`` and the
    transposed Kaiser-windowed sinc interpolation kernel of :func:`_refine`."""
    u = np.arange(-sub, sub + 1) / sub
    m = np.arange(-_SINC_HALF, _SINC_HALF + 1)
    t = u[:, None] - m[None, :]
    kern = np.sinc(t) * np.i0(_SINC_BETA * np.sqrt(np.clip(
        1.0 - (t / (_SINC_HALF + 1)) ** 2, 0.0, None)))
    kern /= kern.sum(axis=1, keepdims=True)
    kern_t = np.ascontiguousarray(kern.T)
    for a in (u, m, kern_t):
        a.flags.writeable = False
    return u, m, kern_t


def _refine(c: np.ndarray, pk: np.ndarray, q: int) -> tuple[np.ndarray, np.ndarray]:
    """Sub-sample positions (in samples of *c*) and heights of the maxima of *c* at *pk*.

    After the anti-alias filter and the band-pass, *c* holds little near its
    Nyquist frequency, so its values between samples follow from Whittaker–Shannon
    interpolation (a Kaiser-windowed sinc over ±:data:`_SINC_HALF` samples). It is
    evaluated on a grid at least as fine as the full rate (step ``1/max(q, 4)``)
    within ±1 sample of each peak, and the best point is refined by a parabola
    through it and its neighbours.
    """
    if pk.size == 0:
        return pk.astype(float), np.zeros(0)
    u, m, kern_t = _sinc_kernel(max(q, 4))
    h = _SINC_HALF
    inner = (pk >= h) & (pk < c.size - h)
    if inner.all():                           # rows of the sliding windows: no index arithmetic
        near = np.lib.stride_tricks.sliding_window_view(c, 2 * h + 1)[pk - h]
    else:                                     # beyond the ends the end value is repeated
        near = c[np.clip(pk[:, None] + m[None, :], 0, c.size - 1)]
    # einsum, not BLAS: a small product, and OpenBLAS would keep a second core spinning
    fine = np.einsum("pk,kj->pj", near, kern_t)                            # (P, 2·sub + 1)
    j = np.clip(np.argmax(fine, axis=1), 1, u.size - 2)
    r = np.arange(pk.size)
    y0, y1, y2 = fine[r, j - 1], fine[r, j], fine[r, j + 1]
    den = y0 - 2.0 * y1 + y2
    delta = np.clip(np.where(den < 0, 0.5 * (y0 - y2) / np.where(den < 0, den, -1.0), 0.0),
                    -0.5, 0.5)
    return pk + u[j] + delta * (u[1] - u[0]), y1 - 0.25 * (y0 - y2) * delta


def _template_len(period_s: float, fs: float) -> int:
    """Samples in a beat template (:func:`beat_template`) for a period of *period_s*."""
    return round(0.3 * period_s * fs) + round(0.6 * period_s * fs)


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
    if pre + post < 1:
        return np.zeros((bp.shape[0], 0)), pre
    # rows of the sliding windows (no index arithmetic), laid out beats-last, so that
    # one in-place partial sort gives the median (np.median's result: for an even
    # count the mean of the two middle values, the lower one the largest below)
    segs = np.lib.stride_tricks.sliding_window_view(bp, pre + post, axis=-1)[:, sel - pre]
    segs = np.ascontiguousarray(segs.transpose(0, 2, 1))          # (3, L, n_beats)
    mid = segs.shape[-1] // 2
    segs.partition(mid, axis=-1)
    med = segs[..., mid]
    if segs.shape[-1] % 2 == 0:
        med = (segs[..., :mid].max(axis=-1) + med) / 2
    return med, pre


def _xcorr3(x: np.ndarray, tmpl: np.ndarray) -> np.ndarray:
    """``sum_i correlate(x[i], tmpl[i], "valid")`` by FFT overlap-save.

    Blocks of :data:`_XC_NFFT` samples; the axes are summed in the frequency domain,
    so one inverse transform serves all three.
    """
    n, L = x.shape[1], tmpl.shape[1]
    m = n - L + 1
    nfft = max(_XC_NFFT, int(fft.next_fast_len(4 * L, real=True)))
    step = nfft - L + 1
    nb = -(-m // step)
    pad = np.zeros((x.shape[0], (nb - 1) * step + nfft))
    pad[:, :n] = x
    blocks = np.lib.stride_tricks.sliding_window_view(pad, nfft, axis=1)[:, ::step]
    spec = np.einsum("ijk,ik->jk", fft.rfft(blocks, axis=-1),
                     fft.rfft(tmpl[:, ::-1], nfft, axis=-1))
    return fft.irfft(spec, nfft, axis=-1)[:, L - 1:].reshape(-1)[:m]


def _xcorr_kept(spectra: _Spectra, bp: np.ndarray, tmpl: np.ndarray) -> np.ndarray:
    """:func:`_xcorr3` of *bp* with *tmpl* from *bp*'s kept block spectra.

    Each block's spectrum times the conjugate template spectrum, summed over the axes,
    gives one inverse transform per block (the forward transforms of *bp* are not
    repeated); the samples near the ends, where :func:`_zero_phase` replaced *bp*'s
    values, are recomputed directly.
    """
    n, L = bp.shape[1], tmpl.shape[1]
    m = n - L + 1
    nfft, step, D = spectra.nfft, spectra.step, spectra.D
    tf = np.conj(fft.rfft(tmpl, nfft, axis=-1))
    num = np.empty(m)
    o = 0
    for acc in spectra.groups:
        s = acc[0] * tf[0]
        for i in range(1, acc.shape[0]):
            s += acc[i] * tf[i]
        blk = fft.irfft(s, nfft, axis=-1)[:, D - 1:D - 1 + step]
        cnt = min(blk.size, m - o)
        if cnt > 0:
            num[o:o + cnt] = blk.reshape(-1)[:cnt]
        o += blk.size
    k = spectra.edge
    for i0, i1 in ((0, min(k, m)), (max(n - k - L + 1, 0), m)):
        if i1 > i0:
            win = np.lib.stride_tricks.sliding_window_view(bp[:, i0:i1 + L - 1], L, axis=-1)
            num[i0:i1] = np.einsum("ijk,ik->j", win, tmpl)
    return num


def _ncc(bp: np.ndarray, tmpl: np.ndarray, power: np.ndarray | None = None,
         spectra: _Spectra | None = None) -> np.ndarray:
    """Normalised cross-correlation (cosine similarity) of the 3-axis signal with *tmpl*.

    Entry i compares ``bp[:, i:i + L]`` with the template (``L = tmpl.shape[1]``).
    *power* is ``Σ bp²`` over the axes, *spectra* ``bp``'s kept block spectra
    (:func:`_zero_phase`), when at hand.
    """
    L = tmpl.shape[1]
    if spectra is not None and L <= spectra.lmax:
        num = _xcorr_kept(spectra, bp, tmpl)
    else:
        num = _xcorr3(bp, tmpl)
    if power is None:
        power = np.einsum("ij,ij->j", bp, bp)
    c = np.empty(power.size + 1)
    c[0] = 0.0
    np.cumsum(power, out=c[1:])
    en = c[L:] - c[:-L]
    np.maximum(en, 0.0, out=en)
    np.sqrt(en, out=en)
    en *= np.linalg.norm(tmpl)
    np.maximum(en, 1e-300, out=en)
    num /= en
    return num


def _outside_vehicle(starts, period, sqi, good, usable, where, w):
    """Windows and usable samples after setting aside vehicle vibration that hides the rhythm.

    A window is under the vibration when most of its *w* samples are in *where*.
    When all are, the whole record is judged under :data:`VEHICLE_MIN_FRACTION`
    (returned flag True); when some are and fewer than that fraction of them hold
    the rhythm, they are dropped and the vibration's samples leave *usable*.
    """
    n = where.size
    cs = np.r_[0, np.cumsum(where, dtype=np.int64)]
    under = (cs[np.minimum(starts + w, n)] - cs[np.minimum(starts, n)]) > w // 2
    if under.all() and under.size:
        return starts, period, sqi, good, usable, True
    if under.any() and good[under].mean() < VEHICLE_MIN_FRACTION:
        keep = ~under
        return (starts[keep], period[keep], sqi[keep], good[keep],
                usable & ~where[:usable.size], False)
    return starts, period, sqi, good, usable, False


def detect(prepared: Prepared, *, lines_hz: tuple[float, ...] = (),
           music_bpm: float | None = None, vehicle: bool | np.ndarray = False) -> Finding:
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
    vehicle : bool or ndarray of bool
        Vehicle vibration was found (True), or where it was (one flag per sample of
        *prepared*): its broadband 1–20 Hz motion fills the BCG band and gives
        chance rhythms in some windows, so under it the rhythm must hold in
        :data:`VEHICLE_MIN_FRACTION` of the windows (not half) before a heart rate
        is reported; otherwise it is "not measured" rather than wrong. Given where,
        windows mostly under the vibration where the rhythm does not hold that well
        are set aside as voluntary movement is, and the rest decide by the usual
        rule: the heart rate of the minutes before a car ride is still measured.

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
    # a flat record (all zero, or constant) holds no rhythm: only the filters' rounding
    # (the whole record is scanned only when its first samples are flat)
    if (fs < 12.0 or acc.shape[1] < max(int(_WIN_S * fs), 1)
            or (not np.ptp(acc[:, :64], axis=1).any() and not np.ptp(acc, axis=1).any())):
        why = ("sampling too slow for the pulse (needs ≥ 12 Hz)" if fs < 12.0 else
               "recording shorter than 10 s or without acceleration: heart rate not measured")
        return Finding("pulse", False, 0.0, 0.0, empty, warnings=(why,))
    lines = tuple(float(f) for f in lines_hz if f and f > 0)
    usable = ~prepared.voluntary
    exclude = tuple(k * 60.0 / music_bpm for k in MUSIC_MULTIPLES) if music_bpm else ()
    best = None
    for band in BANDS_HZ:
        if band[0] >= 0.45 * fs:
            continue
        cand = _rhythm(acc, fs, band, usable, exclude, lines)
        if best is None or (cand[5], cand[6]) > (best[5], best[6]):
            best = cand
        if best[5] >= 0.8:
            break
    bp, env, starts, period, sqi, frac, _, good, q, power, spectra = best
    if isinstance(vehicle, np.ndarray):
        starts, period, sqi, good, usable, vehicle = _outside_vehicle(
            starts, period, sqi, good, usable, np.asarray(vehicle, dtype=bool), int(_WIN_S * fs))
        frac = float(good.sum() / max(starts.size, 1))
    n_usable = starts.size
    if n_usable == 0 or frac < (VEHICLE_MIN_FRACTION if vehicle else MIN_FRACTION):
        conf = float(np.clip(1.0 - frac, 0.0, 1.0)) if n_usable else 0.0
        return Finding("pulse", False, conf, 0.0, {**empty, "sqi": float(np.median(sqi))
                                                    if sqi.size else 0.0},
                       warnings=("heart rate could not be measured: no steady beat-to-beat "
                                 "rhythm was found",))
    # from here on everything runs at the band's working rate fs / q
    fs_d = fs / q
    n = env.size
    t_med = float(np.median(period[good]))
    w = int(round(_WIN_S * fs_d))
    starts = np.rint(starts / q).astype(int)                          # working-rate samples
    cover = _windows_mask(starts[good], w, n) & usable[::q][:n]
    track = _period_track(starts, period, good, n, fs_d)              # samples per beat
    # the template needs TEMPLATE_BEATS beats: envelope peaks in evenly spread accepted
    # windows holding about twice as many are plenty
    sel = np.flatnonzero(good)
    need = int(np.ceil(2 * TEMPLATE_BEATS * t_med / _WIN_S))
    if sel.size > 2 * need:
        sub = starts[sel[np.linspace(0, sel.size - 1, need).astype(int)]]
        some = _windows_mask(sub, w, n) & cover
    else:
        some = cover
    pk0 = _spaced_peaks(np.where(some, env, 0.0), track, np.median(env[some]))
    tmpl, pre = beat_template(bp, fs_d, pk0, t_med)
    pos = np.zeros(0)
    if np.any(tmpl) and tmpl.shape[1] < n:
        ncc = _ncc(bp, tmpl, power, spectra)
        ncc[~cover[pre:pre + ncc.size]] = 0.0
        trk = track.shifted(pre, ncc.size)
        # candidate peaks are located and measured between the samples (band-limited
        # interpolation) before the beats are chosen: on the coarse grid a beat's main lobe
        # may look lower than a side lobe. (A 10-Hz lobe sampled at 45 Hz half a sample off
        # its top reads cos(π·10/45) = 0.77 of its height: grid peaks above half a
        # threshold are plenty.)
        grid = signal.find_peaks(ncc, height=0.25 * NCC_MIN)[0]
        strong = grid[ncc[grid] >= 0.5 * NCC_MIN]
        cpos, chgt = _refine(ncc, strong, q)
        ok_c = chgt >= NCC_MIN
        cpos, chgt = cpos[ok_c], chgt[ok_c]
        order = np.argsort(cpos, kind="stable")
        cpos, chgt = cpos[order], chgt[order]
        per = trk[np.clip(np.rint(cpos).astype(int), 0, trk.size - 1)]
        pos = cpos[_select_spaced(cpos, chgt, 0.6 * per)]
        # gaps: every candidate inside them (also the weaker ones) is measured
        if pos.size > 1:
            wide = np.flatnonzero(np.diff(pos) > 1.5 * per[np.searchsorted(cpos, pos[:-1])])
            if wide.size:
                # grid peaks from ⌈start⌉ to before ⌈end⌉ of each gap (the gaps are
                # disjoint and in order, so are these index ranges)
                lo = np.searchsorted(grid, np.ceil(pos[wide]).astype(int))
                hi = np.searchsorted(grid, np.ceil(pos[wide + 1]).astype(int))
                inside = np.zeros(grid.size + 1, dtype=np.int32)
                np.add.at(inside, lo, 1)
                np.add.at(inside, hi, -1)
                gc = grid[np.cumsum(inside[:-1]) > 0]
                gpos, ghgt = _refine(ncc, gc, q)
                order = np.argsort(gpos, kind="stable")
                pos = np.sort(np.r_[pos, _fill_gaps(pos, gpos[order], ghgt[order], trk)])
    t_beat = pos + pre                                   # in samples at fs_d
    pk = np.clip(np.rint(t_beat).astype(int), 0, n - 1)
    ibi = np.diff(t_beat) / fs_d
    loc = track[(pk[:-1] + pk[1:]) // 2] / fs_d if pk.size > 1 else np.zeros(0)
    ok = (ibi > 0.7 * loc) & (ibi < 1.4 * loc)
    hr = 60.0 / float(ibi[ok].mean()) if ok.sum() >= 5 else 60.0 / t_med
    tmpl, _ = beat_template(bp, fs_d, pk, t_med)
    # energy in full-rate samples: a band-limited signal's sum of squares scales with q
    energy = float(pk.size * np.sum(tmpl ** 2) * q)
    med_sqi = float(np.median(sqi[good]))
    conf = float(np.clip(frac * min(1.0, med_sqi / 0.6), 0.0, 1.0))
    beats = prepared.t0 + t_beat / fs_d
    events = Annotations(beats, 0.0, ["beat"], ["pulse"] * beats.size, ["detector:pulse"],
                         np.full(beats.size, hr))
    summary = {"heart_rate_bpm": round(hr, 2), "beats_s": np.round(beats, 3).tolist(),
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
    events = Annotations.join(f.events for f, _ in pres)
    total = max(sum(d for _, d in parts), float(wts.sum()))
    conf = float(np.average([f.confidence for f, _ in pres], weights=wts))
    conf = max(conf * float(wts.sum() / total), 0.0)    # scaled by the time it was found in
    summary = {"heart_rate_bpm": round(hr, 2), "beats_s": beats,
               "sqi": round(float(np.average([f.summary["sqi"] for f, _ in pres], weights=wts)), 3)}
    return Finding("pulse", True, conf, float(sum(f.energy for f, _ in pres)), summary,
                   events=events,
                   warnings=tuple(dict.fromkeys(w for f, _ in parts for w in f.warnings)))
