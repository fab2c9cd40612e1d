"""Postural sway and after-movement decay against the generator."""

from __future__ import annotations

import numpy as np
import pytest
from builders import synth

from glutesense.detectors import postural
from glutesense.detectors import preprocess as pp


@pytest.mark.parametrize("fs", [50, 100, 200])
@pytest.mark.parametrize("sway", [0.02, 0.05])
def test_sway_rms(fs, sway):
    rec, _ = synth.make(120, fs, seed=fs + int(sway * 100), noise_rms=0.01, sway_rms=sway,
                        hr_bpm=70, bcg_amp=0.03)
    f = postural.detect(pp.prepare(rec))
    # the generator's sway is on both horizontal axes; the detector reports the RMS of the
    # horizontal vector in 0.1-2 Hz (the < 0.1 Hz part is drift by design)
    expect = np.sqrt(2) * sway
    got = f.summary["sway_rms_ms2"]
    print(f"\nfs {fs} sway {sway}: {got:.4f} vs {expect:.4f}")
    assert f.present
    assert 0.7 * expect < got < 1.15 * expect


@pytest.mark.parametrize("fs", [50, 100, 200])
def test_no_sway_in_noise_and_pulse(fs):
    rec, _ = synth.make(120, fs, seed=fs + 3, noise_rms=0.01, hr_bpm=70, bcg_amp=0.04,
                        twitch_rate_per_min=10)
    f = postural.detect(pp.prepare(rec))
    assert not f.present
    assert f.summary["sway_rms_ms2"] < postural.SWAY_MIN_MS2


@pytest.mark.parametrize("tau", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("fs", [50, 100])
def test_after_movement_decay(tau, fs):
    rec, truth = synth.make(120, fs, seed=int(tau * 10) + fs, noise_rms=0.01,
                            voluntary=((30, 40), (80, 88)), after_movement=(0.3, tau))
    f = postural.detect(pp.prepare(rec))
    got = f.summary["after_movement"]
    print(f"\nfs {fs}, decay {tau} s: {[a['decay_s'] for a in got]}")
    assert len(got) == 2
    for a, t in zip(got, truth.after_movement):
        assert abs(a["t_s"] - t["t_s"]) < 2.0
        assert 0.6 * tau < a["decay_s"] < 1.5 * tau
    assert f.present


def test_no_after_movement_when_movement_stops_cleanly():
    rec, _ = synth.make(120, 100, seed=9, noise_rms=0.01, voluntary=((30, 40),))
    f = postural.detect(pp.prepare(rec))
    assert f.summary["after_movement"] == []
