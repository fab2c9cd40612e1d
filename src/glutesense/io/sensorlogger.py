"""Sensor Logger exports (Kelvin Choi; Android and iOS): reader and writer (formats.md §1.2).

Layouts read
------------
zip of CSVs
    One CSV per sensor (``Accelerometer.csv``, ``TotalAcceleration.csv``,
    ``Gravity.csv``, ..., ``Metadata.csv``).
single CSV
    One sensor file exported alone (header ``time,seconds_elapsed,z,y,x``).
JSON
    One array of records with **string** values, keyed by ``"sensor"``.
SQLite
    One table per sensor; opened read-only (``mode=ro``), never modified.

Traps handled
-------------
* ``Accelerometer`` is gravity-free (user acceleration); Android's
  ``TotalAcceleration`` includes gravity; on iOS gravity is added back from
  ``Gravity`` (interpolated onto the accelerometer's own time stamps, since each
  sensor keeps its own clock ticks). Preference: TotalAcceleration, then
  Accelerometer + Gravity, then Accelerometer alone (gravity_included False).
* iOS reports acceleration and gravity with the opposite sign to Android
  (COORDINATES.md) unless "Standardise Units & Frames" is on; iOS data are
  flipped to the Android convention (a phone lying flat reads +9.81 m/s² on z).
* The axis columns are in the order ``z, y, x``: they are mapped by name.
* ``time`` is ns since the Unix epoch (UTC); ``seconds_elapsed`` counts from
  the Start tap and can be negative (buffered samples). The recording's time
  axis is seconds since the Start tap and :attr:`Recording.start` is the tap.
* Duplicated rows (identical time stamps) are dropped and counted.
* ``Metadata.csv`` (schema ``version``, device name, platform, ...) goes to meta.
"""

from __future__ import annotations

import csv
import datetime as _dt
import json
import re
import sqlite3
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, ParameterError
from ..recording import Recording
from ..units import infer_acc_unit
from ._registry import FormatSpec, Probe, register
from ._table import text_stream
from .canonical import atomic_write
from .phyphox import (_digits, _export_arrays, _open_zip, _peek_zip, _plain, _split_gravity,
                      _zip_writer)

__all__ = ["read_sensorlogger_zip", "read_sensorlogger_csv", "read_sensorlogger_json",
           "read_sensorlogger_sqlite", "write_sensorlogger"]

#: Sensor files/tables the reader uses.
_ACC_SENSORS = ("TotalAcceleration", "Accelerometer", "Gravity")
#: Sensor names Sensor Logger writes (used to recognise an export).
_KNOWN = frozenset((*_ACC_SENSORS, "AccelerometerUncalibrated", "Gyroscope",
                    "GyroscopeUncalibrated", "Orientation", "Magnetometer",
                    "MagnetometerUncalibrated", "Barometer", "Location", "Annotation", "Compass",
                    "Pedometer", "Microphone", "Light", "Battery", "Brightness", "Metadata"))
_HEADER = "time,seconds_elapsed,z,y,x"


# ---------------------------------------------------------------------- value conversion
def _ns(values: np.ndarray, where: str) -> np.ndarray:
    """``time`` values (ints, floats or strings) -> int64 ns, exactly when they are integers."""
    a = np.asarray(values)
    if a.dtype.kind in "iu":
        return a.astype(np.int64)
    if a.dtype.kind != "f":
        s = np.char.strip(a.astype(str))
        try:
            return s.astype(np.int64)
        except (ValueError, OverflowError):
            a = np.array([_float(v) for v in s])
    if not np.all(np.isfinite(a) & (np.abs(a) < 9e18)):
        raise FormatError(f"{where}: the time column has missing, non-numeric or out-of-range "
                          "values")
    return np.round(a).astype(np.int64)


def _float(v: Any) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        return float("nan")


def _num(values: np.ndarray) -> np.ndarray:
    a = np.asarray(values)
    if a.dtype.kind in "iuf":
        return a.astype(np.float64)
    return np.array([_float(v) for v in a], dtype=np.float64)


