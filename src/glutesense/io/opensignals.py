"""BITalino / biosignalsplux OpenSignals text files (our own parser).

Layout (OpenSignals (r)evolution, PLUX; formats.md §2)::

    # OpenSignals Text File Format
    # {"<MAC>": {"sampling rate": 1000, "resolution": [4, 1, 1, 1, 1, 10, 10],
    #            "column": ["nSeq", "I1", "I2", "O1", "O2", "A1", "A2"],
    #            "label": ["A1", "A2"], "sensor": ["EMG", "ACC"],
    #            "date": "2016-6-9", "time": "21:59:32.137", "device": "bitalino_rev", ...}}
    # EndOfHeader
    0<TAB>0<TAB>0<TAB>0<TAB>0<TAB>512<TAB>498
    ...

``resolution`` gives the bits of each column (10 for BITalino A1–A4, 6 for
A5–A6, 16 on biosignalsplux); ``sensor`` and ``label`` have one entry per
analog channel. ``nSeq`` is a 4-bit counter (0–15) used to detect lost
samples. With several devices the header has one entry per MAC and each row
holds the devices' columns side by side in the order of their ``position``.

Transfer functions (raw ADC → physical), from the PLUX/BITalino sensor
datasheets (https://bitalino.com/en/docs, "EMG Sensor Data Sheet" REV B,
"ECG Sensor Data Sheet", "ACC Sensor Data Sheet"):

* EMG: ``EMG(V) = (ADC / 2**n - 1/2) * VCC / G_EMG`` with VCC = 3.3 V and
  G_EMG = 1009 (range ±1.64 mV); ``EMG(mV)`` is 1000× that.
* ECG: ``ECG(V) = (ADC / 2**n - 1/2) * VCC / G_ECG`` with G_ECG = 1100.
* ACC: ``ACC(g) = (ADC - C_min) / (C_max - C_min) * 2 - 1`` with per-device
  calibration values; the defaults C_min = 208, C_max = 312 (for 10-bit
  channels; scaled by ``2**(n-10)`` for other resolutions) are those BITalino
  publishes as typical, and their use is reported as a warning.

Other sensors (EDA, LUX, RAW, ...) are kept as raw ADC values (unit ``au``).
"""

from __future__ import annotations

import datetime as _dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError
from ..recording import Recording
from ..units import G0
from ._registry import FormatSpec, Probe, register
from ._table import read_numeric_columns
from .edf import ChannelInfo, SignalGroup, assemble

__all__ = ["read_opensignals", "emg_transfer", "ecg_transfer", "acc_transfer",
           "VCC", "G_EMG", "G_ECG", "ACC_CMIN", "ACC_CMAX"]

MAGIC = "# OpenSignals Text File Format"
#: Operating voltage of BITalino sensors (V).
VCC = 3.3
#: EMG sensor gain (BITalino EMG datasheet REV B).
G_EMG = 1009.0
#: ECG sensor gain (BITalino ECG datasheet).
G_ECG = 1100.0
#: Typical ACC calibration values for a 10-bit channel (BITalino).
ACC_CMIN, ACC_CMAX = 208.0, 312.0


_FORMULAS = {
    "emg": f"EMG(V) = (ADC/2^n - 1/2) * {VCC:g} / {G_EMG:g} (BITalino EMG datasheet)",
    "ecg": f"ECG(V) = (ADC/2^n - 1/2) * {VCC:g} / {G_ECG:g} (BITalino ECG datasheet)",
    "acc": "ACC(g) = (ADC - C_min) / (C_max - C_min) * 2 - 1 (BITalino ACC datasheet)",
}


def emg_transfer(adc: np.ndarray, n_bits: int) -> np.ndarray:
    """BITalino EMG transfer function: raw ADC → volts.

    ``EMG(V) = (ADC / 2**n - 1/2) * VCC / G_EMG`` (VCC = 3.3 V, G_EMG = 1009;
    BITalino EMG Sensor Data Sheet REV B).
    """
    return (np.asarray(adc, dtype=np.float64) / 2.0**n_bits - 0.5) * VCC / G_EMG


def ecg_transfer(adc: np.ndarray, n_bits: int) -> np.ndarray:
    """BITalino ECG transfer function: raw ADC → volts (G_ECG = 1100)."""
    return (np.asarray(adc, dtype=np.float64) / 2.0**n_bits - 0.5) * VCC / G_ECG


