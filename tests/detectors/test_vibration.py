"""Tests of the vibration detector (issue 5).

Ground truth comes from the independent generator in
``tests/builders/vibration_synth.py``, from the ISO 2631-1 weighting formula
re-implemented here from physiology.md §7.1 (not imported from the package),
from published table values, and from the third-party reference recordings in
``../shared/reference`` (read at test time, never copied: several have no
licence stated).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from builders import vibration_synth as vs
from glutesense.detectors import Prepared
from glutesense.detectors import vibration as V
from glutesense.recording import Recording

FS_GRID = (50.0, 100.0, 200.0, 400.0)
ISO_KEYS = {"aw_x_ms2", "aw_y_ms2", "aw_z_ms2", "av_ms2", "vdv_z_ms175", "crest_factor_z"}


def _prep(acc: np.ndarray, fs: float, noise_rms: float, voluntary=None) -> Prepared:
    n = acc.shape[1]
    rec = Recording(acc, fs, ("h1", "h2", "v"), ("acc",) * 3, ("m/s^2",) * 3)
    vol = np.zeros(n, bool) if voluntary is None else voluntary
    return Prepared(acc=acc, fs=fs, t0=0.0, voluntary=vol, gravity_included=True, emg=None,
                    noise_rms=noise_rms, source=rec)


def _w_formula(f: np.ndarray, name: str) -> np.ndarray:
    """|W(f)| of Wk / Wd from the Annex A transfer functions (physiology.md §7.1), written
    independently of :mod:`glutesense.dsp.iso2631`."""
    s = 2j * np.pi * f
    f1, f2 = 0.4, 100.0
    f3, f4, q4 = (12.5, 12.5, 0.63) if name == "Wk" else (2.0, 2.0, 0.63)
    w1, w2, w3, w4 = (2 * np.pi * x for x in (f1, f2, f3, f4))
    h = (s**2 / (s**2 + math.sqrt(2) * w1 * s + w1**2)
         / (1 + math.sqrt(2) * s / w2 + s**2 / w2**2)
         * (1 + s / w3) / (1 + s / (q4 * w4) + s**2 / w4**2))
    if name == "Wk":
        w5, q5, w6, q6 = 2 * np.pi * 2.37, 0.91, 2 * np.pi * 3.35, 0.91
        h = h * (s**2 + s * w5 / q5 + w5**2) / (s**2 + s * w6 / q6 + w6**2)
    return np.abs(h)


def _aw_frequency_domain(x: np.ndarray, fs: float, name: str) -> float:
    """a_w = √(∫ |W(f)|² PSD(f) df) with the one-sided periodogram of the whole record."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(x.size, 1 / fs)
    psd = np.abs(spec) ** 2 / (fs * x.size)
    psd[1:] *= 2
    if x.size % 2 == 0:
        psd[-1] /= 2
    return float(np.sqrt(np.sum(_w_formula(f, name) ** 2 * psd) * fs / x.size))


# ----------------------------------------------------------------------------- contract
def test_summary_contract_and_json():
    case = vs.make("vehicle", 60.0, 100.0, seed=1)
    fi = V.detect(vs.to_prepared(case))
    assert fi.mechanism == "vibration" and fi.present
    assert 0.0 <= fi.confidence <= 1.0
    assert {"source", "dominant_hz", "iso2631"} <= set(fi.summary)
    assert ISO_KEYS <= set(fi.summary["iso2631"])
    assert {"mtvv_z_ms2", "a8_ms2", "health_zone"} <= set(fi.summary["iso2631"])
    assert fi.summary["source"] in V.SOURCES
    json.dumps(fi.summary)                                   # floats, str, None only
    assert len(fi.events) >= 1
    assert set(fi.events.label) == {"vibration"} and set(fi.events.mechanism) == {"vibration"}
    assert set(fi.events.source) == {"detector:vibration"}
    total = float(np.sum(case.acc**2))
    assert 0.5 * total < fi.energy <= total


# ----------------------------------------------------------------------------- source grid
@pytest.mark.parametrize("fs", FS_GRID)
def test_source_accuracy_grid(fs):
    """≥ 95 % correct source over 4 classes × 8 seeds at each rate (and ≥ 7/8 per class)."""
    wrong = []
    for kind in vs.CLASSES:
        for seed in range(8):
            case = vs.make(kind, 60.0, fs, seed=1000 + seed)
            fi = V.detect(vs.to_prepared(case))
            got = fi.summary["source"] if fi.present else None
            if got != kind:
                wrong.append((kind, seed, got, case.params))
    assert len(wrong) <= 1, wrong
    for kind in vs.CLASSES:
        assert sum(w[0] == kind for w in wrong) <= 1


