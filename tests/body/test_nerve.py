"""Ectopic grouped discharges of an irritated root or nerve (physiology.md §1.3, §2.2, §6)."""

from __future__ import annotations

import time

import numpy as np
import pytest

from glutesense.body import muscle as M
from glutesense.body import nerve
from glutesense.errors import ParameterError


def _intervals(kind: int, n_groups: int = 2000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    n, offs = nerve.discharge_groups(np.full(n_groups, kind), rng=np.random.default_rng(seed))
    first = np.concatenate(([0], np.cumsum(n)[:-1]))
    iv = np.diff(offs)
    within = np.ones(offs.size - 1, dtype=bool)
    within[first[1:] - 1] = False
    return n, iv[within]


def test_doublet_intervals_are_2_5_to_20_ms():
    # Simpson 1969 (via Garland & Griffin 1999): doublet interval 2.5–20 ms
    n, iv = _intervals(nerve.BURST_KINDS.index("doublet"))
    assert np.all(n == 2)
    assert iv.min() >= 0.0025 and iv.max() <= 0.020
    assert iv.min() < 0.004 and iv.max() > 0.018               # the whole range is used


def test_multiplet_intervals_inside_doublet_and_neuromyotonic_ranges():
    # intervals 2.5–20 ms and intraburst 30–300 Hz (Maddison 2006)
    n, iv = _intervals(nerve.BURST_KINDS.index("multiplet"))
    assert n.min() >= 3 and n.max() <= 6
    assert iv.min() >= 0.0025 and iv.max() <= 0.020
    assert 1 / iv.max() >= 30 and 1 / iv.min() <= 300


def test_trains_fire_at_the_spontaneous_single_unit_rate():
    # Posa et al. 2020: 6.3 ± 4.0 Hz (1.3–18.1), rate CV 3.5 %; seconds long (Howe 1977)
    n, offs = nerve.discharge_groups(np.full(400, nerve.BURST_KINDS.index("train")),
                                     rng=np.random.default_rng(1))
    ends = np.cumsum(n) - 1
    span = offs[ends]
    rate = (n - 1) / span
    assert rate.min() >= 1.3 * 0.9 and rate.max() <= 18.1 * 1.1
    assert np.median(rate) == pytest.approx(6.3, abs=1.5)
    assert np.all((span > 1.0) & (span < 11.0))


def test_continuous_mode_bursts_recur_at_2_to_10_hz():
    out = nerve.simulate(120.0, 100.0, rng=np.random.default_rng(2), nerve="superior_gluteal",
                         mode="continuous", sitting_hours=3.0)
    assert 2.0 <= out.truth["burst_rate_per_min"] / 60.0 <= 10.0
    t = out.events.onset
    assert 2.0 <= 1.0 / np.median(np.diff(t)) <= 10.0
    kinds = {b["kind"] for b in out.truth["bursts"]}
    assert kinds == {"myokymic"}
    # each group ends before the next begins
    assert np.all(t[:-1] + out.events.duration[:-1] < t[1:])
    hz = np.array([b["intraburst_hz"] for b in out.truth["bursts"]])
    assert np.all((hz >= 5.0 * 0.7) & (hz <= 60.0 / 0.7))      # 5–60 Hz ± interval jitter


def test_sitting_and_posture_raise_the_burst_rate():
    r = [nerve.ectopic_burst_rate_per_min("inferior_gluteal", h) for h in (0.0, 0.5, 2.0, 8.0)]
    assert all(a < b for a, b in zip(r, r[1:]))
    by_posture = [nerve.ectopic_burst_rate_per_min("sciatic", 3.0, p)
                  for p in ("standing", "lying_supine", "lying_on_side", "sitting",
                            "sitting_cross_legged")]
    assert all(a < b for a, b in zip(by_posture, by_posture[1:]))
    # the superior gluteal nerve (above piriformis) is less exposed than the inferior
    assert (nerve.ectopic_burst_rate_per_min("superior_gluteal", 3.0)
            < nerve.ectopic_burst_rate_per_min("inferior_gluteal", 3.0))
    cont = [nerve.ectopic_burst_rate_per_min("L5", h, mode="continuous") for h in (0.0, 100.0)]
    assert 120.0 <= cont[0] <= cont[1] <= 600.0


@pytest.mark.parametrize(("name", "expected"), [
    # physiology.md §1.3: GMax ← inferior gluteal (L5–S2);
    # GMed/GMin ← superior gluteal (L4–S1)
    ("inferior_gluteal", {"gluteus_maximus"}),
    ("superior_gluteal", {"gluteus_medius", "gluteus_minimus"}),
    ("L4", {"gluteus_medius", "gluteus_minimus"}),
    ("S2", {"gluteus_maximus", "hamstrings"}),
    ("sciatic", {"hamstrings"}),
])
def test_nerves_supply_the_right_muscles(name, expected):
    assert set(nerve.nerve_muscles(name)) == expected


def test_sciatic_bursts_reach_the_buttock_much_weaker_than_gluteal_ones():
    g = np.random.default_rng(3)
    pools = [M.motor_unit_pool(n, rng=g) for n in ("gluteus_maximus", "hamstrings")]
    r = M.MotorUnitRenderer(pools, 100.0)
    peaks = [[r.acceleration_peak(i, u) for u in range(0, pools[i].n_units, 25)] for i in (0, 1)]
    assert np.median(peaks[1]) < 0.2 * np.median(peaks[0])


@pytest.fixture(scope="module")
def irritated():
    return nerve.simulate(600.0, 100.0, rng=np.random.default_rng(4), emg_fs=2000.0,
                          nerve="inferior_gluteal", sitting_hours=4.0)


def test_output_contract(irritated):
    out = irritated
    assert out.mechanism == "nerve" and out.acc.shape == (3, 60000) and out.emg.shape == (1200000,)
    ev = out.events
    assert set(ev.label) == {"burst"} and set(ev.mechanism) == {"nerve"}
    assert set(ev.source) == {"truth"}
    tr = out.truth
    assert tr["present"] is True
    assert tr["burst_rate_per_min"] == pytest.approx(
        nerve.ectopic_burst_rate_per_min("inferior_gluteal", 4.0))
    assert abs(len(ev) - tr["burst_rate_per_min"] * 10) < 4 * np.sqrt(tr["burst_rate_per_min"] * 10)
    b = tr["bursts"]
    assert len(b) == len(ev)
    np.testing.assert_allclose([x["t_s"] for x in b], ev.onset)
    np.testing.assert_array_equal([x["n_discharges"] for x in b], ev.value)
    assert all(x["n_discharges"] >= 1 for x in b)
    doublets = [x for x in b if x["kind"] == "doublet" and x["n_discharges"] == 2]
    assert doublets and all(50.0 <= x["intraburst_hz"] <= 400.0 for x in doublets)
    # the duration of a group is its first-to-last span
    for x, d in zip(b, ev.duration):
        if x["n_discharges"] > 1:
            assert d == pytest.approx((x["n_discharges"] - 1) / x["intraburst_hz"])
    assert {k["kind"] for k in b} == set(nerve.BURST_KINDS)


def test_bursts_move_the_skin_and_show_in_the_emg(irritated):
    out = irritated
    assert np.abs(out.acc).max() > 0 and np.abs(out.emg).max() > 0
    # the signal is zero until shortly before the first burst (anti-alias filter ringing)
    k = int((out.events.onset[0] - 0.05) * out.fs)
    assert k > 0
    assert np.all(out.acc[:, :k] == 0)
    assert np.abs(out.acc[:, k:k + 20]).max() > 0


def test_doublet_summation_gives_a_larger_twitch_than_a_single_discharge():
    g = np.random.default_rng(5)
    pools = [M.motor_unit_pool("gluteus_maximus", rng=g)]
    r = M.MotorUnitRenderer(pools, 1000.0)
    u = 200
    ct = pools[0].contraction_time_s[u]
    single, _, _ = r.render(1.0, np.array([0.2]), np.array([0]), np.array([u]), np.array([1.0]))
    isi = 0.010
    double, _, _ = r.render(1.0, np.array([0.2, 0.2 + isi]), np.array([0, 0]), np.array([u, u]),
                            np.array([1.0, float(M.rate_gain(ct, isi))]))
    assert 1.2 < np.abs(double).max() / np.abs(single).max() < 2.0


def test_same_seed_same_output():
    kw = dict(emg_fs=1000.0, nerve="L5", sitting_hours=2.0)
    a = nerve.simulate(60.0, 100.0, rng=np.random.default_rng(8), **kw)
    b = nerve.simulate(60.0, 100.0, rng=np.random.default_rng(8), **kw)
    np.testing.assert_array_equal(a.acc, b.acc)
    np.testing.assert_array_equal(a.emg, b.emg)
    assert a.truth == b.truth


def test_zero_rate_and_bad_arguments():
    out = nerve.simulate(30.0, 100.0, rng=np.random.default_rng(0), burst_rate_per_min=0.0)
    assert out.truth["present"] is False and np.all(out.acc == 0)
    out = nerve.simulate(30.0, 100.0, rng=np.random.default_rng(0), burst_rate_per_min=0.0,
                         mode="continuous")
    assert out.truth["present"] is False
    g = np.random.default_rng(0)
    with pytest.raises(ParameterError):
        nerve.simulate(10.0, 100.0, rng=g, nerve="ulnar")
    with pytest.raises(ParameterError):
        nerve.simulate(10.0, 100.0, rng=g, posture="handstand")
    with pytest.raises(ParameterError):
        nerve.simulate(10.0, 100.0, rng=g, mode="sometimes")
    with pytest.raises(ParameterError):
        nerve.NerveParams(kind_probabilities=(0.5, 0.5, 0.5, 0.0))


def test_speed_one_hour(capsys):
    t0 = time.perf_counter()
    nerve.simulate(3600.0, 100.0, rng=np.random.default_rng(6), emg_fs=2000.0, nerve="L5",
                   mode="continuous", sitting_hours=2.0)
    dt = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\n[nerve] 1 h continuous myokymia, 100 Hz acc + 2 kHz EMG: {dt:.3f} s")


def test_unit_rng_keeps_the_same_axons_across_chunks():
    def run(seed: int, unit_seed: int | None) -> dict:
        return nerve.simulate(300.0, 50.0, rng=np.random.default_rng(seed), nerve="L5",
                              sitting_hours=3.0,
                              unit_rng=_gen(unit_seed))
    a, b = run(1, 7).truth, run(2, 7).truth
    assert a["axons"] == b["axons"] and a["bursts"] != b["bursts"]
    assert len(a["axons"]) == nerve.NerveParams().n_affected_axons
    assert run(1, None).truth["axons"] != run(2, None).truth["axons"]


def _gen(seed: int | None) -> np.random.Generator | None:
    return None if seed is None else np.random.default_rng(seed)
