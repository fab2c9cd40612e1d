"""The generic CSV reader on the real third-party recordings in ``../shared/reference``.

Every expected rate is measured here from the raw file with plain numpy/csv
(independently of the reader), cross-checked with ``reference/README.md`` and
the upstream metadata where they give one. Where the README and the raw file
disagree the raw file wins and the test says so:

* washing machine: README "A ≈100 Hz"; the A rows' time stamps give ≈92.0 Hz
  (10 ms steps with a 14 ms step whenever an M row is interleaved);
* MuSe files 1, 2, 4: README "100 Hz"; the time stamps give ≈101.6 rows/s;
* MuSe stale rows: README "drop the first 13"; the raw files have 14 rows
  stamped with the stale time (one 14-row write block: every second holds
  98 = 7×14 or 112 = 8×14 rows), and all 14 are dropped.

Files without a stated licence are only read from the fixture, never copied.
Attribution: skdh data (MIT, scikit-digital-health); BDS (CC-BY 4.0, Santos &
Duarte 2016, PeerJ 4:e2648).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

import glutesense.io as gio
from glutesense.errors import SamplingRateError
from glutesense.io.generic_csv import read_generic_csv
from glutesense.units import G0

ACC = ("acc_x", "acc_y", "acc_z")


def _rel(rec_fs: float, expected: float, tol: float = 0.01) -> None:
    assert abs(rec_fs - expected) <= tol * expected, (rec_fs, expected)


def _acc_norm(rec) -> float:
    return float(np.median(np.linalg.norm(rec.get(ACC), axis=0)))


def _check_duration(rec, span_s: float) -> None:
    """A uniform grid over the time stamps' span: duration = span + one sample."""
    assert abs(rec.duration - span_s) <= 2.0 / rec.fs, (rec.duration, span_s)


# ---------------------------------------------------------------------- driver behaviour
@pytest.mark.parametrize("name, gravity", [("trip17_acelerometro_terra.csv", True),
                                           ("trip17_aceleracaoLinear_terra.csv", False)])
def test_driver_behavior(reference_dir: Path, name: str, gravity: bool) -> None:
    folder = reference_dir / "accelerometer" / "driver_behavior"
    path = folder / name
    raw = np.loadtxt(path, delimiter=",", skiprows=1, usecols=(1, 2, 3, 4))
    up = raw[:, 0] / 1e9
    expected_fs = (up.size - 1) / (up[-1] - up[0])       # ≈ 50.94 Hz (README: ≈51 Hz)
    assert 50 < expected_fs < 52
    assert gio.detect(path).name == "generic-csv"
    rec = gio.read(path)
    _rel(rec.fs, expected_fs)
    _check_duration(rec, up[-1] - up[0])
    assert rec.ch_names == ACC and rec.ch_units == ("m/s^2",) * 3
    assert rec.inferred["time_column"] == "uptimeNanos" and rec.inferred["time_unit"] == "ns"
    assert rec.inferred["gravity_included"] is gravity
    assert rec.inferred["acc_unit"] == "m/s^2"
    # interpolation onto the uniform grid keeps each axis's mean (already in m/s²)
    np.testing.assert_allclose(rec.get(ACC).mean(axis=1), raw[:, 1:].mean(axis=0), atol=0.02)
    raw_norm = float(np.median(np.linalg.norm(raw[:, 1:], axis=1)))
    assert (raw_norm == pytest.approx(G0, rel=0.05)) is gravity
    # start: the wall-clock `timestamp` text refined by uptimeNanos; compare with viagem.json
    # (its local time, -03:00; the file's clock text has no zone, so it is read as UTC).
    trip = json.loads((folder / "trip17_viagem.json").read_text())
    t_start = dt.datetime.strptime(trip["start"][:23], "%Y-%m-%d %H:%M:%S.%f")
    first_row = t_start + dt.timedelta(
        seconds=(raw[0, 0] - trip["firstCollectionUptimeNanos"]) / 1e9)
    assert rec.start is not None
    assert abs((rec.start.replace(tzinfo=None) - first_row).total_seconds()) < 0.05
    assert "UTC" in rec.inferred["start_timezone"]


