"""The generic CSV reader on files built here from a known signal (the ground truth)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glutesense.io as gio
from glutesense.errors import (FormatError, ParameterError, SamplingRateError, TimeBaseError,
                               UnitError, UnsupportedFormatError)
from glutesense.io import generic_csv
from glutesense.io.generic_csv import infer_acceleration, read_generic_csv, sniff_layout
from glutesense.units import G0

ACC = ("acc_x", "acc_y", "acc_z")
FS = 100.0
N = 400


def _signal(rng: np.random.Generator, n: int = N, gravity: bool = True) -> np.ndarray:
    """(3, n) acceleration in m/s²: gravity along a tilted z plus a 3 Hz wobble and noise."""
    t = np.arange(n) / FS
    acc = 0.3 * np.sin(2 * np.pi * 3 * t) * np.array([[1.0], [0.5], [0.2]])
    acc = acc + rng.normal(0, 0.02, (3, n))
    if gravity:
        acc += np.array([[0.5], [-0.3], [np.sqrt(G0**2 - 0.34)]])
    return acc


def _write(path: Path, header: list[str] | None, cols: list[np.ndarray] | list[list[str]],
           sep: str = ",", decimal: str = ".", fmt: str = "%.6f") -> Path:
    lines = [sep.join(header)] if header is not None else []
    text_cols = [c if isinstance(c, list) else [fmt % v for v in c] for c in cols]
    for row in zip(*text_cols):
        lines.append(sep.join(v.replace(".", decimal) for v in row))
    path.write_text("\n".join(lines) + "\n")
    return path


def _check_acc(rec, acc: np.ndarray, factor: float = 1.0, atol: float = 1e-4) -> None:
    assert rec.ch_names[:3] == ACC and rec.ch_units[:3] == ("m/s^2",) * 3
    np.testing.assert_allclose(rec.get(ACC), acc * factor, atol=atol * max(factor, 1))


# ---------------------------------------------------------------------- layout
@pytest.mark.parametrize("sep, decimal, name", [
    (",", ".", "comma"), (";", ".", "semicolon"), ("\t", ".", "tab"), ("   ", ".", "whitespace"),
    (";", ",", "semicolon"), ("\t", ",", "tab")])
def test_delimiters_and_decimal_comma(tmp_path: Path, rng, sep, decimal, name) -> None:
    acc = _signal(rng)
    t = np.arange(N) / FS
    path = _write(tmp_path / "a.csv", ["time", "x", "y", "z"], [t, *acc], sep, decimal)
    assert gio.detect(path).name == "generic-csv"
    rec = gio.read(path)
    assert rec.fs == FS and rec.n_samples == N
    assert rec.inferred["delimiter"] == name and rec.inferred["decimal"] == decimal
    _check_acc(rec, acc)


def test_comment_lines_and_quoted_header(tmp_path: Path, rng) -> None:
    acc = _signal(rng)
    path = tmp_path / "c.csv"
    body = "\n".join(f"{i / FS:.4f},{a:.5f},{b:.5f},{c:.5f}" for i, (a, b, c) in enumerate(acc.T))
    path.write_text('# logger v1\n# exported today\n"time","ax","ay","az"\n' + body + "\n")
    rec = gio.read(path)
    _check_acc(rec, acc)


def test_latin1_header_with_unit(tmp_path: Path, rng) -> None:
    acc = _signal(rng)
    t = np.arange(N) / FS
    path = _write(tmp_path / "l1.csv", ["Zeit [s]", "ax (m/s²)", "ay (m/s²)", "az (m/s²)"],
                  [t, *acc], sep=";", decimal=",")
    path.write_bytes(path.read_text().encode("latin-1"))
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    rec = gio.read(path)
    assert rec.inferred["acc_unit"] == "m/s²" and rec.fs == FS
    _check_acc(rec, acc)


def test_sniff_layout_header_detection() -> None:
    assert sniff_layout(["1,2,3", "4,5,6"]).has_header is False
    lay = sniff_layout(["a;b;c", "1,5;2;3", "4;5,25;6"])
    assert lay.has_header and lay.sep == ";" and lay.decimal == ","
    assert lay.names == ("a", "b", "c")


# ---------------------------------------------------------------------- time base
@pytest.mark.parametrize("header, scale, offset, start", [
    ("time (s)", 1.0, 0.0, None),
    ("time_ms", 1e3, 0.0, None),
    ("Millis", 1e3, 123_456.0, None),
    ("t[ns]", 1e9, 5e12, None),
    ("uptimeNanos", 1e9, 1.2e13, None),
    ("time", 1.0, 0.0, None),                   # elapsed s judged by the step
    ("t", 1e3, 0.0, None),                      # elapsed ms judged by the step (10)
    ("timestamp", 1.0, 1.7e9, 1.7e9),           # epoch s
    ("timestamp", 1e3, 1.7e12, 1.7e9),          # epoch ms
    ("timestamp", 1e9, 1.7e18, 1.7e9),          # epoch ns
])
def test_time_units(tmp_path: Path, rng, header, scale, offset, start) -> None:
    acc = _signal(rng)
    t = offset + np.arange(N) / FS * scale
    path = _write(tmp_path / "t.csv", [header, "x", "y", "z"], [t, *acc], fmt="%.4f")
    path.write_text(path.read_text().replace(".0000,", ","))   # integers where they are
    rec = gio.read(path)
    assert rec.fs == pytest.approx(FS, rel=1e-3)
    assert rec.n_samples == N
    if start is None:
        assert rec.start is None
    else:
        assert rec.start == dt.datetime.fromtimestamp(start, dt.timezone.utc)
    _check_acc(rec, acc, atol=2e-3)


def test_datetime_text_with_zone(tmp_path: Path, rng) -> None:
    acc = _signal(rng)
    t0 = dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    stamps = [(t0 + dt.timedelta(seconds=i / FS)).isoformat(timespec="milliseconds")
              for i in range(N)]
    path = _write(tmp_path / "d.csv", ["datetime", "x", "y", "z"], [stamps, *acc])
    rec = gio.read(path)
    assert rec.start == t0.astimezone(dt.timezone.utc)
    assert rec.fs == pytest.approx(FS)
    assert rec.inferred["start_timezone"] == "from the file"
    _check_acc(rec, acc, atol=1e-3)


def test_datetime_text_day_first_without_zone(tmp_path: Path, rng, monkeypatch) -> None:
    monkeypatch.setattr(generic_csv, "_CHUNK_ROWS", 37)   # parse across chunk boundaries
    acc = _signal(rng)
    t0 = dt.datetime(2016, 5, 14, 11, 17, 9)
    stamps = [(t0 + dt.timedelta(seconds=i / FS)).strftime("%d/%m/%Y %H:%M:%S.%f")[:-3]
              for i in range(N)]
    path = _write(tmp_path / "d.csv", ["Date Time", "x", "y", "z"], [stamps, *acc])
    rec = gio.read(path)
    assert rec.start == t0.replace(tzinfo=dt.timezone.utc)
    assert "taken as UTC" in rec.inferred["start_timezone"]
    assert rec.fs == pytest.approx(FS) and rec.n_samples == N


def test_wall_clock_text_refined_by_uptime(tmp_path: Path, rng) -> None:
    """``timestamp,uptimeNanos,x,y,z``: uptime is the time base, the clock text gives the start."""
    acc = _signal(rng)
    true_start = dt.datetime(2016, 5, 14, 11, 17, 9, 432_000)
    rel = np.arange(N) / FS
    clock = [(true_start + dt.timedelta(seconds=s)).strftime("%d/%m/%Y %H:%M:%S") for s in rel]
    up = 1.29e13 + rel * 1e9
    path = _write(tmp_path / "u.csv", ["timestamp", "uptimeNanos", "x", "y", "z"],
                  [clock, [f"{v:.0f}" for v in up], *acc])
    rec = gio.read(path)
    assert rec.inferred["time_column"] == "uptimeNanos"
    err = (rec.start.replace(tzinfo=None) - true_start).total_seconds()
    assert -1 / FS <= err <= 0.0                       # whole-second text, refined to one sample
    assert rec.fs == pytest.approx(FS)


def test_delta_time_column(tmp_path: Path, rng) -> None:
    acc = _signal(rng)
    steps = rng.choice([9.0, 10.0, 11.0], N)
    steps[0] = 0
    path = _write(tmp_path / "dt.csv", ["x", "y", "z", "dt_ms"], [*acc, steps], fmt="%.5f")
    rec = gio.read(path)
    t = np.cumsum(steps) / 1e3
    assert rec.fs == pytest.approx((N - 1) / t[-1], rel=0.01)
    assert "since the previous row" in rec.inferred["time_base"]


def test_stale_leading_rows_and_coarse_stamps(tmp_path: Path, rng) -> None:
    n_stale, n = 5, 1200
    acc = _signal(rng, n)
    rate = 120.0                                      # 120 rows per whole-second stamp
    ts = 1.7e9 + np.floor(np.arange(n) / rate)
    ts[:n_stale] = 1.7e9 - 500                        # a stale block from 500 s before
    path = _write(tmp_path / "s.tsv", ["Timestamp", "AccX", "AccY", "AccZ"],
                  [[f"{v:.0f}" for v in ts], *acc], sep="\t")
    rec = read_generic_csv(path)
    assert rec.inferred["stale_leading_rows"] == n_stale
    assert rec.fs == pytest.approx(rate, rel=0.01)
    assert rec.n_samples == n - n_stale
    assert "coarse" not in rec.inferred.get("time_base", "")
    assert "coarse_time_stamps" in rec.inferred


def test_stated_rate_column_without_time(tmp_path: Path, rng) -> None:
    acc = _signal(rng)
    path = _write(tmp_path / "r.csv", ["Log Freq", "x", "y", "z"], [[str(250)] * N, *acc])
    rec = gio.read(path)
    assert rec.fs == 250.0 and "stated in column 'Log Freq'" in rec.inferred["time_base"]


def test_no_time_column_needs_rate(tmp_path: Path, rng) -> None:
    acc = _signal(rng)
    path = _write(tmp_path / "xyz.csv", ["x", "y", "z"], list(acc))
    with pytest.raises(SamplingRateError, match=r"--fs HZ"):
        gio.read(path)
    rec = read_generic_csv(path, fs=FS)
    assert rec.fs == FS
    _check_acc(rec, acc)
    _check_acc(gio.read(path, fs=FS), acc)


def test_explicit_time_column_and_fs(tmp_path: Path, rng) -> None:
    acc = _signal(rng)
    t = np.arange(N) / FS
    path = _write(tmp_path / "o.csv", ["clockwork", "x", "y", "z"], [t, *acc])
    with pytest.raises(SamplingRateError):
        gio.read(path)
    rec = read_generic_csv(path, time_column="clockwork")
    assert rec.fs == FS
    assert read_generic_csv(path, time_column="clockwork", fs=50.0).fs == 50.0


# ---------------------------------------------------------------------- units
@pytest.mark.parametrize("header, factor", [
    (["ax (g)", "ay (g)", "az (g)"], G0),
    (["Acceleration x [m/s^2]", "Acceleration y [m/s^2]", "Acceleration z [m/s^2]"], 1.0),
    (["AccX_mg", "AccY_mg", "AccZ_mg"], G0 / 1000),
    (["ax_ms2", "ay_ms2", "az_ms2"], 1.0),
    (["accelerometerAccelerationX(G)", "accelerometerAccelerationY(G)",
      "accelerometerAccelerationZ(G)"], G0),
])
def test_units_from_header(tmp_path: Path, rng, header, factor) -> None:
    acc = _signal(rng)
    raw = acc / factor
    t = np.arange(N) / FS
    path = _write(tmp_path / "u.csv", ["time", *header], [t, *raw], fmt="%.8g")
    rec = gio.read(path)
    assert "from the file" in rec.inferred["units"]
    assert rec.inferred["gravity_included"] is True
    _check_acc(rec, acc, atol=1e-5)


@pytest.mark.parametrize("unit, factor", [("g", G0), ("m/s^2", 1.0), ("mg", G0 / 1000)])
def test_units_inferred_with_gravity(tmp_path: Path, rng, unit, factor) -> None:
    acc = _signal(rng)
    t = np.arange(N) / FS
    path = _write(tmp_path / "i.csv", ["time", "x", "y", "z"], [t, *(acc / factor)], fmt="%.8g")
    rec = gio.read(path)
    assert rec.inferred["acc_unit"] == unit and rec.inferred["gravity_included"] is True
    assert "median |a|" in rec.inferred["units"]
    _check_acc(rec, acc, atol=1e-5)


@pytest.mark.parametrize("amp", [0.05, 1.0])
def test_gravity_free_recognised(tmp_path: Path, rng, amp) -> None:
    """Noise at rest and a car's linear acceleration (median |a| ≈ 1, which also fits g)."""
    t = np.arange(2000) / FS
    acc = amp * np.vstack([np.sin(2 * np.pi * 0.3 * t), np.cos(2 * np.pi * 0.2 * t),
                           np.sin(2 * np.pi * 0.7 * t + 1)]) + rng.normal(0, amp / 2, (3, t.size))
    path = _write(tmp_path / "lin.csv", ["time", "x", "y", "z"], [t, *acc], fmt="%.8g")
    rec = gio.read(path)
    assert rec.inferred["gravity_included"] is False
    assert rec.inferred["acc_unit"] == "m/s^2"
    _check_acc(rec, acc, atol=1e-6)


