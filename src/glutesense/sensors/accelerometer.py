"""A phone or wearable accelerometer on or near the buttock.

From body-frame, gravity-free acceleration (m/s², the body models' contract)
to what the device reports: sensor-frame specific force with gravity, offset,
noise, range clipping, quantisation and sample-time jitter.

Steps (in order)
----------------
1. **Coupling to the site.** Mechanisms act on the body in two ways. Whole-body
   motion (postural sway, BCG recoil, transmitted vibration, voluntary
   movement) moves the device with the body (coupling 1). *Local* tissue motion
   (a twitch, a nerve burst, a local arterial pulse) moves a patch of skin a few
   centimetres wide; a 150–200 g phone in a fabric pocket rides on that patch
   only partly (heavy sensors ride on the tissue resonance; ≤ 13 g is
   recommended for mechanomyography, physiology.md §1.4, §8.1). The fraction
   of local skin acceleration a device sees, ``local_coupling``, is **our
   assumption**: back pocket 0.3, under the buttock on a chair 0.2 (the seat
   clamps it), hip-worn wearable (light, strapped over gluteus medius) 0.6. A
   sEMG electrode on the skin sees the full potential (coupling 1), which is why
   a back-pocket phone misses small twitches that the EMG shows.
   Vibration reaches the device at the seat surface (phone under the buttock,
   or in the back pocket of a seated person) or through the seated body at the
   pelvis (:meth:`AccelerometerParams.site`).
2. **Orientation.** ``back_pocket`` and ``hip_wearable``: a uniformly random
   rotation (:meth:`scipy.spatial.transform.Rotation.random` with the given
   generator); ``under_buttock``: lying flat on the seat, screen up or down at
   random, with a uniformly random heading.
3. **Gravity.** The accelerometer measures specific force: body acceleration
   plus +g along body z (standard gravity 9.80665 m/s²), rotated into the
   sensor frame.
4. **Offset** per axis, N(0, ``offset_mg_sd``); datasheets quote ±40–60 mg
   zero-g offset before calibration (physiology.md §8.1); phones calibrate, so
   the default SD 10 mg is our assumption.
5. **Noise**: white, ``noise_density_ug_rthz`` = 150 µg/√Hz (BMI160/BMA255,
   physiology.md §8.1) over the output bandwidth fs/2, i.e. an r.m.s. of
   ``density · √(fs/2)``.
6. **Sample-time jitter.** Phones do not sample exactly on the grid. We keep a
   uniform grid (what :meth:`Recording.from_timestamps` produces from a phone
   log anyway) and put the timing error into the values: the sample written
   at ``k/fs`` is the signal at ``k/fs + e_k`` (first-order, ``x + e·dx/dt``),
   with ``e_k ~ N(0, jitter_s_sd)`` (0.5 ms, our assumption). The jitter SD is
   recorded in ``meta["sensor"]``; app-format writers may add it to their time
   stamps.
7. **Range clipping** at ±``range_g`` and **quantisation** to 16 bits over the
   full range (2·range/2¹⁶, e.g. 0.0024 m/s² at ±8 g; physiology.md §8.1).
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from ..errors import ParameterError
from ..units import G0

__all__ = ["AccelerometerParams", "PLACEMENTS", "placement_defaults", "orientation", "record_acc"]

#: Placement -> local coupling factor (our assumption), vibration site, orientation kind.
PLACEMENTS: dict[str, dict[str, Any]] = {
    "back_pocket": {"local_coupling": 0.3, "site": "pelvis", "orientation": "random"},
    "under_buttock": {"local_coupling": 0.2, "site": "seat", "orientation": "flat"},
    "hip_wearable": {"local_coupling": 0.6, "site": "pelvis", "orientation": "random"},
}


@dataclasses.dataclass(frozen=True)
class AccelerometerParams:
    """A MEMS accelerometer (defaults: a phone, physiology.md §8.1).

    Attributes
    ----------
    placement : str
        One of :data:`PLACEMENTS`.
    noise_density_ug_rthz : float
        Noise density in µg/√Hz (150: BMI160/BMA255; 75–160 across parts).
    range_g : float
        Full-scale range ±g (2, 4, 8 or 16 on common parts).
    bits : int
        ADC resolution over the full range (16).
    offset_mg_sd : float
        SD of the residual zero-g offset per axis in mg (our assumption after calibration).
    jitter_s_sd : float
        SD of the sample-time error in s (our assumption).
    local_coupling : float or None
        Override of the placement's local coupling factor.
    """

    placement: str = "back_pocket"
    noise_density_ug_rthz: float = 150.0
    range_g: float = 8.0
    bits: int = 16
    offset_mg_sd: float = 10.0
    jitter_s_sd: float = 0.0005
    local_coupling: float | None = None

    def __post_init__(self) -> None:
        if self.placement not in PLACEMENTS:
            raise ParameterError(f"placement must be one of {sorted(PLACEMENTS)}, got {self.placement!r}")
        if not (self.range_g > 0 and self.bits >= 8 and self.noise_density_ug_rthz >= 0
                and self.offset_mg_sd >= 0 and self.jitter_s_sd >= 0):
            raise ParameterError(
                "accelerometer range must be > 0, bits ≥ 8, noise, offset and jitter ≥ 0")

    @property
    def coupling(self) -> float:
        """Fraction of local skin acceleration the device sees."""
        if self.local_coupling is not None:
            return float(self.local_coupling)
        return float(PLACEMENTS[self.placement]["local_coupling"])

    def site(self, posture: str = "sitting") -> str:
        """Vibration transmission site (see :mod:`glutesense.body.seat`) in *posture*.

        A phone in the back pocket of a *seated* person is clamped between the
        buttock and the seat, so it moves with the seat surface; standing, it
        rides on the buttock (the pelvis).
        """
        if self.placement == "back_pocket" and posture == "sitting":
            return "seat"
        return str(PLACEMENTS[self.placement]["site"])

    @property
    def lsb_ms2(self) -> float:
        """Quantisation step in m/s²."""
        return 2 * self.range_g * G0 / 2**self.bits


def placement_defaults(placement: str) -> dict[str, Any]:
    """The coupling, site and orientation kind of *placement*."""
    if placement not in PLACEMENTS:
        raise ParameterError(f"placement must be one of {sorted(PLACEMENTS)}, got {placement!r}")
    return dict(PLACEMENTS[placement])


def orientation(placement: str, rng: np.random.Generator) -> Rotation:
    """Rotation from the sensor frame to the body frame for *placement*."""
    kind = placement_defaults(placement)["orientation"]
    if kind == "random":
        return Rotation.random(random_state=rng)
    heading = Rotation.from_euler("z", rng.uniform(0, 2 * np.pi))
    flip = Rotation.from_euler("x", np.pi * rng.integers(0, 2))
    return heading * flip


class AccelerometerState:
    """Per-recording draws (orientation, offset) and generators, applied chunk by chunk.

    Parameters
    ----------
    fs : float
        Sampling rate in Hz.
    rng : numpy.random.Generator
        Parent generator (children: orientation, offset, noise, jitter).
    params : AccelerometerParams
        Device parameters.
    """

    def __init__(self, fs: float, *, rng: np.random.Generator,
                 params: AccelerometerParams = AccelerometerParams()) -> None:
        self.fs, self.p = float(fs), params
        r_rot, r_off, r_noise, self.r_jit = rng.spawn(4)
        self.r_noise = r_noise.spawn(3)              # one stream per axis: chunking-invariant
        self.rotation = orientation(params.placement, r_rot)
        self.matrix = self.rotation.inv().as_matrix()          # body → sensor
        self.offset = r_off.normal(0.0, params.offset_mg_sd * 1e-3 * G0, 3)
        self.noise_rms = params.noise_density_ug_rthz * 1e-6 * G0 * math.sqrt(self.fs / 2)
        self._last: np.ndarray | None = None

    def __call__(self, body_acc: np.ndarray) -> np.ndarray:
        """Sensor output (3, n) in m/s², sensor frame, gravity included, for the next chunk."""
        p = self.p
        n = body_acc.shape[1]
        f = np.array(body_acc, dtype=float, copy=True)
        f[2] += G0
        if p.jitter_s_sd > 0:
            first = f[:, :1] if self._last is None else self._last[:, None]
            slope = np.diff(f, axis=1, prepend=first) * self.fs
            self._last = f[:, -1].copy()
            f += slope * self.r_jit.normal(0.0, p.jitter_s_sd, n)
        out = self.matrix @ f + self.offset[:, None]
        for k in range(3):
            out[k] += self.noise_rms * self.r_noise[k].standard_normal(n)
        lim = p.range_g * G0
        np.clip(out, -lim, lim - self.p.lsb_ms2, out=out)
        return np.round(out / p.lsb_ms2) * p.lsb_ms2

    def describe(self) -> dict[str, Any]:
        """JSON-ready description for ``meta["sensor"]``."""
        p = self.p
        return {"kind": "accelerometer", "placement": p.placement,
                "orientation_quat_xyzw": [round(float(v), 6) for v in self.rotation.as_quat()],
                "noise_density_ug_rthz": p.noise_density_ug_rthz, "range_g": p.range_g,
                "bits": p.bits, "lsb_ms2": p.lsb_ms2, "jitter_s_sd": p.jitter_s_sd,
                "local_coupling": p.coupling, "offset_ms2": [float(v) for v in self.offset]}


def record_acc(body_acc: np.ndarray, fs: float, *, rng: np.random.Generator,
               params: AccelerometerParams = AccelerometerParams()) -> tuple[np.ndarray, dict[str, Any]]:
    """Turn body-frame acceleration into a device recording in one go.

    Parameters
    ----------
    body_acc : ndarray, shape (3, n)
        Body-frame acceleration at the device, m/s², gravity-free, local
        sources already multiplied by the coupling factor.
    fs : float
        Sampling rate in Hz.
    rng : numpy.random.Generator
        Parent generator.
    params : AccelerometerParams
        Device parameters.

    Returns
    -------
    acc : ndarray, shape (3, n)
        Sensor-frame acceleration with gravity, m/s².
    meta : dict
        Description of the device and its draws.

    Examples
    --------
    >>> import numpy as np
    >>> acc, meta = record_acc(np.zeros((3, 1000)), 100.0, rng=np.random.default_rng(0))
    >>> 9.6 < float(np.median(np.linalg.norm(acc, axis=0))) < 10.0
    True
    """
    body_acc = np.asarray(body_acc, dtype=float)
    if body_acc.ndim != 2 or body_acc.shape[0] != 3:
        raise ParameterError(f"body_acc must have shape (3, n), got {body_acc.shape}")
    state = AccelerometerState(fs, rng=rng, params=params)
    return state(body_acc), state.describe()
