"""ActiGraph GT3X (via pygt3x) and ActiLife raw CSV (our own parser).

GT3X (newer format)
    A zip holding ``info.txt`` (``Serial Number``, ``Device Type``, ``Sample
    Rate``, ``Acceleration Scale``, ``TimeZone``, ...) and ``log.bin`` (events
    ``[0x1E][type][unix time u32][payload size u16][payload][checksum]``),
    read with ActiGraph's own pygt3x (``FileReader(...).to_pandas()``,
    https://github.com/actigraph/pygt3x), which calibrates to g. In *idle
    sleep mode* the device stops sampling while still; pygt3x fills those
    seconds with the last sample (the GGIR/actipy convention) and flags them,
    and the filled span is reported here. Older NHANES-style files
    (``activity.bin`` + ``log.txt``) are read by pygt3x as well.
ActiLife raw CSV
    Ten header lines, the first
    ``------------ Data File Created By ActiGraph <model> ActiLife v6.x Firmware vX
    date format M/d/yyyy at <N> Hz  Filter Normal -----------``, then
    ``Serial Number:``, ``Start Time hh:mm:ss``, ``Start Date <date>``, ``Epoch
    Period (hh:mm:ss) 00:00:00`` (raw data), download time/date, memory
    address, battery, a dashed line; then an optional column header
    (``[Timestamp,]Accelerometer X,Accelerometer Y,Accelerometer Z``) and the
    samples in g. The time axis is Start Date/Time + index/N; a Timestamp
    column, when present, is checked against it at both ends.

ActiGraph devices keep local clock time; when ``info.txt`` states a
``TimeZone`` the start is converted to UTC, otherwise it is taken as UTC and
said so.
"""

from __future__ import annotations

import datetime as _dt
import re
import struct
import warnings
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError
from ..recording import Recording
from ..units import G0
from ._registry import FormatSpec, Probe, register, safe_zip
from ._table import read_numeric_columns

__all__ = ["read_gt3x", "read_actilife_csv", "dotnet_date_format"]

ACTILIFE_MAGIC = "------------ Data File Created By ActiGraph"
_ACC = ["acc_x", "acc_y", "acc_z"]


# ---------------------------------------------------------------------- GT3X
def _sniff_gt3x(p: Probe) -> bool:
    names = set(p.zip_names)
    return "info.txt" in names and ("log.bin" in names or "activity.bin" in names)


def _tz_offset(text: str | None) -> _dt.timedelta | None:
    if not text:
        return None
    m = re.fullmatch(r"\s*([+-])?(\d{1,2}):(\d{2})(?::(\d{2}))?\s*", text)
    if not m:
        return None
    sign = -1 if m.group(1) == "-" else 1
    return sign * _dt.timedelta(hours=int(m.group(2)), minutes=int(m.group(3)),
                                seconds=int(m.group(4) or 0))


def read_gt3x(path: Path, probe: Probe | None = None) -> Recording:
    """Read an ActiGraph ``.gt3x`` file with pygt3x.

    Parameters
    ----------
    path : Path
        The file.
    probe : Probe or None
        Unused (the registry passes it).

    Returns
    -------
    Recording
        ``acc_x/acc_y/acc_z`` in m/s² at the device's sample rate; idle-sleep
        filling, gaps and the time zone reported in ``meta``. Temperature
        records are not read.

    Raises
    ------
    FormatError
        If the zip is not a readable GT3X file.
    """
    from pygt3x.reader import FileReader

    path = Path(path)
    safe_zip(path).close()
    try:
        with warnings.catch_warnings():
            # pygt3x uses pandas' deprecated inplace= arguments; not our users' concern
            warnings.simplefilter("ignore", DeprecationWarning)
            with FileReader(str(path)) as r:
                df = r.to_pandas()
                info = r.info
                ism_enabled = r.idle_sleep_mode_activated
    except (KeyError, ValueError, IndexError, TypeError, AttributeError, AssertionError,
            NotImplementedError, struct.error, zipfile.BadZipFile, EOFError) as exc:
        raise FormatError(f"not a readable GT3X file: {type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:200]}") from None
    if info.sample_rate <= 0:
        raise FormatError("info.txt gives no 'Sample Rate'")
    if df.empty:
        raise FormatError("the GT3X file holds no acceleration samples")
    t = df.index.to_numpy(dtype=np.float64)
    xyz = df[["X", "Y", "Z"]].to_numpy(dtype=np.float64).T * G0
    ism = df["IdleSleepMode"].to_numpy(dtype=bool)
    notes: list[str] = []
    inferred: dict[str, Any] = {"units": "g (pygt3x, calibrated) → m/s^2",
                                "idle_sleep_mode_enabled": bool(ism_enabled)}
    if ism.any():
        inferred["idle_sleep_mode_s"] = float(ism.sum() / info.sample_rate)
        notes.append(f"idle sleep mode: {ism.sum() / info.sample_rate:.0f} s without "
                        "sampling were filled with the last value (GGIR/actipy convention)")
    tz = _tz_offset(info.timezone)
    local0 = _dt.datetime(1970, 1, 1) + _dt.timedelta(seconds=float(t[0]))
    if tz is not None:
        start = (local0 - tz).replace(tzinfo=_dt.timezone.utc)
        inferred["start"] = f"device local time converted to UTC with TimeZone {info.timezone}"
    else:
        start = local0.replace(tzinfo=_dt.timezone.utc)
        inferred["start"] = "device local time (no TimeZone in info.txt); taken as UTC"
    meta = {"format": "gt3x", "app": "ActiGraph", "device": info.device_type,
            "serial_number": info.serial_number, "firmware": info.firmware,
            "acceleration_range_g": [info.acceleration_min, info.acceleration_max],
            "inferred": inferred, "warnings": notes}
    return Recording.from_timestamps(t - t[0], xyz, ch_names=_ACC, ch_types=["acc"] * 3,
                                     ch_units=["m/s^2"] * 3, start=start, meta=meta,
                                     fs=float(info.sample_rate), detect_hold=False)


