"""Axivity CWA reader (glutesense.io.cwa) against files built to the spec.

The builder (tests/builders/cwa.py) encodes known integer signals with
:mod:`struct` following Open Movement's cwa.h; the expected physical values
follow from the spec's scale factors (1/256 g per AX3 count, 1/2^(8+n) g for
16-bit data, gyro full scale 8000/2^n dps, temperature raw·75/256 − 50 °C,
battery (raw + 512)·6/1024 V).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest
from builders.cwa import write_cwa

from glutesense.cli import main
from glutesense.errors import FormatError
from glutesense.io import cwa as cwa_mod
from glutesense.io import detect, read
from glutesense.io.cwa import rate_from_code, read_cwa_aux, range_from_code, unpack_timestamp
from glutesense.units import G0

UTC = dt.timezone.utc
START = dt.datetime(2024, 3, 1, 10, 0, 0, 250000)


@pytest.fixture
def counts(rng):
    n = 1000  # 8 full packed sectors + one with 40 samples
    acc = np.vstack([rng.integers(-500, 500, n), rng.integers(-500, 500, n),
                     256 + rng.integers(-20, 20, n)])
    acc[:, 5] = [1000, -334, 264]  # needs the 2-bit exponent (e = 1)
    acc[:, 6] = [-2048, 1024, 2040]  # e = 3
    return acc


def test_spec_helpers():
    assert rate_from_code(0x4A) == 100.0 and range_from_code(0x4A) == 8
    assert rate_from_code(0x0C) == 400.0 and range_from_code(0x0C) == 16
    assert rate_from_code(0xC9) == 50.0 and range_from_code(0xC9) == 2
    # 2024-03-01 10:00:00 → YYYYYYMM MMDDDDDh hhhhmmmm mmssssss
    packed = (24 << 26) | (3 << 22) | (1 << 17) | (10 << 12)
    assert unpack_timestamp(np.array([packed]))[0] == dt.datetime(2024, 3, 1, 10,
                                                                  tzinfo=UTC).timestamp()
    assert np.isnan(unpack_timestamp(np.array([0, (24 << 26) | (13 << 22) | (1 << 17)]))).all()


@pytest.mark.parametrize("fmt, spc", [("packed", 120), ("unpacked", 80)])
def test_ax3_signals_rate_time_and_aux(tmp_path, counts, fmt, spc):
    n_sec = -(-counts.shape[1] // spc)
    temp_raw = np.arange(n_sec) + 250
    path = write_cwa(tmp_path / f"{fmt}.cwa", counts, fmt=fmt, start=START,
                     temperature=temp_raw, light=np.arange(n_sec) * 10 + 100, battery=200)
    assert detect(path).name == "cwa"
    rec = read(path)
    assert rec.fs == 100.0 and rec.n_samples == counts.shape[1]
    assert rec.ch_names == ("acc_x", "acc_y", "acc_z") and rec.ch_units == ("m/s^2",) * 3
    np.testing.assert_allclose(rec.data, counts / 256 * G0, rtol=0, atol=1e-12)
    # 15-bit fractional time: start within 1/32768 s
    assert abs((rec.start - START.replace(tzinfo=UTC)).total_seconds()) < 1 / 32768
    assert rec.inferred["fractional_timestamps"] is True and rec.inferred["resampled"] is False
    # once-per-sector values: a slow recording from read_cwa_aux, a summary in meta
    aux = read_cwa_aux(path)
    assert aux.fs == pytest.approx(100 / spc) and aux.ch_units == ("degC", "au", "V")
    assert aux.start == rec.start and aux.n_samples == n_sec and not rec.streams
    summary = rec.meta["aux_summary"]
    assert summary["temp"]["first"] == pytest.approx(250 * 75 / 256 - 50)
    assert summary["temp"]["last"] == pytest.approx((250 + n_sec - 1) * 75 / 256 - 50)
    assert summary["battery"]["mean"] == pytest.approx((200 + 512) * 6 / 1024)
    np.testing.assert_allclose(aux.get("temp"), temp_raw * 75 / 256 - 50)
    np.testing.assert_allclose(aux.get("light"), np.arange(n_sec) * 10 + 100)
    np.testing.assert_allclose(aux.get("battery"), (200 + 512) * 6 / 1024)
    assert rec.meta["device_id"] == 12345 and rec.meta["session_id"] == 777
    assert rec.meta["hardware"] == "AX3" and rec.meta["range_g"] == 8
    assert rec.meta["metadata"]["_n"] == "glute test"
    assert rec.meta["n_bad_sectors"] == 0


def test_bad_sector_is_skipped_filled_and_reported(tmp_path, counts):
    path = write_cwa(tmp_path / "bad.cwa", counts, corrupt=[3])
    rec = read(path)
    assert rec.n_samples == counts.shape[1]  # time stays continuous
    assert list(rec.meta["bad_sectors"]) == [3] and rec.meta["n_bad_sectors"] == 1
    assert any("1 of 9 data sectors are bad" in w for w in rec.warnings)
    good = np.ones(counts.shape[1], bool)
    good[360:480] = False
    np.testing.assert_allclose(rec.data[:, good], counts[:, good] / 256 * G0, atol=1e-12)
    # the gap is a straight line between the neighbours
    x = rec.data[0, 359:481]
    np.testing.assert_allclose(x, np.linspace(x[0], x[-1], x.size), atol=1e-9)


def test_ax6_gyro_and_whole_second_timestamps(tmp_path, counts, rng):
    gyro = rng.integers(-3000, 3000, counts.shape)
    path = write_cwa(tmp_path / "ax6.cwa", counts * 16, fmt="ax6", accel_scale_n=4,
                     gyro_counts=gyro, gyro_n=3, fractional=False, start=START)
    rec = read(path)
    assert rec.ch_names == ("acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z")
    assert rec.ch_units[3:] == ("rad/s",) * 3 and rec.meta["hardware"] == "AX6"
    np.testing.assert_allclose(rec.get(["acc_x", "acc_y", "acc_z"]), counts / 256 * G0,
                               atol=1e-12)
    # gyro_n = 3 → full scale 8000 / 2**3 = 1000 dps
    np.testing.assert_allclose(rec.get(["gyro_x", "gyro_y", "gyro_z"]),
                               gyro * 1000 / 32768 * np.pi / 180, atol=1e-12)
    assert rec.inferred["fractional_timestamps"] is False
    assert abs((rec.start - START.replace(tzinfo=UTC)).total_seconds()) < 1e-6


def test_clock_drift_is_resampled_and_reported(tmp_path, counts):
    path = write_cwa(tmp_path / "drift.cwa", counts, clock_rate=101.0)
    rec = read(path)
    assert rec.fs == 100.0 and rec.inferred["resampled"] is True
    assert rec.inferred["fs_achieved_hz"] == pytest.approx(101.0, rel=1e-4)
    assert rec.duration == pytest.approx(counts.shape[1] / 101.0, abs=0.02)
    assert any("resampled" in w for w in rec.warnings)


def test_block_boundaries_do_not_change_the_result(tmp_path, counts, monkeypatch):
    path = write_cwa(tmp_path / "b.cwa", counts, corrupt=[2])
    whole = read(path)
    monkeypatch.setattr(cwa_mod, "BLOCK_SECTORS", 2)
    blocks = read(path)
    np.testing.assert_array_equal(whole.data, blocks.data)
    assert whole.start == blocks.start


def test_events_are_reported(tmp_path, counts):
    rec = read(write_cwa(tmp_path / "e.cwa", counts, events={0: 1, 4: 1}))
    assert list(rec.meta["events"]["resume_logging_sectors"]) == [0, 4]


def test_info_cli_on_built_file(tmp_path, counts, capsys):
    path = write_cwa(tmp_path / "i.cwa", counts)
    assert main(["info", "--json", str(path)]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["format"] == "cwa" and info["fs_hz"] == 100.0 and info["duration_s"] == 10.0
    assert [c["unit"] for c in info["channels"]] == ["m/s^2"] * 3
    assert info["meta"]["aux_summary"]["light"]["unit"] == "au"


def test_malformed_files(tmp_path, counts):
    good = write_cwa(tmp_path / "g.cwa", counts).read_bytes()
    header_only = tmp_path / "h.cwa"
    header_only.write_bytes(good[:1024])
    with pytest.raises(FormatError, match="no data sectors"):
        read(header_only, format="cwa")
    all_bad = tmp_path / "a.cwa"
    all_bad.write_bytes(good[:1024] + b"\x00" * 2048)
    with pytest.raises(FormatError, match="none of the 4"):
        read(all_bad, format="cwa")
    not_md = tmp_path / "n.cwa"
    not_md.write_bytes(b"XX" + good[2:])
    with pytest.raises(FormatError):
        read(not_md, format="cwa")
    truncated = tmp_path / "t.cwa"
    truncated.write_bytes(good[:1024 + 512 * 3 + 100])
    rec = read(truncated)
    assert rec.n_samples == 360 and any("trailing bytes" in w for w in rec.warnings)


@pytest.mark.slow
def test_two_hours_read_with_bounded_memory(tmp_path, rng):
    """Streaming: the peak allocation stays within a small multiple of the output array."""
    import tracemalloc

    n = 720_000  # 2 h at 100 Hz, 9000 unpacked sectors
    acc = rng.integers(-2000, 2000, (3, n))
    path = write_cwa(tmp_path / "big.cwa", acc, fmt="unpacked")
    tracemalloc.start()
    try:
        rec = cwa_mod.read_cwa(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert rec.n_samples == n
    np.testing.assert_allclose(rec.data[:, -5:], acc[:, -5:] / 256 * G0)
    assert peak < 3.5 * rec.data.nbytes, (peak, rec.data.nbytes)


def test_gzipped_cwa(tmp_path, counts):
    import gzip

    raw = write_cwa(tmp_path / "z.cwa", counts).read_bytes()
    gz = tmp_path / "z.cwa.gz"
    gz.write_bytes(gzip.compress(raw))
    assert detect(gz).name == "cwa-gz"
    rec = read(gz)
    np.testing.assert_allclose(rec.data, counts / 256 * G0, atol=1e-12)
    assert rec.meta["compressed"] == "gzip"
    broken = tmp_path / "b.cwa.gz"
    broken.write_bytes(gzip.compress(raw)[:3000])
    with pytest.raises(FormatError):
        read(broken)
