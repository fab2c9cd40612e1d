"""Postural mechanism: quiet-standing sway, the gluteal activation it recruits, and after-movements.

Model
-----
Quiet standing is an inverted pendulum about the ankles stabilised by a delayed
proportional-derivative controller whose torque passes through second-order
muscle activation dynamics (the Peterka 2002 / van der Kooij & Peterka 2011
family of models; physiology.md §4.2)::

    J θ'' = m g h θ − K_pas θ − B_pas θ' − T_act
    T_act = A(s) · [K_P (θ(t−τ) + n(t)) + K_D θ'(t−τ)]       A(s) = ω0² / (s² + 2βω0 s + ω0²)

with the parameter set of PMC5664365 Table 1 (J = 66 kg·m², m = 75 kg,
h = 0.83 m, K_pas = 40.5 N·m/rad, B_pas = 68.8 N·m·s/rad, K_P = 943.9 N·m/rad,
K_D = 313.5 N·m·s/rad, τ = 0.097 s, ω0 = 16.8 rad/s, β = 0.99). The noise
``n(t)`` is sensory (orientation) noise, white noise through a first-order
low-pass; van der Kooij & Peterka (2011) show that sensory noise is needed to
reproduce sway spectra. The centre of pressure is the ankle torque over the
body weight, ``COP = (K_pas θ + B_pas θ' + T_act) / (m g)``.

The loop is linear, so the discrete closed loop (zero-order-hold blocks, the
delay rounded to whole samples) is one rational transfer function from the
noise to θ, θ' and the ankle torque, run with :func:`scipy.signal.lfilter`
(vectorised, with its state carried across chunks).

Calibration and what is emergent
--------------------------------
* The noise amplitude is set analytically (H2 norm of the closed loop) so that
  the stationary COP r.m.s. equals ``cop_rms_ap_mm`` = 5.0 mm and
  ``cop_rms_ml_mm`` = 3.3 mm (PMC3966255 Table 3, laboratory, eyes open).
* The noise time constant (10 s) is chosen so that the short-term
  stabilogram-diffusion coefficient is ≈ 7 mm²/s, as published for the same
  cohort (AP 6.6 ± 2.8 mm²/s, PMC3966255 Table 3). This is our calibration.
* The COP mean frequency (≈ 0.19 Hz) and mean velocity (≈ 5.6 mm/s AP) are
  *emergent*; they are validated against the Santos & Duarte (2016) balance
  data set in the tests.
* The medio-lateral direction uses the same pendulum (our assumption; the
  ML load/unload mechanism is stiffer in reality) with its own noise.

Mapping to the gluteal sensor site
----------------------------------
No source maps sway to a buttock-worn accelerometer (physiology.md §4.2). We
derive it from the pendulum: at height ``site_height_m`` (0.85 m, our
assumption for the buttock of a 1.75 m adult), the tangential acceleration is
``r θ''`` and the body frame tilts by θ, so a body-fixed accelerometer sees the
gravity projection change by ``−g sin θ``. Because the sensor model adds a
fixed gravity vector, that tilt term is included here as an equivalent
acceleration on x (AP) and y (ML).

Gluteal activation (hip strategy)
    The gluteus medius supports the medio-lateral control; its activation is
    taken as a tonic floor plus the magnitude of the ML active torque. The
    active muscle vibrates (mechanomyogram, 5–40 Hz) normal to the skin (x)
    with an r.m.s. of ``gluteal_mmg_rms_ms2`` and, when an electrode is
    present, produces a low-level interference EMG of ``gluteal_emg_rms_v``.
    Both amplitudes are our assumptions (no gluteal quiet-stance values found).

After-movements (physiology.md §3, §4.3)
    * ``soft_tissue``: once walking or dancing stops, the gluteal soft tissue
      rings down (:func:`glutesense.body.tissue.after_oscillation`).
    * ``kohnstamm``: after a sustained (≥ 30 s) isometric push (De Havas et al.
      2017), an involuntary after-contraction with a latency, a rise and an
      exponential decay. Latency, rise and decay in gluteal muscles were not
      found; they are parameters (our assumptions: 1.5 s, 3 s, 8 s).

Voluntary movement (walking, dancing) that precedes after-movements is made
by :func:`voluntary_movement`; it is annotated with ``mechanism=None``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from scipy import signal

from ..errors import ParameterError
from ..recording import Annotations
from ..units import G0
from ._base import MechanismOutput, build_params

__all__ = ["PendulumParams", "PosturalParams", "KohnstammParams", "AfterMovement",
           "PosturalModel", "simulate", "simulate_cop", "voluntary_movement", "cop_filters"]


@dataclasses.dataclass(frozen=True)
class PendulumParams:
    """Inverted pendulum and delayed PD controller (PMC5664365 Table 1, physiology.md §4.2)."""

    inertia_kgm2: float = 66.0
    mass_kg: float = 75.0
    com_height_m: float = 0.83
    passive_stiffness_nm_per_rad: float = 40.5
    passive_damping_nms_per_rad: float = 68.8
    kp_nm_per_rad: float = 943.9
    kd_nms_per_rad: float = 313.5
    delay_s: float = 0.097
    activation_omega_rad_s: float = 16.8
    activation_damping: float = 0.99


@dataclasses.dataclass(frozen=True)
class KohnstammParams:
    """Shape of a Kohnstamm-type after-contraction (all our assumptions; none found in sources)."""

    latency_s: float = 1.5
    rise_s: float = 3.0
    decay_s: float = 8.0
    mmg_rms_ms2: float = 0.03
    tilt_rad: float = 0.01
    emg_rms_v: float = 60e-6


@dataclasses.dataclass(frozen=True)
class PosturalParams:
    """Parameters of the postural mechanism.

    Attributes
    ----------
    sway : bool
        Simulate quiet-standing sway (False when seated: only after-movements).
    cop_rms_ap_mm, cop_rms_ml_mm : float
        Target stationary COP r.m.s., PMC3966255 Table 3 (5.0 / 3.3 mm).
    noise_time_constant_s : float
        Low-pass time constant of the sensory noise (our calibration to Ds, see module notes).
    site_height_m : float
        Height of the sensor site above the ankle (our assumption).
    gluteal_mmg_rms_ms2 : float
        MMG r.m.s. of the gluteal activation during quiet stance (our assumption).
    gluteal_emg_rms_v : float
        Gluteal EMG r.m.s. during quiet stance (our assumption, ≈ 2 % of a 0.5 mV MVC).
    """

    pendulum: PendulumParams = PendulumParams()
    sway: bool = True
    cop_rms_ap_mm: float = 5.0
    cop_rms_ml_mm: float = 3.3
    noise_time_constant_s: float = 10.0
    site_height_m: float = 0.85
    gluteal_mmg_rms_ms2: float = 0.004
    gluteal_emg_rms_v: float = 10e-6
    kohnstamm: KohnstammParams = KohnstammParams()


@dataclasses.dataclass(frozen=True)
class AfterMovement:
    """One after-movement event.

    Attributes
    ----------
    t_s : float
        When the preceding movement stops (the push is released), s.
    kind : {"soft_tissue", "kohnstamm"}
        Soft-tissue ring-down or Kohnstamm-type after-contraction.
    amplitude_ms2 : float
        Initial soft-tissue acceleration amplitude (``soft_tissue`` only).
    """

    t_s: float
    kind: str = "soft_tissue"
    amplitude_ms2: float = 0.5

    def __post_init__(self) -> None:
        if self.kind not in ("soft_tissue", "kohnstamm"):
            raise ParameterError(f"after-movement kind must be soft_tissue or kohnstamm, got {self.kind!r}")


def _bandpass_sos(lo_hz: float, hi_hz: float, fs: float) -> np.ndarray:
    hi = min(hi_hz, 0.45 * fs)
    return signal.butter(2, [lo_hz, hi], btype="bandpass", fs=fs, output="sos")


def cop_filters(p: PendulumParams, fs: float) -> dict[str, Any]:
    """Discrete closed-loop filters from sensory noise (rad) to θ, θ', ankle torque and T_act.

    Parameters
    ----------
    p : PendulumParams
        Plant and controller.
    fs : float
        Sampling rate in Hz (the delay is rounded to whole samples).

    Returns
    -------
    dict
        ``den`` (common denominator) and numerators ``theta``, ``omega``,
        ``torque`` (ankle torque, N·m) and ``active`` (T_act, N·m).

    Raises
    ------
    ParameterError
        If the discretised loop is unstable (e.g. fs too low for the delay).
    """
    dt = 1.0 / fs
    mgh = p.mass_kg * G0 * p.com_height_m
    a = np.array([[0.0, 1.0], [(mgh - p.passive_stiffness_nm_per_rad) / p.inertia_kgm2,
                               -p.passive_damping_nms_per_rad / p.inertia_kgm2]])
    b = np.array([[0.0], [1.0 / p.inertia_kgm2]])
    ad, bd, cd, dd, _ = signal.cont2discrete((a, b, np.eye(2), np.zeros((2, 1))), dt, method="zoh")
    nums, den_p = signal.ss2tf(ad, bd, cd, dd)
    n_th, n_om = nums
    w0, beta = p.activation_omega_rad_s, p.activation_damping
    n_a, d_a, _ = signal.cont2discrete(([w0**2], [1.0, 2 * beta * w0, w0**2]), dt, method="zoh")
    n_a = np.ravel(n_a)
    d = max(1, int(round(p.delay_s * fs)))
    n_c = p.kp_nm_per_rad * n_th + p.kd_nms_per_rad * n_om
    p1, p2 = np.convolve(d_a, den_p), np.convolve(n_a, n_c)
    den = np.zeros(max(p1.size, p2.size + d))
    den[:p1.size] += p1
    den[d:d + p2.size] += p2
    if np.abs(np.roots(den)).max() >= 1.0:
        raise ParameterError(f"postural loop unstable at fs = {fs:g} Hz with delay {p.delay_s:g} s")
    # plant input T_in = -T_act;  T_in = -K_P A D / den · n
    t_in = -p.kp_nm_per_rad * np.convolve(n_a, den_p)
    theta = -p.kp_nm_per_rad * np.convolve(n_a, n_th)
    omega = -p.kp_nm_per_rad * np.convolve(n_a, n_om)
    size = den.size
    pad = lambda x: np.pad(x, (0, size - x.size))  # noqa: E731 - local helper
    torque = (p.passive_stiffness_nm_per_rad * pad(theta) + p.passive_damping_nms_per_rad * pad(omega)
              - pad(t_in))
    return {"den": den, "theta": pad(theta), "omega": pad(omega), "torque": torque,
            "active": -pad(t_in)}


class _Axis:
    """One sway direction: noise low-pass → closed loop, with state carried between chunks."""

    def __init__(self, p: PosturalParams, fs: float, cop_rms_m: float, rng: np.random.Generator,
                 filters: dict[str, Any]) -> None:
        self.fs, self.rng = fs, rng
        self.den = filters["den"]
        self.nums = np.vstack([filters["theta"], filters["omega"], filters["torque"], filters["active"]])
        self.a_lp = math.exp(-1.0 / (p.noise_time_constant_s * fs))
        # H2 norm: stationary COP variance for unit white input through low-pass and loop.
        n_imp = int(12 * p.noise_time_constant_s * fs) + int(30 * fs)
        imp = np.zeros(n_imp)
        imp[0] = 1.0
        h = signal.lfilter(self.nums[2], self.den,
                           signal.lfilter([1 - self.a_lp], [1, -self.a_lp], imp))
        cop_per_unit = math.sqrt(float(np.sum(h**2))) / (p.pendulum.mass_kg * G0)
        self.gain = cop_rms_m / cop_per_unit
        self.zi_lp = np.zeros(1)
        self.zi = np.zeros((4, self.den.size - 1))
        # burn-in: start in the stationary state instead of upright and still
        self.run(int(5 * p.noise_time_constant_s * fs))

    def run(self, n: int) -> np.ndarray:
        """Return θ, θ', ankle torque, active torque for the next *n* samples, shape (4, n)."""
        w = self.gain * self.rng.standard_normal(n)
        w, self.zi_lp = signal.lfilter([1 - self.a_lp], [1, -self.a_lp], w, zi=self.zi_lp)
        out = np.empty((4, n))
        for k in range(4):
            out[k], self.zi[k] = signal.lfilter(self.nums[k], self.den, w, zi=self.zi[k])
        return out


