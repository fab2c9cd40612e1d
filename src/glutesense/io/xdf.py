"""Lab Streaming Layer XDF files (LabRecorder), read with pyxdf.

XDF (https://github.com/sccn/xdf/wiki/Specifications) is a chunked binary
format: the magic ``XDF:`` then chunks ``[NumLengthBytes][Length][Tag][Content]``
(FileHeader 1, StreamHeader 2, Samples 3, ClockOffset 4, Boundary 5,
StreamFooter 6). Every stream keeps its sender's clock; ClockOffset chunks
map it onto the recorder's clock. :func:`pyxdf.load_xdf` (Kothe et al.,
https://github.com/xdf-modules/pyxdf) applies that clock synchronisation and
removes the jitter of the time stamps (a linear fit per segment).

Mapping onto a :class:`~glutesense.recording.Recording`:

* every numeric stream with a nominal rate becomes one recording, made
  uniform by :meth:`Recording.from_timestamps` (gaps between segments are
  reported); channel names, units and types come from the stream's
  ``desc/channels/channel`` (``label``, ``unit``, ``type``) and the stream
  ``type``/``name``, converted to SI; an accelerometer stream without units
  has its unit inferred from the magnitude at rest (``infer_acc_unit``);
* the primary is the accelerometer stream (else EMG, else the one with most
  channels); the others go to ``streams`` keyed by their kind (``"emg"``...);
  all share one time axis whose zero is the primary's first (synchronised)
  time stamp, so each stream's ``t0`` is its offset from it;
* string streams with an irregular rate (markers) become annotations.

LSL time stamps are seconds of the sender's monotonic clock, not wall-clock
time, so ``start`` is None; the file header's ``datetime`` (if any) is kept in
``meta["file_datetime"]``.
"""

from __future__ import annotations

import math
import struct
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np

from ..errors import FormatError, UnitError
from ..recording import Annotations, Recording
from ._registry import FormatSpec, Probe, register
from ..units import infer_acc_unit
from .edf import channel_info, unique_names

__all__ = ["read_xdf"]

_ACC_TYPES = ("acc", "accelerometer", "accelerometers", "accel", "acceleration", "imu", "motion")


def _first(d: dict[str, Any], key: str, default: Any = None) -> Any:
    v = d.get(key)
    if isinstance(v, list):
        return v[0] if v else default
    return default if v is None else v


def _channels(info: dict[str, Any], n: int) -> list[dict[str, str]]:
    desc = _first(info, "desc")
    chans: list[dict[str, str]] = []
    if isinstance(desc, dict):
        block = _first(desc, "channels")
        if isinstance(block, dict):
            for ch in block.get("channel") or []:
                if isinstance(ch, dict):
                    chans.append({k: str(_first(ch, k, "") or "") for k in ("label", "unit", "type")})
    if len(chans) != n:
        chans = [{"label": "", "unit": "", "type": ""} for _ in range(n)]
    return chans


def _stream_kind(stype: str, name: str) -> str:
    s, nm = stype.strip().lower(), name.strip().lower()
    if s in _ACC_TYPES or "acc" in nm:
        return "acc"
    if s == "emg" or "emg" in nm:
        return "emg"
    if s in ("ecg", "ekg"):
        return "ecg"
    if s in ("gyro", "gyroscope"):
        return "gyro"
    return s or "misc"


def _kind_of(rec: Recording) -> str:
    for t in ("acc", "emg", "ecg", "gyro"):
        if t in rec.ch_types:
            return t
    return rec.ch_types[0] if rec.ch_types else "misc"


def _stream_recording(stream: dict[str, Any], t_ref: float) -> Recording:
    info = stream["info"]
    name = str(_first(info, "name", "") or "")
    stype = str(_first(info, "type", "") or "")
    kind = _stream_kind(stype, name)
    x = np.asarray(stream["time_series"], dtype=np.float64)
    if x.ndim == 1:
        x = x[:, np.newaxis]
    ts = np.asarray(stream["time_stamps"], dtype=np.float64)
    chans = _channels(info, x.shape[1])
    infos = []
    notes = []
    default_unit = {"acc": "m/s^2", "emg": "V", "ecg": "V", "gyro": "rad/s"}.get(kind, "")
    if kind == "acc" and x.shape[1] == 3 and not any(c["unit"] for c in chans):
        try:  # formats.md §1.5: |a| at rest ≈ 1 (g), 9.81 (m/s²) or 1000 (mg)
            guess = infer_acc_unit(x.T)
            default_unit = guess.unit
            notes.append(f"stream {name!r}: no unit stated; {guess.reason}")
        except UnitError as exc:
            notes.append(f"stream {name!r}: no unit stated and none could be inferred "
                         f"({exc.message}); m/s^2 assumed")
    for j, ch in enumerate(chans):
        unit = ch["unit"]
        if not unit and default_unit:
            unit = default_unit
            if not notes:
                notes.append(f"stream {name!r}: no unit stated; {default_unit} assumed for a "
                             f"{kind} stream")
        label = ch["label"] or (f"{kind} {'xyz'[j]}" if kind in ("acc", "gyro") and
                                x.shape[1] == 3 else f"{kind}{j + 1}" if x.shape[1] > 1 else kind)
        infos.append(channel_info(label, unit, type_hint=ch["type"] or kind))
    names = unique_names([ci.name for ci in infos])
    data = x.T * np.array([ci.factor for ci in infos])[:, None]
    nominal = float(_first(info, "nominal_srate", 0) or 0)
    meta = {"format": "xdf", "stream_name": name, "stream_type": stype,
            "nominal_srate_hz": nominal,
            "effective_srate_hz": float(info.get("effective_srate") or 0),
            "warnings": notes + [ci.note for ci in infos if ci.note],
            "inferred": {"units": {n: f"{c['unit'] or '(none)'} → {ci.unit}"
                                   for n, c, ci in zip(names, chans, infos)},
                         "time_base": "LSL time stamps, clock-synchronised and dejittered "
                                      "by pyxdf"}}
    return Recording.from_timestamps(ts - t_ref, data, ch_names=names,
                                    ch_types=[ci.ch_type for ci in infos],
                                    ch_units=[ci.unit for ci in infos], meta=meta,
                                    detect_hold=False)


