"""The wobbling-mass tissue model: filter, single-MU skin acceleration (MMG), after-oscillation."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import signal

from glutesense.body import muscle as M
from glutesense.body import tissue as T
from glutesense.errors import ParameterError, SamplingRateError


def _pp(a: np.ndarray) -> float:
    return float(a.max() - a.min())


def test_filter_is_a_second_order_high_pass_with_the_resonance_at_fn():
    p = T.TissueParams()
    fs = 1000.0
    b, a = T.acceleration_filter(fs, p)
    f, h = signal.freqz(b, a, worN=8192, fs=fs)
    mag = np.abs(h)
    assert mag[0] < 1e-9                                      # a constant push does not accelerate
    assert mag[-1] == pytest.approx(1 / p.effective_mass_kg, rel=0.05)   # F/m above f_n
    # s²/(s² + 2ζωs + ω²) peaks at f_n / √(1 − 2ζ²)
    f_peak = f[np.argmax(mag)]
    assert f_peak == pytest.approx(p.natural_frequency_hz / math.sqrt(1 - 2 * p.damping_ratio ** 2),
                                   rel=0.03)
    # 40 dB/decade below the resonance
    lo = np.interp([0.1, 1.0], f, mag)
    assert lo[1] / lo[0] == pytest.approx(100.0, rel=0.1)


def test_surface_acceleration_of_a_step_settles_to_zero():
    fs = 1000.0
    a = T.surface_acceleration(np.ones(3000), fs)
    assert abs(a[-1]) < 1e-6 * np.abs(a).max()


@pytest.mark.parametrize(
    ("force_n", "ct_s", "mean_mm_s2", "sd_mm_s2"),
    [
        # Cescon et al. 2004: FDI units, 7.41 mN twitch → 11.0 ± 1.8 mm/s² p-p;
        # ADM units, 14.42 mN → 32.3 ± 6.5 mm/s². Contraction times are those of
        # gluteus maximus units of the same force (83 ms, 71 ms).
        (7.41e-3, 0.083, 11.0, 1.8),
        (14.42e-3, 0.071, 32.3, 6.5),
    ],
)
def test_single_unit_twitch_on_the_muscle_surface_matches_mmg(force_n, ct_s, mean_mm_s2, sd_mm_s2):
    fs = 2000.0
    t = np.arange(int(2 * fs)) / fs
    a = T.surface_acceleration(M.twitch_force(t, force_n, ct_s), fs)
    pp = _pp(a) * 1e3
    assert mean_mm_s2 - 2 * sd_mm_s2 <= pp <= mean_mm_s2 + 2 * sd_mm_s2


def test_low_threshold_gluteal_units_land_in_the_single_mu_mmg_range():
    # the first tenth of the gluteus maximus pool, at their random depths, seen at a
    # 100 Hz phone rate: median p-p inside the 2.7–32 mm/s² of Cescon 2004/2007
    pool = M.motor_unit_pool("gluteus_maximus", rng=np.random.default_rng(7))
    r = M.MotorUnitRenderer([pool], 100.0)
    pp = []
    for u in range(0, pool.n_units // 10, 4):
        acc, _, _ = r.render(2.0, np.array([0.5]), np.array([0]), np.array([u]), np.array([1.0]))
        pp.append(_pp(r.direction(0) @ acc) * 1e3)
    assert 2.7 <= np.median(pp) <= 32.0
    # and the skin acceleration is mostly normal to the skin (backwards, −x)
    d = r.direction(0)
    assert d[0] < -0.9


def test_force_transmission_falls_with_depth_and_offset():
    p = T.TissueParams()
    f = T.force_transmission(np.array([p.fat_thickness_m, 0.03, 0.06]), 0.0, params=p)
    assert f[0] == pytest.approx(1.0)
    assert f[0] > f[1] > f[2] > 0
    assert T.force_transmission(0.03, 0.05, params=p) < f[1]


def test_after_oscillation_decays_with_the_tissue_time_constant():
    p = T.TissueParams(natural_frequency_hz=6.0, damping_ratio=0.1)
    fs = 400.0
    a = T.after_oscillation(1.0, 4.0, fs, amplitude_ms2=0.5, params=p,
                            rng=np.random.default_rng(1))
    assert a.shape == (3, 1600)
    assert np.all(a[:, :400] == 0)
    mag = np.linalg.norm(a, axis=0)
    assert mag.max() <= 0.5 + 1e-12
    # envelope from the analytic signal: log-linear decay at ζω
    env = np.abs(signal.hilbert(mag[400:] * np.sign(a[2, 400:])))
    tt = np.arange(env.size) / fs
    sel = (tt > 0.2) & (tt < 1.5)
    slope = np.polyfit(tt[sel], np.log(env[sel]), 1)[0]
    assert -slope == pytest.approx(p.damping_ratio * 2 * math.pi * p.natural_frequency_hz, rel=0.1)
    # mostly vertical
    assert abs(a[2]).max() > abs(a[1]).max()


def test_after_oscillation_is_deterministic_for_a_seed():
    a = T.after_oscillation(0.5, 2.0, 100.0, amplitude_ms2=1.0, rng=np.random.default_rng(5))
    b = T.after_oscillation(0.5, 2.0, 100.0, amplitude_ms2=1.0, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)


def test_bad_parameters_are_rejected():
    with pytest.raises(ParameterError):
        T.TissueParams(damping_ratio=0.0)
    with pytest.raises(ParameterError):
        T.TissueParams(skin_normal=(0.0, 0.0, 0.0))
    with pytest.raises(SamplingRateError):
        T.acceleration_filter(15.0)
    with pytest.raises(ParameterError):
        T.after_oscillation(0.0, 1.0, 100.0, amplitude_ms2=-1.0, rng=np.random.default_rng(0))