@pytest.mark.parametrize("fs", FS_GRID)
@pytest.mark.parametrize("kind", vs.NON_VIBRATION)
def test_no_vibration(kind, fs):
    """Sensor noise, a heartbeat (BCG) and postural sway are not vibration."""
    for seed in range(5):
        case = vs.make(kind, 60.0, fs, seed=2000 + seed)
        fi = V.detect(vs.to_prepared(case))
        assert not fi.present, (kind, fs, seed, case.params, fi.summary)
        assert fi.energy == 0.0 and len(fi.events) == 0
        assert fi.summary["source"] is None and fi.summary["dominant_hz"] is None


def test_strong_heartbeat_is_not_music():
    """A beat-periodic ballistocardiogram far above the sensor noise is still no vibration."""
    case = vs.make("heartbeat", 60.0, 200.0, seed=7, noise_rms=0.003)
    fi = V.detect(vs.to_prepared(case))
    assert not fi.present


@pytest.mark.parametrize("fs", FS_GRID)
def test_music_tempo(fs):
    """The beat rate within 5 % of the generator's tempo (aliased bass at low rates too)."""
    for seed in range(4):
        case = vs.make("music", 60.0, fs, seed=6000 + seed)
        fi = V.detect(vs.to_prepared(case))
        assert fi.summary["source"] == "music", case.params
        assert fi.summary["beat_bpm"] == pytest.approx(case.params["bpm"], rel=0.05)


def test_vehicle_with_engine_tone_is_vehicle():
    for seed in range(6):
        case = vs.make("vehicle", 60.0, 200.0, seed=3000 + seed, engine=True)
        fi = V.detect(vs.to_prepared(case))
        assert fi.summary["source"] == "vehicle", case.params


# ----------------------------------------------------------------------------- dominant frequency
@pytest.mark.parametrize("fs", FS_GRID)
def test_appliance_dominant_frequency(fs):
    """The drum frequency within 0.3 Hz whenever it lies below Nyquist (with and without run-up)."""
    rng = np.random.default_rng(int(fs))
    for seed in range(6):
        drum = float(rng.uniform(13.0, min(27.0, 0.9 * fs / 2)))
        case = vs.make("appliance", 60.0, fs, seed=4000 + seed, drum_hz=drum, runup=seed % 2 == 0)
        fi = V.detect(vs.to_prepared(case))
        assert fi.summary["source"] == "appliance", case.params
        assert abs(fi.summary["dominant_hz"] - drum) <= 0.3, (drum, fi.summary)


def test_appliance_harmonics_and_run_up_reported():
    case = vs.make("appliance", 90.0, 200.0, seed=5, drum_hz=20.0, runup=True)
    fi = V.detect(vs.to_prepared(case))
    assert fi.summary["source"] == "appliance"
    assert 40.0 == pytest.approx(fi.summary["harmonics_hz"][0], abs=0.3)
    assert fi.summary["run_up"] is True


# ----------------------------------------------------------------------------- aliasing warnings
def test_aliasing_warnings():
    low = V.detect(vs.to_prepared(vs.make("music", 60.0, 50.0, seed=3)))
    assert any("aliasing" in w and "music" in w for w in low.warnings)
    assert any("truncated" in w for w in low.warnings)
    high = V.detect(vs.to_prepared(vs.make("music", 60.0, 400.0, seed=3)))
    assert high.summary["source"] == "music"
    assert not any("aliasing" in w or "truncated" in w for w in high.warnings)
    spin = V.detect(vs.to_prepared(vs.make("appliance", 60.0, 50.0, seed=3, drum_hz=26.7)))
    assert spin.present and any("aliasing" in w and "appliance" in w for w in spin.warnings)
    quiet = V.detect(vs.to_prepared(vs.make("quiet", 30.0, 100.0, seed=1)))
    assert any("truncated" in w for w in quiet.warnings)