def test_infer_acceleration_keeps_rotating_gravity(rng) -> None:
    """A device tumbling slowly: the mean vector shrinks but |a| stays at 1 g."""
    t = np.arange(5000) / FS
    xyz = np.vstack([np.cos(0.5 * t), np.sin(0.5 * t), 0.1 * np.ones_like(t)])
    xyz /= np.linalg.norm(xyz, axis=0)
    xyz += rng.normal(0, 0.01, xyz.shape)
    guess = infer_acceleration(xyz)
    assert guess.unit == "g" and guess.gravity_included is True


def test_unit_override_and_bad_unit(tmp_path: Path, rng) -> None:
    acc = _signal(rng)
    t = np.arange(N) / FS
    path = _write(tmp_path / "o.csv", ["time", "x", "y", "z"], [t, *(acc / G0)], fmt="%.8g")
    rec = read_generic_csv(path, unit="g")
    _check_acc(rec, acc, atol=1e-5)
    with pytest.raises(ParameterError, match="not an acceleration"):
        read_generic_csv(path, unit="N")
    with pytest.raises(ParameterError, match="unknown unit"):
        read_generic_csv(path, unit="furlongs")
    with pytest.raises(ParameterError, match="fs"):
        read_generic_csv(path, fs=-3)


def test_unit_that_fits_nothing(tmp_path: Path, rng) -> None:
    acc = _signal(rng) * 30                            # |a| ≈ 300: neither g, m/s² nor mg
    t = np.arange(N) / FS
    path = _write(tmp_path / "w.csv", ["time", "x", "y", "z"], [t, *acc])
    with pytest.raises(UnitError, match="cannot infer"):
        gio.read(path)


