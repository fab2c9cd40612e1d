"""Transmission of seat (or floor) vibration through the seated body to the sensor site.

The seated body is a base-excited single-degree-of-freedom system per axis:
the seat surface moves, the pelvis and buttock mass follow through the
compliance of the buttock tissue and spine. Its transmissibility (seat surface
→ body) is

.. math:: T(s) = \\frac{2\\zeta\\omega s + \\omega^2}{s^2 + 2\\zeta\\omega s + \\omega^2}

and the normalised apparent mass of the same model is ``M(f)/M(0) = T(f)``.

Parameters and sources (physiology.md §7.5)
-------------------------------------------
* Vertical: principal resonance of the seated body ≈ 4–6 Hz; 5 Hz with
  ζ = 0.224 as in a public spine model (primary source not named, [U]). These
  are the defaults; |T| peaks at ≈ 4.8 Hz with a gain of ≈ 2.4.
* Fore-aft and lateral: single-axis data do not transfer to multi-axis
  (Holmlund & Lundström 2001) and no numbers were extracted; we take a lower,
  more damped resonance, 2 Hz with ζ = 0.35 (our assumption).
* A standing person is given the same vertical model (our assumption).

Sites
-----
``pelvis`` (a phone in the back pocket or a hip-worn wearable) receives the
transmitted motion; ``seat`` (a phone under the buttock, lying on the chair)
moves with the seat surface (T = 1).

The filters are realised by zero-order-hold discretisation (accurate to ≈ 1 %
up to fs/4) and carry their state across chunks.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
from scipy import signal

from ..errors import ParameterError

__all__ = ["SeatedBodyParams", "transmissibility", "apparent_mass", "resonance_sos",
           "BodyTransmission", "SITES"]

#: Sensor sites and whether they ride on the body (True) or on the seat surface (False).
SITES = {"pelvis": True, "seat": False}


@dataclasses.dataclass(frozen=True)
class SeatedBodyParams:
    """Seat-to-body transmissibility per body axis (x, y, z); sources in the module docstring."""

    vertical_natural_hz: float = 5.0
    vertical_damping_ratio: float = 0.224
    horizontal_natural_hz: float = 2.0
    horizontal_damping_ratio: float = 0.35

    def __post_init__(self) -> None:
        for name in ("vertical_natural_hz", "vertical_damping_ratio", "horizontal_natural_hz",
                     "horizontal_damping_ratio"):
            v = float(getattr(self, name))
            if not math.isfinite(v) or v <= 0:
                raise ParameterError(f"SeatedBodyParams.{name} must be finite and > 0, got {v!r}")

    def axes(self) -> tuple[tuple[float, float], ...]:
        """(natural frequency Hz, damping ratio) for x, y, z."""
        h = (self.horizontal_natural_hz, self.horizontal_damping_ratio)
        return (h, h, (self.vertical_natural_hz, self.vertical_damping_ratio))


def transmissibility(f_hz: np.ndarray, params: SeatedBodyParams = SeatedBodyParams()) -> np.ndarray:
    """Complex seat-to-body transmissibility ``T(j2πf)`` per axis.

    Parameters
    ----------
    f_hz : array_like
        Frequencies in Hz.
    params : SeatedBodyParams
        Model parameters.

    Returns
    -------
    ndarray of complex, shape (3, n_f)
        Transmissibility for x, y, z.

    Examples
    --------
    >>> import numpy as np
    >>> f = np.linspace(0.5, 20, 400)
    >>> 4.0 < f[np.argmax(abs(transmissibility(f)[2]))] < 6.0
    True
    """
    s = 2j * np.pi * np.asarray(f_hz, dtype=float)
    out = []
    for fn, z in params.axes():
        w = 2 * np.pi * fn
        out.append((2 * z * w * s + w * w) / (s * s + 2 * z * w * s + w * w))
    return np.array(out)


def resonance_sos(fn_hz: float, damping_ratio: float, fs: float) -> np.ndarray:
    """Base-excitation transmissibility ``(2ζωs + ω²)/(s² + 2ζωs + ω²)`` as digital SOS.

    Zero-order-hold discretisation: its magnitude stays within ≈ 1 % of the
    analogue one up to a quarter of the sampling rate (the bilinear transform
    loses ≈ 30 % there at 50 Hz), which matters because phones sample at 50–100 Hz.
    """
    w = 2 * math.pi * fn_hz
    a_c = np.array([[0.0, 1.0], [-w * w, -2 * damping_ratio * w]])
    b_c = np.array([[0.0], [1.0]])
    c_c = np.array([[w * w, 2 * damping_ratio * w]])
    ad, bd, cd, _, _ = signal.cont2discrete((a_c, b_c, c_c, np.zeros((1, 1))), 1.0 / fs, method="zoh")
    # SISO with D = 0: numerator det(zI − A + BC) − det(zI − A), denominator det(zI − A)
    den = np.poly(ad)
    num = np.poly(ad - bd @ cd) - den
    return np.concatenate([num, den])[None, :]


def apparent_mass(f_hz: np.ndarray, seated_mass_kg: float = 52.5,
                  params: SeatedBodyParams = SeatedBodyParams()) -> np.ndarray:
    """Vertical apparent mass ``M(f) = F_seat / a_seat`` of the single-degree-of-freedom body, kg.

    For a mass on a spring and damper driven at its base, ``M(f) = m T(f)``: the
    static mass at low frequency, a peak at the principal resonance (4–6 Hz,
    physiology.md §7.5) and a fall above it.

    Parameters
    ----------
    f_hz : array_like
        Frequencies in Hz.
    seated_mass_kg : float
        Mass supported by the seat; 70 % of a 75 kg adult by default (our
        assumption: the feet and part of the thighs rest on the floor).
    params : SeatedBodyParams
        Model parameters.

    Returns
    -------
    ndarray of complex
        Apparent mass in kg.
    """
    return seated_mass_kg * transmissibility(f_hz, params)[2]


class BodyTransmission:
    """Stateful filter from seat-surface acceleration (3, n) to the sensor site.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz.
    site : {"pelvis", "seat"}
        Where the sensor is (see :data:`SITES`).
    params : SeatedBodyParams
        Model parameters.
    """

    def __init__(self, fs: float, site: str = "pelvis",
                 params: SeatedBodyParams = SeatedBodyParams()) -> None:
        if site not in SITES:
            raise ParameterError(f"site must be one of {sorted(SITES)}, got {site!r}")
        self.on_body = SITES[site]
        self.sos = []
        for fn, z in params.axes():
            if fn >= 0.45 * fs:
                raise ParameterError(f"fs = {fs:g} Hz is too low for a {fn:g} Hz body resonance")
            self.sos.append(resonance_sos(fn, z, fs))
        self.zi = [np.zeros((s.shape[0], 2)) for s in self.sos]

    def __call__(self, acc_seat: np.ndarray) -> np.ndarray:
        """Filter the next chunk of seat acceleration (3, n) → sensor-site acceleration (3, n)."""
        if not self.on_body:
            return np.array(acc_seat, dtype=float, copy=True)
        out = np.empty_like(acc_seat, dtype=float)
        for k in range(3):
            out[k], self.zi[k] = signal.sosfilt(self.sos[k], acc_seat[k], zi=self.zi[k])
        return out
