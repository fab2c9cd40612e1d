"""Google / Arduino Science Journal trial CSV (formats.md §1.4, from the app's export code).

Header: ``timestamp`` (Unix milliseconds) or ``relative_time`` (ms since the
first row), then one column per exported sensor ID. The phone accelerometer's
IDs are ``AccX``, ``AccY``, ``AccZ`` (m/s², gravity included). Rows group the
readings of one millisecond, so a sensor without a reading in that
millisecond has an empty cell: the table is sparse. The time stamps of the
axis with the most readings are the time base; every axis is linearly
interpolated from its own readings onto them (no extrapolation past an axis's
first or last reading), and :meth:`Recording.from_timestamps` makes the
uniform grid.
Other sensor columns (light, sound, ``LinearAccelerometerSensor`` magnitude,
...) are listed in ``meta["inferred"]["ignored_columns"]``.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

import numpy as np

from ..errors import FormatError, TimeBaseError
from ..recording import Recording
from ._registry import FormatSpec, Probe, register
from .generic_csv import (EPOCH_RANGE_S, head_lines, infer_acceleration, probe_layout,
                          read_numeric, sniff_layout)

__all__ = ["read_sciencejournal"]

_APP = "Science Journal"
_TIME = ("timestamp", "relative_time")
_AXES = ("AccX", "AccY", "AccZ")


def _sniff(probe: Probe) -> bool:
    if probe.text is None or not probe.first_line.startswith(tuple(t + "," for t in _TIME)):
        return False
    try:
        layout = probe_layout(probe)
    except FormatError:
        return False
    if layout.sep != "," or not set(_AXES) <= set(layout.names):
        return False
    first = next((r[0] for r in layout.sample if r and r[0]), "")
    if not first.isdigit():
        return False
    lo, hi = EPOCH_RANGE_S
    return layout.names[0] == "relative_time" or lo <= int(first) / 1e3 <= hi


def _align(t: np.ndarray, cols: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Interpolate each sparse column at its own times onto the times of the fullest column."""
    finite = [np.isfinite(c) & np.isfinite(t) for c in cols]
    for ok, name in zip(finite, _AXES):
        if ok.sum() < 2:
            raise FormatError(f"column {name} has fewer than 2 readings")
    lo = max(float(t[ok][0]) for ok in finite)
    hi = min(float(t[ok][-1]) for ok in finite)
    rows = max(finite, key=lambda ok: int(ok.sum())) & (t >= lo) & (t <= hi)
    grid = t[rows]
    out = np.empty((len(cols), grid.size))
    for i, (c, ok) in enumerate(zip(cols, finite)):
        if np.any(np.diff(t[ok]) < 0):
            raise TimeBaseError(f"time stamps of {_AXES[i]} run backwards")
        out[i] = np.interp(grid, t[ok], c[ok])
    return grid, out


def read_sciencejournal(path: str | Path, probe: Probe | None = None) -> Recording:
    """Read a Science Journal trial CSV with the phone accelerometer (AccX/AccY/AccZ).

    Parameters
    ----------
    path : path-like
        The exported trial CSV.
    probe : Probe or None
        The registry's probe of the file (made here when None).

    Returns
    -------
    Recording
        ``acc_x/y/z`` in m/s²; ``start`` from ``timestamp`` (Unix ms), None
        for ``relative_time``.

    Raises
    ------
    FormatError
        No ``timestamp``/``relative_time`` column or no AccX/AccY/AccZ columns.
    """
    path = Path(path)
    probe = probe or Probe(path)
    layout = probe_layout(probe)
    names = layout.names
    if not layout.has_header or names[0] not in _TIME or not set(_AXES) <= set(names):
        raise FormatError(f"header {list(names)} is not a Science Journal export with "
                          "timestamp/relative_time and AccX, AccY, AccZ")
    idx = [names.index(a) for a in _AXES]
    cols = read_numeric(path, layout, [0, *idx])
    raw_t = cols.pop(0)
    if np.isfinite(raw_t).sum() < 2:
        raise TimeBaseError(f"column {names[0]!r} holds fewer than 2 time stamps")
    grid, xyz = _align(raw_t, [cols.pop(j) for j in idx])
    n_rows = int(np.isfinite(raw_t).sum())
    del raw_t
    origin = float(grid[0])
    start = (_dt.datetime.fromtimestamp(origin / 1e3, _dt.timezone.utc)
             if names[0] == "timestamp" else None)
    guess = infer_acceleration(xyz, "m/s^2")
    ignored = [n for j, n in enumerate(names) if j and j not in idx]
    inferred = {
        "time_base": f"column {names[0]!r} in ms "
                     + ("(Unix time)" if start else "since the first row"),
        "first_time_ms": origin,
        "sparse_rows": f"{n_rows} rows; each axis interpolated from its own readings onto the "
                       f"{grid.size} time stamps of the fullest axis",
        "units": guess.reason, "acc_unit": "m/s^2", "gravity_included": guess.gravity_included,
        "acc_columns": list(_AXES),
    }
    if ignored:
        inferred["ignored_columns"] = ignored
    meta = {"format": "sciencejournal", "app": _APP, "inferred": inferred}
    return Recording.from_timestamps(
        (grid - origin) / 1e3, xyz, ch_names=("acc_x", "acc_y", "acc_z"), ch_types=("acc",) * 3,
        ch_units=("m/s^2",) * 3, start=start, meta=meta)


register(FormatSpec(
    name="sciencejournal", title="Google/Arduino Science Journal CSV",
    signature="header `timestamp,` (Unix ms) or `relative_time,` followed by sensor IDs "
              "including AccX, AccY, AccZ",
    sniff=_sniff, reader=read_sciencejournal, extensions=(".csv",), priority=60,
    module="glutesense.io.sciencejournal",
    note="phone accelerometer only (AccX/AccY/AccZ, m/s² with gravity); sparse rows aligned"))
