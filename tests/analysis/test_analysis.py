"""analyze(): attribution, timeline, chunking, report schema and reference recordings."""

from __future__ import annotations

import ast
import json
import time
from pathlib import Path

import numpy as np
import pytest
from builders import synth

from glutesense.analysis import _analysis
from glutesense.analysis import analyze

SRC = Path(__file__).resolve().parents[2] / "src" / "glutesense"


@pytest.fixture(scope="module")
def mixed():
    rec, truth = synth.make(150, 100, seed=3, hr_bpm=66, bcg_amp=0.05, noise_rms=0.01,
                            twitch_rate_per_min=12, bursts_per_min=2, sway_rms=0.01,
                            voluntary=((60, 70),), after_movement=(0.3, 1.0))
    return rec, truth, analyze(rec)


def test_report_schema(mixed):
    rec, truth, a = mixed
    d = a.to_report_dict()
    synth.assert_report_schema(d)
    json.dumps(d, allow_nan=False)
    assert d["input"]["n_samples"] == rec.n_samples
    assert d["input"]["fs_hz"] == 100.0
    assert d["limits"]["max_frequency_hz"] == 50.0


def test_findings_against_truth(mixed):
    rec, truth, a = mixed
    d = a.to_report_dict()
    m = d["mechanisms"]
    assert m["pulse"]["present"]
    assert abs(m["pulse"]["heart_rate_bpm"] - truth.hr_bpm) <= 1.5
    assert m["twitch"]["present"] and m["twitch"]["pattern"] in ("sporadic", "clustered")
    tp, fp, fn = synth.match_events(truth.twitch_s, [e["t_s"] for e in m["twitch"]["events"]],
                                    0.15)
    assert tp >= 0.85 * truth.twitch_s.size and fp <= 2
    assert m["nerve"]["present"]
    assert len(d["voluntary"]) == 1
    v = d["voluntary"][0]
    assert v["t0_s"] < 61 and v["t1_s"] > 69
    assert [round(x["decay_s"]) for x in m["postural"]["after_movement"]] == [1]


def test_shares_attribute_the_dominant_mechanism():
    rec, _ = synth.make(120, 100, seed=4, hr_bpm=70, bcg_amp=0.08, noise_rms=0.005)
    a = analyze(rec)
    assert a.findings["pulse"].present
    assert max(a.shares, key=a.shares.get) == "pulse"
    assert a.shares["pulse"] > 0.5
    assert abs(sum(a.shares.values()) + a.unexplained_share - 1.0) < 1e-9
    dom = [w["dominant"] for w in a.timeline]
    assert dom.count("pulse") >= 0.8 * len(dom)
    assert a.summary_text().startswith("Most of the movement in this recording is your pulse")
    assert "beats per minute" in a.summary_text()


def test_noise_only_is_all_unexplained():
    rec, _ = synth.make(60, 100, seed=5, noise_rms=0.01)
    a = analyze(rec)
    assert not any(f.present for m, f in a.findings.items() if m != "vibration")
    assert a.unexplained_share == pytest.approx(1.0 - sum(a.shares.values()))
    assert all(w["dominant"] in (None, "vibration") for w in a.timeline)
    assert a.to_report_dict()["mechanisms"]["pulse"]["heart_rate_bpm"] is None


def test_timeline_covers_the_recording(mixed):
    rec, truth, a = mixed
    tl = a.timeline
    assert tl[0]["t0_s"] == 0.0 and tl[-1]["t1_s"] == pytest.approx(rec.duration, abs=0.02)
    assert all(b["t0_s"] == pytest.approx(x["t1_s"]) for x, b in zip(tl, tl[1:]))
    assert {w["dominant"] for w in tl if 61 <= w["t0_s"] < 68} == {"voluntary"}


def test_chunked_equals_whole(monkeypatch):
    """Chunks of 60 s + 30 s overlap give the same answer as one pass."""
    rec, truth = synth.make(300, 100, seed=6, hr_bpm=75, bcg_amp=0.05, noise_rms=0.01,
                            twitch_rate_per_min=10)
    whole = analyze(rec)
    monkeypatch.setattr(_analysis, "CHUNK_S", 60.0)
    parts = analyze(rec)
    hw, hp = (x.findings["pulse"].summary["heart_rate_bpm"] for x in (whole, parts))
    assert abs(hw - hp) < 0.3 and abs(hp - truth.hr_bpm) < 1.5
    tw = [e["t_s"] for e in whole.findings["twitch"].summary["events"]]
    tpart = [e["t_s"] for e in parts.findings["twitch"].summary["events"]]
    tp, fp, fn = synth.match_events(tw, tpart, 0.05)
    assert fp <= 1 and fn <= 1
    assert len(parts.timeline) == len(whole.timeline)
    beats = parts.findings["pulse"].summary["beats_s"]
    assert np.all(np.diff(beats) > 0.3)        # no duplicated beats at chunk seams
    synth.assert_report_schema(parts.to_report_dict())