# ---------------------------------------------------------------------- washing machine
@pytest.mark.parametrize("name", ["machine_off.csv", "collect_water_and_prewash.csv",
                                  "start_centrif.csv"])
def test_washing_machine_long_format(reference_dir: Path, name: str) -> None:
    path = reference_dir / "accelerometer" / "washing_machine_wascherei" / name
    with open(path, newline="") as f:
        rows = list(csv.reader(f))[1:]
    acc = np.array([[float(r[0]), float(r[2]), float(r[3]), float(r[4])]
                    for r in rows if r[1] == "A"])
    kinds = {r[1] for r in rows}
    assert kinds == {"A", "G", "M"}                      # the trap: interleaved sensors
    t = acc[:, 0] / 1e3
    expected_fs = (t.size - 1) / (t[-1] - t[0])          # ≈ 92.0 Hz (README says ≈100)
    assert 91 < expected_fs < 93
    assert gio.detect(path).name == "generic-csv"
    rec = gio.read(path)
    _rel(rec.fs, expected_fs)
    _check_duration(rec, t[-1] - t[0])
    assert rec.inferred["acc_unit"] == "g" and rec.inferred["gravity_included"] is True
    assert "'A'" in rec.inferred["long_format"]
    # in m/s²: the raw g values times G0 (a G or M row mixed in would break this)
    raw_norm = float(np.median(np.linalg.norm(acc[:, 1:], axis=1)))
    assert _acc_norm(rec) == pytest.approx(raw_norm * G0, rel=0.01)


# ---------------------------------------------------------------------- skdh
def test_skdh_example_no_header(reference_dir: Path) -> None:
    path = reference_dir / "accelerometer" / "skdh" / "example_data_2min.csv"
    raw = np.loadtxt(path, delimiter=",")
    t = raw[:, 0]
    expected_fs = (t.size - 1) / (t[-1] - t[0])          # ≈ 98.4 Hz (README: ≈98 Hz)
    assert 97 < expected_fs < 99.5
    assert gio.detect(path).name == "generic-csv"
    rec = gio.read(path)
    _rel(rec.fs, expected_fs)
    _check_duration(rec, t[-1] - t[0])
    assert rec.inferred["header"] is False
    assert rec.inferred["acc_unit"] == "g" and rec.inferred["gravity_included"] is True
    assert rec.start == dt.datetime.fromtimestamp(t[0], dt.timezone.utc)
    assert rec.channels_of_type("gyro") == ("gyro_x", "gyro_y", "gyro_z")
    assert "deg/s" in rec.inferred["gyro_unit"]
    raw_gyro = float(np.median(np.abs(raw[:, 4:7])))
    rec_gyro = float(np.median(np.abs(rec.get(["gyro_x", "gyro_y", "gyro_z"]))))
    assert rec_gyro == pytest.approx(raw_gyro * np.pi / 180, rel=0.03)
    assert _acc_norm(rec) == pytest.approx(np.median(np.linalg.norm(raw[:, 1:4], axis=1)) * G0,
                                           rel=0.02)


@pytest.mark.parametrize("name", ["motion_test_negative.csv", "motion_test_positive.csv"])
def test_skdh_motion_rate_not_stated(reference_dir: Path, name: str) -> None:
    path = reference_dir / "accelerometer" / "skdh" / name
    raw = np.loadtxt(path, delimiter=",", skiprows=1)
    assert gio.detect(path).name == "generic-csv"
    with pytest.raises(SamplingRateError, match="fs="):
        gio.read(path)
    rec = read_generic_csv(path, fs=50.0)
    assert rec.fs == 50.0 and rec.n_samples == raw.shape[0]
    assert rec.duration == pytest.approx(raw.shape[0] / 50.0)
    assert rec.inferred["acc_unit"] == "g" and rec.inferred["gravity_included"] is True
    assert "given by the caller" in rec.inferred["time_base"]
    np.testing.assert_allclose(rec.get("acc_z"), raw[:, 2] * G0)