class PosturalModel:
    """Stateful generator of the postural mechanism, rendered chunk by chunk.

    Parameters
    ----------
    duration_s, fs : float
        Total duration (s) and acceleration rate (Hz).
    rng : numpy.random.Generator
        Parent generator; one child per noise source is spawned.
    emg_fs : float or None
        EMG rate in Hz, or None for no EMG.
    params : PosturalParams
        Model parameters.
    after_movement : sequence of AfterMovement
        After-movement events.
    local_coupling : float
        Fraction of the local muscle vibration (MMG) the device sees; sway,
        tilt and the bulk soft-tissue ring-down move the whole region (1).
    """

    def __init__(self, duration_s: float, fs: float, *, rng: np.random.Generator,
                 emg_fs: float | None = None, params: PosturalParams = PosturalParams(),
                 after_movement: Sequence[AfterMovement] = (), local_coupling: float = 1.0) -> None:
        self.duration_s, self.fs, self.emg_fs, self.p = float(duration_s), float(fs), emg_fs, params
        self.local_coupling = float(local_coupling)
        self.n_total = int(round(self.duration_s * self.fs))
        r_ap, r_ml, r_mmg, r_emg, r_after = rng.spawn(5)
        self.rng_mmg, self.rng_emg = r_mmg, r_emg
        self.pos = 0
        self.pos_emg = 0
        pe = params.pendulum
        self.mgh = pe.mass_kg * G0 * pe.com_height_m
        if params.sway:
            filt = cop_filters(pe, self.fs)
            self.ap = _Axis(params, self.fs, params.cop_rms_ap_mm * 1e-3, r_ap, filt)
            self.ml = _Axis(params, self.fs, params.cop_rms_ml_mm * 1e-3, r_ml, filt)
            # typical ML active torque (60 s more burn-in) normalises the gluteal activation
            act = np.abs(self.ml.run(int(60 * self.fs))[3])
            self.act_ref = float(np.mean(act)) + 1e-12
        self.sos_mmg = _bandpass_sos(5.0, 40.0, self.fs)
        self.zi_mmg = np.zeros((self.sos_mmg.shape[0], 2))
        self.mmg_norm = self._band_norm(self.sos_mmg, self.fs)
        if emg_fs is not None:
            # float32 noise path: the EMG is band noise ≪ 1 V, single precision is ample and faster
            self.sos_emg = _bandpass_sos(20.0, 250.0, float(emg_fs)).astype(np.float32)
            self.zi_emg = np.zeros((self.sos_emg.shape[0], 2), dtype=np.float32)
            self.emg_norm = self._band_norm(self.sos_emg, float(emg_fs))
            self.n_emg_total = int(round(self.duration_s * float(emg_fs)))
        self.events = sorted(after_movement, key=lambda e: e.t_s)
        self._after = self._render_after(r_after)
        self.decays = [self._decay_of(e) for e in self.events]
        self.sway_rms_ms2: float | None = None
        self._sq_sum = 0.0

    @staticmethod
    def _band_norm(sos: np.ndarray, fs: float) -> float:
        """R.m.s. of unit white noise after *sos* (to give band noise a set r.m.s.)."""
        imp = np.zeros(int(4 * fs))
        imp[0] = 1.0
        return math.sqrt(float(np.sum(signal.sosfilt(sos, imp) ** 2)))

    def _decay_of(self, e: AfterMovement) -> float:
        if e.kind == "kohnstamm":
            return self.p.kohnstamm.decay_s
        from .tissue import TissueParams

        tp = TissueParams()
        return 1.0 / (tp.damping_ratio * 2 * math.pi * tp.natural_frequency_hz)

    def _render_after(self, rng: np.random.Generator) -> dict[str, Any]:
        """Precompute the after-movement waveforms (sparse: each is a few decay times long)."""
        pieces: list[tuple[int, np.ndarray]] = []
        envelopes: list[tuple[float, KohnstammParams]] = []
        for e, r in zip(self.events, rng.spawn(len(self.events))):
            if e.kind == "soft_tissue":
                from .tissue import after_oscillation

                span = min(self.duration_s - e.t_s, 10 * self._decay_of(e))
                if span > 0:
                    # the ring-down is short: render it once, locally, and add it per chunk
                    pieces.append((int(round(e.t_s * self.fs)),
                                   after_oscillation(0.0, span, self.fs, amplitude_ms2=e.amplitude_ms2,
                                                     rng=r)))
            else:
                envelopes.append((e.t_s, self.p.kohnstamm))
        return {"pieces": pieces, "kohnstamm": envelopes}

    def _kohnstamm_envelope(self, t: np.ndarray) -> np.ndarray:
        env = np.zeros_like(t)
        for t_rel, k in self._after["kohnstamm"]:
            u = t - (t_rel + k.latency_s)
            rise = np.clip(u / k.rise_s, 0.0, 1.0)
            rise = 0.5 - 0.5 * np.cos(np.pi * rise)
            decay = np.where(u > k.rise_s, np.exp(-(u - k.rise_s) / k.decay_s), 1.0)
            env += np.where(u > 0, rise * decay, 0.0)
        return env

    def render(self, n: int) -> tuple[np.ndarray, np.ndarray | None]:
        """Return the next *n* samples of body-frame acceleration (3, n) and the matching EMG.

        The EMG chunk covers the same time span at ``emg_fs`` (or is None).
        """
        p = self.p
        i0 = self.pos
        t = (i0 + np.arange(n)) / self.fs
        acc = np.zeros((3, n))
        envelope = np.zeros(n)
        if p.sway:
            r = p.site_height_m
            for axis, model in ((0, self.ap), (1, self.ml)):
                th, om, torque, active = model.run(n)
                theta_dd = ((self.mgh - p.pendulum.passive_stiffness_nm_per_rad) * th
                            - p.pendulum.passive_damping_nms_per_rad * om - active) / p.pendulum.inertia_kgm2
                acc[axis] = r * theta_dd - G0 * np.sin(th)
                if axis == 1:
                    envelope = 0.5 + 0.5 * np.abs(active) / self.act_ref
            self._sq_sum += float(np.sum(acc[:2] ** 2))
        k_env = self._kohnstamm_envelope(t)
        if self._after["kohnstamm"]:
            k = p.kohnstamm
            # slow hip abduction: the tilt follows the envelope (low-pass by construction)
            acc[1] += -G0 * k.tilt_rad * k_env
        mmg_amp = (p.gluteal_mmg_rms_ms2 * envelope if p.sway else 0.0) + p.kohnstamm.mmg_rms_ms2 * k_env
        if np.any(mmg_amp):
            band, self.zi_mmg = signal.sosfilt(self.sos_mmg, self.rng_mmg.standard_normal(n), zi=self.zi_mmg)
            acc[0] += self.local_coupling * mmg_amp * band / self.mmg_norm
        for start, piece in self._after["pieces"]:
            lo, hi = max(start, i0), min(start + piece.shape[1], i0 + n)
            if lo < hi:
                acc[:, lo - i0:hi - i0] += piece[:, lo - start:hi - start]
        emg = None
        if self.emg_fs is not None:
            j0 = self.pos_emg
            j1 = min(int(round((i0 + n) / self.fs * self.emg_fs)), self.n_emg_total)
            # activation envelope (≤ a few Hz) at the acceleration rate, held to the EMG rate
            amp_acc = (p.gluteal_emg_rms_v * envelope if p.sway else np.zeros(n)) \
                + p.kohnstamm.emg_rms_v * k_env
            if np.any(amp_acc):
                scale = (amp_acc / self.emg_norm).astype(np.float32)
                ratio = self.emg_fs / self.fs
                if float(ratio).is_integer() and j0 == i0 * int(ratio):
                    held = np.repeat(scale, int(ratio))[: j1 - j0]
                else:
                    hold = ((j0 + np.arange(j1 - j0)) / ratio).astype(np.int64) - i0
                    held = scale[np.clip(hold, 0, n - 1)]
                noise = self.rng_emg.standard_normal(j1 - j0, dtype=np.float32)
                band, self.zi_emg = signal.sosfilt(self.sos_emg, noise, zi=self.zi_emg)
                emg = held * band
            else:
                emg = np.zeros(j1 - j0)
            self.pos_emg = j1
        self.pos += n
        return acc, emg

    @property
    def annotations(self) -> Annotations:
        """Truth events: one ``after_movement`` interval per event (value = decay time, s)."""
        return Annotations(
            [e.t_s for e in self.events], [5 * d for d in self.decays],
            [f"after_movement:{e.kind}" for e in self.events], ["postural"] * len(self.events),
            ["truth"] * len(self.events), self.decays)

    def truth(self) -> dict[str, Any]:
        """The ``postural`` truth block (DESIGN §4.3 keys), valid after rendering everything."""
        rms = math.sqrt(self._sq_sum / (2 * max(self.pos, 1))) if self.p.sway else None
        return {"present": bool(self.p.sway or self.events),
                "sway_rms_ms2": rms,
                "cop_rms_ap_mm": self.p.cop_rms_ap_mm if self.p.sway else None,
                "cop_rms_ml_mm": self.p.cop_rms_ml_mm if self.p.sway else None,
                "after_movement": [{"t_s": float(e.t_s), "decay_s": float(d), "kind": e.kind}
                                   for e, d in zip(self.events, self.decays)]}


