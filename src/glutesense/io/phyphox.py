"""phyphox exports (RWTH Aachen; Android and iOS): reader and writer (formats.md §1.1).

Layouts read
------------
CSV zip (formats 1-5)
    ``<set>.csv`` per export set (the accelerometer experiments export one set,
    ``Raw Data.csv``) plus ``meta/device.csv`` ("property","value" rows) and
    ``meta/time.csv`` (START/PAUSE events). Five CSV variants: comma, tab or
    semicolon separated with a decimal point; tab or semicolon with a decimal
    comma. Numbers follow the Java pattern ``0.000000000E0`` (``9.806650000E0``).
Minimal CSV
    One plain ``.csv`` with the same header and no ``meta/``.
Excel (format 0)
    ``.xlsx`` with one sheet per export set plus ``Metadata Device`` and
    ``Metadata Time`` (read with python-calamine).

Traps handled
-------------
* Header cells are quoted and may carry the ``'`` Excel formula guard (a name
  starting with ``= + - @``); the guard is stripped.
* Column names come from the experiment and may be localised or customised, so
  columns are matched by the ``(unit)`` suffix and the axis letter, never by
  exact text. "Linear Acceleration" (or a localised "linear") marks the
  "Acceleration without g" experiment (gravity removed); otherwise the median
  norm decides.
* Columns of unequal length are padded with ``NaN``; those rows are dropped.
* ``Time (s)`` is experiment time and excludes pauses. The absolute time of a
  sample ``t`` is ``system_time(last START at or before t) + (t -
  experiment_time(that START))``: :attr:`Recording.start` is the wall-clock time
  of experiment time 0, pauses are listed in ``meta["pauses"]`` and
  :func:`wall_clock` maps experiment time to Unix time.
* Phone time stamps are irregular; they are regularised by
  :meth:`Recording.from_timestamps`, which reports the achieved rate and jitter.
"""

from __future__ import annotations

import csv
import datetime as _dt
import io as _io
import math
import re
import zipfile
import zlib
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as _xml_escape

import numpy as np

from ..errors import FormatError, ParameterError, UnitError
from ..recording import Recording
from ..units import infer_acc_unit, parse_unit
from ._registry import FormatSpec, Probe, register, safe_zip
from ._table import read_numeric_columns, text_stream
from .canonical import atomic_write

__all__ = ["read_phyphox_zip", "read_phyphox_csv", "read_phyphox_xlsx", "write_phyphox",
           "wall_clock", "java_scientific", "CSV_VARIANTS"]

#: Export format index -> (separator, decimal mark, name), as offered by the app.
CSV_VARIANTS: dict[int, tuple[str, str, str]] = {
    1: (",", ".", "CSV (Comma, decimal point)"),
    2: ("\t", ".", "CSV (Tabulator, decimal point)"),
    3: (";", ".", "CSV (Semicolon, decimal point)"),
    4: ("\t", ",", "CSV (Tabulator, decimal comma)"),
    5: (";", ",", "CSV (Semicolon, decimal comma)"),
}
_META_SHEETS = ("Metadata Device", "Metadata Time")
_HEADER_RE = re.compile(r"^(?P<label>.*?)\s*\((?P<unit>[^()]*)\)\s*$")
_AXIS_RE = re.compile(r"(?:^|[\s_\-.])(?P<axis>[xyzXYZ])$")
_LINEAR_RE = re.compile(r"lin[eé]a|without", re.IGNORECASE)
_GUARD = ("=", "+", "-", "@")
_QUOT = {'"': "&quot;"}
_HEADERS_WITH_G = ("Time (s)", "Acceleration x (m/s^2)", "Acceleration y (m/s^2)",
                   "Acceleration z (m/s^2)", "Absolute acceleration (m/s^2)")
_HEADERS_WITHOUT_G = ("Time (s)", "Linear Acceleration x (m/s^2)",
                      "Linear Acceleration y (m/s^2)", "Linear Acceleration z (m/s^2)",
                      "Absolute acceleration (m/s^2)")
#: Device rows in the app's order (Metadata.DeviceMetadata, minus the ones it skips).
_DEVICE_KEYS = ("version", "build", "fileFormat", "deviceModel", "deviceBrand", "deviceBoard",
                "deviceManufacturer", "deviceBaseOS", "deviceCodename", "deviceRelease",
                "depthFrontSensor", "depthFrontResolution", "depthFrontRate", "depthBackSensor",
                "depthBackResolution", "depthBackRate")
_SENSOR_KEYS = ("Name", "Vendor", "Range", "Resolution", "MinDelay", "MaxDelay", "Power",
                "Version")
_SYNTHETIC_DEVICE = {"version": "glutesense", "build": "null", "fileFormat": "1.19",
                     "deviceModel": "synthetic", "deviceBrand": "glutesense",
                     "deviceManufacturer": "glutesense"}


# ---------------------------------------------------------------------- number formats
def _digits(v: float) -> tuple[str, str, int]:
    """Shortest round-trip digits of *v*: (sign, digits, exponent of the first digit)."""
    d = Decimal(repr(float(v))).normalize()
    sign, digits, exp = d.as_tuple()
    ds = "".join(map(str, digits))
    return ("-" if sign else ""), ds, int(exp) + len(ds) - 1


