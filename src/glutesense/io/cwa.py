"""Axivity AX3/AX6 ``.cwa`` files: our own streaming numpy reader.

Written from the published specification (Open Movement, ``Docs/ax3/cwa.h``
and ``ax3-technical.md``, https://github.com/digitalinteraction/openmovement).
All values are little-endian and tightly packed.

Header (1024 bytes at offset 0)
    ``@0 "MD"``, ``@2`` packet length (1020), ``@4`` hardware type (0x00/0x17/
    0xff = AX3, 0x64 = AX6), ``@5`` device id (low 16 bits), ``@7`` session id,
    ``@11`` upper device id (0xffff → 0), ``@13``/``@17`` logging start/end
    (packed time), ``@35`` sensor configuration (AX6 gyro range
    8000/2^(n & 15) dps), ``@36`` sampling-rate code, ``@41`` firmware,
    ``@64..511`` URL-encoded metadata (``name=value&...``).
Data sectors (512 bytes each, from offset 1024)
    ``@0 "AX"``, ``@2`` length 508, ``@4`` *deviceFractional* (top bit set:
    15-bit fraction of a second of the time stamp), ``@6`` session id, ``@10``
    sequence id, ``@14`` packed time stamp ``YYYYYYMM MMDDDDDh hhhhmmmm
    mmssssss`` (year − 2000; 0 = unknown), ``@18`` light (low 10 bits; top 3
    bits accel scale 1/2^(8+n) g, next 3 gyro range 8000/2^n dps), ``@20``
    temperature (°C = raw·75/256 − 50), ``@22`` events, ``@23`` battery
    (V = (raw + 512)·6/1024), ``@24`` rate code (rate = 3200/2^(15 − (code &
    15)) Hz, range = ±16 >> (code >> 6) g), ``@25`` numAxesBPS (top nibble:
    axes 3/6/9; bottom: 0 = packed 10-bit ×3 + 2-bit exponent in 32-bit words,
    2 = 16-bit signed), ``@26`` timestampOffset (index of the sample the time
    stamp belongs to), ``@28`` sampleCount (120 packed, 80 unpacked, 40 AX6),
    ``@30..509`` samples (AX6: gx gy gz ax ay az), ``@510`` checksum (the
    16-bit word sum of the sector is zero).

Time base. When the fractional bit is set the device had shifted
timestampOffset by ``frac·fs`` for old readers; the shift is undone
(``offset += (frac16 · int(fs)) >> 16``, with ``frac16 = (fractional & 0x7fff)
<< 1``) and each sector gives an anchor (sample index, time). Samples are
placed on the anchors' line (the least-squares fit): when every anchor lies
within one sample period of the nominal grid the samples are used as they are,
otherwise they are resampled onto the nominal rate by linear interpolation
between anchors (as Open Movement's ``omconvert`` does) and this is reported.

Bad sectors (wrong magic or length, non-zero checksum, other session or
format) are skipped: their samples are filled by linear interpolation
between neighbours so that time stays continuous, and the sector indices are
reported in ``meta["bad_sectors"]`` and ``meta["warnings"]``.

Memory. The file is memory-mapped and decoded in blocks of sectors with
``np.frombuffer``; only the output arrays grow with the recording.
"""

from __future__ import annotations

import datetime as _dt
import gzip
import math
import tempfile
import urllib.parse
import zlib
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..errors import FormatError, InputTooLargeError
from ..recording import Recording
from ..units import G0
from ._registry import MAX_ZIP_RATIO, MAX_ZIP_UNCOMPRESSED, FormatSpec, Probe, register

__all__ = ["read_cwa", "read_cwa_gz", "read_cwa_aux", "SECTOR_DTYPE", "unpack_timestamp", "rate_from_code", "range_from_code"]

SECTOR = 512
HEADER = 1024
BLOCK_SECTORS = 4096  # 2 MiB per block