# ----------------------------------------------------------------------------- ISO 2631-1
@pytest.mark.parametrize("fs", FS_GRID)
def test_iso_aw_matches_frequency_domain(fs):
    """a_w on every axis within 3 % of ∫|W(f)|² PSD(f) df (Wd horizontal, Wk vertical)."""
    for kind in vs.CLASSES:
        for seed in range(2):
            case = vs.make(kind, 60.0, fs, seed=5000 + seed)
            iso = V.detect(vs.to_prepared(case)).summary["iso2631"]
            ref = [_aw_frequency_domain(case.acc[i], fs, w)
                   for i, w in enumerate(("Wd", "Wd", "Wk"))]
            got = [iso["aw_x_ms2"], iso["aw_y_ms2"], iso["aw_z_ms2"]]
            np.testing.assert_allclose(got, ref, rtol=0.03, err_msg=f"{kind} seed {seed}")
            assert iso["av_ms2"] == pytest.approx(
                math.sqrt((1.4 * ref[0]) ** 2 + (1.4 * ref[1]) ** 2 + ref[2] ** 2), rel=0.03)


def test_iso_pure_tone_against_table_values():
    """10 Hz sine on the vertical: a_wz = 0.988·A/√2 (ISO 2631-1 Table 3), crest √2,
    VDV = (∫a_w⁴)^¼ = (3/8·(0.988·A)⁴·T)^¼, MTVV ≈ a_wz."""
    fs, T, A = 200.0, 60.0, 0.5
    t = np.arange(int(T * fs)) / fs
    acc = np.zeros((3, t.size))
    acc[2] = A * np.sin(2 * np.pi * 10.0 * t)
    fi = V.detect(_prep(acc, fs, 0.001))
    iso = fi.summary["iso2631"]
    assert iso["aw_z_ms2"] == pytest.approx(0.988 * A / math.sqrt(2), rel=0.01)
    assert iso["aw_x_ms2"] < 1e-6 and iso["aw_y_ms2"] < 1e-6
    assert iso["crest_factor_z"] == pytest.approx(math.sqrt(2), rel=0.02)
    assert iso["vdv_z_ms175"] == pytest.approx((3 / 8 * (0.988 * A) ** 4 * T) ** 0.25, rel=0.01)
    assert iso["mtvv_z_ms2"] == pytest.approx(iso["aw_z_ms2"], rel=0.02)
    assert iso["a8_ms2"] == pytest.approx(iso["aw_z_ms2"] * math.sqrt(T / 28800), rel=1e-6)
    assert iso["health_zone"] == "below"
    assert fi.summary["dominant_hz"] == pytest.approx(10.0, abs=0.05)
    assert fi.summary["source"] == "appliance"


def test_chunked_iso_equals_single_pass(monkeypatch):
    """The streaming evaluation (filter history carried across chunks) changes nothing."""
    case = vs.make("vehicle", 120.0, 100.0, seed=8)
    ref = V.detect(vs.to_prepared(case))
    monkeypatch.setattr(V, "_ISO_CHUNK", 1)           # → 4 filter lengths per chunk
    monkeypatch.setattr(V, "_BATCH_FRAMES", 3)
    got = V.detect(vs.to_prepared(case))
    for k, v in ref.summary["iso2631"].items():
        if isinstance(v, float):
            assert got.summary["iso2631"][k] == pytest.approx(v, rel=1e-6), k  # float32 FFTs
    assert got.summary["source"] == ref.summary["source"]
    assert got.energy == pytest.approx(ref.energy, rel=1e-7)
    np.testing.assert_allclose(got.events.value, ref.events.value, rtol=1e-7)


# ----------------------------------------------------------------------------- voluntary, episodes
def test_voluntary_samples_are_set_aside():
    case = vs.make("vehicle", 120.0, 100.0, seed=9)
    clean = V.detect(vs.to_prepared(case)).summary["iso2631"]
    acc = case.acc.copy()
    t = np.arange(acc.shape[1]) / case.fs
    vol = (t >= 50) & (t < 62)
    acc[:, vol] += 3.0 * np.sin(2 * np.pi * 1.8 * t[vol])          # walking-sized movement
    fi = V.detect(_prep(acc, case.fs, case.noise_rms, vol))
    assert fi.present and fi.summary["source"] == "vehicle"
    iso = fi.summary["iso2631"]
    assert iso["exposure_s"] == pytest.approx(108.0)
    assert iso["aw_z_ms2"] == pytest.approx(clean["aw_z_ms2"], rel=0.05)
    assert fi.energy <= float(np.sum(acc[:, ~vol] ** 2))