def _js_number(v: float) -> str:
    """JavaScript's ``Number.prototype.toString`` (how the app writes numbers)."""
    r = repr(float(v))
    if "e" not in r and "n" not in r and not r.endswith(".0"):
        return r
    if v != v or v in (float("inf"), float("-inf")):
        return {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}[r]
    if v == 0:
        return "0"
    sign, ds, e = _digits(v)
    if -7 < e < 21:
        return sign + _plain(ds, e)
    mant = ds[0] + ("." + ds[1:] if len(ds) > 1 else "")
    return f"{sign}{mant}e{'+' if e > 0 else '-'}{abs(e)}"


# ---------------------------------------------------------------------- tables -> Recording
def _axes(table: Mapping[str, np.ndarray], name: str
          ) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """(time ns, seconds_elapsed or None, 3×n x/y/z) of one sensor table, columns by name."""
    cols = {str(k).strip().lower(): v for k, v in table.items()}
    missing = [c for c in ("time", "x", "y", "z") if c not in cols]
    if missing:
        raise FormatError(f"{name} has no {', '.join(missing)} column(s); its columns are "
                          f"{list(table)}")
    t_ns = _ns(cols["time"], name)
    se = _num(cols["seconds_elapsed"]) if "seconds_elapsed" in cols else None
    xyz = np.vstack([_num(cols[a]) for a in ("x", "y", "z")])
    empty = [a for a, row in zip("xyz", xyz) if not np.any(np.isfinite(row))]
    if empty:
        raise FormatError(f"{name}: column(s) {', '.join(empty)} hold no numbers")
    if t_ns.size < 2:
        raise FormatError(f"{name} has fewer than 2 rows")
    med = float(np.median(t_ns))
    if not 1e17 < med < 1e19:
        raise FormatError(f"{name}: the time column ({med:.4g}) is not nanoseconds since the "
                          "Unix epoch")
    return t_ns, se, xyz


def _tap_ns(t_ns: np.ndarray, se: np.ndarray | None) -> int:
    """Wall-clock time (ns) of the Start tap: time - seconds_elapsed (median over rows)."""
    if se is None or not np.any(np.isfinite(se) & (np.abs(se) < 1e9)):
        return int(t_ns.min())
    ok = np.isfinite(se) & (np.abs(se) < 1e9)
    off = t_ns[ok] - np.round(se[ok] * 1e9).astype(np.int64)
    base = int(off.min())  # median of the small differences: float64 cannot hold epoch ns
    return base + int(np.round(np.median((off - base).astype(np.float64))))