def test_orientation_change_and_gravity_free_inputs():
    rec, _ = synth.make(120, 100, seed=7, hr_bpm=70, bcg_amp=0.05, orientation_changes_s=(60,))
    d = analyze(rec).to_report_dict()
    synth.assert_report_schema(d)
    assert len(d["input"]["orientation_changes"]) == 1
    rec, truth = synth.make(120, 100, seed=8, hr_bpm=70, bcg_amp=0.05, gravity=False)
    d = analyze(rec).to_report_dict()
    synth.assert_report_schema(d)
    assert d["input"]["gravity_included"] is False
    assert any("orientation is unknown" in w for w in d["input"]["warnings"])
    assert abs(d["mechanisms"]["pulse"]["heart_rate_bpm"] - truth.hr_bpm) <= 1.5


def test_emg_stream_is_used():
    rec, truth = synth.make(90, 100, seed=9, twitch_rate_per_min=10, bursts_per_min=4,
                            emg_fs=2000.0)
    d = analyze(rec).to_report_dict()
    synth.assert_report_schema(d)
    assert d["mechanisms"]["twitch"]["emg"]["n_potentials"] == truth.twitch_s.size
    assert len(d["mechanisms"]["nerve"]["bursts"]) == len(truth.bursts)
    # the plain summary says what the sEMG counted, not only the movement's count
    from glutesense.reporting import summary_sentences

    n = truth.twitch_s.size
    assert any(f"(sEMG) shows {n} twitch potential" in x for x in summary_sentences(d))


@pytest.mark.parametrize("emg_fs", [2000.0, 1000.0, None])
def test_limits_name_the_emg_channel_read(emg_fs):
    """The report says which sEMG rate the findings used, and the limits sentence
    no longer claims that muscle electricity could not be recorded."""
    from glutesense.reporting import limits_sentence

    rec, _ = synth.make(60, 100, seed=9, twitch_rate_per_min=10, emg_fs=emg_fs)
    d = analyze(rec).to_report_dict()
    assert d["limits"]["emg_fs_hz"] == emg_fs
    s = limits_sentence(d)
    if emg_fs is None:
        assert "cannot record muscle electricity" in s
    else:
        assert f"sEMG channel ({emg_fs:g} Hz)" in s and "cannot record muscle" not in s


def test_vibration_stage_is_integrated():
    """Appliance lines are notched for the pulse; transients under machine or vehicle
    vibration are set aside, not called twitches."""
    pytest.importorskip("glutesense.detectors.vibration")
    rec, truth = synth.make(120, 100, seed=3, twitch_rate_per_min=10, hr_bpm=70, bcg_amp=0.04,
                            tones=((6.0, 0.2),))
    d = analyze(rec).to_report_dict()
    synth.assert_report_schema(d)
    m = d["mechanisms"]
    assert m["vibration"]["present"] and m["vibration"]["source"] == "appliance"
    assert abs(m["vibration"]["dominant_hz"] - 6.0) < 0.1
    assert abs(m["pulse"]["heart_rate_bpm"] - truth.hr_bpm) <= 1.5
    assert not m["twitch"]["present"] and m["twitch"]["set_aside"] > 0
    assert any("not attributed" in w for w in d["input"]["warnings"])
    rec, _ = synth.make(120, 100, seed=3, twitch_rate_per_min=10, vehicle_rms=0.4)
    d = analyze(rec).to_report_dict()
    m = d["mechanisms"]
    assert m["vibration"]["source"] == "vehicle"
    assert m["pulse"]["heart_rate_bpm"] is None
    assert not m["twitch"]["present"] and m["twitch"]["pattern"] == "none"
    assert max(m, key=lambda k: m[k]["share"]) == "vibration"


def _edge_recordings():
    from glutesense.recording import Recording

    rng = np.random.default_rng(1)
    acc = ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3
    yield "0.5 s", synth.make(0.5, 100, seed=1)[0]
    yield "3 s", synth.make(3, 100, seed=1)[0]
    yield "12.5 Hz", synth.make(60, 12.5, seed=1, hr_bpm=70, bcg_amp=0.05)[0]
    yield "1 kHz", synth.make(30, 1000, seed=1, hr_bpm=70, bcg_amp=0.05)[0]
    yield "zeros", Recording(np.zeros((3, 6000)), 100.0, *acc)
    yield "one axis", Recording(9.81 + 0.01 * rng.standard_normal((1, 6000)), 100.0,
                                ("acc_z",), ("acc",), ("m/s^2",))
    yield "emg only", Recording(1e-5 * rng.standard_normal((1, 40000)), 2000.0, ("emg",),
                                ("emg",), ("V",))


@pytest.mark.parametrize("name,rec", list(_edge_recordings()))
def test_edge_cases_give_valid_reports(name, rec):
    a = analyze(rec)
    d = a.to_report_dict()
    synth.assert_report_schema(d)
    assert a.summary_text()
    if name in ("0.5 s", "3 s", "zeros", "emg only"):
        assert d["mechanisms"]["pulse"]["heart_rate_bpm"] is None
    if name == "12.5 Hz":
        assert any("too slow for twitches" in w for w in d["input"]["warnings"])
        assert d["limits"]["min_detectable_twitch_ms2"] is None


