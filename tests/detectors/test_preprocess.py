"""Preprocessing and voluntary-movement detection against known test signals."""

from __future__ import annotations

import numpy as np
import pytest
from builders import synth
from scipy import signal

from glutesense.detectors import preprocess as pp
from glutesense.detectors import voluntary
from glutesense.recording import Recording

G = 9.80665


def _acc_rec(data: np.ndarray, fs: float, **inferred) -> Recording:
    return Recording(data, fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3,
                     meta={"inferred": inferred} if inferred else {})


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rotation_puts_gravity_on_the_vertical_row(seed):
    """A vertical 3 Hz tone in the body frame ends up on row 2 whatever the sensor pose."""
    rng = np.random.default_rng(seed)
    fs, n = 100.0, 6000
    t = np.arange(n) / fs
    body = np.zeros((3, n))
    body[2] = G + 0.1 * np.sin(2 * np.pi * 3 * t)
    body[0] = 0.02 * np.sin(2 * np.pi * 7 * t)
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    sensor = q.T @ body + 0.002 * rng.standard_normal((3, n))
    prep = pp.prepare(_acc_rec(sensor, fs, gravity_included=True))
    vert = prep.acc[2, 500:-500]
    ref = 0.1 * np.sin(2 * np.pi * 3 * t[500:-500])
    assert abs(np.corrcoef(vert, ref)[0, 1]) > 0.98
    # the tone's power is (almost) all on the vertical row
    h = prep.acc[:2, 500:-500]
    assert np.sum(np.abs(h @ np.sin(2 * np.pi * 3 * t[500:-500]))) < 0.05 * abs(
        vert @ np.sin(2 * np.pi * 3 * t[500:-500]))
    assert prep.gravity_included
    assert abs(prep.acc.mean(axis=1)).max() < 0.01  # gravity removed


@pytest.mark.parametrize("fs,seed", [(50, 3), (100, 4), (200, 5)])
def test_orientation_change_is_found_and_dated(fs, seed):
    rec, truth = synth.make(150, fs, seed=seed, hr_bpm=70, bcg_amp=0.03,
                            orientation_changes_s=(75.0,))
    prep, info = pp.preprocess(rec)
    assert len(info.orientation_changes) == 1
    ch = info.orientation_changes[0]
    assert abs(ch["t_s"] - 75.0) < 1.5
    assert ch["angle_deg"] > 20
    assert any("turned" in w for w in prep.warnings)
    # the change is inside a detected voluntary interval (turning the sensor is a movement)
    assert any(v["t0_s"] - 1 <= 75.0 <= v["t1_s"] + 1 for v in info.voluntary)


@pytest.mark.parametrize("seed", [6, 7])
def test_no_orientation_change_without_one(seed):
    """Walking tilts the pelvis ±15° transiently: that is not an orientation change."""
    rec, _ = synth.make(120, 100, seed=seed, hr_bpm=70, bcg_amp=0.03, voluntary=((40, 55),),
                        twitch_rate_per_min=10)
    _, info = pp.preprocess(rec)
    assert info.orientation_changes == []


@pytest.mark.parametrize("fs,seed", [(50, 10), (100, 11), (200, 12)])
def test_voluntary_intervals_match_truth(fs, seed):
    iv_true = ((20.0, 32.0), (70.0, 75.0))
    rec, truth = synth.make(120, fs, seed=seed, hr_bpm=65, bcg_amp=0.03, voluntary=iv_true,
                            twitch_rate_per_min=10)
    prep, info = pp.preprocess(rec)
    found = info.voluntary
    assert len(found) == 2
    for (a, b), f in zip(iv_true, found):
        inter = max(0.0, min(b, f["t1_s"]) - max(a, f["t0_s"]))
        union = max(b, f["t1_s"]) - min(a, f["t0_s"])
        assert inter / union > 0.7, (a, b, f)
    assert voluntary.intervals(prep) == found


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_voluntary_bout_filling_most_of_the_recording(seed):
    """A 70-s dance or walk in 120 s is above no multiple of the median RMS: it is found
    from its strength and slowness instead, and as one bout."""
    rec, _ = synth.make(120, 100, seed=seed, hr_bpm=70, bcg_amp=0.03, voluntary=((0.0, 70.0),),
                        twitch_rate_per_min=6)
    prep, info = pp.preprocess(rec)
    assert prep.voluntary[:7000].mean() >= 0.9
    assert not prep.voluntary[7500:].any()
    assert len(info.voluntary) == 1