def _plain(ds: str, e: int) -> str:
    """Digits *ds* with the first digit at 10**e written without an exponent."""
    n = len(ds)
    if e >= n - 1:
        return ds + "0" * (e - n + 1)
    if e >= 0:
        return ds[: e + 1] + "." + ds[e + 1:]
    return "0." + "0" * (-e - 1) + ds


def java_scientific(values: np.ndarray, decimal: str = ".") -> list[str]:
    """Format numbers as Java's ``DecimalFormat("0.000000000E0")`` (phyphox CSV cells).

    Ten significant digits, half-even rounding, exponent without sign padding,
    ``NaN`` for missing values.

    Examples
    --------
    >>> java_scientific(np.array([9.80665, -0.0123, 0.0, np.nan]))
    ['9.806650000E0', '-1.230000000E-2', '0.000000000E0', 'NaN']
    """
    out = []
    for v in np.asarray(values, dtype=np.float64).reshape(-1):
        if not math.isfinite(v):
            out.append("NaN" if math.isnan(v) else ("-" if v < 0 else "") + "\u221e")
            continue
        s = f"{v:.9E}"
        i = s.index("E")
        mant = s[:i] if decimal == "." else s[:i].replace(".", decimal)
        out.append(f"{mant}E{int(s[i + 1:])}")
    return out


def _java_double(v: float) -> str:
    """Java's ``Double.toString`` (the number cells of the app's xlsx writer)."""
    if v == 0:
        return "-0.0" if math.copysign(1.0, v) < 0 else "0.0"
    sign, ds, e = _digits(v)
    if 1e-3 <= abs(v) < 1e7:
        s = _plain(ds, e)
        return sign + (s if "." in s else s + ".0")
    return f"{sign}{ds[0]}.{ds[1:] or '0'}E{e}"


