"""PhysioNet WFDB records (``.hea`` header + ``.dat`` signal file), read with wfdb.

The WFDB header format (https://physionet.org/physiotools/wag/header-5.htm)
is text: an optional ``#`` comment block, a *record line*
``name[/segments] n_signals [fs[/counter][(base)] [n_samples [time [date]]]]``
and one *signal line* per signal
``file format[xspf][:skew][+offset] gain[(baseline)][/unit] adc_res adc_zero
init_value checksum block_size description``. Samples are read and scaled to
physical units by :func:`wfdb.rdrecord` (Xie et al., the WFDB Python package,
https://wfdb.readthedocs.io) and then converted to SI (mV → V).

Signals with more than one sample per frame (``format x spf``) are sampled at
``spf × fs`` and are read without averaging (``smooth_frames=False``); each
distinct rate becomes its own group (primary + ``streams``, see
:func:`glutesense.io.edf.assemble`). The file is recognised from the header
text, or from a ``.dat`` file whose sibling ``.hea`` exists.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import struct
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError
from ..recording import Recording
from ._registry import FormatSpec, Probe, register
from .edf import ChannelInfo, SignalGroup, assemble, channel_info

__all__ = ["read_wfdb", "parse_record_line"]

_RECORD_LINE = re.compile(
    r"(?P<name>[\w.~-]+)(?:/(?P<segments>\d+))?\s+(?P<n_sig>\d+)"
    r"(?:\s+(?P<fs>[\d.eE+-]+)(?:/[\d.]+)?(?:\([\d.+-]+\))?"
    r"(?:\s+(?P<n_samples>\d+))?)?(?:\s+.*)?")


def _content_lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]


def parse_record_line(text: str) -> dict[str, Any]:
    """Parse the record line of a WFDB header.

    Parameters
    ----------
    text : str
        The header text.

    Returns
    -------
    dict
        ``name``, ``n_signals``, ``fs`` (Hz; 250 when absent, the WFDB
        default), ``n_samples`` (None when absent) and ``segments``.

    Raises
    ------
    FormatError
        If there is no valid record line.
    """
    lines = _content_lines(text)
    m = _RECORD_LINE.fullmatch(lines[0]) if lines else None
    if not m:
        raise FormatError("no WFDB record line (`name n_signals fs n_samples`) in the header")
    fs = float(m.group("fs")) if m.group("fs") else 250.0
    if not (math.isfinite(fs) and fs > 0):
        raise FormatError(f"WFDB header gives a sampling rate of {m.group('fs')!r} Hz")
    return {"name": m.group("name"), "n_signals": int(m.group("n_sig")), "fs": fs,
            "n_samples": int(m.group("n_samples")) if m.group("n_samples") else None,
            "segments": int(m.group("segments")) if m.group("segments") else None}


def _sniff_hea(p: Probe) -> bool:
    if p.text is None:
        return False
    lines = _content_lines(p.text)
    if len(lines) < 2 or not _RECORD_LINE.fullmatch(lines[0]):
        return False
    sig = lines[1].split()
    is_signal_line = len(sig) >= 2 and re.fullmatch(r"\d+(x\d+)?(:\d+)?(\+\d+)?", sig[1]) is not None
    multi_segment = "/" in lines[0].split()[0]
    return (is_signal_line and (p.path.suffix.lower() == ".hea" or sig[0].lower().endswith(".dat"))
            or (multi_segment and p.path.suffix.lower() == ".hea"))


def _sniff_dat(p: Probe) -> bool:
    return p.path.suffix.lower() == ".dat" and p.path.with_suffix(".hea").is_file()


def read_wfdb(path: Path, probe: Probe | None = None) -> Recording:
    """Read a WFDB record given its ``.hea`` or ``.dat`` file.

    Parameters
    ----------
    path : Path
        The header or the signal file (its sibling ``.hea`` is used).
    probe : Probe or None
        Unused (the registry passes it).

    Returns
    -------
    Recording
        Channels in SI (EMG ``"emg"`` in V, ...), the header comments in
        ``meta["comments"]``, ``start`` from the base date/time when both are
        given (taken as UTC).

    Raises
    ------
    FormatError
        If the header is malformed, the signal file is missing or truncated.
    """
    with warnings.catch_warnings():
        # wfdb's import uses pandas' deprecated inplace= arguments; not our users' concern
        warnings.simplefilter("ignore", DeprecationWarning)
        import wfdb

    path = Path(path)
    hea = path.with_suffix(".hea")
    if not hea.is_file():
        raise FormatError(f"WFDB header {hea.name} not found beside the signal file")
    header = parse_record_line(hea.read_text(encoding="latin-1"))
    dat_bytes = sum(p.stat().st_size for p in hea.parent.glob(f"{hea.stem}*.dat"))
    if header["n_samples"] is not None and header["n_samples"] * header["n_signals"] > 1.01 * dat_bytes + 1024:
        raise FormatError(f"header declares {header['n_samples']} samples × {header['n_signals']} "
                          f"signals but the signal file holds only {dat_bytes} bytes (truncated?)")
    try:
        rec = wfdb.rdrecord(str(hea.with_suffix("")), physical=True, smooth_frames=False)
    except (ValueError, TypeError, AttributeError, IndexError, KeyError, ZeroDivisionError,
            struct.error) as exc:
        raise FormatError(f"not a valid WFDB record: {type(exc).__name__}: "
                          f"{' '.join(str(exc).split())[:200]}") from None
    except OSError as exc:
        raise FormatError(f"WFDB signal file cannot be read: {exc.strerror or exc}") from None
    signals = rec.e_p_signal
    if signals is None or not len(signals):
        raise FormatError("the WFDB record holds no signals")
    spf = list(rec.samps_per_frame or [1] * len(signals))
    by_fs: dict[float, tuple[list[ChannelInfo], list[np.ndarray]]] = {}
    inferred: dict[str, Any] = {"units": {}}
    for i, x in enumerate(signals):
        name = rec.sig_name[i] if rec.sig_name else f"ch{i}"
        unit = rec.units[i] if rec.units else ""
        info = channel_info(name, unit)
        fs = float(rec.fs) * int(spf[i])
        inferred["units"][info.name] = f"{unit or '(none)'} → {info.unit}"
        infos, rows = by_fs.setdefault(fs, ([], []))
        infos.append(info)
        rows.append(np.asarray(x, dtype=np.float64) * info.factor)
    groups = [SignalGroup(fs, infos, np.vstack(rows)) for fs, (infos, rows) in by_fs.items()]
    for g in groups:
        bad = ~np.isfinite(g.data)
        if bad.any():  # WFDB marks invalid samples with the format's "invalid" value → NaN
            raise FormatError(f"{int(bad.sum())} invalid (missing) samples in the WFDB record")
    notes: list[str] = []
    if header["n_samples"] is not None and rec.sig_len != header["n_samples"]:
        notes.append(f"header says {header['n_samples']} samples, the record holds "
                        f"{rec.sig_len}")
    start = None
    if rec.base_time is not None and rec.base_date is not None:
        start = _dt.datetime.combine(rec.base_date, rec.base_time, tzinfo=_dt.timezone.utc)
        inferred["start"] = "WFDB base date/time (no zone stored); taken as UTC"
    elif rec.base_time is not None:
        inferred["start"] = f"base time {rec.base_time} without a date; start unknown"
    meta = {"format": "wfdb", "record": rec.record_name, "comments": list(rec.comments or []),
            "inferred": inferred, "warnings": notes}
    return assemble(groups, start=start, meta=meta)


register(FormatSpec(
    name="wfdb", title="PhysioNet WFDB record (.hea + .dat)",
    signature="`.hea` text: record line `name n_sig fs n_samples` + signal lines; "
              "or a `.dat` whose sibling `.hea` exists",
    sniff=lambda p: _sniff_hea(p) or _sniff_dat(p), reader=read_wfdb,
    extensions=(".hea", ".dat"), priority=70, module="glutesense.io.wfdb_reader",
    note="annotation files (.atr) are not read"))
