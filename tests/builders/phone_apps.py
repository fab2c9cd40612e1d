"""Phone-app test signals: ground truth at any time, jittered phone time stamps, zip surgery.

The acceleration is an analytic function of time with a different signal on
each axis (so an axis mix-up cannot go unnoticed), evaluated *at the written
time stamps*; a reader that regularises the stamps can then be checked against
:func:`truth` on its own uniform grid.
"""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import numpy as np

from glutesense.recording import Recording

__all__ = ["START", "truth", "phone_recording", "android_stamps", "replace_member",
           "truncate"]

#: A start time with whole milliseconds (phyphox keeps ms).
START = dt.datetime(2026, 3, 14, 9, 26, 53, 589000, tzinfo=dt.timezone.utc)

# (amplitude m/s², frequency Hz, offset m/s²) per axis: distinguishable at a glance.
_AXES = ((0.30, 1.3, 0.8), (0.20, 2.9, -2.5), (0.10, 0.7, 9.4))


def truth(t: np.ndarray, gravity: bool = True) -> np.ndarray:
    """The test acceleration (3 × n, m/s²) at times *t*; offsets are gravity."""
    t = np.asarray(t, dtype=float)
    return np.vstack([a * np.sin(2 * np.pi * f * t) + (off if gravity else 0.0)
                      for a, f, off in _AXES])


def android_stamps(n: int, fs: float, rng: np.random.Generator, *, jitter_s: float = 4e-4,
                   t0: float = 0.0) -> np.ndarray:
    """*n* increasing time stamps near *fs* with Gaussian jitter of SD *jitter_s* per step."""
    steps = 1.0 / fs + rng.normal(0.0, jitter_s, n - 1)
    return t0 + np.r_[0.0, np.cumsum(np.clip(steps, 0.2 / fs, None))]


def phone_recording(t: np.ndarray, fs: float, *, gravity: bool = True,
                    start: dt.datetime | None = START) -> Recording:
    """A recording holding :func:`truth` evaluated at the stamps *t* (nominal rate *fs*)."""
    return Recording(truth(t, gravity), fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3,
                     ("m/s^2",) * 3, start=start, t0=float(t[0]),
                     meta={"inferred": {"gravity_included": gravity}})


def replace_member(path: Path, name: str, data: str | bytes | None) -> None:
    """Rewrite zip *path* with member *name* replaced by *data* (or removed when None)."""
    with zipfile.ZipFile(path) as z:
        members = {i.filename: z.read(i) for i in z.infolist()}
    if data is None:
        members.pop(name)
    else:
        members[name] = data.encode() if isinstance(data, str) else data
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for k, v in members.items():
            z.writestr(k, v)


def truncate(path: Path, fraction: float = 0.6) -> None:
    """Cut *path* to *fraction* of its size (an interrupted download)."""
    raw = path.read_bytes()
    path.write_bytes(raw[: int(len(raw) * fraction)])
