"""ActiGraph GT3X (via pygt3x) and ActiLife raw CSV (glutesense.io.actigraph).

pygt3x ships no sample .gt3x files, so tests/builders/actigraph.py writes a
minimal GT3X to ActiGraph's public format description (info.txt + log.bin
records with XOR checksums, ACTIVITY2 payloads, idle-sleep events) from known
counts; the expected acceleration is counts / Acceleration Scale in g.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from builders.actigraph import write_actilife_csv, write_gt3x

from glutesense.errors import FormatError
from glutesense.io import detect, read
from glutesense.io.actigraph import dotnet_date_format
from glutesense.units import G0

UTC = dt.timezone.utc


@pytest.fixture
def counts(rng):
    n = 20 * 30
    return np.vstack([rng.integers(-300, 300, n), rng.integers(-300, 300, n),
                      256 + rng.integers(-30, 30, n)])


def test_gt3x_values_rate_and_time_zone(tmp_path, counts):
    path = write_gt3x(tmp_path / "a.gt3x", counts, fs=30, start_unix=1_700_000_000,
                      timezone="01:00:00")
    assert detect(path).name == "gt3x"
    rec = read(path)
    assert rec.fs == 30 and rec.n_samples == counts.shape[1]
    np.testing.assert_allclose(rec.data, counts / 256 * G0, rtol=1e-6, atol=1e-6)
    # device local time 1_700_000_000 s, TimeZone +01:00 → UTC one hour earlier
    assert rec.start == dt.datetime(2023, 11, 14, 21, 13, 20, tzinfo=UTC)
    assert rec.meta["serial_number"] == "MOS2E12345678" and rec.meta["device"] == "wGT3XBT"
    assert "idle_sleep_mode_s" not in rec.inferred


def test_gt3x_idle_sleep_filled_with_last_value_and_reported(tmp_path, counts):
    path = write_gt3x(tmp_path / "ism.gt3x", counts, fs=30, idle_sleep=(10, 15), timezone=None)
    rec = read(path)
    assert rec.n_samples == counts.shape[1]  # 20 s, the 5 sleeping seconds filled
    last = counts[:, 10 * 30 - 1] / 256 * G0
    np.testing.assert_allclose(rec.data[:, 300:450], np.repeat(last[:, None], 150, axis=1),
                               rtol=1e-6)
    np.testing.assert_allclose(rec.data[:, 450:], counts[:, 450:] / 256 * G0, rtol=1e-6)
    assert rec.inferred["idle_sleep_mode_s"] == pytest.approx(5.0)
    assert any("idle sleep mode" in w for w in rec.warnings)
    assert "taken as UTC" in rec.inferred["start"]


def test_gt3x_without_log_is_a_format_error(tmp_path):
    import zipfile

    path = tmp_path / "bad.gt3x"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("info.txt", "Sample Rate: 30\r\n")
        z.writestr("log.bin", b"\x1e\x1a\x00")
    with pytest.raises(FormatError):
        read(path)


@pytest.mark.parametrize("timestamp", [True, False])
@pytest.mark.parametrize("date_format", ["M/d/yyyy", "dd.MM.yyyy"])
def test_actilife_csv(tmp_path, rng, timestamp, date_format):
    g = np.round(np.vstack([rng.normal(0, 0.1, 300), rng.normal(0, 0.1, 300),
                            1 + rng.normal(0, 0.05, 300)]), 3)
    start = dt.datetime(2013, 5, 20, 10, 0, 0)
    path = write_actilife_csv(tmp_path / "raw.csv", g, fs=30, start=start, timestamp=timestamp,
                              date_format=date_format)
    assert detect(path).name == "actilife-csv"
    rec = read(path)
    assert rec.fs == 30 and rec.n_samples == 300 and rec.duration == 10.0
    np.testing.assert_allclose(rec.data, g * G0, atol=1e-9)
    assert rec.start == start.replace(tzinfo=UTC)
    assert rec.meta["device"] == "GT3X+" and rec.meta["serial_number"] == "NEO1F18120387"
    assert ("timestamp_column" in rec.inferred) == timestamp


def test_actilife_without_column_header(tmp_path):
    g = np.tile([[0.0], [0.0], [1.0]], 90)
    rec = read(write_actilife_csv(tmp_path / "n.csv", g, timestamp=False, column_header=False))
    assert rec.n_samples == 90 and np.allclose(rec.get("acc_z"), G0)


def test_actilife_rejects_epoch_files_and_bad_timestamps(tmp_path):
    g = np.tile([[0.0], [0.0], [1.0]], 90)
    with pytest.raises(FormatError, match="epoch"):
        read(write_actilife_csv(tmp_path / "e.csv", g, epoch="00:01:00"))
    with pytest.raises(FormatError, match="Timestamp column spans"):
        read(write_actilife_csv(tmp_path / "t.csv", g, fs=30, timestamp_fs=25))


def test_actilife_malformed_rows(tmp_path):
    g = np.tile([[0.0], [0.0], [1.0]], 30)
    path = write_actilife_csv(tmp_path / "m.csv", g, timestamp=False)
    lines = path.read_text().splitlines()
    lines[15] = "0.1,abc,1.0"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="non-numeric"):
        read(path)
    lines[0] = lines[0].replace("at 30 Hz", "")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(FormatError, match="sampling rate"):
        read(path)


def test_dotnet_date_format():
    assert dotnet_date_format("M/d/yyyy") == "%m/%d/%Y"
    assert dotnet_date_format("dd.MM.yyyy") == "%d.%m.%Y"
    with pytest.raises(FormatError):
        dotnet_date_format("HH:mm")
