"""The core containers: :class:`Recording` and :class:`Annotations`.

A :class:`Recording` is a multichannel signal sampled at one constant rate,
in SI units, with time on the last axis (MNE's ``(n_channels, n_times)``
convention; scipy's ``axis=-1``). It is immutable: the array is read-only and
every operation returns a new object.

Streams recorded at different rates (EMG at 2 kHz next to acceleration at
100 Hz) are kept at their own rates in :attr:`Recording.streams`, aligned on
time through each stream's :attr:`Recording.t0`.

Phone apps deliver irregular time stamps; :meth:`Recording.from_timestamps`
turns them into a uniform grid and records the achieved rate, the jitter, gaps,
duplicates and sample-and-hold logging in ``meta["inferred"]``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from types import MappingProxyType
from typing import Any

import numpy as np

from .errors import ParameterError, SamplingRateError, TimeBaseError

__all__ = ["Recording", "Annotations", "MECHANISMS", "concatenate"]

#: The five mechanisms, in report order (DESIGN §1).
MECHANISMS = ("twitch", "postural", "pulse", "nerve", "vibration")

_NICE_RATES = (
    1, 2, 4, 5, 8, 10, 12.5, 16, 20, 25, 26, 30, 32, 40, 50, 52, 60, 64, 100, 104, 120, 125,
    128, 200, 208, 250, 256, 400, 416, 500, 512, 800, 833, 1000, 1024, 1600, 1666, 2000, 2048,
    3200, 4000, 4096, 8000,
)


def _freeze(obj: Any) -> Any:
    """Deep-copy JSON-like metadata into read-only mappings and tuples."""
    if isinstance(obj, Mapping):
        return MappingProxyType({str(k): _freeze(v) for k, v in obj.items()})
    if isinstance(obj, (list, tuple)):
        return tuple(_freeze(v) for v in obj)
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return _freeze(obj.tolist())
    return obj


def thaw(obj: Any) -> Any:
    """Turn frozen metadata back into plain dicts and lists (for JSON)."""
    if isinstance(obj, Mapping):
        return {k: thaw(v) for k, v in obj.items()}
    if isinstance(obj, tuple):
        return [thaw(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def _writable_behind(a: np.ndarray) -> bool:
    """True when some buffer behind *a* can still be written (so *a* could change)."""
    if a.flags.writeable:
        return True
    b = a.base
    while b is not None:
        if isinstance(b, np.ndarray):
            if b.flags.writeable:
                return True
            b = b.base
        else:
            return not isinstance(b, bytes)  # bytes are immutable; mmap/memoryview may not be
    return False


def _strs(seq) -> tuple[str, ...]:
    """*seq* as a tuple of str (no copy when it already is one)."""
    seq = tuple(seq)
    # set(map(type, ...)) runs in C: the check costs little even for 10⁵ beat labels
    return seq if set(map(type, seq)) <= {str} else tuple(str(x) for x in seq)


def _readonly(a: np.ndarray, *, owned: bool = False) -> np.ndarray:
    """A read-only C-contiguous float array that nobody else can write to.

    *owned* says the caller created *a* and keeps no reference: it is frozen
    in place. Otherwise *a* is shared only when it is already read-only all the
    way down (e.g. a slice of another Recording's data, or an array frozen with
    ``a.setflags(write=False)`` by its creator), and copied in every other case,
    so a caller's array is never frozen or aliased behind their back.
    """
    if owned:
        a = np.ascontiguousarray(a)
        a.setflags(write=False)
        return a
    if a.flags.c_contiguous and not _writable_behind(a):
        return a
    a = np.array(a, order="C", copy=True)
    a.setflags(write=False)
    return a


def _frozen(a: np.ndarray) -> np.ndarray:
    """Mark a freshly made array read-only (so Recording adopts it without a copy)."""
    a.setflags(write=False)
    return a


@dataclasses.dataclass(frozen=True, eq=False)
class Annotations:
    """Labelled time intervals: ground truth, manual labels or detector output.

    Parameters
    ----------
    onset : array_like of float, shape (n,)
        Start of each interval in seconds, on the recording's time axis.
    duration : array_like of float, shape (n,)
        Length of each interval in seconds (0 for point events).
    label : sequence of str
        What happened, e.g. ``"twitch"``, ``"beat"``, ``"burst"``, ``"voluntary"``.
    mechanism : sequence of str or None
        One of :data:`MECHANISMS`, or None (e.g. voluntary movement).
    source : sequence of str
        ``"truth"``, ``"manual"`` or ``"detector:<name>"`` (default ``"manual"``).
    value : array_like of float, shape (n,)
        A number attached to each event (peak amplitude, heart rate, ...); NaN if none.
    """

    onset: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    duration: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))
    label: tuple[str, ...] = ()
    mechanism: tuple[str | None, ...] = ()
    source: tuple[str, ...] = ()
    value: np.ndarray = dataclasses.field(default_factory=lambda: np.zeros(0))

    def __post_init__(self) -> None:
        onset = np.asarray(self.onset, dtype=float).reshape(-1)
        n = onset.size
        duration = np.asarray(self.duration, dtype=float).reshape(-1)
        if duration.size == 1 and n != 1:
            duration = np.full(n, float(duration[0]))
        value = np.asarray(self.value, dtype=float).reshape(-1)
        if value.size == 0 and n:
            value = np.full(n, np.nan)
        label, mech, source = (tuple(self.label), tuple(self.mechanism), tuple(self.source))
        if len(mech) == 0 and n:
            mech = (None,) * n
        if len(source) == 0 and n:
            source = ("manual",)
        if len(source) == 1 and n != 1:
            source = source * n
        if len(label) == 1 and n != 1:
            label = label * n
        for name, seq in (("duration", duration), ("label", label), ("mechanism", mech),
                          ("source", source), ("value", value)):
            if len(seq) != n:
                raise ParameterError(f"Annotations.{name} has {len(seq)} entries, onset has {n}")
        if not np.all(np.isfinite(onset)) or np.any(duration < 0) or not np.all(np.isfinite(duration)):
            raise ParameterError("Annotations need finite onsets and finite durations ≥ 0")
        bad = set(mech) - set(MECHANISMS) - {None}
        if bad:
            raise ParameterError(f"unknown mechanism {sorted(map(repr, bad))[0]}; "
                                 f"expected one of {MECHANISMS}")
        label, source = _strs(label), _strs(source)
        permuted = n > 1 and bool(np.any(onset[1:] < onset[:-1]))  # detectors emit sorted
        if permuted:
            order = np.argsort(onset, kind="stable")
            onset, duration, value = onset[order], duration[order], value[order]
            label, mech, source = (tuple(seq[i] for i in order) for seq in (label, mech, source))
        object.__setattr__(self, "onset", _readonly(onset, owned=permuted))
        object.__setattr__(self, "duration", _readonly(duration, owned=permuted))
        object.__setattr__(self, "value", _readonly(value, owned=permuted))
        object.__setattr__(self, "label", label)
        object.__setattr__(self, "mechanism", mech)
        object.__setattr__(self, "source", source)

    def __len__(self) -> int:
        return int(self.onset.size)

    def select(self, *, mechanism: str | None = None, source: str | None = None,
               label: str | None = None) -> "Annotations":
        """Return the annotations matching every given criterion.

        ``source`` matches exactly or as a prefix ending in ``:`` (``"detector:"``).
        """
        keep = np.ones(len(self), dtype=bool)
        if mechanism is not None:
            keep &= np.array([m == mechanism for m in self.mechanism], dtype=bool)
        if label is not None:
            keep &= np.array([lab == label for lab in self.label], dtype=bool)
        if source is not None:
            keep &= np.array([s == source or (source.endswith(":") and s.startswith(source))
                              for s in self.source], dtype=bool)
        return self._take(np.flatnonzero(keep))

    def _take(self, idx: np.ndarray) -> "Annotations":
        return Annotations(self.onset[idx], self.duration[idx], [self.label[i] for i in idx],
                           [self.mechanism[i] for i in idx], [self.source[i] for i in idx],
                           self.value[idx])

    def shift(self, seconds: float) -> "Annotations":
        """Return the annotations moved by *seconds* on the time axis."""
        return dataclasses.replace(self, onset=self.onset + seconds)

    def crop(self, tmin: float, tmax: float) -> "Annotations":
        """Keep events whose onset lies in ``[tmin, tmax)``."""
        return self._take(np.flatnonzero((self.onset >= tmin) & (self.onset < tmax)))

    def __add__(self, other: "Annotations") -> "Annotations":
        return Annotations(np.r_[self.onset, other.onset], np.r_[self.duration, other.duration],
                           self.label + other.label, self.mechanism + other.mechanism,
                           self.source + other.source, np.r_[self.value, other.value])

    @classmethod
    def join(cls, parts: Iterable["Annotations"]) -> "Annotations":
        """``parts[0] + parts[1] + …`` in one step.

        Summing pairwise re-validates the growing list at every step (quadratic in
        the number of parts: ~10⁵ beats over the 48 chunks of a day); one
        construction sorts the concatenation stably, which orders ties as the
        pairwise sums do.
        """
        parts = list(parts)
        if not parts:
            return cls()
        return cls(np.concatenate([a.onset for a in parts]),
                   np.concatenate([a.duration for a in parts]),
                   tuple(x for a in parts for x in a.label),
                   tuple(x for a in parts for x in a.mechanism),
                   tuple(x for a in parts for x in a.source),
                   np.concatenate([a.value for a in parts]))

    def to_records(self) -> list[dict[str, Any]]:
        """One JSON-ready dict per event."""
        return [
            {"onset_s": float(o), "duration_s": float(d), "label": lab, "mechanism": m,
             "source": s, "value": (None if not np.isfinite(v) else float(v))}
            for o, d, lab, m, s, v in zip(self.onset, self.duration, self.label,
                                          self.mechanism, self.source, self.value)
        ]

    @classmethod
    def from_records(cls, records: Iterable[Mapping[str, Any]]) -> "Annotations":
        """Inverse of :meth:`to_records`."""
        recs = list(records)
        return cls(
            [r["onset_s"] for r in recs], [r.get("duration_s", 0.0) for r in recs],
            [r.get("label", "") for r in recs], [r.get("mechanism") for r in recs],
            [r.get("source", "manual") for r in recs],
            [np.nan if r.get("value") is None else r["value"] for r in recs],
        )


@dataclasses.dataclass(frozen=True, eq=False)
class Recording:
    """A multichannel recording sampled at a constant rate, in SI units.

    Parameters
    ----------
    data : array_like, shape (n_channels, n_samples)
        Samples in SI units (see :mod:`glutesense.units`). Stored as a read-only
        C-contiguous float64 array. A writable array you pass in is copied (it
        is never frozen or aliased); an array that is already read-only all the
        way down (``a.setflags(write=False)``) is adopted without a copy.
    fs : float
        Sampling rate in Hz; required, finite and > 0.
    ch_names, ch_types, ch_units : sequence of str
        One entry per channel. Types are e.g. ``"acc"``, ``"gyro"``, ``"emg"``,
        ``"force"``, ``"cop"``; units are SI strings (``"m/s^2"``, ``"V"``, ...).
    start : datetime or None
        Wall-clock time (tz-aware UTC) of ``t = 0``, or None if unknown.
    t0 : float
        Time of the first sample in seconds on the recording's time axis.
    annotations : Annotations
        Events (ground truth, manual labels or detector output).
    meta : mapping
        JSON-like provenance: ``format``, ``app``, ``device``, ``path``,
        ``inferred`` (units, gravity, time base, achieved rate, jitter, ...) and
        ``warnings`` (list of str).
    streams : mapping of str to Recording
        Further streams at their own rates (e.g. ``{"emg": Recording}``),
        aligned through their ``t0`` on the same time axis.

    Examples
    --------
    >>> import numpy as np
    >>> rec = Recording(np.zeros((3, 500)), fs=100.0, ch_names=("acc_x", "acc_y", "acc_z"),
    ...                 ch_types=("acc",) * 3, ch_units=("m/s^2",) * 3)
    >>> rec.duration
    5.0
    >>> rec.crop(1.0, 2.0).n_samples
    100
    """

    data: np.ndarray
    fs: float
    ch_names: tuple[str, ...]
    ch_types: tuple[str, ...]
    ch_units: tuple[str, ...]
    start: _dt.datetime | None = None
    t0: float = 0.0
    annotations: Annotations = dataclasses.field(default_factory=Annotations)
    meta: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    streams: Mapping[str, "Recording"] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            fs = float(self.fs)
        except (TypeError, ValueError):
            raise SamplingRateError(f"fs must be a number in Hz, got {self.fs!r}") from None
        if not math.isfinite(fs) or fs <= 0:
            raise SamplingRateError(f"fs must be finite and > 0 Hz, got {self.fs!r}")
        given = self.data
        try:
            data = np.asarray(given, dtype=np.float64)
        except (TypeError, ValueError) as exc:
            raise ParameterError(f"data must be numeric, shape (n_channels, n_samples): {exc}") from None
        # A conversion (list, other dtype) made a new array that only we hold; anything
        # else (the caller's array, a view into a DataFrame's block) is not ours to freeze.
        owned = data is not given and data.flags.owndata and not (
            isinstance(given, np.ndarray) and np.may_share_memory(data, given))
        if data.ndim == 1:
            data = data[np.newaxis, :]
        if data.ndim != 2:
            raise ParameterError(f"data must have shape (n_channels, n_samples), got {data.shape}")
        names, types, units = tuple(self.ch_names), tuple(self.ch_types), tuple(self.ch_units)
        for what, seq in (("ch_names", names), ("ch_types", types), ("ch_units", units)):
            if len(seq) != data.shape[0]:
                raise ParameterError(f"{what} has {len(seq)} entries for {data.shape[0]} channels")
        if len(set(names)) != len(names):
            raise ParameterError(f"channel names must be unique, got {names}")
        if self.start is not None:
            if not isinstance(self.start, _dt.datetime):
                raise ParameterError(f"start must be a datetime or None, got {type(self.start).__name__}")
            if self.start.tzinfo is None or self.start.utcoffset() is None:
                raise ParameterError("start must be timezone-aware (UTC)")
            object.__setattr__(self, "start", self.start.astimezone(_dt.timezone.utc))
        try:
            t0 = float(self.t0)
        except (TypeError, ValueError):
            raise ParameterError(f"t0 must be a number of seconds, got {self.t0!r}") from None
        if not math.isfinite(t0):
            raise ParameterError("t0 must be finite")
        object.__setattr__(self, "fs", fs)
        object.__setattr__(self, "t0", float(self.t0))
        object.__setattr__(self, "data", _readonly(data, owned=owned))
        object.__setattr__(self, "ch_names", tuple(map(str, names)))
        object.__setattr__(self, "ch_types", tuple(map(str, types)))
        object.__setattr__(self, "ch_units", tuple(map(str, units)))
        if not isinstance(self.meta, Mapping):
            raise ParameterError(f"meta must be a mapping, got {type(self.meta).__name__}")
        object.__setattr__(self, "meta", _freeze(dict(self.meta)))
        streams = dict(self.streams)
        for k, v in streams.items():
            if not isinstance(v, Recording):
                raise ParameterError(f"stream {k!r} must be a Recording")
        object.__setattr__(self, "streams", MappingProxyType(streams))

    # ------------------------------------------------------------------ properties
    @property
    def n_channels(self) -> int:
        """Number of channels."""
        return int(self.data.shape[0])

    @property
    def n_samples(self) -> int:
        """Number of samples per channel."""
        return int(self.data.shape[1])

    @property
    def duration(self) -> float:
        """Duration in seconds (``n_samples / fs``)."""
        return self.n_samples / self.fs

    @property
    def times(self) -> np.ndarray:
        """Sample times in seconds, ``t0 + arange(n_samples) / fs``."""
        return self.t0 + np.arange(self.n_samples) / self.fs

    @property
    def warnings(self) -> tuple[str, ...]:
        """Warnings collected while reading (``meta["warnings"]``)."""
        return tuple(self.meta.get("warnings", ()))

    @property
    def inferred(self) -> Mapping[str, Any]:
        """What the reader inferred rather than read (``meta["inferred"]``)."""
        return self.meta.get("inferred", MappingProxyType({}))

    def channels_of_type(self, ch_type: str) -> tuple[str, ...]:
        """Names of the channels of type *ch_type*, in order."""
        return tuple(n for n, t in zip(self.ch_names, self.ch_types) if t == ch_type)

    def get(self, names: str | Sequence[str]) -> np.ndarray:
        """Return the data of one channel (1-D) or several (2-D), read-only."""
        if isinstance(names, str):
            return self.data[self._index(names)]
        return self.data[[self._index(n) for n in names]]

    def _index(self, name: str) -> int:
        try:
            return self.ch_names.index(name)
        except ValueError:
            raise ParameterError(f"no channel {name!r}; channels are {self.ch_names}") from None

    # ------------------------------------------------------------------ operations
    def replace(self, **changes: Any) -> "Recording":
        """Return a copy with the given fields replaced (``dataclasses.replace``)."""
        if "meta" in changes:
            changes["meta"] = thaw(changes["meta"])
        return dataclasses.replace(self, **changes)

    def with_meta(self, **updates: Any) -> "Recording":
        """Return a copy whose ``meta`` is updated with *updates*."""
        meta = thaw(self.meta)
        meta.update(updates)
        return self.replace(meta=meta)

    def with_warning(self, message: str) -> "Recording":
        """Return a copy with *message* appended to ``meta["warnings"]``."""
        return self.with_meta(warnings=[*self.warnings, message])

    def pick(self, names: str | Sequence[str]) -> "Recording":
        """Return a recording with only the named channels (in the given order)."""
        if isinstance(names, str):
            names = [names]
        idx = [self._index(n) for n in names]
        return self.replace(data=_frozen(np.take(self.data, idx, axis=0)),
                            ch_names=tuple(self.ch_names[i] for i in idx),
                            ch_types=tuple(self.ch_types[i] for i in idx),
                            ch_units=tuple(self.ch_units[i] for i in idx))

    def crop(self, tmin: float | None = None, tmax: float | None = None) -> "Recording":
        """Return the part with ``tmin <= t < tmax`` (seconds on the time axis).

        Streams and annotations are cropped to the same interval.
        """
        t_end = self.t0 + self.duration
        lo = self.t0 if tmin is None else max(float(tmin), self.t0)
        hi = t_end if tmax is None else min(float(tmax), t_end)
        if hi < lo:
            raise ParameterError(f"crop interval [{tmin}, {tmax}) lies outside the recording")
        i0 = int(math.ceil((lo - self.t0) * self.fs - 1e-9))
        i1 = int(math.ceil((hi - self.t0) * self.fs - 1e-9))
        streams = {k: s.crop(lo, hi) for k, s in self.streams.items()
                   if s.t0 < hi and s.t0 + s.duration > lo}
        return self.replace(data=self.data[:, i0:i1], t0=self.t0 + i0 / self.fs,
                            annotations=self.annotations.crop(lo, hi), streams=streams)

    def resample(self, fs: float) -> "Recording":
        """Return the recording resampled to *fs* Hz with a polyphase filter.

        The up/down ratio is the closest fraction with a denominator ≤ 1000 (so
        the ratio must lie in [1/1000, 1000]); the achieved rate (which may
        differ from *fs* by that approximation) becomes the new ``fs``. Uses
        :func:`scipy.signal.resample_poly` (Kaiser-windowed FIR anti-aliasing
        filter).
        """
        from scipy.signal import resample_poly

        fs = float(fs)
        if not math.isfinite(fs) or fs <= 0:
            raise SamplingRateError(f"target fs must be finite and > 0 Hz, got {fs!r}")
        ratio = Fraction(fs / self.fs).limit_denominator(1000)
        if ratio == 1:
            return self
        up, down = ratio.numerator, ratio.denominator
        if up == 0 or up > 1000 * down:
            raise SamplingRateError(
                f"cannot resample from {self.fs:g} Hz to {fs:g} Hz: the ratio is outside "
                "[1/1000, 1000]")
        out = resample_poly(self.data, up, down, axis=-1, padtype="line")
        return self.replace(data=_frozen(np.ascontiguousarray(out)), fs=self.fs * up / down)

    # ------------------------------------------------------------------ construction
    @classmethod
    def from_timestamps(
        cls,
        t: np.ndarray,
        values: np.ndarray,
        *,
        ch_names: Sequence[str],
        ch_types: Sequence[str],
        ch_units: Sequence[str],
        start: _dt.datetime | None = None,
        meta: Mapping[str, Any] | None = None,
        fs: float | None = None,
        detect_hold: bool = True,
    ) -> "Recording":
        """Build a uniformly sampled recording from (possibly irregular) time stamps.

        Steps, each reported in ``meta["inferred"]`` / ``meta["warnings"]``:

        1. rows with a non-finite time or value are dropped;
        2. time stamps that run backwards are repaired by a stable sort when
           the reversals are few (≤ 1 % of steps) and small (≤ 1 s); otherwise
           :class:`TimeBaseError`;
        3. rows with a duplicated time stamp are dropped (the first is kept);
        4. sample-and-hold logging (the same value repeated at a higher nominal
           rate, with the changes coming at regular intervals) is detected; only
           the samples where the value changes are kept, and their rate is the
           *effective* rate;
        5. the achieved rate (steps per second over intervals that are not
           gaps, an interval of about k median steps counting as k) and the
           jitter (SD of the single-step intervals) are measured; intervals
           longer than 5× the median are reported as gaps;
        6. if the stamps are already uniform (jitter < 1 % of the interval, no
           gaps) they are used as they are; otherwise the samples are linearly
           interpolated onto a uniform grid at the achieved rate.

        Parameters
        ----------
        t : array_like, shape (n_samples,)
            Time stamps in seconds (any origin).
        values : array_like, shape (n_channels, n_samples)
            Samples in SI units.
        fs : float or None
            Force this output rate instead of the achieved rate.
        detect_hold : bool
            Look for sample-and-hold repetition (step 4).

        Returns
        -------
        Recording
            ``t0`` is the first time stamp; ``meta["inferred"]`` holds
            ``fs_achieved_hz``, ``fs_nominal_hz``, ``jitter_s``, ``n_duplicates``,
            ``n_reordered``, ``sample_and_hold``, ``gaps`` (the first 100),
            ``n_gaps``, ``n_missing`` (rows missing inside intervals of 2-5 steps),
            ``resampled`` (and ``fs_effective_hz`` for sample-and-hold).

        Raises
        ------
        TimeBaseError
            Too many missing rows, duplicates or reversals, fewer than 2 usable
            samples, or gaps so long that bridging them would invent far more
            samples than were recorded.
        """
        t = np.asarray(t, dtype=np.float64).reshape(-1)
        x = np.asarray(values, dtype=np.float64)  # no copy when already float64
        if x.ndim == 1:
            x = x[np.newaxis]
        if x.ndim != 2 or x.shape[1] != t.size:
            raise ParameterError(f"{t.size} time stamps for values of shape {x.shape}")
        meta = thaw(dict(meta or {}))
        warnings: list[str] = list(meta.get("warnings", []))
        inferred: dict[str, Any] = dict(meta.get("inferred", {}))
        n_in = int(t.size)

        # Memory: the samples are never copied until the output is built. The steps below
        # only maintain `idx`, the columns of `x` still in play (None = all, in order), and
        # the matching time stamps `t`; temporaries are at most one channel long.
        idx: np.ndarray | None = None

        def column(i: int) -> np.ndarray:
            return x[i] if idx is None else np.take(x[i], idx)

        good = np.isfinite(t)
        for row in x:
            good &= np.isfinite(row)
        n_bad = int(t.size - np.count_nonzero(good))
        if n_bad:
            if n_bad > 0.5 * t.size:
                raise TimeBaseError(f"{n_bad} of {t.size} rows have missing or non-finite values")
            warnings.append(f"dropped {n_bad} rows with missing or non-finite values")
            idx = np.flatnonzero(good)
            t = t[idx]
        del good
        if t.size < 2:
            raise TimeBaseError(f"need at least 2 samples, found {t.size}")

        # Steps smaller than a few float64 ulps of the stamps (or 1 ns) are rounding noise
        # (e.g. after a dejittering fit), not time running backwards: they count as ties.
        tol = max(1e-9, 4.0 * float(np.spacing(np.max(np.abs(t[[0, -1]])))))
        dt = np.diff(t)
        back = dt < -tol
        n_back = int(back.sum())
        if n_back:
            if n_back > max(1, 0.01 * dt.size) or float(-dt[back].min()) > 1.0:
                raise TimeBaseError(
                    f"time runs backwards {n_back} times (largest step back "
                    f"{float(-dt[back].min()):.3g} s); cannot be repaired by sorting")
            warnings.append(f"re-ordered {n_back} samples whose time stamps ran backwards")
        if n_back or np.any(dt < 0):
            order = np.argsort(t, kind="stable")
            idx = order if idx is None else idx[order]
            t = t[order]
        inferred["n_reordered"] = n_back
        del dt, back

        dup = np.r_[False, np.diff(t) <= tol]
        n_dup = int(dup.sum())
        if n_dup:
            if n_dup > 0.5 * t.size:
                raise TimeBaseError(f"{n_dup} of {t.size} time stamps are duplicates")
            keep = np.flatnonzero(~dup)
            idx = keep if idx is None else idx[keep]
            t = t[keep]
            warnings.append(f"dropped {n_dup} rows with a duplicated time stamp")
        inferred["n_duplicates"] = n_dup
        del dup
        if t.size < 2:
            raise TimeBaseError("fewer than 2 distinct time stamps")

        nominal_dt = float(np.median(np.diff(t)))
        inferred["fs_nominal_hz"] = _round_rate(1.0 / nominal_dt)
        hold = False
        if detect_hold and t.size > 20:
            same = np.ones(t.size - 1, dtype=bool)
            for i in range(x.shape[0]):
                c = column(i)
                same &= c[1:] == c[:-1]
            same = np.r_[False, same]
            if same.mean() > 0.3 and _regular_changes(same):
                hold = True
                keep = np.flatnonzero(~same)
                warnings.append(
                    f"sample-and-hold logging: {int(same.sum())} of {t.size} rows repeat the "
                    f"previous value; the logger wrote {inferred['fs_nominal_hz']:g} rows/s but the "
                    "sensor delivered fewer")
                idx = keep if idx is None else idx[keep]
                t = t[keep]
            del same
        inferred["sample_and_hold"] = hold
        if t.size < 2:
            raise TimeBaseError("the signal is constant: fewer than 2 distinct samples")

        dt = np.diff(t)
        med = float(np.median(dt))
        gap = dt > 5 * med
        ok = ~gap
        # An interval of about k nominal steps (a dropped or missing row) counts as k steps,
        # so lost samples do not drag the rate down (100 Hz with 1 % of rows lost is 100 Hz).
        steps = np.rint(dt / med)
        np.maximum(steps, 1.0, out=steps)
        achieved = float(steps.sum(where=ok)) / float(dt.sum(where=ok))
        single = ok & (steps == 1)
        jitter = float(dt.std(where=single)) if single.any() else float(dt.std(where=ok))
        inferred["n_missing"] = int(steps.sum(where=ok) - np.count_nonzero(ok))
        del steps, single, ok
        if not (math.isfinite(achieved) and achieved > 0):
            raise TimeBaseError(f"the time stamps give no usable sampling rate ({achieved!r} Hz)")
        inferred["fs_achieved_hz"] = round(achieved, 4) if achieved >= 1 else float(f"{achieved:.4g}")
        if hold:
            inferred["fs_effective_hz"] = inferred["fs_achieved_hz"]
        inferred["jitter_s"] = jitter
        gap_idx = np.flatnonzero(gap)
        gaps = [{"t_s": float(t[i] - t[0]), "length_s": float(dt[i])} for i in gap_idx[:100]]
        inferred["gaps"] = gaps
        inferred["n_gaps"] = int(gap_idx.size)
        if gap_idx.size:
            warnings.append(f"{gap_idx.size} gaps in the time stamps (longest "
                            f"{float(dt[gap_idx].max()):.3g} s) were bridged by interpolation")
        del dt, gap
        out_fs = float(fs) if fs is not None else _round_rate(achieved)
        if not (math.isfinite(out_fs) and out_fs > 0):
            raise SamplingRateError(f"fs must be finite and > 0 Hz, got {fs!r}")
        uniform = (not gap_idx.size and jitter < 0.01 * med and not hold
                   and abs(out_fs * med - 1.0) < 1e-3)
        if uniform:
            data = x if idx is None else _frozen(np.take(x, idx, axis=1))
            inferred["resampled"] = False
        else:
            span = float(t[-1] - t[0]) * out_fs
            # Bridging gaps must not conjure up far more samples than were recorded.
            limit = 50 * n_in + 1_000_000
            if not math.isfinite(span) or span + 1 > limit:
                raise TimeBaseError(
                    f"the time stamps span {t[-1] - t[0]:.6g} s, which needs "
                    f"{span:.3g} samples at {out_fs:g} Hz for {n_in} recorded rows; "
                    "the gaps are too long to bridge")
            n_out = int(math.floor(span + 1e-9)) + 1
            grid = np.arange(n_out, dtype=np.float64)
            grid /= out_fs
            grid += t[0]
            data = np.empty((x.shape[0], n_out))
            for i in range(x.shape[0]):
                data[i] = np.interp(grid, t, column(i))
            del grid
            _frozen(data)
            inferred["resampled"] = True
        meta["inferred"] = inferred
        meta["warnings"] = warnings
        return cls(data, out_fs, tuple(ch_names), tuple(ch_types), tuple(ch_units),
                   start=start, t0=float(t[0]), meta=meta)

    # ------------------------------------------------------------------ I/O
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (no samples): what ``glutesense info --json`` prints."""
        return {
            "fs_hz": self.fs,
            "n_samples": self.n_samples,
            "duration_s": self.duration,
            "t0_s": self.t0,
            "start_utc": None if self.start is None else self.start.isoformat(),
            "channels": [{"name": n, "type": t, "unit": u}
                         for n, t, u in zip(self.ch_names, self.ch_types, self.ch_units)],
            "streams": {k: s.to_dict() for k, s in self.streams.items()},
            "n_annotations": len(self.annotations),
            "meta": thaw(self.meta),
        }

    def write(self, path: str, **kwargs: Any) -> None:
        """Write to *path*; the format follows the extension (see :func:`glutesense.io.write`)."""
        from .io import write

        write(self, path, **kwargs)

    def __repr__(self) -> str:
        streams = f", streams={list(self.streams)}" if self.streams else ""
        return (f"<Recording {self.n_channels} ch × {self.n_samples} samples @ {self.fs:g} Hz "
                f"({self.duration:.3g} s){streams}>")