def _metadata(rows: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    return {str(k).strip().lower(): str(v).strip() for k, v in (rows[0].items() if rows else ())
            if k is not None and v is not None}


def _build(tables: Mapping[str, Mapping[str, np.ndarray]], md: Mapping[str, str], *,
           fmt: str, sources: str, stem_gravity: bool | None = None) -> Recording:
    """Assemble the acceleration recording from the sensor tables of one export."""
    meta: dict[str, Any] = {"format": fmt, "app": "Sensor Logger", "warnings": [], "inferred": {}}
    inferred, warnings = meta["inferred"], meta["warnings"]
    platform = md.get("platform", "").lower() or None
    standard = any(k.startswith("standardis") and v.lower() in ("true", "1", "yes", "on")
                   for k, v in md.items())
    for key, out in (("version", "schema_version"), ("device name", "device"),
                     ("platform", "platform"), ("appversion", "app_version"),
                     ("recording time", "recording_time")):
        if md.get(key):
            meta[out] = platform if key == "platform" else md[key]
    flip = platform == "ios" and not standard
    if "TotalAcceleration" in tables:
        t_ns, se, xyz = _axes(tables["TotalAcceleration"], "TotalAcceleration")
        gravity, how = True, "TotalAcceleration (acceleration with gravity)"
    elif "Accelerometer" in tables and "Gravity" in tables:
        t_ns, se, xyz = _axes(tables["Accelerometer"], "Accelerometer")
        tg, _, g = _axes(tables["Gravity"], "Gravity")
        tg, first = np.unique(tg, return_index=True)
        g = g[:, first]
        ok = np.all(np.isfinite(g), axis=0)
        if ok.sum() < 2:
            raise FormatError("Gravity has fewer than 2 valid rows")
        rel = (tg[ok] - tg[0]).astype(np.float64)
        at = (t_ns - tg[0]).astype(np.float64)
        xyz = xyz + np.vstack([np.interp(at, rel, g[i, ok]) for i in range(3)])
        outside = int(np.sum((t_ns < tg[ok][0]) | (t_ns > tg[ok][-1])))
        gravity = True
        how = ("Accelerometer (user acceleration) + Gravity interpolated onto the "
               f"accelerometer's time stamps ({outside} samples outside Gravity's time span "
               "used its edge value)")
    elif "Accelerometer" in tables:
        t_ns, se, xyz = _axes(tables["Accelerometer"], "Accelerometer")
        gravity, how = False, "Accelerometer alone (user acceleration: gravity removed)"
        if stem_gravity is None:
            warnings.append("no TotalAcceleration or Gravity data: the acceleration is "
                            "gravity-free (user acceleration only)")
    else:
        raise FormatError(
            "the export holds no Accelerometer or TotalAcceleration data (sensors found: "
            f"{', '.join(sorted(tables)) or 'none'}); enable the accelerometer in the app")
    if stem_gravity is not None:
        guess = infer_acc_unit(xyz, declared="m/s^2")
        if guess.gravity_included is not None and guess.gravity_included != gravity:
            warnings.append(f"the file name says gravity_included={gravity} but {guess.reason}")
    if flip:
        xyz = -xyz
        inferred["sign_convention"] = ("iOS signs flipped to the Android convention "
                                       "(COORDINATES.md; 'Standardise Units & Frames' off)")
    elif platform is None:
        inferred["sign_convention"] = ("platform unknown (no Metadata): Android sign convention "
                                       "assumed")
    else:
        inferred["sign_convention"] = ("Android convention, as recorded" if platform != "ios"
                                       else "iOS standardised to the Android convention by the app")
    tap = _tap_ns(t_ns, se)
    t = (t_ns - tap).astype(np.float64) / 1e9
    n_neg = int(np.sum(se < 0)) if se is not None else 0
    inferred.update({
        "units": "m/s^2 (Sensor Logger UNITS.md)", "gravity_included": gravity,
        "gravity_reason": how, "sources": sources,
        "time_base": ("'time' = ns since the Unix epoch (UTC); t = seconds since the Start tap "
                      "(time - seconds_elapsed), start = the tap"),
        "columns": "z, y, x mapped by name", "n_negative_seconds_elapsed": n_neg})
    if n_neg:
        warnings.append(f"{n_neg} samples have a negative seconds_elapsed (buffered before the "
                        "Start tap); they are kept")
    start = (_dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
             + _dt.timedelta(microseconds=(tap + 500) // 1000))
    return Recording.from_timestamps(
        t, xyz, ch_names=("acc_x", "acc_y", "acc_z"), ch_types=("acc",) * 3,
        ch_units=("m/s^2",) * 3, start=start, meta=meta)


# ---------------------------------------------------------------------- readers
def _csv_table(raw: bytes) -> dict[str, np.ndarray]:
    import pandas as pd

    df = pd.read_csv(text_stream(raw), skipinitialspace=True)
    # writable copies: pandas ≥ 3 (copy-on-write) returns read-only views
    return {str(c).strip(): np.require(df[c].to_numpy(), requirements="W") for c in df.columns}


def _csv_rows(raw: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(text_stream(raw)))


def _members(names: Sequence[str]) -> dict[str, str]:
    """Sensor name -> zip member (``Accelerometer.csv``, possibly inside one folder)."""
    out: dict[str, str] = {}
    for n in names:
        base = n.rsplit("/", 1)[-1]
        if base.lower().endswith(".csv") and not n.startswith(("__MACOSX", "Camera/")):
            out.setdefault(base[:-4], n)
    return out


def read_sensorlogger_zip(path: Path, probe: Probe | None = None) -> Recording:
    """Read a Sensor Logger zip of CSVs."""
    with _open_zip(Path(path), "Sensor Logger") as z:
        members = _members(z.namelist())
        md = _metadata(_csv_rows(z.read(members["Metadata"]))) if "Metadata" in members else {}
        tables = {s: _csv_table(z.read(members[s])) for s in _ACC_SENSORS if s in members}
        if not tables:
            raise FormatError(
                "the Sensor Logger zip has no Accelerometer.csv or TotalAcceleration.csv (it "
                f"holds {', '.join(sorted(m + '.csv' for m in members)) or 'no CSV'}); "
                "enable the accelerometer in the app")
    return _build(tables, md, fmt="sensorlogger-zip",
                  sources=", ".join(f"{s}.csv" for s in tables))


def _stem_gravity(path: Path) -> bool | None:
    stem = path.stem.lower()
    if stem.startswith("totalacceleration"):
        return True
    if stem.startswith("gravity"):
        raise FormatError("this is a Gravity file (the gravity vector alone), not acceleration")
    if stem.startswith("accelerometer") and "uncalibrated" not in stem:
        return False
    return None


def read_sensorlogger_csv(path: Path, probe: Probe | None = None) -> Recording:
    """Read one Sensor Logger sensor CSV exported alone (``time,seconds_elapsed,z,y,x``).

    ``TotalAcceleration*.csv`` includes gravity, ``Accelerometer*.csv`` does
    not; for any other file name the median norm decides.
    """
    path = Path(path)
    by_stem = _stem_gravity(path)
    table = _csv_table(path.read_bytes())
    if by_stem is None:
        _, _, xyz = _axes(table, path.name)
        guess = infer_acc_unit(xyz, declared="m/s^2")
        by_stem = bool(guess.gravity_included)
    sensor = "TotalAcceleration" if by_stem else "Accelerometer"
    return _build({sensor: table}, {}, fmt="sensorlogger-csv", sources=path.name,
                  stem_gravity=by_stem)


def read_sensorlogger_json(path: Path, probe: Probe | None = None) -> Recording:
    """Read a Sensor Logger JSON export (array of records with string values)."""
    data = json.loads(Path(path).read_bytes())
    if not isinstance(data, list):
        raise FormatError("a Sensor Logger JSON export must be an array of records")
    rows: dict[str, list[dict[str, Any]]] = {}
    for i, r in enumerate(data):
        if not isinstance(r, dict) or "sensor" not in r:
            raise FormatError(f"record {i} is not an object with a 'sensor' key")
        rows.setdefault(str(r["sensor"]), []).append(r)
    md = _metadata(rows.get("Metadata", []))
    tables = {}
    for s in _ACC_SENSORS:
        if s in rows:
            keys = [k for k in rows[s][0] if k != "sensor"]
            tables[s] = {k: np.array([r.get(k) for r in rows[s]], dtype=object) for k in keys}
    if not tables:
        raise FormatError("the JSON export has no Accelerometer or TotalAcceleration records "
                          f"(sensors: {', '.join(sorted(rows)) or 'none'})")
    return _build(tables, md, fmt="sensorlogger-json", sources="JSON records")


def _connect_ro(path: Path) -> sqlite3.Connection:
    """Open an SQLite file read-only (URI ``mode=ro``): the file is never modified."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)


def read_sensorlogger_sqlite(path: Path, probe: Probe | None = None) -> Recording:
    """Read a Sensor Logger SQLite export (one table per sensor), read-only."""
    con = _connect_ro(Path(path))
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        tables: dict[str, dict[str, np.ndarray]] = {}
        md: dict[str, str] = {}
        for s in (*_ACC_SENSORS, "Metadata"):
            if s not in names:
                continue
            cur = con.execute(f'SELECT * FROM "{s}"')
            cols = [d[0] for d in cur.description]
            data = cur.fetchall()
            if s == "Metadata":
                md = _metadata([dict(zip(cols, r)) for r in data[:1]])
            else:
                tables[s] = {c: np.array([r[j] for r in data], dtype=object)
                             for j, c in enumerate(cols)}
    finally:
        con.close()
    if not tables:
        raise FormatError("the SQLite export has no Accelerometer or TotalAcceleration table "
                          f"(tables: {', '.join(names) or 'none'})")
    return _build(tables, md, fmt="sensorlogger-sqlite", sources="SQLite tables")


# ---------------------------------------------------------------------- sniffers
def _sniff_zip(p: Probe) -> bool:
    if not p.is_zip:
        peek = _peek_zip(p.head)
        return (peek is not None and peek[0].rsplit("/", 1)[-1][:-4] in _KNOWN
                and peek[1].replace(" ", "").startswith(("time,seconds_elapsed", "version")))
    members = _members(p.zip_names)
    hits = [s for s in members if s in _KNOWN]
    if not hits:
        return False
    with zipfile.ZipFile(p.path) as z, z.open(members[hits[0]]) as f:
        head = f.read(200).decode("utf-8", "replace").lstrip("\ufeff").replace(" ", "")
    return head.startswith("time,seconds_elapsed" if hits[0] != "Metadata" else "version")


def _sniff_csv(p: Probe) -> bool:
    cells = p.first_line.lstrip("\ufeff").replace(" ", "").lower().split(",")
    return cells[:2] == ["time", "seconds_elapsed"] and {"x", "y", "z"} <= set(cells)


def _sniff_json(p: Probe) -> bool:
    text = (p.text or "").lstrip("\ufeff \r\n\t")
    return (text.startswith("[") and re.search(r'"sensor"\s*:', text[:4096]) is not None
            and '"seconds_elapsed"' in text[:4096])


def _sniff_sqlite(p: Probe) -> bool:
    if not p.is_sqlite:
        return False
    con = _connect_ro(p.path)
    try:
        names = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()
    return bool(names & _KNOWN)


# ---------------------------------------------------------------------- writer
def _sensor_tables(rec: Recording, platform: str, timestamps: np.ndarray | None
                   ) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Sensor name -> (seconds since the Start tap, 3×n x/y/z) as the app would log them."""
    t, acc, with_g = _export_arrays(rec, timestamps, None)
    sign = -1.0 if platform == "ios" else 1.0
    if not with_g:
        return {"Accelerometer": (t, sign * acc)}
    g = _split_gravity(acc, rec.fs)
    tg = t + 0.37 / rec.fs  # each sensor keeps its own clock ticks
    g_own = np.vstack([np.interp(tg, t, g[i]) for i in range(3)])
    out = {"Accelerometer": (t, sign * (acc - g)), "Gravity": (tg, sign * g_own)}
    if platform == "android":
        out["TotalAcceleration"] = (t, acc)
    return out


def write_sensorlogger(rec: Recording, path: str | Path, *, kind: str = "zip",
                       platform: str = "android", start: _dt.datetime | None = None,
                       timestamps: np.ndarray | None = None,
                       device: str = "glutesense simulator") -> None:
    """Write *rec* as a Sensor Logger export.

    Parameters
    ----------
    rec : Recording
        Three acceleration channels in m/s² (with gravity unless
        ``rec.inferred["gravity_included"]`` is False).
    path : path-like
        Output file.
    kind : {"zip", "json", "sqlite", "csv"}
        zip of CSVs (``Accelerometer.csv``, ``Gravity.csv``, Android's
        ``TotalAcceleration.csv``, ``Metadata.csv``); a JSON array of records with
        string values; an SQLite file with one table per sensor; or one CSV
        (``TotalAcceleration`` on Android, else ``Accelerometer``).
    platform : {"android", "ios"}
        Android writes TotalAcceleration; iOS writes Accelerometer + Gravity with
        the iOS sign convention (negated).
    start : datetime or None
        Wall-clock time of the Start tap (tz-aware); default ``rec.start``, else
        2026-01-01 UTC. ``time`` = start + seconds_elapsed, in ns.
    timestamps : array_like or None
        Irregular time stamps (s since the Start tap, may be negative or
        repeated) to write instead of ``rec.times``, one per sample.
    device : str
        The ``device name`` written to the metadata.

    Notes
    -----
    Gravity for ``Accelerometer``/``Gravity`` is estimated with a 0.3 Hz
    low-pass; ``Gravity`` rows are stamped 0.37 sample later than the
    accelerometer's (sensors do not share clock ticks). The JSON and SQLite
    exports carry the metadata as a ``Metadata`` record/table.
    """
    if platform not in ("android", "ios"):
        raise ParameterError(f"platform must be 'android' or 'ios', got {platform!r}")
    if kind not in ("zip", "json", "sqlite", "csv"):
        raise ParameterError(f"kind must be zip, json, sqlite or csv, got {kind!r}")
    path = Path(path)
    start = start or rec.start or _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
    if start.tzinfo is None:
        raise ParameterError("start must be timezone-aware")
    delta = start.astimezone(_dt.timezone.utc) - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    tap_ns = (delta.days * 86400 + delta.seconds) * 10**9 + delta.microseconds * 1000
    tables = _sensor_tables(rec, platform, timestamps)
    md = {"version": "3", "device name": device,
          "recording time": start.astimezone(_dt.timezone.utc).strftime("%Y-%m-%d_%H-%M-%S"),
          "platform": platform}

    def rows(name: str) -> list[tuple[int, float, float, float, float]]:
        t, xyz = tables[name]
        ns = tap_ns + np.round(t * 1e9).astype(np.int64)
        return list(zip(ns.tolist(), t.tolist(), xyz[2].tolist(), xyz[1].tolist(),
                        xyz[0].tolist()))

    def csv_bytes(name: str) -> bytes:
        return (_HEADER + "\n" + "".join(
            f"{r[0]},{','.join(_js_number(v) for v in r[1:])}\n" for r in rows(name))).encode()

    if kind == "csv":
        name = "TotalAcceleration" if "TotalAcceleration" in tables else "Accelerometer"
        atomic_write(path, lambda tmp: tmp.write_bytes(csv_bytes(name)))
    elif kind == "zip":
        def _zip(tmp: Path) -> None:
            z, put = _zip_writer(tmp, start)
            with z:
                for name in tables:
                    put(f"{name}.csv", csv_bytes(name))
                put("Metadata.csv", ",".join(md) + "\n" + ",".join(md.values()) + "\n")

        atomic_write(path, _zip)
    elif kind == "json":
        records: list[dict[str, str]] = []
        for name in tables:
            records += [{"sensor": name, "time": str(r[0]), "seconds_elapsed": _js_number(r[1]),
                         "z": _js_number(r[2]), "y": _js_number(r[3]), "x": _js_number(r[4])}
                        for r in rows(name)]
        records.append({"sensor": "Metadata", **md})
        payload = json.dumps(records, indent=2).encode()
        atomic_write(path, lambda tmp: tmp.write_bytes(payload))
    else:
        def _db(tmp: Path) -> None:
            tmp.unlink()
            con = sqlite3.connect(tmp)
            try:
                for name in tables:
                    con.execute(f'CREATE TABLE "{name}" (time INTEGER, seconds_elapsed REAL, '
                                "z REAL, y REAL, x REAL)")
                    con.executemany(f'INSERT INTO "{name}" VALUES (?, ?, ?, ?, ?)', rows(name))
                con.execute("CREATE TABLE Metadata (" + ", ".join(f'"{k}" TEXT' for k in md) + ")")
                con.execute(f"INSERT INTO Metadata VALUES ({', '.join('?' * len(md))})",
                            list(md.values()))
                con.commit()
            finally:
                con.close()

        atomic_write(path, _db)


def _write_default(rec: Recording, path: Path) -> None:
    write_sensorlogger(rec, path, kind="zip")


_MODULE = "glutesense.io.sensorlogger"
register(FormatSpec(
    name="sensorlogger-zip", title="Sensor Logger export (zip of CSV)",
    signature="zip with Accelerometer.csv / TotalAcceleration.csv / Gravity.csv (header "
              "`time,seconds_elapsed,z,y,x`) and Metadata.csv",
    sniff=_sniff_zip, reader=read_sensorlogger_zip, writer=_write_default,
    extensions=(".sensorlogger.zip",), priority=80, module=_MODULE,
    note="TotalAcceleration preferred, else Accelerometer + Gravity, else Accelerometer alone"))
register(FormatSpec(
    name="sensorlogger-csv", title="Sensor Logger single sensor CSV",
    signature="first line `time,seconds_elapsed,` + z, y, x columns (time in ns since the epoch)",
    sniff=_sniff_csv, reader=read_sensorlogger_csv, priority=80, module=_MODULE,
    note="gravity from the file name (TotalAcceleration vs Accelerometer), else the norm"))
register(FormatSpec(
    name="sensorlogger-json", title="Sensor Logger JSON export",
    signature='JSON array of records with "sensor", "time", "seconds_elapsed" (string values)',
    sniff=_sniff_json, reader=read_sensorlogger_json, priority=80, module=_MODULE))
register(FormatSpec(
    name="sensorlogger-sqlite", title="Sensor Logger SQLite export",
    signature="SQLite file with sensor tables (Accelerometer, TotalAcceleration, Gravity, ...); "
              "opened read-only",
    sniff=_sniff_sqlite, reader=read_sensorlogger_sqlite, priority=80, module=_MODULE))
