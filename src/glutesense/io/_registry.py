"""The reader/writer registry and content-based format detection.

Adding a format is one new module in :mod:`glutesense.io` that calls
:func:`register` at import time, plus one line in ``_FORMAT_MODULES`` in
``glutesense/io/__init__.py``.

Detection looks at the *content* (formats.md §1.7), never only at the
extension: a :class:`Probe` exposes the first bytes, the first text lines and,
for zip files, the member names. Each :class:`FormatSpec` has a cheap ``sniff``
predicate; specs are tried from the highest ``priority`` down, so specific
formats (phyphox, Sensor Logger) win over the generic CSV reader.
"""

from __future__ import annotations

import dataclasses
import io as _io
import os
import sqlite3
import stat
import struct
import zipfile
import zlib
from collections.abc import Callable
from functools import cached_property
from pathlib import Path
from typing import Any

from ..errors import (FormatError, GlutesenseError, InputTooLargeError, ParameterError,
                      SamplingRateError, UnsupportedFormatError)
from ..recording import Recording

__all__ = ["FormatSpec", "Probe", "register", "registry", "detect", "read", "write",
           "safe_zip", "MIN_FS_HZ", "MAX_ZIP_UNCOMPRESSED", "PARSE_ERRORS"]

#: Below this rate a recording is refused: no mechanism can be seen in it.
MIN_FS_HZ = 5.0
#: Largest total uncompressed size accepted from a zip (zip-bomb guard).
MAX_ZIP_UNCOMPRESSED = 4 * 1024**3
#: Largest ratio of uncompressed to compressed size accepted for big zip members.
MAX_ZIP_RATIO = 200

#: Exceptions that parsing library code raises on malformed input. The registry turns
#: them into :class:`FormatError`; anything else is a bug and propagates.
PARSE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError, KeyError, IndexError, UnicodeError, EOFError, OverflowError,
    RecursionError,  # e.g. json.loads on 100,000 nested brackets
    zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, sqlite3.Error, struct.error,
    _io.UnsupportedOperation, NotImplementedError,
)


def _extra_parse_errors() -> tuple[type[BaseException], ...]:
    """Parse errors of the libraries readers use (all core dependencies; imported lazily)."""
    import pandas.errors as pe
    import pyarrow
    import python_calamine

    return (pe.ParserError, pe.EmptyDataError, pyarrow.ArrowException,
            python_calamine.CalamineError)


class Probe:
    """Cheap, cached views of a file's content for format sniffing.

    Parameters
    ----------
    path : path-like
        The file.
    head_size : int
        How many bytes to read for :attr:`head`.
    """

    def __init__(self, path: str | os.PathLike, head_size: int = 65536) -> None:
        self.path = Path(path)
        self._head_size = head_size

    @cached_property
    def size(self) -> int:
        """File size in bytes."""
        return self.path.stat().st_size

    @cached_property
    def head(self) -> bytes:
        """The first bytes of the file."""
        with open(self.path, "rb") as f:
            return f.read(self._head_size)

    @cached_property
    def is_zip(self) -> bool:
        """True when the file is a zip archive."""
        return self.head[:4] == b"PK\x03\x04" and zipfile.is_zipfile(self.path)

    @cached_property
    def zip_names(self) -> tuple[str, ...]:
        """Member names when the file is a zip, else ()."""
        if not self.is_zip:
            return ()
        try:
            with zipfile.ZipFile(self.path) as z:
                return tuple(z.namelist())
        except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError):
            return ()

    @cached_property
    def is_sqlite(self) -> bool:
        """True when the file is an SQLite database."""
        return self.head.startswith(b"SQLite format 3\x00")

    @cached_property
    def text(self) -> str | None:
        """The head decoded as text (UTF-8 with BOM stripped, else Latin-1), or None if binary."""
        head = self.head
        if not head or b"\x00" in head[:8192]:
            return None
        try:
            txt = head.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            if exc.start >= len(head) - 4:  # a multi-byte char cut at the end of the head
                txt = head[: exc.start].decode("utf-8-sig")
            else:
                txt = head.decode("latin-1")
                printable = sum(c.isprintable() or c in "\r\n\t" for c in txt[:4096])
                if printable < 0.95 * min(len(txt), 4096):
                    return None
        return txt

    @cached_property
    def lines(self) -> list[str]:
        """The first complete text lines (at most 50), or [] if binary."""
        if self.text is None:
            return []
        parts = self.text.splitlines()
        if len(self.head) == self._head_size and parts and not self.text.endswith(("\n", "\r")):
            parts = parts[:-1]  # drop a line cut by the head limit
        return parts[:50]

    @cached_property
    def first_line(self) -> str:
        """The first non-empty text line, stripped ('' if none)."""
        for line in self.lines:
            if line.strip():
                return line.strip()
        return ""


