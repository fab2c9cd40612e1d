"""Physics Toolbox Sensor Suite and Science Journal CSV, built here from formats.md §1.3–1.4.

No real export files of these apps are available (reference/README.md), so the
fixtures follow the published forms: Physics Toolbox ``time,gFx,gFy,gFz,TgF``
(iOS ``gFTotal``), ``time,ax,ay,az,aT``, ``;`` and decimal commas, time as
seconds, date-time text or ``MM:SS.f``; Science Journal ``timestamp`` (Unix ms)
or ``relative_time`` with sparse sensor columns ``AccX/AccY/AccZ``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

import glutesense.io as gio
from glutesense.errors import FormatError
from glutesense.io.physicstoolbox import read_physicstoolbox
from glutesense.io.sciencejournal import read_sciencejournal
from glutesense.units import G0

ACC = ("acc_x", "acc_y", "acc_z")
FS = 100.0
N = 500


def _gforce(rng: np.random.Generator, n: int = N) -> np.ndarray:
    """(3, n) acceleration in g with gravity: tilted 1 g plus a 2 Hz wobble."""
    t = np.arange(n) / FS
    g = np.array([[0.1], [-0.2], [np.sqrt(1 - 0.05)]])
    return g + 0.05 * np.sin(2 * np.pi * 2 * t) + rng.normal(0, 0.005, (3, n))


def _table(path: Path, header: list[str], cols: list[list[str]], sep: str = ",") -> Path:
    rows = [sep.join(header)] + [sep.join(r) for r in zip(*cols)]
    path.write_text("\n".join(rows) + "\n")
    return path


def _num(values: np.ndarray, decimal: str = ".") -> list[str]:
    return [f"{v:.6f}".replace(".", decimal) for v in values]


# ---------------------------------------------------------------------- Physics Toolbox
@pytest.mark.parametrize("total, sep, decimal", [("TgF", ",", "."), ("gFTotal", ",", "."),
                                                 ("TgF", ";", ",")])
def test_pt_gforce(tmp_path: Path, rng, total, sep, decimal) -> None:
    g = _gforce(rng)
    t = np.arange(N) / FS
    path = _table(tmp_path / "pt.csv", ["time", "gFx", "gFy", "gFz", total],
                  [_num(t, decimal), *(_num(a, decimal) for a in g),
                   _num(np.linalg.norm(g, axis=0), decimal)], sep)
    assert gio.detect(path).name == "physicstoolbox"
    rec = gio.read(path)
    assert rec.meta["app"] == "Physics Toolbox Sensor Suite"
    assert rec.fs == FS and rec.n_samples == N
    assert rec.inferred["gravity_included"] is True and rec.inferred["acc_unit"] == "g"
    assert "g-Force" in rec.inferred["tool"]
    assert total in rec.inferred["ignored_columns"]
    np.testing.assert_allclose(rec.get(ACC), g * G0, atol=1e-5)


def test_pt_linear_accelerometer(tmp_path: Path, rng) -> None:
    t = np.arange(N) / FS
    lin = rng.normal(0, 0.05, (3, N))                  # at rest, gravity removed: noise
    path = _table(tmp_path / "lin.csv", ["time", "ax", "ay", "az", "aT"],
                  [_num(t), *(_num(a) for a in lin), _num(np.linalg.norm(lin, axis=0))])
    assert gio.detect(path).name == "physicstoolbox"
    rec = gio.read(path)
    assert rec.inferred["gravity_included"] is False and rec.inferred["acc_unit"] == "m/s^2"
    np.testing.assert_allclose(rec.get(ACC), lin, atol=1e-6)


def test_pt_datetime_text(tmp_path: Path, rng) -> None:
    g = _gforce(rng)
    t0 = dt.datetime(2018, 10, 3, 17, 23, 55, 464000)
    stamps = [(t0 + dt.timedelta(seconds=i / FS)).strftime("%Y-%m-%d %H:%M:%S.%f")[:-2]
              for i in range(N)]
    assert stamps[0] == "2018-10-03 17:23:55.4640"
    path = _table(tmp_path / "ios.csv", ["time", "gFx", "gFy", "gFz", "gFTotal"],
                  [stamps, *(_num(a) for a in g), _num(np.linalg.norm(g, axis=0))])
    rec = gio.read(path)
    assert rec.start == t0.replace(tzinfo=dt.timezone.utc)
    assert rec.fs == pytest.approx(FS) and rec.n_samples == N


def test_pt_clock_text_hour_rollover(tmp_path: Path, rng) -> None:
    g = _gforce(rng)
    secs = 59 * 60 + 58.0 + np.arange(N) / FS          # 59:58.00 … 00:02.99 (wraps at the hour)
    clock = [f"{int(s // 60) % 60:02d}:{s % 60:05.2f}" for s in secs]
    assert clock[0] == "59:58.00" and clock[-1] == "00:02.99"
    path = _table(tmp_path / "mmss.csv", ["time", "gFx", "gFy", "gFz", "TgF"],
                  [clock, *(_num(a) for a in g), _num(np.linalg.norm(g, axis=0))], ";")
    rec = gio.read(path)
    assert rec.inferred["clock_rollovers"] == 1
    assert any("rolled over" in w for w in rec.warnings)
    assert rec.fs == pytest.approx(FS) and rec.n_samples == N
    assert rec.inferred["resampled"] is False
    np.testing.assert_allclose(rec.get(ACC), g * G0, atol=1e-5)


def test_pt_multi_record_gyro_in_rad_s(tmp_path: Path, rng) -> None:
    g = _gforce(rng)
    w = rng.normal(0, 0.2, (3, N))                     # rad/s: small; the app states rad/s
    t = np.arange(N) / FS
    path = _table(tmp_path / "multi.csv",
                  ["time", "gFx", "gFy", "gFz", "TgF", "wx", "wy", "wz", "Bx", "By", "Bz"],
                  [_num(t), *(_num(a) for a in g), _num(np.linalg.norm(g, axis=0)),
                   *(_num(a) for a in w), *(_num(a) for a in 40 * g)])
    rec = gio.read(path)
    np.testing.assert_allclose(rec.get(["gyro_x", "gyro_y", "gyro_z"]), w, atol=1e-6)
    assert {"Bx", "By", "Bz"} <= set(rec.inferred["ignored_columns"])


def test_pt_header_must_match(tmp_path: Path, rng) -> None:
    path = _table(tmp_path / "no.csv", ["time", "gFx", "q"], [["0", "1"], ["1", "2"], ["3", "4"]])
    with pytest.raises(FormatError, match="not a Physics Toolbox export"):
        read_physicstoolbox(path)
    assert gio.detect(path).name != "physicstoolbox"


# ---------------------------------------------------------------------- Science Journal
def _sj_rows(rng: np.random.Generator, t0_ms: int, n: int = 300
             ) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Sparse rows: each axis is read 1–2 ms after the previous one, as separate rows."""
    t = np.arange(n) * 10.0                            # 100 Hz, ms
    truth = lambda ms: np.vstack([0.5 + np.sin(2 * np.pi * 1.0 * ms / 1e3),   # noqa: E731
                                  -0.3 + 0.5 * np.cos(2 * np.pi * 0.5 * ms / 1e3),
                                  G0 + 0.2 * np.sin(2 * np.pi * 0.3 * ms / 1e3)])
    rows = []
    for k, ms in enumerate(t):
        for axis, lag in enumerate((0, 1, 3)):
            cells = ["", "", "", f"{rng.uniform(10, 20):.1f}" if axis == 0 and k % 7 == 0 else ""]
            cells[axis] = f"{truth(ms + lag)[axis, 0]:.6f}"
            rows.append(",".join([str(int(t0_ms + ms + lag)), *cells]))
    return rows, t, truth


