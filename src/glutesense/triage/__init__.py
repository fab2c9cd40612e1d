"""Triage: questionnaire answers + sensor findings → level, reasons, advice, sources.

ANALYSER side: never imports the simulator (body, sensors, scenarios).

Levels (most urgent first): ``emergency``, ``urgent``, ``routine``, ``self_care``.
The rules are data (``rules.yaml``), each with a cited source; an emergency sign
is never outweighed.
"""

from .answers import QUESTIONS, Answers, load_answers, parse_answers
from .engine import LEVELS, TriageResult, load_rules, triage

__all__ = ["triage", "TriageResult", "Answers", "parse_answers", "load_answers", "QUESTIONS",
           "LEVELS", "load_rules"]