def test_steady_vehicle_vibration_is_not_voluntary():
    """Strong but steady vehicle vibration (resting level high) is not voluntary movement."""
    rec, _ = synth.make(120, 100, seed=15, hr_bpm=70, bcg_amp=0.03, vehicle_rms=1.5)
    _, info = pp.preprocess(rec)
    assert info.voluntary == []


def test_iso_acceleration_keeps_slow_horizontal_motion():
    """Only the static gravity is removed for ISO 2631-1 (Wd passes from 0.4 Hz)."""
    rec, _ = synth.make(120, 100, seed=16, noise_rms=0.005)
    t = np.arange(rec.n_samples) / rec.fs
    prep0 = pp.prepare(rec)
    h = np.linalg.inv(pp._basis(np.median(rec.data, axis=1)))[:, 0]   # sensor-frame h1
    slow = 0.3 * np.sin(2 * np.pi * 0.15 * t)
    data = rec.data + np.outer(h, slow)
    rec2 = Recording(data, rec.fs, rec.ch_names, rec.ch_types, rec.ch_units, meta=rec.meta)
    prep = pp.prepare(rec2)
    assert prep.acc_iso is not None and prep.acc_iso.shape == prep.acc.shape
    gain_iso = np.std(prep.acc_iso[0] - prep0.acc_iso[0]) / np.std(slow)
    assert gain_iso == pytest.approx(1.0, abs=0.05)


@pytest.mark.parametrize("seed", [13, 14])
def test_no_voluntary_movement_in_quiet_recordings(seed):
    """Pulse, twitches, nerve bursts and sway are not mistaken for voluntary movement."""
    rec, _ = synth.make(120, 100, seed=seed, hr_bpm=80, bcg_amp=0.05, twitch_rate_per_min=20,
                        bursts_per_min=3, sway_rms=0.03)
    _, info = pp.preprocess(rec)
    assert info.voluntary == []


def test_mask_interval_round_trip():
    mask = np.zeros(1000, dtype=bool)
    mask[100:250] = True
    mask[900:] = True
    iv = voluntary.mask_to_intervals(mask, 100.0)
    assert iv == [{"t0_s": 1.0, "t1_s": 2.5}, {"t0_s": 9.0, "t1_s": 10.0}]
    arr = np.array([[v["t0_s"], v["t1_s"]] for v in iv])
    assert np.array_equal(voluntary.intervals_to_mask(arr, 1000, 100.0), mask)


@pytest.mark.parametrize("oblique", [False, True])
def test_gravity_free_input_finds_the_bcg_direction_and_says_so(oblique):
    rec, _ = synth.make(90, 100, seed=20, hr_bpm=70, bcg_amp=0.06, gravity=False)
    data = np.asarray(rec.data)
    if oblique:   # the BCG (on acc_z) now lies between all three sensor axes
        a, b = np.radians(35.0), np.radians(50.0)
        rz = np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])
        rx = np.array([[1, 0, 0], [0, np.cos(b), -np.sin(b)], [0, np.sin(b), np.cos(b)]])
        data = rz @ rx @ data
    turned = Recording(data, rec.fs, rec.ch_names, rec.ch_types, rec.ch_units, meta=rec.meta)
    prep, info = pp.preprocess(turned)
    assert not prep.gravity_included
    assert any("orientation is unknown" in w for w in prep.warnings)
    # the chosen "vertical" row is the BCG direction: it follows the original acc_z
    truth = pp.bandpass(np.asarray(rec.data)[2:3], 100.0, 1.0, 10.0)[0]
    vert = pp.bandpass(prep.acc[2:3], 100.0, 1.0, 10.0)[0]
    assert abs(np.corrcoef(truth, vert)[0, 1]) > 0.95
    # and carries the most 1-10 Hz movement
    assert np.argmax(pp.bandpass(prep.acc, 100.0, 1.0, 10.0).var(axis=1)) == 2


def test_gravity_inferred_when_not_stated():
    rec, _ = synth.make(30, 100, seed=21)
    bare = Recording(rec.data, rec.fs, rec.ch_names, rec.ch_types, rec.ch_units)
    assert pp.prepare(bare).gravity_included


