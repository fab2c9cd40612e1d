"""glutesense: why do my buttocks move on their own?

Simulate, explain and triage the five mechanisms that move the gluteal muscles
and soft tissue without intent: ``twitch`` (fasciculations), ``postural``
(balance corrections, after-movement), ``pulse`` (ballistocardiogram),
``nerve`` (ectopic discharges) and ``vibration`` (vehicles, appliances, music).

Public verbs (imported lazily, so ``import glutesense`` stays light)
---------------------------------------------------------------------
read(path)                 read any supported file into a Recording
write(rec, path)           write canonical CSV / Parquet / NPZ / EDF
formats()                  the supported formats
analyze(rec)               explain the movement by the five mechanisms -> Analysis
                           (.to_report_dict(), .summary_text())
triage(answers, findings)  level, reasons, advice and sources
simulate(name, ...)        a named scenario with ground truth -> (recording, truth, components)
Recording, Annotations     the core containers
"""

from __future__ import annotations

import importlib
from typing import Any

from ._version import __version__

__all__ = ["__version__", "read", "write", "detect", "formats", "Recording", "Annotations",
           "concatenate", "GlutesenseError", "analyze", "Analysis", "triage", "simulate"]

_LAZY = {
    "read": ("glutesense.io", "read"),
    "write": ("glutesense.io", "write"),
    "detect": ("glutesense.io", "detect"),
    "formats": ("glutesense.io", "formats"),
    "Recording": ("glutesense.recording", "Recording"),
    "Annotations": ("glutesense.recording", "Annotations"),
    "concatenate": ("glutesense.recording", "concatenate"),
    "GlutesenseError": ("glutesense.errors", "GlutesenseError"),
    "analyze": ("glutesense.analysis", "analyze"),
    "Analysis": ("glutesense.analysis", "Analysis"),
    "triage": ("glutesense.triage", "triage"),
    "simulate": ("glutesense.scenarios", "simulate"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'glutesense' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