# ---------------------------------------------------------------------- shared helpers
def _zip_writer(path: Path, when: _dt.datetime
                ) -> tuple[zipfile.ZipFile, Callable[[str, str | bytes], None]]:
    """A ``writestr(name, data)`` for a new deflated zip whose entries carry time *when*.

    Stamping the entries with the export time (not the time of writing) keeps the
    output byte-for-byte reproducible.
    """
    z = zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED)
    stamp = max(when, _dt.datetime(1980, 1, 1, tzinfo=when.tzinfo)).timetuple()[:6]

    def writestr(name: str, data: str | bytes) -> None:
        info = zipfile.ZipInfo(name, date_time=stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        z.writestr(info, data)

    return z, writestr


def _strip_guard(name: str) -> str:
    name = name.strip().strip('"').strip()
    if len(name) > 1 and name[0] == "'" and name[1] in _GUARD:
        return name[1:]
    return name


def _open_zip(path: Path, what: str) -> zipfile.ZipFile:
    """:func:`safe_zip` with a clear message for a truncated or damaged archive."""
    try:
        return safe_zip(path)
    except zipfile.BadZipFile as exc:
        raise FormatError(
            f"the {what} zip archive is truncated or damaged ({exc}); the end of the file "
            "(the zip directory) is missing: export or download it again") from None


def _peek_zip(head: bytes) -> tuple[str, str] | None:
    """Name and first text of the first member of a zip whose directory is missing.

    A truncated zip is not a zip to :mod:`zipfile`, but its first local header
    and the start of the first member are still in the first bytes; this lets the
    sniffers recognise a truncated export so that the reader can say what is wrong.
    """
    if len(head) < 30 or head[:4] != b"PK\x03\x04":
        return None
    method, n_name, n_extra = (int.from_bytes(head[8:10], "little"),
                               int.from_bytes(head[26:28], "little"),
                               int.from_bytes(head[28:30], "little"))
    name = head[30:30 + n_name].decode("utf-8", "replace")
    body = head[30 + n_name + n_extra:]
    if method == 8:
        try:
            body = zlib.decompressobj(-15).decompress(body, 4096)
        except zlib.error:
            return name, ""
    elif method != 0:
        return name, ""
    return name, body[:4096].decode("utf-8", "replace")


def _first_line_cells(line: str) -> tuple[str, list[str]] | None:
    """Separator and header cells of a quoted phyphox header line, or None."""
    m = re.match(r'^\ufeff?"[^"]*"(?P<sep>[,;\t])', line)
    if m is None:
        cells = re.fullmatch(r'\ufeff?"([^"]*)"\s*', line)
        return (",", [cells.group(1)]) if cells else None
    sep = m.group("sep")
    return sep, [_strip_guard(c) for c in line.strip().split(sep)]


def _looks_like_header(line: str) -> bool:
    parsed = _first_line_cells(line)
    if parsed is None:
        return False
    cells = parsed[1]
    m = _HEADER_RE.match(cells[0])
    return (m is not None and m.group("unit").strip().lower() in ("s", "ms")
            and any(_HEADER_RE.match(c) for c in cells[1:]))


def _variant(sep: str, first_row: str) -> tuple[str, int]:
    """Decimal mark and export format index from the separator and a data row."""
    if sep == ",":
        return ".", 1
    decimal = "," if re.search(r"\d,\d", first_row) else "."
    return decimal, {("\t", "."): 2, (";", "."): 3, ("\t", ","): 4, (";", ","): 5}[(sep, decimal)]


def _to_float(cell: Any, decimal: str = ".") -> float:
    if isinstance(cell, bool):
        return math.nan
    if isinstance(cell, (int, float)):
        return float(cell)
    try:
        return float(str(cell).strip().replace(decimal, "."))
    except ValueError:
        return math.nan


# ---------------------------------------------------------------------- table -> Recording
def _pick_columns(headers: Sequence[str]) -> tuple[int, list[int], str, str]:
    """(time index, [x, y, z] indices, acceleration unit, label prefix) from header cells."""
    parsed = []
    for h in headers:
        m = _HEADER_RE.match(h)
        parsed.append((m.group("label").strip(), m.group("unit").strip()) if m else (h, ""))
    groups: dict[tuple[str, str], dict[str, int]] = {}
    times: list[int] = []
    for j, (label, unit) in enumerate(parsed):
        try:
            si = parse_unit(unit)[0] if unit else None
        except UnitError:
            si = None
        if si == "s":
            times.append(j)
        elif si == "m/s^2":
            a = _AXIS_RE.search(label)
            if a:
                prefix = label[: a.start("axis")].strip()
                groups.setdefault((prefix, unit), {}).setdefault(a.group("axis").lower(), j)
    complete = [(k, v) for k, v in groups.items() if len(v) == 3]
    if not complete and groups:  # custom names with different prefixes: first x, y and z
        merged: dict[str, int] = {}
        for axes in groups.values():
            for a, j in axes.items():
                merged.setdefault(a, j)
        if len(merged) == 3:
            first = parsed[min(merged.values())]
            complete = [((first[0][:-1].strip(), first[1]), merged)]
    if not complete:
        raise FormatError(
            "no acceleration x, y, z columns found (expected headers like "
            f"'Acceleration x (m/s^2)'); the columns are {list(headers)}")
    complete.sort(key=lambda kv: bool(_LINEAR_RE.search(kv[0][0])))  # with g first
    (prefix, unit), axes = complete[0]
    idx = [axes["x"], axes["y"], axes["z"]]
    if not times:
        raise FormatError("no time column (a header ending in '(s)'); the columns are "
                          f"{list(headers)}")
    before = [j for j in times if j < min(idx)]
    return (before[-1] if before else times[0]), idx, unit, prefix


def _table_to_recording(headers: Sequence[str], columns: Sequence[np.ndarray], *,
                        meta: dict[str, Any], start: _dt.datetime | None) -> Recording:
    headers = [_strip_guard(h) for h in headers]
    it, idx, unit, prefix = _pick_columns(headers)
    t = np.asarray(columns[it], dtype=np.float64) * parse_unit(_HEADER_RE.match(headers[it])
                                                               .group("unit"))[1]
    raw = np.vstack([np.asarray(columns[j], dtype=np.float64) for j in idx])
    inferred = meta.setdefault("inferred", {})
    warnings = meta.setdefault("warnings", [])
    used = {it, *idx}
    inferred["columns"] = {"time": headers[it], "acc_x": headers[idx[0]],
                           "acc_y": headers[idx[1]], "acc_z": headers[idx[2]]}
    inferred["ignored_columns"] = [h for j, h in enumerate(headers) if j not in used]
    ok = np.isfinite(t) & np.all(np.isfinite(raw), axis=0)
    n_pad = int(t.size - ok.sum())
    if n_pad:
        warnings.append(f"{n_pad} rows padded with NaN (columns of unequal length) were dropped")
        t, raw = t[ok], raw[:, ok]
    inferred["nan_padded_rows"] = n_pad
    if t.size < 2:
        raise FormatError("fewer than 2 rows with a time and all three acceleration values")
    guess = infer_acc_unit(raw, declared=unit)
    by_name = bool(_LINEAR_RE.search(prefix))
    if by_name:
        gravity = False
        reason = f"columns named {prefix!r} (phyphox 'Acceleration without g' experiment)"
        if guess.gravity_included:
            warnings.append(f"columns are named {prefix!r} (gravity removed) but the median "
                            "norm is about 1 g")
    elif guess.gravity_included is not None:
        gravity, reason = guess.gravity_included, guess.reason
    else:
        gravity = True
        reason = (f"columns named {prefix!r} (phyphox 'Acceleration with g' experiment); "
                  f"{guess.reason}")
    inferred["units"] = f"{unit} (from the column headers)"
    inferred["gravity_included"] = gravity
    inferred["gravity_reason"] = reason
    inferred.setdefault("time_base", f"column {headers[it]!r}: experiment time in s since the "
                        "first START (pauses excluded)")
    return Recording.from_timestamps(
        t, raw * guess.factor, ch_names=("acc_x", "acc_y", "acc_z"), ch_types=("acc",) * 3,
        ch_units=("m/s^2",) * 3, start=start, meta=meta)


def _time_events(rows: Sequence[Sequence[Any]], decimal: str) -> list[dict[str, Any]]:
    events = []
    for row in rows:
        if len(row) < 3:
            continue
        event = str(row[0]).strip().strip('"').upper()
        exp_t, sys_t = _to_float(row[1], decimal), _to_float(row[2], decimal)
        if event in ("START", "PAUSE") and math.isfinite(exp_t) and math.isfinite(sys_t):
            events.append({"event": event, "experiment_time_s": exp_t, "system_time_unix_s": sys_t})
    return events


def _apply_time(meta: dict[str, Any], events: list[dict[str, Any]]) -> _dt.datetime | None:
    """Start time and pauses from the time events (formats.md §1.1)."""
    warnings = meta.setdefault("warnings", [])
    inferred = meta.setdefault("inferred", {})
    starts = [e for e in events if e["event"] == "START"]
    if not starts:
        warnings.append("no START event in the time metadata: the absolute start time is unknown")
        inferred["time_base"] = "experiment time in s; absolute time unknown (no START event)"
        return None
    first = starts[0]
    meta["time_references"] = events
    pauses = []
    for prev, nxt in zip(events, events[1:]):
        if prev["event"] == "PAUSE" and nxt["event"] == "START":
            pauses.append({"at_s": prev["experiment_time_s"],
                           "length_s": nxt["system_time_unix_s"] - prev["system_time_unix_s"],
                           "paused_utc": _utc(prev["system_time_unix_s"]).isoformat(),
                           "resumed_utc": _utc(nxt["system_time_unix_s"]).isoformat()})
    meta["pauses"] = pauses
    inferred["time_base"] = ("'Time (s)' is experiment time since the first START (pauses "
                             "excluded); start = system time of the first START (meta/time.csv)")
    if pauses:
        total = sum(p["length_s"] for p in pauses)
        warnings.append(
            f"the measurement was paused {len(pauses)} time(s) for {total:.3f} s in all; "
            "'Time (s)' excludes pauses, so wall-clock time after "
            f"t = {pauses[0]['at_s']:.3f} s is later than start + t (see meta['pauses'])")
    return _utc(first["system_time_unix_s"] - first["experiment_time_s"])


def _utc(unix_s: float) -> _dt.datetime:
    ms = round(unix_s * 1000.0)
    return (_dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
            + _dt.timedelta(milliseconds=ms))


def _device(meta: dict[str, Any], props: Mapping[str, str]) -> None:
    props = {k: v for k, v in props.items() if v and v != "null"}
    if not props:
        return
    maker = props.get("deviceManufacturer") or props.get("deviceBrand") or ""
    model = props.get("deviceModel", "")
    if model or maker:
        same = model.lower().startswith(maker.lower())
        meta["device"] = model if same else f"{maker} {model}".strip()
    if "deviceRelease" in props:
        system = "iOS" if maker.lower() == "apple" else "Android"
        meta["os"] = f"{system} {props['deviceRelease']}"
        meta["platform"] = system.lower()
    if "version" in props:
        meta["app_version"] = props["version"]
    meta["device_properties"] = props


def wall_clock(rec: Recording, t: np.ndarray | float | None = None) -> np.ndarray:
    """Unix time (s) of experiment times *t* of a phyphox recording, pauses included.

    ``system_time(last START at or before t) + (t - experiment_time(that START))``
    (formats.md §1.1), from ``meta["time_references"]``.

    Parameters
    ----------
    rec : Recording
        Read from a phyphox export with time metadata.
    t : array_like or None
        Times on the recording's axis (s); default :attr:`Recording.times`.

    Raises
    ------
    ParameterError
        If the recording carries no phyphox time references.
    """
    refs = [r for r in rec.meta.get("time_references", ()) if r["event"] == "START"]
    if not refs:
        raise ParameterError("the recording has no phyphox time references (meta/time.csv)")
    tt = np.asarray(rec.times if t is None else t, dtype=np.float64)
    exp = np.array([r["experiment_time_s"] for r in refs])
    sys = np.array([r["system_time_unix_s"] for r in refs])
    i = np.clip(np.searchsorted(exp, tt, side="right") - 1, 0, None)
    return sys[i] + (tt - exp[i])


# ---------------------------------------------------------------------- CSV readers
def _read_csv_text(stream: _io.StringIO) -> tuple[str, str, int, list[str], list[np.ndarray]]:
    header = stream.readline()
    first = stream.readline()
    parsed = _first_line_cells(header.rstrip("\r\n"))
    if parsed is None:
        raise FormatError("the first line is not a quoted phyphox header")
    sep = parsed[0]
    if len(parsed[1]) == 1:
        m = re.search(r"[;\t]", first)
        sep = m.group(0) if m else ","
    decimal, index = _variant(sep, first)
    stream.seek(0)
    names, cols = read_numeric_columns(stream, sep=sep, decimal=decimal)
    return sep, decimal, index, names, cols


def _csv_meta(fmt: str, sep: str, decimal: str, index: int) -> dict[str, Any]:
    return {"format": fmt, "app": "phyphox",
            "inferred": {"csv_variant": {"index": index, "name": CSV_VARIANTS[index][2],
                                         "separator": sep, "decimal": decimal}},
            "warnings": []}


def _data_members(names: Sequence[str]) -> list[str]:
    return [n for n in names if n.lower().endswith(".csv") and "/" not in n.rstrip("/")]


def read_phyphox_zip(path: Path, probe: Probe | None = None) -> Recording:
    """Read a phyphox CSV zip export (any of the five CSV variants)."""
    with _open_zip(Path(path), "phyphox") as z:
        names = z.namelist()
        sets = _data_members(names)
        if not sets:
            raise FormatError(
                "the phyphox zip contains no data set ('<set>.csv' beside meta/); it holds "
                f"{', '.join(names) or 'nothing'}")
        errors = []
        for member in sets:
            sep, decimal, index, cols_names, cols = _read_csv_text(text_stream(z.read(member)))
            meta = _csv_meta("phyphox-zip", sep, decimal, index)
            meta["export_set"] = member[:-4]
            try:
                _pick_columns([_strip_guard(h) for h in cols_names])
            except FormatError as exc:
                errors.append(f"{member}: {exc.message}")
                continue
            start = None
            if "meta/time.csv" in names:
                rows = list(csv.reader(text_stream(z.read("meta/time.csv")), delimiter=sep))
                start = _apply_time(meta, _time_events(rows[1:], decimal))
            else:
                meta["warnings"].append("meta/time.csv is missing: the absolute start time "
                                        "is unknown")
            if "meta/device.csv" in names:
                rows = list(csv.reader(text_stream(z.read("meta/device.csv")), delimiter=sep))
                _device(meta, {r[0]: r[1] for r in rows[1:] if len(r) >= 2})
            if len(sets) > 1:
                meta["inferred"]["other_export_sets"] = [s for s in sets if s != member]
            return _table_to_recording(cols_names, cols, meta=meta, start=start)
    raise FormatError("no export set holds acceleration x, y, z columns: " + "; ".join(errors))


def read_phyphox_csv(path: Path, probe: Probe | None = None) -> Recording:
    """Read a phyphox "minimalistic" export: one CSV, no ``meta/`` (no start time)."""
    raw = Path(path).read_bytes()
    sep, decimal, index, names, cols = _read_csv_text(text_stream(raw))
    meta = _csv_meta("phyphox-csv", sep, decimal, index)
    meta["inferred"]["time_base"] = ("'Time (s)' is experiment time in s; the minimal export "
                                     "has no meta/time.csv, so the absolute start is unknown")
    return _table_to_recording(names, cols, meta=meta, start=None)


# ---------------------------------------------------------------------- Excel reader
def _sheet_names(z: zipfile.ZipFile) -> list[str]:
    xml = z.read("xl/workbook.xml").decode("utf-8", "replace")
    return [_xml_unescape(n) for n in re.findall(r'<sheet\b[^>]*\bname="([^"]*)"', xml)]


def _xml_unescape(s: str) -> str:
    """Undo the five XML entity escapes."""
    return (s.replace("&lt;", "<").replace("&gt;", ">").replace("&quot;", '"')
            .replace("&apos;", "'").replace("&amp;", "&"))


def read_phyphox_xlsx(path: Path, probe: Probe | None = None) -> Recording:
    """Read a phyphox Excel export (sheets per export set + ``Metadata Device``/``Time``)."""
    from python_calamine import CalamineWorkbook

    _open_zip(Path(path), "phyphox Excel").close()
    wb = CalamineWorkbook.from_path(str(path))
    try:
        sheets = list(wb.sheet_names)
        data = [s for s in sheets if s not in _META_SHEETS]
        meta: dict[str, Any] = {"format": "phyphox-xlsx", "app": "phyphox", "inferred": {},
                                "warnings": []}
        start = None
        if "Metadata Time" in sheets:
            rows = wb.get_sheet_by_name("Metadata Time").to_python(skip_empty_area=False)
            start = _apply_time(meta, _time_events(rows[1:], "."))
        else:
            meta["warnings"].append("no 'Metadata Time' sheet: the absolute start time is unknown")
        if "Metadata Device" in sheets:
            rows = wb.get_sheet_by_name("Metadata Device").to_python(skip_empty_area=False)
            _device(meta, {str(r[0]): str(r[1]) for r in rows[1:] if len(r) >= 2})
        errors = []
        for name in data:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False)
            if len(rows) < 2:
                errors.append(f"sheet {name!r} is empty")
                continue
            headers = [str(c) for c in rows[0]]
            try:
                _pick_columns([_strip_guard(h) for h in headers])
            except FormatError as exc:
                errors.append(f"sheet {name!r}: {exc.message}")
                continue
            cols = [np.array([_to_float(r[j]) if j < len(r) else math.nan for r in rows[1:]])
                    for j in range(len(headers))]
            meta["export_set"] = name
            return _table_to_recording(headers, cols, meta=meta, start=start)
    finally:
        wb.close()
    raise FormatError("no sheet holds acceleration x, y, z columns: " + "; ".join(errors)
                      if errors else "the workbook has no data sheet")