@pytest.mark.parametrize("fs,noise", [(50, 0.005), (100, 0.01), (200, 0.02)])
def test_noise_estimate_tracks_the_white_noise(fs, noise):
    rec, truth = synth.make(60, fs, seed=22, noise_rms=noise, pink_fraction=0.0, hr_bpm=70,
                            bcg_amp=3 * noise, twitch_rate_per_min=10)
    est = pp.prepare(rec).noise_rms
    print(f"fs={fs} noise={noise}: estimated {est:.4f}")
    assert 0.8 * noise < est < 1.15 * noise


def test_clipping_flagged():
    rec, _ = synth.make(60, 100, seed=23, voluntary=((20, 30),))
    assert not any(w.startswith("clipping") for w in pp.prepare(rec).warnings)
    limit = 0.9 * float(np.abs(rec.data).max())
    rec, _ = synth.make(60, 100, seed=23, voluntary=((20, 30),), clip_ms2=limit)
    assert any(w.startswith("clipping") for w in pp.prepare(rec).warnings)


def test_sample_and_hold_and_slow_sampling_flagged():
    rec, _ = synth.make(60, 16, seed=24)
    rec = rec.with_meta(inferred={"gravity_included": True, "sample_and_hold": True,
                                  "fs_effective_hz": 16.0})
    w = " ".join(pp.prepare(rec).warnings)
    assert "sample-and-hold" in w
    assert "too slow for twitches" in w
    assert "appliances" in w


def test_emg_only_recording():
    emg = Recording(1e-5 * np.random.default_rng(1).standard_normal((1, 20000)), 2000.0,
                    ("emg",), ("emg",), ("V",))
    prep = pp.prepare(emg)
    assert prep.emg is not None and prep.emg.n_samples == 20000
    assert not np.any(prep.acc)
    assert any("no acceleration" in w for w in prep.warnings)


# ------------------------------------------------------------------ fast helpers


@pytest.mark.parametrize("hop,n", [(25, 10_000), (25, 10_013), (13, 5_000), (1, 50)])
def test_minus_upsampled_is_linear_interpolation(hop, n):
    """The broadcast interpolation equals np.interp between block centres (ends held)."""
    rng = np.random.default_rng(hop + n)
    nb = n // hop
    low = rng.standard_normal((3, nb))
    x = rng.standard_normal((3, n))
    centres = (np.arange(nb) + 0.5) * hop - 0.5
    ref = x - np.vstack([np.interp(np.arange(n), centres, row) for row in low])
    np.testing.assert_allclose(pp._minus_upsampled(x, low, hop), ref, atol=1e-12)


@pytest.mark.parametrize("design", [(2, (0.5, 20.0), "band", 100.0), (2, 0.1, "low", 4.0),
                                    (4, 25.0, "high", 100.0), (3, 10.0, "low", 100.0)])
@pytest.mark.parametrize("padlen", [None, 10])
def test_cached_filtfilt_is_scipy_sosfiltfilt(design, padlen):
    x = np.random.default_rng(0).standard_normal((2, 3000))
    sos = signal.butter(design[0], design[1], btype=design[2], fs=design[3], output="sos")
    ref = signal.sosfiltfilt(sos, x, axis=-1, padlen=padlen)
    np.testing.assert_allclose(pp._butter_filtfilt(x, *design, padlen=padlen), ref,
                               rtol=0, atol=1e-12)


@pytest.mark.parametrize("m", [1, 2, 199, 200])
def test_robust_sigma_is_median_based(m):
    x = np.random.default_rng(m).standard_normal((7, m))
    np.testing.assert_allclose(pp.robust_sigma(x, axis=1),
                               np.median(np.abs(x), axis=1) / 0.6744897501960817)
    np.testing.assert_allclose(pp.robust_sigma(x.T, axis=0), pp.robust_sigma(x, axis=1))


def test_noise_estimate_on_a_long_recording():
    """Over 20 min the estimate looks at a subset of the 2-s windows; white noise of
    0.012 m/s² with twitch-like bursts and a walk in it is still read within 10 %."""
    fs, noise = 100.0, 0.012
    rng = np.random.default_rng(5)
    n = int(1200 * fs)
    x = noise * rng.standard_normal(n)
    t = np.arange(n) / fs
    for t0 in rng.uniform(0, 1190, 120):                 # bursts: 20 Hz, 0.3 s
        i = int(t0 * fs)
        x[i:i + 30] += 0.3 * np.sin(2 * np.pi * 20 * t[:30]) * np.exp(-t[:30] / 0.05)
    vol = np.zeros(n, dtype=bool)
    vol[int(600 * fs):int(660 * fs)] = True
    x[vol] += 2.0 * np.sin(2 * np.pi * 1.8 * t[vol]) + 0.5 * rng.standard_normal(vol.sum())
    est = pp._noise_rms(x, fs, vol)
    assert 0.9 * noise < est < 1.1 * noise


