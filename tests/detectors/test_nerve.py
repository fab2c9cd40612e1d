"""Nerve-burst detector against the generator's bursts (acceleration and sEMG)."""

from __future__ import annotations

import numpy as np
import pytest
from builders import synth

from glutesense.detectors import nerve, twitch
from glutesense.detectors import preprocess as pp


@pytest.fixture(scope="module")
def acc_results():
    out = []
    for fs in (50, 100, 200):
        for seed in (1, 2):
            rec, truth = synth.make(120, fs, seed=seed + fs, noise_rms=0.01, bursts_per_min=4,
                                    twitch_rate_per_min=6, hr_bpm=70, bcg_amp=0.04)
            prep = pp.prepare(rec)
            out.append((fs, truth, nerve.detect(prep), twitch.detect(prep)))
    return out


def test_bursts_from_acceleration(acc_results):
    tp = fp = fn = 0
    n_err = []
    for fs, truth, f, _ in acc_results:
        t_true = np.array([b["t_s"] for b in truth.bursts])
        found = np.array([b["t_s"] for b in f.summary["bursts"]])
        a, b, c = synth.match_events(t_true, found, 0.3)
        tp, fp, fn = tp + a, fp + b, fn + c
        for b_ in f.summary["bursts"]:
            j = int(np.argmin(np.abs(t_true - b_["t_s"])))
            if abs(t_true[j] - b_["t_s"]) <= 0.3:
                n_err.append(b_["n_discharges"] - truth.bursts[j]["n_discharges"])
        assert f.summary["source"] == "acc"
    sens, ppv = tp / (tp + fn), tp / max(tp + fp, 1)
    print(f"\nnerve bursts from acceleration (fs 50/100/200): sensitivity {sens:.3f}, "
          f"precision {ppv:.3f}, discharge-count error median {np.median(n_err):+.0f}")
    assert sens >= 0.8 and ppv >= 0.9
    assert abs(np.median(n_err)) <= 1


def test_burst_transients_are_not_twitches(acc_results):
    for fs, truth, f, ft in acc_results:
        tw = np.array([e["t_s"] for e in ft.summary["events"]])
        for b in f.summary["bursts"]:
            assert not np.any((tw >= b["t_s"] - 0.01) & (tw <= b["t_s"] + 0.8))
        tp, fp, fn = synth.match_events(truth.twitch_s, tw, 0.15)
        assert fp <= 2


def test_no_bursts_from_sporadic_twitches():
    for seed in (5, 6):
        rec, _ = synth.make(120, 100, seed=seed, noise_rms=0.01, twitch_rate_per_min=15)
        f = nerve.detect(pp.prepare(rec))
        assert len(f.summary["bursts"]) <= 1


def test_bursts_from_emg_doublets():
    rec, truth = synth.make(120, 100, seed=7, noise_rms=0.01, bursts_per_min=5,
                            twitch_rate_per_min=6, emg_fs=2000.0)
    f = nerve.detect(pp.prepare(rec))
    assert f.summary["source"] == "emg"
    t_true = np.array([b["t_s"] for b in truth.bursts])
    found = np.array([b["t_s"] for b in f.summary["bursts"]])
    tp, fp, fn = synth.match_events(t_true, found, 0.05)
    print(f"\nnerve bursts from sEMG: {tp} of {t_true.size} found, {fp} false")
    assert fn == 0 and fp == 0
    assert f.present and f.summary["burst_rate_per_min"] == pytest.approx(t_true.size / 2, 0.01)
    for b in f.summary["bursts"]:
        assert b["n_discharges"] >= 2 and b["intraburst_hz"] > 0


def test_group_transients():
    t = np.array([1.0, 1.1, 1.25, 3.0, 5.0, 5.3, 5.6, 5.9, 9.0, 9.2])
    groups = twitch.group_transients(t)
    assert [g.tolist() for g in groups] == [[0, 1, 2], [4, 5, 6, 7]]