def simulate_cop(duration_s: float, fs: float, *, rng: np.random.Generator,
                 params: PosturalParams = PosturalParams()) -> np.ndarray:
    """Centre-of-pressure excursion of quiet standing, as a force plate would record it.

    Parameters
    ----------
    duration_s, fs : float
        Duration (s) and rate (Hz).
    rng : numpy.random.Generator
        Parent generator (one child per direction).
    params : PosturalParams
        Model parameters.

    Returns
    -------
    ndarray, shape (2, n)
        COP antero-posterior and medio-lateral, in m, about the mean position.
    """
    n = int(round(duration_s * fs))
    filt = cop_filters(params.pendulum, fs)
    weight = params.pendulum.mass_kg * G0
    out = np.empty((2, n))
    for k, (target, r) in enumerate(zip((params.cop_rms_ap_mm, params.cop_rms_ml_mm), rng.spawn(2))):
        out[k] = _Axis(params, fs, target * 1e-3, r, filt).run(n)[2] / weight
    return out


def _params_from(kw: Mapping[str, Any]) -> tuple[PosturalParams, list[AfterMovement]]:
    kw = dict(kw)
    after = [a if isinstance(a, AfterMovement) else
             build_params(AfterMovement, a, mechanism="postural after-movement")
             for a in kw.pop("after_movement", [])]
    return build_params(PosturalParams, kw, mechanism="postural",
                        nested={"pendulum": PendulumParams, "kohnstamm": KohnstammParams}), after


