"""Motor-unit pools of the gluteal muscles and what one discharge does.

This module holds the physiology shared by :mod:`.twitch` (fasciculations) and
:mod:`.nerve` (ectopic discharges):

* **motor-unit pools** after Fuglevand, Winter & Patla (1993): exponentially
  distributed recruitment thresholds and twitch forces, contraction times
  falling with twitch force, rate coding, the twitch shape and the
  rate-dependent twitch gain (:func:`motor_unit_pool`, :func:`twitch_force`,
  :func:`rate_gain`, :func:`firing_rate`, :func:`discharge_times`);
* **gluteal geometry** at the sensor site: depth and extent of each muscle's
  motor-unit territories under the skin (:data:`MUSCLES`);
* the **motor-unit action potential** at a bipolar surface electrode pair from
  a propagating intracellular action potential in a line-source volume
  conductor (:func:`muap`);
* :class:`MotorUnitRenderer`, which turns lists of discharges into skin
  acceleration (through :mod:`.tissue`) and surface potentials.

Numbers come from physiology.md §1 with the source named beside each; gluteal
motor-unit counts, fibre-type mix and muscle depths at the sensor site were not
found in the literature and are **our assumptions**, kept as parameters.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Sequence

import numpy as np
from scipy import signal, special

from ..errors import ParameterError, SamplingRateError
from . import tissue as _tissue

__all__ = [
    "PoolParams",
    "MuscleParams",
    "ConductorParams",
    "MUSCLES",
    "MotorUnitPool",
    "motor_unit_pool",
    "twitch_force",
    "rate_gain",
    "firing_rate",
    "discharge_times",
    "muap",
    "MotorUnitRenderer",
]

#: Specific tension in N/cm², derived from gluteus maximus: 891 N maximal force
#: (crossing each sacro-iliac joint) over a 26 cm² PCSA (Barker et al. 2014) [D].
SPECIFIC_TENSION_N_PER_CM2 = 891.0 / 26.0


@dataclasses.dataclass(frozen=True)
class PoolParams:
    """Fuglevand, Winter & Patla (1993) motor-unit pool parameters.

    Values from the public re-implementations listed in physiology.md §1.1
    (KerMor ``Fuglevand`` class; ``anagamori/Motor-Unit-Model-Fuglevand``); the
    paper's Table 1 itself was not readable.

    Parameters
    ----------
    recruitment_range : float
        RR, ratio of the last to the first recruitment threshold (30).
    force_range : float
        RP, ratio of the largest to the smallest twitch force (100).
    contraction_time_longest_s : float
        T_L, contraction time of the smallest unit (0.090 s).
    contraction_time_range : float
        RT, ratio of the longest to the shortest contraction time (3).
    min_rate_hz : float
        MFR, discharge rate at recruitment (8 Hz).
    peak_rate_first_hz : float
        PFR1, peak rate of the first unit (35 Hz).
    peak_rate_decrement_hz : float
        PFRD, fall in peak rate from the first to the last unit (10 Hz).
    excitation_gain_hz : float
        g_e, rate increase per unit of excitation above threshold (1 Hz; anagamori).
    isi_cv : float
        Coefficient of variation of inter-spike intervals (0.1; KerMor,
        anagamori; the original paper's value is unverified).
    min_isi_s : float
        Shortest inter-spike interval a renewal train may have (0.020 s; KerMor).
    territory_overlap : float
        How many motor units share the fibres of a territory, which sets the
        territory size from the fibre count (our assumption, 20; gives
        territories of ≈ 1–9 mm radius).
    """

    recruitment_range: float = 30.0
    force_range: float = 100.0
    contraction_time_longest_s: float = 0.090
    contraction_time_range: float = 3.0
    min_rate_hz: float = 8.0
    peak_rate_first_hz: float = 35.0
    peak_rate_decrement_hz: float = 10.0
    excitation_gain_hz: float = 1.0
    isi_cv: float = 0.1
    min_isi_s: float = 0.020
    territory_overlap: float = 20.0

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = float(getattr(self, f.name))
            if not math.isfinite(v) or v < 0:
                raise ParameterError(f"PoolParams.{f.name} must be finite and ≥ 0, got {v!r}")
        for name in ("recruitment_range", "force_range", "contraction_time_range"):
            if getattr(self, name) <= 1:
                raise ParameterError(f"PoolParams.{name} must be > 1")
        if self.peak_rate_first_hz - self.peak_rate_decrement_hz <= self.min_rate_hz:
            raise ParameterError("the last unit's peak rate must exceed min_rate_hz")


@dataclasses.dataclass(frozen=True)
class MuscleParams:
    """Anatomy of one muscle at the sensor site (the middle of the right buttock).

    Parameters
    ----------
    name : str
        Key in :data:`MUSCLES`.
    n_units : int
        Number of motor units (gluteal counts not found: our assumption).
    pcsa_cm2 : float
        Physiological cross-sectional area; sets the maximal force through
        :data:`SPECIFIC_TENSION_N_PER_CM2` and the number of fibres.
    fibre_length_m : float
        Fascicle length.
    depth_below_fat_m : float
        Depth of the muscle's upper surface below the subcutaneous fat at the
        sensor site (our assumption).
    thickness_m : float
        Thickness of the muscle there (our assumption).
    offset_m, offset_spread_m : float
        Centre and half-width of the sideways distance of motor-unit territories
        from the sensor axis (our assumption).
    fibre_direction : tuple of float
        Fibre direction in the body frame (right buttock: ``y`` points medially).
    electrode_angle_deg : float
        Angle between the fibres and the axis of the bipolar electrode pair,
        which is aligned with gluteus maximus.
    electrode_offset_from_endplate_m : float
        Distance along the fibres from the innervation zone to the centre of the
        electrode pair.
    nerve : str
        Peripheral nerve supplying the muscle.
    roots : tuple of str
        Spinal roots supplying the muscle.
    fibre_radius_m : float
        Muscle-fibre radius (27.5 µm; textbook 25–30 µm, not in physiology.md).
    conduction_velocity_m_s : float
        Muscle-fibre conduction velocity (4 m/s; common sEMG modelling value,
        physiology.md has none).
    """

    name: str
    n_units: int
    pcsa_cm2: float
    fibre_length_m: float
    depth_below_fat_m: float
    thickness_m: float
    offset_m: float
    offset_spread_m: float
    fibre_direction: tuple[float, float, float]
    electrode_angle_deg: float
    electrode_offset_from_endplate_m: float
    nerve: str
    roots: tuple[str, ...]
    fibre_radius_m: float = 27.5e-6
    conduction_velocity_m_s: float = 4.0

    def __post_init__(self) -> None:
        if int(self.n_units) < 2:
            raise ParameterError(f"{self.name}: n_units must be ≥ 2")
        for name in ("pcsa_cm2", "fibre_length_m", "thickness_m", "fibre_radius_m",
                     "conduction_velocity_m_s"):
            v = float(getattr(self, name))
            if not math.isfinite(v) or v <= 0:
                raise ParameterError(f"{self.name}: {name} must be finite and > 0")
        d = np.asarray(self.fibre_direction, dtype=float)
        object.__setattr__(self, "fibre_direction", tuple(float(x) for x in d / np.linalg.norm(d)))

    @property
    def max_force_n(self) -> float:
        """Maximal isometric force: PCSA × specific tension (N)."""
        return self.pcsa_cm2 * SPECIFIC_TENSION_N_PER_CM2

    @property
    def n_fibres(self) -> float:
        """Number of fibres: PCSA over one fibre's cross-section, 90 % packing (assumption)."""
        return 0.9 * self.pcsa_cm2 * 1e-4 / (math.pi * self.fibre_radius_m ** 2)


_DOWN_LATERAL_38 = (0.0, -math.cos(math.radians(38.0)), -math.sin(math.radians(38.0)))

#: The muscles whose motor units can move the skin at the sensor site.
#: Innervation: gluteus maximus by the inferior gluteal nerve (L5–S2); medius and
#: minimus by the superior gluteal nerve (L4–S1) (Wheeless; physiology.md §1.3).
#: The proximal hamstrings (sciatic nerve) lie below the gluteal fold and are
#: included because a sciatic irritation reaches the buttock only through them.
MUSCLES: dict[str, MuscleParams] = {
    "gluteus_maximus": MuscleParams(
        name="gluteus_maximus", n_units=1000,
        pcsa_cm2=26.0,                       # Barker et al. 2014 (range 16–36)
        fibre_length_m=0.145,                # Barker 2014: mean 11–18 cm by attachment
        depth_below_fat_m=0.0, thickness_m=0.030,
        offset_m=0.0, offset_spread_m=0.030,
        fibre_direction=_DOWN_LATERAL_38,    # Barker 2014: 32–45° below horizontal
        electrode_angle_deg=0.0, electrode_offset_from_endplate_m=0.035,
        nerve="inferior_gluteal", roots=("L5", "S1", "S2")),
    "gluteus_medius": MuscleParams(
        name="gluteus_medius", n_units=700,
        pcsa_cm2=33.8,                       # Ward et al. 2009 [U]: value recalled, not read
        fibre_length_m=0.073,                # Ward et al. 2009 [U]
        depth_below_fat_m=0.030, thickness_m=0.020,
        offset_m=0.030, offset_spread_m=0.025,
        fibre_direction=(0.3, -0.2, -0.93),  # posterior fibres: down, forward, to the trochanter
        electrode_angle_deg=50.0, electrode_offset_from_endplate_m=0.0,
        nerve="superior_gluteal", roots=("L4", "L5", "S1")),
    "gluteus_minimus": MuscleParams(
        name="gluteus_minimus", n_units=300,
        pcsa_cm2=8.29,                       # Parvaresh et al. 2019
        fibre_length_m=0.103,                # Parvaresh et al. 2019
        depth_below_fat_m=0.050, thickness_m=0.012,
        offset_m=0.030, offset_spread_m=0.020,
        fibre_direction=(0.3, -0.2, -0.93),
        electrode_angle_deg=50.0, electrode_offset_from_endplate_m=0.0,
        nerve="superior_gluteal", roots=("L4", "L5", "S1")),
    "hamstrings": MuscleParams(
        name="hamstrings", n_units=500,
        pcsa_cm2=34.0,                       # three heads together [U]
        fibre_length_m=0.100,                # [U]
        depth_below_fat_m=0.030, thickness_m=0.030,
        offset_m=0.090, offset_spread_m=0.030,
        fibre_direction=(0.0, 0.0, -1.0),
        electrode_angle_deg=55.0, electrode_offset_from_endplate_m=0.050,
        nerve="sciatic", roots=("L5", "S1", "S2")),
}


@dataclasses.dataclass(frozen=True)
class ConductorParams:
    """Volume conductor and electrodes for :func:`muap`.

    Parameters
    ----------
    inter_electrode_distance_m : float
        Centre-to-centre distance of the bipolar pair (20 mm; SENIAM
        recommendation, not in physiology.md).
    intracellular_conductivity_s_m : float
        σ_i (1.01 S/m; Rosenfalck 1969 as used in sEMG models).
    axial_conductivity_s_m, radial_conductivity_s_m : float
        Muscle conductivities along and across the fibres (0.5 and 0.1 S/m;
        Farina & Merletti 2001). The fat and skin layers are not modelled
        separately (their resistive effect is folded into depth).
    endplate_spread_m : float
        Standard deviation of end-plate positions along the fibres of one unit
        (our assumption, 5 mm).
    n_fibres_modelled : int
        Representative fibres computed per unit (each stands for an equal share
        of the unit's fibres).
    """

    inter_electrode_distance_m: float = 0.020
    intracellular_conductivity_s_m: float = 1.01
    axial_conductivity_s_m: float = 0.5
    radial_conductivity_s_m: float = 0.1
    endplate_spread_m: float = 0.005
    n_fibres_modelled: int = 5

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            v = float(getattr(self, f.name))
            if not math.isfinite(v) or v <= 0:
                raise ParameterError(f"ConductorParams.{f.name} must be finite and > 0")


@dataclasses.dataclass(frozen=True, eq=False)
class MotorUnitPool:
    """One muscle's motor units (arrays indexed by recruitment rank, 0 = smallest).

    Attributes
    ----------
    muscle : MuscleParams
        The muscle.
    params : PoolParams
        Fuglevand parameters used.
    recruitment_threshold : ndarray
        RTE(i) = exp(ln(RR)·i/n), excitation units (1 … RR).
    peak_force_n : ndarray
        Twitch peak force in N: P(i) = exp(ln(RP)·i/n) scaled so that the pool's
        fused force at peak rates equals the muscle's maximal force.
    contraction_time_s : ndarray
        T(i) = T_L·(1/P(i))^(ln RT / ln RP), with P(i) in units of the smallest.
    peak_rate_hz : ndarray
        PFR(i) = PFR1 − PFRD·RTE(i)/RTE(n).
    n_fibres : ndarray
        Fibres per unit, proportional to twitch force.
    depth_m : ndarray
        Depth of the territory centre below the skin (fat included).
    offset_m : ndarray
        Sideways distance of the territory centre from the sensor axis.
    territory_radius_m : ndarray
        Radius of the territory.
    fat_thickness_m : float
        Subcutaneous fat over the muscle (from the tissue parameters).
    """

    muscle: MuscleParams
    params: PoolParams
    recruitment_threshold: np.ndarray
    peak_force_n: np.ndarray
    contraction_time_s: np.ndarray
    peak_rate_hz: np.ndarray
    n_fibres: np.ndarray
    depth_m: np.ndarray
    offset_m: np.ndarray
    territory_radius_m: np.ndarray
    fat_thickness_m: float

    @property
    def n_units(self) -> int:
        """Number of motor units."""
        return int(self.peak_force_n.size)


def twitch_force(t_s: np.ndarray, peak_force_n: np.ndarray | float,
                 contraction_time_s: np.ndarray | float) -> np.ndarray:
    """Fuglevand twitch: ``P (t/T) exp(1 − t/T)`` for t ≥ 0, else 0.

    The impulse response of a critically damped second-order system; it peaks
    at ``P`` when ``t = T`` and falls to half at ``t ≈ 2.68 T``.

    Parameters
    ----------
    t_s : array_like
        Time since the discharge in s.
    peak_force_n : array_like
        Twitch peak force P in N.
    contraction_time_s : array_like
        Contraction time T in s.

    Returns
    -------
    ndarray
        Force in N (broadcast of the inputs).
    """
    x = np.asarray(t_s, dtype=float) / np.asarray(contraction_time_s, dtype=float)
    return np.where(x >= 0, np.asarray(peak_force_n, dtype=float) * x * np.exp(1.0 - x), 0.0)


def rate_gain(contraction_time_s: np.ndarray | float, isi_s: np.ndarray | float) -> np.ndarray:
    """Fuglevand's rate-dependent twitch gain.

    With ``x = T / ISI``: ``g = 1`` for ``x ≤ 0.4``, otherwise
    ``g = [(1 − e^{−2x³}) / x] / [(1 − e^{−2·0.4³}) / 0.4]`` (KerMor code after
    Fuglevand et al. 1993; physiology.md §1.1). It turns the linear summation of
    twitches into the sigmoid force–rate relation.

    Parameters
    ----------
    contraction_time_s : array_like
        Contraction time T of the unit in s.
    isi_s : array_like
        Interval since the unit's previous discharge in s (``inf`` for none).

    Returns
    -------
    ndarray
        Gain (≥ 0) applied to the twitch amplitude.
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.asarray(contraction_time_s, dtype=float) / np.asarray(isi_s, dtype=float)
        ref = (1.0 - math.exp(-2.0 * 0.4 ** 3)) / 0.4
        g = (-np.expm1(-2.0 * x ** 3) / x) / ref
    return np.where(x <= 0.4, 1.0, g)


def firing_rate(excitation: np.ndarray | float, pool: MotorUnitPool) -> np.ndarray:
    """Fuglevand rate coding: ``FR = g_e (E − RTE(i)) + MFR`` clipped to [MFR, PFR(i)].

    Parameters
    ----------
    excitation : array_like
        Excitatory drive E in the units of the recruitment thresholds (scalar or
        shape (n_times,)).
    pool : MotorUnitPool
        The pool.

    Returns
    -------
    ndarray, shape (n_units,) or (n_times, n_units)
        Discharge rate in Hz; 0 for units below threshold.
    """
    p = pool.params
    e = np.asarray(excitation, dtype=float)[..., None]
    rate = p.excitation_gain_hz * (e - pool.recruitment_threshold) + p.min_rate_hz
    rate = np.minimum(rate, pool.peak_rate_hz)
    return np.where(e >= pool.recruitment_threshold, rate, 0.0)


def discharge_times(rate_hz: float, duration_s: float, *, rng: np.random.Generator,
                    cv: float = 0.1, min_isi_s: float = 0.0, t0_s: float = 0.0) -> np.ndarray:
    """Discharge times of a renewal train with Gaussian intervals (Fuglevand 1993).

    Parameters
    ----------
    rate_hz : float
        Mean discharge rate in Hz (> 0).
    duration_s : float
        Length of the train in s.
    rng : numpy.random.Generator
        Source of the interval jitter.
    cv : float
        Coefficient of variation of the intervals.
    min_isi_s : float
        Intervals are clipped below at this value.
    t0_s : float
        Time of the first discharge.

    Returns
    -------
    ndarray
        Increasing discharge times in ``[t0_s, t0_s + duration_s)``.
    """
    if not (math.isfinite(rate_hz) and rate_hz > 0):
        raise ParameterError(f"rate_hz must be finite and > 0, got {rate_hz!r}")
    n = int(math.ceil(duration_s * rate_hz * 1.5)) + 8
    isi = np.maximum(rng.normal(1.0 / rate_hz, cv / rate_hz, n), max(min_isi_s, 1e-4))
    t = t0_s + np.concatenate(([0.0], np.cumsum(isi[:-1])))
    return t[t < t0_s + duration_s]


def motor_unit_pool(muscle: str | MuscleParams, *, rng: np.random.Generator,
                    params: PoolParams | None = None,
                    tissue: _tissue.TissueParams | None = None) -> MotorUnitPool:
    """Build a muscle's motor-unit pool (Fuglevand et al. 1993) with random territories.

    Unit ``i`` (1-based rank ``k = i + 1``) has recruitment threshold
    ``exp(ln RR · k/n)``, relative twitch force ``P = exp(ln RP · k/n)`` and
    contraction time ``T_L (1/P)^(ln RT / ln RP)`` (physiology.md §1.1). The
    absolute scale makes the fused force of the whole pool at peak rates,
    ``Σ P_i T_i e · PFR_i · g(T_i PFR_i)``, equal the muscle's maximal force
    (PCSA × specific tension). Fibre counts are proportional to ``P``.
    Territory centres are drawn uniformly through the muscle's thickness (kept
    one territory radius inside it where the thickness allows) and sideways
    extent at the sensor site.

    Parameters
    ----------
    muscle : str or MuscleParams
        A key of :data:`MUSCLES` or a custom muscle.
    rng : numpy.random.Generator
        Draws the territory positions.
    params : PoolParams or None
        Fuglevand parameters (defaults if None).
    tissue : TissueParams or None
        Supplies the fat thickness (defaults if None).

    Returns
    -------
    MotorUnitPool
    """
    m = _muscle(muscle)
    p = params or PoolParams()
    t = tissue or _tissue.TissueParams()
    n = int(m.n_units)
    k = np.arange(1, n + 1) / n
    rte = np.exp(math.log(p.recruitment_range) * k)
    rel = np.exp(math.log(p.force_range) * k)
    ct = p.contraction_time_longest_s * rel ** (-math.log(p.contraction_time_range)
                                                / math.log(p.force_range))
    pfr = p.peak_rate_first_hz - p.peak_rate_decrement_hz * rte / rte[-1]
    fused = rel * ct * math.e * pfr * rate_gain(ct, 1.0 / pfr)
    force = rel * m.max_force_n / fused.sum()
    fibres = m.n_fibres * rel / rel.sum()
    radius = m.fibre_radius_m * np.sqrt(fibres * p.territory_overlap / 0.9)
    # territories stay inside the muscle (as far as its thickness allows)
    margin = np.minimum(radius, m.thickness_m / 2)
    depth = (t.fat_thickness_m + m.depth_below_fat_m + margin
             + rng.uniform(0.0, 1.0, n) * (m.thickness_m - 2 * margin))
    offset = m.offset_m + rng.uniform(-m.offset_spread_m, m.offset_spread_m, n)
    return MotorUnitPool(m, p, rte, force, ct, pfr, fibres, depth, np.abs(offset), radius,
                         t.fat_thickness_m)


def _muscle(muscle: str | MuscleParams) -> MuscleParams:
    if isinstance(muscle, MuscleParams):
        return muscle
    try:
        return MUSCLES[muscle]
    except KeyError:
        raise ParameterError(
            f"unknown muscle {muscle!r}; expected one of {sorted(MUSCLES)}") from None


# ----------------------------------------------------------------------------- MUAP

#: Rosenfalck (1969) intracellular action potential, Vm(ψ) = A ψ³ e^{−ψ} + B with ψ
#: the distance behind the wave front in mm, A = 96 mV/mm³, B = −90 mV.
_ROSENFALCK_A_MV_PER_MM3 = 96.0
_DPSI_MM = 0.25
_PSI_EDGES_MM = np.arange(0.0, 15.0 + _DPSI_MM / 2, _DPSI_MM)


def _vm_d1(psi_mm: np.ndarray) -> np.ndarray:
    """∂Vm/∂ψ of the Rosenfalck potential in V/m.

    Zero ahead of the front and from 15 mm behind it on, where the potential
    has recovered to within 0.1 mV of rest (the small step there is part of the
    last source cell, so the fibre's currents still sum to zero).
    """
    p = np.asarray(psi_mm, dtype=float)
    inside = (p > 0) & (p < _PSI_EDGES_MM[-1])
    q = np.where(inside, p, 0.0)
    return np.where(inside, _ROSENFALCK_A_MV_PER_MM3 * (3 * q ** 2 - q ** 3) * np.exp(-q), 0.0)


@functools.lru_cache(maxsize=64)
def _muap_sources(m: MuscleParams, fs: float, c: ConductorParams
                  ) -> tuple[np.ndarray, np.ndarray, tuple[tuple[np.ndarray, np.ndarray], ...]]:
    """Fibre layout and the moving current sources of one muscle's fibres (cached).

    Returns the radial and angular positions of the modelled fibres in a
    territory and, for each wave direction, source positions along the fibre
    (m) and currents (A), each of shape (n_fibres_modelled, n_times, n_sources).
    """
    v = m.conduction_velocity_m_s
    half = m.fibre_length_m / 2
    n_t = int(math.ceil((half + 3 * c.endplate_spread_m + 0.015) / v * fs)) + 1
    t = np.arange(n_t) / fs
    j = np.arange(c.n_fibres_modelled)
    rho = np.sqrt((j + 0.5) / j.size)
    theta = j * math.pi * (3 - math.sqrt(5))          # golden-angle spread in the territory
    # end-plate offsets: normal quantiles visited in golden-ratio order
    z0 = c.endplate_spread_m * special.ndtri(np.mod((j + 0.5) * (math.sqrt(5) - 1) / 2, 1.0))
    # 2 (image in the skin) × π a² σ_i / (4π σ_r)
    coef = 2.0 * m.fibre_radius_m ** 2 * c.intracellular_conductivity_s_m / (
        4.0 * c.radial_conductivity_s_m)
    vt_mm = v * t * 1e3                                                      # (t,)
    sources = []                                  # (position m, current A) for each wave
    for s in (1.0, -1.0):
        length_mm = (half - s * z0)[:, None] * 1e3                           # semi-length (j, 1)
        # the wave occupies ψ in [a, b] (behind the front, inside the fibre)
        a = np.maximum(vt_mm[None, :] - length_mm, 0.0)                      # (j, t)
        b = np.broadcast_to(vt_mm[None, :], a.shape)
        lo = np.clip(_PSI_EDGES_MM[:-1], a[..., None], b[..., None])         # (j, t, ψ)
        hi = np.clip(_PSI_EDGES_MM[1:], a[..., None], b[..., None])
        # cell currents ∫ ∂²Vm/∂ψ² dψ (exact), and the point sources where the wave
        # starts (end-plate, −∂Vm/∂ψ) and ends (fibre end, +∂Vm/∂ψ; 0 until it arrives)
        z_cell = z0[:, None, None] + s * (vt_mm[None, :, None] - (lo + hi) / 2) * 1e-3
        z_start = np.broadcast_to(z0[:, None, None], a.shape + (1,))
        z_end = np.broadcast_to((z0[:, None] + s * length_mm * 1e-3)[..., None], a.shape + (1,))
        i_src = np.concatenate([_vm_d1(hi) - _vm_d1(lo), -_vm_d1(b)[..., None],
                                _vm_d1(a)[..., None]], axis=-1) * coef
        z_src = np.concatenate([z_cell, z_start, z_end], axis=-1)
        z_src.setflags(write=False)
        i_src.setflags(write=False)
        sources.append((z_src, i_src))
    return rho, theta, tuple(sources)


def muap(pool: MotorUnitPool, units: Sequence[int] | np.ndarray, fs: float, *,
         conductor: ConductorParams | None = None) -> np.ndarray:
    """Motor-unit action potentials at the bipolar surface electrode pair.

    Each fibre carries two Rosenfalck (1969) intracellular action potentials
    that start at its end-plate and run to the tendons at the conduction
    velocity, where they are extinguished. The transmembrane current density
    ``π a² σ_i ∂²Vm/∂z²`` is a line source; where the waves are generated (the
    end-plate) and extinguished (the sealed fibre ends) the kink of ``Vm``
    adds point sources ``∓π a² σ_i ∂Vm/∂ψ``, so the fibre's total current is
    zero at every instant. Each source is seen through an infinite anisotropic
    muscle conductor, ``φ = I / (4π σ_r √(r² σ_z/σ_r + Δz²))`` (Farina & Merletti
    2001), doubled for the insulating skin surface (method of images); the
    stretch ``√(σ_z/σ_r)`` applies to the part of the radial path inside the
    muscle, not to the isotropic fat above it (a simplification of the layered
    conductor: the fat's own conductivity is not modelled). A unit is
    represented by ``n_fibres_modelled`` fibres spread over its territory, with
    end-plates scattered along the fibres; deeper units give smaller, wider
    potentials. The electrode pair is aligned with gluteus maximus and centred
    ``electrode_offset_from_endplate_m`` from each muscle's innervation zone.

    Parameters
    ----------
    pool : MotorUnitPool
        The unit's pool (geometry and fibre counts).
    units : sequence of int
        Unit indices.
    fs : float
        Sampling rate of the returned potentials in Hz.
    conductor : ConductorParams or None
        Volume-conductor and electrode parameters (defaults if None).

    Returns
    -------
    ndarray, shape (len(units), n_times)
        Potential difference between the electrodes in V, starting at the
        discharge (end-plate depolarisation) and lasting until both waves have
        reached the tendons.
    """
    c = conductor or ConductorParams()
    m = pool.muscle
    units = np.atleast_1d(np.asarray(units, dtype=int))
    rho, theta, sources = _muap_sources(m, float(fs), c)
    n_t = sources[0][0].shape[1]
    ang = math.radians(m.electrode_angle_deg)
    k_aniso = c.axial_conductivity_s_m / c.radial_conductivity_s_m
    out = np.empty((units.size, n_t))
    for b0 in range(0, units.size, 8):
        u = units[b0:b0 + 8]
        r = pool.territory_radius_m[u][:, None]
        depth = pool.depth_m[u][:, None] + r * rho * np.sin(theta)         # (u, j)
        lat = pool.offset_m[u][:, None] + r * rho * np.cos(theta)
        phi = np.zeros((u.size, n_t))
        for e_sign in (1.0, -1.0):
            z_e = (m.electrode_offset_from_endplate_m
                   + e_sign * c.inter_electrode_distance_m / 2 * math.cos(ang))
            x_e = e_sign * c.inter_electrode_distance_m / 2 * math.sin(ang)
            # radial distance stretched by √(σ_z/σ_r) inside the muscle, not in the
            # (isotropic) fat the path crosses last
            below_fat = np.maximum(depth - pool.fat_thickness_m, 0.0)
            r_eq = (math.sqrt(k_aniso) * np.hypot(below_fat, lat - x_e)
                    + np.minimum(depth, pool.fat_thickness_m))
            r2 = r_eq ** 2                                                   # (u, j)
            for z_src, i_src in sources:
                dist = np.sqrt(r2[:, :, None, None] + (z_e - z_src)[None] ** 2)
                phi += e_sign * (i_src[None] / dist).sum(axis=(1, 3))
        out[b0:b0 + 8] = phi * (pool.n_fibres[u] / rho.size)[:, None]
    return out


# ----------------------------------------------------------------------------- rendering

@functools.lru_cache(maxsize=16)
def _anti_alias_fir(k: int) -> np.ndarray:
    """Linear-phase low-pass for decimation by *k* (cut-off 0.9 × the output Nyquist).

    8k + 1 taps (Kaiser window, β = 6): its pre-ringing lasts 4 output samples.
    """
    h = signal.firwin(8 * k + 1, 0.9 / k, window=("kaiser", 6.0))
    h.setflags(write=False)
    return h


def _polyphase(template: np.ndarray, k: int) -> tuple[np.ndarray, int]:
    """Anti-alias *template* (sampled at k·fs) and split it into its k phases at fs.

    Returns ``(G, D)``: row ``s`` of ``G`` is what an event whose internal
    sample index ``m`` satisfies ``(D − m) mod k = s`` adds to the output from
    sample ``(m − D + s) / k`` on; ``D`` is the FIR delay in internal samples.
    """
    if k == 1:
        return template[None, :].copy(), 0
    g = np.convolve(template, _anti_alias_fir(k))
    length = -(-g.size // k)
    out = np.zeros((k, length))
    for s in range(k):
        row = g[s::k]
        out[s, :row.size] = row
    return out, 4 * k


def _superpose(n_out: int, start: np.ndarray, templates: np.ndarray, row: np.ndarray,
               amp: np.ndarray) -> np.ndarray:
    """Sum ``amp[e] * templates[row[e]]`` placed at output sample ``start[e]``.

    Sparse events are added slice by slice; dense ones in one weighted
    ``bincount`` per block of events (cost ∝ events × template length + n_out).
    """
    length = templates.shape[1]
    pad = np.zeros(n_out + 2 * length)          # room for events hanging over either end
    pos = start + length
    ok = (pos > 0) & (pos < n_out + length)
    pos, row, amp = pos[ok], row[ok], amp[ok]
    if pos.size * length * 8 < n_out:
        for p0, r, a in zip(pos.tolist(), row.tolist(), amp.tolist()):
            pad[p0:p0 + length] += a * templates[r]
    else:
        lag = np.arange(length)
        chunk = max(1, 4_000_000 // length)
        for c0 in range(0, pos.size, chunk):
            sl = slice(c0, c0 + chunk)
            idx = (pos[sl][:, None] + lag).ravel()
            val = (amp[sl][:, None] * templates[row[sl]]).ravel()
            pad += np.bincount(idx, weights=val, minlength=pad.size)
    return pad[length:length + n_out]


class MotorUnitRenderer:
    """Turns motor-unit discharges into skin acceleration and surface potentials.

    Templates are computed once per unit that discharges, at an internal rate of
    at least 1 kHz (acceleration) or 4 kHz (potentials), anti-alias filtered
    and split into polyphase components, so events keep sub-sample timing at
    the output rates and placing many events costs one vectorised sum.

    Parameters
    ----------
    pools : sequence of MotorUnitPool
        The pools whose units may discharge.
    fs : float
        Acceleration rate in Hz.
    emg_fs : float or None
        Potential rate in Hz, or None for no potentials.
    tissue : TissueParams or None
        Tissue parameters (defaults if None).
    conductor : ConductorParams or None
        Volume-conductor parameters (defaults if None).
    """

    def __init__(self, pools: Sequence[MotorUnitPool], fs: float, emg_fs: float | None = None,
                 *, tissue: _tissue.TissueParams | None = None,
                 conductor: ConductorParams | None = None) -> None:
        for name, rate in (("fs", fs), ("emg_fs", emg_fs)):
            if rate is not None and not (math.isfinite(rate) and rate > 0):
                raise SamplingRateError(f"{name} must be finite and > 0 Hz, got {rate!r}")
        self.pools = tuple(pools)
        self.fs = float(fs)
        self.emg_fs = None if emg_fs is None else float(emg_fs)
        self.tissue = tissue or _tissue.TissueParams()
        self.conductor = conductor or ConductorParams()
        self._k_acc = max(1, math.ceil(1000.0 / self.fs))
        self._k_emg = None if self.emg_fs is None else max(1, math.ceil(4000.0 / self.emg_fs))
        self._acc: dict[tuple[int, int], tuple[np.ndarray, int]] = {}
        self._emg: dict[tuple[int, int], tuple[np.ndarray, int]] = {}

    def direction(self, muscle: int) -> np.ndarray:
        """Unit body-frame direction of the skin acceleration a unit of *muscle* causes."""
        d = (np.asarray(self.tissue.skin_normal)
             + self.tissue.tangential_ratio * np.asarray(self.pools[muscle].muscle.fibre_direction))
        return d / np.linalg.norm(d)

    def _acc_templates(self, muscle: int, units: np.ndarray) -> None:
        need = [u for u in units if (muscle, u) not in self._acc]
        if not need:
            return
        pool = self.pools[muscle]
        fs_int = self.fs * self._k_acc
        w = 2 * math.pi * self.tissue.natural_frequency_hz
        span = 12 * pool.contraction_time_s.max() + 6 / (self.tissue.damping_ratio * w)
        t = np.arange(int(math.ceil(span * fs_int))) / fs_int
        u = np.asarray(need)
        gain = pool.peak_force_n[u] * _tissue.force_transmission(
            pool.depth_m[u], pool.offset_m[u], params=self.tissue)
        force = twitch_force(t[None, :], gain[:, None], pool.contraction_time_s[u][:, None])
        acc = _tissue.surface_acceleration(force, fs_int, params=self.tissue)
        for i, unit in enumerate(need):
            # drop the tail once it stays below 10⁻⁴ of the peak (a slow twitch's
            # late relaxation barely accelerates the skin)
            big = np.flatnonzero(np.abs(acc[i]) > 1e-4 * np.abs(acc[i]).max())
            end = big[-1] + 1 if big.size else 1
            self._acc[(muscle, int(unit))] = _polyphase(acc[i, :end], self._k_acc)

    def _emg_templates(self, muscle: int, units: np.ndarray) -> None:
        need = [u for u in units if (muscle, u) not in self._emg]
        if not need:
            return
        pot = muap(self.pools[muscle], need, self.emg_fs * self._k_emg, conductor=self.conductor)
        for i, unit in enumerate(need):
            self._emg[(muscle, int(unit))] = _polyphase(pot[i], self._k_emg)

    def acceleration_peak(self, muscle: int, unit: int) -> float:
        """Largest |acceleration| (m/s², at the output rate) of one isolated twitch of a unit."""
        self._acc_templates(muscle, np.array([unit]))
        return float(np.abs(self._acc[(muscle, int(unit))][0]).max())

    def render(self, duration_s: float, times_s: np.ndarray, muscle: np.ndarray,
               unit: np.ndarray, gain: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
        """Acceleration, potential and per-event peak for a list of discharges.

        Parameters
        ----------
        duration_s : float
            Output length in s.
        times_s : ndarray, shape (n_events,)
            Discharge times in s.
        muscle, unit : ndarray of int, shape (n_events,)
            Pool index (into ``pools``) and unit index of each discharge.
        gain : ndarray, shape (n_events,)
            Twitch-force gain of each discharge (see :func:`rate_gain`).

        Returns
        -------
        acc : ndarray, shape (3, n_samples)
            Body-frame skin acceleration in m/s².
        emg : ndarray, shape (n_emg,) or None
            Potential at the electrode pair in V (None without ``emg_fs``).
        peak_ms2 : ndarray, shape (n_events,)
            Peak |acceleration| of each discharge's twitch alone, at the output rate.
        """
        times_s = np.asarray(times_s, dtype=float)
        muscle = np.asarray(muscle, dtype=int)
        unit = np.asarray(unit, dtype=int)
        gain = np.asarray(gain, dtype=float)
        n = int(round(duration_s * self.fs))
        acc = np.zeros((3, n))
        peak = np.zeros(times_s.size)
        emg = None if self.emg_fs is None else np.zeros(int(round(duration_s * self.emg_fs)))
        for mi in np.unique(muscle):
            sel = np.flatnonzero(muscle == mi)
            units = np.unique(unit[sel])
            self._acc_templates(int(mi), units)
            scalar, pk = self._place(self._acc, self._k_acc, self.fs, n, int(mi), units,
                                     times_s[sel], unit[sel], gain[sel])
            acc += self.direction(int(mi))[:, None] * scalar[None, :]
            peak[sel] = pk
            if emg is not None:
                self._emg_templates(int(mi), units)
                pot, _ = self._place(self._emg, self._k_emg, self.emg_fs, emg.size, int(mi),
                                     units, times_s[sel], unit[sel], np.ones(sel.size))
                emg += pot
        return acc, emg, peak

    @staticmethod
    def _place(cache: dict, k: int, fs: float, n_out: int, muscle: int, units: np.ndarray,
               times_s: np.ndarray, unit: np.ndarray, amp: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        stacks = [cache[(muscle, int(u))] for u in units]
        length = max(g.shape[1] for g, _ in stacks)
        delay = stacks[0][1]
        templates = np.zeros((units.size * k, length))
        for i, (g, _) in enumerate(stacks):
            templates[i * k:(i + 1) * k, :g.shape[1]] = g
        m = np.round(times_s * fs * k).astype(np.int64)
        phase = (delay - m) % k
        start = (m - delay + phase) // k
        row = np.searchsorted(units, unit) * k + phase
        peaks = np.abs(templates).max(axis=1)[row] * np.abs(amp)
        return _superpose(n_out, start, templates, row, amp), peaks