def concatenate(recordings: Sequence[Recording]) -> Recording:
    """Join recordings end to end (same channels, units and rate).

    The result starts at the first recording's ``t0``; annotations of later
    parts are shifted by the duration that precedes them. Streams are not
    concatenated (they are dropped with a warning when present).
    """
    recs = list(recordings)
    if not recs:
        raise ParameterError("nothing to concatenate")
    first = recs[0]
    for r in recs[1:]:
        if (r.ch_names, r.ch_units) != (first.ch_names, first.ch_units) or r.fs != first.fs:
            raise ParameterError("recordings to concatenate need the same channels, units and fs")
    ann = first.annotations
    offset = first.t0 + first.duration
    for r in recs[1:]:
        ann = ann + r.annotations.shift(offset - r.t0)
        offset += r.duration
    out = first.replace(data=_frozen(np.concatenate([r.data for r in recs], axis=1)), annotations=ann,
                        streams={})
    if any(r.streams for r in recs):
        out = out.with_warning("streams were dropped when concatenating")
    return out


def _regular_changes(same: np.ndarray) -> bool:
    """True when the samples that differ from their predecessor come at regular intervals.

    A logger that repeats the last value until the sensor delivers a new one
    (sample-and-hold) changes value every ``k`` or ``k + 1`` rows; a quantised
    signal that happens to repeat values does so at irregular, geometric intervals.
    """
    change = np.flatnonzero(~same)
    if change.size < 4:
        return False
    step = np.diff(change)
    q1, med, q3 = np.percentile(step, [25, 50, 75])
    return bool(med >= 2 and (q3 - q1) <= 0.5 * med)


def _round_rate(fs: float) -> float:
    """Snap *fs* to a common nominal rate when within 0.2 %, else round to 0.01 Hz."""
    for nice in _NICE_RATES:
        if abs(fs - nice) <= 0.002 * nice:
            return float(nice)
    if not math.isfinite(fs) or fs <= 0:
        return float(fs)
    if fs < 100:
        # Four significant digits: 0.01 Hz steps would turn 0.004 Hz into 0 Hz.
        return float(f"{fs:.4g}")
    return round(float(fs), 2)


def _json_default(obj: Any) -> Any:
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, MappingProxyType):
        return dict(obj)
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def dumps_meta(meta: Mapping[str, Any]) -> str:
    """Serialise metadata to JSON (used by the binary writers)."""
    return json.dumps(thaw(meta), default=_json_default)
