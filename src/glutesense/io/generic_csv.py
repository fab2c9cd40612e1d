"""Generic delimited text: the fallback reader for any numeric table with acceleration in it.

Researchers' apps and loggers (SensorLog, AndroSensor, MATLAB Mobile, Arduino
sketches, lab software) write tables that differ in every detail; this reader
works out each detail from the content and records what it decided in
``meta["inferred"]`` (formats.md §1.5):

Layout
    Delimiter (tab, ``;``, ``,`` or runs of whitespace: the first that splits
    every sampled line into the same number ≥ 2 of fields), decimal comma
    (fields like ``0,25`` when the delimiter is not a comma), header or none,
    leading ``#``/``%``/``//`` comment lines.
Time base
    A column named like a time (``time``, ``timestamp``, ``t``, ``seconds``,
    ``millis``, ``uptimeNanos``, ...) or with a time unit (``Zeit [s]``). Its unit comes from the name (``[s]``,
    ``ms``, ``nanos``) or from the magnitude: epoch ns/µs/ms/s (a date
    between 2000 and 2100), otherwise elapsed time judged by the median step.
    Date-time text is parsed with pandas and gives ``Recording.start`` (UTC;
    text without a zone is taken as UTC and says so). A column of "ms since
    the previous row" (named ``dt``/``delta``/``interval``, or, in a file
    without a header, a last column of small non-negative integers) is summed.
    When a numeric time column and a date-time text column are both present
    (``timestamp,uptimeNanos,...``), the numeric one is the time base and the
    text refines the start. Time stamps coarser than the samples (many rows
    per second) are spread evenly between their changes. A short leading block
    separated from the rest by a long jump (stale rows left in a logger's
    buffer) is dropped. Without any time column the rate must be stated in the
    file (a constant ``Log Freq``/``rate``/``fs`` column) or given to
    :func:`read_generic_csv`; :func:`glutesense.io.read` refuses the file.
Channels
    Acceleration axes by header (``x``, ``ax``, ``accX``, ``acc_x``,
    ``Acceleration x (m/s^2)``, ...), else the three columns after the time in
    a file without a header; gyroscope axes likewise (``gx``, ``gyroX``, or the
    next three columns). Units come from the header (``(g)``, ``[m/s^2]``,
    ``mg``) or are inferred from the magnitude (``≈1`` g, ``≈9.81`` m/s²,
    ``≈1000`` mg); data without gravity is recognised by a mean vector much
    smaller than the typical magnitude. Other columns with a unit in the
    header (force-plate ``Fx[N]``, ``Mx[Nm]``, ``COPx[cm]``) become channels of
    the matching type in SI units.
Long format
    A text column with a few short codes (``Millis,Sensor,X,Y,Z`` with rows
    ``A``/``G``/``M``) selects the accelerometer rows.

Files are streamed in chunks (:func:`glutesense.io._table.read_numeric_columns`),
so memory stays near the size of the final arrays.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as _dt
import math
import re
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import (FormatError, GlutesenseError, ParameterError, SamplingRateError,
                      TimeBaseError, UnitError)
from ..recording import Recording
from ..units import SI_UNITS, AccUnitGuess, infer_acc_unit, parse_unit
from ._registry import FormatSpec, Probe, register
from ._table import check_line_lengths, read_numeric_columns

__all__ = [
    "read_generic_csv", "read_layout", "Layout", "probe_layout", "sniff_layout", "head_lines",
    "read_numeric",
    "read_text_column", "infer_acceleration", "parse_datetime_text", "parse_clock_text",
    "header_unit", "is_number", "unwrap_clock", "EPOCH_RANGE_S",
]

_SEPARATORS = ("\t", ";", ",", r"\s+")
_COMMENT = ("#", "%", "//")
_NUM_RE = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?|[+-]?(nan|inf|infinity)",
                     re.IGNORECASE)
_DECIMAL_COMMA_RE = re.compile(r"[+-]?\d*,\d+([eE][+-]?\d+)?")
_UNIT_RE = re.compile(r"\s*[\(\[\{]\s*([^\)\]\}]*)\s*[\)\]\}]\s*$")
_SUFFIX_UNIT_RE = re.compile(r"[_ ](mg|g|ms2|mps2|m/s\^?2|dps|rads|deg/s|rad/s)$", re.IGNORECASE)
EPOCH_RANGE_S = (946_684_800.0, 4_102_444_800.0)  # 2000-01-01 .. 2100-01-01 in Unix seconds
_ACC_RE = re.compile(
    r"(acc|accel|acceleration|accelerometer|accelerometeracceleration|a|linacc|"
    r"linearacc|linearacceleration|useracceleration|gf|gforce)?([xyz])")
_GYRO_RE = re.compile(r"(g|gyr|gyro|gyroscope|rotationrate|w|omega|angularvelocity)([xyz])")
_STATED_RATE_RE = re.compile(r"(log)?(freq|frequency|rate|samplerate|samplingrate|fs|hz)")
#: Rows examined when a statistic of the time steps only needs a sample.
_HEAD_ROWS = 100_000
#: Rows per parsing chunk: small enough that the parser's buffers stay small next to the data.
_CHUNK_ROWS = 200_000
_ACC_CODES = {"a", "acc", "accel", "accelerometer", "acceleration"}
_DELTA_RE = re.compile(r"(dt|delta|deltat|interval|timedelta|timediff)(s|ms|us|ns)?")


def is_number(field: str, decimal: str = ".") -> bool:
    """True when *field* is a plain number (with *decimal* as the decimal mark)."""
    f = field.strip().strip('"').strip()
    if not _NUM_RE.fullmatch(f):
        return False
    return decimal == "," or "," not in f


# ---------------------------------------------------------------------- layout
@dataclasses.dataclass(frozen=True)
class Layout:
    """How a delimited text table is laid out.

    Attributes
    ----------
    sep : str
        Field separator as pandas takes it (``r"\\s+"`` for whitespace).
    decimal : str
        ``"."`` or ``","``.
    skiprows : int
        Lines before the header (or before the first data line when there is none).
    has_header : bool
        Whether the first table line holds column names.
    names : tuple of str
        Column names (``col0``, ``col1``, ... when there is no header).
    sample : tuple of tuple of str
        The first data rows split into fields (for deciding column roles).
    encoding : str
        ``"utf-8"`` or, for files that are not valid UTF-8, ``"latin-1"``.
    """

    sep: str
    decimal: str
    skiprows: int
    has_header: bool
    names: tuple[str, ...]
    sample: tuple[tuple[str, ...], ...]
    encoding: str = "utf-8"

    @property
    def delimiter_name(self) -> str:
        """The separator in words (for ``meta["inferred"]``)."""
        return {"\t": "tab", ";": "semicolon", ",": "comma"}.get(self.sep, "whitespace")

    def column(self, j: int) -> list[str]:
        """The sampled fields of column *j*."""
        return [row[j] for row in self.sample if j < len(row)]

    def numeric(self, j: int) -> bool:
        """True when the sampled fields of column *j* are mostly numbers."""
        vals = [v for v in self.column(j) if v.strip()]
        return bool(vals) and sum(is_number(v, self.decimal) for v in vals) >= 0.8 * len(vals)


def _split(line: str, sep: str) -> list[str]:
    """Fields of one line (quotes handled by :mod:`csv`; runs of whitespace for ``\\s+``)."""
    if sep == r"\s+":
        return line.split()
    return [f.strip() for f in next(csv.reader([line], delimiter=sep))]


def _decimal_mark(rows: list[list[str]], sep: str) -> str:
    """``","`` when the fields use decimal commas (impossible with a comma separator)."""
    if sep == ",":
        return "."
    fields = [f for r in rows for f in r]
    comma = any(_DECIMAL_COMMA_RE.fullmatch(f) for f in fields)
    point = any(re.fullmatch(r"[+-]?\d*\.\d+([eE][+-]?\d+)?", f) for f in fields)
    return "," if comma and not point else "."


def head_lines(probe: Probe) -> list[str]:
    """The first complete lines of the file, without a trailing empty line."""
    lines = list(probe.lines)
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def probe_layout(probe: Probe) -> Layout:
    """The :class:`Layout` of the file behind *probe* (see :func:`sniff_layout`)."""
    head = probe.head
    try:
        head.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        encoding = "utf-8" if exc.start >= len(head) - 4 else "latin-1"
    return dataclasses.replace(sniff_layout(head_lines(probe)), encoding=encoding)


def sniff_layout(lines: Sequence[str]) -> Layout:
    """Work out the delimiter, decimal mark and header from the first lines of a file.

    Parameters
    ----------
    lines : sequence of str
        The first lines (e.g. :attr:`Probe.lines`).

    Returns
    -------
    Layout

    Raises
    ------
    FormatError
        If the lines do not form a table with at least one numeric column.
    """
    skip = 0
    while skip < len(lines) and (not lines[skip].strip()
                                 or lines[skip].lstrip().startswith(_COMMENT)):
        skip += 1
    body = [ln for ln in lines[skip:] if ln.strip()]
    if len(body) < 2:
        raise FormatError("fewer than 2 lines of table: not a delimited numeric table")
    # Not csv.Sniffer: it takes runs of spaces for single-space fields and gives up on one
    # column. Here every separator that splits all lines alike into ≥ 2 fields is a
    # candidate; the one whose fields are most often numbers wins (ties: tab, ;, comma, space).
    best: tuple[float, str, str, list[list[str]]] | None = None
    for cand in _SEPARATORS:
        split = [_split(ln, cand) for ln in body]
        counts = {len(r) for r in split[1:]}
        if len(counts) != 1 or (k := counts.pop()) < 2 or len(split[0]) != k:
            continue
        dec = _decimal_mark(split[1:], cand)
        fields = [f for r in split[1:] for f in r]
        score = sum(is_number(f, dec) for f in fields) / len(fields)
        if best is None or score > best[0]:
            best = (score, cand, dec, split)
    if best is None:
        sep, decimal, rows = ",", ".", [_split(ln, ",") for ln in body]
    else:
        _, sep, decimal, rows = best
    first = [f.strip().strip('"') for f in rows[0]]
    has_header = any(f and not is_number(f, decimal) for f in first) and any(
        is_number(f, decimal) for r in rows[1:] for f in r)
    data = rows[1:] if has_header else rows
    names = tuple(first) if has_header else tuple(f"col{j}" for j in range(len(rows[0])))
    layout = Layout(sep, decimal, skip, has_header, names, tuple(tuple(r) for r in data))
    if not any(layout.numeric(j) for j in range(len(names))):
        raise FormatError("no numeric column in the first lines: not a numeric table")
    return layout


# ---------------------------------------------------------------------- column reading
def read_numeric(path: Path, layout: Layout, usecols: Sequence[int]) -> dict[int, np.ndarray]:
    """Stream the numeric columns *usecols* of the table (cells that do not parse are NaN)."""
    cols = sorted(set(usecols))
    check_line_lengths(path)
    with open(path, encoding=layout.encoding, newline="") as stream:
        _, arrays = read_numeric_columns(
            stream, sep=layout.sep, decimal=layout.decimal, skiprows=layout.skiprows,
            header=0 if layout.has_header else None, usecols=cols, chunk_rows=_CHUNK_ROWS)
    return dict(zip(cols, arrays))


def read_text_column(path: Path, layout: Layout, j: int,
                     convert: Callable[[Any], np.ndarray]) -> np.ndarray:
    """Stream text column *j* in chunks, turning each chunk into an array with *convert*.

    *convert* receives a pandas Series of str (stripped; empty cells are "")
    and returns a 1-D array of the same length.
    """
    import pandas as pd

    reader = pd.read_csv(
        path, sep=layout.sep, skiprows=layout.skiprows, header=0 if layout.has_header else None,
        encoding=layout.encoding, usecols=[j], dtype=str, keep_default_na=False, chunksize=_CHUNK_ROWS, engine="c",
        skipinitialspace=True, on_bad_lines="error")
    parts = []
    with reader:
        for chunk in reader:
            parts.append(np.asarray(convert(chunk.iloc[:, 0].str.strip())))
    if not parts:
        raise FormatError("no data rows")
    return np.concatenate(parts)


# ---------------------------------------------------------------------- time helpers
def _guess_datetime_format(sample: Sequence[str]) -> tuple[str, bool]:
    """A strftime format that parses every sampled value; True when day/month are ambiguous."""
    import pandas as pd
    from pandas.tseries.api import guess_datetime_format

    values = [v for v in sample if v]
    if not values:
        raise FormatError("the time column is empty")
    found: list[tuple[str, bool]] = []
    for dayfirst in (False, True):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fmt = guess_datetime_format(values[0], dayfirst=dayfirst)
        if fmt is None:
            continue
        try:
            pd.to_datetime(pd.Series(values), format=fmt)
        except (ValueError, TypeError):
            continue
        found.append((fmt, dayfirst))
    if not found:
        raise FormatError(f"time column value {values[0]!r} is neither a number nor a date/time")
    return found[0][0], len({f for f, _ in found}) > 1


def parse_datetime_text(path: Path, layout: Layout, j: int) -> tuple[np.ndarray, dict[str, Any]]:
    """Parse date-time text in column *j* into Unix seconds (float64; NaN where unparseable).

    Returns the seconds and what was inferred (``datetime_format``, ``start_timezone``).
    """
    import pandas as pd

    fmt, ambiguous = _guess_datetime_format(layout.column(j))
    info: dict[str, Any] = {"datetime_format": fmt}
    if ambiguous:
        info["datetime_ambiguous"] = "day and month could be swapped; read month first"
    has_zone = "%z" in fmt or "%Z" in fmt

    def convert(s: Any) -> np.ndarray:
        ts = pd.to_datetime(s, format=fmt, errors="coerce", utc=has_zone)
        ns = ts.to_numpy(dtype="datetime64[ns]").astype(np.int64).astype(np.float64)
        ns[ts.isna().to_numpy()] = np.nan
        return ns / 1e9

    info["start_timezone"] = ("from the file" if has_zone
                              else "not stated in the file; the clock text is taken as UTC")
    return read_text_column(path, layout, j, convert), info


_CLOCK_RE = re.compile(r"(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:[.,](\d+))?")


def parse_clock_text(values: Any) -> np.ndarray:
    """Parse ``MM:SS.f`` or ``HH:MM:SS.f`` text into seconds within the hour or day.

    Unparseable cells are NaN. Use :func:`unwrap_clock` to undo roll-overs.
    """
    import pandas as pd

    parts = pd.Series(values, dtype=str).str.extract(
        r"^(\d{1,2}):(\d{1,2})(?::(\d{1,2}))?(?:[.,](\d+))?$")
    a, b, c = (pd.to_numeric(parts[k], errors="coerce").to_numpy(dtype=float) for k in (0, 1, 2))
    frac_txt = parts[3].fillna("0")
    frac = pd.to_numeric("0." + frac_txt, errors="coerce").to_numpy(dtype=float)
    three = np.isfinite(c)
    return np.where(three, a * 3600 + b * 60 + np.nan_to_num(c), a * 60 + b) + frac


def unwrap_clock(seconds: np.ndarray, period: float) -> tuple[np.ndarray, int]:
    """Undo roll-overs of a clock that wraps every *period* seconds; return (t, n_rollovers)."""
    t = np.asarray(seconds, dtype=float)
    step = np.diff(t)
    wraps = np.r_[0, np.cumsum(np.nan_to_num(step) < -period / 2)]
    return t + wraps * period, int(wraps[-1]) if wraps.size else 0


def _time_unit_from_name(name: str) -> str | None:
    """``"s"``, ``"ms"``, ``"us"`` or ``"ns"`` as stated by a time column's name, else None."""
    low = name.lower()
    unit = header_unit(name)
    if unit is not None:
        try:
            si, factor = parse_unit(unit)
        except UnitError:
            si, factor = "", 0.0
        if si == "s":
            return {1.0: "s", 1e-3: "ms", 1e-6: "us", 1e-9: "ns"}.get(factor)
    if "nano" in low or re.search(r"(^|[^a-z])ns($|[^a-z])", low):
        return "ns"
    if "micro" in low or re.search(r"(^|[^a-z])(us|µs)($|[^a-z])", low):
        return "us"
    if "milli" in low or re.search(r"(^|[^a-z])ms($|[^a-z])", low):
        return "ms"
    if re.search(r"(^|[^a-z])(s|sec|secs|seconds)($|[^a-z])", low) or low.startswith("sec"):
        return "s"
    return None


