"""Shared helpers for text tables: chunked numeric CSV reading with bounded memory.

A 1 GB CSV must not be held as several full copies. :func:`read_numeric_columns`
streams the file with pandas' C parser in chunks, keeps one list of chunk
arrays per column, and assembles each column into the final float64 array one
at a time, releasing the chunks as it goes: the peak is about the size of the
final arrays plus one chunk.
"""

from __future__ import annotations

import io as _io
import warnings
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
    """Refuse a file whose first *probe_bytes* hold a line longer than *limit* bytes.

    One enormous line (a megabyte of fields with no newline, after a normal
    header or not) would otherwise make the CSV parser build a huge ragged row.
    """
    # Stream the probe in pieces of limit/2 bytes: a line inside one piece is short by
    # construction, so only the run of bytes carried across pieces needs counting.
    step = max(1, min(limit // 2, 1 << 20))
    run = total = 0  # run: length of the line that is still open at the end of the last piece
    with open(path, "rb") as f:
        while total < probe_bytes:
            buf = f.read(step)
            if not buf:
                break
            total += len(buf)
            breaks = [i for i in (buf.find(b"\n"), buf.find(b"\r")) if i >= 0]
            if breaks:
                longest = run + min(breaks)  # the open line ends at the first break
                run = len(buf) - 1 - max(buf.rfind(b"\n"), buf.rfind(b"\r"))
            else:
                run += len(buf)
                longest = run
            if longest > limit:
                raise InputTooLargeError(f"a line is longer than {limit // 1000} kB; not a table")


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
        # Never turn surplus leading fields into a (Multi)Index: a ragged row must be an
        # error, not a 400,000-level index built in minutes (found by the fuzz corpus).
        index_col=False,
        skipinitialspace=True, on_bad_lines="error", low_memory=True,
    )
    col_names: list[str] | None = None
    parts: list[list[np.ndarray]] = []
    try:
        for chunk in _quiet_chunks(reader):
            if col_names is None:
                col_names = [str(c).strip() for c in chunk.columns]
                parts = [[] for _ in col_names]
            for j, c in enumerate(chunk.columns):
                s = chunk[c]
                if s.dtype.kind not in "fiub":
                    s = pd.to_numeric(s.astype(str).str.strip(), errors="coerce")
                # pandas ≥ 3 (copy-on-write) hands out read-only views; callers scale in place
                parts[j].append(np.require(s.to_numpy(dtype=np.float64, na_value=np.nan),
                                           requirements="W"))
            del chunk
    finally:
        reader.close()
    if col_names is None:
        raise FormatError("no data rows")
    columns: list[np.ndarray] = []
    for j in range(len(col_names)):
        if len(parts[j]) == 1:
            col = parts[j][0]  # one chunk: no concatenation copy
        else:
            col = np.concatenate(parts[j]) if parts[j] else np.zeros(0)
        parts[j] = []  # release the chunks of this column before assembling the next
        columns.append(col)
    return col_names, columns


def _quiet_chunks(reader):
    """Iterate *reader* without pandas' ParserWarning/DtypeWarning reaching the user's terminal."""
    import pandas as pd

    it = iter(reader)
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.ParserWarning)
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            try:
                chunk = next(it)
            except StopIteration:
                return
        yield chunk


def text_stream(raw: bytes) -> _io.StringIO:
    """Decode bytes (UTF-8 with or without BOM, else Latin-1) into a text stream."""
    try:
        return _io.StringIO(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        return _io.StringIO(raw.decode("latin-1"))