def test_speed_two_minutes_and_one_hour():
    rec, _ = synth.make(120, 100, seed=10, hr_bpm=70, bcg_amp=0.04, twitch_rate_per_min=10)
    analyze(rec)
    t = time.perf_counter()
    analyze(rec)
    dt2 = time.perf_counter() - t
    rec, _ = synth.make(3600, 100, seed=11, hr_bpm=70, bcg_amp=0.04, twitch_rate_per_min=5)
    t = time.perf_counter()
    a = analyze(rec)
    dt60 = time.perf_counter() - t
    print(f"\nanalyze: 2 min @ 100 Hz {dt2:.3f} s; 1 h @ 100 Hz {dt60:.2f} s "
          f"(shared CPU; 24 h extrapolates to {24 * dt60:.1f} s)")
    assert a.findings["pulse"].present
    assert dt2 < 2.0          # target 0.5 s; loose bound because the CPU is shared


def test_analyser_firewall():
    """My analyser modules never import the simulator (body, sensors, scenarios)."""
    files = [SRC / "detectors" / f"{m}.py" for m in
             ("preprocess", "pulse", "twitch", "nerve", "postural", "voluntary")]
    files += sorted((SRC / "analysis").glob("*.py"))
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [("." * node.level) + (node.module or "")]
            for n in names:
                for bad in ("body", "sensors", "scenarios"):
                    assert not (n.endswith(bad) or f".{bad}." in n or f"glutesense.{bad}" in n
                                or n.startswith(f"..{bad}")), (path.name, n)


REFERENCE_FILES = {
    "tram": "vehicle/bratislava_transit/smartphone_01_L3_Skoda_30T.csv",
    "car": "accelerometer/driver_behavior/trip17_acelerometro_terra.csv",
    "washing": "accelerometer/washing_machine_wascherei/start_centrif.csv",
    "muse_bed": "bcg_scg/muse_padova/1_Stave_supine_static.txt",
    "muse_chest": "bcg_scg/muse_padova/4_Chest_sweater.txt",
}


@pytest.mark.parametrize("name", list(REFERENCE_FILES))
def test_reference_recordings(name, reference_dir):
    from glutesense.errors import GlutesenseError
    from glutesense.io import read

    path = reference_dir / REFERENCE_FILES[name]
    if not path.exists():
        pytest.skip(f"{path} not present")
    try:
        rec = read(path)
    except GlutesenseError as exc:
        pytest.skip(f"no reader for {path.name} yet: {exc.one_line()}")
    d = analyze(rec).to_report_dict()
    synth.assert_report_schema(d)
    m = d["mechanisms"]
    print(f"\n{name}: " + ", ".join(f"{k} {v['share']:.2f}" for k, v in m.items() if v["present"])
          + f"; HR {m['pulse']['heart_rate_bpm']}; vibration {m['vibration']['source']}")
    if name in ("tram", "car"):
        assert m["vibration"]["present"] and m["vibration"]["source"] == "vehicle"
        assert m["pulse"]["heart_rate_bpm"] is None      # a vehicle drowns the pulse: no guess
    if name == "washing":
        assert m["vibration"]["source"] == "appliance"
        assert max(m, key=lambda k: m[k]["share"]) == "vibration"
    if name.startswith("muse") and m["pulse"]["present"]:
        assert 40 <= m["pulse"]["heart_rate_bpm"] <= 100   # resting, per the dataset notes


@pytest.mark.parametrize("seed", [1, 2, 4, 7])
def test_heartbeat_after_exercise_then_a_car_ride(seed):
    # The demo recording: a minute after a workout (a strong, beat-periodic BCG) then a
    # minute in a car. Pooled, the heartbeat's periodicity made the vibration look like
    # music at the heart's tempo, and the heart rate was then refused as that tempo
    # (seeds 1 and 4: the two episodes run into one; 2 and 7: they are apart).
    from glutesense.demo import demo_recording

    rec = demo_recording(seed)
    labels = np.asarray(rec.annotations.label)
    onsets = np.asarray(rec.annotations.onset)
    assert "vibration:vehicle" in set(labels)
    beats = onsets[(labels == "beat") & (onsets < 60.0)]
    hr_true = 60.0 * (beats.size - 1) / (beats[-1] - beats[0])
    rep = analyze(rec.replace(annotations=type(rec.annotations)())).to_report_dict()
    vib, pul = rep["mechanisms"]["vibration"], rep["mechanisms"]["pulse"]
    assert vib["present"] and vib["source"] == "vehicle"
    assert pul["heart_rate_bpm"] is not None
    assert abs(pul["heart_rate_bpm"] - hr_true) < 5.0      # it falls after exercise
