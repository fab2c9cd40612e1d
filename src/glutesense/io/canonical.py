"""glutesense's own formats: canonical CSV (DESIGN §4.1), Parquet and NPZ.

Canonical CSV
    Header ``time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2``; acceleration in m/s² in
    the sensor frame, gravity included. Further channels may follow as
    ``<name>_<unit>`` columns (``gyro_x_rads``). EMG, when present, is the
    sibling ``<stem>.emg.csv`` with header ``time_s,emg_mv`` at its own rate;
    it is read into ``Recording.streams["emg"]`` (in V). A ``time_s,emg_mv``
    file read on its own is an EMG recording.
Parquet
    Columns ``time_s`` and one per channel; the rest (rate, types, units,
    start, metadata, annotations) as JSON in the schema metadata key
    ``glutesense``. Streams go to sibling ``<stem>.<stream>.parquet`` files.
NPZ
    ``numpy.savez_compressed`` with ``header`` (JSON), ``data`` and, per stream
    ``s``, ``stream.<s>.header`` and ``stream.<s>.data``.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError
from ..recording import Annotations, Recording, dumps_meta
from ._registry import FormatSpec, Probe, register, safe_zip
from ._table import read_numeric_columns

__all__ = ["read_canonical_csv", "write_canonical_csv", "read_parquet", "write_parquet",
           "read_npz", "write_npz", "atomic_write"]

CANONICAL_HEADER = "time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2"
EMG_HEADER = "time_s,emg_mv"

# column unit slug -> (SI unit, factor to SI, channel type guess)
_SLUGS = {
    "ms2": ("m/s^2", 1.0, "acc"), "rads": ("rad/s", 1.0, "gyro"), "ut": ("T", 1e-6, "mag"),
    "mv": ("V", 1e-3, "emg"), "v": ("V", 1.0, "emg"), "n": ("N", 1.0, "force"),
    "nm": ("N*m", 1.0, "moment"), "m": ("m", 1.0, "cop"), "degc": ("degC", 1.0, "temp"),
    "lx": ("lx", 1.0, "light"), "au": ("au", 1.0, "misc"),
}
_SI_TO_SLUG = {"m/s^2": ("ms2", 1.0), "rad/s": ("rads", 1.0), "T": ("ut", 1e6),
               "V": ("mv", 1e3), "N": ("n", 1.0), "N*m": ("nm", 1.0), "m": ("m", 1.0),
               "degC": ("degc", 1.0), "lx": ("lx", 1.0), "au": ("au", 1.0)}


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file next to *path*, fsync it, then rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes 0600; outputs get the usual permissions
    tmp_path = Path(tmp)
    try:
        write(tmp_path)
        with open(tmp_path, "rb+") as f:
            os.fsync(f.fileno())
        os.replace(tmp_path, path)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


# ---------------------------------------------------------------------- canonical CSV
def _sniff_canonical(p: Probe) -> bool:
    return p.first_line.replace(" ", "").startswith(CANONICAL_HEADER)


def _sniff_emg(p: Probe) -> bool:
    return p.first_line.replace(" ", "") == EMG_HEADER


def _parse_columns(names: list[str]) -> list[tuple[str, str, str, float]]:
    """Column names after time_s -> (channel name, type, SI unit, factor)."""
    out = []
    for col in names:
        m = re.fullmatch(r"(.+)_([a-z0-9]+)", col.strip().lower())
        if not m or m.group(2) not in _SLUGS:
            raise FormatError(f"column {col!r} has no recognised unit suffix (e.g. _ms2, _mv)")
        si, factor, typ = _SLUGS[m.group(2)]
        name = m.group(1)
        if name.startswith("acc_"):
            typ = "acc"
        elif name.startswith("emg"):
            typ = "emg"
        out.append((name, typ, si, factor))
    names_seen = [c[0] for c in out]
    dupes = sorted({n for n in names_seen if names_seen.count(n) > 1})
    if dupes:
        raise FormatError(f"channel {dupes[0]!r} appears in more than one column")
    return out


def _read_table(path: Path, meta: dict[str, Any]) -> Recording:
    names, cols = read_numeric_columns(path, sep=",")
    if not names or names[0].strip().lower() != "time_s":
        raise FormatError("first column must be time_s")
    chans = _parse_columns(names[1:])
    if not chans:
        raise FormatError("no signal columns")
    # One (n_channels, n) array filled column by column while the parsed columns are
    # released, then frozen so that Recording adopts it without another copy.
    data = np.empty((len(chans), cols[0].size))
    for j, chan in enumerate(chans):
        np.multiply(cols[j + 1], chan[3], out=data[j])
        cols[j + 1] = None  # type: ignore[call-overload]
    data.setflags(write=False)
    return Recording.from_timestamps(
        cols[0], data, ch_names=[c[0] for c in chans], ch_types=[c[1] for c in chans],
        ch_units=[c[2] for c in chans], meta=meta)


def read_canonical_csv(path: Path, probe: Probe | None = None) -> Recording:
    """Read a canonical CSV and its ``<stem>.emg.csv`` sibling if present."""
    meta = {"format": "canonical-csv", "app": "glutesense",
            "inferred": {"units": "m/s^2 (canonical CSV)", "gravity_included": True,
                         "time_base": "time_s column, seconds"}}
    rec = _read_table(Path(path), meta)
    sibling = _emg_sibling(Path(path))
    if sibling is not None and sibling.exists():
        try:
            emg = read_canonical_emg(sibling)
        except FormatError as exc:
            return rec.with_warning(f"EMG sibling {sibling.name} ignored: {exc.message}")
        rec = rec.replace(streams={"emg": emg})
    return rec


def read_canonical_emg(path: Path, probe: Probe | None = None) -> Recording:
    """Read a ``time_s,emg_mv`` file (EMG in mV) into a recording in V."""
    meta = {"format": "canonical-emg-csv", "app": "glutesense",
            "inferred": {"units": "mV (canonical EMG CSV)", "time_base": "time_s column, seconds"}}
    return _read_table(Path(path), meta)


def _emg_sibling(path: Path) -> Path | None:
    name = path.name
    if name.lower().endswith(".emg.csv"):
        return None
    stem = name[:-4] if name.lower().endswith(".csv") else name
    return path.with_name(stem + ".emg.csv")


def _csv_columns(rec: Recording) -> tuple[list[str], np.ndarray]:
    cols, rows = [], []
    acc = rec.channels_of_type("acc")
    order = list(acc) + [n for n in rec.ch_names if n not in acc]
    for name in order:
        i = rec.ch_names.index(name)
        unit = rec.ch_units[i]
        if unit not in _SI_TO_SLUG:
            raise FormatError(f"channel {name!r} in {unit!r} cannot be written to canonical CSV")
        slug, factor = _SI_TO_SLUG[unit]
        cols.append(f"{name}_{slug}")
        rows.append(rec.data[i] * factor)
    return cols, np.vstack(rows)


def _write_csv_table(path: Path, t: np.ndarray, cols: list[str], data: np.ndarray) -> None:
    def _w(tmp: Path) -> None:
        with open(tmp, "w", newline="\n") as f:
            f.write(",".join(["time_s", *cols]) + "\n")
            step = 200_000
            for i0 in range(0, t.size, step):
                block = np.column_stack([t[i0:i0 + step], data[:, i0:i0 + step].T])
                np.savetxt(f, block, fmt=["%.6f"] + ["%.8g"] * data.shape[0], delimiter=",")

    atomic_write(path, _w)


def write_canonical_csv(rec: Recording, path: Path) -> None:
    """Write the canonical CSV (and ``<stem>.emg.csv`` for an ``emg`` stream).

    Acceleration channels come first (``acc_x_ms2`` ...), other channels follow
    as ``<name>_<unit>`` columns. A recording whose primary channels are EMG is
    written as ``time_s,emg_mv``.
    """
    path = Path(path)
    if rec.ch_types and all(t == "emg" for t in rec.ch_types) and rec.n_channels == 1:
        _write_csv_table(path, rec.times, ["emg_mv"], rec.data * 1e3)
        return
    cols, data = _csv_columns(rec)
    _write_csv_table(path, rec.times, cols, data)
    emg = rec.streams.get("emg")
    sibling = _emg_sibling(path)
    if emg is not None and sibling is not None:
        _write_csv_table(sibling, emg.times, ["emg_mv"], emg.data[:1] * 1e3)


# ---------------------------------------------------------------------- header JSON
def _header(rec: Recording) -> dict[str, Any]:
    return {
        "schema": "glutesense.recording/1", "fs": rec.fs, "t0": rec.t0,
        "ch_names": list(rec.ch_names), "ch_types": list(rec.ch_types),
        "ch_units": list(rec.ch_units),
        "start": None if rec.start is None else rec.start.isoformat(),
        "meta": json.loads(dumps_meta(rec.meta)),
        "annotations": rec.annotations.to_records(),
    }


def _from_header(h: Any, data: Any) -> Recording:
    if not isinstance(h, dict) or h.get("schema") != "glutesense.recording/1":
        raise FormatError("missing or unknown glutesense header schema")
    if not isinstance(data, np.ndarray) or data.dtype.kind not in "fiub":
        raise FormatError("the data array is missing or not numeric")
    if data.dtype == np.float64 and data.base is None:
        data.setflags(write=False)  # freshly loaded and ours alone: Recording adopts it, no copy
    try:
        start = h.get("start")
        if start is not None:
            start = _dt.datetime.fromisoformat(start)
            if start.tzinfo is None:
                start = start.replace(tzinfo=_dt.timezone.utc)
        for key in ("ch_names", "ch_types", "ch_units"):
            if not isinstance(h[key], list) or not all(isinstance(v, str) for v in h[key]):
                raise FormatError(f"header field {key!r} must be a list of strings")
        meta = h.get("meta", {})
        if not isinstance(meta, dict):
            raise FormatError("header field 'meta' must be an object")
        annotations = h.get("annotations", [])
        if not isinstance(annotations, list) or not all(isinstance(a, dict) for a in annotations):
            raise FormatError("header field 'annotations' must be a list of objects")
        return Recording(
            data, float(h["fs"]), h["ch_names"], h["ch_types"], h["ch_units"],
            start=start, t0=float(h.get("t0", 0.0)),
            annotations=Annotations.from_records(annotations), meta=meta)
    except (TypeError, AttributeError) as exc:
        # Wrong JSON types in the header (e.g. "fs": null): malformed input, not a bug.
        raise FormatError(f"malformed glutesense header ({exc})") from None


# ---------------------------------------------------------------------- NPZ
def write_npz(rec: Recording, path: Path) -> None:
    """Write *rec* (with streams and annotations) as a compressed NPZ."""
    arrays: dict[str, Any] = {"header": np.array(json.dumps(_header(rec))), "data": rec.data}
    for k, s in rec.streams.items():
        arrays[f"stream.{k}.header"] = np.array(json.dumps(_header(s)))
        arrays[f"stream.{k}.data"] = s.data

    def _w(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez_compressed(f, **arrays)

    atomic_write(Path(path), _w)


def _sniff_npz(p: Probe) -> bool:
    return p.is_zip and "header.npy" in p.zip_names and "data.npy" in p.zip_names


def _npz_header(z: Any, key: str) -> Any:
    arr = z[key]
    # NpzFile hands back raw bytes for a member that is not a .npy array.
    if not isinstance(arr, np.ndarray) or arr.ndim != 0 or arr.dtype.kind not in "US":
        raise FormatError(f"{key} is not a JSON text array")
    return json.loads(str(arr[()]))


def read_npz(path: Path, probe: Probe | None = None) -> Recording:
    """Read an NPZ written by :func:`write_npz`."""
    safe_zip(Path(path)).close()
    with np.load(path, allow_pickle=False) as z:
        rec = _from_header(_npz_header(z, "header"), z["data"])
        streams = {}
        for key in z.files:
            m = re.fullmatch(r"stream\.(.+)\.header", key)
            if m:
                streams[m.group(1)] = _from_header(_npz_header(z, key),
                                                   z[f"stream.{m.group(1)}.data"])
    return rec.replace(streams=streams) if streams else rec


# ---------------------------------------------------------------------- Parquet
def _sniff_parquet(p: Probe) -> bool:
    return p.head[:4] == b"PAR1"


def write_parquet(rec: Recording, path: Path) -> None:
    """Write *rec* as Parquet (streams as sibling ``<stem>.<stream>.parquet``)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    table = pa.table({"time_s": rec.times, **{n: rec.data[i] for i, n in enumerate(rec.ch_names)}})
    table = table.replace_schema_metadata({"glutesense": json.dumps(_header(rec))})
    atomic_write(path, lambda tmp: pq.write_table(table, tmp, compression="zstd"))
    stem = path.name[: -len(".parquet")] if path.name.endswith(".parquet") else path.stem
    for k, s in rec.streams.items():
        write_parquet(s.replace(streams={}), path.with_name(f"{stem}.{k}.parquet"))