# ---------------------------------------------------------------------- ActiLife CSV
def _sniff_actilife(p: Probe) -> bool:
    return p.first_line.startswith(ACTILIFE_MAGIC)


def dotnet_date_format(fmt: str) -> str:
    """Turn ActiLife's .NET date pattern (``M/d/yyyy``, ``dd.MM.yyyy``) into strptime's.

    Raises
    ------
    FormatError
        If the pattern has no day, month and year.
    """
    out = re.sub(r"yyyy", "%Y", fmt)
    out = re.sub(r"M{1,2}", "%m", out)
    out = re.sub(r"d{1,2}", "%d", out)
    if not all(k in out for k in ("%Y", "%m", "%d")):
        raise FormatError(f"unsupported ActiLife date format {fmt!r}")
    return out


def _parse_actilife_header(lines: list[str]) -> dict[str, Any]:
    first = lines[0]
    m_rate = re.search(r"at\s+(\d+(?:\.\d+)?)\s*Hz", first)
    if not m_rate:
        raise FormatError("ActiLife header line 1 has no sampling rate ('at N Hz')")
    m_fmt = re.search(r"date format\s+(\S+)", first)
    date_fmt = dotnet_date_format(m_fmt.group(1) if m_fmt else "M/d/yyyy")
    m_dev = re.search(r"ActiGraph\s+(.+?)\s+ActiLife\s+v?(\S+)", first)
    fields: dict[str, str] = {}
    for line in lines[1:10]:
        m = re.match(r"\s*(Serial Number|Start Time|Start Date|Epoch Period \(hh:mm:ss\)|"
                     r"Download Time|Download Date)\s*:?\s*(.*?)\s*$", line)
        if m:
            fields[m.group(1)] = m.group(2)
    for key in ("Start Time", "Start Date"):
        if key not in fields:
            raise FormatError(f"ActiLife header has no '{key}' line")
    try:
        start = _dt.datetime.strptime(f"{fields['Start Date']} {fields['Start Time']}",
                                      f"{date_fmt} %H:%M:%S")
    except ValueError:
        raise FormatError(f"Start Date/Time {fields['Start Date']!r} {fields['Start Time']!r} "
                          f"do not match the date format {date_fmt!r}") from None
    epoch = fields.get("Epoch Period (hh:mm:ss)", "00:00:00")
    if epoch.strip() not in ("00:00:00", "0:00:00"):
        raise FormatError(f"ActiLife epoch file (epoch {epoch}), not raw acceleration; "
                          "export the raw data (epoch 00:00:00)")
    return {"fs": float(m_rate.group(1)), "start": start, "date_fmt": date_fmt,
            "device": m_dev.group(1) if m_dev else None,
            "actilife": m_dev.group(2) if m_dev else None,
            "serial": fields.get("Serial Number")}