# ---------------------------------------------------------------------- sniffers
def _sniff_zip(p: Probe) -> bool:
    if p.is_zip:
        return any(n.startswith("meta/") and n.endswith(("time.csv", "device.csv"))
                   for n in p.zip_names)
    peek = _peek_zip(p.head)
    return (peek is not None and peek[0].lower().endswith(".csv") and "/" not in peek[0]
            and _looks_like_header(peek[1].splitlines()[0] if peek[1] else ""))


def _sniff_csv(p: Probe) -> bool:
    return bool(p.lines) and _looks_like_header(p.lines[0])


def _sniff_xlsx(p: Probe) -> bool:
    if not (p.is_zip and "xl/workbook.xml" in p.zip_names):
        return False
    with zipfile.ZipFile(p.path) as z:
        sheets = _sheet_names(z)
        if all(s in sheets for s in _META_SHEETS):
            return True
        first = z.read("xl/worksheets/sheet1.xml")[:8192].decode("utf-8", "replace")
    row = first[: first.find("</row>")]
    cells = [_xml_unescape(c) for c in re.findall(r"<t[^>]*>([^<]*)</t>", row)]
    return bool(cells) and _looks_like_header(",".join(f'"{c}"' for c in cells))


# ---------------------------------------------------------------------- writer
def _acc(rec: Recording) -> np.ndarray:
    names = rec.channels_of_type("acc")
    if all(n in rec.ch_names for n in ("acc_x", "acc_y", "acc_z")):
        names = ("acc_x", "acc_y", "acc_z")
    if len(names) < 3:
        raise ParameterError(f"need 3 acceleration channels to write a phone export, found {names}")
    return rec.get(list(names[:3]))


