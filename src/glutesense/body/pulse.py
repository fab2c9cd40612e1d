"""Pulse mechanism: ballistocardiogram (whole-body recoil) and local gluteal arterial pulsation.

Heart rate
----------
The instantaneous heart rate is a baseline trajectory plus heart-rate
variability (HRV):

* baseline: ``heart_rate_bpm`` at rest; after exercise (``exercise_end_s``
  given) it falls from ``peak_heart_rate_bpm`` along a two-phase exponential,
  ``HR(t) = HR_rest + ΔHR (w e^(−t/τ_fast) + (1 − w) e^(−t/τ_slow))``. Exponential
  fits are standard (Joseph et al., Indian J Physiol Pharmacol 67:125);
  τ_fast = 55 s is the fitness cut-off of Wang, Su & Celler (2006, 75 W
  cycling), w = 0.5 and τ_slow = 600 s are our assumptions. With the defaults
  (150 → 70 bpm) the fall in the first minute is ≈ 30 bpm, i.e. normal by Cole
  et al. (1999, NEJM: ≤ 12 bpm is abnormal).
* HRV: a respiratory sinus arrhythmia component (HF) at the breathing rate
  (0.2–0.33 Hz, physiology.md §5) and a Mayer-wave (LF, ≈ 0.1 Hz) component
  made of band-limited noise; amplitudes in bpm are parameters (our
  assumptions: 2 and 1.5 bpm r.m.s.). Beats follow from an integral
  pulse-frequency-modulation (IPFM) model: a beat occurs each time the integral
  of HR/60 crosses an integer.

BCG waveform
------------
Each beat adds an H-I-J-K-L complex along the head-to-foot axis (body z) and a
smaller dorso-ventral component (x); J is the largest wave and the usual
fiducial (Pinheiro et al. 2010; Inan et al. 2015). Per-wave amplitudes and
timings were not extracted, so the template (Gaussians; H +0.25, I −0.55,
J +1.0, K −0.7, L +0.3 at 0.13–0.36 s after the R wave) is our assumption;
R→J ≈ 0.22 s lies in the 180–240 ms reported at rest (low-confidence source,
physiology.md §5). The template is scaled so that the BCG r.m.s. at rest is
``bcg_rms_mg`` = 1 mg (derived from Inan, Carek & Wiens 2015: +360 µg = +36 %).
Respiration modulates the amplitude (±``resp_amplitude_fraction``, our
assumption 15 %) and the R→J delay (±15 ms; physiology.md §5, low confidence).
Exercise raises the amplitude with stroke volume and contractility; we scale
it by ``(HR / HR_rest) ** amplitude_hr_exponent`` (exponent 1, our assumption;
Inan 2015 report +36 % with a larger stroke volume in cold water).

Local arterial pulsation
------------------------
The superior/inferior gluteal arteries pulse under the skin; no values were
found (physiology.md §5), so the skin is displaced by a systolic and a dicrotic
Gaussian (``local_displacement_um`` = 5 µm, our assumption) arriving
``pulse_transit_s`` = 0.2 s after R (our assumption); the acceleration is the
analytic second derivative, normal to the skin (x).

Truth
-----
``beats_s`` are J-peak times (the BCG fiducial a detector finds); per-beat
annotations carry the instantaneous heart rate (60 / RR) as value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import signal

from ..errors import ParameterError
from ..recording import Annotations
from ..units import G0
from ._base import MechanismOutput, build_params

__all__ = ["PulseParams", "PulseModel", "simulate", "heart_rate_trajectory", "BCG_WAVES"]

#: BCG wave template: (label, delay after R in s, relative amplitude, Gaussian SD in s). Our assumption.
BCG_WAVES = (("H", 0.13, 0.25, 0.018), ("I", 0.17, -0.55, 0.016), ("J", 0.22, 1.0, 0.020),
             ("K", 0.28, -0.7, 0.022), ("L", 0.36, 0.3, 0.030))
_J_DELAY_S = 0.22


@dataclasses.dataclass(frozen=True)
class PulseParams:
    """Parameters of the pulse mechanism (sources in the module docstring).

    Attributes
    ----------
    heart_rate_bpm : float
        Resting heart rate (60–100 bpm conventional range, [U] in physiology.md).
    peak_heart_rate_bpm : float or None
        Heart rate at the end of exercise; None for no exercise.
    exercise_end_s : float or None
        Time at which exercise ended (may be ≤ 0: before the recording started).
    recovery_fast_s, recovery_slow_s, recovery_fast_fraction : float
        Two-phase recovery (Wang et al. 2006 for the fast constant; the rest our assumption).
    breathing_rate_hz : float
        Breathing rate (0.20–0.33 Hz, physiology.md §5).
    hf_bpm, lf_bpm : float
        R.m.s. of the respiratory and Mayer-wave HR components (our assumptions).
    bcg_rms_mg : float
        BCG r.m.s. at rest in mg (≈ 1 mg, derived from Inan et al. 2015).
    bcg_x_fraction : float
        Dorso-ventral (x) BCG relative to head-to-foot (z) (our assumption).
    resp_amplitude_fraction, resp_rj_s : float
        Respiratory modulation of amplitude and of the R→J delay.
    amplitude_hr_exponent : float
        BCG amplitude ∝ (HR/HR_rest)^exponent (our assumption).
    local_displacement_um, pulse_transit_s : float
        Local gluteal arterial pulsation (our assumptions).
    """

    heart_rate_bpm: float = 68.0
    peak_heart_rate_bpm: float | None = None
    exercise_end_s: float | None = None
    recovery_fast_s: float = 55.0
    recovery_slow_s: float = 600.0
    recovery_fast_fraction: float = 0.5
    breathing_rate_hz: float = 0.25
    hf_bpm: float = 2.0
    lf_bpm: float = 1.5
    bcg_rms_mg: float = 1.0
    bcg_x_fraction: float = 0.4
    resp_amplitude_fraction: float = 0.15
    resp_rj_s: float = 0.015
    amplitude_hr_exponent: float = 1.0
    local_displacement_um: float = 5.0
    pulse_transit_s: float = 0.2

    def __post_init__(self) -> None:
        if not 25.0 <= self.heart_rate_bpm <= 220.0:
            raise ParameterError(f"heart_rate_bpm must be in 25–220, got {self.heart_rate_bpm}")
        if (self.peak_heart_rate_bpm is None) != (self.exercise_end_s is None):
            raise ParameterError("give both peak_heart_rate_bpm and exercise_end_s, or neither")


def heart_rate_trajectory(t_s: np.ndarray, p: PulseParams) -> np.ndarray:
    """Baseline heart rate (bpm) at times *t_s*: resting, or recovering after exercise."""
    hr = np.full(np.shape(t_s), float(p.heart_rate_bpm))
    if p.peak_heart_rate_bpm is None:
        return hr
    u = np.asarray(t_s, dtype=float) - float(p.exercise_end_s)
    w = p.recovery_fast_fraction
    u = np.maximum(u, 0.0)
    decay = w * np.exp(-u / p.recovery_fast_s) + (1 - w) * np.exp(-u / p.recovery_slow_s)
    return hr + (p.peak_heart_rate_bpm - p.heart_rate_bpm) * decay


def _gauss_template(fs: float) -> tuple[np.ndarray, np.ndarray]:
    """BCG template (unit J) sampled on a grid of ±0.5 s around R, and its grid (s)."""
    tt = np.arange(-0.05, 0.50, 1.0 / fs)
    tmpl = np.zeros_like(tt)
    for _, mu, a, sd in BCG_WAVES:
        tmpl += a * np.exp(-0.5 * ((tt - mu) / sd) ** 2)
    return tt, tmpl


class PulseModel:
    """Beat times and waveforms over the whole duration, rendered chunk by chunk.

    Beat times (a few per second) are computed once for the whole duration;
    waveforms are rendered per chunk, so chunk seams are exact.
    ``local_coupling`` scales the local arterial pulsation (a skin-patch motion)
    for devices that do not ride fully on the skin (see
    :mod:`glutesense.sensors.accelerometer`); the BCG is whole-body motion.
    """

    def __init__(self, duration_s: float, fs: float, *, rng: np.random.Generator,
                 params: PulseParams = PulseParams(), local_coupling: float = 1.0) -> None:
        self.duration_s, self.fs, self.p = float(duration_s), float(fs), params
        self.local_coupling = float(local_coupling)
        self.n_total = int(round(self.duration_s * self.fs))
        r_lf, r_phase = rng.spawn(2)
        # HR on a 10 Hz grid (HRV content < 0.5 Hz), a little past the end
        fs_hr = 10.0
        t = np.arange(0.0, self.duration_s + 3.0, 1.0 / fs_hr)
        resp_phase = 2 * np.pi * params.breathing_rate_hz * t + r_phase.uniform(0, 2 * np.pi)
        sos_lf = signal.butter(2, [0.04, 0.15], btype="bandpass", fs=fs_hr, output="sos")
        lf = signal.sosfilt(sos_lf, r_lf.standard_normal(t.size + int(200 * fs_hr)))[int(200 * fs_hr):]
        lf *= params.lf_bpm / (lf.std() + 1e-12)
        base = heart_rate_trajectory(t, params)
        hr = base + math.sqrt(2) * params.hf_bpm * np.sin(resp_phase) + lf
        hr = np.clip(hr, 25.0, 220.0)
        # IPFM: a beat (R wave) each time ∫HR/60 dt crosses an integer
        cum = np.concatenate([[0.0], np.cumsum(hr[:-1] / 60.0 / fs_hr)]) + r_phase.uniform(0, 1)
        k = np.arange(math.ceil(cum[0]), math.floor(cum[-1]) + 1)
        r_times = np.interp(k, cum, t)
        self.r_times = r_times
        rr = np.diff(r_times, prepend=r_times[0] - 60.0 / hr[0])
        self.inst_hr = 60.0 / rr
        resp_r = np.interp(r_times, t, np.sin(resp_phase))
        base_r = heart_rate_trajectory(r_times, params)
        amp = (base_r / params.heart_rate_bpm) ** params.amplitude_hr_exponent
        self.amp = amp * (1 + params.resp_amplitude_fraction * resp_r)
        self.shift = params.resp_rj_s * resp_r
        self.j_times = r_times + _J_DELAY_S + self.shift
        self.scale = self._scale_for_rms()
        self.pos = 0
        self._sq = 0.0

    def _scale_for_rms(self) -> float:
        """Template scale giving ``bcg_rms_mg`` at the resting rate (amplitude 1, 60 s of beats)."""
        fs = self.fs
        tt, tmpl = _gauss_template(fs)
        period = 60.0 / self.p.heart_rate_bpm
        n = int(round(60.0 * fs))
        x = np.zeros(n)
        for r in np.arange(0.0, 60.0 - 0.5, period):
            i = np.round((r + tt) * fs).astype(int)
            ok = (i >= 0) & (i < n)
            x[i[ok]] += tmpl[ok]
        return self.p.bcg_rms_mg * 1e-3 * G0 / math.sqrt(np.mean(x**2))

    def render(self, n: int) -> np.ndarray:
        """Return body-frame acceleration (3, n) for the next *n* samples."""
        p, fs = self.p, self.fs
        i0 = self.pos
        t0, t1 = i0 / fs, (i0 + n) / fs
        acc = np.zeros((3, n))
        sel = np.flatnonzero((self.r_times > t0 - 0.6) & (self.r_times < t1 + 0.1))
        if sel.size:
            # BCG: evaluate every wave of every beat on its own window (sub-sample timing)
            span = np.arange(int(-0.1 * fs), int(0.5 * fs) + 1)
            r = self.r_times[sel]
            centre = np.round(r * fs).astype(int)
            idx = centre[:, None] + span[None, :]
            tt = idx / fs - r[:, None]
            z = np.zeros(idx.shape)
            for label, mu, a, sd in BCG_WAVES:
                mu_b = mu + (self.shift[sel][:, None] if label in ("J", "K", "L") else 0.0)
                z += a * np.exp(-0.5 * ((tt - mu_b) / sd) ** 2)
            z *= (self.scale * self.amp[sel])[:, None]
            # local arterial pulsation: d(t) = D [g(t−t1) + 0.3 g(t−t1−0.25)], a = d''
            d = p.local_displacement_um * 1e-6 * self.local_coupling
            loc = np.zeros(idx.shape)
            for delay, frac, sd in ((p.pulse_transit_s, 1.0, 0.05), (p.pulse_transit_s + 0.25, 0.3, 0.06)):
                u = (tt - delay) / sd
                loc += d * frac * (u**2 - 1) / sd**2 * np.exp(-0.5 * u**2)
            local = idx - i0
            ok = (local >= 0) & (local < n)
            zz = np.bincount(local[ok], weights=z[ok], minlength=n)
            acc[2] = zz
            acc[0] = p.bcg_x_fraction * zz + np.bincount(local[ok], weights=loc[ok], minlength=n)
        self._sq += float(np.sum(acc[2] ** 2))
        self.pos += n
        return acc

    @property
    def annotations(self) -> Annotations:
        """One ``beat`` per J peak inside the recording, value = instantaneous HR (bpm)."""
        keep = (self.j_times >= 0) & (self.j_times < self.duration_s)
        j = self.j_times[keep]
        return Annotations(j, np.zeros(j.size), ["beat"] * j.size, ["pulse"] * j.size,
                           ["truth"] * j.size, self.inst_hr[keep])

    def truth(self) -> dict[str, Any]:
        """The ``pulse`` truth block (DESIGN §4.3 keys)."""
        keep = (self.j_times >= 0) & (self.j_times < self.duration_s)
        j = self.j_times[keep]
        hr = float(60.0 * (j.size - 1) / (j[-1] - j[0])) if j.size > 1 else None
        return {"present": True, "heart_rate_bpm": hr, "beats_s": [round(float(x), 4) for x in j],
                "bcg_rms_ms2": math.sqrt(self._sq / max(self.pos, 1)),
                "breathing_rate_hz": self.p.breathing_rate_hz}


def _params_from(kw: Mapping[str, Any]) -> PulseParams:
    return build_params(PulseParams, kw, mechanism="pulse")


def simulate(duration_s: float, fs: float, *, rng: np.random.Generator, emg_fs: float | None = None,
             **params: Any) -> MechanismOutput:
    """Simulate the pulse mechanism (BCG + local pulsation) in one go.

    Parameters
    ----------
    duration_s, fs : float
        Duration (s) and rate (Hz).
    rng : numpy.random.Generator
        Parent generator.
    emg_fs : float or None
        Unused (the pulse has no EMG); accepted for the common signature.
    **params
        Fields of :class:`PulseParams`.

    Returns
    -------
    MechanismOutput

    Examples
    --------
    >>> import numpy as np
    >>> out = simulate(60.0, 100.0, rng=np.random.default_rng(0), heart_rate_bpm=60)
    >>> 55 < out.truth["heart_rate_bpm"] < 65
    True
    """
    model = PulseModel(duration_s, fs, rng=rng, params=_params_from(params))
    acc = model.render(model.n_total)
    return MechanismOutput("pulse", acc, float(fs), None, None, model.annotations, model.truth())
