"""Postural sway model validated against published and measured centre-of-pressure data.

Reference data: Santos & Duarte (2016), "A public data set of human balance
evaluations", PeerJ 4:e2648 (BDS, CC-BY 4.0), subject 2, firm surface, read
from ``../shared/reference/posturography/bds`` with plain numpy. Literature
values: PMC3966255 Table 3 (COP r.m.s., stabilogram diffusion), physiology.md §4.1.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest
from scipy import signal

from glutesense.body import postural
from glutesense.errors import ParameterError

FS = 100.0


def _mean_frequency(ap: np.ndarray, ml: np.ndarray, fs: float) -> float:
    """Power-weighted mean frequency of the detrended COP (AP + ML power), Welch 2048 points."""
    f, p1 = signal.welch(signal.detrend(ap), fs, nperseg=2048)
    _, p2 = signal.welch(signal.detrend(ml), fs, nperseg=2048)
    p = p1 + p2
    return float(np.sum(f * p) / np.sum(p))


def _velocity(ap: np.ndarray, ml: np.ndarray, fs: float) -> float:
    """Mean COP velocity = path length / duration, same units as the input per s."""
    return float(np.sum(np.hypot(np.diff(ap), np.diff(ml))) / (ap.size / fs))


@pytest.fixture(scope="module")
def bds(reference_dir):
    """Firm-surface trials of BDS subject 2: COP in m (AP = COPx, ML = COPy) + the authors' metrics."""
    folder = reference_dir / "posturography" / "bds"
    rows = [r for r in csv.DictReader(open(folder / "expected_cop_metrics_subject2.csv"))
            if r["Surface"] == "Firm"]
    trials = []
    for r in rows:
        x = np.loadtxt(folder / f"{r['Trial']}.txt", skiprows=1)
        trials.append({"ap": x[:, 7] / 100.0, "ml": x[:, 8] / 100.0,
                       "mfreq": float(r["COPmfreq_Hz"]), "velo": float(r["COPvelo_cm_per_s"]) / 100.0})
    return trials


@pytest.fixture(scope="module")
def sim_cop():
    return postural.simulate_cop(600.0, FS, rng=np.random.default_rng(7))


def test_our_metric_definitions_reproduce_the_authors(bds):
    # Our mean-frequency and velocity definitions must agree with the authors' published metrics
    # on their own data before we use them on ours.
    for t in bds:
        assert _mean_frequency(t["ap"], t["ml"], FS) == pytest.approx(t["mfreq"], rel=0.25)
        assert _velocity(t["ap"], t["ml"], FS) == pytest.approx(t["velo"], rel=0.01)


def test_cop_rms_matches_literature_and_bds(bds, sim_cop):
    ap, ml = sim_cop
    rms_ap, rms_ml = ap.std() * 1e3, ml.std() * 1e3
    # PMC3966255 Table 3: AP 5.0 ± 2.5 mm, ML 3.3 ± 1.1 mm (mean ± SD)
    assert 5.0 - 2.5 <= rms_ap <= 5.0 + 2.5
    assert 3.3 - 1.1 <= rms_ml <= 3.3 + 1.1
    # BDS subject 2, firm surface: AP r.m.s. range (per 60-s trial) widened by ±50 %
    bds_ap = [np.std(t["ap"]) * 1e3 for t in bds]
    per_minute = [np.std(seg) * 1e3 for seg in ap.reshape(10, -1)]
    assert 0.5 * min(bds_ap) <= np.median(per_minute) <= 1.5 * max(bds_ap)


def test_cop_mean_frequency_and_velocity_in_bds_range(bds, sim_cop):
    ap, ml = sim_cop
    segs = [(a, m) for a, m in zip(ap.reshape(10, -1), ml.reshape(10, -1))]  # 60-s trials like BDS
    mf = np.median([_mean_frequency(a, m, FS) for a, m in segs])
    ve = np.median([_velocity(a, m, FS) for a, m in segs])
    ref_mf = [t["mfreq"] for t in bds]
    ref_ve = [t["velo"] for t in bds]
    assert 0.7 * min(ref_mf) <= mf <= 1.3 * max(ref_mf)
    assert 0.6 * min(ref_ve) <= ve <= 1.6 * max(ref_ve)
    # sway lives below 1-2 Hz (DESIGN §1): ≥ 95 % of COP power below 1 Hz
    f, p = signal.welch(signal.detrend(ap), FS, nperseg=4096)
    assert p[f < 1.0].sum() / p.sum() > 0.95


