"""Units: the closed SI vocabulary used inside glutesense, and conversions into it.

Inside glutesense every channel is in SI units and declares its unit string
(``Recording.ch_units``). Conversions from what files contain (g, mg, µV, cm,
ms, ns) happen only in :mod:`glutesense.io` on input and in reporting on output.

Standard gravity is ``G0 = 9.80665 m/s²`` (CGPM 1901; the value phyphox and
Sensor Logger use).
"""

from __future__ import annotations

import re

import numpy as np

from .errors import UnitError

__all__ = [
    "G0",
    "SI_UNITS",
    "to_si_factor",
    "parse_unit",
    "infer_acc_unit",
    "AccUnitGuess",
]

#: Standard gravity in m/s².
G0 = 9.80665

#: Channel type -> SI unit string.
SI_UNITS = {
    "acc": "m/s^2",
    "gyro": "rad/s",
    "mag": "T",
    "emg": "V",
    "ecg": "V",
    "ppg": "au",
    "force": "N",
    "moment": "N*m",
    "cop": "m",
    "temp": "degC",
    "light": "lx",
    "battery": "V",
    "misc": "au",
}

# Unit aliases (lower-cased, whitespace-stripped) -> (SI unit, factor to SI).
_ALIASES: dict[str, tuple[str, float]] = {
    "m/s^2": ("m/s^2", 1.0), "m/s2": ("m/s^2", 1.0), "m/s²": ("m/s^2", 1.0),
    "m s^-2": ("m/s^2", 1.0), "ms^-2": ("m/s^2", 1.0), "ms-2": ("m/s^2", 1.0),
    "m/s/s": ("m/s^2", 1.0), "mps2": ("m/s^2", 1.0), "ms2": ("m/s^2", 1.0),
    "g": ("m/s^2", G0), "gs": ("m/s^2", G0), "gf": ("m/s^2", G0), "g-force": ("m/s^2", G0),
    "mg": ("m/s^2", G0 * 1e-3), "milli-g": ("m/s^2", G0 * 1e-3), "ug": ("m/s^2", G0 * 1e-6),
    "µg": ("m/s^2", G0 * 1e-6),
    "rad/s": ("rad/s", 1.0), "deg/s": ("rad/s", np.pi / 180), "dps": ("rad/s", np.pi / 180),
    "°/s": ("rad/s", np.pi / 180),
    "t": ("T", 1.0), "ut": ("T", 1e-6), "µt": ("T", 1e-6), "nt": ("T", 1e-9), "gauss": ("T", 1e-4),
    "v": ("V", 1.0), "mv": ("V", 1e-3), "uv": ("V", 1e-6), "µv": ("V", 1e-6),
    "n": ("N", 1.0), "kn": ("N", 1e3), "n*m": ("N*m", 1.0), "nm": ("N*m", 1.0),
    "m": ("m", 1.0), "cm": ("m", 1e-2), "mm": ("m", 1e-3),
    "degc": ("degC", 1.0), "°c": ("degC", 1.0), "c": ("degC", 1.0),
    "lx": ("lx", 1.0), "lux": ("lx", 1.0),
    "s": ("s", 1.0), "ms": ("s", 1e-3), "us": ("s", 1e-6), "µs": ("s", 1e-6), "ns": ("s", 1e-9),
    "au": ("au", 1.0), "adc": ("au", 1.0), "": ("au", 1.0),
}


def parse_unit(unit: str) -> tuple[str, float]:
    """Return ``(si_unit, factor)`` such that ``value_si = value * factor``.

    Parameters
    ----------
    unit : str
        A unit as written in a file header, e.g. ``"m/s^2"``, ``"g"``, ``"mg"``, ``"µV"``.

    Raises
    ------
    UnitError
        If the unit is unknown.

    Examples
    --------
    >>> parse_unit("mg")
    ('m/s^2', 0.00980665)
    >>> parse_unit("cm")
    ('m', 0.01)
    """
    key = re.sub(r"\s+", "", str(unit)).lower().replace("μ", "µ")
    if key in _ALIASES:
        return _ALIASES[key]
    raise UnitError(f"unknown unit {unit!r}")


