"""Fasciculations: spontaneous discharges of single gluteal motor units.

A fasciculation is one discharge of one motor unit without intent. Each
discharge gives the unit's twitch (Fuglevand et al. 1993), which pushes the skin
and fat (:mod:`.tissue`) and is felt, seen or measured as a brief transient, and
the unit's action potential at a surface electrode pair (:func:`.muscle.muap`).
This is the "physiology, not decoration" answer to NeuroKit2's
``emg_simulate``, which draws bursts of uniform noise.

Timing (``pattern``)
--------------------
``"sporadic"``
    A homogeneous Poisson process: independent, exponential inter-event
    intervals.
``"clustered"``
    A Neyman–Scott process: cluster centres are Poisson; each cluster holds
    1 + Poisson(``cluster_size_mean`` − 1) discharges of one hyperexcitable unit,
    displaced from the centre by exponential delays of mean
    ``cluster_spread_s``. The long-run rate equals ``rate_per_min``.
``"continuous"``
    A few units (``n_continuous_units``) discharge on and on as gamma renewal
    trains (CV ``continuous_isi_cv``), at a high summed rate.

Which units fire
----------------
Fasciculations of one person recur in a limited set of hyperexcitable units
(repeated FP shapes in surface recordings; the count is our assumption,
``n_active_units``). Units are drawn with probability ∝ ``P_i^size_exponent``
over the pools of the chosen muscles (each axon equally likely by default, so
— the pools being exponential — most fasciculating units are small, with
small twitches). Evidence on size is mixed (low-threshold motoneurones are
more excitable; large units have more terminal branches where distal ectopic
discharges start), hence a neutral default.

Rates (:func:`fasciculation_rate_per_min`)
------------------------------------------
A base rate per ``condition`` times one factor per modulator:

========================  =========  ===================================================
condition                 /min       basis
========================  =========  ===================================================
``healthy``               0.5        healthy tibialis anterior never > 3 /min on surface
                                     EMG (van der Heijden et al. 1994); value inside
                                     0–3 is our assumption (no gluteal data)
``benign_fasciculation``  5.73       [D] ALS median 40.5 /min (Bashford et al. 2020,
                                     HD-sEMG) divided by the ALS:BFS ratio of 5–10 in
                                     strong muscles (Bashford et al. 2020, Brain
                                     Commun): 4.05–8.1 /min, geometric middle
``continuous_twitching``  40.5       median of the 10.6–79.4 /min IQR (Bashford 2020)
========================  =========  ===================================================

================  ===========  ==========================================================
modulator         direction    size (all sizes are **our assumptions** unless noted)
================  ===========  ==========================================================
exercise          more         ``1 + A e^{−h/6 h}``; A = 0.33 / 0.66 / 1.32 for light /
                               moderate / vigorous. 0.66 is the relative rise of short
                               (< 20 ms) intervals with fatigue, 7.1 % → 11.8 % (Griffin,
                               Garland & Ivanova 1998), used as a proxy [D]; no
                               quantitative post-exercise fasciculation data exist
                               (physiology.md §2.1)
caffeine          more         ``1 + 0.5 (1 − e^{−mg/200})``; no peer-reviewed
                               quantitative source (physiology.md §2.1)
stress            more         × 1, 1.25, 1.6 for low / moderate / high; no
                               quantitative source
potassium         more if low  1 at ≥ 3.5 mmol/L; + 0.3 across mild hypokalaemia
                               (3.5 → 3.0) and × e^{(3.0−K)/0.25} below 3.0 (normal
                               3.5–5.0; mild 3.0–3.4 often without symptoms; < 2.5
                               severe; physiology.md §9.2)
magnesium         more if low  1 at ≥ 0.70 mmol/L; + 0.5 across 0.70 → 0.50 and ×
                               e^{(0.5−Mg)/0.1} below 0.50 (fasciculation is a symptom
                               of hypomagnesaemia, usually only below 0.5 mmol/L;
                               physiology.md §9.2)
================  ===========  ==========================================================
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..errors import ParameterError, SamplingRateError
from ..recording import Annotations
from . import muscle as _muscle
from ._base import MechanismOutput
from .tissue import TissueParams

__all__ = [
    "Modulators",
    "FasciculationParams",
    "CONDITION_RATES_PER_MIN",
    "PATTERNS",
    "fasciculation_rate_per_min",
    "simulate",
]

#: Base fasciculation rate per condition in events/min (see the module docstring).
CONDITION_RATES_PER_MIN = {
    "healthy": 0.5,
    "benign_fasciculation": 40.5 / math.sqrt(5.0 * 10.0),
    "continuous_twitching": 40.5,
}
_EXERCISE_GAIN = {"light": 0.33, "moderate": 0.66, "vigorous": 1.32}
_EXERCISE_DECAY_H = 6.0
_STRESS_FACTOR = {"low": 1.0, "moderate": 1.25, "high": 1.6}
PATTERNS = ("sporadic", "clustered", "continuous")


@dataclasses.dataclass(frozen=True)
class Modulators:
    """What raises or lowers the fasciculation rate.

    Parameters
    ----------
    condition : str
        ``"healthy"``, ``"benign_fasciculation"`` or ``"continuous_twitching"``.
    hours_since_exercise : float or None
        Hours since the end of strenuous exercise; None for none in recent days.
    exercise_intensity : str
        ``"light"``, ``"moderate"`` or ``"vigorous"`` (used with ``hours_since_exercise``).
    caffeine_mg : float
        Caffeine taken today in mg (a mug of coffee ≈ 100 mg).
    stress : str
        ``"low"``, ``"moderate"`` or ``"high"``.
    potassium_mmol_l : float
        Serum potassium (normal 3.5–5.0 mmol/L).
    magnesium_mmol_l : float
        Serum magnesium (normal 0.70–1.05 mmol/L).
    """

    condition: str = "healthy"
    hours_since_exercise: float | None = None
    exercise_intensity: str = "moderate"
    caffeine_mg: float = 0.0
    stress: str = "low"
    potassium_mmol_l: float = 4.2
    magnesium_mmol_l: float = 0.85

    def __post_init__(self) -> None:
        _choice("condition", self.condition, CONDITION_RATES_PER_MIN)
        _choice("exercise_intensity", self.exercise_intensity, _EXERCISE_GAIN)
        _choice("stress", self.stress, _STRESS_FACTOR)
        if self.hours_since_exercise is not None:
            _nonneg("hours_since_exercise", self.hours_since_exercise)
        _nonneg("caffeine_mg", self.caffeine_mg)
        for name in ("potassium_mmol_l", "magnesium_mmol_l"):
            v = float(getattr(self, name))
            if not math.isfinite(v) or v <= 0:
                raise ParameterError(f"Modulators.{name} must be finite and > 0, got {v!r}")

    @classmethod
    def coerce(cls, value: "Modulators | Mapping[str, Any] | None") -> "Modulators":
        """Accept a Modulators, a mapping of its fields, or None (defaults)."""
        if value is None:
            return cls()
        if isinstance(value, cls):
            return value
        if isinstance(value, Mapping):
            names = {f.name for f in dataclasses.fields(cls)}
            unknown = sorted(set(value) - names)
            if unknown:
                raise ParameterError(f"unknown modulator {unknown[0]!r}; expected {sorted(names)}")
            return cls(**dict(value))
        raise ParameterError(
            f"modulators must be Modulators, a dict or None, not {type(value).__name__}")


def _choice(name: str, value: str, allowed: Mapping[str, Any]) -> None:
    if value not in allowed:
        raise ParameterError(f"{name} must be one of {sorted(allowed)}, got {value!r}")


def _nonneg(name: str, value: float) -> None:
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise ParameterError(f"{name} must be finite and ≥ 0, got {value!r}")


@dataclasses.dataclass(frozen=True)
class FasciculationParams:
    """Choices of the fasciculation generator (all our assumptions; see the module docstring).

    Parameters
    ----------
    n_active_units : int
        Hyperexcitable units that produce the sporadic and clustered events.
    n_continuous_units : int
        Units that fire on and on in the continuous pattern.
    size_exponent : float
        Units are chosen with probability ∝ P^size_exponent (0: every axon alike;
        negative: big units less often).
    cluster_size_mean : float
        Mean discharges per cluster (≥ 1).
    cluster_spread_s : float
        Mean delay of a cluster's discharges from its centre.
    continuous_isi_cv : float
        Interval CV of each continuously firing unit (gamma renewal).
    refractory_s : float
        Discharges of one unit closer than this are merged (axonal refractoriness).
    """

    n_active_units: int = 10
    n_continuous_units: int = 4
    size_exponent: float = 0.0
    cluster_size_mean: float = 4.0
    cluster_spread_s: float = 3.0
    continuous_isi_cv: float = 0.5
    refractory_s: float = 0.005

    def __post_init__(self) -> None:
        if int(self.n_active_units) < 1 or int(self.n_continuous_units) < 1:
            raise ParameterError("n_active_units and n_continuous_units must be ≥ 1")
        if not self.cluster_size_mean >= 1:
            raise ParameterError("cluster_size_mean must be ≥ 1")
        for name in ("cluster_spread_s", "continuous_isi_cv", "refractory_s"):
            v = float(getattr(self, name))
            if not math.isfinite(v) or v <= 0:
                raise ParameterError(f"FasciculationParams.{name} must be finite and > 0")
        if not math.isfinite(self.size_exponent):
            raise ParameterError("size_exponent must be finite")


def fasciculation_rate_per_min(modulators: Modulators | Mapping[str, Any] | None = None) -> float:
    """Expected fasciculation rate (events/min over the gluteal muscles).

    Parameters
    ----------
    modulators : Modulators, dict or None
        Condition and modulators (defaults: healthy, rested, no caffeine, low
        stress, normal electrolytes).

    Returns
    -------
    float
        Rate in events per minute; the factors are listed in the module docstring.
    """
    m = Modulators.coerce(modulators)
    rate = CONDITION_RATES_PER_MIN[m.condition]
    if m.hours_since_exercise is not None:
        rate *= 1.0 + _EXERCISE_GAIN[m.exercise_intensity] * math.exp(
            -m.hours_since_exercise / _EXERCISE_DECAY_H)
    rate *= 1.0 + 0.5 * (1.0 - math.exp(-m.caffeine_mg / 200.0))
    rate *= _STRESS_FACTOR[m.stress]
    k = m.potassium_mmol_l
    rate *= 1.0 + 0.3 * min(max(3.5 - k, 0.0), 0.5) / 0.5 + math.expm1(max(3.0 - k, 0.0) / 0.25)
    mg = m.magnesium_mmol_l
    rate *= 1.0 + 0.5 * min(max(0.70 - mg, 0.0), 0.2) / 0.2 + math.expm1(max(0.5 - mg, 0.0) / 0.1)
    return float(rate)


def _poisson_times(rate_hz: float, duration_s: float, rng: np.random.Generator) -> np.ndarray:
    n = rng.poisson(rate_hz * duration_s)
    return np.sort(rng.uniform(0.0, duration_s, n))


def _event_times(pattern: str, rate_hz: float, duration_s: float, n_units: int,
                 p: FasciculationParams, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Event times and the index (into the active set) of the unit of each event."""
    if pattern == "sporadic":
        t = _poisson_times(rate_hz, duration_s, rng)
        return t, rng.integers(0, n_units, t.size)
    if pattern == "clustered":
        size = p.cluster_size_mean
        # centres may lie before the start so that the rate is stationary from t = 0
        lead = 10.0 * p.cluster_spread_s
        centres = _poisson_times(rate_hz / size, duration_s + lead, rng) - lead
        n_child = 1 + rng.poisson(size - 1.0, centres.size)
        t = np.repeat(centres, n_child) + rng.exponential(p.cluster_spread_s, n_child.sum())
        who = np.repeat(rng.integers(0, n_units, centres.size), n_child)
        keep = (t >= 0) & (t < duration_s)
        return t[keep], who[keep]
    # continuous: gamma renewal trains, stationary (random start phase)
    shape = 1.0 / p.continuous_isi_cv ** 2
    per_unit = rate_hz / n_units
    times, who = [], []
    for u in range(n_units):
        n = int(duration_s * per_unit * 1.5) + 10
        isi = rng.gamma(shape, 1.0 / (shape * per_unit), n)
        t = np.cumsum(isi) - rng.uniform(0.0, isi[0])
        t = t[(t >= 0) & (t < duration_s)]
        times.append(t)
        who.append(np.full(t.size, u))
    return np.concatenate(times), np.concatenate(who)


