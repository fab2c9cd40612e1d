"""phyphox exports (formats.md §1.1): the five CSV variants, minimal CSV, xlsx, pauses, traps."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import numpy as np
import pytest
from builders.phone_apps import (START, android_stamps, phone_recording, replace_member, truncate,
                                 truth)

from glutesense.errors import FormatError
from glutesense.io import detect, read
from glutesense.io.phyphox import CSV_VARIANTS, java_scientific, wall_clock, write_phyphox

FS = 100.0
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def regular():
    t = np.arange(1000) / FS
    return t, phone_recording(t, FS)


def _close(a, b):
    """Equal within the 10 significant digits of the Java number format."""
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)


def test_java_number_format_matches_the_pattern():
    # DecimalFormat("0.000000000E0"): 10 significant digits, bare exponent (formats.md §1.1)
    assert java_scientific(np.array([9.80665, -0.0123, 0.0, 123456.78949, np.nan])) == [
        "9.806650000E0", "-1.230000000E-2", "0.000000000E0", "1.234567895E5", "NaN"]
    assert java_scientific(np.array([9.80665]), ",") == ["9,806650000E0"]


@pytest.mark.parametrize("variant", [1, 2, 3, 4, 5])
def test_csv_variants_round_trip(tmp_path, regular, variant):
    t, rec = regular
    path = tmp_path / "Acceleration with g 2026-03-14.zip"
    write_phyphox(rec, path, variant=variant)
    sep, dec, _ = CSV_VARIANTS[variant]
    with zipfile.ZipFile(path) as z:
        assert sorted(z.namelist()) == ["Raw Data.csv", "meta/device.csv", "meta/time.csv"]
        lines = z.read("Raw Data.csv").decode().splitlines()
    assert lines[0] == sep.join(f'"{h}"' for h in (
        "Time (s)", "Acceleration x (m/s^2)", "Acceleration y (m/s^2)",
        "Acceleration z (m/s^2)", "Absolute acceleration (m/s^2)"))
    number = rf"-?\d{re.escape(dec)}\d{{9}}E-?\d+"
    assert re.fullmatch(sep.join([number] * 5), lines[1]), lines[1]

    assert detect(path).name == "phyphox-zip"
    got = read(path)
    assert got.meta["app"] == "phyphox" and got.meta["format"] == "phyphox-zip"
    assert got.inferred["csv_variant"]["index"] == variant
    assert got.fs == FS and got.n_samples == t.size and got.duration == pytest.approx(10.0)
    assert got.start == START
    assert got.inferred["gravity_included"] is True
    assert list(got.inferred["ignored_columns"]) == ["Absolute acceleration (m/s^2)"]
    assert got.ch_names == ("acc_x", "acc_y", "acc_z") and got.ch_units == ("m/s^2",) * 3
    _close(got.data, rec.data)


def test_minimal_csv(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "minimal.csv"
    write_phyphox(rec, path, variant=4, minimal=True)
    assert path.read_bytes().startswith(b'"Time (s)"\t"Acceleration x (m/s^2)"')
    assert detect(path).name == "phyphox-csv"
    got = read(path)
    assert got.start is None and got.fs == FS
    _close(got.data, rec.data)


def test_xlsx_export(tmp_path, regular):
    from python_calamine import CalamineWorkbook

    _, rec = regular
    path = tmp_path / "export.xlsx"
    write_phyphox(rec, path, variant="xlsx",
                  device={"deviceModel": "Pixel 7", "deviceManufacturer": "Google",
                          "deviceRelease": "14"})
    wb = CalamineWorkbook.from_path(str(path))  # an independent xlsx reader sees the layout
    assert list(wb.sheet_names) == ["Raw Data", "Metadata Device", "Metadata Time"]
    head = wb.get_sheet_by_name("Raw Data").to_python(nrows=2)
    assert head[0][0] == "Time (s)" and head[1][3] == pytest.approx(rec.data[2, 0])
    wb.close()
    assert detect(path).name == "phyphox-xlsx"
    got = read(path)
    np.testing.assert_array_equal(got.data, rec.data)  # Java Double.toString is exact
    assert got.start == START
    assert got.meta["device"] == "Google Pixel 7" and got.meta["os"] == "Android 14"


def test_minimal_xlsx_without_metadata_sheets(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "minimal.xlsx"
    write_phyphox(rec, path, variant="xlsx", minimal=True)
    assert detect(path).name == "phyphox-xlsx"
    got = read(path)
    assert got.start is None
    np.testing.assert_array_equal(got.data, rec.data)


def test_pauses_give_absolute_time_by_the_formula(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "paused.zip"
    write_phyphox(rec, path, variant=3)
    # meta/time.csv written by hand from formats.md: START at 0, PAUSE at 3 s for 5 s,
    # PAUSE at 6 s for 2.5 s, stop at 10 s. Local time in the text column (UTC+01:00).
    s0 = START.timestamp()
    rows = [("START", 0.0, s0), ("PAUSE", 3.0, s0 + 3), ("START", 3.0, s0 + 8),
            ("PAUSE", 6.0, s0 + 11), ("START", 6.0, s0 + 13.5), ("PAUSE", 10.0, s0 + 17.5)]
    cet = dt.timezone(dt.timedelta(hours=1))

    def local(s):
        return dt.datetime.fromtimestamp(s, cet).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3]

    text = '"event";"experiment time";"system time";"system time text"\n' + "".join(
        f'"{e}";{x:.9E};{s:.3f};"{local(s)} UTC+01:00"\n' for e, x, s in rows)
    replace_member(path, "meta/time.csv", text.replace("E+0", "E").replace("E-0", "E-"))
    got = read(path)
    assert got.start == START
    assert [p["length_s"] for p in got.meta["pauses"]] == pytest.approx([5.0, 2.5])
    assert any("paused 2 time(s)" in w for w in got.warnings)
    # a sample at t = 7 s lies after both pauses: last START at or before it is (6 s, s0 + 13.5)
    assert wall_clock(got, 7.0) == pytest.approx(s0 + 13.5 + (7.0 - 6.0), abs=1e-6)
    assert wall_clock(got, 2.0) == pytest.approx(s0 + 2.0, abs=1e-6)
    assert got.n_samples == rec.n_samples  # Time (s) has no gap across a pause


def test_writer_logs_pauses(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "paused.zip"
    write_phyphox(rec, path, pauses=[(4.0, 30.0)])
    got = read(path)
    assert wall_clock(got, 5.0) == pytest.approx(START.timestamp() + 35.0, abs=1e-6)


def test_localised_names_and_linear_acceleration(tmp_path):
    t = np.arange(600) / FS
    rec = phone_recording(t, FS, gravity=False)
    path = tmp_path / "linear.zip"
    names = ("Zeit (s)", "Lineare Beschleunigung x (m/s²)", "Lineare Beschleunigung y (m/s²)",
             "Lineare Beschleunigung z (m/s²)", "Betrag (m/s²)")
    write_phyphox(rec, path, variant=5, gravity=False, headers=names)
    got = read(path)
    assert got.inferred["gravity_included"] is False
    assert got.inferred["columns"]["acc_y"] == names[2]
    _close(got.data, truth(t, gravity=False))


def test_columns_matched_by_unit_and_axis_not_position(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "custom.zip"
    write_phyphox(rec, path)
    with zipfile.ZipFile(path) as z:
        lines = z.read("Raw Data.csv").decode().splitlines()
    # reorder to abs, z, time, x, y with French names
    order = [4, 3, 0, 1, 2]
    names = ['"Accélération absolue (m/s^2)"', '"Accélération z (m/s^2)"', '"Temps (s)"',
             '"Accélération x (m/s^2)"', '"Accélération y (m/s^2)"']
    body = [",".join(names)] + [",".join(np.array(r.split(","))[order]) for r in lines[1:]]
    replace_member(path, "Raw Data.csv", "\n".join(body) + "\n")
    got = read(path)
    _close(got.data, rec.data)


def test_formula_guard_is_stripped(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "guard.zip"
    write_phyphox(rec, path, headers=("+t (s)", "=Acc x (m/s^2)", "-Acc y (m/s^2)",
                                      "@Acc z (m/s^2)", "|a| (m/s^2)"))
    with zipfile.ZipFile(path) as z:
        header = z.read("Raw Data.csv").decode().splitlines()[0]
    assert header.startswith('"\'+t (s)","\'=Acc x (m/s^2)","\'-Acc y (m/s^2)","\'@Acc z')
    got = read(path)
    assert got.inferred["columns"]["acc_x"] == "=Acc x (m/s^2)"
    _close(got.data, rec.data)


def test_nan_padding_of_unequal_columns(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "padded.zip"
    write_phyphox(rec, path)
    with zipfile.ZipFile(path) as z:
        text = z.read("Raw Data.csv").decode()
    replace_member(path, "Raw Data.csv", text + "1.000000000E1,NaN,NaN,NaN,NaN\n")
    got = read(path)
    assert got.inferred["nan_padded_rows"] == 1 and got.n_samples == rec.n_samples
    assert any("padded with NaN" in w for w in got.warnings)


def test_jittered_phone_stamps(tmp_path, rng):
    t = android_stamps(3000, 100.0, rng, jitter_s=4e-4)
    rec = phone_recording(t, 100.0)
    path = tmp_path / "jitter.zip"
    write_phyphox(rec, path, timestamps=t)
    got = read(path)
    dt_ = np.diff(t)
    assert got.inferred["fs_achieved_hz"] == pytest.approx(1 / dt_.mean(), rel=0.01)
    assert got.inferred["jitter_s"] == pytest.approx(dt_.std(), rel=0.01)
    assert got.inferred["resampled"] is True
    # linear interpolation error of the test signal at 100 Hz is < 1e-3 m/s²
    np.testing.assert_allclose(got.data, truth(got.times), atol=2e-3)


def test_device_metadata(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "dev.zip"
    write_phyphox(rec, path, device={"deviceModel": "SM-G991B", "deviceManufacturer": "samsung",
                                     "deviceRelease": "13", "version": "1.2.0"})
    got = read(path)
    assert got.meta["device"] == "samsung SM-G991B"
    assert got.meta["os"] == "Android 13" and got.meta["app_version"] == "1.2.0"


def test_missing_acceleration_columns(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "gyro.zip"
    write_phyphox(rec, path, headers=("Time (s)", "Gyroscope x (rad/s)", "Gyroscope y (rad/s)",
                                      "Gyroscope z (rad/s)", "Absolute (rad/s)"))
    with pytest.raises(FormatError, match="acceleration x, y, z"):
        read(path)


def test_zip_without_the_data_csv(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "meta-only.zip"
    write_phyphox(rec, path)
    replace_member(path, "Raw Data.csv", None)
    with pytest.raises(FormatError, match="no data set"):
        read(path)


def test_truncated_zip(tmp_path, regular):
    _, rec = regular
    path = tmp_path / "cut.zip"
    write_phyphox(rec, path)
    truncate(path)
    with pytest.raises(FormatError, match="truncated") as info:
        read(path)
    assert "cut.zip" in str(info.value)


def test_example_file_is_read_by_the_cli(capsys):
    from glutesense.cli import main

    path = REPO / "examples" / "data" / "phyphox-back-pocket.zip"
    assert path.stat().st_size < 300_000
    assert main(["info", str(path), "--json"]) == 0
    out = capsys.readouterr().out
    rec = read(path)
    assert '"phyphox-zip"' in out
    assert 55 <= rec.duration <= 65 and 95 <= rec.inferred["fs_achieved_hz"] <= 105
    assert rec.inferred["gravity_included"] is True and rec.start is not None


def test_example_file_is_reproduced_by_its_script(tmp_path):
    import importlib.util

    script = REPO / "examples" / "make_example_data.py"
    spec = importlib.util.spec_from_file_location("make_example_data", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = module.main(tmp_path / "again.zip")
    assert out.read_bytes() == (REPO / "examples" / "data" / "phyphox-back-pocket.zip").read_bytes()