def to_si_factor(unit: str) -> float:
    """Factor that converts *unit* to its SI unit (see :func:`parse_unit`)."""
    return parse_unit(unit)[1]


class AccUnitGuess(tuple):
    """``(unit, factor, gravity_included, reason)`` inferred for an acceleration triple."""

    __slots__ = ()

    def __new__(cls, unit: str, factor: float, gravity_included: bool | None, reason: str):
        return super().__new__(cls, (unit, factor, gravity_included, reason))

    unit = property(lambda self: self[0])
    factor = property(lambda self: self[1])
    gravity_included = property(lambda self: self[2])
    reason = property(lambda self: self[3])


def infer_acc_unit(xyz: np.ndarray, declared: str | None = None) -> AccUnitGuess:
    """Infer the unit of a 3-axis acceleration and whether gravity is in it.

    The rule (formats.md §1.5): the median vector norm at rest is ≈1 for g,
    ≈9.81 for m/s² with gravity, ≈1000 for mg, and ≈0 for gravity-free
    ("linear") acceleration. A declared unit is trusted for the factor, and the
    norm then only decides whether gravity is included.

    Parameters
    ----------
    xyz : ndarray, shape (3, n_samples)
        The raw values as found in the file.
    declared : str or None
        The unit stated by the file, if any.

    Returns
    -------
    AccUnitGuess
        ``unit`` (as in the file), ``factor`` to m/s², ``gravity_included``
        (None when it cannot be told) and a human-readable ``reason``.

    Raises
    ------
    UnitError
        If the values fit no known unit (e.g. a norm of 300).

    Examples
    --------
    >>> import numpy as np
    >>> g = np.array([[0.01] * 50, [0.02] * 50, [0.99] * 50])
    >>> infer_acc_unit(g).unit, infer_acc_unit(g).gravity_included
    ('g', True)
    """
    xyz = np.asarray(xyz, dtype=float)
    finite = np.all(np.isfinite(xyz), axis=0)
    if not finite.any():
        raise UnitError("acceleration has no finite samples")
    norm = np.sqrt(np.sum(xyz[:, finite] ** 2, axis=0))
    med = float(np.median(norm))
    if declared:
        si, factor = parse_unit(declared)
        if si != "m/s^2":
            raise UnitError(f"acceleration declared in {declared!r}, which is not an acceleration")
        med_si = med * factor
        if abs(med_si - G0) < 0.35 * G0:
            return AccUnitGuess(declared, factor, True,
                                f"unit {declared!r} from the file; median |a| = {med_si:.2f} m/s² → gravity included")
        if med_si < 0.35 * G0:
            return AccUnitGuess(declared, factor, False,
                                f"unit {declared!r} from the file; median |a| = {med_si:.2f} m/s² → gravity removed")
        return AccUnitGuess(declared, factor, None,
                            f"unit {declared!r} from the file; median |a| = {med_si:.2f} m/s² (unusual; in motion?)")
    # No declared unit: infer from the magnitude.
    candidates = (("g", G0, 1.0), ("m/s^2", 1.0, G0), ("mg", G0 * 1e-3, 1000.0))
    for unit, factor, expected in candidates:
        if 0.7 * expected <= med <= 1.35 * expected:
            return AccUnitGuess(unit, factor, True,
                                f"median |a| = {med:.4g} ≈ 1 g expressed in {unit} → unit {unit}, gravity included")
    if med < 0.25:
        # Could be linear acceleration in g or m/s²: both small. Phone apps that remove gravity
        # report m/s² (Android linear acceleration, iOS userAcceleration is in g but the apps convert).
        return AccUnitGuess("m/s^2", 1.0, False,
                            f"median |a| = {med:.3g} ≈ 0 → gravity removed; unit assumed m/s² (not stated in the file)")
    raise UnitError(
        f"cannot infer the acceleration unit: median |a| = {med:.4g} fits neither g (≈1), "
        "m/s² (≈9.81), mg (≈1000) nor gravity-free data (≈0); state the unit in the header"
    )