def acc_transfer(adc: np.ndarray, n_bits: int, c_min: float | None = None,
                 c_max: float | None = None) -> np.ndarray:
    """BITalino ACC transfer function: raw ADC → m/s².

    ``ACC(g) = (ADC - C_min) / (C_max - C_min) * 2 - 1`` (BITalino ACC Sensor
    Data Sheet), times G0. Without calibration values the typical 10-bit
    values 208/312 are scaled to *n_bits*.
    """
    scale = 2.0 ** (n_bits - 10)
    lo = ACC_CMIN * scale if c_min is None else float(c_min)
    hi = ACC_CMAX * scale if c_max is None else float(c_max)
    if hi <= lo:
        raise FormatError(f"ACC calibration needs C_max > C_min, got {lo}, {hi}")
    return ((np.asarray(adc, dtype=np.float64) - lo) / (hi - lo) * 2.0 - 1.0) * G0


def _sniff(p: Probe) -> bool:
    return p.first_line.startswith(MAGIC)


def _header(path: Path) -> dict[str, Any]:
    with open(path, encoding="utf-8", errors="replace") as f:
        first = f.readline().strip()
        second = f.readline().strip()
        third = f.readline().strip()
    if not first.startswith(MAGIC):
        raise FormatError(f"first line is not {MAGIC!r}")
    if not second.startswith("#"):
        raise FormatError("line 2 must be '# {JSON header}'")
    try:
        header = json.loads(second[1:].strip())
    except ValueError as exc:
        raise FormatError(f"line 2 is not valid JSON: {exc}") from None
    if not isinstance(header, dict) or not header or not all(isinstance(v, dict)
                                                             for v in header.values()):
        raise FormatError("the JSON header must map each device (MAC) to its settings")
    if third != "# EndOfHeader":
        raise FormatError("line 3 must be '# EndOfHeader'")
    return header


def _start(dev: dict[str, Any]) -> _dt.datetime | None:
    date, time = str(dev.get("date", "")), str(dev.get("time", ""))
    if not date or not time:
        return None
    try:
        d = _dt.datetime.strptime(date, "%Y-%m-%d").date()
        parts = time.split(".")
        t = _dt.datetime.strptime(parts[0], "%H:%M:%S").time()
        micro = int(round(float("0." + parts[1]) * 1e6)) if len(parts) > 1 and parts[1] else 0
    except ValueError:
        return None
    return _dt.datetime.combine(d, t.replace(microsecond=min(micro, 999_999)),
                                tzinfo=_dt.timezone.utc)


def _channel(sensor: str, label: str, adc: np.ndarray, bits: int, acc_cal: dict[str, tuple],
             uncalibrated: list[str]) -> tuple[ChannelInfo, np.ndarray]:
    s = sensor.strip().upper()
    if s.startswith("EMG"):
        return ChannelInfo("emg", "emg", "V", 1.0), emg_transfer(adc, bits)
    if s.startswith(("ECG", "EKG")):
        return ChannelInfo("ecg", "ecg", "V", 1.0), ecg_transfer(adc, bits)
    if s.startswith(("ACC", "XYZ")):
        cal = acc_cal.get(label)
        if cal is None:
            uncalibrated.append(f"{label} ({ACC_CMIN * 2.0 ** (bits - 10):g}/"
                                f"{ACC_CMAX * 2.0 ** (bits - 10):g})")
            cal = (None, None)
        return ChannelInfo("acc", "acc", "m/s^2", 1.0), acc_transfer(adc, bits, *cal)
    if s.startswith("LUX"):
        return ChannelInfo("light", "light", "au", 1.0), adc.astype(np.float64)
    return (ChannelInfo(f"{s.lower() or 'raw'}_{label.lower()}", "misc", "au", 1.0),
            adc.astype(np.float64))