def _split_gravity(acc: np.ndarray, fs: float) -> np.ndarray:
    """Gravity estimate of a with-gravity signal: 2nd-order Butterworth low-pass at 0.3 Hz.

    Phones estimate gravity by sensor fusion; a zero-phase low-pass is the
    textbook stand-in (what remains is the "linear" acceleration).
    """
    from scipy.signal import butter, sosfiltfilt

    sos = butter(2, 0.3, btype="low", fs=fs, output="sos")
    if acc.shape[-1] <= 3 * (2 * sos.shape[0] + 1) or fs <= 0.6:
        return np.repeat(acc.mean(axis=-1, keepdims=True), acc.shape[-1], axis=-1)
    return sosfiltfilt(sos, acc, axis=-1)


def _export_arrays(rec: Recording, timestamps: np.ndarray | None,
                   gravity: bool | None) -> tuple[np.ndarray, np.ndarray, bool]:
    """(times, 3×n acceleration, gravity flag of the output) for a phone-app writer."""
    acc = _acc(rec)
    t = rec.times if timestamps is None else np.asarray(timestamps, dtype=np.float64).reshape(-1)
    if t.size != rec.n_samples:
        raise ParameterError(f"{t.size} timestamps for {rec.n_samples} samples")
    has_g = rec.inferred.get("gravity_included")
    has_g = True if has_g is None else bool(has_g)
    want = has_g if gravity is None else bool(gravity)
    if want and not has_g:
        raise ParameterError("cannot write 'Acceleration with g': the recording has no gravity")
    if has_g and not want:
        acc = acc - _split_gravity(acc, rec.fs)
    return t, acc, want