def test_stabilogram_diffusion_matches_literature(sim_cop):
    ap = sim_cop[0] * 1e3
    lags = np.arange(1, 101)
    msd = np.array([np.mean((ap[k:] - ap[:-k]) ** 2) for k in lags])
    ds = np.polyfit(lags / FS, msd, 1)[0] / 2
    assert 6.6 - 2 * 2.8 <= ds <= 6.6 + 2 * 2.8   # PMC3966255 Table 3: AP Ds 6.6 ± 2.8 mm²/s


def test_loop_delay_destabilises_when_too_long():
    # Peterka-type loops lose stability as the delay grows (gain margin); 0.4 s is far beyond it.
    with pytest.raises(ParameterError):
        postural.cop_filters(postural.PendulumParams(delay_s=0.4), FS)


def test_gluteal_site_acceleration_small_and_slow():
    out = postural.simulate(120.0, FS, rng=np.random.default_rng(3))
    assert out.acc.shape == (3, 12000)
    rms = out.truth["sway_rms_ms2"]
    # tilt g·θ with θ ≈ COM rms / h ≈ 4.7 mm / 0.83 m → ~0.05 m/s²; far below walking (~2 m/s²)
    assert 0.01 < rms < 0.2
    f, p = signal.welch(out.acc[0], FS, nperseg=2048)
    assert p[f < 2.0].sum() / p.sum() > 0.8


def test_kohnstamm_after_contraction_is_annotated_and_delayed():
    out = postural.simulate(60.0, FS, rng=np.random.default_rng(4), sway=False,
                            after_movement=[{"t_s": 20.0, "kind": "kohnstamm"}])
    k = postural.KohnstammParams()
    assert out.truth["after_movement"] == [{"t_s": 20.0, "decay_s": k.decay_s, "kind": "kohnstamm"}]
    a = np.abs(out.acc[0])
    before = a[: int(20 * FS)].max()
    assert before == 0.0                       # nothing before the release
    onset = np.flatnonzero(a > 0)[0] / FS
    assert 20.0 + k.latency_s - 0.05 <= onset <= 20.0 + k.latency_s + 0.5
    assert len(out.events) == 1 and out.events.mechanism[0] == "postural"


def test_same_seed_same_output_and_chunking_is_seamless():
    rng_a, rng_b = np.random.default_rng(11), np.random.default_rng(11)
    whole = postural.PosturalModel(60.0, FS, rng=rng_a)
    parts = postural.PosturalModel(60.0, FS, rng=rng_b)
    a, _ = whole.render(6000)
    b = np.hstack([parts.render(n)[0] for n in (1000, 2500, 2500)])
    np.testing.assert_array_equal(a, b)


def test_soft_tissue_after_oscillation_decays_with_the_reported_time_constant():
    out = postural.simulate(10.0, 1000.0, rng=np.random.default_rng(5), sway=False,
                            after_movement=[{"t_s": 2.0, "kind": "soft_tissue", "amplitude_ms2": 0.5}])
    decay = out.truth["after_movement"][0]["decay_s"]
    assert np.abs(out.acc[:, : int(2.0 * 1000)]).max() == 0.0
    main = out.acc[np.argmax(np.sum(out.acc**2, axis=1))]
    env = np.abs(signal.hilbert(main))
    t = np.arange(main.size) / 1000.0
    sel = (t > 2.0 + 0.3 * decay) & (t < 2.0 + 2.5 * decay)
    slope = np.polyfit(t[sel], np.log(env[sel] + 1e-12), 1)[0]
    assert -1.0 / slope == pytest.approx(decay, rel=0.35)
