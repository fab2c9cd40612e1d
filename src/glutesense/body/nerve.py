"""Ectopic discharges of an irritated or compressed lumbosacral root or nerve.

A compressed or irritated root (L4, L5, S1, S2) or peripheral nerve (superior
or inferior gluteal, sciatic) makes a few of its motor axons fire on their own.
Unlike a fasciculation (one discharge), the discharges come **grouped**; each
discharge activates the axon's motor unit, whose twitch moves the skin
(:mod:`.tissue`) and whose action potential reaches the surface electrodes
(:func:`.muscle.muap`), exactly as in :mod:`.twitch`, with Fuglevand's
rate-dependent gain summing the twitches of closely spaced discharges.

What reaches the buttock
------------------------
The muscles a nerve supplies follow :data:`.muscle.MUSCLES`: gluteus maximus
from the inferior gluteal nerve (L5–S2), medius and minimus from the superior
gluteal nerve (L4–S1) (physiology.md §1.3). The sciatic nerve supplies no
gluteal muscle: its irritation reaches the buttock only through the proximal
hamstrings below the gluteal fold (roots L5–S2, standard anatomy, not in
physiology.md), whose twitches arrive strongly attenuated and whose potentials
barely reach electrodes over gluteus maximus.

Discharge groups ("bursts")
---------------------------
=============  ======================================================================
kind           pattern (source)
=============  ======================================================================
doublet        two discharges 2.5–20 ms apart (Simpson 1969, via Garland & Griffin 1999)
multiplet      3–6 discharges, each interval 3.3–20 ms: inside both the doublet range
               and the 30–300 Hz of neuromyotonic discharges (Maddison 2006)
myokymic       3–10 discharges at 5–60 Hz (the commonly quoted AANEM intraburst range,
               unverified [U]); recurring semi-rhythmically at 2–10 Hz in the
               continuous mode (MedLink, physiology.md §6)
train          repetitive single discharges for 2–10 s ("only seconds of repetitive
               firing" after acute root compression; Howe, Loeser & Calvin 1977) at
               6.3 ± 4.0 Hz (1.3–18.1), interval CV 3.5 % (spontaneous continuous
               single-unit discharges; Posa et al. 2020)
=============  ======================================================================

Rates (:func:`ectopic_burst_rate_per_min`; sizes are **our assumptions**)
-------------------------------------------------------------------------
Ectopic motor discharge rates in human radiculopathy and any quantitative link
between sitting and nerve firing were not found (physiology.md §6, §10). Howe
et al. (1977) show that compression itself drives repetitive firing (seconds
for a normal root, 5–25 min after minimal compression of a dorsal root
ganglion) and sitting roughly halves the soft tissue over the ischium
(Makhsous et al. 2011). We therefore let the burst rate rise with time spent
sitting, saturating, and scale it by how much the current posture compresses
the nerve's path:

``rate = 0.5 /min × (1 + 9 · s_nerve · f_posture · (1 − e^{−sitting_hours / 1.5 h}))``

with ``s_nerve`` = 1 for the sciatic and inferior gluteal nerves (they leave the
pelvis below piriformis, under the sitting load), 0.5 for the superior gluteal
nerve (above piriformis) and 0.7 for the roots, and ``f_posture`` = 1 sitting,
1.5 sitting cross-legged (piriformis stretched over the nerve), 0.8 lying on
the side, 0.6 lying supine, 0.2 standing. In the continuous (pathological)
mode the myokymic bursts recur at 2 Hz × the same compression factor, kept
inside the 2–10 Hz of physiology.md §6.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from ..errors import ParameterError, SamplingRateError
from ..recording import Annotations
from . import muscle as _muscle
from ._base import MechanismOutput
from .tissue import TissueParams

__all__ = [
    "NERVES",
    "POSTURES",
    "BURST_KINDS",
    "MODES",
    "NerveParams",
    "nerve_muscles",
    "discharge_groups",
    "ectopic_burst_rate_per_min",
    "simulate",
]

#: Roots and nerves that can be irritated.
NERVES = ("L4", "L5", "S1", "S2", "superior_gluteal", "inferior_gluteal", "sciatic")
#: Postures and how much each compresses the nerve's path (our assumption).
POSTURES = {"sitting": 1.0, "sitting_cross_legged": 1.5, "lying_on_side": 0.8,
            "lying_supine": 0.6, "standing": 0.2}
_NERVE_SUSCEPTIBILITY = {"sciatic": 1.0, "inferior_gluteal": 1.0, "superior_gluteal": 0.5,
                         "L4": 0.7, "L5": 0.7, "S1": 0.7, "S2": 0.7}
#: Kinds of discharge group.
BURST_KINDS = ("doublet", "multiplet", "myokymic", "train")
MODES = ("irritated", "continuous")


@dataclasses.dataclass(frozen=True)
class NerveParams:
    """Choices of the ectopic-discharge generator.

    Parameters
    ----------
    n_affected_axons : int
        Motor axons that fire ectopically (our assumption, 3).
    kind_probabilities : tuple of float
        Probabilities of doublet, multiplet, myokymic burst and train in the
        irritated mode (our assumption).
    ephaptic_probability : float
        Chance that a group also drives a second affected axon 0.5–1 ms later
        (ephaptic cross-talk in demyelinated roots, physiology.md §6; size ours).
    base_rate_per_min : float
        Irritated-mode burst rate without sitting (our assumption).
    sitting_gain : float
        Maximal relative rise of the rate with sitting (our assumption).
    sitting_time_constant_h : float
        Hours of sitting to reach 63 % of that rise (our assumption).
    continuous_recurrence_hz : float
        Myokymic burst recurrence in the continuous mode before the posture
        factor (2 Hz, the low end of 2–10 Hz, physiology.md §6).
    """

    n_affected_axons: int = 3
    kind_probabilities: tuple[float, float, float, float] = (0.40, 0.25, 0.25, 0.10)
    ephaptic_probability: float = 0.1
    base_rate_per_min: float = 0.5
    sitting_gain: float = 9.0
    sitting_time_constant_h: float = 1.5
    continuous_recurrence_hz: float = 2.0

    def __post_init__(self) -> None:
        if int(self.n_affected_axons) < 1:
            raise ParameterError("n_affected_axons must be ≥ 1")
        pr = np.asarray(self.kind_probabilities, dtype=float)
        if pr.shape != (4,) or np.any(pr < 0) or not math.isclose(pr.sum(), 1.0, abs_tol=1e-9):
            raise ParameterError("kind_probabilities needs 4 probabilities ≥ 0 summing to 1")
        if not 0 <= self.ephaptic_probability <= 1:
            raise ParameterError("ephaptic_probability must lie in [0, 1]")
        for name in ("base_rate_per_min", "sitting_gain", "sitting_time_constant_h",
                     "continuous_recurrence_hz"):
            v = float(getattr(self, name))
            if not math.isfinite(v) or v <= 0:
                raise ParameterError(f"NerveParams.{name} must be finite and > 0")


def nerve_muscles(nerve: str) -> tuple[str, ...]:
    """Muscles of :data:`.muscle.MUSCLES` supplied by a root or nerve."""
    if nerve not in NERVES:
        raise ParameterError(f"nerve must be one of {NERVES}, got {nerve!r}")
    return tuple(name for name, m in _muscle.MUSCLES.items()
                 if m.nerve == nerve or nerve in m.roots)


def _compression(nerve: str, sitting_hours: float, posture: str, p: NerveParams) -> float:
    if posture not in POSTURES:
        raise ParameterError(f"posture must be one of {sorted(POSTURES)}, got {posture!r}")
    if not (math.isfinite(sitting_hours) and sitting_hours >= 0):
        raise ParameterError(f"sitting_hours must be finite and ≥ 0, got {sitting_hours!r}")
    nerve_muscles(nerve)
    return (_NERVE_SUSCEPTIBILITY[nerve] * POSTURES[posture]
            * -math.expm1(-sitting_hours / p.sitting_time_constant_h))


def ectopic_burst_rate_per_min(nerve: str = "inferior_gluteal", sitting_hours: float = 0.0,
                               posture: str = "sitting", mode: str = "irritated",
                               params: NerveParams | None = None) -> float:
    """Expected rate of discharge groups (bursts per minute); see the module docstring.

    Parameters
    ----------
    nerve : str
        One of :data:`NERVES`.
    sitting_hours : float
        Hours spent sitting (before and during the recording).
    posture : str
        Current posture, a key of :data:`POSTURES`.
    mode : str
        ``"irritated"`` (Poisson groups) or ``"continuous"`` (myokymic bursting).
    params : NerveParams or None
        Generator parameters (defaults if None).
    unit_rng : numpy.random.Generator or None
        Draws the person: motor-unit territories and the affected axons (*rng*
        if None). A recording rendered in chunks keeps the same axons when every
        chunk gets a generator with the same seed here.

    Returns
    -------
    float
        Bursts per minute.
    """
    p = params or NerveParams()
    c = _compression(nerve, sitting_hours, posture, p)
    if mode == "irritated":
        return p.base_rate_per_min * (1.0 + p.sitting_gain * c)
    if mode == "continuous":
        hz = min(max(p.continuous_recurrence_hz * (1.0 + c), 2.0), 10.0)
        return 60.0 * hz
    raise ParameterError(f"mode must be one of {MODES}, got {mode!r}")


def _group_times(n: np.ndarray, intervals: np.ndarray) -> np.ndarray:
    """Offsets of each discharge from its group's first, from per-discharge intervals.

    ``intervals`` has one entry per discharge; the first of each group is ignored.
    """
    if n.size == 0:
        return np.zeros(0)
    first = np.concatenate(([0], np.cumsum(n)[:-1]))
    steps = intervals.copy()
    steps[first] = 0.0
    c = np.cumsum(steps)
    return c - np.repeat(c[first], n)


def discharge_groups(kind: np.ndarray, *, rng: np.random.Generator,
                     max_span_s: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Discharge counts and within-group timing for groups of the given kinds.

    Parameters
    ----------
    kind : ndarray of int, shape (n_groups,)
        Index into :data:`BURST_KINDS` of each group.
    rng : numpy.random.Generator
        Source of the counts and intervals.
    max_span_s : ndarray or None, shape (n_groups,)
        Longest allowed span of each myokymic group (keeps a burst shorter than
        the gap to the next); None for no limit.

    Returns
    -------
    n : ndarray of int, shape (n_groups,)
        Discharges per group (≥ 2).
    offsets_s : ndarray, shape (n.sum(),)
        Time of each discharge from its group's first, groups in order.
    """
    kind = np.asarray(kind, dtype=int)
    g = kind.size
    n = np.empty(g, dtype=int)
    rate = np.zeros(g)
    is_d, is_m, is_y, is_t = (kind == k for k in range(4))
    n[is_d] = 2
    n[is_m] = rng.integers(3, 7, is_m.sum())
    n[is_y] = rng.integers(3, 11, is_y.sum())
    rate[is_y] = rng.uniform(5.0, 60.0, is_y.sum())
    rate[is_t] = np.clip(rng.normal(6.3, 4.0, is_t.sum()), 1.3, 18.1)
    n[is_t] = np.maximum(2, np.round(rng.uniform(2.0, 10.0, is_t.sum()) * rate[is_t])).astype(int)
    if max_span_s is not None:                    # myokymic groups must end before the next
        cap = 1 + np.floor(np.asarray(max_span_s)[is_y] * rate[is_y]).astype(int)
        n[is_y] = np.maximum(2, np.minimum(n[is_y], cap))
    k = np.repeat(kind, n)
    total = int(n.sum())
    iv = np.empty(total)
    sel_d = k == 0
    iv[sel_d] = rng.uniform(0.0025, 0.020, sel_d.sum())
    sel_m = k == 1
    iv[sel_m] = rng.uniform(1.0 / 300.0, 0.020, sel_m.sum())
    r = np.repeat(rate, n)
    sel_y = k == 2
    iv[sel_y] = np.clip(rng.normal(1.0, 0.1, sel_y.sum()), 0.7, 1.3) / r[sel_y]
    sel_t = k == 3
    iv[sel_t] = rng.normal(1.0, 0.035, sel_t.sum()) / r[sel_t]
    return n, _group_times(n, iv)


