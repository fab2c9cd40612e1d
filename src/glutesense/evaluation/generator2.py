"""A second, independent test-signal generator (written apart from :mod:`glutesense.scenarios`).

Nothing here imports the simulator's body or sensor models: the point is to test
the analyser on signals made by *different* assumptions, so that a detector tuned
to the simulator's templates is caught out. Differences on purpose:

* **heartbeat (BCG)** — each beat is either a Morlet wavelet (a Gaussian-windowed
  cosine, "J-wave" centred ≈ 0.2 s after the beat time) or the negative second
  derivative of a Gaussian (a "Mexican hat"), with random width, frequency and
  an axis mostly head-to-foot (vertical when seated); beat-to-beat intervals
  carry respiratory sinus arrhythmia and random jitter;
* **twitches** — damped sinusoids ``A·e^{−t/τ}·sin(2πf t)`` (f 8–20 Hz, τ 15–50 ms)
  along a uniformly random 3-D direction, at Poisson times, with peak amplitudes
  drawn as known multiples (1.5–20×) of the sensor-noise RMS;
* **sensor** — a uniformly random orientation (random rotation matrix) with
  gravity, white noise (phone-like 120–300 µg/√Hz), 1/f noise from spectral
  shaping, a constant bias, quantisation to the LSB; jittered time stamps (the
  signal is evaluated at the jittered instants);
* **vibration** — appliance: a drum tone 8–24 Hz with its 2nd/3rd harmonics and
  a slow amplitude wobble; vehicle: band-limited road noise (0.5–30 Hz with a
  4–6 Hz seat resonance, synthesised in the frequency domain) plus a 2nd engine
  order that follows a slowly varying engine speed; music: beat-periodic bass
  bursts (decaying tone 30–60 Hz on every beat, tempo 90–140 bpm) plus a weaker
  sustained bass line;
* **files** — every case is written to disk as a phyphox export (random CSV
  variant or Excel) or a Sensor Logger export (Android/iOS, zip/json/csv) and read
  back with :func:`glutesense.io.read`, so the readers are evaluated too.

Ground truth (beat times, heart rate, twitch times and peaks, source, dominant
frequency) is what the generator *did*, recorded as it did it; peaks are the
maxima of the rendered twitch vector magnitude on a fine grid.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np

from ..recording import Recording

__all__ = ["KINDS", "Case", "generate", "write_case", "noise_rms_ms2"]

G = 9.80665
#: Case kinds: what is in the recording besides the heartbeat.
KINDS = ("rest", "twitch", "appliance", "vehicle", "music")
_FORMATS = ("phyphox", "sensorlogger")


@dataclasses.dataclass(frozen=True)
class Case:
    """One generated recording and what is true about it.

    Attributes
    ----------
    recording : Recording
        Sensor-frame acceleration with gravity on the *uniform* nominal grid of
        the written file's time stamps (kept for debugging; the evaluation uses
        the file read back).
    timestamps : ndarray
        The jittered time stamps (s) at which the samples were taken.
    truth : dict
        ``kind, seed, fs_hz, duration_s, format, gravity_dir_sensor, noise_rms_ms2,
        pulse {heart_rate_bpm, beats_s, template}, twitch {events [{t_s, peak_ms2,
        ratio_to_noise}]}, vibration {present, source, dominant_hz}``.
    body : ndarray
        Body-frame acceleration without gravity and without sensor noise (3, n).
    components : dict of str to ndarray
        The body-frame contribution (3, n) of ``pulse``, ``twitch`` and ``vibration``.
    """

    recording: Recording
    timestamps: np.ndarray
    truth: dict[str, Any]
    body: np.ndarray
    components: dict[str, np.ndarray]


def noise_rms_ms2(density_ug: float, fs: float, pink_ratio: float, lsb: float) -> float:
    """Per-axis RMS of the generator's sensor noise (white + 1/f + quantisation), m/s²."""
    white = density_ug * 1e-6 * G * math.sqrt(fs / 2)
    return math.sqrt(white**2 * (1 + pink_ratio**2) + lsb**2 / 12)


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    if np.linalg.det(q) < 0:
        q[:, 0] = -q[:, 0]
    return q


def _unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=3)
    return v / np.linalg.norm(v)


