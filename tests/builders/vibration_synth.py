"""An independent generator of environmental-vibration test signals (issue 5).

Written for the vibration detector's tests from textbook signal models, and
deliberately unlike :mod:`glutesense.body` (which the analyser must never see).
Every case is a gravity-free body-frame acceleration (rows: horizontal 1,
horizontal 2, vertical; m/s²) with white sensor noise of a known RMS, plus
the ground truth: the source class and, for appliances, the drum frequency.

Sources are synthesised in continuous time (analytic tones, or noise shaped in
the frequency domain at :data:`FS_HI`) and then *sampled* at the requested
rate without an anti-aliasing filter, as a phone or MEMS sensor without one
would: content above Nyquist folds back (music bass at 50 Hz sampling!).

Classes
-------
vehicle
    Gaussian road noise through a sprung-mass resonance (1–1.8 Hz) and a
    wheel-hop mode (10–15 Hz), both seen through the seated body's vertical
    resonance (4–6 Hz; physiology.md §7.5), plus a weak rough-road floor to
    80 Hz and slow roughness changes;
    with probability 0.6 an engine-order tone (4 or 6 cylinders, rpm drifting
    between 600 and 2500) on top.
appliance
    A washing-machine drum (13–27 Hz, physiology.md §7.4: 800–1600 rpm):
    rotating unbalance (1×) with a few integer harmonics, slight speed wobble,
    an optional run-up sweep (force ∝ speed²) before the steady spin, and a
    weak broadband floor.
music
    Beat-periodic bass at 60–180 bpm: a kick drum (40–70 Hz, pitch drop,
    50–150 ms decay) on every beat plus bass-line notes (30–100 Hz with a 2nd
    harmonic) sustained for part of each beat.
other
    Either stationary broadband noise with a flat spectrum between 0.5–2 Hz and
    40–200 Hz (white-ish; aliased when sampled slowly) or an irregular
    (Poisson) train of impacts ringing a structural mode of 8–60 Hz.

Non-vibration cases: ``quiet`` (sensor noise only), ``heartbeat`` (a
ballistocardiogram-like I-J-K complex at 50–100 bpm with heart-rate
variability, ≈ 1 mg RMS as in physiology.md §3) and ``sway`` (< 1 Hz postural
sway of 0.02–0.15 m/s²).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

__all__ = ["VibCase", "FS_HI", "CLASSES", "NON_VIBRATION", "make", "vehicle", "appliance",
           "music", "other", "quiet", "heartbeat", "sway", "to_prepared"]

#: Internal "continuous-time" rate for noise-shaped sources, Hz (a multiple of 50, 100, 200, 400).
FS_HI = 2000.0
#: The four source classes of the report (DESIGN §4.3).
CLASSES = ("vehicle", "appliance", "music", "other")
#: Cases that contain no environmental vibration.
NON_VIBRATION = ("quiet", "heartbeat", "sway")


@dataclasses.dataclass
class VibCase:
    """One generated recording and its ground truth.

    Attributes
    ----------
    acc : ndarray, shape (3, n)
        Gravity-free acceleration (h1, h2, vertical), m/s², sensor noise included.
    fs : float
        Sampling rate, Hz.
    kind : str
        ``vehicle``, ``appliance``, ``music``, ``other`` or a non-vibration kind.
    noise_rms : float
        RMS of the white sensor noise on each axis, m/s².
    dominant_hz : float or None
        The drum frequency (appliances; the steady spin after any run-up), else None.
    params : dict
        Everything drawn at random (for failure messages).
    """

    acc: np.ndarray
    fs: float
    kind: str
    noise_rms: float
    dominant_hz: float | None
    params: dict[str, Any]

    @property
    def vibration(self) -> bool:
        """Whether the case contains environmental vibration."""
        return self.kind in CLASSES


def _times(duration_s: float, fs: float) -> np.ndarray:
    return np.arange(int(round(duration_s * fs))) / fs


def _shaped_noise(rng: np.random.Generator, n: int, fs: float, gain) -> np.ndarray:
    """Gaussian noise with amplitude response ``gain(f)`` (frequency-domain shaping), unit RMS
    (all zero when no frequency of the record's grid passes the gain)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1.0 / fs)
    x = np.fft.irfft(spec * gain(f), n)
    sd = x.std()
    return x / sd if sd > 0 else x


def _resonance(f: np.ndarray, fn: float, zeta: float) -> np.ndarray:
    """|H| of a base-excited single-degree-of-freedom system (transmissibility)."""
    r = f / fn
    return np.sqrt((1 + (2 * zeta * r) ** 2) / ((1 - r**2) ** 2 + (2 * zeta * r) ** 2))


def _sample(x_hi: np.ndarray, fs: float) -> np.ndarray:
    """Pick every k-th sample of an FS_HI signal: sampling without anti-aliasing."""
    k = int(round(FS_HI / fs))
    if abs(FS_HI / k - fs) > 1e-9:
        raise ValueError(f"fs must divide {FS_HI:g} Hz, got {fs}")
    return x_hi[..., ::k]


def _finish(rng, sig: np.ndarray, fs: float, kind: str, noise_rms: float | None,
            dominant: float | None, params: dict[str, Any]) -> VibCase:
    if noise_rms is None:
        noise_rms = float(rng.uniform(0.005, 0.02))
    acc = sig + noise_rms * rng.standard_normal(sig.shape)
    params = {**params, "noise_rms": noise_rms}
    return VibCase(acc, float(fs), kind, float(noise_rms), dominant, params)


def vehicle(duration_s: float, fs: float, rng: np.random.Generator, *,
            engine: bool | None = None, noise_rms: float | None = None) -> VibCase:
    """Seat vibration of a road vehicle (see the module docstring)."""
    n_hi = int(round(duration_s * FS_HI))
    f_s, z_s = rng.uniform(1.0, 1.8), rng.uniform(0.2, 0.35)
    f_b, z_b = rng.uniform(4.0, 6.0), rng.uniform(0.2, 0.35)
    f_w = rng.uniform(10.0, 15.0)
    floor = rng.uniform(0.03, 0.08)

    def gain(f):
        road = 1.0 / np.maximum(f, 0.5)                         # road velocity-like input
        suspension = _resonance(f, f_s, z_s) + 0.4 * _resonance(f, f_w, 0.3)
        lp = 1.0 / (1 + (f / 25.0) ** 4)
        return road * f * suspension * _resonance(f, f_b, z_b) * lp + floor * (f > 0.5) * (f < 80)

    aw_z = rng.uniform(0.1, 0.8)
    gh = rng.uniform(0.3, 0.7, 2)
    z = _shaped_noise(rng, n_hi, FS_HI, gain)
    h = np.vstack([_shaped_noise(rng, n_hi, FS_HI, gain) for _ in range(2)])
    t = np.arange(n_hi) / FS_HI
    slow = 1 + 0.3 * _shaped_noise(rng, n_hi, FS_HI, lambda f: (f > 0) * (f < 0.1))
    slow = np.clip(slow, 0.3, None)
    sig = np.vstack([gh[0] * h[0], gh[1] * h[1], z]) * slow * aw_z
    if engine is None:
        engine = bool(rng.random() < 0.6)
    params: dict[str, Any] = dict(f_sprung=f_s, f_body=f_b, f_wheel=f_w, rms_z=aw_z,
                                  engine=engine)
    if engine:
        cyl = int(rng.choice([4, 6]))
        rpm0 = rng.uniform(600, 2500)
        rpm = rpm0 * (1 + 0.3 * _shaped_noise(rng, n_hi, FS_HI, lambda f: (f > 0) * (f < 0.05)))
        rpm = np.clip(rpm, 600, 3000)
        order = cyl / 2
        phase = 2 * np.pi * np.cumsum(order * rpm / 60.0) / FS_HI
        tone_rel = rng.uniform(0.1, 0.6)
        tone = tone_rel * aw_z * np.sqrt(2) * np.sin(phase)
        sig = sig + np.vstack([0.3 * tone, 0.2 * tone, tone])
        params.update(cylinders=cyl, rpm0=rpm0, tone_rel=tone_rel)
    return _finish(rng, _sample(sig, fs), fs, "vehicle", noise_rms, None, params)


def appliance(duration_s: float, fs: float, rng: np.random.Generator, *,
              drum_hz: float | None = None, runup: bool | None = None,
              noise_rms: float | None = None) -> VibCase:
    """A washing machine spinning (optionally running up first); analytic tones."""
    t = _times(duration_s, fs)
    f0 = float(rng.uniform(13.0, 27.0)) if drum_hz is None else float(drum_hz)
    if runup is None:
        runup = bool(rng.random() < 0.3)
    wobble = 0.02 * f0 * 0.1 * np.sin(2 * np.pi * t / rng.uniform(8, 20) + rng.uniform(0, 6))
    f_inst = f0 + wobble
    amp_t = np.ones_like(t)
    t_ramp = 0.0
    if runup:
        t_ramp = rng.uniform(0.2, 0.35) * duration_s
        f_start = rng.uniform(1.0, 5.0)
        ramp = t < t_ramp
        f_inst = np.where(ramp, f_start + (f0 - f_start) * t / t_ramp, f_inst)
        amp_t = np.minimum(1.0, (f_inst / f0) ** 2)
    phase = 2 * np.pi * np.cumsum(f_inst) / fs
    rms = rng.uniform(0.03, 0.4)
    harm = [1.0, rng.uniform(0.05, 0.4), rng.uniform(0.02, 0.2)]
    phases = rng.uniform(0, 2 * np.pi, len(harm))
    vert = sum(a * np.sin((k + 1) * phase + p) for k, (a, p) in enumerate(zip(harm, phases)))
    hor = sum(a * np.cos((k + 1) * phase + p) for k, (a, p) in enumerate(zip(harm, phases)))
    gh = rng.uniform(0.3, 1.0)
    base = np.vstack([gh * hor, 0.2 * gh * vert, vert]) * amp_t
    base *= rms / np.sqrt(np.mean(base[2] ** 2))
    n_hi = int(round(duration_s * FS_HI))
    floor = _sample(_shaped_noise(rng, n_hi, FS_HI, lambda f: (f > 3) * (f < 60)), fs)
    sig = base + 0.05 * rms * floor[np.newaxis, :]
    params = dict(drum_hz=f0, runup=runup, t_ramp_s=t_ramp, rms_z=rms, harmonics=harm)
    return _finish(rng, sig, fs, "appliance", noise_rms, f0, params)


def music(duration_s: float, fs: float, rng: np.random.Generator, *,
          bpm: float | None = None, noise_rms: float | None = None) -> VibCase:
    """Bass-heavy music through a seat: kick on every beat plus bass-line notes."""
    t = _times(duration_s, fs)
    bpm = float(rng.uniform(60, 180)) if bpm is None else float(bpm)
    period = 60.0 / bpm
    n_beats = int(duration_s / period) + 2
    onsets = np.arange(n_beats) * period + rng.normal(0, 0.003, n_beats) + rng.uniform(0, period)
    onsets = np.r_[onsets[0] - period, onsets]
    idx = np.searchsorted(onsets, t, side="right") - 1
    tau = t - onsets[idx]
    f_k, tau_k = rng.uniform(40, 70), rng.uniform(0.05, 0.15)
    kick = np.sin(2 * np.pi * f_k * (tau + 0.5 * 0.03 * (1 - np.exp(-tau / 0.03)))) \
        * np.exp(-tau / tau_k)
    root = rng.uniform(30, 60)
    notes = root * rng.choice([1.0, 4 / 3, 1.5, 2.0], size=onsets.size)
    f_note = notes[idx]
    dur = rng.uniform(0.3, 0.7) * period
    env = np.clip(tau / 0.01, 0, 1) * np.clip((dur - tau) / 0.03, 0, 1)
    bass = env * (np.sin(2 * np.pi * f_note * tau) + 0.3 * np.sin(4 * np.pi * f_note * tau))
    mix = kick + rng.uniform(0.3, 1.0) * bass
    rms = rng.uniform(0.05, 0.4)
    mix *= rms / mix.std()
    gh = rng.uniform(0.15, 0.5, 2)
    sig = np.vstack([gh[0] * mix, gh[1] * mix, mix])
    params = dict(bpm=bpm, kick_hz=f_k, root_hz=root, rms_z=rms)
    return _finish(rng, sig, fs, "music", noise_rms, None, params)


def other(duration_s: float, fs: float, rng: np.random.Generator, *, variant: str | None = None,
          noise_rms: float | None = None) -> VibCase:
    """Flat broadband noise or an irregular impact train."""
    n_hi = int(round(duration_s * FS_HI))
    if variant is None:
        variant = str(rng.choice(["broadband", "impacts"]))
    if variant == "broadband":
        fa, fb = rng.uniform(0.5, 2), rng.uniform(40, 200)
        rms = rng.uniform(0.05, 0.3)
        x = np.vstack([_shaped_noise(rng, n_hi, FS_HI, lambda f: (f > fa) * (f < fb))
                       for _ in range(3)])
        g = np.r_[rng.uniform(0.3, 1.0, 2), 1.0]
        sig = _sample(x * (g * rms)[:, None], fs)
        params: dict[str, Any] = dict(variant=variant, f_lo=fa, f_hi=fb, rms_z=rms)
    else:
        rate = rng.uniform(0.3, 2.0)
        n_imp = rng.poisson(rate * duration_s)
        at = np.sort(rng.uniform(0, duration_s, n_imp))
        f_r, tau = rng.uniform(8, 60), rng.uniform(0.02, 0.1)
        amps = rng.lognormal(np.log(rng.uniform(0.5, 3.0)), 0.4, n_imp)
        t = np.arange(n_hi) / FS_HI
        x = np.zeros(n_hi)
        length = int(8 * tau * FS_HI)
        for a, ti in zip(amps, at):
            i0 = int(np.ceil(ti * FS_HI))
            seg = t[i0:i0 + length] - ti
            x[i0:i0 + length] += a * np.exp(-seg / tau) * np.sin(2 * np.pi * f_r * seg)
        d = rng.standard_normal(3)
        d[2] = abs(d[2]) + 1.0
        d /= np.linalg.norm(d)
        sig = _sample(d[:, None] * x, fs)
        params = dict(variant=variant, rate_hz=rate, f_ring=f_r, tau_s=tau)
    return _finish(rng, sig, fs, "other", noise_rms, None, params)


def quiet(duration_s: float, fs: float, rng: np.random.Generator, *,
          noise_rms: float | None = None) -> VibCase:
    """Sensor noise only."""
    n = int(round(duration_s * fs))
    return _finish(rng, np.zeros((3, n)), fs, "quiet", noise_rms, None, {})


def heartbeat(duration_s: float, fs: float, rng: np.random.Generator, *,
              noise_rms: float | None = None) -> VibCase:
    """A ballistocardiogram: I-J-K complexes at 50–100 bpm with heart-rate variability."""
    t = _times(duration_s, fs)
    hr = rng.uniform(50, 100)
    rr = 60.0 / hr * (1 + 0.04 * rng.standard_normal(int(duration_s * hr / 60) + 4))
    beats = np.cumsum(rr) - rr[0] * rng.uniform(0, 1)
    sigma = rng.uniform(0.03, 0.06)
    x = np.zeros_like(t)
    for b in beats:
        u = (t - b) / sigma
        near = np.abs(u) < 6
        g = np.exp(-0.5 * u[near] ** 2)
        x[near] += -0.6 * (u[near] ** 2 - 1) * g - 0.5 * u[near] * g
    rms = rng.uniform(0.005, 0.03)
    x *= rms / x.std()
    sig = np.vstack([0.3 * x, 0.1 * x, x])
    return _finish(rng, sig, fs, "heartbeat", noise_rms, None, dict(hr_bpm=hr, rms_z=rms))


def sway(duration_s: float, fs: float, rng: np.random.Generator, *,
         noise_rms: float | None = None) -> VibCase:
    """Postural sway: < 1 Hz random movement, mostly horizontal."""
    n = int(round(duration_s * fs))
    rms = rng.uniform(0.02, 0.15)
    x = np.vstack([_shaped_noise(rng, n, fs, lambda f: (f > 0.05) / (1 + (f / 0.5) ** 6))
                   for _ in range(3)])
    sig = x * np.array([rms, rms, 0.3 * rms])[:, None]
    return _finish(rng, sig, fs, "sway", noise_rms, None, dict(rms_h=rms))


_MAKERS = {"vehicle": vehicle, "appliance": appliance, "music": music, "other": other,
           "quiet": quiet, "heartbeat": heartbeat, "sway": sway}


def make(kind: str, duration_s: float, fs: float, seed: int, **kwargs: Any) -> VibCase:
    """Generate one case of *kind* (a class or a non-vibration kind) with a seeded generator."""
    return _MAKERS[kind](duration_s, fs, np.random.default_rng(seed), **kwargs)


def to_prepared(case: VibCase, voluntary: np.ndarray | None = None, *,
                noise_rms: float | None = None):
    """Wrap a case in the detectors' :class:`~glutesense.detectors.Prepared` contract.

    The acceleration is already gravity-free and in the body frame; ``noise_rms``
    defaults to the generator's true sensor noise.
    """
    from glutesense.detectors import Prepared
    from glutesense.recording import Recording

    n = case.acc.shape[1]
    vol = np.zeros(n, dtype=bool) if voluntary is None else np.asarray(voluntary, dtype=bool)
    rec = Recording(case.acc, case.fs, ("acc_h1", "acc_h2", "acc_v"), ("acc",) * 3,
                    ("m/s^2",) * 3)
    return Prepared(acc=case.acc, fs=case.fs, t0=0.0, voluntary=vol, gravity_included=True,
                    emg=None, noise_rms=case.noise_rms if noise_rms is None else noise_rms,
                    source=rec)