def test_headerless_time_acc_gyro(tmp_path: Path, rng) -> None:
    acc = _signal(rng)
    gyro = 90 * np.sin(np.arange(N) / FS * 2 * np.pi)[None] * np.array([[1.0], [-0.5], [0.25]])
    t = 1.6e9 + np.arange(N) / FS
    path = _write(tmp_path / "h.csv", None, [t, *(acc / G0), *gyro], fmt="%.6f")
    rec = gio.read(path)
    assert rec.inferred["header"] is False and rec.inferred["acc_unit"] == "g"
    np.testing.assert_allclose(rec.get(["gyro_x", "gyro_y", "gyro_z"]), np.deg2rad(gyro),
                               atol=1e-5)
    _check_acc(rec, acc, atol=1e-5)


def test_force_plate_columns(tmp_path: Path, rng) -> None:
    t = np.arange(1, N + 1) / FS
    fz = 700 + rng.normal(0, 2, N)
    cop = rng.normal(0, 1, N)
    path = _write(tmp_path / "fp.txt", ["Time[s]", "Fz[N]", "My[Nm]", "COPx[cm]"],
                  [t, fz, 0.1 * fz, cop], sep="\t")
    rec = gio.read(path)
    assert rec.ch_names == ("force_z", "moment_y", "cop_x")
    assert rec.ch_units == ("N", "N*m", "m")
    np.testing.assert_allclose(rec.get("cop_x"), cop / 100, atol=1e-8)


