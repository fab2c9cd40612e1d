"""Write Axivity ``.cwa`` files to the published specification (Open Movement cwa.h).

Independent of the reader: the layout is encoded here with :mod:`struct`,
field by field, from cwa.h (1024-byte ``MD`` header, 512-byte ``AX``
sectors, packed time stamps, fractional time, timestampOffset, checksum).
"""

from __future__ import annotations

import datetime as dt
import math
import struct
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["write_cwa", "pack_timestamp", "rate_code", "SAMPLES_PER_SECTOR"]

SAMPLES_PER_SECTOR = {"packed": 120, "unpacked": 80, "ax6": 40}


def pack_timestamp(t: dt.datetime) -> int:
    """``YYYYYYMM MMDDDDDh hhhhmmmm mmssssss`` (year - 2000)."""
    return (((t.year - 2000) & 0x3F) << 26 | (t.month & 0x0F) << 22 | (t.day & 0x1F) << 17
            | (t.hour & 0x1F) << 12 | (t.minute & 0x3F) << 6 | (t.second & 0x3F))


def rate_code(fs: float, range_g: int) -> int:
    """Rate code: rate = 3200 / 2**(15 - (code & 15)), range = 16 >> (code >> 6)."""
    r = 15 - int(round(math.log2(3200 / fs)))
    g = int(round(math.log2(16 / range_g)))
    assert 3200 / (1 << (15 - r)) == fs and 16 >> g == range_g
    return (g << 6) | r


def _pack_dword(x: int, y: int, z: int) -> int:
    for e in range(4):
        if all(-512 <= (v >> e) <= 511 and (v >> e) << e == v for v in (x, y, z)):
            return (e << 30) | ((z >> e) & 0x3FF) << 20 | ((y >> e) & 0x3FF) << 10 | ((x >> e) & 0x3FF)
    raise ValueError(f"({x}, {y}, {z}) cannot be packed in 10 bits + 2-bit exponent")


def write_cwa(path: Path, acc_counts: np.ndarray, *, fs: float = 100.0, fmt: str = "packed",
              start: dt.datetime = dt.datetime(2024, 3, 1, 10, 0, 0, 250000),
              range_g: int = 8, accel_scale_n: int = 0, gyro_counts: np.ndarray | None = None,
              gyro_n: int = 3, light: Sequence[int] | int = 300,
              temperature: Sequence[int] | int = 260, battery: Sequence[int] | int = 180,
              fractional: bool = True, corrupt: Sequence[int] = (), clock_rate: float | None = None,
              device_id: int = 12345, session_id: int = 777, events: dict[int, int] | None = None,
              metadata: str = "_c=Lab&_sc=S01&_n=glute+test") -> Path:
    """Write a CWA file.

    Parameters
    ----------
    acc_counts : int array, shape (3, n)
        Accelerometer values in units of 1/2^(8 + accel_scale_n) g.
    fmt : {"packed", "unpacked", "ax6"}
        AX3 packed 10-bit (120 samples/sector), AX3 16-bit (80), AX6 16-bit with gyro (40).
    gyro_counts : int array, shape (3, n)
        AX6 only: gyro counts, full scale 32768 = 8000/2^gyro_n dps.
    light, temperature, battery : int or sequence (one per sector)
        Raw values written once per sector.
    fractional : bool
        Write the 15-bit fractional time (top bit of deviceFractional).
    corrupt : sequence of int
        Sector indices whose payload is damaged after the checksum is computed.
    clock_rate : float or None
        The rate the device clock sees (default *fs*); differs to simulate drift.
    events : dict or None
        ``{sector: flags}`` event bytes.
    """
    acc_counts = np.asarray(acc_counts, dtype=np.int64)
    n = acc_counts.shape[1]
    spc = SAMPLES_PER_SECTOR[fmt]
    n_sec = math.ceil(n / spc)
    code = rate_code(fs, range_g)
    axes_bps = {"packed": 0x30, "unpacked": 0x32, "ax6": 0x62}[fmt]
    true_fs = clock_rate or fs
    start = start.replace(tzinfo=None)

    def per_sector(v, k):
        return int(v if np.isscalar(v) else v[k])

    hdr = bytearray(b"\xff" * 1024)
    struct.pack_into("<2sHBHIH", hdr, 0, b"MD", 1020, 0x64 if fmt == "ax6" else 0x17,
                     device_id & 0xFFFF, session_id, device_id >> 16)
    struct.pack_into("<III", hdr, 13, pack_timestamp(start), pack_timestamp(
        start + dt.timedelta(days=7)), 0)
    hdr[25] = 0
    hdr[26] = 0
    hdr[35] = gyro_n if fmt == "ax6" else 0x00
    hdr[36] = code
    struct.pack_into("<IBh", hdr, 37, pack_timestamp(start), 48, -1)
    meta = metadata.encode("ascii")
    hdr[64:64 + len(meta)] = meta
    hdr[64 + len(meta):512] = b" " * (448 - len(meta))
    out = bytearray(hdr)
    for k in range(n_sec):
        i0 = k * spc
        cnt = min(spc, n - i0)
        t_first = start + dt.timedelta(seconds=i0 / true_fs)
        if fractional:
            whole = t_first.replace(microsecond=0)
            frac16 = int(round(t_first.microsecond / 1e6 * 65536)) & 0xFFFE
            dev_frac = 0x8000 | (frac16 >> 1)
            # the timestamp belongs to sample i0 (offset 0); the device stores the
            # backwards-compatible offset with the fraction's samples taken off
            ts_off = 0 - ((frac16 * int(fs)) >> 16)
            stamp = whole
        else:
            whole = t_first.replace(microsecond=0)
            if t_first.microsecond:
                whole += dt.timedelta(seconds=1)
            ts_off = int(round((whole - t_first).total_seconds() * true_fs))
            dev_frac = device_id & 0x7FFF
            stamp = whole
        light_word = (accel_scale_n & 0x07) << 13 | ((gyro_n if fmt == "ax6" else 0) & 0x07) << 10 \
            | (per_sector(light, k) & 0x3FF)
        sec = bytearray(512)
        struct.pack_into("<2sHHIIIHHBBBBhH", sec, 0, b"AX", 508, dev_frac, session_id, k,
                         pack_timestamp(stamp), light_word, per_sector(temperature, k),
                         (events or {}).get(k, 0), per_sector(battery, k), code, axes_bps,
                         ts_off, cnt)
        if fmt == "packed":
            for j in range(cnt):
                x, y, z = (int(v) for v in acc_counts[:, i0 + j])
                struct.pack_into("<I", sec, 30 + 4 * j, _pack_dword(x, y, z))
        elif fmt == "unpacked":
            block = acc_counts[:, i0:i0 + cnt].T.astype("<i2")
            sec[30:30 + block.nbytes] = block.tobytes()
        else:
            g = np.asarray(gyro_counts, dtype=np.int64)[:, i0:i0 + cnt]
            block = np.vstack([g, acc_counts[:, i0:i0 + cnt]]).T.astype("<i2")
            sec[30:30 + block.nbytes] = block.tobytes()
        total = sum(struct.unpack("<255H", bytes(sec[:510]))) & 0xFFFF
        struct.pack_into("<H", sec, 510, (-total) & 0xFFFF)
        if k in corrupt:
            sec[100] ^= 0x5A
        out += sec
    Path(path).write_bytes(bytes(out))
    return Path(path)
