"""XDF reading (glutesense.io.xdf via pyxdf) on files written by tests/builders/xdf.py.

Ground truth: two streams whose true (recorder-clock) times we choose, one of
them sent from a machine whose clock runs 5 s ahead (ClockOffset chunks say
-5 s), jittered time stamps, a shared impulse and a marker at the same true
time. After clock sync and dejitter the impulse must line up across streams.
"""

from __future__ import annotations

import numpy as np
import pytest
from builders.xdf import XdfStream, write_xdf

from glutesense.errors import FormatError
from glutesense.io import detect, read
from glutesense.units import G0

T0_ACC, T0_EMG, T_EVENT, SKEW = 1000.0, 1000.25, 1003.0, 5.0


def _build(tmp_path, rng, *, with_offsets=True, acc_unit="g"):
    n_acc, n_emg = 1000, 9000
    t_acc = T0_ACC + np.arange(n_acc) / 100
    acc = np.zeros((n_acc, 3))
    acc[:, 2] = 1.0
    acc[int(round((T_EVENT - T0_ACC) * 100)), 2] = 3.0  # impulse
    t_emg = T0_EMG + np.arange(n_emg) / 1000
    emg = rng.normal(0, 5.0, (n_emg, 1))
    emg[int(round((T_EVENT - T0_EMG) * 1000)), 0] = 500.0
    streams = [
        XdfStream("phone-acc", "Accelerometer", 100, acc,
                  t_acc + rng.uniform(-1e-3, 1e-3, n_acc),
                  labels=["X", "Y", "Z"], units=[acc_unit] * 3),
        XdfStream("glute-EMG", "EMG", 1000, emg, t_emg + SKEW, labels=["EMG"], units=["uV"],
                  clock_offsets=([(t + SKEW, -SKEW) for t in np.arange(1000, 1010, 1.0)]
                                 if with_offsets else []), chunk=500),
        XdfStream("markers", "Markers", 0, ["tap"], np.array([T_EVENT]), fmt="string"),
    ]
    return write_xdf(tmp_path / "rec.xdf", streams)


def test_streams_are_aligned_on_one_time_axis(tmp_path, rng):
    path = _build(tmp_path, rng)
    assert detect(path).name == "xdf"
    rec = read(path)
    assert rec.fs == 100 and rec.ch_names == ("acc_x", "acc_y", "acc_z")
    assert rec.ch_units == ("m/s^2",) * 3
    assert rec.t0 == pytest.approx(0.0, abs=1e-3)
    np.testing.assert_allclose(np.median(rec.get("acc_z")), G0)
    emg = rec.streams["emg"]
    assert emg.fs == 1000 and emg.ch_units == ("V",) and emg.n_samples == 9000
    # clock sync: the EMG sender's clock was 5 s ahead; after sync it starts 0.25 s later
    assert emg.t0 == pytest.approx(T0_EMG - T0_ACC, abs=1e-3)
    t_acc_event = rec.times[np.argmax(rec.get("acc_z"))]
    t_emg_event = emg.times[np.argmax(emg.data[0])]
    assert t_acc_event == pytest.approx(T_EVENT - T0_ACC, abs=0.011)
    assert t_emg_event == pytest.approx(T_EVENT - T0_ACC, abs=0.002)
    assert np.max(emg.data[0]) == pytest.approx(500e-6)
    assert len(rec.annotations) == 1 and rec.annotations.label == ("tap",)
    assert rec.annotations.onset[0] == pytest.approx(T_EVENT - T0_ACC, abs=1e-3)
    assert rec.start is None and rec.meta["file_datetime"].startswith("2024-03-01")


def test_without_clock_offsets_the_skew_remains(tmp_path, rng):
    rec = read(_build(tmp_path, rng, with_offsets=False))
    assert rec.streams["emg"].t0 == pytest.approx(T0_EMG + SKEW - T0_ACC, abs=1e-3)


def test_emg_only_file(tmp_path, rng):
    t = 50.0 + np.arange(2000) / 2000
    path = write_xdf(tmp_path / "e.xdf", [XdfStream("emg", "EMG", 2000, rng.normal(size=(2000, 2)),
                                                    t, labels=["L", "R"], units=["mV", "mV"])])
    rec = read(path)
    assert rec.fs == 2000 and rec.ch_types == ("emg", "emg") and rec.ch_units == ("V", "V")
    assert rec.streams == {}


def test_missing_acc_unit_is_inferred_and_reported(tmp_path, rng):
    t = np.arange(300) / 100
    g = np.c_[rng.normal(0, 0.02, (300, 2)), 1 + rng.normal(0, 0.02, 300)]  # at rest, in g
    path = write_xdf(tmp_path / "n.xdf", [XdfStream("acc", "Accelerometer", 100, g, t)])
    rec = read(path)
    assert rec.ch_names == ("acc_x", "acc_y", "acc_z")
    np.testing.assert_allclose(rec.data, g.T * G0, rtol=1e-6)
    assert any("no unit stated" in w and "unit g" in w for w in rec.warnings)
    noise = write_xdf(tmp_path / "m.xdf", [XdfStream("acc", "Accelerometer", 100,
                                                     rng.normal(0, 30, (300, 3)), t)])
    assert any("m/s^2 assumed" in w for w in read(noise).warnings)


@pytest.mark.parametrize("content", [b"XDF:", b"XDF:\x07garbage", b"XDF:" + b"\x01\x05\x02\x00abc"])
def test_malformed_xdf_raises_format_error(tmp_path, content):
    path = tmp_path / "bad.xdf"
    path.write_bytes(content)
    with pytest.raises(FormatError):
        read(path)