_TIME_FACTOR = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def _time_unit_from_values(raw: np.ndarray) -> tuple[str, bool, str]:
    """(unit, is_epoch, reason) judged from the magnitude and the median step."""
    v = raw[np.isfinite(raw)]
    if v.size < 2:
        raise TimeBaseError("the time column has fewer than 2 numbers")
    mid = float(np.median(v))
    for unit, f in (("ns", 1e-9), ("us", 1e-6), ("ms", 1e-3), ("s", 1.0)):
        if EPOCH_RANGE_S[0] <= mid * f <= EPOCH_RANGE_S[1]:
            return unit, True, f"values ≈ {mid:.4g} are a Unix time in {unit}"
    steps = np.diff(v)
    steps = steps[steps > 0]
    if steps.size == 0:
        raise TimeBaseError("the time column never increases")
    med = float(np.median(steps))
    for unit, limit in (("s", 0.2), ("ms", 200.0), ("us", 2e5), ("ns", math.inf)):
        if med <= limit:
            return unit, False, (f"elapsed time; median step {med:.4g} read as {unit} "
                                 f"({1 / (med * _TIME_FACTOR[unit]):.4g} samples/s)")
    raise AssertionError("unreachable")  # pragma: no cover


def _drop_stale_head(t: np.ndarray) -> int:
    """Number of leading rows cut off from the rest by a long jump in time (stale rows)."""
    window = max(1, min(t.size // 100, 1000))
    dt = np.diff(t[: window + 1])
    steps = np.diff(t[:_HEAD_ROWS])
    pos = steps[steps > 0]
    if pos.size == 0 or dt.size == 0:
        return 0
    typical = float(np.median(pos))
    jump = np.flatnonzero(np.abs(dt) > max(50 * typical, 5.0))
    return int(jump[-1] + 1) if jump.size else 0


def _spread_coarse(t: np.ndarray) -> tuple[np.ndarray, float] | None:
    """Spread time stamps that repeat for many rows (e.g. whole seconds) evenly.

    Returns the new times and the rate measured between the first and the last
    change of the stamp, or None when the stamps are not coarse.
    """
    head = np.diff(t[:_HEAD_ROWS])
    if head.size < 10 or np.mean(head == 0) < 0.5:
        return None
    change = np.flatnonzero(np.diff(t) > 0) + 1
    if change.size < 2:
        raise TimeBaseError("the time stamps change fewer than 2 times; "
                            "the rate cannot be measured")
    i0, i1 = int(change[0]), int(change[-1])
    fs = (i1 - i0) / float(t[i1] - t[i0])
    return t[i0] + (np.arange(t.size) - i0) / fs, fs


# ---------------------------------------------------------------------- unit helpers
def header_unit(name: str) -> str | None:
    """The unit written in a column name (``"Fx[N]"`` → ``"N"``, ``"ax (m/s^2)"`` → ``"m/s^2"``)."""
    m = _UNIT_RE.search(name)
    if m:
        return m.group(1).strip()
    m = _SUFFIX_UNIT_RE.search(name)
    if m:
        aliases = {"ms2": "m/s^2", "mps2": "m/s^2", "rads": "rad/s"}
        return aliases.get(m.group(1).lower(), m.group(1))
    return None


def _base(name: str) -> str:
    """Column name without its unit, lower-cased, letters and digits only."""
    stripped = _SUFFIX_UNIT_RE.sub("", _UNIT_RE.sub("", name))
    return re.sub(r"[^a-z0-9]", "", stripped.lower())


def infer_acceleration(xyz: np.ndarray, declared: str | None = None) -> AccUnitGuess:
    """Infer the unit of an acceleration triple and whether gravity is in it.

    Wraps :func:`glutesense.units.infer_acc_unit` with one more test first:
    gravity is a constant vector in the sensor frame, so data that contains it
    has a mean vector about as long as its typical magnitude. When the mean
    vector is less than half the median magnitude *and* the magnitude itself
    fluctuates widely (median absolute deviation > 20 % of the median; with
    gravity the magnitude stays close to 1 g even in motion), the data is
    gravity-free ("linear") acceleration; its
    unit is the declared one or, when not stated, m/s² (what Android and the
    phone apps report).

    Parameters
    ----------
    xyz : ndarray, shape (3, n_samples)
        Raw values as found in the file.
    declared : str or None
        Unit stated by the file.

    Returns
    -------
    AccUnitGuess
    """
    xyz = np.asarray(xyz, dtype=float)
    finite = np.all(np.isfinite(xyz), axis=0)
    if not finite.any():
        raise UnitError("the acceleration columns hold no numbers")
    sub = xyz[:, finite][:, :: max(1, int(finite.sum()) // 200_000)]
    norm = np.sqrt(np.sum(sub**2, axis=0))
    med = float(np.median(norm))
    dc = float(np.linalg.norm(sub.mean(axis=1)))
    mad = float(np.median(np.abs(norm - med)))
    if med > 0 and dc < 0.5 * med and mad > 0.2 * med:
        unit = declared or "m/s^2"
        si, factor = parse_unit(unit)
        if si != "m/s^2":
            raise UnitError(f"acceleration declared in {unit!r}, which is not an acceleration")
        how = f"unit {unit!r} from the file" if declared else "unit not stated; assumed m/s²"
        return AccUnitGuess(unit, factor, False,
                            f"mean vector {dc:.3g} ≪ median |a| {med:.3g}: no constant gravity "
                            f"component → gravity removed; {how}")
    return infer_acc_unit(xyz[:, finite], declared)


def _gyro_unit(xyz: np.ndarray) -> tuple[str, str] | None:
    """(unit, reason) for an undeclared gyroscope triple, or None when it cannot be told."""
    v = np.abs(xyz[np.isfinite(xyz)])
    if v.size and float(np.percentile(v, 99)) >= 20:
        return "deg/s", f"99th percentile |ω| = {float(np.percentile(v, 99)):.3g} ≥ 20 → deg/s"
    return None


# ---------------------------------------------------------------------- column roles
@dataclasses.dataclass
class _Plan:
    """Which column plays which role (column indices into the layout)."""

    layout: Layout
    time: int | None = None
    time_kind: str = "absolute"           # absolute | delta | datetime | clock
    time_unit: str | None = None
    wall: int | None = None               # date-time text column used for the start only
    acc: tuple[int, int, int] | None = None
    acc_unit: str | None = None
    gyro: tuple[int, int, int] | None = None
    gyro_unit: str | None = None
    extra: list[tuple[int, str, str, str]] = dataclasses.field(default_factory=list)
    sensor: int | None = None
    stated_fs: int | None = None
    ignored: list[str] = dataclasses.field(default_factory=list)


def _is_time_name(base: str) -> bool:
    """True for a column name (see :func:`_base`) that names a time."""
    return (base in {"t", "ts", "sec", "secs", "seconds", "millis", "ms", "micros", "nanos",
                     "epoch", "date", "datetime", "clock"}
            or "time" in base or "stamp" in base or base.startswith(("uptime", "elapsed")))


def _triple(bases: dict[int, str], pattern: re.Pattern[str]) -> tuple[int, int, int] | None:
    """The first x, y, z columns sharing a prefix that *pattern* accepts (in column order)."""
    found: dict[str, dict[str, int]] = {}
    for j, b in bases.items():
        m = pattern.fullmatch(b)
        if m:
            found.setdefault(m.group(1) or "", {}).setdefault(m.group(2), j)
    for axes in found.values():
        if set(axes) == {"x", "y", "z"}:
            return axes["x"], axes["y"], axes["z"]
    return None


def _declared_si(name: str) -> tuple[str, str, float] | None:
    """(unit as written, SI unit, factor) for a column name with a known unit, else None."""
    unit = header_unit(name)
    if unit is None:
        return None
    try:
        si, factor = parse_unit(unit)
    except UnitError:
        return None
    return unit, si, factor


def _plan_header(layout: Layout, time_column: str | None) -> _Plan:
    """Column roles from the header names and the sampled values."""
    plan = _Plan(layout)
    names = layout.names
    bases = {j: _base(n) for j, n in enumerate(names)}
    used: set[int] = set()
    if time_column is not None:
        if time_column not in names:
            raise ParameterError(f"no column {time_column!r}; columns are {list(names)}")
        plan.time = names.index(time_column)
    else:
        times = [j for j, b in bases.items() if not _DELTA_RE.fullmatch(b) and (
            _is_time_name(b) or (_declared_si(names[j]) or ("", ""))[1] == "s")]
        numeric = [j for j in times if layout.numeric(j)]
        text = [j for j in times if not layout.numeric(j)]
        if numeric:
            plan.time = numeric[0]
            plan.wall = text[0] if text else None
        elif text:
            plan.time = text[0]
        else:
            deltas = [j for j, b in bases.items() if _DELTA_RE.fullmatch(b) and layout.numeric(j)]
            if deltas:
                plan.time, plan.time_kind = deltas[0], "delta"
    for j in (plan.time, plan.wall):
        if j is not None:
            used.add(j)
    if plan.time is not None and plan.time_kind != "delta":
        if layout.numeric(plan.time):
            plan.time_unit = _time_unit_from_name(names[plan.time])
        else:
            sample = [v for v in layout.column(plan.time) if v]
            plan.time_kind = "clock" if sample and _CLOCK_RE.fullmatch(sample[0]) else "datetime"
    elif plan.time is not None:
        plan.time_unit = _time_unit_from_name(names[plan.time])
    # a short-code sensor column (long format) with accelerometer rows; other text is ignored
    for j in range(len(names)):
        if j in used or layout.numeric(j):
            continue
        vals = {v.lower() for v in layout.column(j) if v}
        if plan.sensor is None and len(vals) <= 12 and vals & _ACC_CODES:
            plan.sensor = j
        else:
            plan.ignored.append(names[j])
        used.add(j)
    candidates = {j: b for j, b in bases.items() if j not in used and layout.numeric(j)}
    accish = {}
    for j, b in candidates.items():
        dec = _declared_si(names[j])
        if dec is None or dec[1] == "m/s^2":
            accish[j] = b
    plan.acc = _triple(accish, _ACC_RE)
    if plan.acc:
        units = {_declared_si(names[j]) for j in plan.acc}
        if len(units) == 1 and (u := units.pop()) is not None:
            plan.acc_unit = u[0]
        used.update(plan.acc)
    gyroish = {j: b for j, b in candidates.items() if j not in used
               and (_declared_si(names[j]) is None or _declared_si(names[j])[1] == "rad/s")}
    plan.gyro = _triple(gyroish, _GYRO_RE)
    if plan.gyro:
        dec = _declared_si(names[plan.gyro[0]])
        plan.gyro_unit = dec[0] if dec else None
        used.update(plan.gyro)
    unit_types = {v: k for k, v in SI_UNITS.items() if k not in ("ecg", "emg", "battery", "misc")}
    taken: set[str] = set()
    for j, b in candidates.items():
        if j in used:
            continue
        if _STATED_RATE_RE.fullmatch(b) and len(set(layout.column(j))) == 1:
            plan.stated_fs = j
            continue
        dec = _declared_si(names[j])
        if dec is None or dec[1] in ("au", "s"):
            plan.ignored.append(names[j])
            continue
        typ = unit_types.get(dec[1], "misc")
        if dec[1] == "m" and "cop" not in b:
            typ = "misc"
        axis = re.search(r"([xyz])$", b)
        name = f"{typ}_{axis.group(1)}" if axis and typ != "misc" else (b or f"col{j}")
        if name in taken:
            name = b or f"col{j}"
        taken.add(name)
        plan.extra.append((j, name, typ, dec[0]))
    return plan


def _plan_headerless(layout: Layout) -> _Plan:
    """Column roles without a header: [time,] ax, ay, az[, gx, gy, gz] or x, y, z, delta-ms."""
    plan = _Plan(layout)
    ncol = len(layout.names)
    numeric = [j for j in range(ncol) if layout.numeric(j)]
    col = {j: np.array([float(v.replace(",", ".")) if is_number(v, layout.decimal) else np.nan
                        for v in layout.column(j)]) for j in numeric}
    rest = list(numeric)
    if len(numeric) >= 4:
        first, last = col[numeric[0]], col[numeric[-1]]
        if first.size > 2 and np.all(np.diff(first) >= 0) and np.mean(np.diff(first) > 0) > 0.5:
            plan.time = numeric[0]
        elif (last.size > 2 and np.all(last >= 0) and np.all(last == np.round(last))
              and np.any(np.diff(last) < 0)):
            plan.time, plan.time_kind = numeric[-1], "delta"
    if plan.time is not None:
        rest.remove(plan.time)
    if len(rest) >= 3:
        plan.acc = (rest[0], rest[1], rest[2])
    if len(rest) >= 6:
        plan.gyro = (rest[3], rest[4], rest[5])
    plan.ignored = [layout.names[j] for j in rest[6:]]
    return plan


# ---------------------------------------------------------------------- reading
def _time_base(path: Path, plan: _Plan, cols: dict[int, np.ndarray], fs: float | None,
               inferred: dict[str, Any], warns: list[str]
               ) -> tuple[np.ndarray | None, float | None, float | None]:
    """Time in seconds (any origin), the Unix time of t = 0 and the rate (each may be None)."""
    layout, epoch = plan.layout, None
    if plan.time is None:
        if plan.stated_fs is not None and fs is None:
            fs = float(cols[plan.stated_fs][0])
            inferred["time_base"] = (f"no time column; rate {fs:g} Hz stated in column "
                                     f"{layout.names[plan.stated_fs]!r}")
        if fs is None:
            raise SamplingRateError(
                f"no time column (columns: {', '.join(layout.names)}) and the sampling rate is not "
                "stated in the file; give it with --fs HZ (Python: glutesense.read(path, fs=HZ))")
        inferred.setdefault("time_base", f"no time column; rate {fs:g} Hz given by the caller")
        return None, None, fs
    name = layout.names[plan.time]
    if plan.time_kind == "datetime":
        t, info = parse_datetime_text(path, layout, plan.time)
        inferred.update(info)
        inferred["time_base"] = f"date-time text in column {name!r}"
        epoch = 0.0
    elif plan.time_kind == "clock":
        raw = read_text_column(path, layout, plan.time, parse_clock_text)
        period = 86400.0 if layout.column(plan.time)[0].count(":") == 2 else 3600.0
        t, wraps = unwrap_clock(raw, period)
        inferred["time_base"] = f"clock text in column {name!r}"
        if wraps:
            warns.append(f"the clock in column {name!r} rolled over {wraps} time(s); unwrapped")
        inferred["clock_rollovers"] = wraps
    else:
        raw = cols.pop(plan.time)  # converted in place below: no second copy of the column
        if plan.time_kind == "delta":
            raw = np.cumsum(np.nan_to_num(raw, copy=False))
        finite = np.flatnonzero(np.isfinite(raw))
        if finite.size < 2:
            raise TimeBaseError(f"the time column {name!r} holds fewer than 2 numbers")
        if plan.time_unit:
            unit, reason = plan.time_unit, "unit from the column name"
            mid = float(np.nanmedian(raw)) * _TIME_FACTOR[unit]
            is_epoch = EPOCH_RANGE_S[0] <= mid <= EPOCH_RANGE_S[1]
        else:
            unit, is_epoch, reason = _time_unit_from_values(raw)
        is_epoch = is_epoch and plan.time_kind != "delta"
        origin = float(raw[finite[0]])
        del finite
        raw -= origin
        raw *= _TIME_FACTOR[unit]
        t = raw
        if is_epoch:
            epoch = origin * _TIME_FACTOR[unit]
        kind = "time since the previous row, summed" if plan.time_kind == "delta" else "time"
        inferred["time_base"] = f"{kind} in column {name!r}, {unit} ({reason})"
        inferred["time_unit"] = unit
    inferred["time_column"] = name
    if plan.wall is not None:
        wall, info = parse_datetime_text(path, layout, plan.wall)
        ok = np.isfinite(wall) & np.isfinite(t)
        if ok.any():
            epoch = float(np.max(wall[ok] - t[ok]))
            inferred.update(info)
            inferred["start_from"] = (f"date-time text in column {layout.names[plan.wall]!r}, "
                                      f"refined by the time column")
    return t, epoch, fs


def read_layout(path: Path, layout: Layout, *, fs: float | None = None,
                time_column: str | None = None, unit: str | None = None,
                gyro_unit: str | None = None, app: str | None = None,
                fmt: str = "generic-csv") -> Recording:
    """Read a table whose layout is known into a Recording (shared by the app readers).

    *unit* and *gyro_unit* declare the units of the acceleration and
    gyroscope columns (overriding the header and the inference); *app* and
    *fmt* go into ``meta``.
    """
    if len(layout.names) < 2:
        raise FormatError("the table has a single column; glutesense needs 3 acceleration axes "
                          "(x, y, z), and a time column or a stated rate")
    if time_column is not None and not layout.has_header:
        raise ParameterError("time_column needs a file with a header")
    plan = _plan_header(layout, time_column) if layout.has_header else _plan_headerless(layout)
    if unit is not None:
        plan.acc_unit = unit
    if gyro_unit is not None:
        plan.gyro_unit = gyro_unit
    if plan.acc is None and not plan.extra:
        raise FormatError(
            f"no acceleration axes found among the columns {list(layout.names)}; expected names "
            "like x/y/z, ax/ay/az, accX/accY/accZ or 'Acceleration x (m/s^2)'")
    inferred: dict[str, Any] = {"delimiter": layout.delimiter_name, "decimal": layout.decimal,
                                "header": layout.has_header}
    warns: list[str] = []
    wanted = [*(plan.acc or ()), *(plan.gyro or ()), *(e[0] for e in plan.extra)]
    if plan.time is not None and plan.time_kind in ("absolute", "delta"):
        wanted.append(plan.time)
    if plan.stated_fs is not None:
        wanted.append(plan.stated_fs)
    cols = read_numeric(path, layout, wanted)
    n = next(iter(cols.values())).size
    if n < 2:
        raise FormatError(f"only {n} data row(s)")
    t, epoch, fs = _time_base(path, plan, cols, fs, inferred, warns)
    keep = _select_rows(path, plan, t, inferred, warns, n)
    if keep is not None:
        for j in list(cols):
            cols[j] = cols[j][keep]
        t = None if t is None else t[keep]
        n = int(keep.sum())
    if plan.stated_fs is not None:
        inferred["fs_stated_hz"] = float(cols.pop(plan.stated_fs)[0])
    if t is not None:
        spread = _spread_coarse(t)
        if spread is not None:
            t, measured = spread
            inferred["coarse_time_stamps"] = (
                f"time stamps repeat for many rows; rate measured between their first and last "
                f"change: {measured:.4g} samples/s")
        if epoch is not None:
            epoch += float(t[0])
            t = t - t[0]
    specs = _channel_specs(plan, cols, n, inferred, warns)
    if not specs:
        raise FormatError("no usable channels")
    values = np.empty((len(specs), n))
    for i, (j, _, _, _, factor) in enumerate(specs):
        values[i] = cols.pop(j)
        values[i] *= factor
    if plan.ignored:
        inferred["ignored_columns"] = list(plan.ignored)
    names, types, units = ([s[k] for s in specs] for k in (1, 2, 3))
    start = None if epoch is None else _dt.datetime.fromtimestamp(epoch, _dt.timezone.utc)
    meta = {"format": fmt, "app": app, "inferred": inferred, "warnings": warns}
    if t is None:
        return Recording(values, float(fs), names, types, units, meta=meta)
    rec = Recording.from_timestamps(t, values, ch_names=names, ch_types=types, ch_units=units,
                                    start=start, meta=meta, fs=fs)
    stated = rec.inferred.get("fs_stated_hz")
    achieved = rec.inferred.get("fs_effective_hz", rec.inferred.get("fs_achieved_hz"))
    if stated and achieved and abs(achieved - stated) > 0.02 * stated:
        rec = rec.with_warning(f"the file states {stated:g} Hz but the time stamps show "
                               f"{achieved:.4g} samples/s; the measured rate is used")
    return rec


def _select_rows(path: Path, plan: _Plan, t: np.ndarray | None, inferred: dict[str, Any],
                 warns: list[str], n: int) -> np.ndarray | None:
    """Rows to keep (a long table's accelerometer rows, minus stale leading rows); None = all."""
    keep = np.ones(n, dtype=bool)
    if plan.sensor is not None:
        layout = plan.layout
        codes: dict[str, int] = {}
        sensor = read_text_column(
            path, layout, plan.sensor,
            lambda s: s.map(lambda v: codes.setdefault(v, len(codes))).to_numpy(dtype=np.int32))
        acc_code = next((c for c in codes if c.lower() in _ACC_CODES), None)
        if acc_code is None:
            raise FormatError(f"column {layout.names[plan.sensor]!r} holds sensor codes "
                              f"{sorted(codes)} but none is an accelerometer (A, acc, ...)")
        keep = sensor == codes[acc_code]
        others = ", ".join(f"{c!r} ({int(np.sum(sensor == k))})" for c, k in codes.items()
                           if c != acc_code)
        inferred["long_format"] = (f"column {layout.names[plan.sensor]!r}: kept the {acc_code!r} "
                                   f"rows ({int(keep.sum())}); ignored {others or 'none'}")
    if t is not None:
        rows = np.flatnonzero(keep)
        stale = _drop_stale_head(t[rows])
        if stale:
            keep[rows[:stale]] = False
            warns.append(f"dropped {stale} stale leading row(s) whose time stamps lie "
                         f"{abs(float(t[rows[stale]] - t[rows[stale - 1]])):.4g} s before the rest")
        inferred["stale_leading_rows"] = stale
    return None if keep.all() else keep


def _channel_specs(plan: _Plan, cols: dict[int, np.ndarray], n: int, inferred: dict[str, Any],
                   warns: list[str]) -> list[tuple[int, str, str, str, float]]:
    """(column, channel name, type, SI unit, factor to SI) for every channel to keep."""
    layout = plan.layout
    step = max(1, n // 200_000)
    specs: list[tuple[int, str, str, str, float]] = []
    if plan.acc is not None:
        guess = infer_acceleration(np.vstack([cols[j][::step] for j in plan.acc]), plan.acc_unit)
        specs += [(j, f"acc_{a}", "acc", "m/s^2", guess.factor) for a, j in zip("xyz", plan.acc)]
        inferred.update(units=guess.reason, acc_unit=guess.unit,
                        gravity_included=guess.gravity_included,
                        acc_columns=[layout.names[j] for j in plan.acc])
    if plan.gyro is not None:
        gunit = plan.gyro_unit
        if gunit is None:
            found = _gyro_unit(np.vstack([cols[j][::step] for j in plan.gyro]))
            if found is not None:
                gunit, inferred["gyro_unit"] = found
        else:
            inferred["gyro_unit"] = f"{gunit} (stated by the header or the format)"
        if gunit is None:
            plan.ignored += [layout.names[j] for j in plan.gyro]
            warns.append("gyroscope columns ignored: their unit is not stated and cannot be told "
                         "from the values")
        else:
            factor = parse_unit(gunit)[1]
            specs += [(j, f"gyro_{a}", "gyro", "rad/s", factor) for a, j in zip("xyz", plan.gyro)]
    for j, name, typ, u in plan.extra:
        si, factor = parse_unit(u)
        specs.append((j, name, typ, si, factor))
    return specs


def read_generic_csv(path: str | Path, *, fs: float | None = None, time_column: str | None = None,
                     unit: str | None = None) -> Recording:
    """Read any delimited numeric table holding acceleration, with optional overrides.

    Parameters
    ----------
    path : path-like
        The file.
    fs : float or None
        Sampling rate in Hz. Needed for a file without a time column (e.g. an
        ``x y z`` logger at a known rate); with a time column it forces the
        output rate instead of the measured one.
    time_column : str or None
        Name of the time column, when the name does not say so.
    unit : str or None
        Unit of the acceleration columns (``"g"``, ``"m/s^2"``, ``"mg"``),
        overriding the header and the inference.

    Returns
    -------
    Recording
        Acceleration as ``acc_x/y/z`` in m/s² (plus ``gyro_*`` in rad/s and
        unit-declared channels such as ``force_*``, ``moment_*``, ``cop_*``),
        with everything that was inferred in ``meta["inferred"]``.

    Raises
    ------
    FormatError
        The file is not a numeric table with acceleration (or unit-declared) columns.
    SamplingRateError
        No time column, no stated rate and no *fs*.
    TimeBaseError, UnitError
        Time stamps or units that cannot be made sense of.

    Examples
    --------
    >>> rec = read_generic_csv("lsm9ds1.csv", fs=500)  # doctest: +SKIP
    """
    path = Path(path)
    if fs is not None:
        try:
            fs = float(fs)
        except (TypeError, ValueError):
            raise ParameterError(f"fs must be a number in Hz, got {fs!r}") from None
        if not math.isfinite(fs) or fs <= 0:
            raise ParameterError(f"fs must be finite and > 0 Hz, got {fs!r}")
    if unit is not None:
        try:
            if parse_unit(unit)[0] != "m/s^2":
                raise UnitError(f"unit {unit!r} is not an acceleration unit")
        except UnitError as exc:
            raise ParameterError(exc.message) from None
    from ._registry import _check_file

    _check_file(path)
    probe = Probe(path)
    if probe.text is None:
        raise FormatError("binary data, not a delimited text table", path=str(path))
    try:
        rec = read_layout(path, probe_layout(probe), fs=fs, time_column=time_column, unit=unit)
    except GlutesenseError as exc:
        raise exc.with_path(path)
    except (ValueError, KeyError, IndexError) as exc:
        raise FormatError(f"not a readable numeric table: {exc}", path=str(path)) from exc
    return rec.with_meta(path=str(path))


def _sniff(probe: Probe) -> bool:
    if probe.text is None or probe.is_zip or probe.is_sqlite:
        return False
    try:
        sniff_layout(head_lines(probe))
    except FormatError:
        return False
    return True


def _reader(path: Path, probe: Probe) -> Recording:
    return read_layout(path, probe_layout(probe))


register(FormatSpec(
    name="generic-csv", title="delimited text table (generic CSV)",
    signature="text whose first lines split into a numeric table (tab, ;, , or spaces); "
              "columns recognised by name, units by header or magnitude",
    sniff=_sniff, reader=_reader, extensions=(".csv", ".txt", ".tsv", ".dat"), priority=10,
    module="glutesense.io.generic_csv",
    note="a file without a time column needs its rate: --fs HZ (read(path, fs=...))",
    reader_fs=lambda path, fs: read_generic_csv(path, fs=fs)))
