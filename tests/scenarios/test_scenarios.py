"""Scenario composition: contracts (DESIGN §4.1, §4.3), determinism, chunk seams, literature checks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from glutesense import scenarios
from glutesense.errors import ParameterError
from glutesense.io.canonical import write_canonical_csv
from glutesense.recording import MECHANISMS
from glutesense.units import G0

REQUIRED = {"twitch", "postural", "pulse", "nerve", "vibration", "seated-rest", "standing-quiet",
            "after-workout", "caffeine-stress", "long-sitting-nerve", "car-ride", "washing-machine",
            "music-bass", "after-dancing", "benign-fasciculation", "continuous-twitching"}
REPORT_KEYS = {"twitch": {"present", "rate_per_min", "pattern", "events"},
               "postural": {"present", "sway_rms_ms2", "after_movement"},
               "pulse": {"present", "heart_rate_bpm", "beats_s"},
               "nerve": {"present", "burst_rate_per_min", "bursts"},
               "vibration": {"present", "source", "dominant_hz", "iso2631"}}


def test_required_scenarios_exist_with_one_line_descriptions():
    listed = {s.name: s for s in scenarios.list_scenarios()}
    assert REQUIRED - set(MECHANISMS) <= set(listed)
    for s in listed.values():
        assert s.description and "\n" not in s.description
        assert set(s.mechanisms) <= set(MECHANISMS)
    with pytest.raises(ParameterError, match="seated-rest"):
        scenarios.load_scenario("no-such-scenario")


@pytest.mark.parametrize("name", [s.name for s in scenarios.list_scenarios()])
def test_every_scenario_honours_the_contracts(name):
    seed = 1
    rec, truth, _ = scenarios.simulate(name, duration_s=20.0, seed=seed)
    assert rec.ch_names == ("acc_x", "acc_y", "acc_z") and rec.ch_units == ("m/s^2",) * 3
    assert rec.fs == 100.0 and rec.n_samples == 2000
    # gravity included, in the sensor frame: the DC vector has |a| ≈ g (offset SD 10 mg per axis)
    assert abs(np.linalg.norm(rec.data.mean(axis=1)) - G0) < 0.5
    assert truth["schema"] == "glutesense.truth/1" and truth["scenario"] == name
    assert truth["seed"] == seed and truth["duration_s"] == 20.0 and truth["fs_hz"] == 100.0
    for mech, keys in REPORT_KEYS.items():
        assert keys <= set(truth["mechanisms"][mech])
    json.dumps(truth, allow_nan=False)
    assert set(rec.annotations.source) <= {"truth"}
    sc = scenarios.load_scenario(name)
    assert ("emg" in rec.streams) == (sc.emg_fs_hz is not None)
    if "emg" in rec.streams:
        assert rec.streams["emg"].fs == sc.emg_fs_hz and rec.streams["emg"].ch_units == ("V",)
        assert rec.streams["emg"].n_samples == int(20.0 * sc.emg_fs_hz)


def test_same_seed_same_bytes_and_different_seed_differs(tmp_path):
    paths = []
    for i, seed in enumerate((7, 7, 8)):
        rec = scenarios.simulate("after-workout", duration_s=15.0, seed=seed).recording
        p = tmp_path / f"r{i}.csv"
        write_canonical_csv(rec, p)
        paths.append(p)
    assert paths[0].read_bytes() == paths[1].read_bytes()
    assert (tmp_path / "r0.emg.csv").read_bytes() == (tmp_path / "r1.emg.csv").read_bytes()
    assert paths[0].read_bytes() != paths[2].read_bytes()


def test_chunk_seams_are_exact_for_stateful_mechanisms():
    # car-ride = pulse + vibration (+ sensor): all carry state across chunks
    a = scenarios.simulate("car-ride", duration_s=30.0, seed=3).recording
    b = scenarios.simulate("car-ride", duration_s=30.0, seed=3, chunk_s=7.3).recording
    np.testing.assert_array_equal(a.data, b.data)
    c = scenarios.simulate("standing-quiet", duration_s=30.0, seed=3, chunk_s=600).recording
    d = scenarios.simulate("standing-quiet", duration_s=30.0, seed=3, chunk_s=11.0).recording
    # twitches are stateless per chunk (re-drawn): compare everywhere no twitch of either run acts
    ok = np.ones(c.n_samples, bool)
    for ti in np.r_[c.annotations.select(mechanism="twitch").onset,
                    d.annotations.select(mechanism="twitch").onset]:
        ok[max(0, int((ti - 0.5) * 100)):int((ti + 1.5) * 100)] = False
    assert ok.mean() > 0.5
    np.testing.assert_allclose(c.data[:, ok], d.data[:, ok], atol=0.01)   # within a few LSB


def test_car_ride_truth_in_published_range():
    truth = scenarios.simulate("car-ride", duration_s=120.0, seed=2).truth
    v = truth["mechanisms"]["vibration"]
    assert v["source"] == "vehicle"
    assert 0.35 <= v["iso2631"]["aw_z_ms2"] <= 0.53        # drivers' IQR, PMC8091068
    assert v["iso2631"]["av_ms2"] >= v["iso2631"]["aw_z_ms2"]


def test_washing_machine_and_music_dominant_frequencies():
    wm = scenarios.simulate("washing-machine", duration_s=120.0, seed=2).truth["mechanisms"]["vibration"]
    assert wm["dominant_hz"] == pytest.approx(1400 / 60, abs=0.15)    # rpm / 60
    mu = scenarios.simulate("music-bass", duration_s=30.0, seed=2).truth["mechanisms"]["vibration"]
    assert mu["dominant_hz"] == pytest.approx(40.0, abs=0.15)
    assert mu["beat_hz"] == pytest.approx(124 / 60)
    assert 60 / 60 <= mu["beat_hz"] <= 180 / 60


def test_after_workout_heart_rate_recovers_normally():
    rec, truth, _ = scenarios.simulate("after-workout", duration_s=130.0, seed=4)
    beats = rec.annotations.select(label="beat")
    hr0 = beats.value[beats.onset < 5].mean()
    hr60 = beats.value[(beats.onset > 57) & (beats.onset < 63)].mean()
    assert hr0 - hr60 > 12                                       # Cole et al. 1999
    assert truth["mechanisms"]["pulse"]["beats_s"] == pytest.approx(list(beats.onset), abs=1e-3)
    k = truth["mechanisms"]["postural"]["after_movement"]
    assert k and k[0]["kind"] == "kohnstamm" and k[0]["t_s"] == 20.0


def test_twitch_rates_order_and_device_coupling():
    cont = scenarios.simulate("continuous-twitching", duration_s=60.0, seed=1).truth["mechanisms"]["twitch"]
    rest = scenarios.simulate("seated-rest", duration_s=60.0, seed=1).truth["mechanisms"]["twitch"]
    assert cont["rate_per_min"] > 10 * rest["rate_per_min"]
    assert cont["pattern"] == "continuous" and cont["events"]
    e = cont["events"][0]
    assert e["peak_ms2"] == pytest.approx(0.6 * e["skin_peak_ms2"])   # hip-worn wearable coupling


def test_nerve_scenario_has_bursts_and_emg():
    rec, truth, _ = scenarios.simulate("long-sitting-nerve", duration_s=60.0, seed=1)
    n = truth["mechanisms"]["nerve"]
    assert n["present"] and n["bursts"]
    assert len(rec.annotations.select(mechanism="nerve")) == len(n["bursts"])
    assert "emg" in rec.streams and np.std(rec.streams["emg"].data) > 0


def test_after_dancing_annotates_voluntary_bout_and_ring_down():
    rec, truth, comps = scenarios.simulate("after-dancing", duration_s=90.0, seed=1, keep_components=True)
    vol = [i for i, m in enumerate(rec.annotations.mechanism) if m is None]
    assert len(vol) == 1 and rec.annotations.onset[vol[0]] == 0.0
    assert rec.annotations.duration[vol[0]] == pytest.approx(60.0)
    assert truth["voluntary"] == [{"t0_s": 0.0, "t1_s": 60.0, "kind": "dancing"}]
    assert truth["mechanisms"]["postural"]["after_movement"][0]["t_s"] == 60.0
    dance = np.std(comps["voluntary"][:, :6000])
    still = np.std(rec.data[:, 6500:] - np.median(rec.data[:, 6500:], axis=1, keepdims=True))
    assert dance > 10 * still                                    # dancing dwarfs what follows


def test_sensor_override_and_bad_arguments():
    rec = scenarios.simulate("seated-rest", duration_s=10.0, seed=1, sensor="under_buttock").recording
    assert rec.meta["sensor"]["placement"] == "under_buttock"
    assert abs(abs(np.median(rec.data[2])) - G0) < 0.3           # flat on the seat: g on sensor z
    with pytest.raises(ParameterError):
        scenarios.simulate("seated-rest", duration_s=-1.0)
    with pytest.raises(ParameterError):
        scenarios.simulate("seated-rest", duration_s=10.0, sensor={"placement": "nowhere"})
