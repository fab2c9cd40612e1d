"""EDF, EDF+ and BDF: read and write with edfio.

European Data Format (Kemp et al. 1992, *Electroencephalogr. Clin.
Neurophysiol.* 82:391; EDF+: Kemp & Olivan 2003, *Clin. Neurophysiol.*
114:1755; https://www.edfplus.info/specs/) stores each signal as 16-bit
integers (BDF, BioSemi's variant: 24-bit) with a linear map from the digital
range ``[dmin, dmax]`` to the physical range ``[pmin, pmax]`` declared in the
header, in the signal's "physical dimension" (``uV``, ``mV``, ``g`` ...).
EDF+ adds annotations ("TALs") and a sub-second start time. The files are
parsed and written with edfio (https://github.com/the-siesta-group/edfio),
which loads EDF samples lazily from a memory map.

Reading
    Physical values are converted to SI (µV/mV → V, g/mg → m/s², deg/s →
    rad/s). Signals are grouped by sampling rate: the group that holds
    acceleration (else EMG, else the largest) is the primary
    :class:`~glutesense.recording.Recording`, the other groups go to
    ``Recording.streams`` keyed by their channel type (``"emg"``, ``"ecg"``,
    ...), all with ``t0 = 0`` on the file's time axis. EDF+ annotations become
    :class:`~glutesense.recording.Annotations`. The EDF start date/time is a
    local clock time without a zone; it is taken as UTC and said so in
    ``meta["inferred"]``. EDF+D (discontinuous) files are read as if
    contiguous, with a warning.
Writing
    :func:`write_edf` writes the primary channels and every stream as EDF+C
    signals (volts as ``uV``, so that the 8-character physical range keeps its
    precision), the annotations as TALs and the start time with its
    sub-second part. The data-record duration is chosen so that every rate is
    an integer number of samples per record; when the signals cannot fill a
    whole number of records the end is padded with the last value (a
    :class:`~glutesense.errors.GlutesenseWarning` says so). Time zero of the
    file is the recording's ``t0``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import re
import warnings
from collections.abc import Mapping, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, GlutesenseWarning, UnitError
from ..recording import MECHANISMS, Annotations, Recording
from ..units import parse_unit
from ._registry import FormatSpec, Probe, register

__all__ = ["read_edf", "write_edf", "channel_info", "ChannelInfo", "assemble",
           "SignalGroup", "unique_names"]

#: Largest digital value set an EDF file can hold (16-bit two's complement).
EDF_DIGITAL_RANGE = (-32768, 32767)

# How each SI unit is written to EDF (dimension, factor from SI to the written value).
_WRITE_UNITS = {"V": ("uV", 1e6), "m/s^2": ("m/s^2", 1.0), "rad/s": ("rad/s", 1.0),
                "T": ("uT", 1e6), "degC": ("degC", 1.0), "lx": ("lx", 1.0), "N": ("N", 1.0),
                "N*m": ("N*m", 1.0), "m": ("m", 1.0), "au": ("", 1.0)}

# Data-record durations tried when writing, most agreeable first (seconds).
_RECORD_DURATIONS = (1, 2, 0.5, 4, 0.25, 5, 0.2, 10, 0.1, 0.125, 8, 20, 0.05, 25, 0.04, 50,
                     0.02, 100, 0.01, 1000, 10000)


# ---------------------------------------------------------------------- channels
@dataclasses.dataclass(frozen=True)
class ChannelInfo:
    """How one file channel maps onto a glutesense channel.

    Attributes
    ----------
    name, ch_type, unit : str
        Channel name, type and SI unit in the :class:`Recording`.
    factor : float
        Multiply the file's values by this to get SI.
    note : str or None
        What was assumed (e.g. an unknown unit kept as raw values).
    """

    name: str
    ch_type: str
    unit: str
    factor: float
    note: str | None = None


_AXIS = re.compile(r"(?:^|[^a-z]|acc|accel|gyro|gyr|mag)([xyz])$")


def channel_info(label: str, unit: str, *, type_hint: str | None = None) -> ChannelInfo:
    """Name, type, SI unit and scale factor of a channel from its label and unit.

    Parameters
    ----------
    label : str
        The channel label in the file (``"EMG"``, ``"Accel X"``, ``"ECG II"``).
    unit : str
        The unit in the file (``"uV"``, ``"mV"``, ``"g"``, ``"degC"``, ...).
    type_hint : str or None
        A channel type stated by the file (XDF stream type, OpenSignals
        sensor), used before guessing from the label.

    Returns
    -------
    ChannelInfo
        Acceleration, gyroscope and magnetometer axes are named
        ``acc_x``/``gyro_x``/``mag_x``...; volts are ``"emg"`` unless the
        label says ECG/EKG, EEG or EOG; unknown units keep the raw values
        with unit ``"au"`` and a note.
    """
    low = re.sub(r"\s+", " ", str(label).strip().lower())
    note = None
    try:
        si, factor = parse_unit(unit)
    except UnitError:
        key = str(unit).strip().lower().replace("°", "")
        if key in {"degreec", "degree c", "deg c", "degc", "celsius"}:
            si, factor = "degC", 1.0
        else:
            si, factor = "au", 1.0
            note = f"channel {label!r}: unit {unit!r} not recognised; raw values kept (au)"
    hint = (type_hint or "").strip().lower()
    if si == "m/s^2":
        ch_type = "acc"
    elif si == "rad/s":
        ch_type = "gyro"
    elif si == "T":
        ch_type = "mag"
    elif si == "degC":
        ch_type = "temp"
    elif si == "lx":
        ch_type = "light"
    elif si == "N":
        ch_type = "force"
    elif si == "V":
        if "batt" in low or hint == "battery":
            ch_type = "battery"
        elif re.search(r"\b(ecg|ekg)", low) or hint in {"ecg", "ekg"}:
            ch_type = "ecg"
        elif re.search(r"\beeg", low) or hint == "eeg":
            ch_type = "eeg"
        elif re.search(r"\beog", low) or hint == "eog":
            ch_type = "eog"
        else:
            ch_type = "emg"
    elif hint in {"acc", "gyro", "mag", "emg", "ecg", "light", "temp", "battery"}:
        ch_type = hint
    elif "light" in low or "lux" in low:
        ch_type = "light"
    else:
        ch_type = "misc"
    name = low.replace(" ", "_") or ch_type
    if ch_type in {"acc", "gyro", "mag"}:
        m = _AXIS.search(low.replace("-", " ").replace("_", " ").strip())
        if m:
            name = f"{ch_type}_{m.group(1)}"
    elif ch_type in {"emg", "ecg", "temp", "light", "battery"} and low in {"", ch_type}:
        name = ch_type
    return ChannelInfo(name, ch_type, si, factor, note)


def unique_names(names: Sequence[str]) -> list[str]:
    """Make channel names unique by suffixing repeats with ``_2``, ``_3`` ..."""
    out: list[str] = []
    used: set[str] = set()
    for n in names:
        cand, k = n, 1
        while cand in used:
            k += 1
            cand = f"{n}_{k}"
        used.add(cand)
        out.append(cand)
    return out


@dataclasses.dataclass(frozen=True)
class SignalGroup:
    """Channels that share one sampling rate (input to :func:`assemble`).

    Attributes
    ----------
    fs : float
        Sampling rate in Hz.
    channels : list of ChannelInfo
        One per row of *data*.
    data : ndarray, shape (n_channels, n_samples)
        Samples in SI units, the first at ``t = 0``.
    """

    fs: float
    channels: list[ChannelInfo]
    data: np.ndarray


def _group_kind(group: SignalGroup) -> str:
    types = [c.ch_type for c in group.channels]
    for t in ("acc", "emg", "ecg", "gyro", "eeg"):
        if t in types:
            return t
    return max(set(types), key=types.count)


def assemble(groups: Sequence[SignalGroup], *, start: _dt.datetime | None,
             meta: Mapping[str, Any], annotations: Annotations | None = None) -> Recording:
    """Build one :class:`Recording` (primary + ``streams``) from groups of channels.

    The primary is the group with acceleration channels, else the one with
    EMG, else the one with the most channels; the others become streams keyed
    by their main channel type (``"emg"``, ``"ecg"``, ``"gyro"``...; a suffix
    ``_<fs>hz`` separates two groups of the same type). All start at ``t0 = 0``
    and share *start*.

    Raises
    ------
    FormatError
        If there is no group with samples.
    """
    groups = [g for g in groups if g.data.size and g.data.shape[-1] > 0]
    if not groups:
        raise FormatError("no signal channels with samples")

    def rank(g: SignalGroup) -> tuple[int, int, int]:
        kind = _group_kind(g)
        return (kind == "acc", kind == "emg", len(g.channels))

    primary = max(groups, key=rank)
    base_meta = dict(meta)
    notes = [c.note for g in groups for c in g.channels if c.note]
    if notes:
        base_meta["warnings"] = [*base_meta.get("warnings", []), *notes]

    def build(g: SignalGroup, m: Mapping[str, Any]) -> Recording:
        names = unique_names([c.name for c in g.channels])
        return Recording(g.data, g.fs, names, [c.ch_type for c in g.channels],
                         [c.unit for c in g.channels], start=start, meta=m)

    streams: dict[str, Recording] = {}
    for g in groups:
        if g is primary:
            continue
        key = _group_kind(g)
        if key in streams or key == _group_kind(primary):
            key = f"{key}_{g.fs:g}hz".replace(".", "p")
        streams[key] = build(g, {k: v for k, v in meta.items() if k != "inferred"})
    rec = build(primary, base_meta)
    if annotations is not None and len(annotations):
        rec = rec.replace(annotations=annotations)
    return rec.replace(streams=streams) if streams else rec


# ---------------------------------------------------------------------- annotations
def _annotation_text(label: str, mechanism: str | None, source: str, value: float) -> str:
    extra: dict[str, Any] = {}
    if mechanism is not None:
        extra["mechanism"] = mechanism
    if source != "manual":
        extra["source"] = source
    if np.isfinite(value):
        extra["value"] = float(value)
    return label if not extra else f"{label}|{json.dumps(extra, separators=(',', ':'))}"


def _parse_annotation_text(text: str) -> tuple[str, str | None, str, float]:
    label, mech, source, value = text, None, "manual", float("nan")
    m = re.fullmatch(r"(.*)\|(\{.*\})", text, flags=re.S)
    if m:
        try:
            extra = json.loads(m.group(2))
        except ValueError:
            extra = None
        if isinstance(extra, dict):
            label = m.group(1)
            mech = extra.get("mechanism") if extra.get("mechanism") in MECHANISMS else None
            source = str(extra.get("source", "manual"))
            try:
                value = float(extra.get("value", float("nan")))
            except (TypeError, ValueError):
                value = float("nan")
            return label, mech, source, value
    if text.strip().lower() in MECHANISMS:
        mech = text.strip().lower()
    return label, mech, source, value


# ---------------------------------------------------------------------- reading
def _sniff_edf(p: Probe) -> bool:
    h = p.head
    return len(h) >= 256 and h[:8] == b"0       " and h[184:192].strip().isdigit()


def _sniff_bdf(p: Probe) -> bool:
    h = p.head
    return len(h) >= 256 and h[:8] == b"\xffBIOSEMI" and h[184:192].strip().isdigit()


def _start(edf: Any, inferred: dict[str, Any]) -> _dt.datetime | None:
    import edfio

    try:
        edf.recording.startdate  # noqa: B018 - raises when EDF+ says the date is anonymised
    except edfio.AnonymizedDateError:
        inferred["start"] = "anonymised in the file (EDF+ 'Startdate X'); unknown"
        return None
    except ValueError:
        pass  # plain EDF: the recording field is free text; the header date counts
    start = edf.startdatetime
    inferred["start"] = "EDF header date/time (local clock time, no zone stored); taken as UTC"
    return start.replace(tzinfo=_dt.timezone.utc)


def _header_int(field: bytes, what: str) -> int:
    try:
        return int(field.decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise FormatError(f"EDF header field {what!r} is not an integer: {field!r}") from None


def _check_header(head: bytes, f: Any, size: int) -> None:
    """Validate the fixed header (EDF spec, Kemp et al. 1992) before edfio parses it.

    edfio trusts these fields; a file with 0 signals, 0 samples per record, a zero
    record duration or a wrong header length would otherwise divide by zero or read
    its own header as samples.
    """
    if len(head) < 256:
        raise FormatError("truncated EDF header (fewer than 256 bytes)")
    n_signals = _header_int(head[252:256], "number of signals")
    header_bytes = _header_int(head[184:192], "number of bytes in header")
    try:
        duration = float(head[244:252].decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise FormatError("EDF header field 'duration of a data record' is not a number") from None
    if n_signals < 1:
        raise FormatError(f"EDF header declares {n_signals} signals")
    if header_bytes != 256 * (n_signals + 1):
        raise FormatError(f"EDF header length {header_bytes} does not match {n_signals} signals "
                          f"(expected {256 * (n_signals + 1)} bytes)")
    if not (duration > 0 and duration < 1e6):
        raise FormatError(f"EDF data-record duration must be > 0 s, got {duration:g}")
    if size < header_bytes:
        raise FormatError("truncated EDF signal headers")
    f.seek(256 + 216 * n_signals)  # 'number of samples in each data record', 8 bytes per signal
    per_record = f.read(8 * n_signals)
    for i in range(n_signals):
        n = _header_int(per_record[8 * i: 8 * i + 8], f"samples per record of signal {i + 1}")
        if n < 1:
            raise FormatError(f"EDF signal {i + 1} declares {n} samples per data record")


def read_edf(path: Path, probe: Probe | None = None) -> Recording:
    """Read an EDF, EDF+ or BDF file (detected by its first 8 bytes).

    Parameters
    ----------
    path : Path
        The file.
    probe : Probe or None
        Unused (the registry passes it).

    Returns
    -------
    Recording
        See the module docstring for the grouping, units and annotations.

    Raises
    ------
    FormatError
        If the header or data records are malformed (edfio's ``ValueError``
        is turned into one by :func:`glutesense.io.read`).
    """
    import edfio

    path = Path(path)
    with open(path, "rb") as f:
        head = f.read(256)
        is_bdf = head[:1] == b"\xff"
        _check_header(head, f, path.stat().st_size)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        edf = edfio.read_bdf(path) if is_bdf else edfio.read_edf(path)
    fmt = "bdf" if is_bdf else "edf"
    inferred: dict[str, Any] = {}
    warn: list[str] = [f"edfio: {w.message}" for w in caught]
    reserved = str(edf.reserved).strip()
    variant = reserved if reserved.startswith(("EDF+", "BDF+")) else fmt.upper()
    if variant.endswith("+D") and not edf.is_continuous:
        warn.append(f"{variant} (discontinuous) file read as if contiguous: gaps between "
                    "data records are closed up")
    start = _start(edf, inferred)
    by_fs: dict[float, tuple[list[ChannelInfo], list[np.ndarray]]] = {}
    for sig in edf.signals:
        fs = float(sig.sampling_frequency)
        if not math.isfinite(fs) or fs <= 0:
            raise FormatError(f"signal {sig.label!r} has sampling rate {fs!r}")
        info = channel_info(sig.label, sig.physical_dimension)
        infos, rows = by_fs.setdefault(fs, ([], []))
        infos.append(info)
        rows.append(np.asarray(sig.data, dtype=np.float64) * info.factor)
        if info.ch_type in {"acc", "gyro", "emg", "ecg"}:
            inferred.setdefault("units", {})[info.name] = (
                f"{sig.physical_dimension.strip() or '(none)'} → {info.unit}")
    if not by_fs:
        raise FormatError(f"the {fmt.upper()} file holds annotations only, no signals")
    groups = [SignalGroup(fs, infos, np.vstack(rows)) for fs, (infos, rows) in by_fs.items()]
    anns = list(edf.annotations)
    annotations = None
    if anns:
        parsed = [_parse_annotation_text(a.text) for a in anns]
        annotations = Annotations([a.onset for a in anns], [a.duration or 0.0 for a in anns],
                                  [p[0] for p in parsed], [p[1] for p in parsed],
                                  [p[2] for p in parsed], [p[3] for p in parsed])
    equipment = None
    try:
        equipment = edf.recording.equipment_code
    except ValueError:
        equipment = None
    meta: dict[str, Any] = {"format": fmt, "variant": variant, "inferred": inferred,
                            "warnings": warn,
                            "data_record_duration_s": float(edf.data_record_duration)}
    if equipment and equipment != "X":
        meta["device"] = equipment
    return assemble(groups, start=start, meta=meta, annotations=annotations)


# ---------------------------------------------------------------------- writing
def _as_fraction(fs: float) -> Fraction:
    return Fraction(fs).limit_denominator(1_000_000)


def _record_duration(rates: Sequence[float]) -> Fraction:
    fr = [_as_fraction(f) for f in rates]
    for d in _RECORD_DURATIONS:
        dd = Fraction(str(d))
        if all((dd * f).denominator == 1 for f in fr):
            return dd
    raise FormatError(f"sampling rates {sorted(set(rates))} Hz cannot be stored in EDF: no "
                      "data-record duration of ≤ 10000 s holds a whole number of samples of each")


def _single_record_duration(n: int, fs: float) -> float | None:
    """A duration for one data record of *n* samples that fits the 8-character field.

    Returned only when it implies a rate within 1e-6 (relative) of *fs*.
    """
    exact = n / fs
    for digits in range(8, 0, -1):
        text = f"{exact:.{digits}g}"
        if "e" not in text and len(text) <= 8:
            d = float(text)
            return d if d > 0 and abs(d - exact) <= 1e-6 * exact else None
    return None


def _fit(x: np.ndarray, offset: int, n: int) -> np.ndarray:
    """Place *x* at sample *offset* in an array of *n* samples, padding with edge values."""
    if offset < 0:
        x = x[:, -offset:]
        offset = 0
    x = x[:, : max(n - offset, 0)]
    before, after = offset, n - offset - x.shape[1]
    if x.shape[1] == 0:
        return np.zeros((x.shape[0], n))
    return np.pad(x, ((0, 0), (before, after)), mode="edge")


def write_edf(rec: Recording, path: Path) -> None:
    """Write *rec* (primary channels, streams and annotations) as EDF+C.

    Parameters
    ----------
    rec : Recording
        What to write. Streams are aligned on the primary's time axis through
        their ``t0``; parts outside the primary's span are cut, missing parts
        padded with the edge value (with a warning).
    path : Path
        Target file; written atomically.

    Raises
    ------
    FormatError
        If a rate cannot be represented in EDF data records or the values
        exceed what the 8-character header fields can state.

    Notes
    -----
    Each signal's physical range is its data range rounded outward to 8
    characters; the quantisation step is ``(pmax - pmin) / 65535``.
    """
    import edfio

    from .canonical import atomic_write

    path = Path(path)
    parts: list[tuple[Recording, int]] = [(rec, 0)]
    for s in rec.streams.values():
        parts.append((s, int(round((s.t0 - rec.t0) * s.fs))))
    single = _single_record_duration(rec.n_samples, rec.fs) if len(parts) == 1 else None
    try:
        d = _record_duration([p[0].fs for p in parts])
    except FormatError:
        if single is None:
            raise
        d = Fraction(str(single))
    spr = {id(p[0]): int(d * _as_fraction(p[0].fs)) for p in parts}
    fs_out = {id(p[0]): float(p[0].fs) for p in parts}
    n_records = max(1, math.ceil(rec.n_samples / max(spr[id(rec)], 1)))
    signals = []
    padded = n_records * spr[id(rec)] - rec.n_samples
    if padded and single is not None:
        # one data record holding every sample: no padding, rate n/d within 1e-6
        d, n_records, padded = Fraction(str(single)), 1, 0
        spr[id(rec)] = rec.n_samples
        fs_out[id(rec)] = rec.n_samples / single
    if padded:
        warnings.warn(f"{path.name}: padded {padded} samples at the end with the last value to "
                      f"fill whole {float(d):g}-s EDF data records", GlutesenseWarning, stacklevel=2)
    used: set[str] = set()
    for part, offset in parts:
        n = n_records * spr[id(part)]
        data = _fit(part.data, offset, n)
        if part is not rec and (offset != 0 or part.n_samples != n):
            warnings.warn(f"{path.name}: stream {part.ch_names} cut or padded to the primary's "
                          f"time span ({part.n_samples} → {n} samples)", GlutesenseWarning,
                          stacklevel=2)
        for i, name in enumerate(part.ch_names):
            dim, factor = _WRITE_UNITS.get(part.ch_units[i], (part.ch_units[i], 1.0))
            label = name if name not in used else f"{name}@{part.fs:g}"
            used.add(label)
            try:
                fs_i = fs_out[id(part)]
                signals.append(edfio.EdfSignal(
                    data[i] * factor, int(fs_i) if fs_i == int(fs_i) else fs_i,
                    label=label[:16], physical_dimension=dim[:8],
                    transducer_type=part.ch_types[i]))
            except ValueError as exc:
                raise FormatError(f"channel {name!r} cannot be written to EDF: {exc}",
                                  path=str(path)) from None
    start = rec.start
    if start is not None:
        start = start + _dt.timedelta(seconds=rec.t0)
    ann = rec.annotations.shift(-rec.t0)
    annotations = [edfio.EdfAnnotation(float(o), float(du) if du > 0 else None,
                                       _annotation_text(lab, m, s, v))
                   for o, du, lab, m, s, v in zip(ann.onset, ann.duration, ann.label,
                                                  ann.mechanism, ann.source, ann.value)
                   if o >= 0]
    recording = edfio.Recording(startdate=None if start is None else start.date(),
                                equipment_code=str(rec.meta.get("device") or "glutesense")
                                .replace(" ", "_")[:40])
    try:
        edf = edfio.Edf(signals, recording=recording,
                        starttime=(_dt.time(0, 0) if start is None else start.time()),
                        data_record_duration=float(d), annotations=annotations)
    except ValueError as exc:
        raise FormatError(f"cannot be written as EDF: {exc}", path=str(path)) from None
    atomic_write(path, edf.write)


register(FormatSpec(
    name="edf", title="EDF / EDF+ (European Data Format)",
    signature="first 8 bytes `0` + 7 spaces; header length at bytes 184-191",
    sniff=_sniff_edf, reader=read_edf, writer=write_edf, extensions=(".edf",), priority=80,
    module="glutesense.io.edf",
    note="EDF+D read as contiguous; local start time taken as UTC"))
register(FormatSpec(
    name="bdf", title="BDF / BDF+ (BioSemi 24-bit EDF)",
    signature="byte 0 = 0xFF then `BIOSEMI`",
    sniff=_sniff_bdf, reader=read_edf, extensions=(".bdf",), priority=80,
    module="glutesense.io.edf"))