@pytest.mark.parametrize("hop,n", [(25, 10_013), (13, 5_000)])
def test_minus_upsampled_writes_into_a_strided_view(hop, n):
    """With *out* a column slice of a larger array (strided rows) the result lands there
    and equals the freshly allocated one; nothing outside the slice is touched."""
    rng = np.random.default_rng(n)
    low = rng.standard_normal((3, n // hop))
    x = rng.standard_normal((3, n))
    big = np.full((3, n + 40), 7.0)
    got = pp._minus_upsampled(x, low, hop, out=big[:, 20:20 + n])
    assert np.shares_memory(got, big)
    np.testing.assert_array_equal(big[:, 20:20 + n], pp._minus_upsampled(x, low, hop))
    assert (big[:, :20] == 7.0).all() and (big[:, 20 + n:] == 7.0).all()


def test_segments_written_in_place_match_each_segment_alone():
    """With an orientation change the output is assembled segment by segment in one
    buffer; each segment must equal rotating and high-passing that segment on its own."""
    fs = 100.0
    rng = np.random.default_rng(11)
    n = int(120 * fs)
    g = np.tile(np.array([[0.0], [0.0], [G]]), (1, n))
    turn = int(60 * fs)
    c, s = np.cos(np.radians(60)), np.sin(np.radians(60))
    g[:, turn:] = np.array([[0.0], [s * G], [c * G]])
    x = g + 0.01 * rng.standard_normal((3, n))
    prep, info = pp.preprocess(_acc_rec(x, fs))
    assert len(info.orientation_changes) == 1
    assert prep.acc.flags.c_contiguous and prep.acc_iso.flags.c_contiguous
    b = int(round(info.orientation_changes[0]["t_s"] * fs))
    for a, e in ((0, b), (b, n)):
        seg = prep.acc_iso[:, a:e]
        np.testing.assert_allclose(seg.mean(axis=1), 0.0, atol=1e-9)
        # the gravity-free part differs from the ISO part only by a slow (< 0.1 Hz) term
        slow = prep.acc_iso[:, a:e] - prep.acc[:, a:e]
        assert np.abs(np.diff(slow, axis=1)).max() < 1e-3


def test_quantile_median_cross_and_first_run_match_numpy():
    rng = np.random.default_rng(3)
    for n in [1, 2, 3, 4, 5, 17, 128, 1001]:
        x = rng.standard_normal(n)
        for q in (0.0, 0.25, 0.5, 0.75, 1.0):
            assert pp._quantile(x, q) == np.quantile(x, q)
        assert pp._median(x) == np.median(x)
        flag = rng.random(n) < 0.7
        for m in (1, 2, 4):
            win = (np.lib.stride_tricks.sliding_window_view(flag, m).all(axis=1) if n >= m
                   else np.zeros(0, dtype=bool))
            np.testing.assert_array_equal(pp._first_run(flag, m), np.flatnonzero(win)[:1])
    assert np.isnan(pp._quantile(np.array([1.0, np.nan, 2.0]), 0.25))
    v = rng.standard_normal(3)
    for e in np.eye(3):
        np.testing.assert_array_equal(pp._cross(v, e), np.cross(v, e))


def test_noise_windows_skip_voluntary_movement():
    """Windows touching voluntary movement are left out of the noise estimate: a loud
    walk over 85 % of a long recording does not raise it (without the mask the 25th
    percentile of the windows would fall on the walk)."""
    fs, noise = 100.0, 0.01
    rng = np.random.default_rng(8)
    n = int(1500 * fs)
    x = noise * rng.standard_normal(n)
    vol = np.zeros(n, dtype=bool)
    vol[int(100 * fs):int(1375 * fs)] = True
    x[vol] += 0.5 * rng.standard_normal(int(vol.sum()))
    est = pp._noise_rms(x, fs, vol)
    assert 0.9 * noise < est < 1.1 * noise
    assert pp._noise_rms(x, fs, np.zeros(n, dtype=bool)) > 1.5 * noise
