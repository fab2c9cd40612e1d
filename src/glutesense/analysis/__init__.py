"""Analysis: run the detectors on a recording and attribute its movement to mechanisms.

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Verbs
-----
analyze(recording, *, answers=None) -> Analysis
    Preprocess, detect the five mechanisms, share the non-voluntary movement
    energy among them, build a timeline and state the limits.
Analysis.to_report_dict()
    The ``glutesense.report/1`` JSON document (DESIGN §4.3).
Analysis.summary_text()
    A short plain-language summary.
"""

from ._analysis import CHUNK_S, OVERLAP_S, TIMELINE_S, Analysis, analyze
from ._report import DISCLAIMER, PATTERNS, SCHEMA, SOURCES

__all__ = ["analyze", "Analysis", "SCHEMA", "DISCLAIMER", "PATTERNS", "SOURCES", "CHUNK_S",
           "OVERLAP_S", "TIMELINE_S"]
