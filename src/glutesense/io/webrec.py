"""The glutesense web recorder's upload format (``GSWR1``).

Written by ``web/static/recorder.js`` from the browser's DeviceMotion events:
the ASCII line ``GSWR1``, one JSON header line (app, user agent, start time,
units), then little-endian float64 rows ``(t_s, ax, ay, az)`` in m/s² with
gravity (``accelerationIncludingGravity``). Browsers deliver events at an
irregular 50–100 Hz, so the time stamps are regularised with
:meth:`Recording.from_timestamps`.
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path

import numpy as np

from ..errors import FormatError
from ..recording import Recording
from ._registry import FormatSpec, Probe, register

__all__ = ["read_webrec", "write_webrec", "MAGIC"]

MAGIC = b"GSWR1\n"


def read_webrec(path: Path, probe: Probe | None = None) -> Recording:
    """Read a ``GSWR1`` browser recording."""
    with open(path, "rb") as f:
        if f.read(len(MAGIC)) != MAGIC:
            raise FormatError("missing GSWR1 signature")
        header_line = f.readline(65536)
        if not header_line.endswith(b"\n"):
            raise FormatError("header line missing or longer than 64 kB")
        header = json.loads(header_line)
        if not isinstance(header, dict):
            raise FormatError("header is not a JSON object")
        body = f.read()
    if len(body) % 32:
        raise FormatError(f"data are truncated ({len(body)} bytes is not a whole number of rows)")
    rows = np.frombuffer(body, dtype="<f8").reshape(-1, 4)
    start = None
    if isinstance(header.get("start_utc"), str):
        try:
            start = _dt.datetime.fromisoformat(header["start_utc"].replace("Z", "+00:00"))
            if start.tzinfo is None:
                start = None
        except ValueError:
            start = None
    meta = {"format": "webrec", "app": str(header.get("app", "browser"))[:100],
            "device": str(header.get("userAgent", ""))[:300],
            "inferred": {"units": "m/s^2 (DeviceMotion accelerationIncludingGravity)",
                         "gravity_included": True, "time_base": "performance.now() seconds"}}
    return Recording.from_timestamps(rows[:, 0], rows[:, 1:].T,
                                     ch_names=("acc_x", "acc_y", "acc_z"), ch_types=("acc",) * 3,
                                     ch_units=("m/s^2",) * 3, start=start, meta=meta)


def write_webrec(t: np.ndarray, acc: np.ndarray, path: Path, *, header: dict | None = None) -> None:
    """Write a ``GSWR1`` file (tests and tools; the browser writes its own)."""
    rows = np.column_stack([np.asarray(t, float), np.asarray(acc, float).T]).astype("<f8")
    with open(path, "wb") as f:
        f.write(MAGIC + json.dumps(header or {"app": "test"}).encode() + b"\n")
        f.write(rows.tobytes())


register(FormatSpec(
    name="webrec", title="glutesense web recorder (GSWR1)",
    signature="first line `GSWR1`, a JSON header line, float64 rows (t, ax, ay, az)",
    sniff=lambda p: p.head.startswith(MAGIC), reader=read_webrec, extensions=(".gswr",),
    priority=95, module="glutesense.io.webrec"))
