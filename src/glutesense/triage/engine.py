"""The triage engine: facts from answers and sensor findings → fired rules → advice.

Rules live in ``rules.yaml`` beside this module (declared as data, each with a
cited source). The level is the most urgent level of any rule that fired, so
an emergency sign is never outweighed by anything else.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from ..errors import ParameterError
from .answers import Answers, parse_answers

__all__ = ["LEVELS", "Rule", "TriageResult", "load_rules", "triage", "facts_from"]

#: Levels, most urgent first (DESIGN §4.4).
LEVELS = ("emergency", "urgent", "routine", "self_care")

_SENSOR_FACTS = ("twitching", "sensor_twitch_present", "sensor_twitch_pattern",
                 "sensor_twitch_rate_per_min", "sensor_nerve_present", "sensor_pulse_present",
                 "sensor_vibration_present", "sensor_vibration_zone")
_OPS = {"gte": lambda a, b: a >= b, "gt": lambda a, b: a > b, "lte": lambda a, b: a <= b,
        "lt": lambda a, b: a < b, "ne": lambda a, b: a != b, "in": lambda a, b: a in b}


@dataclasses.dataclass(frozen=True)
class Rule:
    """One triage rule (see ``rules.yaml``)."""

    id: str
    level: str
    red_flag: bool
    when: Mapping[str, Any]
    reason: str
    advice: tuple[str, ...]
    source: str


@dataclasses.dataclass(frozen=True)
class TriageResult:
    """The outcome for one person.

    Attributes
    ----------
    level : str
        ``emergency``, ``urgent``, ``routine`` or ``self_care``.
    reasons : list of str
        Why, in plain words, most urgent first.
    advice : list of str
        What to do, most urgent first, without repeats.
    red_flags : list of str
        The reasons of the fired rules marked as red flags.
    rules_fired : list of str
        Rule ids, most urgent first.
    sources : list of dict
        ``{"id", "title", "url"}`` for every source behind a fired rule.
    """

    level: str
    reasons: list[str]
    advice: list[str]
    red_flags: list[str]
    rules_fired: list[str]
    sources: list[dict[str, str]]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the report's ``triage`` block)."""
        return dataclasses.asdict(self)


def _known_facts() -> set[str]:
    return set(Answers.model_fields) | set(_SENSOR_FACTS)


def _check_condition(cond: Any, rule_id: str, facts: set[str]) -> None:
    if not isinstance(cond, Mapping) or not cond:
        raise ParameterError(f"rule {rule_id}: a condition must be a non-empty mapping")
    for key, want in cond.items():
        if key in ("any", "all"):
            if not isinstance(want, list) or not want:
                raise ParameterError(f"rule {rule_id}: {key} needs a non-empty list")
            for c in want:
                _check_condition(c, rule_id, facts)
        elif key == "not":
            _check_condition(want, rule_id, facts)
        elif key not in facts:
            raise ParameterError(f"rule {rule_id}: unknown fact {key!r}")
        elif isinstance(want, Mapping):
            bad = set(want) - set(_OPS)
            if bad or len(want) != 1:
                raise ParameterError(f"rule {rule_id}: bad operator in {key}: {dict(want)}")


@lru_cache(maxsize=1)
def load_rules() -> tuple[tuple[Rule, ...], dict[str, dict[str, str]]]:
    """Load and validate ``rules.yaml``; return the rules and the source catalogue."""
    text = resources.files(__package__).joinpath("rules.yaml").read_text(encoding="utf-8")
    doc = yaml.safe_load(text)
    sources = {k: {"id": k, **v} for k, v in doc["sources"].items()}
    facts = _known_facts()
    rules, seen = [], set()
    for r in doc["rules"]:
        rid = r["id"]
        if rid in seen:
            raise ParameterError(f"rule {rid} defined twice")
        seen.add(rid)
        if r["level"] not in LEVELS:
            raise ParameterError(f"rule {rid}: unknown level {r['level']!r}")
        if r["source"] not in sources:
            raise ParameterError(f"rule {rid}: unknown source {r['source']!r}")
        _check_condition(r["when"], rid, facts)
        rules.append(Rule(rid, r["level"], bool(r.get("red_flag", False)), r["when"],
                          r["reason"], tuple(r["advice"]), r["source"]))
    return tuple(rules), sources