def read_opensignals(path: Path, probe: Probe | None = None, *,
                     acc_calibration: dict[str, tuple[float, float]] | None = None) -> Recording:
    """Read an OpenSignals text file (BITalino, biosignalsplux).

    Parameters
    ----------
    path : Path
        The ``.txt`` file.
    probe : Probe or None
        Unused (the registry passes it).
    acc_calibration : dict or None
        ``{"A3": (C_min, C_max)}`` per ACC channel label; channels without
        one use BITalino's typical values (with a warning).

    Returns
    -------
    Recording
        EMG/ECG in V, ACC in m/s², other sensors raw (au). Acceleration
        channels are named ``acc_x/acc_y/acc_z`` in column order when there
        are three (else ``acc``, ``acc_2``...). ``start`` is the header's
        date/time (local, taken as UTC); lost samples found through ``nSeq``
        are reported.

    Raises
    ------
    FormatError
        On a malformed header, a column count that does not match it, or
        non-integer samples.
    """
    path = Path(path)
    header = _header(path)
    devices = sorted(header.items(), key=lambda kv: int(kv[1].get("position", 0) or 0))
    layout: list[tuple[str, dict[str, Any], int]] = []  # (mac, settings, first column)
    n_cols = 0
    fs_all = set()
    for mac, dev in devices:
        cols = dev.get("column")
        if not isinstance(cols, list) or not cols:
            raise FormatError(f"device {mac}: header has no 'column' list")
        try:
            fs_all.add(float(dev["sampling rate"]))
        except (KeyError, TypeError, ValueError):
            raise FormatError(f"device {mac}: 'sampling rate' missing or not a number") from None
        layout.append((mac, dev, n_cols))
        n_cols += len(cols)
    if len(fs_all) != 1:
        raise FormatError(f"devices have different sampling rates {sorted(fs_all)}")
    fs = fs_all.pop()
    _, columns = read_numeric_columns(path, sep="\t", header=None, comment="#",
                                      usecols=list(range(n_cols)))
    if len(columns) != n_cols:
        raise FormatError(f"rows have {len(columns)} columns, the header lists {n_cols}")
    data = np.vstack(columns)
    if not np.all(np.isfinite(data)):
        raise FormatError("some samples are missing or not numbers")
    if not np.all(data == np.round(data)):
        raise FormatError("samples must be raw integer ADC values")
    notes: list[str] = []
    inferred: dict[str, Any] = {"units": {}, "transfer_functions": {}}
    infos: list[ChannelInfo] = []
    rows: list[np.ndarray] = []
    acc_cal = dict(acc_calibration or {})
    uncalibrated: list[str] = []
    for mac, dev, first in layout:
        cols = [str(c) for c in dev["column"]]
        res = list(dev.get("resolution") or [])
        sensors = [str(s) for s in dev.get("sensor") or []]
        labels = [str(s) for s in dev.get("label") or []]
        if len(res) != len(cols):
            raise FormatError(f"device {mac}: {len(res)} resolutions for {len(cols)} columns")
        if "nSeq" in cols:
            seq = data[first + cols.index("nSeq")]
            lost = int(np.sum(np.mod(np.diff(seq) - 1, 2 ** int(res[cols.index("nSeq")]))))
            if lost:
                notes.append(f"device {mac}: about {lost} samples lost (nSeq jumps); "
                             "times after a loss are shifted")
        analog = [c for c in cols if c.startswith("A")]
        if len(sensors) != len(analog) or (labels and len(labels) != len(analog)):
            raise FormatError(f"device {mac}: {len(analog)} analog columns but "
                              f"{len(sensors)} sensors / {len(labels)} labels")
        for k, col in enumerate(analog):
            j = cols.index(col)
            bits = int(res[j])
            info, values = _channel(sensors[k], labels[k] if labels else col,
                                    data[first + j], bits, acc_cal, uncalibrated)
            inferred["units"][f"{mac}/{col}"] = f"{sensors[k]} {bits}-bit ADC → {info.unit}"
            if info.ch_type in _FORMULAS:
                inferred["transfer_functions"][f"{mac}/{col}"] = _FORMULAS[info.ch_type]
            infos.append(info)
            rows.append(values)
    if not infos:
        raise FormatError("no analog channels in the file")
    if uncalibrated:
        notes.append("ACC converted with BITalino's typical calibration C_min/C_max for "
                     f"{', '.join(uncalibrated)}; pass acc_calibration for accurate g")
    acc_idx = [i for i, c in enumerate(infos) if c.ch_type == "acc"]
    if len(acc_idx) == 3:
        for i, axis in zip(acc_idx, "xyz"):
            infos[i] = ChannelInfo(f"acc_{axis}", "acc", "m/s^2", 1.0)
    first_dev = layout[0][1]
    kinds = {str(dev.get("device", "")).lower() for _, dev, _ in layout}
    if inferred["transfer_functions"] and not all(k.startswith("bitalino") for k in kinds):
        notes.append(f"device {sorted(kinds)} is not a BITalino: the BITalino transfer "
                     "functions were applied; check the sensor datasheet")
    meta = {"format": "opensignals", "app": "OpenSignals",
            "device": str(first_dev.get("device", "")) or None,
            "firmware": first_dev.get("firmware version"),
            "devices": [mac for mac, _, _ in layout], "inferred": inferred,
            "warnings": notes}
    start = _start(first_dev)
    if start is not None:
        inferred["start"] = "header date/time (local clock, no zone stored); taken as UTC"
    group = SignalGroup(fs, infos, np.vstack(rows))
    return assemble([group], start=start, meta=meta)


register(FormatSpec(
    name="opensignals", title="OpenSignals text (BITalino / biosignalsplux)",
    signature="first line `# OpenSignals Text File Format`",
    sniff=_sniff, reader=read_opensignals, extensions=(".txt",), priority=85,
    module="glutesense.io.opensignals",
    note="ACC uses typical calibration unless given; EDA/LUX/other sensors stay raw"))