def read_actilife_csv(path: Path, probe: Probe | None = None) -> Recording:
    """Read an ActiLife raw-data CSV export (acceleration in g).

    Parameters
    ----------
    path : Path
        The ``.csv`` file.
    probe : Probe or None
        Unused (the registry passes it).

    Returns
    -------
    Recording
        ``acc_x/acc_y/acc_z`` in m/s² at the rate stated in the header, starting
        at Start Date/Time (device local time, taken as UTC).

    Raises
    ------
    FormatError
        On a malformed header, an epoch (count) file, non-numeric samples,
        or a Timestamp column that contradicts the header.
    """
    path = Path(path)
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        head = [f.readline() for _ in range(11)]
    if len(head) < 10 or not head[0].startswith(ACTILIFE_MAGIC):
        raise FormatError("not an ActiLife CSV: line 1 must start with "
                          f"{ACTILIFE_MAGIC!r}")
    h = _parse_actilife_header(head)
    col_line = head[10].strip()
    has_header = col_line.lower().startswith(("timestamp", "accelerometer"))
    names = [c.strip() for c in col_line.split(",")] if has_header else []
    has_ts = bool(names) and names[0].lower() == "timestamp"
    if has_header:
        acc_cols = [i for i, n in enumerate(names) if n.lower().startswith("accelerometer")]
        if len(acc_cols) != 3:
            raise FormatError(f"expected Accelerometer X/Y/Z columns, found {names}")
    else:
        acc_cols = [0, 1, 2]
    _, cols = read_numeric_columns(path, sep=",", skiprows=10 + (1 if has_header else 0),
                                   header=None, usecols=acc_cols)
    if len(cols) != 3:
        raise FormatError(f"expected 3 acceleration columns, found {len(cols)}")
    xyz = np.vstack(cols)
    bad = ~np.all(np.isfinite(xyz), axis=0)
    if bad.all() or xyz.shape[1] < 2:
        raise FormatError("no numeric acceleration samples")
    notes: list[str] = []
    if bad.any():
        raise FormatError(f"{int(bad.sum())} rows have missing or non-numeric acceleration "
                          f"(first at data row {int(np.flatnonzero(bad)[0]) + 1})")
    fs = h["fs"]
    inferred: dict[str, Any] = {
        "units": "g (ActiLife raw export) → m/s^2",
        "time_base": f"Start Date/Time + index / {fs:g} Hz (header)",
        "start": "Start Date/Time in device local time; taken as UTC"}
    if has_ts:
        _check_timestamps(path, h, xyz.shape[1], notes)
        inferred["timestamp_column"] = "present; checked against the header at both ends"
    meta = {"format": "actilife-csv", "app": f"ActiLife {h['actilife'] or ''}".strip(),
            "device": h["device"], "serial_number": h["serial"], "inferred": inferred,
            "warnings": notes}
    return Recording(xyz * G0, fs, _ACC, ["acc"] * 3, ["m/s^2"] * 3,
                     start=h["start"].replace(tzinfo=_dt.timezone.utc), meta=meta)


def _last_line(path: Path) -> str:
    with open(path, "rb") as f:
        f.seek(0, 2)
        size = f.tell()
        f.seek(max(0, size - 4096))
        tail = f.read().decode("utf-8", errors="replace").strip().splitlines()
    return tail[-1] if tail else ""


def _check_timestamps(path: Path, h: dict[str, Any], n: int, notes: list[str]) -> None:
    with open(path, encoding="utf-8-sig", errors="replace") as f:
        for _ in range(11):
            f.readline()
        first = f.readline()
    fmt = f"{h['date_fmt']} %H:%M:%S.%f"
    try:
        t_first = _dt.datetime.strptime(first.split(",")[0].strip(), fmt)
        t_last = _dt.datetime.strptime(_last_line(path).split(",")[0].strip(), fmt)
    except ValueError:
        notes.append("Timestamp column not in the header's date format; ignored")
        return
    expected_last = h["start"] + _dt.timedelta(seconds=(n - 1) / h["fs"])
    tol = _dt.timedelta(seconds=1.5 / h["fs"])
    if abs(t_first - h["start"]) > tol:
        raise FormatError(f"first Timestamp {t_first} differs from Start Date/Time {h['start']}")
    if abs(t_last - expected_last) > tol:
        span = (t_last - t_first).total_seconds()
        raise FormatError(f"Timestamp column spans {span:.3f} s but {n} samples at "
                          f"{h['fs']:g} Hz span {(n - 1) / h['fs']:.3f} s (gaps or a wrong rate)")


register(FormatSpec(
    name="gt3x", title="ActiGraph GT3X",
    signature="zip containing `log.bin` (or `activity.bin`) + `info.txt`",
    sniff=_sniff_gt3x, reader=read_gt3x, extensions=(".gt3x", ".agdc"), priority=90,
    module="glutesense.io.actigraph",
    note="idle-sleep-mode gaps filled with the last value (pygt3x) and reported"))
register(FormatSpec(
    name="actilife-csv", title="ActiLife raw CSV",
    signature=f"first line starts `{ACTILIFE_MAGIC}`",
    sniff=_sniff_actilife, reader=read_actilife_csv, extensions=(".csv",), priority=85,
    module="glutesense.io.actigraph"))