def test_episode_timing_and_value():
    """Vibration only from 60 s to 180 s: one episode there, valued at its a_v."""
    fs = 100.0
    quiet = vs.make("quiet", 240.0, fs, seed=1, noise_rms=0.01)
    ride = vs.make("vehicle", 120.0, fs, seed=2, noise_rms=0.0)
    acc = quiet.acc.copy()
    acc[:, int(60 * fs):int(180 * fs)] += ride.acc
    fi = V.detect(_prep(acc, fs, 0.01))
    assert fi.present and fi.summary["source"] == "vehicle"
    assert len(fi.events) == 1
    assert fi.events.onset[0] == pytest.approx(60.0, abs=8.0)
    assert fi.events.duration[0] == pytest.approx(120.0, abs=16.0)
    ref = V.detect(_prep(ride.acc, fs, 0.01)).summary["iso2631"]["av_ms2"]
    assert fi.events.value[0] == pytest.approx(ref, rel=0.1)
    assert fi.summary["coverage"] == pytest.approx(0.5, abs=0.1)


def test_short_or_all_voluntary_recordings():
    short = vs.make("vehicle", 3.0, 100.0, seed=1)
    fi = V.detect(vs.to_prepared(short))
    assert not fi.present and fi.warnings
    assert fi.summary["iso2631"]["aw_z_ms2"] > 0
    case = vs.make("vehicle", 30.0, 100.0, seed=1)
    fi = V.detect(vs.to_prepared(case, np.ones(case.acc.shape[1], bool)))
    assert not fi.present and fi.summary["iso2631"]["aw_z_ms2"] is None
    json.dumps(fi.summary)


def test_misestimated_noise_does_not_hide_a_tone():
    """A noise RMS inflated by the vibration itself (tone above fs/4) is corrected."""
    case = vs.make("appliance", 60.0, 50.0, seed=2, drum_hz=18.0)
    fi = V.detect(vs.to_prepared(case, noise_rms=0.3))
    assert fi.present and fi.summary["source"] == "appliance"


# ----------------------------------------------------------------------------- reference files
#: Files without a time column, read with the rate their README states.
_STATED_FS = {"lsm9ds1_L3_Pionierska_RacianskeMyto.csv": 500.0}


def _read_prepared(path):
    from glutesense.detectors.preprocess import prepare
    from glutesense.io import read
    from glutesense.io.generic_csv import read_generic_csv

    fs = _STATED_FS.get(path.name)
    return prepare(read(path) if fs is None else read_generic_csv(path, fs=fs))


@pytest.mark.parametrize("rel", [
    "vehicle/bratislava_transit/smartphone_01_L3_Skoda_30T.csv",
    "vehicle/bratislava_transit/lsm9ds1_L3_Pionierska_RacianskeMyto.csv",
    "accelerometer/driver_behavior/trip17_acelerometro_terra.csv",
])
def test_reference_vehicles(reference_dir, rel):
    """Trams (phone, LSM9DS1 on the floor) and a car (Ferreira Júnior et al. 2017): vehicle."""
    fi = V.detect(_read_prepared(reference_dir / rel))
    assert fi.present and fi.summary["source"] == "vehicle", fi.summary
    assert 0.02 < fi.summary["iso2631"]["av_ms2"] < 2.0


def test_reference_washing_machine(reference_dir):
    """Smart_Wascherei (LSM9DS1 taped to a washing machine): off → nothing; spin-up →
    an appliance line near 1000 rpm; prewash (tumbling) → neither vehicle nor music."""
    base = reference_dir / "accelerometer" / "washing_machine_wascherei"
    off = V.detect(_read_prepared(base / "machine_off.csv"))
    assert not off.present
    spin = V.detect(_read_prepared(base / "start_centrif.csv"))
    assert spin.present and spin.summary["source"] == "appliance"
    assert 16.0 < spin.summary["dominant_hz"] < 17.5
    prewash = V.detect(_read_prepared(base / "collect_water_and_prewash.csv"))
    assert prewash.summary["source"] not in ("vehicle", "music")


@pytest.mark.parametrize("name", ["1_Stave_supine_static.txt", "2_Mattress_supine.txt",
                                  "4_Chest_sweater.txt", "center_sternum.txt"])