def _sniff(p: Probe) -> bool:
    return p.head[:4] == b"XDF:"


def read_xdf(path: Path, probe: Probe | None = None) -> Recording:
    """Read an XDF file (all numeric streams, markers as annotations).

    Parameters
    ----------
    path : Path
        The ``.xdf`` file (``.xdfz``/``.xdf.gz`` are gunzipped by pyxdf).
    probe : Probe or None
        Unused (the registry passes it).

    Returns
    -------
    Recording
        The primary stream (accelerometer, else EMG, else the widest) with
        the others in ``streams``, aligned on the primary's first time stamp.

    Raises
    ------
    FormatError
        If the file cannot be parsed or holds no numeric stream with samples.
    """
    import pyxdf

    path = Path(path)
    try:
        streams, header = pyxdf.load_xdf(str(path), synchronize_clocks=True,
                                         dejitter_timestamps=True)
    except (ValueError, KeyError, IndexError, TypeError, AttributeError, RuntimeError,
            EOFError, OSError, struct.error, ParseError, np.linalg.LinAlgError) as exc:
        raise FormatError(f"not a valid XDF file: {type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:200]}") from None
    numeric, markers, skipped = [], [], []
    for s in streams:
        info = s.get("info", {})
        fmt = str(_first(info, "channel_format", "") or "")
        srate = float(_first(info, "nominal_srate", 0) or 0)
        n = len(s.get("time_stamps", []))
        name = str(_first(info, "name", "?"))
        if fmt == "string":
            markers.append(s)
        elif srate > 0 and n >= 2:
            numeric.append(s)
        else:
            skipped.append(f"stream {name!r} skipped ({n} samples, nominal rate {srate:g} Hz)")
    if not numeric:
        raise FormatError("the XDF file holds no numeric stream with a nominal rate and samples")

    def rank(s: dict[str, Any]) -> tuple[int, int, int]:
        info = s["info"]
        kind = _stream_kind(str(_first(info, "type", "")), str(_first(info, "name", "")))
        return (kind == "acc", kind == "emg", int(_first(info, "channel_count", 0) or 0))

    primary_stream = max(numeric, key=rank)
    t_ref = float(primary_stream["time_stamps"][0])
    primary = _stream_recording(primary_stream, t_ref)
    out_streams: dict[str, Recording] = {}
    for s in numeric:
        if s is primary_stream:
            continue
        rec = _stream_recording(s, t_ref)
        key = _kind_of(rec)
        if key in out_streams or key == _kind_of(primary):
            key = f"{key}_{rec.meta['stream_name'] or len(out_streams)}".lower().replace(" ", "_")
        out_streams[key] = rec
    onsets, labels = [], []
    for s in markers:
        for t, v in zip(s["time_stamps"], s["time_series"]):
            onsets.append(float(t) - t_ref)
            labels.append(str(v[0]) if isinstance(v, (list, tuple)) and v else str(v))
    meta = {k: v for k, v in dict(primary.meta).items()}
    meta["streams_in_file"] = [str(_first(s["info"], "name", "")) for s in streams]
    meta["warnings"] = [*meta.get("warnings", ()), *skipped]
    fh = header.get("info", {}) if isinstance(header, dict) else {}
    dt_text = _first(fh, "datetime") if isinstance(fh, dict) else None
    if dt_text:
        meta["file_datetime"] = str(dt_text)
    meta["inferred"] = {**dict(primary.meta.get("inferred", {})),
                        "time_zero": "first time stamp of the primary stream "
                                     f"({primary.meta['stream_name']!r})",
                        "start": "LSL clock is not wall-clock time; start unknown"}
    rec = primary.replace(meta=meta, streams=out_streams)
    if onsets:
        finite = [i for i, o in enumerate(onsets) if math.isfinite(o)]
        rec = rec.replace(annotations=Annotations([onsets[i] for i in finite], 0.0,
                                                  [labels[i] for i in finite], source=("manual",)))
    return rec


register(FormatSpec(
    name="xdf", title="XDF (Lab Streaming Layer / LabRecorder)",
    signature="bytes 0-3 `XDF:`", sniff=_sniff, reader=read_xdf, extensions=(".xdf", ".xdfz"),
    priority=90, module="glutesense.io.xdf",
    note="streams aligned by pyxdf clock sync + dejitter; markers → annotations"))
