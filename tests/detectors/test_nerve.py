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


# --------------------------------------------------------------------------- grouping rule
# Independent numpy signals. Clustered fasciculations are discharges of independent motor
# units that may fire close in time; a neural doublet is one unit firing twice 2.5–20 ms
# apart (Simpson 1969, via Garland & Griffin 1999), myokymic bursts several discharges
# at 5–60 Hz (physiology.md §6).

def _prep(acc, fs, emg=None):
    from glutesense.recording import Recording

    src = Recording(acc, fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3)
    return pp.Prepared(acc=acc, fs=fs, t0=0.0, voluntary=np.zeros(acc.shape[1], dtype=bool),
                       gravity_included=True, emg=emg, noise_rms=0.01, source=src)


def _twitch_wave(rng, t, t0, peak):
    u = rng.standard_normal(3)
    u /= np.linalg.norm(u)
    x = t - t0
    sel = (x >= 0) & (x < 0.3)
    s = np.exp(-x[sel] / 0.025) * np.sin(2 * np.pi * 14.0 * x[sel])
    out = np.zeros((3, t.size))
    out[:, sel] = u[:, None] * peak / np.abs(s).max() * s
    return sel, out


def test_close_pairs_of_independent_twitches_are_not_nerve_bursts():
    """Pairs of twitches of different units 60–110 ms apart are no neural group: nerve
    reports no burst and twitch reports them; a group of four discharges 100 ms apart
    is a burst."""
    fs, dur = 100.0, 120.0
    rng = np.random.default_rng(21)
    t = np.arange(int(dur * fs)) / fs
    acc = 0.01 * rng.standard_normal((3, t.size))
    pairs = np.arange(3.0, 60.0, 4.0)
    for p in pairs:
        for t0 in (p, p + rng.uniform(0.06, 0.11)):
            acc += _twitch_wave(rng, t, t0, rng.uniform(0.1, 0.15))[1]
    burst = np.array([80.0, 80.1, 80.2, 80.3])
    for t0 in burst:
        acc += _twitch_wave(rng, t, t0, 0.12)[1]
    prep = _prep(acc, fs)
    tr = twitch.find_transients(prep)
    f = nerve.detect(prep, transients=tr)
    bursts = np.array([b["t_s"] for b in f.summary["bursts"]])
    assert bursts.size == 1 and abs(bursts[0] - 80.0) < 0.1
    assert f.summary["bursts"][0]["n_discharges"] >= 3
    tw = np.array([e["t_s"] for e in twitch.detect(prep, transients=tr).summary["events"]])
    tp, _, _ = synth.match_events(pairs, tw, 0.15)
    assert tp == pairs.size and not np.any((tw > 79.9) & (tw < 80.5))


def _muap(te, kind):
    """Two distinct motor-unit potential shapes (V): triphasic and biphasic."""
    if kind == 0:
        return 1e-4 * (1 - (te / 1.5e-3) ** 2) * np.exp(-0.5 * (te / 1.5e-3) ** 2)
    return 1e-4 * (-te / 2e-3) * np.exp(-0.5 * (te / 2e-3) ** 2) * 1.6


def test_emg_doublet_is_a_burst_but_close_independent_potentials_are_not():
    """sEMG at 2 kHz: one unit firing twice 10 ms apart is a doublet (nerve burst); two
    units firing 60 ms apart are two fasciculation potentials."""
    from glutesense.recording import Recording

    fs_e, dur = 2000.0, 60.0
    rng = np.random.default_rng(5)
    emg = 5e-6 * rng.standard_normal(round(dur * fs_e))
    te = np.arange(-0.01, 0.01, 1 / fs_e)
    events = []                       # (time, unit)
    for k in range(5):
        a = 5.0 + 10.0 * k
        events += [(a, 0), (a + 0.010, 0)]           # doublets of unit 0
        events += [(a + 5.0, 0), (a + 5.06, 1)]      # independent pair 60 ms apart
    for t0, u in events:
        i0 = round(t0 * fs_e) - te.size // 2
        emg[i0:i0 + te.size] += _muap(te, u)
    rec = Recording(emg[None, :], fs_e, ("emg",), ("emg",), ("V",))
    fs = 100.0
    acc = 0.01 * rng.standard_normal((3, round(dur * fs)))
    d = twitch.emg_discharges(_prep(acc, fs, rec))
    bt = np.array([b["t_s"] for b in d["bursts"]])
    doublets = 5.0 + 10.0 * np.arange(5)
    tp, fp, _ = synth.match_events(doublets, bt, 0.005)
    assert tp == 5 and fp == 0
    assert all(b["n_discharges"] == 2 for b in d["bursts"])
    pairs = np.sort(np.r_[doublets + 5.0, doublets + 5.06])
    tp, fp, _ = synth.match_events(pairs, d["fp_s"], 0.005)
    assert tp == pairs.size and fp == 0
