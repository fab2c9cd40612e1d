"""OpenSignals text files (glutesense.io.opensignals).

Transfer functions from the BITalino sensor datasheets (EMG Sensor Data Sheet
REV B: EMG(V) = (ADC/2^n - 1/2)·VCC/G_EMG, VCC = 3.3 V, G_EMG = 1009; ACC
Sensor Data Sheet: ACC(g) = (ADC - Cmin)/(Cmax - Cmin)·2 - 1), checked against
values computed by hand here.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from builders.opensignals import write_opensignals

from glutesense.errors import FormatError
from glutesense.io import detect, read
from glutesense.io.opensignals import acc_transfer, emg_transfer, read_opensignals
from glutesense.units import G0


def test_emg_transfer_hand_computed():
    # ADC 512 of 1024 is mid-scale: exactly 0 V.
    assert emg_transfer(np.array([512]), 10)[0] == 0.0
    # ADC 1023: (1023/1024 - 0.5) * 3.3 / 1009 = 0.49902344 * 0.0032705649 V = 1.632089e-3 V
    assert emg_transfer(np.array([1023]), 10)[0] == pytest.approx(1.6320892e-3, rel=1e-6)
    # ADC 0: -0.5 * 3.3 / 1009 = -1.6352825e-3 V (the datasheet's ±1.64 mV range)
    assert emg_transfer(np.array([0]), 10)[0] == pytest.approx(-1.6352825e-3, rel=1e-6)
    # 6-bit channel, ADC 40: (40/64 - 0.5) * 3.3 / 1009 = 0.125 * 3.3 / 1009 = 4.0882061e-4 V
    assert emg_transfer(np.array([40]), 6)[0] == pytest.approx(4.0882061e-4, rel=1e-6)


def test_acc_transfer_hand_computed():
    # Cmin = 208 → -1 g; Cmax = 312 → +1 g; midpoint 260 → 0 g (typical 10-bit values)
    np.testing.assert_allclose(acc_transfer(np.array([208, 260, 312]), 10),
                               np.array([-G0, 0.0, G0]), atol=1e-12)
    # explicit calibration: (400 - 300) / (500 - 300) * 2 - 1 = 0 g
    assert acc_transfer(np.array([400]), 10, 300, 500)[0] == pytest.approx(0.0)
    with pytest.raises(FormatError):
        acc_transfer(np.array([1]), 10, 5, 5)


def test_read_emg_and_acc(tmp_path, rng):
    n = 3000
    emg = np.clip(512 + rng.normal(0, 40, n), 0, 1023).round()
    acc = np.vstack([np.full(n, 260), np.full(n, 260), np.full(n, 312)])
    path = write_opensignals(tmp_path / "rec.txt", np.vstack([emg, acc]),
                             sensors=["EMG", "ACC", "ACC", "ACC"], fs=1000)
    assert detect(path).name == "opensignals"
    rec = read(path)
    assert rec.fs == 1000 and rec.n_samples == n and rec.duration == 3.0
    assert rec.ch_names == ("emg", "acc_x", "acc_y", "acc_z")
    assert rec.ch_units == ("V", "m/s^2", "m/s^2", "m/s^2")
    np.testing.assert_allclose(rec.get("emg"), (emg / 1024 - 0.5) * 3.3 / 1009)
    np.testing.assert_allclose(rec.get("acc_z"), G0)
    np.testing.assert_allclose(rec.get("acc_x"), 0.0, atol=1e-12)
    assert rec.start == dt.datetime(2016, 6, 9, 21, 59, 32, 137000, tzinfo=dt.timezone.utc)
    assert any("typical calibration" in w for w in rec.warnings)
    assert rec.meta["device"] == "bitalino_rev"


def test_acc_calibration_argument(tmp_path):
    acc = np.full((1, 100), 400)
    path = write_opensignals(tmp_path / "a.txt", acc, sensors=["ACC"])
    rec = read_opensignals(path, acc_calibration={"A1": (300, 500)})
    np.testing.assert_allclose(rec.data[0], 0.0, atol=1e-12)
    assert not rec.warnings


def test_emg_only_and_raw_sensor(tmp_path):
    adc = np.vstack([np.arange(500) % 1024, np.full(500, 33)])
    path = write_opensignals(tmp_path / "e.txt", adc, sensors=["EMG", "RAW"], bits=[10, 6])
    rec = read(path)
    assert rec.ch_types == ("emg", "misc") and rec.ch_units == ("V", "au")
    np.testing.assert_array_equal(rec.data[1], 33)


def test_other_devices_get_a_datasheet_warning(tmp_path):
    path = write_opensignals(tmp_path / "p.txt", np.full((1, 50), 32768), sensors=["EMG"],
                             bits=[16])
    path.write_text(path.read_text().replace('"bitalino_rev"', '"biosignalsplux"'))
    rec = read(path)
    assert rec.data[0, 0] == 0.0  # mid-scale of a 16-bit channel
    assert any("not a BITalino" in w for w in rec.warnings)


def test_lost_samples_are_reported(tmp_path):
    adc = np.full((1, 200), 512)
    path = write_opensignals(tmp_path / "l.txt", adc, sensors=["EMG"], drop=[50, 51, 52, 120])
    rec = read(path)
    assert rec.n_samples == 196
    assert any("about 4 samples lost" in w for w in rec.warnings)


@pytest.mark.parametrize("mutate, match", [
    (lambda lines: [lines[0], "# {not json", *lines[2:]], "JSON"),
    (lambda lines: [lines[0], lines[1], "# nope", *lines[3:]], "EndOfHeader"),
    (lambda lines: [*lines[:3], "1\t1\t1\t1\t0\tabc\t", *lines[4:]], "not numbers"),
    (lambda lines: [*lines[:3], "1\t1\t1\t1\t0\t2.5\t", *lines[4:]], "integer"),
    (lambda lines: [lines[0], '# {"aa": {"column": ["nSeq", "A1"]}}', *lines[2:]],
     "sampling rate"),
])
def test_malformed_files_raise_format_error(tmp_path, mutate, match):
    path = write_opensignals(tmp_path / "m.txt", np.full((1, 20), 512), sensors=["EMG"])
    lines = path.read_text().splitlines()
    path.write_text("\n".join(mutate(lines)) + "\n")
    with pytest.raises(FormatError, match=match):
        read(path)
