"""Vibration sources against published magnitudes/frequencies and real recordings.

Literature: professional drivers' seat a_wz median 0.46 m/s² (IQR 0.35–0.53),
PMC8091068; drum frequency = rpm/60, 800–1600 rpm → 13.3–26.7 Hz; tempo and
bass ranges (physiology.md §7.4). Real recordings (read at test time, not
copied): a phone in a passenger car (driverBehaviorDataset trip 17, Ferreira
Júnior et al. 2017) and an accelerometer taped to a spinning washing machine
(Smart_Wascherei ``start_centrif.csv``). a_w is computed with the production
time-domain FIR (glutesense.dsp.iso2631.weight), independently of the
simulator's frequency-domain truth.
"""

from __future__ import annotations

import csv

import numpy as np
import pytest
from scipy import signal

from glutesense.body import vibration
from glutesense.dsp import iso2631
from glutesense.errors import ParameterError

FS = 100.0


def _aw_z(z: np.ndarray, fs: float) -> float:
    return float(iso2631.aw(iso2631.weight(z - z.mean(), fs, "Wk")[int(10 * fs):]))


@pytest.fixture(scope="module")
def car_seat():
    return vibration.simulate(600.0, FS, rng=np.random.default_rng(1), source="vehicle", site="seat")


@pytest.fixture(scope="module")
def real_car_aw_z(reference_dir):
    path = reference_dir / "accelerometer" / "driver_behavior" / "trip17_acelerometro_terra.csv"
    rows = np.genfromtxt(path, delimiter=",", skip_header=1, usecols=(1, 2, 3, 4))
    t = (rows[:, 0] - rows[0, 0]) / 1e9
    fs = 50.0
    grid = np.arange(t[0], t[-1], 1 / fs)
    z = np.interp(grid, t, rows[:, 3])     # z ≈ vertical (mean ≈ 9.7 m/s²)
    return _aw_z(z, fs)


def test_vehicle_seat_aw_z_in_published_range(car_seat, real_car_aw_z):
    aw = _aw_z(car_seat.acc[2], FS)
    assert 0.35 <= aw <= 0.53                                      # drivers' IQR (PMC8091068)
    assert car_seat.truth["iso2631"]["aw_z_ms2"] == pytest.approx(aw, rel=0.05)
    assert 0.5 * real_car_aw_z <= aw <= 2.0 * real_car_aw_z        # a real passenger car (≈ 0.37)


def test_vehicle_transmitted_to_pelvis_amplifies_4_to_6_hz(car_seat):
    pelvis = vibration.simulate(600.0, FS, rng=np.random.default_rng(1), source="vehicle", site="pelvis")
    f, p_seat = signal.welch(car_seat.acc[2], FS, nperseg=1024)
    _, p_body = signal.welch(pelvis.acc[2], FS, nperseg=1024)
    ratio = p_body / p_seat
    assert 4.0 <= f[np.argmax(ratio)] <= 6.0
    band = (f > 4) & (f < 6)
    assert ratio[band].mean() > 2.0
    assert pelvis.truth["iso2631"] == car_seat.truth["iso2631"]     # ISO measured at the seat


@pytest.mark.parametrize("rpm", [800.0, 1200.0, 1600.0])
def test_washing_machine_peak_is_the_drum_frequency(rpm):
    out = vibration.simulate(300.0, FS, rng=np.random.default_rng(2), source="appliance",
                             appliance={"spin_rpm": rpm}, site="seat")
    f, p = signal.welch(out.acc[2], FS, nperseg=2048)
    peak = f[np.argmax(p)]
    assert peak == pytest.approx(rpm / 60.0, abs=0.2)
    assert 13.3 - 0.2 <= peak <= 26.7 + 0.2
    assert out.truth["dominant_hz"] == pytest.approx(rpm / 60.0, abs=0.15)