#: One 512-byte data sector (cwa.h ``OM_READER_DATA_PACKET``).
SECTOR_DTYPE = np.dtype([
    ("header", "<u2"), ("length", "<u2"), ("fractional", "<u2"), ("session", "<u4"),
    ("sequence", "<u4"), ("timestamp", "<u4"), ("light", "<u2"), ("temperature", "<u2"),
    ("events", "u1"), ("battery", "u1"), ("rate", "u1"), ("axes_bps", "u1"),
    ("ts_offset", "<i2"), ("count", "<u2"), ("raw", "V480"), ("checksum", "<u2"),
])
assert SECTOR_DTYPE.itemsize == SECTOR

_AX = 0x5841  # "AX" little-endian
_HW = {0x00: "AX3", 0x17: "AX3", 0xFF: "AX3", 0x64: "AX6"}


def rate_from_code(code: int) -> float:
    """Sampling rate (Hz) from a CWA rate code: ``3200 / 2**(15 - (code & 15))``."""
    return 3200.0 / (1 << (15 - (int(code) & 0x0F)))


def range_from_code(code: int) -> int:
    """Accelerometer range (± g) from a CWA rate code: ``16 >> (code >> 6)``."""
    return 16 >> (int(code) >> 6)


def unpack_timestamp(packed: np.ndarray) -> np.ndarray:
    """Packed CWA time stamps → seconds since 1970-01-01 (float64; NaN if 0 or invalid).

    Bit layout (MSB→LSB) ``YYYYYYMM MMDDDDDh hhhhmmmm mmssssss``, year − 2000.
    """
    v = np.asarray(packed, dtype=np.uint32)
    year = ((v >> 26) & 0x3F).astype(np.int64) + 2000
    month = ((v >> 22) & 0x0F).astype(np.int64)
    day = ((v >> 17) & 0x1F).astype(np.int64)
    hour = ((v >> 12) & 0x1F).astype(np.int64)
    minute = ((v >> 6) & 0x3F).astype(np.int64)
    sec = (v & 0x3F).astype(np.int64)
    ok = ((v != 0) & (v != 0xFFFFFFFF) & (month >= 1) & (month <= 12) & (day >= 1)
          & (hour < 24) & (minute < 60) & (sec < 60))
    months = np.where(ok, (year - 1970) * 12 + month - 1, 0).astype("datetime64[M]")
    days = months.astype("datetime64[D]").astype(np.int64) + np.where(ok, day - 1, 0)
    out = days * 86400.0 + hour * 3600 + minute * 60 + sec
    # a day beyond the month's end (e.g. 31 April) is invalid
    month_end = (months + 1).astype("datetime64[D]").astype(np.int64)
    ok &= days < month_end
    return np.where(ok, out, np.nan)


def _sniff(p: Probe) -> bool:
    h = p.head
    return len(h) >= HEADER + 4 and h[:2] == b"MD" and h[HEADER:HEADER + 2] == b"AX"


def _metadata(raw: bytes) -> dict[str, str]:
    text = raw.rstrip(b"\x20\x00\xff").decode("ascii", errors="replace")
    out: dict[str, str] = {}
    for pair in text.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name = urllib.parse.unquote_plus(name)
        if name:
            out[name] = urllib.parse.unquote_plus(value)
    return out


def _header(buf: bytes) -> dict[str, Any]:
    if len(buf) < HEADER or buf[:2] != b"MD":
        raise FormatError("not an Axivity CWA file (no 'MD' header block)")
    length = int.from_bytes(buf[2:4], "little")
    if length < 508:
        raise FormatError(f"CWA header length {length} is too small (expected 1020)")
    hw = buf[4]
    dev = int.from_bytes(buf[5:7], "little")
    upper = int.from_bytes(buf[11:13], "little")
    if upper != 0xFFFF:
        dev |= upper << 16
    sensor_cfg = buf[35]
    start, end = unpack_timestamp(np.frombuffer(buf[13:21], dtype="<u4"))
    return {
        "data_offset": ((length + 4 + SECTOR - 1) // SECTOR) * SECTOR,
        "hardware": _HW.get(hw, f"0x{hw:02x}"),
        "device_id": dev,
        "session_id": int.from_bytes(buf[7:11], "little"),
        "logging_start": None if np.isnan(start) else float(start),
        "logging_end": None if np.isnan(end) else float(end),
        "sensor_config": sensor_cfg,
        "gyro_range_dps": (8000.0 / (1 << (sensor_cfg & 0x0F))
                           if sensor_cfg not in (0x00, 0xFF) else None),
        "rate_code": buf[36],
        "firmware": buf[41],
        "metadata": _metadata(buf[64:512]),
    }


def _iso(t: float | None) -> str | None:
    if t is None:
        return None
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).isoformat()