def test_long_format_sensor_column(tmp_path: Path, rng, monkeypatch) -> None:
    monkeypatch.setattr(generic_csv, "_CHUNK_ROWS", 50)   # codes must stay consistent across chunks
    acc = _signal(rng) / G0
    rows = []
    for i in range(N):
        ms = 1000 + 10 * i
        rows.append(f"{ms},A,{acc[0, i]:.6f},{acc[1, i]:.6f},{acc[2, i]:.6f}")
        rows.append(f"{ms + 3},G,1.5,-0.3,0.1")
        if i % 5 == 0:
            rows.append(f"{ms + 6},M,-10.0,38.0,-27.0")
    path = tmp_path / "arduino.csv"
    path.write_text("Millis,Sensor,X,Y,Z\n" + "\n".join(rows) + "\n")
    rec = gio.read(path)
    assert rec.fs == FS and rec.n_samples == N
    assert rec.inferred["acc_unit"] == "g"
    assert "'A' rows (400)" in rec.inferred["long_format"]
    _check_acc(rec, acc * G0, atol=1e-5)


def test_text_label_column_is_ignored(tmp_path: Path, rng) -> None:
    acc = _signal(rng)
    t = np.arange(N) / FS
    labels = ["sitting" if i < N // 2 else "walking" for i in range(N)]
    path = _write(tmp_path / "l.csv", ["time", "activity", "x", "y", "z"], [t, labels, *acc])
    rec = gio.read(path)
    assert list(rec.inferred["ignored_columns"]) == ["activity"]
    _check_acc(rec, acc)


# ---------------------------------------------------------------------- malformed input
@pytest.mark.parametrize("content, error, match", [
    ("name,comment\nalice,hello\nbob,world\n", FormatError, "numeric"),
    ("value\n1.0\n2.0\n3.0\n", FormatError, "single column"),
    ("time,x,y,z\n0,nan,nan,nan\n0.01,nan,nan,nan\n0.02,nan,nan,nan\n", UnitError, "no numbers"),
    ("time,a,b,c\n0,1,2,3\n0.01,1,2,3\n0.02,1,2,3\n", FormatError, "no acceleration axes"),
    ("Lorem ipsum dolor sit amet\nconsectetur adipiscing elit\n", FormatError, "numeric"),
    ("time,x,y,z\n0,1,2,3\n", FormatError, "only 1 data row"),
    ("time,x,y,z\n", FormatError, "fewer than 2 lines"),
    ("time,x,y,z\n,0,0,9.8\n,0,0,9.8\n,0,0,9.8\n", FormatError, "time column is empty"),
    ("time,x,y,z\n0,0,0,9.8\n,0,0,9.8\n,0,0,9.8\n", TimeBaseError, "fewer than 2 numbers"),
    ("time,x,y,z\n5,0,0,9.8\n4,0,0,9.8\n3,0,0,9.8\n2,0,0,9.8\n1,0,0,9.8\n0,0,0,9.8\n",
     TimeBaseError, "never increases"),
])
def test_malformed(tmp_path: Path, content, error, match) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    with pytest.raises(error, match=match) as info:
        read_generic_csv(path)
    assert info.value.path == str(path)


def test_garbage_is_not_detected(tmp_path: Path) -> None:
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"\x00\x01\x02binary\xff\xfe" * 100)
    with pytest.raises(UnsupportedFormatError):
        gio.read(path)
    with pytest.raises(FormatError, match="binary"):
        read_generic_csv(path)
    path.write_text("just some words\nand more words here\n")
    with pytest.raises(UnsupportedFormatError):
        gio.read(path)


# ---------------------------------------------------------------------- property: layouts
@settings(max_examples=40, deadline=None)
@given(sep=st.sampled_from([",", ";", "\t", " ", "  "]), comma=st.booleans(), header=st.booleans(),
       values=st.lists(st.lists(st.floats(-1e4, 1e4, allow_nan=False), min_size=4, max_size=4),
                       min_size=3, max_size=20))
def test_sniff_layout_round_trip(sep, comma, header, values) -> None:
    """Any numeric table written with a separator / decimal mark is split back the same way."""
    decimal = "," if comma and sep != "," else "."
    rows = [sep.join(f"{v:.3f}".replace(".", decimal) for v in r) for r in values]
    lines = (["time" + sep + sep.join("xyz")] if header else []) + rows
    lay = sniff_layout(lines)
    assert lay.has_header is header
    assert lay.decimal == decimal
    assert lay.sep == (r"\s+" if sep.startswith(" ") else sep)
    got = [[float(f.replace(",", ".")) for f in r] for r in lay.sample]
    written = [[float(f"{v:.3f}") for v in r] for r in values]  # what the file holds
    np.testing.assert_allclose(got, written, atol=1e-9)
