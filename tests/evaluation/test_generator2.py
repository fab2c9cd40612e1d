"""Generator 2's ground truth, checked independently of how it was produced."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import find_peaks

from glutesense.evaluation.generator2 import KINDS, generate, write_case


@pytest.fixture(scope="module")
def twitch_case():
    return generate("twitch", seed=11, duration_s=60.0, fs=1000.0, fmt="phyphox")


def test_twitch_peaks_are_what_the_truth_says(twitch_case):
    c = twitch_case
    ev = c.truth["twitch"]["events"]
    assert len(ev) >= 3
    comp = c.components["twitch"]
    mag = np.linalg.norm(comp, axis=0)
    t = c.timestamps
    times = np.array([e["t_s"] for e in ev])
    checked = 0
    for e in ev:
        if np.sum(np.abs(times - e["t_s"]) < 0.7) > 1:   # overlapping twitches (≤ 0.3 s) add up
            continue
        w = (t >= e["t_s"] - 0.01) & (t <= e["t_s"] + 0.4)
        assert mag[w].max() == pytest.approx(e["peak_ms2"], rel=0.02)
        # the onset: nothing before it, something right after it
        before = mag[(t > e["t_s"] - 0.3) & (t < e["t_s"] - 0.002)]
        assert before.max(initial=0.0) < 1e-3 * e["peak_ms2"]
        assert mag[(t >= e["t_s"]) & (t < e["t_s"] + 0.1)].max() > 0.3 * e["peak_ms2"]
        checked += 1
    assert checked >= 2
    ratios = np.array([e["peak_ms2"] / c.truth["noise_rms_ms2"] for e in ev])
    np.testing.assert_allclose(ratios, [e["ratio_to_noise"] for e in ev], rtol=1e-9)


def test_noise_rms_is_what_the_truth_says(twitch_case):
    c = twitch_case
    rot = np.asarray(c.truth["rotation_body_to_sensor"])
    clean = rot @ (c.body + np.array([[0.0], [0.0], [9.80665]]))
    resid = c.recording.data - clean
    resid = resid - resid.mean(axis=1, keepdims=True)           # the constant bias
    got = np.sqrt(np.mean(resid**2, axis=1))
    np.testing.assert_allclose(got, c.truth["noise_rms_ms2"], rtol=0.05)
    g = np.asarray(c.truth["gravity_dir_sensor"])
    mean_dir = c.recording.data.mean(axis=1) / np.linalg.norm(c.recording.data.mean(axis=1))
    assert np.degrees(np.arccos(np.clip(mean_dir @ g, -1, 1))) < 1.0


@pytest.mark.parametrize("seed", [1, 2])
def test_beat_times_and_heart_rate(seed):
    c = generate("rest", seed=seed, duration_s=60.0, fs=500.0)
    p = c.truth["pulse"]
    beats = np.asarray(p["beats_s"])
    mag = np.linalg.norm(c.components["pulse"], axis=0)
    pk, _ = find_peaks(mag, height=0.5 * mag.max(), distance=int(0.3 * 500))
    found = c.timestamps[pk]
    assert found.size == beats.size
    np.testing.assert_allclose(found, beats + p["j_delay_s"], atol=2.5 / 500)
    rr = np.diff(found)
    assert p["heart_rate_bpm"] == pytest.approx(60.0 / rr.mean(), rel=1e-3)


@pytest.mark.parametrize("kind", ["appliance", "music"])
def test_dominant_frequency_of_the_vibration(kind):
    c = generate(kind, seed=5, duration_s=40.0, fs=200.0)
    v = c.components["vibration"]
    x = v[2] - v[2].mean()
    f = np.fft.rfftfreq(x.size, 1 / 200.0)
    p = np.abs(np.fft.rfft(x * np.hanning(x.size))) ** 2
    peak = f[np.argmax(p)]
    vib = c.truth["vibration"]
    if kind == "appliance":
        assert peak == pytest.approx(vib["dominant_hz"], abs=0.05)
    else:   # the sustained bass line, or a beat harmonic next to the kick tone
        beat_hz = vib["tempo_bpm"] / 60
        assert (abs(peak - vib["bass_line_hz"]) < 0.05 or abs(peak - vib["bass_hz"]) <= beat_hz)


def test_files_round_trip_through_the_readers(tmp_path):
    from glutesense.io import read

    for kind, fmt in (("rest", "phyphox"), ("vehicle", "sensorlogger")):
        c = generate(kind, seed=3, duration_s=30.0, fs=100.0, fmt=fmt)
        path = write_case(c, tmp_path)
        rec = read(path)
        assert rec.fs == pytest.approx(100.0)
        assert rec.duration == pytest.approx(30.0, abs=0.05)
        n = min(rec.n_samples, c.recording.n_samples)
        # first differences: a gravity split (0.3-Hz low-pass) in the writer leaves them intact
        a = np.diff(rec.data[:3, :n], axis=1)
        b = np.diff(c.recording.data[:, :n], axis=1)
        # |r|: a lone Sensor Logger iOS Accelerometer.csv carries Apple's negated sign and
        # no gravity, and nothing in the file says it is from iOS (see docs/evaluation.md).
        for i in range(3):
            assert abs(np.corrcoef(a[i], b[i])[0, 1]) > 0.99


def test_reproducible_and_all_kinds_have_truth():
    a = generate("music", seed=4, duration_s=20.0)
    b = generate("music", seed=4, duration_s=20.0)
    np.testing.assert_array_equal(a.recording.data, b.recording.data)
    for kind in KINDS:
        c = generate(kind, seed=0, duration_s=20.0)
        assert c.truth["kind"] == kind
        assert c.truth["vibration"]["present"] == (kind in ("appliance", "vehicle", "music"))
        assert c.truth["pulse"]["present"]