@dataclasses.dataclass(frozen=True)
class FormatSpec:
    """One supported format.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"phyphox-zip"``.
    title : str
        Human name, e.g. ``"phyphox export (zip of CSV)"``.
    signature : str
        How it is recognised, in words (shown by ``glutesense formats``).
    sniff : callable(Probe) -> bool
        Cheap content test.
    reader : callable(Path, Probe) -> Recording or None
        Reads the file. None for a format that is listed but cannot be read.
    writer : callable(Recording, Path) -> None or None
        Writes the format, if supported.
    extensions : tuple of str
        Extensions used by :func:`write` to choose a writer (and a hint for detection).
    priority : int
        Higher is tried first.
    module : str
        The module implementing it (shown by ``glutesense formats``).
    note : str
        Limitations or the reason a format is not readable.
    reader_fs : callable(Path, float) -> Recording or None
        Reads the file with a sampling rate stated by the caller (for tables
        that carry no time base); see :func:`read`'s ``fs``.
    """

    name: str
    title: str
    signature: str
    sniff: Callable[[Probe], bool]
    reader: Callable[[Path, Probe], Recording] | None
    writer: Callable[[Recording, Path], None] | None = None
    extensions: tuple[str, ...] = ()
    priority: int = 50
    module: str = ""
    note: str = ""
    reader_fs: Callable[[Path, float], Recording] | None = None


_REGISTRY: dict[str, FormatSpec] = {}


def register(spec: FormatSpec) -> FormatSpec:
    """Add *spec* to the registry (at import time of its module)."""
    if spec.name in _REGISTRY:
        raise ValueError(f"format {spec.name!r} registered twice")
    _REGISTRY[spec.name] = spec
    return spec


def registry() -> list[FormatSpec]:
    """All registered formats, most specific first."""
    from . import _load_all

    _load_all()
    return sorted(_REGISTRY.values(), key=lambda s: (-s.priority, s.name))


