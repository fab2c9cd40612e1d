"""EDF/EDF+/BDF reading and writing (glutesense.io.edf, via edfio).

Ground truth: signals we construct, written either by our writer or directly
with edfio's own API (an independent writer), and the EDF rule that a physical
value is quantised to the step ``(pmax - pmin) / (dmax - dmin)`` (Kemp et al.
1992; https://www.edfplus.info/specs/edf.html).
"""

from __future__ import annotations

import datetime as dt
import json
import warnings

import edfio
import numpy as np
import pytest

from glutesense.cli import main
from glutesense.errors import FormatError, GlutesenseError, GlutesenseWarning
from glutesense.io import detect, read, write
from glutesense.io.edf import channel_info, unique_names
from glutesense.recording import Annotations, Recording
from glutesense.units import G0

UTC = dt.timezone.utc


def _step(sig: edfio.EdfSignal) -> float:
    pmin, pmax = sig.physical_range
    dmin, dmax = sig.digital_range
    return (pmax - pmin) / (dmax - dmin)


def _acc_emg(rng: np.random.Generator, seconds: float = 5.0) -> Recording:
    t = np.arange(int(seconds * 100)) / 100
    acc = np.vstack([0.3 * np.sin(2 * np.pi * 1.3 * t), 0.2 * np.cos(2 * np.pi * 0.4 * t),
                     G0 + 0.05 * rng.standard_normal(t.size)])
    emg = Recording(rng.normal(0, 5e-5, (1, int(seconds * 4000))), 4000, ["emg"], ["emg"], ["V"],
                    start=dt.datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC))
    return Recording(
        acc, 100, ["acc_x", "acc_y", "acc_z"], ["acc"] * 3, ["m/s^2"] * 3,
        start=dt.datetime(2024, 5, 1, 12, 0, 0, 250000, tzinfo=UTC),
        annotations=Annotations([1.0, 2.5], [0.0, 0.5], ["twitch", "shift"], ["twitch", None],
                                ["truth", "manual"], [0.3, np.nan]),
        streams={"emg": emg})


def test_round_trip_within_one_quantisation_step(tmp_path, rng):
    rec = _acc_emg(rng)
    path = tmp_path / "rt.edf"
    with warnings.catch_warnings():
        warnings.simplefilter("error", GlutesenseWarning)  # whole records: no padding
        write(rec, path)
    assert detect(path).name == "edf"
    back = read(path)
    raw = edfio.read_edf(path)
    steps = {s.label: _step(s) for s in raw.signals}
    assert back.fs == 100.0 and back.n_samples == rec.n_samples
    assert back.ch_names == rec.ch_names and back.ch_units == ("m/s^2",) * 3
    for i, name in enumerate(rec.ch_names):
        err = np.abs(back.data[i] - rec.data[i]).max()
        assert err <= steps[name] * (1 + 1e-9), (name, err, steps[name])
        assert err > 0  # really quantised, not a copy
    emg = back.streams["emg"]
    assert emg.fs == 4000.0 and emg.ch_units == ("V",) and emg.t0 == 0.0
    # EMG is written in uV: the step is stated in uV in the header
    assert np.abs(emg.data[0] - rec.streams["emg"].data[0]).max() <= steps["emg"] * 1e-6 * (1 + 1e-9)
    assert back.start == rec.start  # sub-second start kept by EDF+
    assert back.annotations.to_records() == rec.annotations.to_records()
    assert back.meta["variant"] == "EDF+C"