def _decode(sec: np.ndarray, channels: int, packed: bool, spc: int) -> np.ndarray:
    """Raw sample counts of a block of sectors, shape (n_sectors, spc, channels), int32."""
    raw = np.frombuffer(sec["raw"].tobytes(), dtype=np.uint8).reshape(len(sec), 480)
    if packed:
        w = raw[:, : spc * 4].copy().view("<u4").reshape(len(sec), spc)
        e = (w >> 30).astype(np.int32)
        out = np.empty((len(sec), spc, 3), dtype=np.int32)
        for k, shift in enumerate((0, 10, 20)):
            v = ((w >> shift) & 0x3FF).astype(np.int32)
            out[:, :, k] = ((v ^ 0x200) - 0x200) << e
        return out
    return (raw[:, : spc * 2 * channels].copy().view("<i2")
            .reshape(len(sec), spc, channels).astype(np.int32))


def _scan(path: Path) -> SimpleNamespace:
    """Pass 1: header, per-sector fields, validity and sample layout (no samples decoded)."""
    path = Path(path)
    size = path.stat().st_size
    with open(path, "rb") as f:
        head = f.read(HEADER)
    hdr = _header(head)
    off = hdr["data_offset"]
    n_sectors = (size - off) // SECTOR
    warnings: list[str] = []
    if (size - off) % SECTOR:
        warnings.append(f"{(size - off) % SECTOR} trailing bytes after the last whole sector "
                        "ignored (truncated file?)")
    if n_sectors <= 0:
        raise FormatError("the CWA file has a header but no data sectors")
    mm = np.memmap(path, dtype=SECTOR_DTYPE, mode="r", offset=off, shape=(n_sectors,))

    # ---- pass 1: sector headers, checksums, format
    valid = np.zeros(n_sectors, dtype=bool)
    count = np.zeros(n_sectors, dtype=np.int64)
    stamp = np.full(n_sectors, np.nan)
    ts_offset = np.zeros(n_sectors, dtype=np.int64)
    frac = np.zeros(n_sectors, dtype=np.int64)
    aux = np.zeros((3, n_sectors))
    events = np.zeros(n_sectors, dtype=np.uint8)
    scale = np.zeros((2, n_sectors), dtype=np.int64)  # light word (scales), rate code
    fmt: tuple[int, int] | None = None
    for a in range(0, n_sectors, BLOCK_SECTORS):
        sec = np.asarray(mm[a:a + BLOCK_SECTORS])
        words = np.frombuffer(sec.tobytes(), dtype="<u2").reshape(len(sec), SECTOR // 2)
        ok = ((sec["header"] == _AX) & (sec["length"] == 508)
              & (words.sum(axis=1, dtype=np.uint16) == 0))
        if fmt is None and ok.any():
            first = sec[np.flatnonzero(ok)[0]]
            fmt = (int(first["axes_bps"]), int(first["rate"]))
        if fmt is not None:
            ok &= (sec["axes_bps"] == fmt[0]) & (sec["rate"] == fmt[1])
            if hdr["session_id"]:
                ok &= (sec["session"] == hdr["session_id"]) | (sec["session"] == 0)
        sl = slice(a, a + len(sec))
        valid[sl] = ok
        count[sl] = sec["count"]
        stamp[sl] = unpack_timestamp(sec["timestamp"])
        ts_offset[sl] = sec["ts_offset"]
        fr16 = sec["fractional"].astype(np.int64)
        frac[sl] = np.where(fr16 & 0x8000, (fr16 & 0x7FFF) << 1, -1)
        aux[0, sl] = (sec["temperature"] & 0x3FF) * 75.0 / 256 - 50
        aux[1, sl] = sec["light"] & 0x3FF
        aux[2, sl] = (sec["battery"] + 512.0) * 6000 / 1024 / 1000
        events[sl] = sec["events"]
        scale[0, sl] = sec["light"]
        scale[1, sl] = sec["rate"]
    if fmt is None or not valid.any():
        raise FormatError(f"none of the {n_sectors} CWA data sectors is valid "
                          "(bad 'AX' magic, length or checksum)")
    axes_bps, rate_code = fmt
    channels = (axes_bps >> 4) & 0x0F
    packed = (axes_bps & 0x0F) == 0
    if packed and channels != 3:
        raise FormatError(f"packed CWA data with {channels} axes is not defined by the spec")
    if channels not in (3, 6, 9) or (not packed and (axes_bps & 0x0F) != 2):
        raise FormatError(f"unsupported CWA sample format numAxesBPS=0x{axes_bps:02x}")
    spc = 120 if packed else 480 // (2 * channels)
    fs = rate_from_code(rate_code)
    valid &= (count >= 1) & (count <= spc)
    bad = np.flatnonzero(~valid)
    # The last valid sector may be partly filled; earlier sectors hold spc samples each.
    last_valid = int(np.flatnonzero(valid)[-1])
    slots = np.full(n_sectors, spc, dtype=np.int64)
    slots[last_valid] = count[last_valid]
    slots = slots[: last_valid + 1]
    first_valid = int(np.flatnonzero(valid)[0])
    slots[:first_valid] = 0  # leading bad sectors carry no time reference: drop them
    starts = np.concatenate([[0], np.cumsum(slots)[:-1]])
    n_total = int(slots.sum())

    return SimpleNamespace(
        hdr=hdr, mm=mm, n_sectors=n_sectors, warnings=warnings, valid=valid, count=count,
        stamp=stamp, ts_offset=ts_offset, frac=frac, aux=aux, events=events, scale=scale,
        rate_code=rate_code, channels=channels, packed=packed, spc=spc, fs=fs, bad=bad,
        first_valid=first_valid, last_valid=last_valid, slots=slots, starts=starts,
        n_total=n_total)


def _aux_values(sc: SimpleNamespace) -> np.ndarray:
    """Once-per-sector temp/light/battery from the first to the last valid sector; bad
    sectors take values interpolated between their neighbours."""
    lo, hi = sc.first_valid, sc.last_valid + 1
    vals = sc.aux[:, lo:hi].copy()
    bad = ~sc.valid[lo:hi]
    if bad.any():
        good = np.flatnonzero(~bad)
        for i in range(3):
            vals[i, bad] = np.interp(np.flatnonzero(bad), good, vals[i, good])
    return vals


def _anchors(sc: SimpleNamespace) -> tuple[np.ndarray, np.ndarray, bool] | None:
    """(sample index, time) of every valid sector's time stamp, or None without any.

    Undoes the device's backwards-compatible shift of timestampOffset when the
    fractional time is present (cwa.h ``deviceFractional``).
    """
    vs = np.flatnonzero(sc.valid[: sc.last_valid + 1])
    vs = vs[np.isfinite(sc.stamp[vs])]
    if not vs.size:
        return None
    offs = sc.ts_offset[vs].copy()
    fr = sc.frac[vs]
    has_frac = fr >= 0
    offs[has_frac] += (fr[has_frac] * int(sc.fs)) >> 16
    t_anchor = sc.stamp[vs] + np.where(has_frac, fr, 0) / 65536.0
    return sc.starts[vs] + offs, t_anchor, bool(has_frac.all())


def read_cwa(path: Path, probe: Probe | None = None) -> Recording:
    """Read an Axivity AX3/AX6 ``.cwa`` file.

    Parameters
    ----------
    path : Path
        The file.
    probe : Probe or None
        Unused (the registry passes it).

    Returns
    -------
    Recording
        ``acc_x/acc_y/acc_z`` in m/s² (plus ``gyro_*`` in rad/s for AX6,
        ``mag_*`` in T for 9-axis files) at the configured rate;
        ``meta["aux_summary"]`` summarises the once-per-sector temperature,
        light and battery (the series: :func:`read_cwa_aux`). ``meta`` also
        has the device and session ids, hardware, range, metadata, bad sectors
        and events.

    Raises
    ------
    FormatError
        If the header is not a CWA header, or no sector is valid.
    """
    path = Path(path)
    sc = _scan(path)
    hdr, mm, fs, channels, packed, spc = sc.hdr, sc.mm, sc.fs, sc.channels, sc.packed, sc.spc
    valid, count, scale, slots, starts = sc.valid, sc.count, sc.scale, sc.slots, sc.starts
    first_valid, last_valid, n_total, bad = sc.first_valid, sc.last_valid, sc.n_total, sc.bad
    warnings, n_sectors, rate_code = sc.warnings, sc.n_sectors, sc.rate_code

    # ---- pass 2: samples (AX6 files store gyro first; the output puts acceleration first)
    order = [0, 1, 2] if channels == 3 else [3, 4, 5, 0, 1, 2, *range(6, channels)]
    data = np.empty((channels, n_total), dtype=np.float64)
    have = np.zeros(n_total, dtype=bool)
    for a in range(first_valid, last_valid + 1, BLOCK_SECTORS):
        b = min(a + BLOCK_SECTORS, last_valid + 1)
        sel = np.flatnonzero(valid[a:b]) + a
        if not sel.size:
            continue
        sec = np.asarray(mm[sel])
        raw = _decode(sec, channels, packed, spc)  # (k, spc, channels)
        light = scale[0, sel]
        acc_unit = (1 << (8 + ((light >> 13) & 0x07))).astype(np.float64)
        gyro_code = (light >> 10) & 0x07
        default_gyro = hdr["gyro_range_dps"] or 2000.0
        gyro_range = np.where(gyro_code != 0, 8000.0 / (1 << gyro_code), default_gyro)
        vals = raw.astype(np.float64)
        if channels == 3:
            vals *= (G0 / acc_unit)[:, None, None]
        else:
            vals[:, :, 0:3] *= (gyro_range / 32768.0 * np.pi / 180)[:, None, None]
            vals[:, :, 3:6] *= (G0 / acc_unit)[:, None, None]
            if channels == 9:
                vals[:, :, 6:9] *= 1e-6 / 16  # 1/16 µT per count
        for k, j in enumerate(sel):
            n = int(min(slots[j], count[j]))  # a short sector leaves a gap to be filled
            i0 = int(starts[j])
            data[:, i0:i0 + n] = vals[k, :n][:, order].T
            have[i0:i0 + n] = True
    if channels == 3:
        names = ["acc_x", "acc_y", "acc_z"]
        types, units = ["acc"] * 3, ["m/s^2"] * 3
    else:  # AX6 order: gyro first, then accel (then mag)
        names = ["gyro_x", "gyro_y", "gyro_z", "acc_x", "acc_y", "acc_z"]
        types, units = ["gyro"] * 3 + ["acc"] * 3, ["rad/s"] * 3 + ["m/s^2"] * 3
        if channels == 9:
            names += ["mag_x", "mag_y", "mag_z"]
            types += ["mag"] * 3
            units += ["T"] * 3
    names = [names[i] for i in order]
    types = [types[i] for i in order]
    units = [units[i] for i in order]
    n_bad_in = int(np.sum(~valid[first_valid:last_valid + 1]))
    if bad.size:
        warnings.append(f"{bad.size} of {n_sectors} data sectors are bad (magic, length, "
                        "checksum, session or format) and were skipped")
    if not have.all():
        idx = np.arange(n_total)
        for i in range(data.shape[0]):
            data[i, ~have] = np.interp(idx[~have], idx[have], data[i, have])
        warnings.append(f"{int((~have).sum())} missing samples ({(~have).sum() / fs:.3g} s) "
                        "inside the recording were filled by linear interpolation")

    # ---- time base from the sector anchors
    anchors = _anchors(sc)
    inferred: dict[str, Any] = {"rate": f"rate code 0x{rate_code:02x} → {fs:g} Hz",
                                "time_base": "sector time stamps (RTC) + timestampOffset"}
    start = None
    if anchors is not None:
        i_anchor, t_anchor, all_frac = anchors
        inferred["fractional_timestamps"] = all_frac
        c = float(np.median(t_anchor - i_anchor / fs))  # time of sample 0 at the nominal rate
        dev = t_anchor - (c + i_anchor / fs)
        if i_anchor.size >= 2:
            slope = float(np.polyfit(i_anchor.astype(float), t_anchor - t_anchor[0], 1)[0])
            inferred["fs_achieved_hz"] = round(1.0 / slope, 4) if slope > 0 else None
        if float(np.max(np.abs(dev))) > 1.0 / fs:
            # the clock says the sensor ran off its nominal rate (or paused): place every
            # sample on the anchors' time line and resample onto the nominal grid
            idx = np.arange(n_total, dtype=float)
            t_samples = np.interp(idx, i_anchor, t_anchor)
            before, after = idx < i_anchor[0], idx > i_anchor[-1]
            t_samples[before] = t_anchor[0] + (idx[before] - i_anchor[0]) / fs
            t_samples[after] = t_anchor[-1] + (idx[after] - i_anchor[-1]) / fs
            if np.any(np.diff(t_samples) <= 0):
                raise FormatError("CWA sector time stamps run backwards")
            n_out = int(math.floor((t_samples[-1] - t_samples[0]) * fs + 1e-9)) + 1
            grid = t_samples[0] + np.arange(n_out) / fs
            out = np.empty((data.shape[0], n_out))
            for i in range(data.shape[0]):
                out[i] = np.interp(grid, t_samples, data[i])
            data = out
            t_first = float(t_samples[0])
            inferred["resampled"] = True
            warnings.append(f"sector time stamps depart from the nominal {fs:g} Hz by up to "
                            f"{float(np.max(np.abs(dev))):.3g} s; samples were resampled onto "
                            "the nominal rate between the time stamps")
        else:
            t_first = c
            inferred["resampled"] = False
        inferred["timestamp_max_deviation_s"] = float(np.max(np.abs(dev)))
        start = _dt.datetime.fromtimestamp(t_first, _dt.timezone.utc)
        inferred["start"] = "sector time stamps (device clock, no zone stored); taken as UTC"
    else:
        warnings.append("no sector has a valid time stamp; start unknown")
        inferred["resampled"] = False

    aux_vals = _aux_values(sc)
    ev_idx = np.flatnonzero(sc.events[: last_valid + 1])
    meta = {
        "format": "cwa", "app": "Axivity", "device": f"{hdr['hardware']} #{hdr['device_id']}",
        "hardware": hdr["hardware"], "device_id": hdr["device_id"],
        "session_id": hdr["session_id"], "firmware": hdr["firmware"],
        "range_g": range_from_code(rate_code), "rate_code": rate_code,
        "packing": "packed 10-bit" if packed else "16-bit",
        "logging_start_utc": _iso(hdr["logging_start"]),
        "logging_end_utc": _iso(hdr["logging_end"]),
        "metadata": hdr["metadata"],
        "n_sectors": int(n_sectors), "bad_sectors": bad[:1000].tolist(),
        "n_bad_sectors": int(bad.size), "n_bad_sectors_inside": n_bad_in,
        "events": {"n_sectors_with_events": int(ev_idx.size),
                   "resume_logging_sectors": ev_idx[(sc.events[ev_idx] & 1) > 0][:100].tolist()},
        "aux_summary": {name: {"unit": unit, "first": float(v[0]), "last": float(v[-1]),
                               "min": float(v.min()), "max": float(v.max()),
                               "mean": float(v.mean())}
                        for name, unit, v in zip(("temp", "light", "battery"),
                                                 ("degC", "au", "V"), aux_vals)},
        "inferred": inferred, "warnings": warnings,
    }
    return Recording(data, fs, names, types, units, start=start, t0=0.0, meta=meta)


def read_cwa_aux(path: str | Path) -> Recording:
    """The once-per-sector auxiliary values of a CWA file as a slow recording.

    Parameters
    ----------
    path : path-like
        The ``.cwa`` file.

    Returns
    -------
    Recording
        Channels ``temp`` (degC, raw·75/256 − 50), ``light`` (raw 10-bit, au;
        lux ≈ 10^((raw + 512)·6/1024) is only a relative indicator) and
        ``battery`` (V, (raw + 512)·6/1024) at the sector rate ``fs /
        samples-per-sector`` (e.g. 100/120 Hz), starting at the first valid
        sector's first sample. Too slow for :func:`glutesense.io.read`'s
        streams (≥ 5 Hz), hence a function of its own; :func:`read_cwa`
        summarises the same values in ``meta["aux_summary"]``.
    """
    sc = _scan(Path(path))
    anchors = _anchors(sc)
    start = None
    if anchors is not None:
        i_anchor, t_anchor, _ = anchors
        c = float(np.median(t_anchor - i_anchor / sc.fs))
        start = _dt.datetime.fromtimestamp(c, _dt.timezone.utc)
    return Recording(_aux_values(sc), sc.fs / sc.spc, ["temp", "light", "battery"],
                     ["temp", "light", "battery"], ["degC", "au", "V"], start=start,
                     meta={"format": "cwa", "path": str(path), "inferred": {
                         "rate": f"one value per {sc.spc}-sample sector",
                         "light": "raw 10-bit; lux ≈ 10**((raw + 512) * 6 / 1024) "
                                  "(relative indicator only, cwa.h)"}})


def _sniff_gz(p: Probe) -> bool:
    if p.head[:2] != b"\x1f\x8b":
        return False
    try:
        with gzip.open(p.path, "rb") as f:
            head = f.read(HEADER + 2)
    except (OSError, EOFError, zlib.error):
        return False
    return len(head) == HEADER + 2 and head[:2] == b"MD" and head[HEADER:] == b"AX"


def read_cwa_gz(path: Path, probe: Probe | None = None) -> Recording:
    """Read a gzip-compressed CWA file (``.cwa.gz``, as UK Biobank distributes them).

    The file is decompressed in 1 MiB pieces into a temporary file (at most
    ``MAX_ZIP_UNCOMPRESSED`` bytes), which :func:`read_cwa` then memory-maps.

    Raises
    ------
    InputTooLargeError
        If it expands beyond the limit.
    FormatError
        If the gzip stream is corrupt or the content is not a CWA file.
    """
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="glutesense-cwa-") as tmp:
        out = Path(tmp) / "data.cwa"
        total = 0
        packed = max(path.stat().st_size, 1)
        try:
            with gzip.open(path, "rb") as src, open(out, "wb") as dst:
                while chunk := src.read(1 << 20):
                    total += len(chunk)
                    if total > MAX_ZIP_UNCOMPRESSED:
                        raise InputTooLargeError(
                            f"expands beyond {MAX_ZIP_UNCOMPRESSED / 1024**3:.0f} GiB")
                    if total > 50 * 1024**2 and total > MAX_ZIP_RATIO * packed:
                        raise InputTooLargeError(
                            f"expands more than {MAX_ZIP_RATIO}:1 (gzip bomb?); real CWA "
                            "recordings compress far less")
                    dst.write(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            raise FormatError(f"corrupt gzip stream: {exc}") from None
        rec = read_cwa(out)
    meta = dict(rec.meta)
    meta["compressed"] = "gzip"
    return rec.replace(meta=meta)


register(FormatSpec(
    name="cwa", title="Axivity AX3/AX6 CWA",
    signature="bytes 0-1 `MD`, 1024-byte header, then 512-byte `AX` sectors",
    sniff=_sniff, reader=read_cwa, extensions=(".cwa",), priority=90,
    module="glutesense.io.cwa",
    note="bad sectors skipped, their samples interpolated, and reported"))
register(FormatSpec(
    name="cwa-gz", title="Axivity CWA, gzip-compressed (.cwa.gz)",
    signature="gzip whose content starts `MD` with an `AX` sector at byte 1024",
    sniff=_sniff_gz, reader=read_cwa_gz, extensions=(".cwa.gz",), priority=89,
    module="glutesense.io.cwa"))
