"""Vibration mechanism: vehicle seats, washing machines and music, transmitted through the body.

Every source produces the acceleration of the *seat surface* (or floor, for a
standing person) in the body frame; :class:`glutesense.body.seat.BodyTransmission`
carries it to the sensor site. The ISO 2631-1 truth (a_w per axis, a_v, VDV,
crest factor) is computed at the seat surface, where the standard measures.

Sources
-------
vehicle
    Broadband road input: white noise through the sprung-mass (body bounce,
    1.2 Hz) and wheel-hop (11 Hz) resonances of a car (our assumptions, typical
    textbook values; passenger-car seat spectra were not found, physiology.md
    §7.4), with a slow, random change of road roughness every ~20 s (our
    assumption). Its level is set analytically so that the Wk-weighted r.m.s. at
    the seat, a_wz, equals ``aw_z_ms2`` (default 0.46 m/s², the median of
    professional drivers, IQR 0.35–0.53; Scand J Work Environ Health 2021,
    PMC8091068). Engine orders (the second order of a four-cylinder engine)
    are added where they lie below 0.45 × fs.
appliance (washing machine)
    The drum speed follows a cycle: tumbling wash at ~50 rpm, run-up through
    the cabinet's suspension resonance (Papadopoulos & Papadimitriou 2001;
    resonance 6 Hz, ζ = 0.1, our assumption), spin at ``spin_rpm`` (800–1600 rpm
    → 13.3–26.7 Hz = rpm/60, physiology.md §7.4), slow-down. The unbalance force
    grows with the square of the drum speed (m·r·ω²) and reaches the floor
    through the suspension (force transmissibility). Floor acceleration at the
    seat was not found; ``floor_amplitude_ms2`` = 0.05 m/s² at full spin is our
    assumption (felt, not alarming).
music
    A kick-drum burst on every beat at ``tempo_bpm`` (perceivable 40–300,
    preferred 120–130; Moelants 2002) carried by a bass tone at ``bass_hz``
    (30–100 Hz, physiology.md §7.4; very-low-frequency speakers 10–35 Hz,
    Cameron et al.), plus a quieter sustained bass line changing note each bar.
    Seat acceleration from loudspeakers was not found; ``seat_peak_ms2`` = 0.15
    m/s² is our assumption.

Components above 0.45 × fs are not generated: a phone's accelerometer low-pass
filters at its output data rate, so they would not appear in the recording.

Chunks
------
Sources are functions of absolute time with their random draws made up front
(segment gains, beat jitter, phases) and noise filters whose state is carried
between chunks, so chunk seams are exact. The ISO 2631-1 quantities are
accumulated per chunk with the Annex A weightings applied in the frequency
domain (:func:`glutesense.dsp.iso2631.weighting_response`); a chunk of 10 min
makes the circular-convolution error at seams negligible.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np
from scipy import signal

from ..dsp import iso2631
from ..errors import ParameterError
from ..recording import Annotations
from ._base import MechanismOutput, build_params
from .seat import BodyTransmission, SeatedBodyParams, resonance_sos

__all__ = ["VehicleParams", "ApplianceParams", "MusicParams", "VibrationParams", "VibrationModel",
           "simulate", "SOURCES"]

SOURCES = ("vehicle", "appliance", "music")


@dataclasses.dataclass(frozen=True)
class VehicleParams:
    """Car seat vibration (sources and assumptions in the module docstring)."""

    aw_z_ms2: float = 0.46
    sprung_natural_hz: float = 1.2
    sprung_damping_ratio: float = 0.3
    wheel_hop_hz: float = 11.0
    wheel_hop_damping_ratio: float = 0.2
    wheel_hop_gain: float = 0.6
    horizontal_fraction: float = 0.5
    roughness_segment_s: float = 20.0
    roughness_sd_db: float = 3.0
    engine_rpm: float = 2200.0
    engine_cylinders: int = 4
    engine_order_ms2: float = 0.04


@dataclasses.dataclass(frozen=True)
class ApplianceParams:
    """Washing-machine cycle; phases as fractions of the recording (our choice)."""

    spin_rpm: float = 1400.0
    wash_rpm: float = 50.0
    wash_until: float = 0.2
    runup_until: float = 0.35
    spin_until: float = 0.85
    suspension_hz: float = 6.0
    suspension_damping_ratio: float = 0.1
    floor_amplitude_ms2: float = 0.05
    horizontal_fraction: float = 0.5

    def __post_init__(self) -> None:
        if not 0 <= self.wash_until <= self.runup_until <= self.spin_until <= 1:
            raise ParameterError(
                "appliance phases need 0 ≤ wash_until ≤ runup_until ≤ spin_until ≤ 1")
        if not 100.0 <= self.spin_rpm <= 2000.0:
            raise ParameterError(f"spin_rpm must be in 100–2000, got {self.spin_rpm}")


@dataclasses.dataclass(frozen=True)
class MusicParams:
    """Bass-heavy music through the floor and seat (assumptions in the module docstring)."""

    tempo_bpm: float = 120.0
    bass_hz: float = 40.0
    seat_peak_ms2: float = 0.15
    kick_decay_s: float = 0.12
    bassline_fraction: float = 0.3
    swing_s: float = 0.01
    horizontal_fraction: float = 0.3

    def __post_init__(self) -> None:
        if not 40.0 <= self.tempo_bpm <= 300.0:
            raise ParameterError(f"tempo_bpm must be in 40–300 (Moelants 2002), got {self.tempo_bpm}")
        if not 10.0 <= self.bass_hz <= 100.0:
            raise ParameterError(f"bass_hz must be in 10–100, got {self.bass_hz}")


@dataclasses.dataclass(frozen=True)
class VibrationParams:
    """Which source, its parameters, the body transmission and the sensor site."""

    source: str = "vehicle"
    vehicle: VehicleParams = VehicleParams()
    appliance: ApplianceParams = ApplianceParams()
    music: MusicParams = MusicParams()
    body: SeatedBodyParams = SeatedBodyParams()
    site: str = "pelvis"

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ParameterError(f"vibration source must be one of {SOURCES}, got {self.source!r}")


class VibrationModel:
    """Stateful generator of the vibration mechanism (seat surface → sensor site).

    Parameters
    ----------
    duration_s, fs : float
        Duration (s) and rate (Hz).
    rng : numpy.random.Generator
        Parent generator.
    params : VibrationParams
        Source, parameters, body model and site.
    """

    def __init__(self, duration_s: float, fs: float, *, rng: np.random.Generator,
                 params: VibrationParams = VibrationParams()) -> None:
        self.duration_s, self.fs, self.p = float(duration_s), float(fs), params
        self.n_total = int(round(self.duration_s * self.fs))
        self.body = BodyTransmission(self.fs, params.site, params.body)
        self.pos = 0
        r_noise, r_seg, r_phase, r_beat = rng.spawn(4)
        self.rng_noise = r_noise.spawn(3)
        self.phases = r_phase.uniform(0, 2 * np.pi, 8)
        # ISO accumulators: Σ a_w², Σ a_w⁴, max |a_w|, per axis; PSD of seat z in 0.05-Hz bins
        self._sum2, self._sum4, self._peak = np.zeros(3), np.zeros(3), np.zeros(3)
        self._bin_hz = 0.05
        self._grid = np.arange(0.0, self.fs / 2, self._bin_hz)
        self._psd = np.zeros(self._grid.size)
        src = params.source
        if src == "vehicle":
            self._init_vehicle(r_seg)
        elif src == "music":
            self._init_music(r_beat)

    # ------------------------------------------------------------------ vehicle
    def _init_vehicle(self, rng: np.random.Generator) -> None:
        v, fs = self.p.vehicle, self.fs
        sos_sprung = resonance_sos(v.sprung_natural_hz, v.sprung_damping_ratio, fs)
        hop = signal.butter(2, [0.8 * v.wheel_hop_hz, min(1.25 * v.wheel_hop_hz, 0.45 * fs)],
                            btype="bandpass", fs=fs, output="sos")
        hp = signal.butter(2, 0.3, btype="highpass", fs=fs, output="sos")
        self.veh_sos = (np.vstack([hp, sos_sprung]), hop)
        self.veh_zi = [[np.zeros((s.shape[0], 2)) for s in self.veh_sos] for _ in range(3)]
        # analytic gain: Wk-weighted variance of the unit-variance noise path at the seat
        f = np.linspace(0.01, fs / 2, 20000)
        h = self._vehicle_response(f)
        wk = np.abs(iso2631.weighting_response(f, "Wk"))
        noise_var = float(np.trapezoid(np.abs(h) ** 2 * wk**2, f) * 2 / fs)
        f_eng = v.engine_rpm / 60.0 * v.engine_cylinders / 2
        self.f_engine = f_eng if f_eng < 0.45 * fs else None
        tone_var = ((v.engine_order_ms2 * float(np.abs(iso2631.weighting_response(f_eng, "Wk")))) ** 2 / 2
                    if self.f_engine else 0.0)
        if tone_var >= v.aw_z_ms2**2:
            raise ParameterError("engine order alone exceeds the requested a_wz")
        self.veh_gain = math.sqrt((v.aw_z_ms2**2 - tone_var) / noise_var)
        # road roughness segments: log-normal gain per segment, mean square 1, smooth steps
        n_seg = int(self.duration_s / v.roughness_segment_s) + 2
        g = 10 ** (rng.normal(0.0, v.roughness_sd_db / 20, n_seg))
        self.seg_gain = g / math.sqrt(np.mean(g**2))
        self.dominant_theory = float(f[np.argmax(np.abs(h))])

    def _vehicle_response(self, f: np.ndarray) -> np.ndarray:
        s_sprung, s_hop = self.veh_sos
        _, h1 = signal.sosfreqz(s_sprung, worN=f, fs=self.fs)
        _, h2 = signal.sosfreqz(s_hop, worN=f, fs=self.fs)
        return h1 + self.p.vehicle.wheel_hop_gain * h2

    def _vehicle(self, t: np.ndarray) -> np.ndarray:
        v = self.p.vehicle
        n = t.size
        out = np.empty((3, n))
        seg = np.interp(t / v.roughness_segment_s, np.arange(self.seg_gain.size), self.seg_gain)
        for k in range(3):
            w = self.rng_noise[k].standard_normal(n)
            a, self.veh_zi[k][0] = signal.sosfilt(self.veh_sos[0], w, zi=self.veh_zi[k][0])
            b, self.veh_zi[k][1] = signal.sosfilt(self.veh_sos[1], w, zi=self.veh_zi[k][1])
            out[k] = (a + v.wheel_hop_gain * b) * self.veh_gain * seg
        out[:2] *= v.horizontal_fraction
        if self.f_engine:
            out[2] += v.engine_order_ms2 * np.sin(2 * np.pi * self.f_engine * t + self.phases[0])
        return out

    # ------------------------------------------------------------------ appliance
    def drum_hz(self, t: np.ndarray) -> np.ndarray:
        """Drum rotation frequency (Hz) of the washing-machine cycle at times *t*."""
        a, d = self.p.appliance, self.duration_s
        t1, t2, t3 = a.wash_until * d, a.runup_until * d, a.spin_until * d
        f_wash, f_spin = a.wash_rpm / 60.0, a.spin_rpm / 60.0
        run = np.clip((t - t1) / max(t2 - t1, 1e-9), 0, 1)
        f = f_wash + (f_spin - f_wash) * run
        coast = np.exp(-np.maximum(t - t3, 0) / max(0.1 * (d - t3), 1e-9))
        f = np.where(t > t3, f_spin * coast, f)
        return np.where(t < t1, f_wash, f)

    def _appliance(self, t: np.ndarray) -> np.ndarray:
        a = self.p.appliance
        fd = self.drum_hz(t)
        # phase = 2π ∫ f dt, computed in closed form per chunk from the absolute start (exact seams)
        phase = 2 * np.pi * self._drum_cycles(t) + self.phases[1]
        s = 2j * np.pi * fd
        w, z = 2 * np.pi * a.suspension_hz, a.suspension_damping_ratio
        trans = np.abs((2 * z * w * s + w * w) / (s * s + 2 * z * w * s + w * w))
        f_spin = a.spin_rpm / 60.0
        s0 = 2j * np.pi * f_spin
        ref = f_spin**2 * abs((2 * z * w * s0 + w * w) / (s0 * s0 + 2 * z * w * s0 + w * w))
        amp = a.floor_amplitude_ms2 * fd**2 * trans / ref
        amp = np.where(fd < 0.45 * self.fs, amp, 0.0)
        out = np.empty((3, t.size))
        out[2] = amp * np.sin(phase)
        out[0] = a.horizontal_fraction * amp * np.cos(phase)
        out[1] = 0.5 * a.horizontal_fraction * amp * np.sin(phase + self.phases[2])
        return out

    def _drum_cycles(self, t: np.ndarray) -> np.ndarray:
        """∫₀ᵗ f_drum dt (cycles), by trapezoidal integration on a fixed 1-ms grid, interpolated."""
        if not hasattr(self, "_cyc"):
            grid = np.arange(0.0, self.duration_s + 1.0, 1e-3)
            f = self.drum_hz(grid)
            self._cyc_grid = grid
            self._cyc = np.concatenate([[0.0], np.cumsum((f[1:] + f[:-1]) / 2 * 1e-3)])
        return np.interp(t, self._cyc_grid, self._cyc)

    # ------------------------------------------------------------------ music
    def _init_music(self, rng: np.random.Generator) -> None:
        m = self.p.music
        period = 60.0 / m.tempo_bpm
        k = np.arange(int(self.duration_s / period) + 2)
        self.beats = k * period + rng.normal(0.0, m.swing_s, k.size) + rng.uniform(0, period)
        self.beat_gain = 1.0 + 0.1 * rng.standard_normal(k.size)
        steps = np.array([0, 3, 5, 7])          # semitones: root, minor third, fourth, fifth
        self.bar_notes = m.bass_hz * 2 ** (rng.choice(steps, int(k.size / 4) + 2) / 12)

    def _music(self, t: np.ndarray) -> np.ndarray:
        m, fs = self.p.music, self.fs
        out = np.zeros((3, t.size))
        if m.bass_hz >= 0.45 * fs:
            return out
        idx = np.searchsorted(self.beats, t, side="right") - 1
        valid = idx >= 0
        since = np.where(valid, t - self.beats[np.maximum(idx, 0)], 0.0)
        env = np.where(valid, self.beat_gain[np.maximum(idx, 0)] * np.exp(-since / m.kick_decay_s), 0.0)
        kick = env * np.sin(2 * np.pi * m.bass_hz * since)
        note = self.bar_notes[np.maximum(idx, 0) // 4]
        note = np.where(note < 0.45 * fs, note, m.bass_hz)
        line = m.bassline_fraction * np.sin(2 * np.pi * note * t + self.phases[3])
        z = m.seat_peak_ms2 * (kick + line)
        out[2] = z
        out[0] = m.horizontal_fraction * z
        return out

    # ------------------------------------------------------------------ common
    def render(self, n: int) -> np.ndarray:
        """Return the next *n* samples of sensor-site acceleration (3, n), body frame."""
        i0 = self.pos
        t = (i0 + np.arange(n)) / self.fs
        src = self.p.source
        seat = (self._vehicle(t) if src == "vehicle" else
                self._appliance(t) if src == "appliance" else self._music(t))
        self._accumulate(seat)
        self.pos += n
        return self.body(seat)

    def _accumulate(self, seat: np.ndarray) -> None:
        n = seat.shape[1]
        if n < 4:
            return
        f = np.fft.rfftfreq(n, 1.0 / self.fs)
        spec = np.fft.rfft(seat, axis=1)
        w = np.vstack([iso2631.weighting_response(f, "Wd"), iso2631.weighting_response(f, "Wd"),
                       iso2631.weighting_response(f, "Wk")])
        aw_t = np.fft.irfft(spec * w, n=n, axis=1)
        self._sum2 += np.sum(aw_t**2, axis=1)
        self._sum4 += np.sum(aw_t**4, axis=1)
        self._peak = np.maximum(self._peak, np.abs(aw_t).max(axis=1))
        bins = np.minimum((f / self._bin_hz).astype(int), self._grid.size - 1)
        self._psd += np.bincount(bins, weights=np.abs(spec[2]) ** 2, minlength=self._grid.size)

    def truth(self) -> dict[str, Any]:
        """The ``vibration`` truth block (DESIGN §4.3 keys), valid after rendering everything."""
        n = max(self.pos, 1)
        aw = np.sqrt(self._sum2 / n)
        vdv = (self._sum4 / self.fs) ** 0.25
        # dominant frequency above 0.5 Hz: PSD smoothed over 0.25 Hz (steadies broadband
        # spectra, keeps a tone in its bin), reported at the bin centre
        smooth = np.convolve(self._psd, np.ones(5) / 5, mode="same")
        lo = int(np.sum(self._grid <= 0.5))
        k = lo + int(np.argmax(smooth[lo:]))
        k = max(k - 2, 0) + int(np.argmax(self._psd[max(k - 2, 0):k + 3]))   # the raw peak nearby
        dominant = float(self._grid[k] + self._bin_hz / 2)
        # nothing below 0.45 fs (e.g. 40-Hz bass sampled at 50 Hz): nothing reaches the recording
        present = bool(self._psd[lo:].sum() > 0)
        block: dict[str, Any] = {
            "present": present,
            "source": self.p.source,
            "dominant_hz": round(dominant, 2) if present else None,
            "iso2631": {"aw_x_ms2": float(aw[0]), "aw_y_ms2": float(aw[1]), "aw_z_ms2": float(aw[2]),
                        "av_ms2": iso2631.vector_sum(*map(float, aw)),
                        "vdv_z_ms175": float(vdv[2]),
                        "crest_factor_z": float(self._peak[2] / aw[2]) if aw[2] > 0 else None},
            "site": self.p.site,
        }
        if self.p.source == "appliance":
            block["spin_hz"] = self.p.appliance.spin_rpm / 60.0
        elif self.p.source == "music":
            block["bass_hz"] = self.p.music.bass_hz
            block["beat_hz"] = self.p.music.tempo_bpm / 60.0
        return block

    @property
    def annotations(self) -> Annotations:
        """One interval per vibration exposure (the whole recording here), value = dominant Hz."""
        truth = self.truth()
        if not truth["present"]:
            return Annotations()
        return Annotations([0.0], [self.duration_s], [f"vibration:{self.p.source}"], ["vibration"],
                           ["truth"], [truth["dominant_hz"]])


def _params_from(kw: Mapping[str, Any]) -> VibrationParams:
    return build_params(VibrationParams, kw, mechanism="vibration",
                        nested={"vehicle": VehicleParams, "appliance": ApplianceParams,
                                "music": MusicParams, "body": SeatedBodyParams})


def simulate(duration_s: float, fs: float, *, rng: np.random.Generator, emg_fs: float | None = None,
             **params: Any) -> MechanismOutput:
    """Simulate the vibration mechanism in one go.

    Parameters
    ----------
    duration_s, fs : float
        Duration (s) and rate (Hz).
    rng : numpy.random.Generator
        Parent generator.
    emg_fs : float or None
        Unused (no EMG from vibration); accepted for the common signature.
    **params
        Fields of :class:`VibrationParams` (``source``, ``site``, and dicts for
        ``vehicle``, ``appliance``, ``music``, ``body``).

    Returns
    -------
    MechanismOutput

    Examples
    --------
    >>> import numpy as np
    >>> out = simulate(120.0, 100.0, rng=np.random.default_rng(0), source="appliance")
    >>> out.truth["source"], round(out.truth["spin_hz"], 1)
    ('appliance', 23.3)
    """
    model = VibrationModel(duration_s, fs, rng=rng, params=_params_from(params))
    acc = model.render(model.n_total)
    return MechanismOutput("vibration", acc, float(fs), None, None, model.annotations, model.truth())
