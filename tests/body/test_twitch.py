"""Fasciculation rates, timing statistics and outputs against physiology.md §2 and §9.2."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy import stats

from glutesense.body import twitch
from glutesense.body._base import MechanismOutput
from glutesense.errors import ParameterError

rate = twitch.fasciculation_rate_per_min


# ------------------------------------------------------------------ rates per setting

def test_healthy_baseline_inside_van_der_heijden_range():
    # healthy leg muscle on surface EMG: never > 3 /min (van der Heijden et al. 1994)
    assert 0.0 < rate() <= 3.0
    assert rate({"condition": "healthy"}) == rate(None)


def test_benign_fasciculation_inside_the_derived_range():
    # ALS median 40.5 /min, ALS:BFS ratio 5–10 in strong muscles (Bashford 2020):
    # 4.05–8.1 /min
    assert 40.5 / 10 <= rate({"condition": "benign_fasciculation"}) <= 40.5 / 5


def test_continuous_twitching_inside_the_hd_semg_iqr():
    # Bashford et al. 2020: median 40.5 /min, IQR 10.6–79.4 /min
    assert 10.6 <= rate({"condition": "continuous_twitching"}) <= 79.4


def test_exercise_raises_the_rate_and_wears_off():
    base = rate()
    h = [rate({"hours_since_exercise": x, "exercise_intensity": "vigorous"})
         for x in (0.0, 2.0, 6.0, 24.0, 72.0)]
    assert all(a > b for a, b in zip(h, h[1:]))
    assert h[-1] == pytest.approx(base, rel=0.01)
    by_intensity = [rate({"hours_since_exercise": 1.0, "exercise_intensity": k})
                    for k in ("light", "moderate", "vigorous")]
    assert base < by_intensity[0] < by_intensity[1] < by_intensity[2]
    # moderate exercise just finished: × 1.66, the short-ISI rise with fatigue
    # (7.1 % → 11.8 %, Griffin et al. 1998)
    assert rate({"hours_since_exercise": 0.0}) / base == pytest.approx(11.8 / 7.1, rel=0.01)


def test_caffeine_raises_the_rate_monotonically_and_saturates():
    r = [rate({"caffeine_mg": mg}) for mg in (0, 100, 200, 400, 800, 5000)]
    assert all(a < b for a, b in zip(r, r[1:]))
    assert r[-1] / r[0] < 1.6


def test_stress_raises_the_rate():
    r = [rate({"stress": s}) for s in ("low", "moderate", "high")]
    assert r[0] < r[1] < r[2]


@pytest.mark.parametrize(("field", "normal", "lows"), [
    # potassium normal 3.5–5.0 mmol/L; mild 3.0–3.4, moderate 2.5–2.9, severe < 2.5
    ("potassium_mmol_l", (3.6, 4.2, 5.0), (3.4, 3.0, 2.7, 2.4)),
    # magnesium normal 0.70–1.05 mmol/L; fasciculation usually only below 0.5
    ("magnesium_mmol_l", (0.72, 0.85, 1.05), (0.65, 0.5, 0.4, 0.3)),
])
def test_low_electrolytes_raise_the_rate(field, normal, lows):
    in_range = [rate({field: v}) for v in normal]
    assert max(in_range) == min(in_range) == rate()          # flat inside the normal range
    r = [rate({field: v}) for v in lows]
    assert rate() < r[0] and all(a < b for a, b in zip(r, r[1:]))


def test_magnesium_matters_mostly_below_half_a_millimole():
    mild = rate({"magnesium_mmol_l": 0.55}) / rate()
    severe = rate({"magnesium_mmol_l": 0.35}) / rate()
    assert mild < 1.5 < 3.0 < severe


def test_modulators_accept_dataclass_and_reject_unknown_keys():
    m = twitch.Modulators(stress="high")
    assert rate(m) == rate({"stress": "high"})
    with pytest.raises(ParameterError, match="unknown modulator"):
        rate({"coffee": 3})
    with pytest.raises(ParameterError):
        twitch.Modulators(stress="extreme")


# ------------------------------------------------------------------ timing statistics

def test_sporadic_intervals_are_exponential():
    out = twitch.simulate(3600.0, 50.0, rng=np.random.default_rng(1), rate_per_min=6.0)
    t = out.events.onset
    # count: Poisson(360), within 4 SD
    assert abs(t.size - 360) < 4 * np.sqrt(360)
    iei = np.diff(t)
    res = stats.kstest(iei, "expon", args=(0, 10.0))
    assert res.pvalue > 0.001


def test_clustered_events_are_overdispersed_at_the_same_mean_rate():
    out = twitch.simulate(3600.0, 50.0, rng=np.random.default_rng(2), rate_per_min=6.0,
                          pattern="clustered")
    t = out.events.onset
    assert abs(t.size - 360) < 0.35 * 360
    iei = np.diff(t)
    assert iei.std() / iei.mean() > 1.3                       # Poisson would be 1
    assert out.truth["pattern"] == "clustered"


def test_continuous_pattern_is_dense_and_from_few_units():
    out = twitch.simulate(600.0, 50.0, rng=np.random.default_rng(3), pattern="continuous")
    assert 10.6 <= out.truth["rate_per_min"] <= 79.4
    assert 10.6 <= len(out.events) / 10.0 <= 79.4
    units = {(e["muscle"], e["mu_index"]) for e in out.truth["events"]}
    assert len(units) <= twitch.FasciculationParams().n_continuous_units


# ------------------------------------------------------------------ outputs

@pytest.fixture(scope="module")
def sporadic() -> MechanismOutput:
    return twitch.simulate(300.0, 100.0, rng=np.random.default_rng(4), emg_fs=2000.0,
                           rate_per_min=12.0)


def test_output_contract(sporadic):
    out = sporadic
    assert out.mechanism == "twitch" and out.fs == 100.0 and out.emg_fs == 2000.0
    assert out.acc.shape == (3, 30000) and out.emg.shape == (600000,)
    ev = out.events
    assert set(ev.label) == {"twitch"} and set(ev.mechanism) == {"twitch"}
    assert set(ev.source) == {"truth"}
    assert np.all(ev.duration == 0) and np.all(ev.value > 0)
    tr = out.truth
    assert tr["present"] is True and tr["pattern"] == "sporadic" and tr["rate_per_min"] == 12.0
    assert len(tr["events"]) == len(ev)
    e0 = tr["events"][0]
    assert set(e0) >= {"t_s", "peak_ms2", "muscle", "mu_index"}
    assert e0["muscle"] in ("gluteus_maximus", "gluteus_medius", "gluteus_minimus")
    np.testing.assert_allclose([e["t_s"] for e in tr["events"]], ev.onset)


def test_event_values_are_the_peaks_in_the_signal(sporadic):
    out = sporadic
    mag = np.linalg.norm(out.acc, axis=0)
    t = out.events.onset
    isolated = np.flatnonzero(np.diff(t, prepend=-10) > 2.0) if t.size else []
    isolated = [i for i in isolated if i + 1 >= t.size or t[i + 1] - t[i] > 2.0]
    assert len(isolated) >= 5
    for i in isolated:
        k0 = int(t[i] * out.fs)
        seen = mag[max(k0 - 2, 0):k0 + 100].max()
        assert seen == pytest.approx(out.events.value[i], rel=0.05)


def test_each_event_has_its_action_potential(sporadic):
    out = sporadic
    for t_s in out.events.onset[:10]:
        k = int(t_s * out.emg_fs)
        seg = out.emg[k:k + 80]
        assert np.abs(seg).max() > 0
    # nothing before the first event (beyond the few-ms ringing of the anti-alias filter)
    k_first = int((out.events.onset[0] - 0.005) * out.emg_fs)
    assert np.all(out.emg[:k_first] == 0)


def test_no_events_means_not_present():
    out = twitch.simulate(10.0, 100.0, rng=np.random.default_rng(0), rate_per_min=0.0)
    assert out.truth["present"] is False and out.truth["pattern"] == "none"
    assert np.all(out.acc == 0) and out.emg is None and len(out.events) == 0


def test_muscles_can_be_restricted():
    out = twitch.simulate(120.0, 100.0, rng=np.random.default_rng(5), rate_per_min=30.0,
                          muscles=("gluteus_medius",))
    assert {e["muscle"] for e in out.truth["events"]} == {"gluteus_medius"}


def test_same_seed_same_output_and_different_seed_differs():
    kw = dict(emg_fs=1000.0, rate_per_min=20.0, pattern="clustered")
    a = twitch.simulate(60.0, 100.0, rng=np.random.default_rng(9), **kw)
    b = twitch.simulate(60.0, 100.0, rng=np.random.default_rng(9), **kw)
    c = twitch.simulate(60.0, 100.0, rng=np.random.default_rng(10), **kw)
    np.testing.assert_array_equal(a.acc, b.acc)
    np.testing.assert_array_equal(a.emg, b.emg)
    np.testing.assert_array_equal(a.events.onset, b.events.onset)
    assert a.truth == b.truth
    assert not np.array_equal(a.events.onset, c.events.onset)


def test_bad_arguments_are_rejected():
    g = np.random.default_rng(0)
    with pytest.raises(ParameterError):
        twitch.simulate(10.0, 100.0, rng=g, pattern="random")
    with pytest.raises(ParameterError):
        twitch.simulate(10.0, 100.0, rng=g, rate_per_min=-1.0)
    with pytest.raises(ParameterError):
        twitch.simulate(10.0, 100.0, rng=g, muscles=("biceps",))


def test_speed_one_hour(capsys):
    t0 = time.perf_counter()
    twitch.simulate(3600.0, 100.0, rng=np.random.default_rng(6), emg_fs=2000.0,
                    modulators={"condition": "benign_fasciculation"})
    dt = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\n[twitch] 1 h at 100 Hz acc + 2 kHz EMG (benign rate): {dt:.3f} s")


def test_unit_rng_keeps_the_same_units_across_chunks():
    def units(seed: int, unit_seed: int | None) -> set:
        out = twitch.simulate(600.0, 50.0, rng=np.random.default_rng(seed), rate_per_min=6.0,
                              unit_rng=_gen(unit_seed))
        return {(e["muscle"], e["mu_index"]) for e in out.truth["events"]}
    n_active = twitch.FasciculationParams().n_active_units
    assert len(units(1, 123) | units(2, 123)) <= n_active        # the same person
    assert len(units(1, None) | units(2, None)) > n_active       # a new set every call


def _gen(seed: int | None) -> np.random.Generator | None:
    return None if seed is None else np.random.default_rng(seed)