@pytest.mark.parametrize("time_col, t0_ms", [("timestamp", 1_700_000_000_000),
                                             ("relative_time", 0)])
def test_sj_sparse_rows(tmp_path: Path, rng, time_col, t0_ms) -> None:
    rows, t, truth = _sj_rows(rng, t0_ms)
    path = tmp_path / "Experiment Trial 1.csv"
    path.write_text(f"{time_col},AccX,AccY,AccZ,AmbientLightSensor\n" + "\n".join(rows) + "\n")
    assert gio.detect(path).name == "sciencejournal"
    rec = gio.read(path)
    assert rec.meta["app"] == "Science Journal"
    assert rec.fs == pytest.approx(FS, rel=0.01)
    assert rec.inferred["gravity_included"] is True
    assert list(rec.inferred["ignored_columns"]) == ["AmbientLightSensor"]
    first = rec.inferred["first_time_ms"]              # the file's time of t = 0
    assert t0_ms + 3 <= first <= t0_ms + 20            # every axis has a reading by then
    if t0_ms:
        assert rec.start == dt.datetime.fromtimestamp(first / 1e3, dt.timezone.utc)
    else:
        assert rec.start is None
    # compare with the true signal on the recording's own time axis
    expected = truth(first - t0_ms + rec.times * 1e3)
    np.testing.assert_allclose(rec.get(ACC), expected, atol=2e-3)


def test_sj_not_claiming_other_timestamp_tables(tmp_path: Path, rng) -> None:
    g = _gforce(rng, 50)
    up = 1.29e13 + np.arange(50) * 1e7
    path = _table(tmp_path / "android.csv", ["timestamp", "uptimeNanos", "x", "y", "z"],
                  [["14/05/2016 11:17:09"] * 50, [f"{v:.0f}" for v in up], *(_num(a) for a in g)])
    assert gio.detect(path).name == "generic-csv"
    path = _table(tmp_path / "other.csv", ["timestamp", "AccX", "AccY", "AccZ"],
                  [[f"{v:.3f}" for v in np.arange(50) / FS], *(_num(a) for a in g)])
    assert gio.detect(path).name == "generic-csv"      # seconds, not Unix ms: not Science Journal


def test_sj_missing_axis_readings(tmp_path: Path) -> None:
    rows = [f"{1_700_000_000_000 + i * 10},{i * 0.1:.1f},,9.8" for i in range(20)]
    path = tmp_path / "bad.csv"
    path.write_text("timestamp,AccX,AccY,AccZ\n" + "\n".join(rows) + "\n")
    with pytest.raises(FormatError, match="AccY has fewer than 2 readings"):
        gio.read(path)


def test_sj_header_must_match(tmp_path: Path) -> None:
    path = tmp_path / "x.csv"
    path.write_text("timestamp,Light\n1700000000000,3\n1700000000010,4\n")
    with pytest.raises(FormatError, match="not a Science Journal export"):
        read_sciencejournal(path)
