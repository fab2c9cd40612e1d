"""Bare EMG text files: one value per line, no time column, no header.

Such files (lab scripts, tutorials, amplifier exports) state neither rate nor
unit, so they cannot be detected or read safely on their own: the caller gives
both. This module is therefore not in the format registry; use
:func:`read_emg_text` directly.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from ..errors import FormatError, SamplingRateError, UnitError
from ..recording import Recording
from ..units import parse_unit
from ._table import read_numeric_columns

__all__ = ["read_emg_text"]


def read_emg_text(path: str | Path, *, fs: float, unit: str, name: str = "emg") -> Recording:
    """Read a one-column EMG text file with a known rate and unit.

    Parameters
    ----------
    path : path-like
        Text file with one number per line (a header line is skipped if it
        does not parse as a number; blank lines are ignored).
    fs : float
        Sampling rate in Hz.
    unit : str
        Unit of the values: ``"V"``, ``"mV"``, ``"uV"``/``"µV"``.
    name : str
        Channel name.

    Returns
    -------
    Recording
        One EMG channel in V, ``t0 = 0``, no start time; the mean (DC offset)
        is reported in ``meta["inferred"]["dc_offset_v"]`` and left in the data.

    Raises
    ------
    SamplingRateError
        If *fs* is not a finite positive number.
    UnitError
        If *unit* is not a voltage.
    FormatError
        If the file is not a single column of numbers.

    Examples
    --------
    >>> rec = read_emg_text("bbcontractions.csv", fs=1000, unit="mV")  # doctest: +SKIP
    """
    try:
        fs = float(fs)
    except (TypeError, ValueError):
        raise SamplingRateError(f"fs must be a number in Hz, got {fs!r}") from None
    if not math.isfinite(fs) or fs <= 0:
        raise SamplingRateError(f"fs must be finite and > 0 Hz, got {fs!r}")
    si, factor = parse_unit(unit)
    if si != "V":
        raise UnitError(f"EMG unit must be a voltage (V, mV, uV), got {unit!r}")
    path = Path(path)
    if not path.is_file():
        raise FormatError("no such file", path=str(path))
    try:
        _, cols = read_numeric_columns(path, sep=",", header=None)
    except FormatError as exc:
        raise exc.with_path(path)
    except (ValueError, UnicodeError) as exc:
        raise FormatError(f"not a one-column text file: {' '.join(str(exc).split())[:200]}",
                          path=str(path)) from None
    if len(cols) != 1:
        raise FormatError(f"expected one value per line, found {len(cols)} columns",
                          path=str(path))
    x = cols[0]
    if x.size and not np.isfinite(x[0]):
        x = x[1:]  # a header line
    if x.size < 2:
        raise FormatError("fewer than 2 samples", path=str(path))
    bad = ~np.isfinite(x)
    if bad.any():
        raise FormatError(f"{int(bad.sum())} lines are not numbers (first at sample "
                          f"{int(np.flatnonzero(bad)[0])})", path=str(path))
    x = x * factor
    meta = {"format": "emg-text", "path": str(path),
            "inferred": {"units": f"{unit} (given by the caller) → V", "fs_hz": fs,
                         "time_base": "sample index / fs (no time column)",
                         "dc_offset_v": float(np.mean(x))},
            "warnings": []}
    return Recording(x[np.newaxis], fs, [name], ["emg"], ["V"], meta=meta)
