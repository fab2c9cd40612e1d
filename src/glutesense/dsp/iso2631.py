"""ISO 2631-1:1997 whole-body vibration: frequency weightings and evaluation quantities.

Weightings
----------
The weightings Wk, Wd, Wc, We, Wj and Wf (and BS 6841's Wb) are defined in
ISO 2631-1:1997 Annex A (with Amd 1:2010) as products of analogue filters
(``s = j2πf``, ``ωi = 2πfi``):

* band-limiting high-pass ``s² / (s² + √2 ω1 s + ω1²)``
* band-limiting low-pass ``1 / (1 + √2 s/ω2 + s²/ω2²)``
* acceleration–velocity transition ``(1 + s/ω3) / (1 + s/(Q4 ω4) + s²/ω4²)``
* upward step ``(s² + s ω5/Q5 + ω5²) / (s² + s ω6/Q6 + ω6²)`` (gain (ω5/ω6)² at
  low and 1 at high frequency)

with the parameters of :data:`WEIGHTINGS` (as coded in E. L. Zechmann's public
``whole_body_filter.m`` after ISO 2631-1 and ISO 8041:2005; Wb from BS 6841:1987;
see ``physiology.md`` §7.1). Evaluated at the nominal one-third-octave
frequencies, the formula reproduces the standard's Tables 3 and 4.

Phones sample at 50–200 Hz, so the 100 Hz band-limiting low-pass often lies
above the Nyquist frequency. A bilinear-transform IIR filter would warp the
shape near Nyquist; instead :func:`weighting_fir` designs a causal FIR filter
whose magnitude is the Annex A formula sampled on a fine grid up to Nyquist and
whose phase is the minimum phase for that magnitude (folded real cepstrum). The
analogue weightings are themselves minimum-phase (all zeros in the left half
plane or at s = 0), so the digital phase follows the analogue one below
Nyquist. The response matches the formula within 0.5 % at every one-third-octave
band up to 0.95 × Nyquist (tested at 50–1000 Hz). :func:`weight` applies it with
FFT convolution (one block, or overlap-save over long records; float32 on request).

Evaluation quantities (ISO 2631-1 §6)
-------------------------------------
:func:`aw` (r.m.s.), :func:`running_rms` and :func:`mtvv` (τ = 1 s), :func:`vdv`,
:func:`crest_factor`, :func:`a8` (daily exposure), :func:`vector_sum` with the
seated-health multiplying factors k = 1.4, 1.4, 1.0, and :func:`health_guidance`.

Limit values and their verification status
------------------------------------------
* EU Directive 2002/44/EC daily exposure action value A(8) = 0.5 m/s² and limit
  value A(8) = 1.15 m/s² — verified in summaries of the directive (physiology.md §7.3).
* EU VDV action/limit 9.1 / 21 m/s^1.75 — **unverified** (not read in the directive).
* ISO 2631-1 Annex B health guidance caution zone, 0.43–0.86 m/s² for 8 h with
  the ``a_w·T^½ = const`` relation, and VDV 8.5–17 m/s^1.75 — **unverified**
  (Annex B was not retrieved; values as commonly quoted, e.g. in
  Wolfgang & Burgess-Limerick 2014, Appl Ergon 45:1700).
* The crest-factor threshold of 9 above which ISO 2631-1 asks for VDV/MTVV —
  **unverified**.
"""

from __future__ import annotations

import dataclasses
import math
from functools import lru_cache

import numpy as np

from ..errors import ParameterError, SamplingRateError

__all__ = [
    "WEIGHTINGS", "WeightingParams", "weighting_response", "weighting_fir", "weight",
    "aw", "running_rms", "mtvv", "vdv", "crest_factor", "a8", "vector_sum",
    "health_guidance", "HealthGuidance", "SEATED_HEALTH_K", "EU_ACTION_A8", "EU_LIMIT_A8",
    "HGCZ_8H_LOWER", "HGCZ_8H_UPPER", "VDV_HGCZ_LOWER", "VDV_HGCZ_UPPER",
    "CREST_FACTOR_THRESHOLD",
]