def _holds(cond: Mapping[str, Any], facts: Mapping[str, Any]) -> bool:
    for key, want in cond.items():
        if key == "any":
            ok = any(_holds(c, facts) for c in want)
        elif key == "all":
            ok = all(_holds(c, facts) for c in want)
        elif key == "not":
            ok = not _holds(want, facts)
        else:
            value = facts.get(key)
            if value is None:
                return False
            if isinstance(want, Mapping):
                (op, arg), = want.items()
                ok = _OPS[op](value, arg)
            else:
                ok = value == want
        if not ok:
            return False
    return True


def facts_from(answers: Answers, findings: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Combine answers and the report's ``mechanisms`` block into rule facts.

    Parameters
    ----------
    answers : Answers
        Validated questionnaire answers.
    findings : mapping or None
        The ``mechanisms`` block of a ``glutesense.report/1`` document (or None).
    """
    facts: dict[str, Any] = answers.known()
    f = findings or {}
    tw, nerve = f.get("twitch") or {}, f.get("nerve") or {}
    pulse, vib = f.get("pulse") or {}, f.get("vibration") or {}
    if tw:
        facts["sensor_twitch_present"] = bool(tw.get("present"))
        if tw.get("present"):
            facts["sensor_twitch_pattern"] = tw.get("pattern")
            facts["sensor_twitch_rate_per_min"] = tw.get("rate_per_min")
    if nerve:
        facts["sensor_nerve_present"] = bool(nerve.get("present"))
    if pulse:
        facts["sensor_pulse_present"] = bool(pulse.get("present"))
    if vib:
        facts["sensor_vibration_present"] = bool(vib.get("present"))
        iso = vib.get("iso2631") or {}
        av = iso.get("av_ms2")
        if vib.get("present") and isinstance(av, (int, float)) and math.isfinite(av):
            from ..dsp.iso2631 import health_guidance

            facts["sensor_vibration_zone"] = health_guidance(float(av), 8 * 3600.0).zone
    reported = (answers.frequency in ("daily", "hourly", "continuous")) or bool(answers.spreading)
    if reported or facts.get("sensor_twitch_present"):
        facts["twitching"] = True
    elif answers.frequency == "rare" or "sensor_twitch_present" in facts:
        facts["twitching"] = False
    return facts


def triage(answers: Mapping[str, Any] | Answers | None = None,
           findings: Mapping[str, Any] | None = None) -> TriageResult:
    """Triage one person from questionnaire answers and (optionally) sensor findings.

    Parameters
    ----------
    answers : mapping, Answers or None
        Questionnaire answers (DESIGN §4.4); validated, unknown keys rejected.
    findings : mapping or None
        The ``mechanisms`` block of an analysis report.

    Returns
    -------
    TriageResult

    Examples
    --------
    >>> triage({"saddle_numbness": True, "caffeine_mg_per_day": 600}).level
    'emergency'
    >>> triage({"frequency": "daily", "recent_exercise": True}).level
    'self_care'
    """
    ans = parse_answers(answers)
    rules, sources = load_rules()
    facts = facts_from(ans, findings)
    fired = [r for r in rules if _holds(r.when, facts)]
    fired.sort(key=lambda r: LEVELS.index(r.level))  # stable: file order within a level
    level = fired[0].level if fired else "self_care"
    advice: list[str] = []
    for r in fired:
        for a in r.advice:
            if a not in advice:
                advice.append(a)
    if not fired:
        advice.append("Nothing in your answers needs a doctor now. If new symptoms appear, "
                      "answer the questions again.")
    used = []
    for r in fired:
        if sources[r.source] not in used:
            used.append(sources[r.source])
    return TriageResult(
        level=level,
        reasons=[r.reason for r in fired],
        advice=advice,
        red_flags=[r.reason for r in fired if r.red_flag],
        rules_fired=[r.id for r in fired],
        sources=used,
    )