def test_reference_muse_bed_no_vibration(reference_dir, name):
    """MuSe IMU on a bed slat / mattress / chest at rest: pulse and noise, no vibration."""
    fi = V.detect(_read_prepared(reference_dir / "bcg_scg" / "muse_padova" / name))
    assert not fi.present or (fi.summary["source"] not in ("appliance", "vehicle")
                              and fi.confidence < 0.5), fi.summary


# ----------------------------------------------------------------------------- body transients
def _transient_train(seed: int, fs: float, amp: float, rate_hz: float = 1.5,
                     duration_s: float = 120.0, noise_rms: float = 0.01) -> np.ndarray:
    """Poisson train of damped 12–25 Hz transients (random direction, frequency, decay) in
    white sensor noise: a dense fasciculation-like train (amp ~0.2 m/s² peak) or, ×10, a
    train of structural impacts."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * fs)
    t = np.arange(n) / fs
    acc = rng.normal(0.0, noise_rms, (3, n))
    for t0 in rng.uniform(0.0, duration_s - 1.0, rng.poisson(rate_hz * duration_s)):
        f0, tau = rng.uniform(12.0, 25.0), rng.uniform(0.02, 0.05)
        d = rng.standard_normal(3)
        d /= np.linalg.norm(d)
        i0 = int(np.ceil(t0 * fs))
        s = t[i0:i0 + int(0.4 * fs)] - t0
        wave = amp * rng.lognormal(0.0, 0.3) * np.exp(-s / tau) * np.sin(2 * np.pi * f0 * s)
        acc[:, i0:i0 + s.size] += np.outer(d, wave)
    return acc


@pytest.mark.parametrize("fs", FS_GRID)
def test_weak_transient_train_is_not_vibration(fs, monkeypatch):
    """A dense train of weak transients lifts the band power over the noise in most frames,
    but it is impulsive and far weaker than structural impacts: body transients (twitch /
    nerve), not vibration. Ten times stronger, the same train is 'other' vibration."""
    for seed in range(3):
        acc = _transient_train(seed, fs, amp=0.2)
        fi = V.detect(_prep(acc, fs, 0.01))
        assert not fi.present and fi.summary["source"] is None, fi.summary
        assert fi.summary["coverage"] >= 0.5          # the frames do carry excess power
        strong = V.detect(_prep(_transient_train(seed, fs, amp=2.0), fs, 0.01))
        assert strong.present and strong.summary["source"] == "other", strong.summary
    monkeypatch.setattr(V, "IMPULSIVE_PEAKY_MIN", np.inf)      # without the rule: "other"
    assert V.detect(_prep(_transient_train(0, fs, amp=0.2), fs, 0.01)).present


# ----------------------------------------------------------------------------- fast paths
@pytest.mark.parametrize("fs", [50.0, 100.0, 400.0])
def test_frame_psd_matches_scipy_periodogram(fs, rng):
    """The float32 strided-frame PSD (mean removed in the spectrum) equals scipy's Hann
    periodogram with constant detrending, summed over the axes."""
    from scipy.signal import periodogram

    acc = rng.normal(0.3, 0.05, (3, int(40 * fs)))           # offset: tests the mean removal
    acc[2] += 0.2 * np.sin(2 * np.pi * 7.3 * np.arange(acc.shape[1]) / fs)
    length = V._frame_length(acc.shape[1], fs)
    n_keep = length // 2 + 1
    spectra = V._FrameSpectra(acc, fs, length, n_keep)
    sel = np.array([0, 3, 5])
    got = spectra.psd(sel)
    for row, i in zip(got, sel):
        seg = acc[:, i * (length // 2):i * (length // 2) + length]
        _, p = periodogram(seg, fs, window="hann", detrend="constant", axis=-1)
        want = p.sum(axis=0)
        np.testing.assert_allclose(row, want, rtol=2e-3, atol=1e-6 * want.max())


def test_mtvv_and_vdv_of_a_burst(monkeypatch):
    """A 3-s 10-Hz burst in quiet: MTVV = |Wk(10)|·A/√2 (a 1-s window inside the burst,
    Table 3: 0.988) and VDV = (3/8·(0.988·A)⁴·3 s)^¼, also when the burst straddles an
    internal ISO chunk boundary (at 4 filter lengths = 327.68 s)."""
    fs, A = 100.0, 0.4
    n = int(400 * fs)
    t = np.arange(n) / fs
    acc = np.random.default_rng(4).normal(0, 1e-4, (3, n))
    burst = (t >= 326.5) & (t < 329.5)
    acc[2, burst] += A * np.sin(2 * np.pi * 10.0 * t[burst])
    mtvv, vdv = 0.988 * A / math.sqrt(2), (3 / 8 * (0.988 * A) ** 4 * 3.0) ** 0.25
    for chunk in (V._ISO_CHUNK, 1):
        monkeypatch.setattr(V, "_ISO_CHUNK", chunk)
        iso = V._iso_summary(V._iso(acc, fs, np.zeros(n, bool), 512, cells=False), fs)
        assert iso["mtvv_z_ms2"] == pytest.approx(mtvv, rel=0.01), chunk
        assert iso["vdv_z_ms175"] == pytest.approx(vdv, rel=0.02), chunk


def test_envelope_subset_keeps_source_and_tempo(monkeypatch):
    """Envelope statistics from ≤ _ENV_FRAMES evenly spaced vibration frames give the same
    source and tempo as from all of them (a 7-min music recording has ~100 frames)."""
    for seed in (11, 12):
        case = vs.make("music", 420.0, 100.0, seed=seed)
        sub = V.detect(vs.to_prepared(case))
        monkeypatch.setattr(V, "_ENV_FRAMES", 10**6)
        full = V.detect(vs.to_prepared(case))
        monkeypatch.setattr(V, "_ENV_FRAMES", 24)
        few = V.detect(vs.to_prepared(case))
        monkeypatch.undo()
        assert sub.summary["source"] == full.summary["source"] == few.summary["source"] == "music"
        assert sub.summary["beat_bpm"] == pytest.approx(full.summary["beat_bpm"], rel=0.02)
        assert few.summary["beat_bpm"] == pytest.approx(case.params["bpm"], rel=0.05)


# ----------------------------------------------------------------------------- exact shortcuts
@pytest.mark.parametrize("fs", [50.0, 100.0, 400.0])
def test_power_bound_bounds_every_frame_and_is_tight(fs, rng):
    """The transform-free Parseval bound is ≥ each frame's PSD summed over all its bins
    (offset, tone, transients and silence included), and within 25 % of it for
    stationary white noise (else it would skip nothing)."""
    n = int(120 * fs)
    t = np.arange(n) / fs
    acc = rng.normal(0.2, 0.02, (3, n))                           # offset: the mean term
    acc[1] += 0.3 * np.sin(2 * np.pi * 7.3 * t) * (t > 60)
    acc[2, int(30 * fs):int(30 * fs) + 40] += 5.0                 # a step-like transient
    acc[:, int(90 * fs):int(100 * fs)] = 0.2                       # a dead (constant) stretch
    length = V._frame_length(n, fs)
    spectra = V._FrameSpectra(acc, fs, length, length // 2 + 1)
    frames = np.arange(spectra.view.shape[1])
    total = spectra.psd(frames).sum(axis=1)
    bound = spectra.power_bound()
    assert np.all(total <= bound * (1 + 1e-6) + 1e-15)
    white = V._FrameSpectra(rng.normal(0, 0.01, (3, n)), fs, length, length // 2 + 1)
    ratio = white.power_bound() / white.psd(frames).sum(axis=1)
    assert 1.0 <= ratio.min() and np.median(ratio) < 1.25


def _brute_window_max(x, lo, hi, skip, tau):
    """max over ends j in [lo, hi) \\ skip of mean(x[max(0, j − τ + 1) : j + 1])."""
    best = -np.inf
    skip = {int(i) for i in skip}
    for j in range(lo, hi):
        if j not in skip:
            seg = x[max(0, j - tau + 1):j + 1].astype(np.float64)
            best = max(best, seg.sum() / seg.size)
    return best


@pytest.mark.parametrize("tau", [7, 51, 100, 218])
def test_window_max_equals_brute_force(tau, rng):
    """The bounded MTVV search returns the same maximum as scanning every window end,
    with bursts, excluded (voluntary) ends, unsettled starts and short head windows."""
    q = max(1, tau // 10)
    for trial in range(6):
        n = q * rng.integers(40, 200)
        x = (rng.normal(0, 1, n) ** 2).astype(np.float32)
        if trial % 2:
            b = rng.integers(0, n - tau)
            x[b:b + tau // 2 + 1] += 30.0                          # a burst
        lo = int(rng.integers(0, 3 * tau)) if trial < 4 else 0   # head windows when < τ − 1
        hi = int(rng.integers(lo + 1, n + 1))
        skip = np.unique(rng.integers(lo, hi, rng.integers(0, (hi - lo) // 2 + 1)))
        got = V._window_max(x, lo, hi, skip, tau, q)
        want = _brute_window_max(x, lo, hi, skip, tau)
        assert got == pytest.approx(want, rel=1e-9), (trial, lo, hi)
    assert V._window_max(np.ones(10 * q, np.float32), 3, 5, np.array([3, 4]), tau, q) == -np.inf


def test_iso_equals_whole_record_float64_weighting(monkeypatch):
    """a_w, VDV, peak and MTVV from the chunked float32 overlap-save evaluation equal a
    float64 weighting of the whole record with iso2631.weight (voluntary samples zeroed
    before and after weighting), with and without the per-cell sums."""
    from glutesense.dsp import iso2631

    fs = 100.0
    case = vs.make("vehicle", 400.0, fs, seed=21)
    acc = case.acc
    n = acc.shape[1]
    t = np.arange(n) / fs
    vol = ((t > 100) & (t < 112)) | ((t > 330.05) & (t < 330.5))
    x = np.where(vol, 0.0, acc)
    w = np.vstack([iso2631.weight(x[:2], fs, "Wd", axis=-1), iso2631.weight(x[2], fs, "Wk")])
    w[:, vol] = 0.0
    keep = ~vol
    settled = keep & (t >= V.SETTLE_S)
    run = iso2631.running_rms(w[2], fs)
    want = {"sq": (w**2).sum(axis=1), "z4": np.sum(w[2] ** 4),
            "zmax": np.abs(w[2][settled]).max(), "mtvv": run[settled].max()}
    for chunk in (V._ISO_CHUNK, 1):                    # 1 → chunks of 4 filter lengths
        monkeypatch.setattr(V, "_ISO_CHUNK", chunk)
        for cells in (False, True):
            got = V._iso(acc, fs, vol, 512, cells=cells)
            np.testing.assert_allclose(got.sq, want["sq"], rtol=2e-6)
            assert got.z4 == pytest.approx(want["z4"], rel=2e-6)
            assert got.zmax == pytest.approx(want["zmax"], rel=2e-6)
            assert got.mtvv == pytest.approx(want["mtvv"], rel=2e-6)
            assert got.n == int(keep.sum())
            if cells:
                assert got.cell_sq.sum(axis=1) == pytest.approx(want["sq"], rel=2e-6)


@pytest.mark.parametrize("fs", [50.0, 100.0, 200.0])
def test_frames_below_the_power_bound_are_skipped_without_changing_the_result(fs, monkeypatch):
    """Quiet sensor noise with a few strong transients: only a few frames can carry
    vibration, the others are not transformed; forcing every frame through the
    transform gives the same finding."""
    rng = np.random.default_rng(5)
    n = int(1800 * fs)
    acc = rng.normal(0.0, 0.01, (3, n))
    for t0 in (100.0, 300.0, 420.0):
        i = int(t0 * fs)
        s = np.arange(int(0.3 * fs)) / fs
        acc[2, i:i + s.size] += 2.0 * np.exp(-s / 0.03) * np.sin(2 * np.pi * 15.0 * s)
    rows = []
    power = V._FrameSpectra.power

    def counted(self, sel):
        rows.append(len(sel))
        return power(self, sel)

    monkeypatch.setattr(V._FrameSpectra, "power", counted)
    fast = V.detect(_prep(acc, fs, 0.01))
    n_fast = sum(rows)
    rows.clear()
    monkeypatch.setattr(V._FrameSpectra, "power_bound",
                        lambda self: np.full(self.view.shape[1], np.inf))
    full = V.detect(_prep(acc, fs, 0.01))
    n_frames = 1 + (n - V._frame_length(n, fs)) // (V._frame_length(n, fs) // 2)
    assert sum(rows) == n_frames                       # every frame, once
    assert n_fast <= V._FLOOR_FRAMES + 12              # the floor frames and the transients'
    assert not fast.present and fast.summary["coverage"] > 0       # some vibration frames
    assert fast.summary == full.summary and fast.confidence == full.confidence