#: Block length (samples) of the FFT convolution in :func:`weight`.
_BLOCK = 1 << 18

#: Seated health multiplying factors (k_x, k_y, k_z), ISO 2631-1 §7.2.
SEATED_HEALTH_K = (1.4, 1.4, 1.0)
#: EU Directive 2002/44/EC whole-body daily exposure action value, A(8) in m/s² (verified).
EU_ACTION_A8 = 0.5
#: EU Directive 2002/44/EC whole-body daily exposure limit value, A(8) in m/s² (verified).
EU_LIMIT_A8 = 1.15
#: ISO 2631-1 Annex B health guidance caution zone bounds at 8 h, m/s² (UNVERIFIED).
HGCZ_8H_LOWER, HGCZ_8H_UPPER = 0.43, 0.86
#: ISO 2631-1 Annex B VDV caution zone bounds, m/s^1.75 (UNVERIFIED).
VDV_HGCZ_LOWER, VDV_HGCZ_UPPER = 8.5, 17.0
#: Crest factor above which the r.m.s. method may underestimate (UNVERIFIED).
CREST_FACTOR_THRESHOLD = 9.0


@dataclasses.dataclass(frozen=True)
class WeightingParams:
    """Annex A parameters of one weighting (frequencies in Hz; None = section absent)."""

    f1: float
    f2: float
    f3: float | None
    f4: float | None
    q4: float | None
    f5: float | None
    q5: float | None
    f6: float | None
    q6: float | None


#: Annex A parameters (physiology.md §7.1). ``f3=None`` with ``f4`` set means f3 = ∞.
WEIGHTINGS: dict[str, WeightingParams] = {
    "Wk": WeightingParams(0.4, 100.0, 12.5, 12.5, 0.63, 2.37, 0.91, 3.35, 0.91),
    "Wd": WeightingParams(0.4, 100.0, 2.0, 2.0, 0.63, None, None, None, None),
    "Wc": WeightingParams(0.4, 100.0, 8.0, 8.0, 0.63, None, None, None, None),
    "We": WeightingParams(0.4, 100.0, 1.0, 1.0, 0.63, None, None, None, None),
    "Wj": WeightingParams(0.4, 100.0, None, None, None, 3.75, 0.91, 5.32, 0.91),
    "Wf": WeightingParams(0.08, 0.63, None, 0.25, 0.86, 0.0625, 0.80, 0.10, 0.80),
    "Wb": WeightingParams(0.4, 100.0, 16.0, 16.0, 0.55, 2.5, 0.90, 4.0, 0.95),
}


def _params(name: str) -> WeightingParams:
    try:
        return WEIGHTINGS[name]
    except KeyError:
        raise ParameterError(f"unknown weighting {name!r}; choose one of {sorted(WEIGHTINGS)}") from None


def weighting_response(f: np.ndarray | float, name: str) -> np.ndarray:
    """Complex frequency response of an ISO 2631-1 weighting (Annex A formula).

    Parameters
    ----------
    f : array_like
        Frequencies in Hz.
    name : {"Wk", "Wd", "Wc", "We", "Wj", "Wf", "Wb"}
        The weighting.

    Returns
    -------
    ndarray of complex
        ``H(j2πf)``; ``abs()`` gives the weighting factor of Tables 3 and 4.

    Examples
    --------
    >>> round(float(abs(weighting_response(10.0, "Wk"))), 3)   # Table 3: 0.988
    0.988
    >>> round(float(abs(weighting_response(1.0, "Wd"))), 3)    # Table 3: 1.011
    1.011
    """
    p = _params(name)
    s = 2j * np.pi * np.asarray(f, dtype=float)
    w1, w2 = 2 * np.pi * p.f1, 2 * np.pi * p.f2
    h = s**2 / (s**2 + math.sqrt(2) * w1 * s + w1**2)
    h = h / (1 + math.sqrt(2) * s / w2 + (s / w2) ** 2)
    if p.f4 is not None:
        w4 = 2 * np.pi * p.f4
        num = 1.0 if p.f3 is None else 1 + s / (2 * np.pi * p.f3)
        h = h * num / (1 + s / (p.q4 * w4) + (s / w4) ** 2)
    if p.f5 is not None:
        w5, w6 = 2 * np.pi * p.f5, 2 * np.pi * p.f6
        h = h * (s**2 + s * w5 / p.q5 + w5**2) / (s**2 + s * w6 / p.q6 + w6**2)
    return h