def _phyphox_start(rec: Recording, start: _dt.datetime | None) -> _dt.datetime:
    start = start or rec.start or _dt.datetime(2026, 1, 1, tzinfo=_dt.timezone.utc)
    if start.tzinfo is None:
        raise ParameterError("start must be timezone-aware")
    return start.replace(microsecond=start.microsecond // 1000 * 1000)  # the app keeps ms


def _time_rows(t_end: float, start: _dt.datetime,
               pauses: Sequence[tuple[float, float]]) -> list[tuple[str, float, float, str]]:
    """START/PAUSE rows: (event, experiment time, Unix time, text) as the app logs them."""
    sys0 = start.timestamp()
    rows = [("START", 0.0, sys0)]
    shift = 0.0
    for at, length in sorted(pauses):
        if not 0 < at < t_end or length <= 0:
            raise ParameterError(f"pause ({at}, {length}) must lie inside the recording "
                                 "with a positive length")
        rows.append(("PAUSE", at, sys0 + at + shift))
        shift += length
        rows.append(("START", at, sys0 + at + shift))
    rows.append(("PAUSE", t_end, sys0 + t_end + shift))
    tz = start.tzinfo
    out = []
    for event, exp_t, sys_t in rows:
        sys_t = round(sys_t, 3)
        local = _utc(sys_t).astimezone(tz)
        off = local.utcoffset() or _dt.timedelta(0)
        mins = int(off.total_seconds() // 60)
        sign = "+" if mins > 0 else "-"
        xxx = "Z" if mins == 0 else f"{sign}{abs(mins) // 60:02d}:{abs(mins) % 60:02d}"
        text = local.strftime("%Y-%m-%d %H:%M:%S.") + f"{local.microsecond // 1000:03d} UTC{xxx}"
        out.append((event, exp_t, sys_t, text))
    return out


def _device_rows(rec: Recording, device: Mapping[str, str] | None) -> list[tuple[str, str]]:
    props = dict(_SYNTHETIC_DEVICE)
    props.update(device or {})
    rows = [(k, str(props.get(k, "null"))) for k in _DEVICE_KEYS]
    for sensor in ("accelerometer", "linear_acceleration"):
        rows += [(f"{sensor} {k}", str(props.get(f"{sensor} {k}", "null"))) for k in _SENSOR_KEYS]
    return rows


def _guard(name: str) -> str:
    return "'" + name if name.startswith(_GUARD) else name


def write_phyphox(rec: Recording, path: str | Path, *, variant: int | str = 1,
                  minimal: bool = False, gravity: bool | None = None,
                  start: _dt.datetime | None = None,
                  pauses: Sequence[tuple[float, float]] = (),
                  timestamps: np.ndarray | None = None,
                  headers: Sequence[str] | None = None, set_name: str = "Raw Data",
                  device: Mapping[str, str] | None = None) -> None:
    """Write *rec* as a phyphox "Acceleration with/without g" export, byte-faithful.

    Parameters
    ----------
    rec : Recording
        Three acceleration channels (``acc_x``, ``acc_y``, ``acc_z``) in m/s².
    path : path-like
        Output file: a ``.zip`` (CSV variants), ``.csv`` (``minimal=True``) or ``.xlsx``.
    variant : {1, 2, 3, 4, 5, "xlsx"}
        The app's export format: 1 comma/point, 2 tab/point, 3 semicolon/point,
        4 tab/comma, 5 semicolon/comma (:data:`CSV_VARIANTS`), or Excel.
    minimal : bool
        The "minimalistic" export: one CSV (or one sheet) without metadata.
    gravity : bool or None
        True for "Acceleration with g", False for "Acceleration without g" (gravity
        is then removed with a 0.3 Hz low-pass estimate if the recording has it).
        Default: whatever ``rec.inferred["gravity_included"]`` says (True if unknown).
    start : datetime or None
        Wall-clock time of the first START (tz-aware; its offset is used in the
        text column). Default ``rec.start``, else 2026-01-01 UTC. Kept to the ms.
    pauses : sequence of (experiment_time_s, length_s)
        Pauses to log in ``meta/time.csv``: at experiment time ``t`` the
        measurement stopped for ``length`` s of wall-clock time.
    timestamps : array_like or None
        Irregular time stamps (s, experiment time) to write instead of
        ``rec.times``, one per sample (phones deliver jittered stamps).
    headers : sequence of 5 str or None
        Custom (e.g. localised) names of the time, x, y, z and absolute columns,
        with their ``(unit)`` suffix. The formula guard is applied as the app does.
    set_name : str
        Name of the export set (file ``<set>.csv`` or sheet name).
    device : mapping or None
        ``meta/device.csv`` values (``deviceModel``, ``deviceRelease``, ...).
    """
    path = Path(path)
    t, acc, with_g = _export_arrays(rec, timestamps, gravity)
    names = list(headers or (_HEADERS_WITH_G if with_g else _HEADERS_WITHOUT_G))
    if len(names) != 5:
        raise ParameterError(f"headers needs 5 names (time, x, y, z, absolute), got {len(names)}")
    cols = [t, acc[0], acc[1], acc[2], np.sqrt(np.sum(acc**2, axis=0))]
    st = _phyphox_start(rec, start)
    t_end = float(t[-1]) + (float(np.median(np.diff(t))) if t.size > 1 else 0.0)
    time_rows = _time_rows(t_end, st, pauses)
    dev_rows = _device_rows(rec, device)
    if variant == "xlsx":
        when = _utc(time_rows[-1][2]).astimezone(st.tzinfo)
        atomic_write(path, lambda tmp: _write_xlsx(tmp, when, set_name, names, cols, minimal,
                                                   dev_rows, time_rows))
        return
    if variant not in CSV_VARIANTS:
        raise ParameterError(f"variant must be 1-5 or 'xlsx', got {variant!r}")
    sep, dec, _ = CSV_VARIANTS[int(variant)]
    text = [sep.join(f'"{_guard(n)}"' for n in names) + "\n"]
    cells = [java_scientific(c, dec) for c in cols]
    text += [sep.join(row) + "\n" for row in zip(*cells)]
    table = "".join(text).encode("utf-8")
    if minimal:
        atomic_write(path, lambda tmp: tmp.write_bytes(table))
        return
    device_csv = (f'"property"{sep}"value"\n'
                  + "".join(f'"{k}"{sep}"{v}"\n' for k, v in dev_rows)).encode("utf-8")
    time_csv = (f'"event"{sep}"experiment time"{sep}"system time"{sep}"system time text"\n'
                + "".join(f'"{ev}"{sep}{java_scientific(np.array([e]), dec)[0]}{sep}'
                          f'{f"{s:.3f}".replace(".", dec)}{sep}"{txt}"\n'
                          for ev, e, s, txt in time_rows)).encode("utf-8")

    def _w(tmp: Path) -> None:
        z, put = _zip_writer(tmp, _utc(time_rows[-1][2]).astimezone(st.tzinfo))
        with z:
            put(f"{set_name}.csv", table)
            put("meta/device.csv", device_csv)
            put("meta/time.csv", time_csv)

    atomic_write(path, _w)


def _write_xlsx(tmp: Path, when: _dt.datetime, set_name: str, names: Sequence[str],
                cols: Sequence[np.ndarray],
                minimal: bool, dev_rows: Sequence[tuple[str, str]],
                time_rows: Sequence[tuple[str, float, float, str]]) -> None:
    """The app's minimal xlsx (inline strings, no cell references, bold header)."""
    def s(value: str, bold: bool = False) -> str:
        style = ' s="1"' if bold else ""
        return (f'<c t="inlineStr"{style}><is><t xml:space="preserve">'
                f"{_xml_escape(value, _QUOT)}</t></is></c>")

    def n(value: float) -> str:
        return f"<c><v>{_java_double(value)}</v></c>" if math.isfinite(value) else s("NaN")

    head = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns='
            '"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
    tail = "</sheetData></worksheet>"
    sheets = [(set_name, head + "<row>" + "".join(s(_guard(x), True) for x in names) + "</row>"
               + "".join("<row>" + "".join(n(float(c[i])) for c in cols) + "</row>"
                         for i in range(cols[0].size)) + tail)]
    if not minimal:
        sheets.append(("Metadata Device", head + "<row>" + s("property", True) + s("value", True)
                       + "</row>" + "".join(f"<row>{s(k)}{s(v)}</row>" for k, v in dev_rows)
                       + tail))
        sheets.append(("Metadata Time", head + "<row>" + "".join(
            s(x, True) for x in ("event", "experiment time", "system time", "system time text"))
            + "</row>" + "".join(f"<row>{s(ev)}{n(e)}{n(st)}{s(txt)}</row>"
                                 for ev, e, st, txt in time_rows) + tail))
    ns = "http://schemas.openxmlformats.org"
    rel = f"{ns}/officeDocument/2006/relationships"
    xml = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    k = len(sheets)
    z, put = _zip_writer(tmp, when)
    with z:
        put("_rels/.rels", f'{xml}<Relationships xmlns="{ns}/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
                   "</Relationships>")
        for i, (_, body) in enumerate(sheets, 1):
            put(f"xl/worksheets/sheet{i}.xml", body)
        put("[Content_Types].xml", (
            f'{xml}<Types xmlns="{ns}/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            + "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
                      'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                      for i in range(1, k + 1))
            + '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/></Types>'))
        put("xl/workbook.xml", (
            f'{xml}<workbook xmlns="{ns}/spreadsheetml/2006/main" xmlns:r="{rel}"><sheets>'
            + "".join(f'<sheet name="{_xml_escape(name, _QUOT)}" sheetId="{i}" '
                      f'r:id="rId{i}"/>' for i, (name, _) in enumerate(sheets, 1))
            + "</sheets></workbook>"))
        put("xl/_rels/workbook.xml.rels", (
            f'{xml}<Relationships xmlns="{ns}/package/2006/relationships">'
            + "".join(f'<Relationship Id="rId{i}" Type="{rel}/worksheet" '
                      f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, k + 1))
            + f'<Relationship Id="rId{k + 1}" Type="{rel}/styles" Target="styles.xml"/>'
            "</Relationships>"))
        put("xl/styles.xml", (
            f'{xml}<styleSheet xmlns="{ns}/spreadsheetml/2006/main"><fonts count="2">'
            '<font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/>'
            '<name val="Calibri"/></font></fonts><fills count="2"><fill><patternFill '
            'patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>'
            '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border>'
            '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
            'borderId="0"/></cellStyleXfs><cellXfs count="2"><xf numFmtId="0" fontId="0" '
            'fillId="0" borderId="0" xfId="0"/><xf numFmtId="0" fontId="1" fillId="0" '
            'borderId="0" xfId="0" applyFont="1"/></cellXfs><cellStyles count="1"><cellStyle '
            'name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>'))


def _write_default(rec: Recording, path: Path) -> None:
    write_phyphox(rec, path, variant=1)


register(FormatSpec(
    name="phyphox-zip", title="phyphox export (zip of CSV)",
    signature="zip with meta/time.csv or meta/device.csv and '<set>.csv' whose quoted header "
              "has '(s)' and '(m/s^2)' columns; all 5 CSV variants (, \\t ; with . or ,)",
    sniff=_sniff_zip, reader=read_phyphox_zip, writer=_write_default,
    extensions=(".phyphox.zip",), priority=80, module="glutesense.io.phyphox",
    note="columns matched by unit and axis letter (localised names work); pauses in meta"))
register(FormatSpec(
    name="phyphox-csv", title="phyphox minimal CSV export",
    signature="CSV whose first cell is a quoted time header like \"Time (s)\" and whose other "
              "header cells carry '(unit)' suffixes",
    sniff=_sniff_csv, reader=read_phyphox_csv, priority=80, module="glutesense.io.phyphox",
    note="no meta/: the absolute start time is unknown"))
register(FormatSpec(
    name="phyphox-xlsx", title="phyphox Excel export",
    signature=".xlsx with sheets 'Metadata Device' and 'Metadata Time' (or a first sheet whose "
              "header starts with a '(s)' time column)",
    sniff=_sniff_xlsx, reader=read_phyphox_xlsx, priority=80, module="glutesense.io.phyphox"))