def simulate(duration_s: float, fs: float, *, rng: np.random.Generator, emg_fs: float | None = None,
             **params: Any) -> MechanismOutput:
    """Simulate the postural mechanism in one go.

    Parameters
    ----------
    duration_s, fs : float
        Duration (s) and rate (Hz).
    rng : numpy.random.Generator
        Parent generator.
    emg_fs : float or None
        EMG rate, or None.
    **params
        Fields of :class:`PosturalParams`, plus ``after_movement`` (list of
        :class:`AfterMovement` or dicts).

    Returns
    -------
    MechanismOutput
        Body-frame acceleration, optional EMG, truth events and block.

    Examples
    --------
    >>> import numpy as np
    >>> out = simulate(30.0, 100.0, rng=np.random.default_rng(0))
    >>> out.acc.shape, out.truth["present"]
    ((3, 3000), True)
    """
    p, after = _params_from(params)
    model = PosturalModel(duration_s, fs, rng=rng, emg_fs=emg_fs, params=p, after_movement=after)
    acc, emg = model.render(model.n_total)
    return MechanismOutput("postural", acc, float(fs), emg, emg_fs, model.annotations, model.truth())


def voluntary_movement(t0_s: float, t1_s: float, duration_s: float, fs: float, *,
                       rng: np.random.Generator, kind: str = "walking",
                       cadence_hz: float = 1.9, amplitude_ms2: float = 2.5,
                       emg_fs: float | None = None, emg_rms_v: float = 100e-6
                       ) -> tuple[np.ndarray, np.ndarray | None, Annotations]:
    """Pelvic acceleration (and gluteal EMG) of a voluntary bout, walking or dancing, *t0_s*–*t1_s*.

    Walking: vertical pelvic acceleration at the step frequency with a second
    harmonic, fore-aft at the step frequency, lateral at the stride frequency
    (half the step frequency). Dancing: the same at the music's beat with a
    larger step-to-step variability and a random phrase-to-phrase intensity
    (new level every 2 s, smoothly interpolated). Cadence ≈ 1.9 steps/s,
    ±2.5 m/s² vertical amplitude and a gluteal EMG of 100 µV r.m.s. (≈ 20 % of
    a 0.5 mV maximal contraction) bursting once per step are our assumptions for
    a typical adult (no source in physiology.md).

    Returns
    -------
    acc : ndarray, shape (3, n)
        Body-frame acceleration over the whole recording (zero outside the bout).
    emg : ndarray or None
        Gluteal surface potential (V) at *emg_fs* over the whole recording, or None.
    annotations : Annotations
        One ``voluntary`` interval (label = kind, value = cadence), ``mechanism=None``.
    """
    if kind not in ("walking", "dancing"):
        raise ParameterError(f"voluntary kind must be walking or dancing, got {kind!r}")
    n = int(round(duration_s * fs))
    t = np.arange(n) / fs
    acc = np.zeros((3, n))
    emg = None if emg_fs is None else np.zeros(int(round(duration_s * emg_fs)))
    inside = (t >= t0_s) & (t < t1_s)
    if not inside.any():
        return acc, emg, Annotations()
    tt = t[inside] - t0_s
    knots = np.arange(0.0, tt[-1] + 4.0, 2.0)
    jitter, depth = (0.03, 0.1) if kind == "walking" else (0.08, 0.35)
    f_inst = cadence_hz * (1 + jitter * np.interp(tt, knots, rng.standard_normal(knots.size)))
    phase = 2 * np.pi * np.cumsum(f_inst) / fs + rng.uniform(0, 2 * np.pi)
    mod = np.clip(1.0 + depth * np.interp(tt, knots, rng.standard_normal(knots.size)), 0.2, None)
    ramp = np.clip(np.minimum(tt, tt[-1] - tt) / 0.5, 0.0, 1.0)
    a = amplitude_ms2 * mod * ramp
    acc[2, inside] = a * (np.sin(phase) + 0.35 * np.sin(2 * phase + 0.5))
    acc[0, inside] = 0.6 * a * np.sin(phase + 1.2)
    acc[1, inside] = 0.4 * a * np.sin(0.5 * phase)
    if emg is not None:
        j0, j1 = int(round(t0_s * emg_fs)), min(int(round(t1_s * emg_fs)), emg.size)
        te = np.arange(j0, j1) / emg_fs
        # one burst per step (stance loading), envelope (½ + ½ sin φ)² ; mean square of that is 3/8
        env = ((0.5 + 0.5 * np.sin(np.interp(te, t[inside], phase))) ** 2
               * np.interp(te, t[inside], mod * ramp))
        sos = _bandpass_sos(20.0, 250.0, float(emg_fs))
        band = signal.sosfilt(sos, rng.standard_normal(j1 - j0))
        emg[j0:j1] = emg_rms_v / math.sqrt(3 / 8) * env * band / (np.std(band) + 1e-30)
    return acc, emg, Annotations([t0_s], [t1_s - t0_s], [kind], [None], ["truth"], [cadence_hz])