def _check_file(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise FormatError("no such file", path=str(path)) from None
    except (OSError, ValueError) as exc:  # permission, name too long, NUL in the name, ...
        raise FormatError(f"cannot be opened: {getattr(exc, 'strerror', None) or exc}",
                          path=str(path)) from None
    if stat.S_ISDIR(st.st_mode):
        raise FormatError("is a directory, not a file", path=str(path))
    if st.st_size == 0:
        raise FormatError("the file is empty", path=str(path))


def _as_path(path: object) -> Path:
    try:
        return Path(path)  # type: ignore[arg-type]
    except TypeError:
        raise ParameterError(f"expected a path to a file, got {type(path).__name__}") from None


def detect(path: str | os.PathLike) -> FormatSpec:
    """Return the format of *path*, judged by its content.

    Raises
    ------
    UnsupportedFormatError
        If no registered format recognises the content.
    """
    path = _as_path(path)
    _check_file(path)
    probe = Probe(path)
    try:
        probe.head
    except OSError as exc:
        raise FormatError(f"cannot be read: {exc.strerror or exc}", path=str(path)) from None
    if probe.is_zip:
        # Refuse zip bombs before any sniffer opens a member (an xlsx sniffer would
        # otherwise inflate them just to look at the sheet names).
        try:
            safe_zip(path).close()
        except InputTooLargeError as exc:
            raise exc.with_path(path)
        except (GlutesenseError, zipfile.BadZipFile, OSError, ValueError, NotImplementedError,
                EOFError, zlib.error, struct.error):
            pass  # damaged archives are the readers' business
    for spec in registry():
        try:
            if spec.sniff(probe):
                return spec
        except Exception as exc:  # noqa: BLE001 - a sniffer must never break detection
            # Sniffers see arbitrary bytes; one that trips over them simply does not match.
            # Anything beyond the expected parse errors is a bug in that sniffer: log it.
            if not isinstance(exc, PARSE_ERRORS + (OSError,)):
                import logging

                logging.getLogger("glutesense").debug(
                    "sniffer of %r raised %s on %s", spec.name, type(exc).__name__, path)
            continue
    try:
        kind = ("a zip archive" if probe.is_zip else "binary data" if probe.text is None
                else f"text starting {(probe.first_line or probe.text.strip())[:40]!r}")
    except Exception:  # noqa: BLE001 - only used to word the message
        kind = "unrecognised content"
    raise UnsupportedFormatError(
        f"not a supported recording format ({kind}); `glutesense formats` lists what can be read",
        path=str(path))


def read(path: str | os.PathLike, *, format: str | None = None, fs: float | None = None) -> Recording:
    """Read a recording from *path*, detecting the format by content.

    Parameters
    ----------
    path : path-like
        The file.
    format : str or None
        Force a format by its registry name (see ``glutesense formats``).
    fs : float or None
        The sampling rate in Hz of a table that does not state one (no time
        column, e.g. an ``x y z`` logger). Only formats with a ``reader_fs``
        (the generic CSV reader) accept it.

    Returns
    -------
    Recording
        With ``meta["format"]``, ``meta["path"]`` and everything the reader
        inferred in ``meta["inferred"]``.

    Raises
    ------
    GlutesenseError
        For any unreadable, truncated, unsupported or implausible input; the
        message names the file. Every subclass raised here (FormatError,
        SamplingRateError, TimeBaseError, UnitError) is also a ``ValueError``.
    """
    path = _as_path(path)
    try:
        if format is not None:
            _check_file(path)
            try:
                spec = next(s for s in registry() if s.name == format)
            except StopIteration:
                raise UnsupportedFormatError(f"unknown format {format!r}") from None
        else:
            spec = detect(path)
        if spec.reader is None:
            raise UnsupportedFormatError(f"{spec.title} is recognised but cannot be read: {spec.note}")
        if fs is not None and spec.reader_fs is None:
            raise ParameterError(f"{spec.title} states its own time base; a sampling rate can "
                                 "only be given for tables without a time column")
        try:
            rec = spec.reader(path, Probe(path)) if fs is None else spec.reader_fs(path, float(fs))
        except GlutesenseError:
            raise
        except MemoryError:
            raise InputTooLargeError("too large to read into memory") from None
        except PARSE_ERRORS + _extra_parse_errors() as exc:
            raise FormatError(f"not a valid {spec.title}: {_describe(exc)}") from exc
        except OSError as exc:
            raise FormatError(f"cannot be read: {exc.strerror or exc}") from exc
        except RuntimeError as exc:
            # zipfile raises a bare RuntimeError for an encrypted member (flag bit 0 set).
            if "encrypted" in str(exc) or "password" in str(exc):
                raise FormatError(f"not a valid {spec.title}: {_describe(exc)}") from exc
            raise
        rec = _finish(rec, spec, path)
    except GlutesenseError as exc:
        raise exc.with_path(path)
    return rec


def _describe(exc: BaseException) -> str:
    msg = " ".join(str(exc).split())
    name = type(exc).__name__
    if not msg:
        return name
    return msg[:200]


def _finish(rec: Recording, spec: FormatSpec, path: Path) -> Recording:
    if rec.n_samples < 2:
        raise FormatError("contains fewer than 2 samples")
    if rec.fs < MIN_FS_HZ:
        raise SamplingRateError(
            f"sampling rate {rec.fs:.3g} Hz is too low (glutesense needs at least {MIN_FS_HZ:g} Hz)")
    import numpy as np

    if not np.all(np.isfinite(rec.data)):
        raise FormatError("contains NaN or infinite samples that could not be repaired")
    streams, dropped = {}, []
    for key, s in rec.streams.items():
        if s.n_samples >= 2 and s.fs >= MIN_FS_HZ and np.all(np.isfinite(s.data)):
            streams[key] = s
        else:
            dropped.append(key)
    if dropped:
        rec = rec.replace(streams=streams)
        for key in dropped:
            rec = rec.with_warning(f"stream {key!r} ignored: fewer than 2 samples, a rate below "
                                   f"{MIN_FS_HZ:g} Hz, or NaN/infinite samples")
    meta = dict(rec.meta)
    meta.setdefault("format", spec.name)
    meta["path"] = str(path)
    return rec.replace(meta=meta)


def write(rec: Recording, path: str | os.PathLike, *, format: str | None = None) -> None:
    """Write *rec* to *path*; the format follows the extension unless given.

    The file is written to a temporary name in the same folder and renamed into
    place, so a failure never leaves a half-written file.
    """
    path = Path(path)
    specs = [s for s in registry() if s.writer is not None]
    if format is not None:
        cands = [s for s in specs if s.name == format]
    else:
        name = path.name.lower()
        cands = sorted((s for s in specs if any(name.endswith(e) for e in s.extensions)),
                       key=lambda s: -max(len(e) for e in s.extensions if name.endswith(e)))
    if not cands:
        exts = sorted({e for s in specs for e in s.extensions})
        raise UnsupportedFormatError(f"cannot write this format; use one of {', '.join(exts)}",
                                     path=str(path))
    cands[0].writer(rec, path)


def safe_zip(path: Path) -> zipfile.ZipFile:
    """Open a zip after checking it is not a zip bomb.

    Raises
    ------
    InputTooLargeError
        If the members would expand beyond :data:`MAX_ZIP_UNCOMPRESSED` bytes
        in total, or a large member is compressed more than :data:`MAX_ZIP_RATIO`:1.
    """
    z = zipfile.ZipFile(path)
    total = 0
    for info in z.infolist():
        if info.flag_bits & 0x1:
            z.close()
            raise FormatError(f"zip member {info.filename!r} is encrypted")
        total += info.file_size
        if info.file_size > 50 * 1024**2 and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            z.close()
            raise InputTooLargeError(
                f"zip member {info.filename!r} expands {info.file_size / max(info.compress_size, 1):.0f}:1 "
                "(zip bomb?)")
    if total > MAX_ZIP_UNCOMPRESSED:
        z.close()
        raise InputTooLargeError(f"zip expands to {total / 1024**3:.1f} GiB")
    return z


def describe_spec(spec: FormatSpec) -> dict[str, Any]:
    """JSON-ready description of a format (``glutesense formats --json``)."""
    return {"name": spec.name, "title": spec.title, "signature": spec.signature,
            "reader": spec.module if spec.reader else None,
            "writable": spec.writer is not None, "extensions": list(spec.extensions),
            "note": spec.note}