# ---------------------------------------------------------------------- MuSe (221e)
def _muse_raw(path: Path) -> tuple[np.ndarray, np.ndarray]:
    raw = np.loadtxt(path, delimiter="\t", skiprows=1, usecols=(1, 2, 3, 4, 5))
    return raw[:, 1], raw


def _muse_stale(ts: np.ndarray) -> int:
    """Rows stamped with the first time stamp when the next stamp jumps by more than a minute."""
    n_first = int(np.argmax(ts != ts[0]))
    return n_first if ts[n_first] - ts[0] > 60 else 0


@pytest.mark.parametrize("name, stated, stale", [
    ("1_Stave_supine_static.txt", 100, 14), ("2_Mattress_supine.txt", 100, 14),
    ("4_Chest_sweater.txt", 100, 14), ("center_sternum.txt", 200, 0)])
def test_muse(reference_dir: Path, name: str, stated: int, stale: int) -> None:
    path = reference_dir / "bcg_scg" / "muse_padova" / name
    ts, raw = _muse_raw(path)
    assert _muse_stale(ts) == stale                      # README: "first 13"; the file: 14
    ts_ok, raw_ok = ts[stale:], raw[stale:]
    # rows per whole second, without the first and last (partial) seconds
    _, counts = np.unique(ts_ok, return_counts=True)
    expected_fs = float(counts[1:-1].mean())
    if name == "center_sternum.txt":
        assert 216 <= expected_fs <= 224                 # README: says 200, really ≈217–224
    else:
        assert 100.5 < expected_fs < 102.5               # README: 100 Hz; the stamps: ≈101.6
    assert gio.detect(path).name == "generic-csv"
    rec = gio.read(path)
    _rel(rec.fs, expected_fs)
    assert rec.inferred["stale_leading_rows"] == stale
    assert rec.inferred["fs_stated_hz"] == stated
    assert rec.inferred["delimiter"] == "tab"
    assert rec.inferred["acc_unit"] == "mg" and rec.inferred["gravity_included"] is True
    assert rec.n_samples == ts_ok.size
    assert rec.duration == pytest.approx(ts_ok.size / expected_fs, rel=0.01)
    np.testing.assert_allclose(rec.get("acc_x"), raw_ok[:, 2] * G0 / 1000)
    if stated == 200:
        assert any("states 200 Hz" in w for w in rec.warnings)


# ---------------------------------------------------------------------- BDS force plate
@pytest.mark.parametrize("trial", range(13, 25))
def test_bds_force_plate(reference_dir: Path, trial: int) -> None:
    path = reference_dir / "posturography" / "bds" / f"BDS{trial:05d}.txt"
    raw = np.loadtxt(path, delimiter="\t", skiprows=1)
    t = raw[:, 0]
    expected_fs = 1.0 / float(np.median(np.diff(t)))    # 100 Hz (README: 100 Hz, 60 s)
    assert expected_fs == pytest.approx(100.0)
    assert gio.detect(path).name == "generic-csv"
    rec = gio.read(path)
    _rel(rec.fs, expected_fs)
    assert rec.n_samples == raw.shape[0] == 6000
    assert rec.duration == pytest.approx(60.0)
    assert rec.ch_types == ("force",) * 3 + ("moment",) * 3 + ("cop",) * 2
    assert rec.ch_units == ("N",) * 3 + ("N*m",) * 3 + ("m",) * 2
    assert rec.ch_names[-2:] == ("cop_x", "cop_y")
    np.testing.assert_allclose(rec.get("cop_x"), raw[:, 7] / 100)       # cm -> m
    np.testing.assert_allclose(rec.get("force_z"), raw[:, 3])
    np.testing.assert_allclose(rec.get("moment_y"), raw[:, 5])
    assert 400 < float(np.median(rec.get("force_z"))) < 500             # subject 2's weight


