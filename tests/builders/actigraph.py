"""Write ActiGraph files: a minimal GT3X (zip of info.txt + log.bin) and ActiLife raw CSV.

GT3X layout from ActiGraph's public GT3X file-format description
(github actigraph/GT3X-File-Format): ``info.txt`` "Key: Value" lines, and
``log.bin`` records ``[0x1E separator][type u8][unix time u32][payload size u16]
[payload][checksum u8]`` with checksum = one's complement of the XOR of every
preceding byte of the record. Record types used: ACTIVITY2 (0x1A, int16 x/y/z
per sample, one second per record), EVENT (0x03; payload 0x08 enters and 0x09
leaves idle sleep mode) and PARAMETERS (0x15; 8-byte entries, address 0x02
bit 2 of the value = idle sleep mode enabled).
"""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
from pathlib import Path

import numpy as np

__all__ = ["write_gt3x", "write_actilife_csv"]


def _record(rtype: int, timestamp: int, payload: bytes) -> bytes:
    head = struct.pack("<BBIH", 0x1E, rtype, timestamp, len(payload))
    x = 0
    for b in head + payload:
        x ^= b
    return head + payload + bytes([~x & 0xFF])


def write_gt3x(path: Path, counts: np.ndarray, *, fs: int = 30, start_unix: int = 1_700_000_000,
               scale: float = 256.0, idle_sleep: tuple[int, int] | None = None,
               timezone: str | None = "01:00:00", serial: str = "MOS2E12345678") -> Path:
    """Write a GT3X file whose acceleration is ``counts / scale`` g.

    Parameters
    ----------
    counts : int array, shape (3, n_seconds * fs)
        Samples; every whole second becomes one ACTIVITY2 record.
    idle_sleep : (first_second, resume_second) or None
        Seconds (from the start) at which the device enters and leaves idle
        sleep mode; no samples are written in between.
    timezone : str or None
        ``TimeZone`` line of info.txt (device local time = UTC + this).
    """
    counts = np.asarray(counts, dtype=np.int64)
    n_sec = counts.shape[1] // fs
    log = bytearray()
    param = bytes([0, 0, 0x02, 0, 0x04 if idle_sleep else 0, 0, 0, 0])
    log += _record(0x15, start_unix, param)
    for s in range(n_sec):
        if idle_sleep and idle_sleep[0] <= s < idle_sleep[1]:
            if s == idle_sleep[0]:
                log += _record(0x03, start_unix + s, b"\x08")
            continue
        if idle_sleep and s == idle_sleep[1]:
            log += _record(0x03, start_unix + s, b"\x09")
        block = counts[:, s * fs:(s + 1) * fs].T.astype("<i2")
        log += _record(0x1A, start_unix + s, block.tobytes())
    ticks = int((dt.datetime(1970, 1, 1) + dt.timedelta(seconds=start_unix)
                 - dt.datetime(1, 1, 1)).total_seconds() * 10_000_000)
    info = [f"Serial Number: {serial}", "Device Type: wGT3XBT", "Firmware: 1.9.2",
            "Battery Voltage: 4,10", f"Sample Rate: {fs}", f"Start Date: {ticks}",
            f"Stop Date: {ticks + n_sec * 10_000_000}",
            f"Last Sample Time: {ticks + n_sec * 10_000_000}", f"Download Date: {ticks}",
            "Board Revision: 4", "Unexpected Resets: 0", f"Acceleration Scale: {scale}",
            "Acceleration Min: -8.0", "Acceleration Max: 8.0"]
    if timezone is not None:
        info.append(f"TimeZone: {timezone}")
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("info.txt", "\r\n".join(info) + "\r\n")
        z.writestr("log.bin", bytes(log))
    return Path(path)


def write_actilife_csv(path: Path, g: np.ndarray, *, fs: int = 30,
                       start: dt.datetime = dt.datetime(2013, 5, 20, 10, 0, 0),
                       timestamp: bool = True, column_header: bool = True,
                       date_format: str = "M/d/yyyy", epoch: str = "00:00:00",
                       timestamp_fs: float | None = None) -> Path:
    """Write an ActiLife raw CSV export of *g* (shape (3, n), in g)."""
    py = {"M/d/yyyy": "{d.month}/{d.day}/{d.year}",
          "dd.MM.yyyy": "{d.day:02d}.{d.month:02d}.{d.year}",
          "yyyy-MM-dd": "{d.year}-{d.month:02d}-{d.day:02d}"}[date_format]

    def date(d: dt.datetime) -> str:
        return py.format(d=d)

    lines = [
        f"------------ Data File Created By ActiGraph GT3X+ ActiLife v6.13.4 Firmware v3.2.1 "
        f"date format {date_format} at {fs} Hz  Filter Normal -----------",
        "Serial Number: NEO1F18120387", f"Start Time {start:%H:%M:%S}", f"Start Date {date(start)}",
        f"Epoch Period (hh:mm:ss) {epoch}", "Download Time 12:51:38",
        f"Download Date {date(start)}", "Current Memory Address: 0",
        "Current Battery Voltage: 4.07     Mode = 12",
        "--------------------------------------------------"]
    if column_header:
        lines.append(("Timestamp," if timestamp else "")
                     + "Accelerometer X,Accelerometer Y,Accelerometer Z")
    ts_fs = timestamp_fs or fs
    for i in range(g.shape[1]):
        row = ",".join(f"{v:.3f}" for v in g[:, i])
        if timestamp:
            t = start + dt.timedelta(seconds=i / ts_fs)
            row = f"{date(t)} {t:%H:%M:%S}.{t.microsecond // 1000:03d}," + row
        lines.append(row)
    Path(path).write_text("\n".join(lines) + "\n")
    return Path(path)