def _beats(rng: np.random.Generator, duration: float, hr: float) -> np.ndarray:
    """Beat times with respiratory sinus arrhythmia (≈ 0.25 Hz) and jitter."""
    rr0 = 60.0 / hr
    resp_hz, rsa = rng.uniform(0.2, 0.3), rng.uniform(0.01, 0.04)
    phase = rng.uniform(0, 2 * np.pi)
    t = [rng.uniform(0.1, rr0)]
    while True:
        rr = rr0 * (1 + rsa * math.sin(2 * np.pi * resp_hz * t[-1] + phase) + rng.normal(0, 0.01))
        if t[-1] + rr >= duration - 0.05:
            break
        t.append(t[-1] + rr)
    return np.asarray(t)


def _beat_wave(tt: np.ndarray, kind: str, width: float, f0: float) -> np.ndarray:
    """Unit-peak beat template evaluated at times *tt* relative to the J-wave centre."""
    if kind == "morlet":
        return np.exp(-0.5 * (tt / width) ** 2) * np.cos(2 * np.pi * f0 * tt)
    u = (tt / width) ** 2
    return (1 - u) * np.exp(-0.5 * u)          # Mexican hat (−d²/dt² of a Gaussian)


def _pink(rng: np.random.Generator, n: int, fs: float, rms: float) -> np.ndarray:
    """1/f noise (PSD ∝ 1/f above 0.05 Hz) with exact RMS *rms*, shape (3, n)."""
    f = np.fft.rfftfreq(n, 1 / fs)
    shape = np.where(f > 0.05, 1 / np.sqrt(np.maximum(f, 0.05)), 0.0)
    spec = (rng.normal(size=(3, f.size)) + 1j * rng.normal(size=(3, f.size))) * shape
    x = np.fft.irfft(spec, n=n)
    x -= x.mean(axis=1, keepdims=True)
    return x * (rms / x.std(axis=1, keepdims=True))


def _shaped_noise(rng: np.random.Generator, t: np.ndarray, fs: float, gain_fn) -> np.ndarray:
    """Gaussian noise with amplitude spectrum gain_fn(f) on a uniform grid, sampled at *t*."""
    n = int(math.ceil(t[-1] * fs)) + 4
    f = np.fft.rfftfreq(n, 1 / fs)
    spec = (rng.normal(size=f.size) + 1j * rng.normal(size=f.size)) * gain_fn(f)
    x = np.fft.irfft(spec, n=n)
    return np.interp(t, np.arange(n) / fs, x)