# ---------------------------------------------------------------------- Bratislava tram
def test_bratislava_smartphone_sample_and_hold(reference_dir: Path) -> None:
    folder = reference_dir / "vehicle" / "bratislava_transit"
    path = folder / "smartphone_01_L3_Skoda_30T.csv"
    raw = np.loadtxt(path)
    t = np.cumsum(raw[:, 3]) / 1e3                       # ms since the previous row
    meta = json.loads((folder / "smartphone_metadata.json").read_text())[path.name[11:]]
    wall = (dt.datetime.fromisoformat(meta["completed"])
            - dt.datetime.fromisoformat(meta["started"])).total_seconds()
    assert abs(t[-1] - wall) < 1.0                       # 824 s both ways
    assert raw.shape[0] / t[-1] == pytest.approx(200, rel=0.01)   # nominal 200 rows/s
    changed = np.r_[True, np.any(raw[1:, :3] != raw[:-1, :3], axis=1)]
    expected_fs = changed.sum() / t[-1]                  # ≈ 51 Hz of real samples
    assert 50 < expected_fs < 52
    assert gio.detect(path).name == "generic-csv"
    rec = gio.read(path)
    _rel(rec.fs, expected_fs)
    _check_duration(rec, t[np.flatnonzero(changed)[-1]] - t[0])
    assert rec.inferred["sample_and_hold"] is True
    assert rec.inferred["fs_nominal_hz"] == 200
    assert rec.inferred["delimiter"] == "whitespace" and rec.inferred["header"] is False
    assert "since the previous row" in rec.inferred["time_base"]
    assert rec.inferred["acc_unit"] == "m/s^2" and rec.inferred["gravity_included"] is True


def test_bratislava_lsm9ds1_needs_rate(reference_dir: Path) -> None:
    path = reference_dir / "vehicle" / "bratislava_transit" / "lsm9ds1_L3_Pionierska_RacianskeMyto.csv"
    raw = np.loadtxt(path, skiprows=1)
    assert raw.shape == (70437, 3)                       # upstream README: 70437 samples, 140.87 s
    assert gio.detect(path).name == "generic-csv"
    with pytest.raises(SamplingRateError, match="no time column"):
        gio.read(path)
    rec = read_generic_csv(path, fs=500)
    assert rec.fs == 500 and rec.n_samples == 70437
    assert rec.duration == pytest.approx(140.874)
    assert rec.inferred["acc_unit"] == "m/s^2" and rec.inferred["gravity_included"] is True
    np.testing.assert_allclose(rec.get(ACC), raw.T)


# ---------------------------------------------------------------------- the CLI
@pytest.mark.parametrize("rel", [
    "accelerometer/driver_behavior/trip17_aceleracaoLinear_terra.csv",
    "accelerometer/washing_machine_wascherei/machine_off.csv",
    "bcg_scg/muse_padova/center_sternum.txt",
    "posturography/bds/BDS00013.txt",
    "vehicle/bratislava_transit/smartphone_01_L3_Skoda_30T.csv",
])
def test_cli_info_json(reference_dir: Path, rel: str, capsys: pytest.CaptureFixture[str]) -> None:
    from glutesense.cli import main

    assert main(["info", str(reference_dir / rel), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["format"] == "generic-csv"
    assert out["fs_hz"] > 5 and out["duration_s"] > 10


def test_cli_info_refuses_without_rate(reference_dir: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    from glutesense.cli import main

    path = reference_dir / "vehicle" / "bratislava_transit" / "lsm9ds1_L3_Pionierska_RacianskeMyto.csv"
    assert main(["info", str(path)]) == 3
    err = capsys.readouterr().err
    assert "sampling rate is not stated" in err and path.name in err
