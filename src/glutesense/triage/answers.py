"""The questionnaire (DESIGN §4.4), validated with pydantic.

Every key is optional; a missing key means "not asked / unknown". Unknown keys
and wrong types are rejected with a message that names the key.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..errors import FormatError, ParameterError

__all__ = ["Answers", "parse_answers", "load_answers", "QUESTIONS"]


class Answers(BaseModel):
    """Answers to the short questionnaire. All fields optional (None = unknown)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    age_years: int | None = Field(None, ge=0, le=130)
    duration_days: float | None = Field(None, ge=0)
    frequency: Literal["rare", "daily", "hourly", "continuous"] | None = None
    spreading: bool | None = None
    pain: Literal["none", "mild", "moderate", "severe"] | None = None
    numbness: bool | None = None
    tingling: bool | None = None
    saddle_numbness: bool | None = None
    bladder_bowel_change: bool | None = None
    weakness: bool | None = None
    weakness_worsening: bool | None = None
    muscle_wasting: bool | None = None
    cramps: bool | None = None
    fever: bool | None = None
    back_pain: bool | None = None
    trauma: bool | None = None
    recent_exercise: bool | None = None
    caffeine_mg_per_day: float | None = Field(None, ge=0)
    stress: Literal["low", "moderate", "high"] | None = None
    sleep_hours: float | None = Field(None, ge=0, le=24)
    sitting_hours_per_day: float | None = Field(None, ge=0, le=24)
    diuretics_or_laxatives: bool | None = None
    vomiting_or_diarrhea: bool | None = None
    alcohol_units_per_week: float | None = Field(None, ge=0)

    def known(self) -> dict[str, Any]:
        """The answered keys only."""
        return {k: v for k, v in self.model_dump().items() if v is not None}


#: The questions as a person reads them (terminal, web form), in asking order.
QUESTIONS: dict[str, str] = {
    "saddle_numbness": "Is there numbness between your legs, around your bottom (anus) or genitals?",
    "bladder_bowel_change": "Have you newly had trouble peeing, or lost control of your bladder or bowel?",
    "weakness_worsening": "Is weakness in your legs getting worse quickly?",
    "weakness": "Do your buttock or leg muscles feel weak?",
    "muscle_wasting": "Have any muscles become visibly thinner?",
    "numbness": "Is there numbness in your buttock or leg?",
    "tingling": "Is there tingling or pins and needles?",
    "pain": "How much pain do you have (none, mild, moderate, severe)?",
    "back_pain": "Do you have back pain?",
    "fever": "Do you have a fever or feel hot and shivery?",
    "trauma": "Did it start after a fall or injury?",
    "frequency": "How often do you feel the twitching (rare, daily, hourly, continuous)?",
    "duration_days": "For how many days has it been going on?",
    "spreading": "Do you feel twitching elsewhere in your body too, or is it spreading?",
    "cramps": "Do you get cramps?",
    "age_years": "How old are you (years)?",
    "recent_exercise": "Did you exercise hard in the last two days?",
    "caffeine_mg_per_day": "About how much caffeine per day, in mg (a mug of coffee is about 100 mg)?",
    "stress": "How stressed are you (low, moderate, high)?",
    "sleep_hours": "How many hours do you sleep per night?",
    "sitting_hours_per_day": "How many hours a day do you sit?",
    "diuretics_or_laxatives": "Do you take water tablets (diuretics) or laxatives?",
    "vomiting_or_diarrhea": "Have you recently had vomiting or diarrhoea?",
    "alcohol_units_per_week": "How many units of alcohol per week?",
}


def parse_answers(data: Mapping[str, Any] | Answers | None) -> Answers:
    """Validate answers; raise :class:`ParameterError` naming the offending key.

    Examples
    --------
    >>> parse_answers({"frequency": "daily"}).frequency
    'daily'
    >>> parse_answers({"colour": "red"})
    Traceback (most recent call last):
    ...
    glutesense.errors.ParameterError: answers: unknown key 'colour'
    """
    if data is None:
        return Answers()
    if isinstance(data, Answers):
        return data
    if not isinstance(data, Mapping):
        raise ParameterError(f"answers must be a JSON object, got {type(data).__name__}")
    try:
        return Answers.model_validate(dict(data))
    except ValidationError as exc:
        err = exc.errors()[0]
        key = ".".join(str(p) for p in err.get("loc", ())) or "?"
        if err.get("type") == "extra_forbidden":
            raise ParameterError(f"answers: unknown key {key!r}") from None
        raise ParameterError(f"answers: key {key!r}: {err.get('msg', 'invalid value')} "
                             f"(got {err.get('input')!r})") from None


def load_answers(path: str | Path) -> Answers:
    """Read and validate an answers JSON file."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FormatError("no such file", path=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"cannot be read as UTF-8 text: {exc}", path=str(path)) from None
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise FormatError(f"not valid JSON: {exc.msg} at line {exc.lineno}", path=str(path)) from None
    try:
        return parse_answers(data)
    except ParameterError as exc:
        raise exc.with_path(path)
