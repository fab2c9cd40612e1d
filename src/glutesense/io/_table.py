"""Shared helpers for text tables: chunked numeric CSV reading with bounded memory.

A 1 GB CSV must not be held as several full copies. :func:`read_numeric_columns`
streams the file with pandas' C parser in chunks, keeps one list of chunk
arrays per column, and assembles each column into the final float64 array one
at a time, releasing the chunks as it goes: the peak is about the size of the
final arrays plus one chunk.
"""

from __future__ import annotations

import io as _io
from collections.abc import Sequence
from pathlib import Path
from typing import IO

import numpy as np

from ..errors import FormatError, InputTooLargeError

__all__ = ["read_numeric_columns", "MAX_LINE_BYTES", "CHUNK_ROWS"]

#: Rows per chunk when streaming a CSV.
CHUNK_ROWS = 1_000_000
#: Longest line accepted before the file is called malformed.
MAX_LINE_BYTES = 1_000_000


def check_line_lengths(path: Path, limit: int = MAX_LINE_BYTES, probe_bytes: int = 8 * 1024**2) -> None:
    """Refuse a file whose first lines are absurdly long (e.g. one enormous line)."""
    with open(path, "rb") as f:
        block = f.read(min(probe_bytes, limit + 1))
    if len(block) > limit and b"\n" not in block and b"\r" not in block:
        raise InputTooLargeError(f"the first line is longer than {limit // 1000} kB; not a table")


def read_numeric_columns(
    source: Path | IO[str],
    *,
    sep: str,
    decimal: str = ".",
    skiprows: int | Sequence[int] = 0,
    header: int | None = 0,
    names: Sequence[str] | None = None,
    usecols: Sequence[int] | None = None,
    comment: str | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[list[str], list[np.ndarray]]:
    """Read the numeric columns of a delimited text file in chunks.

    Parameters
    ----------
    source : Path or text stream
        The file (or an open text stream, e.g. a zip member).
    sep, decimal : str
        Field separator (``r"\\s+"`` for whitespace) and decimal mark.
    skiprows, header, names, usecols, comment
        As in :func:`pandas.read_csv`.
    chunk_rows : int
        Rows per chunk.

    Returns
    -------
    names : list of str
        Column names (from the header or *names*).
    columns : list of ndarray
        One float64 array per column; cells that do not parse are NaN.
    """
    import pandas as pd

    if isinstance(source, Path):
        check_line_lengths(source)
    reader = pd.read_csv(
        source, sep=sep, decimal=decimal, skiprows=skiprows, header=header, names=names,
        usecols=usecols, comment=comment, chunksize=chunk_rows, engine="c",
        skipinitialspace=True, on_bad_lines="error", low_memory=True,
    )
    col_names: list[str] | None = None
    parts: list[list[np.ndarray]] = []
    try:
        for chunk in reader:
            if col_names is None:
                col_names = [str(c).strip() for c in chunk.columns]
                parts = [[] for _ in col_names]
            for j, c in enumerate(chunk.columns):
                s = chunk[c]
                if s.dtype.kind not in "fiub":
                    s = pd.to_numeric(s.astype(str).str.strip(), errors="coerce")
                parts[j].append(s.to_numpy(dtype=np.float64, na_value=np.nan))
            del chunk
    finally:
        reader.close()
    if col_names is None:
        raise FormatError("no data rows")
    columns: list[np.ndarray] = []
    for j in range(len(col_names)):
        col = np.concatenate(parts[j]) if parts[j] else np.zeros(0)
        parts[j] = []  # release the chunks of this column before assembling the next
        columns.append(col)
    return col_names, columns


def text_stream(raw: bytes) -> _io.StringIO:
    """Decode bytes (UTF-8 with or without BOM, else Latin-1) into a text stream."""
    try:
        return _io.StringIO(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return _io.StringIO(raw.decode("latin-1"))