def read_parquet(path: Path, probe: Probe | None = None) -> Recording:
    """Read a Parquet file written by :func:`write_parquet` (or any table with ``time_s``)."""
    import pyarrow.parquet as pq

    path = Path(path)
    table = pq.read_table(path)
    md = table.schema.metadata or {}
    cols = [c for c in table.column_names if c != "time_s"]
    data = np.vstack([table.column(c).to_numpy(zero_copy_only=False).astype(np.float64)
                      for c in cols]) if cols else None
    if data is None:
        raise FormatError("no signal columns")
    if b"glutesense" in md:
        rec = _from_header(json.loads(md[b"glutesense"]), data)
    else:
        if "time_s" not in table.column_names:
            raise FormatError("Parquet file has neither glutesense metadata nor a time_s column")
        chans = _parse_columns(cols)
        rec = Recording.from_timestamps(
            table.column("time_s").to_numpy(), data * np.array([c[3] for c in chans])[:, None],
            ch_names=[c[0] for c in chans], ch_types=[c[1] for c in chans],
            ch_units=[c[2] for c in chans], meta={"format": "parquet"})
    stem = path.name[: -len(".parquet")] if path.name.endswith(".parquet") else path.stem
    streams = {}
    if "." not in stem:
        for sib in sorted(path.parent.glob(f"{stem}.*.parquet")):
            key = sib.name[len(stem) + 1: -len(".parquet")]
            if "." not in key:
                streams[key] = read_parquet(sib)
    return rec.replace(streams=streams) if streams else rec


register(FormatSpec(
    name="canonical-csv", title="glutesense canonical CSV",
    signature=f"first line `{CANONICAL_HEADER}` (+ sibling <stem>.emg.csv)",
    sniff=_sniff_canonical, reader=read_canonical_csv, writer=write_canonical_csv,
    extensions=(".csv",), priority=90, module="glutesense.io.canonical"))
register(FormatSpec(
    name="canonical-emg-csv", title="glutesense canonical EMG CSV",
    signature=f"first line `{EMG_HEADER}`", sniff=_sniff_emg, reader=read_canonical_emg,
    priority=90, module="glutesense.io.canonical"))
register(FormatSpec(
    name="npz", title="glutesense NPZ", signature="zip with header.npy and data.npy",
    sniff=_sniff_npz, reader=read_npz, writer=write_npz, extensions=(".npz",), priority=95,
    module="glutesense.io.canonical"))
register(FormatSpec(
    name="parquet", title="Parquet", signature="bytes 0-3 `PAR1`; columns time_s + channels",
    sniff=_sniff_parquet, reader=read_parquet, writer=write_parquet, extensions=(".parquet",),
    priority=95, module="glutesense.io.canonical"))