def _fir_length(name: str, fs: float) -> int:
    # Memory of the slowest pole: the high-pass at f1 (ζ = 0.707) or, for Wf, the
    # upward step at f5/f6 (Q = 0.8). A window of 80 time constants of the slowest
    # pole leaves < e^-80 of the response outside it.
    p = _params(name)
    slow = min(p.f1 * 0.707, (p.f5 / (2 * p.q5)) if p.f5 else np.inf,
               (p.f4 / (2 * p.q4)) if p.f4 else np.inf)
    seconds = 80.0 / (2 * np.pi * slow)
    return int(2 ** math.ceil(math.log2(max(seconds * fs, 64))))


@lru_cache(maxsize=64)
def _fir_cached(name: str, fs: float) -> np.ndarray:
    n = _fir_length(name, fs)
    big = 8 * n  # oversampled grid keeps cepstral aliasing negligible
    f = np.fft.rfftfreq(big, d=1.0 / fs)
    mag = np.abs(weighting_response(f, name))
    mag = np.maximum(mag, 1e-12 * mag.max())  # the s² zeros at DC: log needs a floor
    # Minimum-phase reconstruction from the magnitude via the folded real cepstrum
    # (Oppenheim & Schafer, Discrete-Time Signal Processing, §12.5).
    cep = np.fft.irfft(np.log(mag), n=big)
    fold = np.zeros(big)
    fold[0] = cep[0]
    fold[1: big // 2] = 2 * cep[1: big // 2]
    fold[big // 2] = cep[big // 2]
    taps = np.fft.irfft(np.exp(np.fft.rfft(fold)), n=big)[:n].copy()
    taps.setflags(write=False)
    return taps


def weighting_fir(name: str, fs: float) -> np.ndarray:
    """Causal FIR taps realising weighting *name* at sampling rate *fs*.

    Minimum-phase FIR whose magnitude follows the Annex A formula from 0 to
    Nyquist (no bilinear warping); see the module docstring.

    Parameters
    ----------
    name : str
        Weighting name (see :data:`WEIGHTINGS`).
    fs : float
        Sampling rate in Hz.

    Returns
    -------
    ndarray, read-only
        Filter taps.
    """
    fs = float(fs)
    if not math.isfinite(fs) or fs <= 0:
        raise SamplingRateError(f"fs must be finite and > 0 Hz, got {fs!r}")
    return _fir_cached(name, fs)


def _as_float_dtype(dtype) -> np.dtype:
    dt = np.dtype(dtype)
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ParameterError(f"dtype must be float32 or float64, got {dt}")
    return dt


def _fft_len(n: int) -> int:
    """Smallest 2^a·3^b ≥ *n*: pocketfft's fastest real-FFT lengths (5-smooth ones can be
    ~1.5× slower)."""
    best, p3 = 1 << max(0, (n - 1).bit_length()), 1
    while p3 < n:                      # p3 · (smallest power of two reaching n)
        best = min(best, p3 << ((n + p3 - 1) // p3 - 1).bit_length())
        p3 *= 3
    return min(best, p3)


@lru_cache(maxsize=8)
def _fir_spectrum(name: str, fs: float, nfft: int, dtype: str) -> np.ndarray:
    """The FIR's *nfft*-point real FFT (complex64 for float32 work), cached."""
    from scipy import fft as sp_fft

    h = sp_fft.rfft(_fir_cached(name, fs), nfft)
    h = h.astype(np.complex64 if dtype == "float32" else np.complex128)
    h.setflags(write=False)
    return h


def weight(x: np.ndarray, fs: float, name: str, *, axis: int = -1,
           dtype: type | np.dtype | str = np.float64) -> np.ndarray:
    """Frequency-weight acceleration *x* (m/s²) with ISO 2631-1 weighting *name*.

    Parameters
    ----------
    x : array_like
        Acceleration in m/s², time along *axis*.
    fs : float
        Sampling rate in Hz.
    name : str
        ``"Wk"`` (vertical, seated), ``"Wd"`` (horizontal), ``"Wc"``, ``"We"``,
        ``"Wj"``, ``"Wf"`` or ``"Wb"``.
    axis : int
        Time axis.
    dtype : float64 or float32
        Working precision. float32 halves the FFT cost; its rounding error is
        ~1e-7 of the r.m.s. of the whole input block, far below any weighted
        level of interest when the input carries no gravity offset.

    Returns
    -------
    ndarray
        Weighted acceleration a_w(t), same shape as *x* (causal filtering from a
        zero initial state, as a vibration meter would do it).

    Notes
    -----
    The FIR of :func:`weighting_fir` is applied by FFT convolution, in one block
    when the record is short enough (≤ :data:`_BLOCK` samples or four filter
    lengths) and otherwise by overlap-save over blocks of that size, so the
    result is the exact linear convolution at bounded memory.
    """
    from scipy import fft as sp_fft

    dt = _as_float_dtype(dtype)
    x = np.moveaxis(np.asarray(x, dtype=dt), axis, -1)
    taps = weighting_fir(name, fs)
    m = taps.size
    n = x.shape[-1]
    if n == 0:
        return np.moveaxis(np.array(x, copy=True), -1, axis)
    nfft = _fft_len(min(n, max(_BLOCK, 4 * m)) + m - 1)
    step = nfft - m + 1
    h = _fir_spectrum(name, float(fs), nfft, dt.name)
    y = None
    for s in range(0, n, step):
        lo = max(0, s - (m - 1))                   # filter history (zeros before the record)
        e = min(n, s + step)
        spec = sp_fft.rfft(x[..., lo:e], nfft, axis=-1)
        spec *= h
        yb = sp_fft.irfft(spec, nfft, axis=-1)
        if e == n and s == 0:                      # one block: no copy
            return np.moveaxis(yb[..., :n], -1, axis)
        if y is None:
            y = np.empty(x.shape, dt)
        y[..., s:e] = yb[..., s - lo:e - lo]
    return np.moveaxis(y, -1, axis)


def aw(aw_t: np.ndarray, *, axis: int = -1) -> np.ndarray | float:
    """Weighted r.m.s. acceleration a_w (ISO 2631-1 eq. 1) of a weighted signal, m/s²."""
    return np.sqrt(np.mean(np.square(aw_t), axis=axis))


def running_rms(aw_t: np.ndarray, fs: float, *, tau_s: float = 1.0) -> np.ndarray:
    """Running r.m.s. with linear integration over τ (ISO 2631-1 eq. 2), m/s².

    The first ``τ·fs`` values average over the samples available so far.
    """
    x2 = np.square(np.asarray(aw_t, dtype=float))
    n = max(1, int(round(tau_s * fs)))
    c = np.concatenate([np.zeros(x2.shape[:-1] + (1,)), np.cumsum(x2, axis=-1)], axis=-1)
    idx = np.arange(1, x2.shape[-1] + 1)
    lo = np.maximum(idx - n, 0)
    return np.sqrt((c[..., idx] - c[..., lo]) / (idx - lo))


def mtvv(aw_t: np.ndarray, fs: float, *, tau_s: float = 1.0) -> float:
    """Maximum transient vibration value: the largest running r.m.s. (τ = 1 s), m/s²."""
    r = running_rms(aw_t, fs, tau_s=tau_s)
    return float(np.max(r)) if r.size else 0.0


def vdv(aw_t: np.ndarray, fs: float, *, axis: int = -1) -> np.ndarray | float:
    """Vibration dose value ``(∫ a_w⁴ dt)^¼`` (ISO 2631-1 eq. 5), m/s^1.75."""
    return np.power(np.sum(np.power(np.asarray(aw_t, dtype=float), 4), axis=axis) / fs, 0.25)


def crest_factor(aw_t: np.ndarray, *, axis: int = -1) -> np.ndarray | float:
    """Peak over r.m.s. of the weighted signal (ISO 2631-1 §6.2.1)."""
    a = np.asarray(aw_t, dtype=float)
    rms = aw(a, axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(rms > 0, np.max(np.abs(a), axis=axis) / np.where(rms > 0, rms, 1), np.nan)


def a8(aw_value: float, exposure_s: float) -> float:
    """Daily exposure A(8) = a_w · √(T / 8 h) (Directive 2002/44/EC), m/s²."""
    if exposure_s < 0:
        raise ParameterError("exposure time must be ≥ 0 s")
    return float(aw_value) * math.sqrt(exposure_s / (8 * 3600.0))


def vector_sum(awx: float, awy: float, awz: float, *, k: tuple[float, float, float] = SEATED_HEALTH_K) -> float:
    """Vibration total value a_v = √((k_x a_wx)² + (k_y a_wy)² + (k_z a_wz)²) (ISO 2631-1 eq. 10)."""
    return math.sqrt((k[0] * awx) ** 2 + (k[1] * awy) ** 2 + (k[2] * awz) ** 2)


@dataclasses.dataclass(frozen=True)
class HealthGuidance:
    """Where an exposure lies relative to the guidance.

    Attributes
    ----------
    zone : {"below", "caution", "above"}
        Relative to the ISO 2631-1 Annex B caution zone for the daily duration (UNVERIFIED bounds).
    lower_ms2, upper_ms2 : float
        Caution-zone bounds for this duration, ``0.43·√(8 h/T)`` and ``0.86·√(8 h/T)``.
    a8_ms2 : float
        Daily exposure A(8) for this duration.
    eu_action_exceeded, eu_limit_exceeded : bool
        A(8) against the EU action (0.5) and limit (1.15 m/s²) values.
    verified : bool
        False: the Annex B zone bounds are unverified (see module docstring).
    """

    zone: str
    lower_ms2: float
    upper_ms2: float
    a8_ms2: float
    eu_action_exceeded: bool
    eu_limit_exceeded: bool
    verified: bool = False


def health_guidance(aw_value: float, daily_exposure_s: float) -> HealthGuidance:
    """Compare a seated r.m.s. exposure (the highest k·a_w, or a_v) with the guidance.

    Parameters
    ----------
    aw_value : float
        Frequency-weighted r.m.s. acceleration including the multiplying factor, m/s².
    daily_exposure_s : float
        Assumed daily exposure duration in seconds (e.g. the recording's duration
        for a single trip, or 8 h for a working day).

    Examples
    --------
    >>> health_guidance(0.46, 8 * 3600).zone
    'caution'
    >>> health_guidance(0.2, 8 * 3600).zone
    'below'
    """
    if daily_exposure_s <= 0:
        raise ParameterError("daily exposure must be > 0 s")
    scale = math.sqrt(8 * 3600.0 / daily_exposure_s)
    lo, hi = HGCZ_8H_LOWER * scale, HGCZ_8H_UPPER * scale
    zone = "below" if aw_value < lo else ("caution" if aw_value <= hi else "above")
    a8v = a8(aw_value, daily_exposure_s)
    return HealthGuidance(zone, lo, hi, a8v, a8v > EU_ACTION_A8, a8v > EU_LIMIT_A8)
