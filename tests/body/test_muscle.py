"""Motor-unit pools, twitches, rate coding and MUAPs against the literature (physiology.md §1)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

from glutesense.body import muscle as M
from glutesense.body.tissue import TissueParams
from glutesense.errors import ParameterError


@pytest.fixture(scope="module")
def gmax() -> M.MotorUnitPool:
    return M.motor_unit_pool("gluteus_maximus", rng=np.random.default_rng(11))


# ------------------------------------------------------------------ Fuglevand pool (§1.1)

def test_pool_spans_the_published_ranges(gmax):
    n = gmax.n_units
    # RR = 30, RP = 100: RTE(i) = exp(ln RR·i/n), P(i) = exp(ln RP·i/n)
    assert gmax.recruitment_threshold[-1] == pytest.approx(30.0)
    assert gmax.recruitment_threshold[-1] / gmax.recruitment_threshold[0] == pytest.approx(
        30.0 ** ((n - 1) / n))
    assert gmax.peak_force_n[-1] / gmax.peak_force_n[0] == pytest.approx(100.0, rel=0.01)
    # contraction time 90 ms (smallest) → 30 ms (largest), RT = 3
    assert gmax.contraction_time_s[0] == pytest.approx(0.090, abs=0.001)
    assert gmax.contraction_time_s[-1] == pytest.approx(0.030, abs=1e-9)
    assert np.all(np.diff(gmax.contraction_time_s) < 0)
    # exponential: most units are small (median force ≈ √RP × smallest = 10×)
    assert np.median(gmax.peak_force_n) / gmax.peak_force_n[0] == pytest.approx(10.0, rel=0.05)
    # peak rates 35 → 25 Hz (PFR1 = 35, PFRD = 10)
    assert gmax.peak_rate_hz[0] == pytest.approx(35.0, abs=0.4)
    assert gmax.peak_rate_hz[-1] == pytest.approx(25.0)


def test_pool_force_matches_gluteus_maximus_strength(gmax):
    # fused force at peak rates sums to the 891 N of Barker et al. 2014
    ct, pfr = gmax.contraction_time_s, gmax.peak_rate_hz
    fused = gmax.peak_force_n * ct * math.e * pfr * M.rate_gain(ct, 1.0 / pfr)
    assert fused.sum() == pytest.approx(891.0, rel=1e-6)
    # the smallest twitches are of the order of single hand-muscle units (FDI 7.41 mN,
    # Cescon 2004): within a factor 3
    assert 7.41e-3 / 3 < gmax.peak_force_n[0] < 7.41e-3 * 3


def test_territories_lie_inside_the_muscle(gmax):
    fat = TissueParams().fat_thickness_m
    m = M.MUSCLES["gluteus_maximus"]
    assert np.all(gmax.depth_m >= fat) and np.all(gmax.depth_m <= fat + m.thickness_m)
    assert np.all(gmax.territory_radius_m > 0.5e-3) and np.all(gmax.territory_radius_m < 15e-3)
    assert gmax.n_fibres.sum() == pytest.approx(m.n_fibres)


def test_unknown_muscle_is_rejected():
    with pytest.raises(ParameterError, match="unknown muscle"):
        M.motor_unit_pool("gluteus_giganteus", rng=np.random.default_rng(0))


# ------------------------------------------------------------------ twitch shape

@pytest.mark.parametrize("ct", [0.030, 0.060, 0.090])
def test_twitch_peaks_at_contraction_time_and_half_relaxes_at_2_68_T(ct):
    fs = 20000.0
    t = np.arange(int(1.0 * fs)) / fs
    f = M.twitch_force(t, 0.01, ct)
    i = int(np.argmax(f))
    assert t[i] == pytest.approx(ct, abs=1 / fs)
    assert f[i] == pytest.approx(0.01, rel=1e-6)
    # critically damped impulse response: x e^(1−x) = ½ at x ≈ 2.678 after the peak
    half = t[i:][np.argmax(f[i:] < 0.005)]
    assert half / ct == pytest.approx(2.678, abs=0.01)
    assert np.all(M.twitch_force(-t[1:], 0.01, ct) == 0)


# ------------------------------------------------------------------ rate coding (§1.1)

def test_rate_gain_follows_the_published_form():
    ct = 0.05
    assert M.rate_gain(ct, np.inf) == 1.0
    assert M.rate_gain(ct, ct / 0.4) == pytest.approx(1.0)
    assert M.rate_gain(ct, ct / 0.3) == 1.0
    # T/ISI = 1: (1 − e^−2)/1 over (1 − e^−0.128)/0.4
    ref = (1 - math.exp(-2 * 0.4 ** 3)) / 0.4
    assert M.rate_gain(ct, ct) == pytest.approx((1 - math.exp(-2)) / ref)
    # continuous at 0.4 and decreasing for very short intervals
    assert M.rate_gain(ct, ct / 0.4001) == pytest.approx(1.0, abs=1e-3)
    assert M.rate_gain(ct, ct / 6) < M.rate_gain(ct, ct / 2)


def test_force_rate_relation_is_sigmoid(gmax):
    # mean force of a unit firing regularly: P·T·e·rate·g(T·rate), P = 1
    ct = gmax.contraction_time_s[0]
    rates = np.arange(2.0, 60.0, 0.5)
    force = ct * math.e * rates * M.rate_gain(ct, 1.0 / rates)
    slope = np.diff(force)
    assert np.all(slope > -1e-9) and force[-1] > 5 * force[0]  # more rate, more force
    assert slope[-1] < 0.1 * slope.max()                      # saturates (fused tetanus)
    assert slope[0] < 0.8 * slope.max()                       # steepest in the middle
    # steepest where T/ISI ≈ 0.69 (the inflection of 1 − e^(−2x³))
    assert rates[int(np.argmax(slope))] * ct == pytest.approx(0.69, abs=0.1)


def test_firing_rate_law(gmax):
    rte = gmax.recruitment_threshold
    fr = M.firing_rate(rte[10], gmax)
    assert fr[10] == pytest.approx(8.0)                      # MFR at recruitment
    assert np.all(fr[11:] == 0)
    assert fr[0] == pytest.approx(8.0 + rte[10] - rte[0])    # g_e = 1 Hz per unit
    top = M.firing_rate(1e6, gmax)
    np.testing.assert_allclose(top, gmax.peak_rate_hz)
    assert M.firing_rate(np.array([0.0, 1e6]), gmax).shape == (2, gmax.n_units)


def test_discharge_times_rate_and_cv():
    t = M.discharge_times(10.0, 200.0, rng=np.random.default_rng(3), cv=0.1)
    isi = np.diff(t)
    assert isi.mean() == pytest.approx(0.1, rel=0.02)
    assert isi.std() / isi.mean() == pytest.approx(0.1, rel=0.1)
    assert t[0] == 0.0 and t[-1] < 200.0


# ------------------------------------------------------------------ MUAP (§1.2, §2.2, §8.2)

def _pp(x: np.ndarray) -> np.ndarray:
    return x.max(axis=-1) - x.min(axis=-1)


def _duration_ms(x: np.ndarray, fs: float) -> float:
    i = np.flatnonzero(np.abs(x) > 0.05 * np.abs(x).max())
    return (i[-1] - i[0]) / fs * 1e3


def test_muap_shrinks_and_widens_with_depth(gmax):
    fs = 8000.0
    u = int(np.argmin(np.abs(gmax.n_fibres - np.median(gmax.n_fibres))))
    amps, durs = [], []
    for depth in (0.017, 0.025, 0.040):
        pool = dataclasses.replace(gmax, depth_m=np.full(gmax.n_units, depth),
                                   offset_m=np.zeros(gmax.n_units))
        x = M.muap(pool, [u], fs)[0]
        amps.append(_pp(x))
        durs.append(_duration_ms(x, fs))
        assert abs(x[-1]) < 1e-3 * _pp(x)                    # back to baseline: no net current
    assert amps[0] > amps[1] > amps[2]
    # the fast (spike) part widens: compare the width of the main negative/positive peaks
    assert durs[0] <= durs[2]


def test_muap_scales_with_conduction_velocity(gmax):
    fs = 8000.0
    slow = dataclasses.replace(gmax, muscle=dataclasses.replace(gmax.muscle,
                                                                conduction_velocity_m_s=3.0))
    u = gmax.n_units - 1
    d4 = _duration_ms(M.muap(gmax, [u], fs)[0], fs)
    d3 = _duration_ms(M.muap(slow, [u], fs)[0], fs)
    assert d3 / d4 == pytest.approx(4.0 / 3.0, rel=0.15)


def test_surface_mup_size_in_tibialis_anterior_geometry():
    # the same conductor model with tibialis anterior numbers: 153 units (McNeil 2005 MUNE),
    # 329 fibres per unit (Gath & Stålberg 1981), thin fat (3 mm, our assumption), 20 mm
    # thick: the median surface MUP inside the 26–69 µV of McNeil et al. 2005
    a = 27.5e-6
    ta = M.MuscleParams(
        name="tibialis_anterior", n_units=153, pcsa_cm2=329 * 153 * math.pi * a * a / 0.9 * 1e4,
        fibre_length_m=0.08, depth_below_fat_m=0.0, thickness_m=0.020, offset_m=0.0,
        offset_spread_m=0.010, fibre_direction=(0.0, 0.0, 1.0), electrode_angle_deg=0.0,
        electrode_offset_from_endplate_m=0.030, nerve="deep_peroneal", roots=("L4", "L5"))
    pool = M.motor_unit_pool(ta, rng=np.random.default_rng(4),
                             tissue=TissueParams(fat_thickness_m=0.003))
    pp_uv = _pp(M.muap(pool, np.arange(pool.n_units), 4000.0)) * 1e6
    assert 26.0 <= np.median(pp_uv) <= 69.0


def test_gluteal_fasciculation_potentials_in_surface_ranges(gmax):
    fs = 4000.0
    x = M.muap(gmax, np.arange(0, gmax.n_units, 5), fs)
    pp_uv = _pp(x) * 1e6
    durs = np.array([_duration_ms(r, fs) for r in x])
    # raw sEMG spans a few µV to 2–3 mV (Konrad): no single unit beyond it
    assert pp_uv.max() < 3000.0
    # some superficial, large units cross the 50 µV surface-counting threshold
    # (van der Heijden 1994), most deep ones do not
    assert 0.01 < np.mean(pp_uv >= 50.0) < 0.5
    # durations inside the 2.8–37.4 ms of fasciculation potentials (JNNP table)
    assert np.all((durs >= 2.8) & (durs <= 37.4))