def test_washing_machine_cycle_runs_up_through_the_suspension_resonance():
    m = vibration.VibrationModel(300.0, FS, rng=np.random.default_rng(3),
                                 params=vibration.VibrationParams(source="appliance"))
    t = np.arange(0, 300, 0.5)
    f = m.drum_hz(t)
    a = m.p.appliance
    assert f[0] == pytest.approx(a.wash_rpm / 60)
    assert f.max() == pytest.approx(a.spin_rpm / 60)
    assert f[-1] < 0.3 * f.max()                                   # slowing down at the end
    crossing = t[np.argmax(f >= a.suspension_hz)]
    assert a.wash_until * 300 < crossing < a.runup_until * 300


def test_real_washing_machine_spins_in_the_drum_band(reference_dir):
    path = reference_dir / "accelerometer" / "washing_machine_wascherei" / "start_centrif.csv"
    ms, z = [], []
    for row in csv.DictReader(open(path)):
        if row["Sensor"] == "A":
            ms.append(float(row["Millis"]))
            z.append(float(row["Z"]))
    t = np.array(ms) / 1e3
    grid = np.arange(t[0], t[-1], 0.01)
    zi = np.interp(grid, t, np.array(z))
    f, p = signal.welch(zi - zi.mean(), 100.0, nperseg=2048)
    sel = f > 2.0
    peak = f[sel][np.argmax(p[sel])]
    assert 13.3 <= peak <= 26.7                                     # ≈ 16.8 Hz ≈ 1010 rpm
    sim = vibration.simulate(300.0, FS, rng=np.random.default_rng(4), source="appliance",
                             appliance={"spin_rpm": 1010.0}, site="seat")
    assert sim.truth["dominant_hz"] == pytest.approx(peak, abs=0.3)


@pytest.mark.parametrize("tempo", [60.0, 120.0, 180.0])
def test_music_bass_tone_and_beat_period(tempo):
    out = vibration.simulate(60.0, FS, rng=np.random.default_rng(5), source="music",
                             music={"tempo_bpm": tempo, "bass_hz": 40.0}, site="seat")
    z = out.acc[2]
    f, p = signal.welch(z, FS, nperseg=1024)
    assert f[np.argmax(p)] == pytest.approx(40.0, abs=0.5)
    env = np.abs(signal.hilbert(z))
    fe, pe = signal.welch(env - env.mean(), FS, nperseg=4096)
    band = (fe > 0.5) & (fe < 4.0)
    assert fe[band][np.argmax(pe[band])] == pytest.approx(tempo / 60.0, abs=0.05)


def test_bass_above_the_sensor_band_is_absent_from_the_recording_and_the_truth():
    out = vibration.simulate(20.0, 50.0, rng=np.random.default_rng(7), source="music",
                             music={"bass_hz": 40.0}, site="seat")
    assert np.abs(out.acc).max() == 0.0          # 40 Hz > 0.45 × 50 Hz: the phone's filter removes it
    assert out.truth["present"] is False and out.truth["dominant_hz"] is None


def test_chunked_rendering_is_seamless():
    for src in vibration.SOURCES:
        params = vibration.VibrationParams(source=src)
        a = vibration.VibrationModel(60.0, FS, rng=np.random.default_rng(6), params=params)
        b = vibration.VibrationModel(60.0, FS, rng=np.random.default_rng(6), params=params)
        whole = a.render(6000)
        parts = np.hstack([b.render(k) for k in (1234, 4000, 766)])
        np.testing.assert_allclose(whole, parts, rtol=1e-9, atol=1e-12)


def test_bad_parameters_raise():
    with pytest.raises(ParameterError):
        vibration.simulate(10.0, FS, rng=np.random.default_rng(0), source="earthquake")
    with pytest.raises(ParameterError):
        vibration.simulate(10.0, FS, rng=np.random.default_rng(0), source="music", music={"tempo_bpm": 20})
    with pytest.raises(ParameterError):
        vibration.simulate(10.0, FS, rng=np.random.default_rng(0), source="appliance",
                           appliance={"spin_rpm": 5000})
