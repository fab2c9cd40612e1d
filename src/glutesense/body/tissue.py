"""Skin and fat over the gluteal muscles as a damped wobbling mass.

A contracting motor unit pushes on the tissue above it; the skin and fat ride on
the muscle like a mass on a spring and a damper. With effective mass ``m``,
natural angular frequency ``ω = 2π f_n`` and damping ratio ``ζ``, the skin
displacement ``x`` obeys ``m x'' + 2 ζ ω m x' + ω² m x = F(t)`` and the surface
acceleration is ``x''``; in the Laplace domain

.. math:: \\frac{A(s)}{F(s)} = \\frac{1}{m} \\, \\frac{s^2}{s^2 + 2 \\zeta \\omega s + \\omega^2}.

Below ``f_n`` the skin follows the force quasi-statically (acceleration ≈ F''/k);
above it the acceleration is ``F/m``. The filter is discretised with the
bilinear transform, pre-warped so the resonance stays at ``f_n``.

Evidence and assumptions (physiology.md §3)
-------------------------------------------
No in-vivo natural frequency or damping ratio of gluteal soft tissue was found.
The nearest numbers are ex-vivo porcine thigh muscle with a 2.5 kg sprung mass,
resonating at ≈ 2–3 Hz horizontally and ≈ 25–40 Hz vertically (Huang, Takaza &
Simms 2015), and lower-leg soft-tissue compartments whose frequencies overlap
the 10–20 Hz of running impacts and rise with muscle force (Wakeling & Nigg
2001). Our defaults (10 Hz, ζ = 0.25), the effective mass and the depth over
which a twitch's push reaches the skin are therefore **our assumptions**, kept
as parameters. The effective mass is chosen so that a low-threshold motor unit
of gluteus maximus at mid-depth gives a skin acceleration inside the single
motor-unit mechanomyogram range measured on hand and leg muscles,
≈ 10–30 mm/s² peak-to-peak (Cescon et al. 2004, 2007).

Fat thickness defaults to 15 mm, inside the 5.6–32.1 mm of (mostly adipose)
bulk tissue measured under the ischium in sitting (Sonenblum et al. 2020).

Known mismatch: with a 10 Hz resonance a single twitch's skin acceleration
peaks ≈ 16 ms after the discharge. Cescon et al. (2007) report a time-to-peak
of 2.9–3.4 ms in their tibialis-anterior acceleration maps; what exactly was
timed is not clear from the excerpt we have, and matching it would need a
local resonance near 80 Hz, far above every soft-tissue frequency listed in
physiology.md §3, so we do not fit it.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import numpy as np
from scipy import signal

from ..errors import ParameterError, SamplingRateError
from ._base import BODY_AXES

__all__ = [
    "TissueParams",
    "acceleration_filter",
    "surface_acceleration",
    "force_transmission",
    "after_oscillation",
]


def _unit(v: tuple[float, float, float], name: str) -> tuple[float, float, float]:
    a = np.asarray(v, dtype=float)
    n = float(np.linalg.norm(a))
    if a.shape != (3,) or not math.isfinite(n) or n == 0:
        raise ParameterError(f"{name} must be a non-zero 3-vector in the body frame {BODY_AXES}")
    return tuple(float(x) for x in a / n)


@dataclasses.dataclass(frozen=True)
class TissueParams:
    """Mechanical parameters of the skin and fat over the muscle.

    Parameters
    ----------
    natural_frequency_hz : float
        Resonance of the skin/fat mass on the muscle (our assumption, 10 Hz:
        between the 2–3 Hz and 25–40 Hz ex-vivo resonances of Huang et al. 2015
        and inside the running-impact band of Wakeling & Nigg 2001).
    damping_ratio : float
        Damping ratio ζ (our assumption, 0.25; under-damped so that a wobble
        lasts a few cycles).
    effective_mass_kg : float
        Mass of the tissue patch a single motor unit moves (our assumption,
        0.3 kg; calibrated to the single-MU MMG range of Cescon et al. 2004/2007).
    fat_thickness_m : float
        Subcutaneous fat over the muscle at the sensor site (15 mm; Sonenblum
        et al. 2020 measured 5.6–32.1 mm under the ischium).
    transmission_length_m : float
        e-folding distance over which the push of a contracting motor unit
        territory spreads and fades on its way to the skin (our assumption, 20 mm).
    skin_normal : tuple of float
        Outward skin normal at the sensor site in the body frame; the default
        (−1, 0, 0) points backwards, as over the middle of the buttock.
    wobble_direction : tuple of float
        Main direction of the bulk after-oscillation in the body frame
        (default mostly vertical with some fore-aft; our assumption).
    tangential_ratio : float
        Skin acceleration along a muscle's fibres relative to that along the
        skin normal when a motor unit twitches (the bulge pushes outwards, the
        shortening drags the skin along; our assumption, 0.3).
    """

    natural_frequency_hz: float = 10.0
    damping_ratio: float = 0.25
    effective_mass_kg: float = 0.3
    fat_thickness_m: float = 0.015
    transmission_length_m: float = 0.020
    skin_normal: tuple[float, float, float] = (-1.0, 0.0, 0.0)
    wobble_direction: tuple[float, float, float] = (0.4, 0.0, 0.9)
    tangential_ratio: float = 0.3

    def __post_init__(self) -> None:
        for name in ("natural_frequency_hz", "damping_ratio", "effective_mass_kg",
                     "transmission_length_m"):
            value = float(getattr(self, name))
            if not math.isfinite(value) or value <= 0:
                raise ParameterError(f"TissueParams.{name} must be finite and > 0, got {value!r}")
        for name in ("fat_thickness_m", "tangential_ratio"):
            value = float(getattr(self, name))
            if not math.isfinite(value) or value < 0:
                raise ParameterError(f"TissueParams.{name} must be finite and ≥ 0, got {value!r}")
        object.__setattr__(self, "skin_normal", _unit(self.skin_normal, "skin_normal"))
        object.__setattr__(self, "wobble_direction",
                           _unit(self.wobble_direction, "wobble_direction"))


@functools.lru_cache(maxsize=32)
def acceleration_filter(fs: float, params: TissueParams | None = None
                        ) -> tuple[np.ndarray, np.ndarray]:
    """Digital filter (b, a) from force on the tissue (N) to skin acceleration (m/s²).

    Bilinear transform of ``s² / (m (s² + 2ζωs + ω²))`` with the resonance
    pre-warped so that it stays at ``natural_frequency_hz``.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz; must exceed twice the natural frequency.
    params : TissueParams or None
        Tissue parameters (defaults if None).

    Returns
    -------
    b, a : ndarray
        Numerator and denominator for :func:`scipy.signal.lfilter` (read-only;
        cached per rate and parameters).
    """
    p = params or TissueParams()
    fs = float(fs)
    if not math.isfinite(fs) or fs <= 2 * p.natural_frequency_hz:
        raise SamplingRateError(
            f"fs = {fs!r} Hz must exceed twice the tissue resonance "
            f"({2 * p.natural_frequency_hz:g} Hz)")
    w = 2 * fs * math.tan(math.pi * p.natural_frequency_hz / fs)  # pre-warped rad/s
    b, a = signal.bilinear([1.0 / p.effective_mass_kg, 0.0, 0.0],
                           [1.0, 2 * p.damping_ratio * w, w * w], fs=fs)
    b.setflags(write=False)
    a.setflags(write=False)
    return b, a


def surface_acceleration(force_n: np.ndarray, fs: float, *,
                         params: TissueParams | None = None) -> np.ndarray:
    """Skin acceleration produced by a force pushing on the tissue from below.

    Parameters
    ----------
    force_n : array_like, shape (..., n_samples)
        Force on the tissue in N (already scaled by :func:`force_transmission`),
        sampled at *fs*; time on the last axis, starting from rest.
    fs : float
        Sampling rate in Hz.
    params : TissueParams or None
        Tissue parameters (defaults if None).

    Returns
    -------
    ndarray, same shape as *force_n*
        Acceleration in m/s² along the direction of the force.
    """
    b, a = acceleration_filter(fs, params)
    return signal.lfilter(b, a, np.asarray(force_n, dtype=float), axis=-1)


def force_transmission(depth_m: np.ndarray, offset_m: np.ndarray | float = 0.0, *,
                       params: TissueParams | None = None) -> np.ndarray:
    """Fraction of a motor unit's twitch force that pushes on the skin patch.

    ``exp(-ρ / transmission_length_m)`` with ``ρ`` the distance from the
    territory centre to the muscle surface under the sensor (depth below the fat
    combined with the sideways offset). An assumption (no measurement of how a
    deep twitch reaches the skin was found; physiology.md §1.4, §3).

    Parameters
    ----------
    depth_m : array_like
        Depth of the territory centre below the skin in m (fat included).
    offset_m : array_like
        Sideways distance of the territory centre from the sensor axis in m.
    params : TissueParams or None
        Tissue parameters (defaults if None).

    Returns
    -------
    ndarray
        Transmission factor in (0, 1].
    """
    p = params or TissueParams()
    below = np.maximum(np.asarray(depth_m, dtype=float) - p.fat_thickness_m, 0.0)
    rho = np.hypot(below, np.asarray(offset_m, dtype=float))
    return np.exp(-rho / p.transmission_length_m)


def after_oscillation(t_stop_s: float, duration_s: float, fs: float, *, amplitude_ms2: float,
                      params: TissueParams | None = None,
                      rng: np.random.Generator) -> np.ndarray:
    """Decaying wobble of the buttock soft tissue after a movement stops.

    The free response of the wobbling mass: ``A e^{-ζω(t-t_stop)} cos(ω_d (t-t_stop) + φ)``
    with ``ω_d = ω √(1 − ζ²)``, along ``wobble_direction`` tilted slightly at
    random. Its decay time constant ``1/(ζω)`` follows from the tissue
    parameters (no measured gluteal decay time exists; physiology.md §3).

    Parameters
    ----------
    t_stop_s : float
        Time at which the movement stops, in s from the start of the output.
    duration_s : float
        Length of the output in s.
    fs : float
        Sampling rate in Hz.
    amplitude_ms2 : float
        Envelope of the acceleration at ``t_stop_s`` in m/s² (≥ 0).
    params : TissueParams or None
        Tissue parameters (defaults if None).
    rng : numpy.random.Generator
        Draws the starting phase and the tilt of the direction.

    Returns
    -------
    ndarray, shape (3, n_samples)
        Body-frame acceleration in m/s², zero before ``t_stop_s``.
    """
    p = params or TissueParams()
    if not (math.isfinite(duration_s) and duration_s >= 0 and math.isfinite(fs) and fs > 0):
        raise ParameterError("duration_s must be ≥ 0 and fs > 0")
    if not (math.isfinite(amplitude_ms2) and amplitude_ms2 >= 0):
        raise ParameterError(f"amplitude_ms2 must be finite and ≥ 0, got {amplitude_ms2!r}")
    n = int(round(duration_s * fs))
    w = 2 * math.pi * p.natural_frequency_hz
    zeta = min(p.damping_ratio, 0.999)
    wd = w * math.sqrt(1 - zeta * zeta)
    phase = rng.uniform(-math.pi, math.pi)
    direction = np.asarray(p.wobble_direction) + rng.normal(0.0, 0.1, 3)
    direction /= np.linalg.norm(direction)
    tau = np.arange(n) / fs - float(t_stop_s)
    after = tau >= 0
    wave = np.zeros(n)
    ta = tau[after]
    wave[after] = amplitude_ms2 * np.exp(-zeta * w * ta) * np.cos(wd * ta + phase)
    return direction[:, None] * wave[None, :]
