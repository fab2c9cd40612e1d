"""F1 / MAE / relative-error arithmetic and the twitch scoring conventions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glutesense.evaluation.iso_reference import aw_spectral, body_frame
from glutesense.evaluation.metrics import (accuracy, mae, mean_abs, prf, relative_error,
                                           score_twitches)
from glutesense.dsp.iso2631 import weighting_response


def test_prf_arithmetic():
    r = prf(8, 2, 2)
    assert r == pytest.approx({"precision": 0.8, "recall": 0.8, "f1": 0.8})
    r = prf(9, 0, 1)
    assert r["precision"] == 1.0 and r["recall"] == 0.9
    assert r["f1"] == pytest.approx(2 * 9 / (2 * 9 + 0 + 1))
    assert prf(0, 0, 0) == {"precision": None, "recall": None, "f1": None}
    assert prf(0, 3, 0) == {"precision": 0.0, "recall": None, "f1": 0.0}
    assert prf(0, 0, 4) == {"precision": None, "recall": 0.0, "f1": 0.0}
    with pytest.raises(ValueError):
        prf(-1, 0, 0)


def test_mae_and_friends():
    assert mae([61.0, 59.0, None], [60.0, 60.0, 60.0]) == pytest.approx(1.0)
    assert mae([None], [60.0]) is None
    assert mean_abs([-2.0, 1.0, None]) == pytest.approx(1.5)
    assert relative_error(1.03, 1.0) == pytest.approx(0.03)
    assert relative_error(None, 1.0) is None and relative_error(1.0, 0.0) is None
    assert accuracy([True, True, False, True]) == 0.75 and accuracy([]) is None
    with pytest.raises(ValueError):
        mae([1.0], [1.0, 2.0])


def test_score_twitches_counts_and_dont_care():
    truth_t = [1.0, 2.0, 3.0, 4.0]
    truth_peak = [0.5, 0.5, 0.01, 0.5]        # the third is below the threshold
    det = [1.05, 2.9, 3.05, 7.0]             # hit, hit on the small one, ..., a false one
    s = score_twitches(truth_t, truth_peak, det, min_peak_ms2=0.1, tol_s=0.15)
    # 1.05 ↔ 1.0 (TP); 2.9 and 3.05 compete for 3.0: one is don't-care, the other FP; 7.0 FP;
    # 2.0 and 4.0 are missed (FN).
    assert (s["tp"], s["fn"], s["n_dont_care"], s["fp"]) == (1, 2, 1, 2)
    assert s["n_truth_scored"] == 3


def test_score_twitches_ignores_voluntary_intervals():
    s = score_twitches([1.0, 10.0], [1.0, 1.0], [1.0, 10.5, 11.0], min_peak_ms2=0.1,
                       ignore=[(9.0, 12.0)])
    assert (s["tp"], s["fp"], s["fn"]) == (1, 0, 0)
    assert s["n_ignored_truth"] == 1 and s["n_ignored_detected"] == 2


def test_aw_spectral_of_a_tone_is_the_iso_formula():
    fs, f0, amp = 100.0, 10.0, 0.3
    t = np.arange(int(60 * fs)) / fs              # an integer number of periods
    acc = np.vstack([0.1 * np.sin(2 * np.pi * 4.0 * t), np.zeros_like(t),
                     amp * np.sin(2 * np.pi * f0 * t)])
    r = aw_spectral(acc, fs)
    expected_z = amp / math.sqrt(2) * abs(weighting_response(f0, "Wk"))
    assert r["aw_z_ms2"] == pytest.approx(expected_z, rel=1e-9)
    wd4 = 0.1 / math.sqrt(2) * abs(weighting_response(4.0, "Wd"))
    assert r["aw_x_ms2"] == pytest.approx(wd4, rel=1e-9)
    assert r["av_ms2"] == pytest.approx(math.hypot(1.4 * wd4, r["aw_z_ms2"]), rel=1e-9)


def test_body_frame_puts_gravity_on_the_last_row(rng):
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    g = q @ np.array([0.0, 0.0, 9.81])
    acc = g[:, None] + 0.01 * rng.normal(size=(3, 1000))
    b = body_frame(acc, g)
    assert b[2].mean() == pytest.approx(9.81, abs=1e-3)
    assert abs(b[0].mean()) < 1e-3 and abs(b[1].mean()) < 1e-3


def test_vibration_snr_db_against_closed_form():
    # One axis carries a 10 Hz sine of amplitude A (power A²/2); the noise reference is
    # white noise of per-axis RMS σ on 3 axes, 3·σ²·(fs/2 − 2)/(fs/2) above 2 Hz.
    import math

    import numpy as np

    from glutesense.evaluation._cases import vibration_snr_db

    fs, n, a, sigma = 100.0, 12_000, 0.02, 0.01
    t = np.arange(n) / fs
    comp = np.zeros((3, n))
    comp[1] = a * np.sin(2 * np.pi * 10.0 * t) + 0.5 * np.sin(2 * np.pi * 0.5 * t)  # + sway
    expected = 10 * math.log10((a**2 / 2) / (3 * sigma**2 * (50.0 - 2.0) / 50.0))
    assert vibration_snr_db(comp, fs, sigma) == pytest.approx(expected, abs=0.01)
    assert vibration_snr_db(np.zeros((3, n)), fs, sigma) == -math.inf


def test_twitch_at_a_truth_nerve_burst_is_a_confusion_not_a_false_twitch():
    import numpy as np

    from glutesense.evaluation._cases import score_case
    from glutesense.recording import Recording

    rec = Recording(np.zeros((3, 6000)), 100.0, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3,
                    ("m/s^2",) * 3)
    report = {"mechanisms": {"twitch": {"events": [{"t_s": 10.05}, {"t_s": 30.0},
                                                   {"t_s": 40.6}]}}}
    kw = dict(hr_truth=None, at_rest=True, noise_rms_ms2=0.01, vib_source=False,
              appliance_hz=None, gravity_dir=None, score_aw=False)
    bursts = [(10.0, 10.02), (40.0, 40.5)]           # 40.6 is within 0.15 s of the second
    none = score_case(rec, report, twitch_truth=[], nerve_bursts=bursts, **kw)
    assert none["false_twitch"]["n"] == 1 and none["false_twitch"]["at_nerve"] == 2
    without = score_case(rec, report, twitch_truth=[], **kw)
    assert without["false_twitch"]["n"] == 3
    # a truth twitch at the same time as a burst keeps its hit
    some = score_case(rec, report, twitch_truth=[{"t_s": 10.0, "peak_ms2": 1.0}],
                      nerve_bursts=bursts, **kw)
    assert some["twitch"]["tp"] == 1 and some["twitch"]["fp"] == 1
    assert some["twitch"]["at_nerve"] == 1
