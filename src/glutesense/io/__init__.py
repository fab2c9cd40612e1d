"""Reading and writing recordings.

Verbs
-----
read(path)            detect the format by content and read it into a Recording
write(rec, path)      write canonical CSV / Parquet / NPZ (/ EDF) by extension
detect(path)          the FormatSpec that recognises a file
formats()             every registered format, most specific first

Adding a format: write ``glutesense/io/<name>.py`` that calls
:func:`register` with a :class:`FormatSpec`, then add its module name to
``_FORMAT_MODULES`` below.
"""

from __future__ import annotations

import importlib

from ._registry import (FormatSpec, Probe, detect, read, register, registry, safe_zip,
                        write)

__all__ = ["read", "write", "detect", "formats", "register", "FormatSpec", "Probe", "safe_zip"]

# One line per format module; each registers its FormatSpec(s) on import.
_FORMAT_MODULES = (
    "canonical",
    "webrec",
    "generic_csv",
    "physicstoolbox",
    "sciencejournal",
    "edf",
    "wfdb_reader",
    "opensignals",
    "cwa",
    "xdf",
    "actigraph",
    "geneactiv",
    "phyphox",
    "sensorlogger",
)

_loaded = False


def _load_all() -> None:
    global _loaded
    if _loaded:
        return
    for name in _FORMAT_MODULES:  # a failing import propagates and is retried next time
        importlib.import_module(f"{__name__}.{name}")
    _loaded = True


def formats() -> list[FormatSpec]:
    """Every registered format, most specific first."""
    return registry()
