"""Questionnaire validation (DESIGN §4.4): unknown keys and wrong types are named."""

from __future__ import annotations

import json

import pytest

from glutesense.errors import FormatError, ParameterError
from glutesense.triage import load_answers, parse_answers


def test_valid_answers_round_trip():
    a = parse_answers({"age_years": 34, "duration_days": 3.5, "frequency": "hourly",
                       "pain": "mild", "numbness": False, "caffeine_mg_per_day": 250,
                       "stress": "high"})
    assert a.age_years == 34 and a.frequency == "hourly" and a.numbness is False
    assert a.known()["caffeine_mg_per_day"] == 250
    assert "weakness" not in a.known()


@pytest.mark.parametrize("bad,key", [
    ({"colour": "red"}, "colour"),
    ({"age_years": "34"}, "age_years"),
    ({"age_years": 34.5}, "age_years"),
    ({"numbness": "yes"}, "numbness"),
    ({"numbness": 1}, "numbness"),
    ({"frequency": "sometimes"}, "frequency"),
    ({"pain": "awful"}, "pain"),
    ({"sleep_hours": -1}, "sleep_hours"),
    ({"caffeine_mg_per_day": "lots"}, "caffeine_mg_per_day"),
])
def test_bad_answers_name_the_key(bad, key):
    with pytest.raises(ParameterError, match=repr(key)):
        parse_answers(bad)


def test_not_an_object():
    with pytest.raises(ParameterError, match="JSON object"):
        parse_answers(["numbness"])


def test_load_answers_file_errors(tmp_path):
    p = tmp_path / "a.json"
    p.write_text("{not json")
    with pytest.raises(FormatError, match="not valid JSON") as exc:
        load_answers(p)
    assert str(p) in exc.value.one_line()
    p.write_text(json.dumps({"weakness": "very"}))
    with pytest.raises(ParameterError, match="'weakness'") as exc:
        load_answers(p)
    assert str(p) in exc.value.one_line()
    with pytest.raises(FormatError, match="no such file"):
        load_answers(tmp_path / "missing.json")