def test_reads_edf_written_by_edfio_with_physical_units(tmp_path, rng):
    """Units in the file (uV, mV, g, mg, deg/s, degC) come out in SI."""
    n = 512
    emg_uv = rng.normal(0, 80, n)
    ecg_mv = rng.normal(0, 1, n)
    acc_mg = np.vstack([rng.normal(0, 30, n // 4), rng.normal(0, 30, n // 4),
                        1000 + rng.normal(0, 10, n // 4)])
    gyro = rng.normal(0, 20, n // 4)
    temp = np.full(n // 16, 31.5)
    sigs = [edfio.EdfSignal(emg_uv, 512, label="EMG glut", physical_dimension="uV"),
            edfio.EdfSignal(ecg_mv, 512, label="ECG II", physical_dimension="mV"),
            *[edfio.EdfSignal(acc_mg[i], 128, label=f"Accel {a}", physical_dimension="mg")
              for i, a in enumerate("XYZ")],
            edfio.EdfSignal(gyro, 128, label="Gyro X", physical_dimension="deg/s"),
            edfio.EdfSignal(temp, 32, label="Temp", physical_dimension="degC")]
    edf = edfio.Edf(sigs, starttime=dt.time(8, 30, 0),
                    recording=edfio.Recording(startdate=dt.date(2023, 2, 3)))
    path = tmp_path / "units.edf"
    edf.write(path)
    rec = read(path)
    raw = edfio.read_edf(path)
    assert rec.fs == 128.0
    assert rec.ch_names[:4] == ("acc_x", "acc_y", "acc_z", "gyro_x")
    assert rec.ch_types[:4] == ("acc", "acc", "acc", "gyro")
    assert rec.ch_units[:4] == ("m/s^2", "m/s^2", "m/s^2", "rad/s")
    np.testing.assert_allclose(rec.get("acc_z"), raw.signals[4].data * G0 * 1e-3)
    np.testing.assert_allclose(rec.get("gyro_x"), raw.signals[5].data * np.pi / 180)
    assert rec.start == dt.datetime(2023, 2, 3, 8, 30, tzinfo=UTC)
    emg = rec.streams["emg"]
    assert emg.fs == 512 and emg.ch_types == ("emg", "ecg")
    np.testing.assert_allclose(emg.get("emg_glut"), raw.signals[0].data * 1e-6)
    np.testing.assert_allclose(emg.get("ecg_ii"), raw.signals[1].data * 1e-3)
    assert emg.streams == {} and emg.t0 == 0.0
    temp_stream = rec.streams["temp"]
    assert temp_stream.fs == 32 and temp_stream.ch_units == ("degC",)
    np.testing.assert_allclose(temp_stream.data[0], 31.5, atol=1e-3)
    assert "taken as UTC" in rec.inferred["start"]


def test_emg_only_file_is_primary_emg(tmp_path, rng):
    x = rng.normal(0, 100, 2000)
    edfio.Edf([edfio.EdfSignal(x, 1000, label="EMG", physical_dimension="uV")]).write(
        tmp_path / "e.edf")
    rec = read(tmp_path / "e.edf")
    assert rec.ch_types == ("emg",) and rec.fs == 1000 and rec.duration == 2.0
    assert rec.streams == {}


def test_bdf_read(tmp_path, rng):
    x = rng.normal(0, 200, 2048)
    sig = edfio.BdfSignal(x, 2048, label="EMG1", physical_dimension="uV")
    path = tmp_path / "b.bdf"
    edfio.Bdf([sig]).write(path)
    assert detect(path).name == "bdf"
    rec = read(path)
    assert rec.fs == 2048 and rec.ch_units == ("V",) and rec.meta["format"] == "bdf"
    step = _step(edfio.read_bdf(path).signals[0]) * 1e-6  # 24-bit step, in V
    assert np.abs(rec.data[0] - x * 1e-6).max() <= step


def test_write_pads_to_whole_records_and_says_so(tmp_path):
    t = np.arange(250) / 100
    rec = Recording(np.vstack([t, t, t]), 100, ["acc_x", "acc_y", "acc_z"], ["acc"] * 3,
                    ["m/s^2"] * 3, streams={"emg": Recording(np.zeros((1, 2560)), 1024,
                                                              ["emg"], ["emg"], ["V"])})
    with pytest.warns(GlutesenseWarning, match="padded"):
        write(rec, tmp_path / "p.edf")
    back = read(tmp_path / "p.edf")
    assert back.n_samples >= 250 and back.streams["emg"].fs == 1024
    np.testing.assert_allclose(back.data[0, :250], t, atol=3 / 65535)


def test_odd_rate_is_written_as_one_record_without_padding(tmp_path, rng):
    """50.94 Hz (a phone's achieved rate) fits no short data record: one record, no padding."""
    x = rng.normal(0, 1, (3, 2000)) + np.array([[0], [0], [G0]])
    rec = Recording(x, 50.94, ["acc_x", "acc_y", "acc_z"], ["acc"] * 3, ["m/s^2"] * 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", GlutesenseWarning)
        write(rec, tmp_path / "odd.edf")
    back = read(tmp_path / "odd.edf")
    assert back.n_samples == 2000 and back.fs == pytest.approx(50.94, rel=1e-6)
    assert np.abs(back.data - x).max() <= max(_step(s) for s in
                                               edfio.read_edf(tmp_path / "odd.edf").signals)


def test_anonymised_start_reads_as_unknown(tmp_path):
    rec = Recording(np.ones((1, 100)) * np.arange(100), 50, ["emg"], ["emg"], ["V"])
    write(rec, tmp_path / "a.edf")
    back = read(tmp_path / "a.edf")
    assert back.start is None and "anonymised" in back.inferred["start"]


@pytest.mark.parametrize("content", [
    b"0       " + b"garbage" * 10,
    b"0       " + b" " * 176 + b"768     " + b"x" * 100,
])
def test_malformed_edf_raises_format_error(tmp_path, content):
    path = tmp_path / "bad.edf"
    path.write_bytes(content)
    with pytest.raises(GlutesenseError) as exc:
        read(path, format="edf")
    assert str(path) in str(exc.value)


def test_truncated_edf_keeps_whole_records_and_warns(tmp_path, rng):
    path = tmp_path / "t.edf"
    edfio.Edf([edfio.EdfSignal(rng.normal(size=1000), 100, label="EMG",
                               physical_dimension="uV")]).write(path)
    data = path.read_bytes()
    path.write_bytes(data[: 256 + 256 + 500])  # 2 whole 1-s records (200 B each) + a part
    rec = read(path)
    assert rec.n_samples == 200
    assert any("truncated" in w for w in rec.warnings)


def test_header_only_edf_raises_format_error(tmp_path, rng):
    path = tmp_path / "h.edf"
    edfio.Edf([edfio.EdfSignal(rng.normal(size=1000), 100, label="EMG",
                               physical_dimension="uV")]).write(path)
    path.write_bytes(path.read_bytes()[:512])
    with pytest.raises(FormatError):
        read(path)


def test_channel_info_names_and_types():
    info = channel_info("Accel X", "g")
    assert (info.name, info.ch_type, info.unit, info.factor) == ("acc_x", "acc", "m/s^2", G0)
    assert channel_info("ACC_Z", "m/s^2").name == "acc_z"
    assert channel_info("GyroY", "deg/s").name == "gyro_y"
    assert channel_info("EKG", "mV").ch_type == "ecg"
    assert unique_names(["emg", "emg_2", "emg", "emg"]) == ["emg", "emg_2", "emg_3", "emg_4"]
    info = channel_info("Pleth", "%")
    assert info.unit == "au" and info.note and info.ch_type == "misc"


def test_cli_convert_to_edf_and_info(tmp_path, rng, capsys):
    rec = _acc_emg(rng, seconds=2.0)
    src = tmp_path / "in.npz"
    rec.write(str(src))
    out = tmp_path / "out.edf"
    assert main(["convert", str(src), str(out)]) == 0
    capsys.readouterr()
    assert main(["info", "--json", str(out)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "edf" and info["fs_hz"] == 100.0 and info["duration_s"] == 2.0
    assert info["streams"]["emg"]["fs_hz"] == 4000.0