def generate(kind: str, *, seed: int, duration_s: float = 120.0, fs: float | None = None,
             fmt: str | None = None) -> Case:
    """Generate one case of *kind* (see :data:`KINDS`).

    Parameters
    ----------
    kind : str
        ``rest`` (heartbeat only), ``twitch`` (+ twitches), ``appliance``,
        ``vehicle`` or ``music`` (+ that vibration).
    seed : int
        Everything random derives from it.
    duration_s : float
        Length, s.
    fs : float or None
        Sampling rate; default a random choice of 100 or 200 Hz.
    fmt : {"phyphox", "sensorlogger"} or None
        File format to write (default: random).
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; choose one of {KINDS}")
    rng = np.random.default_rng([seed, KINDS.index(kind), 20261125])
    fs = float(fs if fs is not None else rng.choice([100.0, 200.0]))
    fmt = fmt or str(rng.choice(_FORMATS))
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    jitter = np.clip(rng.normal(0, 0.03 / fs, n), -0.2 / fs, 0.2 / fs)
    jitter[0] = 0.0
    ts = t + jitter
    comp = {k: np.zeros((3, n)) for k in ("pulse", "twitch", "vibration")}

    # --- heartbeat (BCG), mostly along the body's long axis (vertical when seated)
    hr = float(rng.uniform(52, 88))
    beats = _beats(rng, duration_s, hr)
    template = str(rng.choice(["morlet", "mexican_hat"]))
    width = rng.uniform(0.03, 0.06)
    f0 = rng.uniform(4.0, 8.0)
    delay = rng.uniform(0.15, 0.25)
    bcg_peak = rng.uniform(0.02, 0.05)
    axis = np.array([rng.normal(0, 0.3), rng.normal(0, 0.3), 1.0])
    axis /= np.linalg.norm(axis)
    span = 5 * width
    for b in beats:
        lo, hi = np.searchsorted(ts, [b + delay - span, b + delay + span])
        amp = bcg_peak * rng.uniform(0.85, 1.15)
        wave = _beat_wave(ts[lo:hi] - (b + delay), template, width, f0)
        comp["pulse"][:, lo:hi] += np.outer(axis, amp * wave)
    hr_true = 60.0 * (beats.size - 1) / (beats[-1] - beats[0])

    # --- sensor noise parameters (needed for twitch amplitudes)
    density = float(rng.uniform(120, 300))           # µg/√Hz
    pink_ratio = float(rng.uniform(0.2, 0.6))
    lsb = float(rng.choice([0.0012, 0.0024, 0.0048]))
    sigma = noise_rms_ms2(density, fs, pink_ratio, lsb)

    # --- twitches: damped sinusoids, random direction, peaks as multiples of the noise RMS
    twitches = []
    if kind == "twitch":
        rate_per_min = rng.uniform(6, 20)
        tt = np.cumsum(rng.exponential(60.0 / rate_per_min, size=int(rate_per_min * duration_s)))
        tt = tt[(tt > 1.0) & (tt < duration_s - 1.0)]
        for t_on in tt:
            ratio = float(np.exp(rng.uniform(np.log(1.5), np.log(20.0))))
            f_tw, tau = rng.uniform(8, 20), rng.uniform(0.015, 0.05)
            direction = _unit(rng)
            fine = np.arange(0, 6 * tau, 1e-4)
            shape = np.exp(-fine / tau) * np.sin(2 * np.pi * f_tw * fine)
            a = ratio * sigma / np.max(np.abs(shape))
            lo, hi = np.searchsorted(ts, [t_on, t_on + 6 * tau])
            s = ts[lo:hi] - t_on
            wave = a * np.exp(-s / tau) * np.sin(2 * np.pi * f_tw * s)
            comp["twitch"][:, lo:hi] += np.outer(direction, wave)
            twitches.append({"t_s": float(t_on), "peak_ms2": float(a * np.max(np.abs(shape))),
                             "ratio_to_noise": ratio, "f_hz": float(f_tw), "tau_s": float(tau)})

    # --- vibration
    vib: dict[str, Any] = {"present": False, "source": None, "dominant_hz": None}
    nyq = fs / 2
    if kind == "appliance":
        f_drum = float(rng.uniform(8.0, min(24.0, 0.45 * fs)))
        amp = rng.uniform(0.05, 0.3)
        d1 = np.array([rng.normal(0, 0.5), rng.normal(0, 0.5), 1.0])
        d1 /= np.linalg.norm(d1)
        wobble = 1 + 0.05 * np.sin(2 * np.pi * rng.uniform(0.02, 0.1) * ts + rng.uniform(0, 6))
        x = np.zeros(n)
        harmonics = []
        for h, rel in ((1, 1.0), (2, rng.uniform(0.1, 0.4)), (3, rng.uniform(0.05, 0.2))):
            if h * f_drum < 0.45 * fs:
                x += rel * np.sin(2 * np.pi * h * f_drum * ts + rng.uniform(0, 2 * np.pi))
                harmonics.append(h * f_drum)
        comp["vibration"] += np.outer(d1, amp * wobble * x)
        vib = {"present": True, "source": "appliance", "dominant_hz": f_drum,
               "harmonics_hz": harmonics}
    elif kind == "vehicle":
        f_res, q = rng.uniform(4.0, 6.0), rng.uniform(1.5, 3.0)

        def road(f: np.ndarray) -> np.ndarray:
            band = (f > 0.5) & (f < min(30.0, 0.45 * fs))
            res = 1 / np.sqrt((1 - (f / f_res) ** 2) ** 2 + (f / (q * f_res)) ** 2)
            return np.where(band, res / np.sqrt(np.maximum(f, 0.5)) ** 0.5, 0.0)

        target = rng.uniform(0.2, 0.8)
        road_xyz = np.vstack([_shaped_noise(rng, ts, fs, road) for _ in range(3)])
        road_xyz /= road_xyz[2].std()
        road_xyz[:2] *= rng.uniform(0.3, 0.6)
        rpm = rng.uniform(900, 1500) * (1 + 0.1 * np.sin(2 * np.pi * rng.uniform(0.01, 0.03) * ts))
        order2 = np.sin(2 * np.pi * np.cumsum(2 * rpm / 60) / fs)
        f_eng = 2 * rpm.mean() / 60
        eng = 0.15 * order2 if 2 * rpm.max() / 60 < 0.45 * fs else 0.0
        road_xyz[2] += eng
        comp["vibration"] += target * road_xyz
        vib = {"present": True, "source": "vehicle", "dominant_hz": None,
               "resonance_hz": float(f_res), "engine_order2_hz": float(f_eng)}
    elif kind == "music":
        tempo = rng.uniform(90, 140)
        bass = float(rng.uniform(30.0, min(60.0, 0.45 * fs)))
        amp = rng.uniform(0.1, 0.5)
        tau = rng.uniform(0.06, 0.12)
        period = 60.0 / tempo
        phase = ((ts - rng.uniform(0, period)) % period)
        x = np.exp(-phase / tau) * np.sin(2 * np.pi * bass * phase)
        line = 0.15 * np.sin(2 * np.pi * (bass * 0.75) * ts)
        d1 = np.array([rng.normal(0, 0.3), rng.normal(0, 0.3), 1.0])
        d1 /= np.linalg.norm(d1)
        comp["vibration"] += np.outer(d1, amp * (x + line))
        # No single "dominant" truth: the bursts spread over beat harmonics around the kick
        # tone while the sustained bass line is one sharp line (either may peak).
        vib = {"present": True, "source": "music", "dominant_hz": None, "bass_hz": bass,
               "bass_line_hz": 0.75 * bass, "tempo_bpm": float(tempo)}

    body = comp["pulse"] + comp["twitch"] + comp["vibration"]

    # --- sensor: orientation, gravity, noise, bias, quantisation
    rot = _random_rotation(rng)          # body -> sensor
    sensor = rot @ (body + np.array([[0.0], [0.0], [G]]))
    white = density * 1e-6 * G * math.sqrt(fs / 2)
    sensor += rng.normal(0, white, size=(3, n)) + _pink(rng, n, fs, white * pink_ratio)
    sensor += rng.normal(0, 0.05, size=(3, 1))
    sensor = np.round(sensor / lsb) * lsb
    rec = Recording(sensor, fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3,
                    meta={"format": "generated", "app": "glutesense.evaluation.generator2",
                          "inferred": {"gravity_included": True}})
    truth = {
        "kind": kind, "seed": int(seed), "fs_hz": fs, "duration_s": n / fs, "format": fmt,
        "gravity_dir_sensor": (rot @ np.array([0.0, 0.0, 1.0])).tolist(),
        "rotation_body_to_sensor": rot.tolist(),
        "noise_rms_ms2": sigma, "noise": {"density_ug_rthz": density, "pink_ratio": pink_ratio,
                                          "lsb_ms2": lsb},
        "pulse": {"present": True, "heart_rate_bpm": hr_true, "beats_s": beats.tolist(),
                  "template": template, "peak_ms2": float(bcg_peak),
                  "j_delay_s": float(delay), "peak_to_noise": float(bcg_peak / sigma)},
        "twitch": {"present": bool(twitches), "events": twitches},
        "vibration": vib,
    }
    return Case(rec, ts, truth, body, comp)


def write_case(case: Case, folder: Path) -> Path:
    """Write *case* to *folder* in its truth's format (with a random variant); return the path.

    The variant chosen is recorded in ``case.truth["file"]``.
    """
    from ..io.phyphox import write_phyphox
    from ..io.sensorlogger import write_sensorlogger

    rng = np.random.default_rng([case.truth["seed"], 7])
    stem = f"{case.truth['kind']}_{case.truth['seed']}"
    folder = Path(folder)
    if case.truth["format"] == "phyphox":
        variant = rng.choice(["1", "2", "3", "4", "5", "xlsx"])
        path = folder / f"{stem}.{'xlsx' if variant == 'xlsx' else 'zip'}"
        write_phyphox(case.recording, path, variant=variant if variant == "xlsx" else int(variant),
                      timestamps=case.timestamps)
        case.truth["file"] = {"app": "phyphox", "variant": str(variant)}
    else:
        platform = str(rng.choice(["android", "ios"]))
        kind = str(rng.choice(["zip", "json", "csv"]))
        path = folder / f"{stem}.{kind}"
        write_sensorlogger(case.recording, path, kind=kind, platform=platform,
                           timestamps=case.timestamps)
        case.truth["file"] = {"app": "sensorlogger", "platform": platform, "kind": kind}
    return path