def simulate(duration_s: float, fs: float, *, rng: np.random.Generator,
             emg_fs: float | None = None, nerve: str = "inferior_gluteal",
             sitting_hours: float = 0.0, posture: str = "sitting", mode: str = "irritated",
             burst_rate_per_min: float | None = None, tissue: TissueParams | None = None,
             params: NerveParams | None = None,
             unit_rng: np.random.Generator | None = None) -> MechanismOutput:
    """Simulate ectopic grouped discharges of an irritated root or nerve.

    Parameters
    ----------
    duration_s : float
        Length in s.
    fs : float
        Acceleration rate in Hz.
    rng : numpy.random.Generator
        Source of the discharge groups (and of the person when *unit_rng* is None).
    emg_fs : float or None
        Surface-potential rate in Hz; None for no EMG.
    nerve : str
        One of :data:`NERVES`.
    sitting_hours : float
        Hours spent sitting.
    posture : str
        A key of :data:`POSTURES`.
    mode : str
        ``"irritated"``: Poisson groups of the four kinds; ``"continuous"``:
        myokymic bursts recurring semi-rhythmically (interval CV 0.2) without pause.
    burst_rate_per_min : float or None
        Groups per minute; None for :func:`ectopic_burst_rate_per_min`.
    tissue : TissueParams or None
        Skin and fat parameters (defaults if None).
    params : NerveParams or None
        Generator parameters (defaults if None).
    unit_rng : numpy.random.Generator or None
        Draws the person: motor-unit territories and the affected axons (*rng*
        if None). A recording rendered in chunks keeps the same axons when every
        chunk gets a generator with the same seed here.

    Returns
    -------
    MechanismOutput
        ``acc`` (3, n) in m/s²; ``emg`` in V (or None); events labelled
        ``"burst"`` with the group's length as duration and its number of
        discharges (of the group's own axon; an ephaptically driven second
        axon is not counted) as value; ``truth`` with ``present``,
        ``burst_rate_per_min``, ``mode``, ``nerve``, ``muscles``, ``axons``
        (``muscle``, ``mu_index``) and ``bursts`` (``t_s``, ``n_discharges``,
        ``intraburst_hz``, ``kind``).

    Examples
    --------
    >>> import numpy as np
    >>> out = simulate(60.0, 100.0, rng=np.random.default_rng(0), nerve="inferior_gluteal",
    ...                sitting_hours=3.0)
    >>> out.truth["muscles"], round(out.truth["burst_rate_per_min"], 2)
    (['gluteus_maximus'], 4.39)
    """
    if not (math.isfinite(duration_s) and duration_s >= 0):
        raise ParameterError(f"duration_s must be finite and ≥ 0, got {duration_s!r}")
    if not (math.isfinite(fs) and fs > 0):
        raise SamplingRateError(f"fs must be finite and > 0 Hz, got {fs!r}")
    p = params or NerveParams()
    if burst_rate_per_min is None:
        burst_rate_per_min = ectopic_burst_rate_per_min(nerve, sitting_hours, posture, mode, p)
    else:
        _compression(nerve, sitting_hours, posture, p)
        if mode not in MODES:
            raise ParameterError(f"mode must be one of {MODES}, got {mode!r}")
    if not (math.isfinite(burst_rate_per_min) and burst_rate_per_min >= 0):
        raise ParameterError(
            f"burst_rate_per_min must be finite and ≥ 0, got {burst_rate_per_min!r}")
    tissue = tissue or TissueParams()
    names = nerve_muscles(nerve)
    person = rng if unit_rng is None else unit_rng
    pools = [_muscle.motor_unit_pool(name, rng=person, tissue=tissue) for name in names]
    offsets = np.cumsum([0] + [pl.n_units for pl in pools])
    flat = person.choice(offsets[-1], size=p.n_affected_axons, replace=False)
    ax_muscle = np.searchsorted(offsets, flat, side="right") - 1
    ax_unit = flat - offsets[ax_muscle]

    rate_hz = burst_rate_per_min / 60.0
    if mode == "irritated":
        n_groups = rng.poisson(rate_hz * duration_s)
        starts = np.sort(rng.uniform(0.0, duration_s, n_groups))
        kind = rng.choice(4, size=n_groups, p=np.asarray(p.kind_probabilities))
        n, offs = discharge_groups(kind, rng=rng)
    elif rate_hz == 0:
        starts, kind, n, offs = np.zeros(0), np.zeros(0, int), np.zeros(0, int), np.zeros(0)
    else:
        # semi-rhythmic recurrence: gamma intervals with CV 0.2, random start phase
        shape = 25.0
        m = int(duration_s * rate_hz * 1.5) + 10
        gaps = rng.gamma(shape, 1.0 / (shape * rate_hz), m)
        starts = np.cumsum(gaps) - rng.uniform(0.0, gaps[0])
        nxt = np.diff(starts, append=np.inf)
        keep = (starts >= 0) & (starts < duration_s)
        starts, nxt = starts[keep], nxt[keep]
        kind = np.full(starts.size, 2)
        n, offs = discharge_groups(kind, rng=rng, max_span_s=0.6 * np.minimum(nxt, 1.0 / rate_hz))
    axon = rng.integers(0, p.n_affected_axons, starts.size)
    t = np.repeat(starts, n) + offs
    grp = np.repeat(np.arange(starts.size), n)
    inside = t < duration_s
    t, grp = t[inside], grp[inside]
    n_kept = np.bincount(grp, minlength=starts.size)
    last = np.full(starts.size, np.nan)
    np.fmax.at(last, grp, t)
    unit_of = axon[grp]

    # ephaptic cross-talk: a second affected axon follows the whole group 0.5–1 ms later
    if p.n_affected_axons > 1 and starts.size:
        echo = rng.random(starts.size) < p.ephaptic_probability
        other = (axon + rng.integers(1, p.n_affected_axons, starts.size)) % p.n_affected_axons
        lag = rng.uniform(0.0005, 0.001, starts.size)
        sel = echo[grp]
        t = np.concatenate([t, t[sel] + lag[grp[sel]]])
        unit_of = np.concatenate([unit_of, other[grp[sel]]])
        keep = t < duration_s
        t, unit_of = t[keep], unit_of[keep]

    # one axon cannot fire twice within its absolute refractory period (1 ms; an
    # echo of another group may land on top of the axon's own discharge)
    order = np.lexsort((t, unit_of))
    t, unit_of = t[order], unit_of[order]
    same = np.diff(unit_of, prepend=-1) == 0
    keep = ~(same & (np.diff(t, prepend=-np.inf) < 0.001))
    t, unit_of, same = t[keep], unit_of[keep], same[keep]
    isi = np.where(same, np.diff(t, prepend=-np.inf), np.inf)
    ev_muscle, ev_unit = ax_muscle[unit_of], ax_unit[unit_of]
    ct = np.concatenate([pl.contraction_time_s for pl in pools])[offsets[ev_muscle] + ev_unit]
    gain = _muscle.rate_gain(ct, isi) if t.size else np.zeros(0)
    renderer = _muscle.MotorUnitRenderer(pools, fs, emg_fs, tissue=tissue)
    acc, emg, _ = renderer.render(duration_s, t, ev_muscle, ev_unit, gain)

    length = np.where(n_kept > 1, last - starts, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        intraburst = np.where(n_kept > 1, (n_kept - 1) / length, np.nan)
    events = Annotations(onset=starts, duration=length, label=("burst",) * starts.size,
                         mechanism=("nerve",) * starts.size, source=("truth",) * starts.size,
                         value=n_kept.astype(float))
    truth = {
        "present": bool(starts.size),
        "burst_rate_per_min": float(burst_rate_per_min),
        "mode": mode,
        "nerve": nerve,
        "muscles": list(names),
        "axons": [{"muscle": names[a], "mu_index": int(b)} for a, b in zip(ax_muscle, ax_unit)],
        "bursts": [{"t_s": float(s), "n_discharges": int(k),
                    "intraburst_hz": None if not np.isfinite(f) else float(f),
                    "kind": BURST_KINDS[int(kd)]}
                   for s, k, f, kd in zip(starts, n_kept, intraburst, kind)],
    }
    return MechanismOutput(mechanism="nerve", acc=acc, fs=float(fs), emg=emg,
                           emg_fs=None if emg_fs is None else float(emg_fs),
                           events=events, truth=truth)
