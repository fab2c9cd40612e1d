"""Voluntary movement versus a vehicle's own manoeuvres, and the fast helpers behind it.

The signals here are written from first principles with numpy/scipy only (gravity,
band-limited vehicle vibration, textbook manoeuvre and gait waveforms); nothing comes
from the simulator.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from glutesense.detectors import preprocess as pp
from glutesense.detectors import voluntary
from glutesense.recording import Recording

G = 9.80665


def _rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.standard_normal((3, 3)))
    return q * np.sign(np.diag(r))


def _vehicle_ride(duration_s: float, fs: float, rms_z: float, rng: np.random.Generator
                  ) -> np.ndarray:
    """Body-frame (x, y, z) broadband ride vibration: white noise band-passed 1-20 Hz,
    vertical RMS *rms_z*, horizontal half that."""
    n = int(duration_s * fs)
    sos = signal.butter(2, [1.0, min(20.0, 0.45 * fs)], btype="band", fs=fs, output="sos")
    v = signal.sosfilt(sos, rng.standard_normal((3, n)), axis=1)
    return v * (rms_z / v.std(axis=1, keepdims=True)) * np.array([[0.5], [0.5], [1.0]])


def _pulse(t: np.ndarray, t0: float, dur: float) -> np.ndarray:
    """Raised-cosine (sin²) pulse of unit height on [t0, t0 + dur]."""
    x = np.clip((t - t0) / dur, 0.0, 1.0)
    return np.sin(np.pi * x) ** 2


def _manoeuvres(t: np.ndarray) -> np.ndarray:
    """Horizontal body-frame accelerations of a car: hard braking (0.4 g, 2.5 s),
    a lane change (one 0.4 Hz cycle of ±3 m/s² lateral), a 6-s curve at 3 m/s²
    lateral and hard acceleration (3 m/s², 4 s)."""
    a = np.zeros((3, t.size))
    a[0] -= 4.0 * _pulse(t, 20.0, 2.5)                                  # braking
    lane = (t >= 40.0) & (t < 42.5)
    a[1, lane] += 3.0 * np.sin(2 * np.pi * (t[lane] - 40.0) / 2.5)       # lane change
    ramp = np.clip(np.minimum(t - 60.0, 67.0 - t), 0.0, 1.0)           # curve
    a[1] += 3.0 * np.sin(0.5 * np.pi * ramp) ** 2
    a[0] += 3.0 * _pulse(t, 85.0, 4.0)                                  # acceleration
    return a


def _gait(t: np.ndarray, t0: float, t1: float, step_hz: float = 1.8) -> np.ndarray:
    """Pelvic acceleration of walking: the centre of mass rises and falls once per step
    (vertical, with a second harmonic), fore-aft at the step and lateral at the stride
    frequency; 0.5-s ramps at either end."""
    a = np.zeros((3, t.size))
    on = (t >= t0) & (t < t1)
    tt = t[on] - t0
    env = np.clip(np.minimum(tt, t1 - t0 - tt) / 0.5, 0.0, 1.0)
    ph = 2 * np.pi * step_hz * tt
    a[2, on] = env * (2.0 * np.sin(ph) + 0.6 * np.sin(2 * ph + 0.4))
    a[0, on] = env * 1.0 * np.sin(ph + 1.1)
    a[1, on] = env * 0.6 * np.sin(0.5 * ph)
    return a


def _recording(body: np.ndarray, fs: float, rng: np.random.Generator) -> Recording:
    """Gravity on body z, a random sensor pose, 0.01 m/s² white sensor noise."""
    spec = body.copy()
    spec[2] += G
    sensor = _rotation(rng).T @ spec + 0.01 * rng.standard_normal(spec.shape)
    return Recording(sensor, fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3,
                     meta={"inferred": {"gravity_included": True}})


def _overlap(found: list[dict[str, float]], a: float, b: float) -> float:
    return sum(max(0.0, min(b, f["t1_s"]) - max(a, f["t0_s"])) for f in found)


@pytest.mark.parametrize("fs,ride", [(50.0, 0.3), (100.0, 0.3), (100.0, 0.6), (200.0, 0.45)])
def test_vehicle_manoeuvres_on_ride_vibration_are_not_voluntary(fs, ride):
    """Braking, a lane change, a curve and accelerating (slow, horizontal, several
    m/s², tilting the apparent gravity by up to 22°) on continuous ride vibration are
    the vehicle's, not the passenger's."""
    rng = np.random.default_rng(int(fs + 100 * ride))
    t = np.arange(int(110 * fs)) / fs
    body = _vehicle_ride(110, fs, ride, rng) + _manoeuvres(t)
    _, info = pp.preprocess(_recording(body, fs, rng))
    assert info.voluntary == []
    assert info.orientation_changes == []


@pytest.mark.parametrize("fs,ride", [(50.0, 0.3), (100.0, 0.3), (100.0, 0.6), (200.0, 0.45)])
def test_walking_bout_on_ride_vibration_is_voluntary(fs, ride):
    """A 12-s walk (a passenger getting up to the door) in the same vibration and
    between the same manoeuvres is found, and only it."""
    rng = np.random.default_rng(int(fs + 100 * ride) + 1)
    t = np.arange(int(110 * fs)) / fs
    body = _vehicle_ride(110, fs, ride, rng) + _manoeuvres(t) + _gait(t, 70.0, 82.0)
    _, info = pp.preprocess(_recording(body, fs, rng))
    assert _overlap(info.voluntary, 70.0, 82.0) > 0.9 * 12.0
    found = sum(f["t1_s"] - f["t0_s"] for f in info.voluntary)
    assert found < 12.0 + 4.0                 # nothing else, at most ~1 s slack each side


@pytest.mark.parametrize("fs", [50.0, 100.0])
def test_walking_bout_at_rest_is_voluntary(fs):
    rng = np.random.default_rng(int(fs) + 7)
    t = np.arange(int(90 * fs)) / fs
    body = _gait(t, 30.0, 38.0, step_hz=1.6)
    _, info = pp.preprocess(_recording(body, fs, rng))
    assert len(info.voluntary) == 1
    assert _overlap(info.voluntary, 30.0, 38.0) > 0.9 * 8.0


def test_brief_posture_shift_at_rest_is_voluntary():
    """At rest nothing else moves the sensor by ~1 m/s²: a 2-s shift on the chair
    (a pelvis tilt of 20° and back, with the movement that makes it) counts."""
    fs, rng = 100.0, np.random.default_rng(3)
    t = np.arange(int(60 * fs)) / fs
    tilt = np.radians(20.0) * _pulse(t, 30.0, 2.0)
    body = np.zeros((3, t.size))
    body[0] = G * np.sin(tilt) + 0.8 * np.sin(2 * np.pi * 1.5 * (t - 30.0)) * _pulse(t, 30.0, 2.0)
    body[2] = -G * (1 - np.cos(tilt))
    _, info = pp.preprocess(_recording(body, fs, rng))
    assert _overlap(info.voluntary, 30.0, 32.0) > 1.0


# ------------------------------------------------------------------ fast helpers


@pytest.mark.parametrize("fs", [50.0, 100.0, 101.6, 500.0])
def test_cic_decimate_is_the_triangular_filter(fs):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((2, 3001))
    y, fs_out, off = voluntary.cic_decimate(x, fs)
    q = int(fs // 20.0)
    assert fs_out == pytest.approx(fs / q)
    tri = np.convolve(np.ones(q), np.ones(q)) / q ** 2                 # 2q - 1 taps
    for row, yr in zip(x, y):
        full = np.convolve(row, tri, mode="full")                        # full[k] centred k-q+1
        ref = full[q * np.arange(y.shape[1]) + off + q - 1]
        np.testing.assert_allclose(yr, ref, atol=1e-12)


@pytest.mark.parametrize("fs,n", [(100.0, 2000), (50.94, 1777), (200.0, 4001)])
def test_short_time_rms_matches_a_direct_loop(fs, n):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, n)) + np.array([[0.0], [3.0], [9.8]])
    hop, w = voluntary._frame(n, fs)
    starts, rms = voluntary._short_time_rms(x, fs, voluntary.hop_block_sums(x, hop))
    ref = [np.sqrt(((x[:, s:s + w] - x[:, s:s + w].mean(axis=1, keepdims=True)) ** 2)
                   .sum(axis=0).mean()) for s in starts]
    np.testing.assert_allclose(rms, ref, rtol=1e-9)
    assert starts[-1] + w <= n < starts[-1] + w + hop


def test_bridge_joins_only_short_moving_gaps():
    """Hysteresis: gaps up to BRIDGE_S (10 s = 40 windows) in which every window still
    moves are joined; longer gaps, or gaps with a still window, are not."""
    flag = np.zeros(200, dtype=bool)
    flag[[10, 14, 60, 90, 110]] = True
    moving = np.ones(200, dtype=bool)
    moving[100] = False
    out = voluntary._bridge(flag, moving, 100.0)
    assert out[10:15].all()                    # gap of 4 windows
    assert not out[15:60].any()                # gap of 46 windows: too long
    assert out[60:91].all()                    # gap of 30 windows
    assert not out[91:110].any()               # a still window in between


def test_percentile_matches_numpy():
    x = np.random.default_rng(2).random(1001)
    for p in (0, 20, 50, 87.5, 100):
        assert voluntary._quantile(x, p / 100) == pytest.approx(np.percentile(x, p), abs=1e-15)


@pytest.mark.parametrize("hop,n", [(25, 1000), (25, 1013), (12, 777)])
def test_hop_block_sums_are_block_sums(hop, n):
    x = np.random.default_rng(hop).standard_normal((3, n))
    hs = voluntary.hop_block_sums(x, hop)
    nh = n // hop
    blk = x[:, : nh * hop].reshape(3, nh, hop)
    np.testing.assert_allclose(hs.s, blk.sum(axis=2), atol=1e-12)
    np.testing.assert_allclose(hs.sq, (blk ** 2).sum(axis=(0, 2)), atol=1e-12)
    _, rms = voluntary._short_time_rms(x, 100.0, hs if hop == 25 else None)
    ref = voluntary._short_time_rms(x, 100.0)[1]
    np.testing.assert_allclose(rms, ref, rtol=1e-12)


@pytest.mark.parametrize("shift", [0, 1, 3, 7])
@pytest.mark.parametrize("nd", [400, 403])
def test_aligned_window_rms_of_a_shifted_signal_is_a_direct_loop(shift, nd):
    """Windows of k blocks of hd samples over z advanced by *shift* (zeros shifted in),
    counting only samples before the end: a direct loop over the windows."""
    z = np.random.default_rng(nd + shift).standard_normal((2, nd))
    hd, k = 5, 4
    nw = nd // hd - k + 1
    zs = np.zeros_like(z)
    zs[:, : nd - shift] = z[:, shift:]
    ref = np.array([[np.std(zs[r, j * hd: min(j * hd + k * hd, nd)]) for j in range(nw)]
                    for r in range(2)])
    got = voluntary._aligned_window_rms(z, hd, k, nw, shift)
    np.testing.assert_allclose(got, ref, rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("fs,q", [(100.0, 5), (200.0, 10), (101.6, 5), (50.0, 2)])
def test_vertical_projection_uses_the_block_of_each_sample_centre(fs, q):
    """Each decimated sample is projected on the gravity of the 0.25-s block holding its
    centre ``q·j + q − 1`` (last block held at the end)."""
    rng = np.random.default_rng(int(fs))
    ghop = max(1, int(round(0.25 * fs)))
    nbg = 41
    u = rng.standard_normal((3, nbg))
    u /= np.linalg.norm(u, axis=0)
    nd = (nbg * ghop) // q + 3
    z = rng.standard_normal((3, nd))
    centre = q * np.arange(nd) + q - 1
    blk = np.minimum(centre // ghop, nbg - 1)
    ref = np.einsum("ij,ij->j", u[:, blk], z)
    got = voluntary._vertical(u, z, q, q - 1, fs, fs / ghop)
    np.testing.assert_allclose(got, ref, rtol=0, atol=1e-12)


def test_mask_runs_and_intervals():
    rng = np.random.default_rng(6)
    for n in [0, 1, 2, 5, 100]:
        for _ in range(20):
            m = rng.random(n) < rng.random()
            on, off = voluntary.mask_runs(m)
            back = np.zeros(n, dtype=bool)
            for a, b in zip(on, off):
                assert a < b
                back[a:b] = True
            np.testing.assert_array_equal(back, m)
            assert np.all(on[1:] > off[:-1])           # runs are separate
    iv = voluntary.mask_to_intervals(np.r_[True, True, False, True], 2.0, t0=1.0)
    assert iv == [{"t0_s": 1.0, "t1_s": 2.0}, {"t0_s": 2.5, "t1_s": 3.0}]
