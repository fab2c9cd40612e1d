"""Sensor Logger exports (formats.md §1.2): zip, single CSV, JSON, SQLite and their traps."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import sqlite3
import zipfile

import numpy as np
import pandas as pd
import pytest
from builders.phone_apps import (START, android_stamps, phone_recording, replace_member, truncate,
                                 truth)

from glutesense.errors import FormatError
from glutesense.io import detect, read
from glutesense.io.sensorlogger import write_sensorlogger

FS = 100.0
START_NS = int(START.timestamp()) * 10**9 + START.microsecond * 1000


@pytest.fixture
def regular():
    t = np.arange(1000) / FS
    return t, phone_recording(t, FS)


def test_android_zip_round_trip(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "2026-03-14_09-26-53.zip"
    write_sensorlogger(rec, path, platform="android", device="Pixel 7")
    with zipfile.ZipFile(path) as z:
        assert {"Accelerometer.csv", "Gravity.csv", "TotalAcceleration.csv",
                "Metadata.csv"} <= set(z.namelist())
        total = pd.read_csv(io.BytesIO(z.read("TotalAcceleration.csv")))
    assert list(total.columns) == ["time", "seconds_elapsed", "z", "y", "x"]
    assert total["time"].iloc[0] == START_NS  # ns since the epoch
    assert detect(path).name == "sensorlogger-zip"
    got = read(path)
    assert got.meta["app"] == "Sensor Logger"
    assert got.meta["platform"] == "android" and got.meta["device"] == "Pixel 7"
    assert got.meta["schema_version"] == "3"
    assert got.fs == FS and got.n_samples == rec.n_samples and got.start == START
    assert got.inferred["gravity_included"] is True
    assert "TotalAcceleration" in got.inferred["gravity_reason"]
    np.testing.assert_array_equal(got.data, rec.data)  # shortest round-trip number text


def test_ios_accelerometer_plus_gravity_equals_android_total(tmp_path, regular):
    _, rec = regular
    write_sensorlogger(rec, tmp_path / "android.zip", platform="android")
    write_sensorlogger(rec, tmp_path / "ios.zip", platform="ios")
    with zipfile.ZipFile(tmp_path / "ios.zip") as z:
        assert "TotalAcceleration.csv" not in z.namelist()
        grav = pd.read_csv(io.BytesIO(z.read("Gravity.csv")))
        acc_t = pd.read_csv(io.BytesIO(z.read("Accelerometer.csv")))["time"]
    # iOS gravity points along -z for a phone whose raw z reads about +9.4 (COORDINATES.md)
    assert grav["z"].median() == pytest.approx(-9.4, abs=0.2)
    assert not np.array_equal(grav["time"].to_numpy(), acc_t.to_numpy())  # own clock ticks
    ios, android = read(tmp_path / "ios.zip"), read(tmp_path / "android.zip")
    assert ios.inferred["gravity_included"] is True
    assert "Gravity interpolated" in ios.inferred["gravity_reason"]
    assert "flipped" in ios.inferred["sign_convention"]
    inner = slice(1, -1)  # the first accelerometer sample precedes the first gravity tick
    np.testing.assert_allclose(ios.data[:, inner], android.data[:, inner], atol=1e-4)
    np.testing.assert_allclose(ios.data, android.data, atol=2e-3)


def test_columns_mapped_by_name_not_position(tmp_path):
    # written by hand: z, y, x columns carry 3, 2, 1 (+ a ramp), so a positional reader fails
    n = 400
    t = np.arange(n) / FS
    text = "time,seconds_elapsed,z,y,x\n" + "".join(
        f"{START_NS + int(round(ti * 1e9))},{ti!r},{9.0 + 0.01 * i},{2.0 + 0.01 * i},"
        f"{1.0 + 0.01 * i}\n" for i, ti in enumerate(t))
    path = tmp_path / "TotalAcceleration.csv"
    path.write_text(text)
    assert detect(path).name == "sensorlogger-csv"
    got = read(path)
    ramp = 0.01 * np.arange(n)
    np.testing.assert_allclose(got.get("acc_x"), 1.0 + ramp, atol=1e-12)
    np.testing.assert_allclose(got.get("acc_y"), 2.0 + ramp, atol=1e-12)
    np.testing.assert_allclose(got.get("acc_z"), 9.0 + ramp, atol=1e-12)
    assert got.inferred["gravity_included"] is True and got.start == START


def test_single_accelerometer_csv_is_gravity_free(tmp_path):
    t = np.arange(500) / FS
    rec = phone_recording(t, FS, gravity=False)
    path = tmp_path / "Accelerometer.csv"
    write_sensorlogger(rec, path, kind="csv")
    assert path.read_text().startswith("time,seconds_elapsed,z,y,x\n")
    got = read(path)
    assert got.inferred["gravity_included"] is False
    np.testing.assert_array_equal(got.data, rec.data)


def test_accelerometer_alone_in_zip(tmp_path):
    t = np.arange(500) / FS
    rec = phone_recording(t, FS, gravity=False)
    path = tmp_path / "linear.zip"
    write_sensorlogger(rec, path)
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["Accelerometer.csv", "Metadata.csv"]
    got = read(path)
    assert got.inferred["gravity_included"] is False
    assert any("gravity-free" in w for w in got.warnings)
    np.testing.assert_array_equal(got.data, rec.data)


def test_duplicates_dropped_and_reported(tmp_path):
    t = np.arange(800) / FS
    dup = np.sort(np.r_[np.arange(800), [10, 11, 300, 555, 556, 557]])  # six repeated rows
    rec = phone_recording(t[dup], FS)
    path = tmp_path / "dups.zip"
    write_sensorlogger(rec, path, timestamps=t[dup])
    got = read(path)
    assert got.inferred["n_duplicates"] == 6
    assert any("duplicated time stamp" in w for w in got.warnings)
    assert got.n_samples == 800 and got.fs == FS
    np.testing.assert_array_equal(got.data, truth(t))


def test_negative_seconds_elapsed(tmp_path):
    t = -0.05 + np.arange(700) / FS  # five buffered samples before the Start tap
    rec = phone_recording(t, FS)
    path = tmp_path / "early.zip"
    write_sensorlogger(rec, path)
    with zipfile.ZipFile(path) as z:
        first = pd.read_csv(io.BytesIO(z.read("TotalAcceleration.csv"))).iloc[0]
    assert first["seconds_elapsed"] < 0 and first["time"] == START_NS - 50_000_000
    got = read(path)
    assert got.start == START  # the Start tap, not the first sample
    assert got.t0 == pytest.approx(-0.05, abs=1e-9)
    assert got.inferred["n_negative_seconds_elapsed"] == 5
    np.testing.assert_allclose(got.data, truth(got.times), atol=1e-9)


def test_json_export(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "export.json"
    write_sensorlogger(rec, path, kind="json", platform="ios")
    records = json.loads(path.read_text())
    assert {r["sensor"] for r in records} == {"Accelerometer", "Gravity", "Metadata"}
    assert all(isinstance(v, str) for r in records for v in r.values())
    assert detect(path).name == "sensorlogger-json"
    got = read(path)
    assert got.meta["platform"] == "ios" and got.start == START
    np.testing.assert_allclose(got.data[:, 1:-1], rec.data[:, 1:-1], atol=1e-4)


def test_sqlite_export_is_read_without_modification(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "export.sqlite"
    write_sensorlogger(rec, path, kind="sqlite")
    con = sqlite3.connect(path)
    assert {r[0] for r in con.execute("SELECT name FROM sqlite_master")} == {
        "Accelerometer", "Gravity", "TotalAcceleration", "Metadata"}
    con.close()
    before = (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns)
    assert detect(path).name == "sensorlogger-sqlite"
    got = read(path)
    assert (hashlib.sha256(path.read_bytes()).hexdigest(), os.stat(path).st_mtime_ns) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export.sqlite"]  # no -journal/-wal
    np.testing.assert_array_equal(got.data, rec.data)
    assert got.start == START


def test_jittered_phone_stamps(tmp_path, rng):
    t = android_stamps(3000, 100.0, rng, jitter_s=5e-4)
    rec = phone_recording(t, 100.0)
    path = tmp_path / "jitter.zip"
    write_sensorlogger(rec, path, timestamps=t)
    got = read(path)
    dt_ = np.diff(np.round(t * 1e9) / 1e9)
    assert got.inferred["fs_achieved_hz"] == pytest.approx(1 / dt_.mean(), rel=0.01)
    assert got.inferred["jitter_s"] == pytest.approx(dt_.std(), rel=0.01)
    np.testing.assert_allclose(got.data, truth(got.times), atol=2e-3)


def test_zip_without_accelerometer(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "gyro-only.zip"
    write_sensorlogger(rec, path)
    with zipfile.ZipFile(path) as z:
        gyro = z.read("Gravity.csv")
    for name in ("Accelerometer.csv", "TotalAcceleration.csv", "Gravity.csv"):
        replace_member(path, name, None)
    replace_member(path, "Gyroscope.csv", gyro)
    assert detect(path).name == "sensorlogger-zip"
    with pytest.raises(FormatError, match="no Accelerometer.csv or TotalAcceleration.csv"):
        read(path)


def test_missing_axis_column(tmp_path):
    path = tmp_path / "TotalAcceleration.csv"
    path.write_text("time,seconds_elapsed,z,y,x\n" + "".join(
        f"{START_NS + i * 10_000_000},{i / 100},9.8,0.1,\n" for i in range(50)))
    with pytest.raises(FormatError):
        read(path)


def test_truncated_zip(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "cut.zip"
    write_sensorlogger(rec, path)
    truncate(path, 0.5)
    with pytest.raises(FormatError, match="truncated"):
        read(path)


def test_time_must_be_epoch_nanoseconds(tmp_path):
    path = tmp_path / "TotalAcceleration.csv"
    path.write_text("time,seconds_elapsed,z,y,x\n" + "".join(
        f"{i * 10},{i / 100},9.8,0.1,0.2\n" for i in range(50)))
    with pytest.raises(FormatError, match="nanoseconds since the Unix epoch"):
        read(path)


def test_start_keeps_nanosecond_precision_of_the_tap(tmp_path, regular):
    _, rec = regular
    start = dt.datetime(2025, 7, 1, 23, 59, 59, 999999, tzinfo=dt.timezone.utc)
    path = tmp_path / "late.zip"
    write_sensorlogger(rec, path, start=start)
    assert read(path).start == start