def simulate(duration_s: float, fs: float, *, rng: np.random.Generator,
             emg_fs: float | None = None, rate_per_min: float | None = None,
             pattern: str = "sporadic", modulators: Modulators | dict | None = None,
             muscles: tuple[str, ...] = ("gluteus_maximus", "gluteus_medius", "gluteus_minimus"),
             tissue: TissueParams | None = None,
             params: FasciculationParams | None = None,
             unit_rng: np.random.Generator | None = None) -> MechanismOutput:
    """Simulate fasciculations of the gluteal muscles.

    Parameters
    ----------
    duration_s : float
        Length in s.
    fs : float
        Acceleration rate in Hz.
    rng : numpy.random.Generator
        Source of the event times (and of the person when *unit_rng* is None).
    emg_fs : float or None
        Surface-potential rate in Hz; None for no EMG.
    rate_per_min : float or None
        Mean events per minute; None to take :func:`fasciculation_rate_per_min`
        of *modulators* (with ``pattern="continuous"`` and a ``"healthy"``
        condition, the ``"continuous_twitching"`` base rate is used instead).
    pattern : str
        ``"sporadic"``, ``"clustered"`` or ``"continuous"``.
    modulators : Modulators, dict or None
        Condition and modulators of the rate.
    muscles : tuple of str
        Muscles whose units may fasciculate (keys of :data:`.muscle.MUSCLES`).
    tissue : TissueParams or None
        Skin and fat parameters (defaults if None).
    params : FasciculationParams or None
        Generator choices (defaults if None).
    unit_rng : numpy.random.Generator or None
        Draws the person: motor-unit territories and the hyperexcitable units
        (*rng* if None). A recording rendered in chunks keeps the same units when
        every chunk gets a generator with the same seed here.

    Returns
    -------
    MechanismOutput
        ``acc`` (3, n) in m/s²; ``emg`` in V at the electrode pair (or None);
        events labelled ``"twitch"`` whose value is the twitch's peak skin
        acceleration in m/s²; ``truth`` with ``present``, ``rate_per_min``,
        ``pattern``, ``n_events`` and ``events`` (``t_s``, ``peak_ms2``,
        ``muscle``, ``mu_index``).

    Examples
    --------
    >>> import numpy as np
    >>> out = simulate(60.0, 100.0, rng=np.random.default_rng(0), emg_fs=2000.0,
    ...                modulators={"condition": "benign_fasciculation", "caffeine_mg": 300})
    >>> out.acc.shape, out.emg.shape
    ((3, 6000), (120000,))
    >>> out.truth["pattern"], round(out.truth["rate_per_min"], 2)
    ('sporadic', 7.95)
    """
    if not (math.isfinite(duration_s) and duration_s >= 0):
        raise ParameterError(f"duration_s must be finite and ≥ 0, got {duration_s!r}")
    if not (math.isfinite(fs) and fs > 0):
        raise SamplingRateError(f"fs must be finite and > 0 Hz, got {fs!r}")
    _choice("pattern", pattern, dict.fromkeys(PATTERNS))
    if not muscles:
        raise ParameterError("muscles must name at least one muscle")
    p = params or FasciculationParams()
    mods = Modulators.coerce(modulators)
    if rate_per_min is None:
        if pattern == "continuous" and mods.condition == "healthy":
            mods = dataclasses.replace(mods, condition="continuous_twitching")
        rate_per_min = fasciculation_rate_per_min(mods)
    if not (math.isfinite(rate_per_min) and rate_per_min >= 0):
        raise ParameterError(f"rate_per_min must be finite and ≥ 0, got {rate_per_min!r}")
    tissue = tissue or TissueParams()
    person = rng if unit_rng is None else unit_rng
    pools = [_muscle.motor_unit_pool(name, rng=person, tissue=tissue) for name in muscles]

    # the hyperexcitable units: muscles ∝ unit count, units ∝ P^size_exponent
    weights = np.concatenate([(pl.peak_force_n / pl.peak_force_n[0]) ** p.size_exponent
                              for pl in pools])
    n_set = min(p.n_continuous_units if pattern == "continuous" else p.n_active_units,
                weights.size)
    flat = person.choice(weights.size, size=n_set, replace=False, p=weights / weights.sum())
    offsets = np.cumsum([0] + [pl.n_units for pl in pools])
    set_muscle = np.searchsorted(offsets, flat, side="right") - 1
    set_unit = flat - offsets[set_muscle]

    t, who = _event_times(pattern, rate_per_min / 60.0, duration_s, n_set, p, rng)
    order = np.lexsort((t, who))
    t, who = t[order], who[order]
    gap = np.diff(t, prepend=-np.inf)
    same = np.diff(who, prepend=-1) == 0
    keep = ~(same & (gap < p.refractory_s))
    t, who = t[keep], who[keep]
    isi = np.where(same[keep], np.diff(t, prepend=-np.inf), np.inf)
    ev_muscle, ev_unit = set_muscle[who], set_unit[who]
    ct = np.concatenate([pl.contraction_time_s for pl in pools])[offsets[ev_muscle] + ev_unit]
    gain = _muscle.rate_gain(ct, isi) if t.size else np.zeros(0)

    renderer = _muscle.MotorUnitRenderer(pools, fs, emg_fs, tissue=tissue)
    acc, emg, peak = renderer.render(duration_s, t, ev_muscle, ev_unit, gain)
    time_order = np.argsort(t, kind="stable")
    t, peak = t[time_order], peak[time_order]
    ev_muscle, ev_unit = ev_muscle[time_order], ev_unit[time_order]
    events = Annotations(onset=t, duration=np.zeros(t.size), label=("twitch",) * t.size,
                         mechanism=("twitch",) * t.size, source=("truth",) * t.size, value=peak)
    truth = {
        "present": bool(t.size),
        "rate_per_min": float(rate_per_min),
        "pattern": pattern if t.size else "none",
        "n_events": int(t.size),
        "events": [{"t_s": float(a), "peak_ms2": float(b), "muscle": muscles[m], "mu_index": int(u)}
                   for a, b, m, u in zip(t, peak, ev_muscle, ev_unit)],
    }
    return MechanismOutput(mechanism="twitch", acc=acc, fs=float(fs), emg=emg,
                           emg_fs=None if emg_fs is None else float(emg_fs),
                           events=events, truth=truth)
