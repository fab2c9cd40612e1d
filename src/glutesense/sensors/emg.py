"""A bipolar surface-EMG amplifier and its analogue-to-digital converter.

From the potential at the electrode pair (V, what :mod:`glutesense.body`
produces) to what an EMG recorder stores (V, input-referred):

1. **Electrode–skin noise** and **amplifier noise**, white and Gaussian. The
   amplifier default, 1 µV r.m.s., is the "noise < 1 µV" of an example
   amplifier specification (physiology.md §8.2); the electrode–skin noise,
   2 µV r.m.s., is our assumption (Merletti & Cerone 2020 discuss it, but their
   numbers were not extracted).
2. **Power-line interference** at 50 Hz (60 Hz in the Americas) and its third
   harmonic, what is left after the amplifier's common-mode rejection. Its size
   (5 µV) and the harmonic ratio (0.3) are our assumptions; the mains phase is
   random.
3. **Band limits**: a Butterworth band-pass, 10 Hz high-pass and 500 Hz
   low-pass as SENIAM/ISEK recommend (physiology.md §8.2), applied causally as
   an analogue front end would. No notch filter (the same source advises
   against it). When 500 Hz is not below the Nyquist rate, the low-pass corner
   moves to 0.45·fs.
4. **ADC**: clipping at ±``adc_range_v`` and quantisation to ``adc_bits`` bits.
   The example specification is a gain of 1000 into a 12-bit converter; with a
   ±2.5 V converter this is ±2.5 mV at the input [D], a 1.22 µV step, enough
   for raw sEMG of "a few µV to 2–3 mV" (Konrad, physiology.md §8.2).
"""

from __future__ import annotations

import dataclasses
import math
from fractions import Fraction

import numpy as np
from scipy import signal

from ..errors import ParameterError, SamplingRateError

__all__ = ["EMGParams", "record_emg"]


@dataclasses.dataclass(frozen=True)
class EMGParams:
    """Surface-EMG recorder parameters (see the module docstring for sources).

    Parameters
    ----------
    highpass_hz, lowpass_hz : float
        Band-pass corners in Hz (10 and 500).
    filter_order : int
        Butterworth order of each edge (4; our choice).
    amplifier_noise_rms_v : float
        Input-referred amplifier noise in V r.m.s. (1 µV).
    electrode_noise_rms_v : float
        Electrode–skin noise in V r.m.s. (2 µV; our assumption).
    mains_hz : float
        Power-line frequency (50 or 60 Hz); 0 for none.
    mains_amplitude_v : float
        Amplitude of the mains fundamental at the input in V (5 µV; our assumption).
    mains_harmonic_ratio : float
        Third-harmonic amplitude relative to the fundamental (0.3; our assumption).
    adc_bits : int
        Converter resolution in bits (12).
    adc_range_v : float
        Input-referred full scale: samples are clipped to ±adc_range_v (2.5 mV).
    """

    highpass_hz: float = 10.0
    lowpass_hz: float = 500.0
    filter_order: int = 4
    amplifier_noise_rms_v: float = 1.0e-6
    electrode_noise_rms_v: float = 2.0e-6
    mains_hz: float = 50.0
    mains_amplitude_v: float = 5.0e-6
    mains_harmonic_ratio: float = 0.3
    adc_bits: int = 12
    adc_range_v: float = 2.5e-3

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = float(getattr(self, f.name))
            if not math.isfinite(v) or v < 0:
                raise ParameterError(f"EMGParams.{f.name} must be finite and ≥ 0, got {v!r}")
        if not 0 < self.highpass_hz < self.lowpass_hz:
            raise ParameterError("EMGParams needs 0 < highpass_hz < lowpass_hz")
        if int(self.filter_order) < 1 or int(self.adc_bits) < 2 or self.adc_range_v <= 0:
            raise ParameterError(
                "EMGParams needs filter_order ≥ 1, adc_bits ≥ 2, adc_range_v > 0")


def record_emg(potential_v: np.ndarray, fs: float, *, rng: np.random.Generator,
               params: EMGParams | None = None) -> np.ndarray:
    """What a surface-EMG recorder stores for a potential at its electrodes.

    Parameters
    ----------
    potential_v : array_like, shape (n_samples,)
        Potential difference at the electrode pair in V, sampled at *fs*.
    fs : float
        Sampling rate in Hz (≥ 1 kHz recommended, physiology.md §8.2); must
        exceed twice the high-pass corner.
    rng : numpy.random.Generator
        Source of the noise and the mains phase.
    params : EMGParams or None
        Recorder parameters (defaults if None).

    Returns
    -------
    ndarray, shape (n_samples,)
        Recorded signal in V (input-referred), band-limited and quantised.
    """
    p = params or EMGParams()
    fs = float(fs)
    if not math.isfinite(fs) or fs <= 2 * p.highpass_hz:
        raise SamplingRateError(f"EMG fs = {fs!r} Hz must exceed twice the high-pass corner "
                                f"({2 * p.highpass_hz:g} Hz)")
    x = np.asarray(potential_v, dtype=float)
    if x.ndim != 1:
        raise ParameterError(f"potential_v must be 1-D, got shape {x.shape}")
    n = x.size
    y = rng.standard_normal(n, dtype=np.float32).astype(float)
    y *= math.hypot(p.amplifier_noise_rms_v, p.electrode_noise_rms_v)
    y += x
    if p.mains_hz > 0 and p.mains_amplitude_v > 0:
        y += _mains(n, fs, p, rng.uniform(0.0, 2 * math.pi))
    low = min(p.lowpass_hz, 0.45 * fs)
    sos = signal.butter(int(p.filter_order), [p.highpass_hz, low], btype="bandpass",
                        fs=fs, output="sos")
    y = signal.sosfilt(sos, y)
    step = 2 * p.adc_range_v / 2 ** int(p.adc_bits)
    y /= step
    np.rint(y, out=y)
    y *= step
    return np.clip(y, -p.adc_range_v, p.adc_range_v, out=y)


def _mains(n: int, fs: float, p: EMGParams, phase: float) -> np.ndarray:
    """Mains fundamental and third harmonic; one exact period is tiled when it is short."""
    period = Fraction(fs / p.mains_hz).limit_denominator(1000)
    exact = math.isclose(float(period), fs / p.mains_hz, rel_tol=1e-12)
    m = min(n, period.numerator) if exact else n     # samples in a whole number of cycles
    wave = np.arange(m, dtype=float)
    wave *= 2 * math.pi * p.mains_hz / fs
    wave += phase
    np.sin(wave, out=wave)                              # sin(ωt + φ)
    out = p.mains_amplitude_v * wave
    if 3 * p.mains_hz < fs / 2 and p.mains_harmonic_ratio > 0:
        third = wave * wave                             # sin 3θ = sin θ (3 − 4 sin² θ)
        third *= -4.0
        third += 3.0
        third *= wave
        out += (p.mains_amplitude_v * p.mains_harmonic_ratio) * third
    return np.resize(out, n)
