"""``glutesense triage``: JSON contract, exit codes, interactive mode."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from glutesense.cli import main

EXE = [str(Path(sys.executable).with_name("glutesense"))]


def test_triage_json_contract(tmp_path, capsys):
    p = tmp_path / "answers.json"
    p.write_text(json.dumps({"bladder_bowel_change": True, "recent_exercise": True}))
    assert main(["triage", "--answers", str(p), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert set(doc) >= {"level", "reasons", "advice", "red_flags", "rules_fired"}
    assert doc["level"] == "emergency"
    assert "ces-bladder-bowel" in doc["rules_fired"]
    assert doc["advice"][0].startswith("Go to A&E")


def test_triage_text_says_why_and_cites(tmp_path, capsys):
    p = tmp_path / "answers.json"
    p.write_text(json.dumps({"frequency": "daily", "duration_days": 30}))
    assert main(["triage", "--answers", str(p)]) == 0
    text = capsys.readouterr().out
    assert "Book an appointment" in text and "2 weeks" in text and "nhs.uk" in text


def test_bad_answers_exit_3_one_line(tmp_path):
    p = tmp_path / "answers.json"
    p.write_text(json.dumps({"weakness": "a bit"}))
    r = subprocess.run([*EXE, "triage", "--answers", str(p)], capture_output=True, text=True)
    assert r.returncode == 3
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and str(p) in lines[0] and "'weakness'" in lines[0]


def test_needs_exactly_one_source():
    assert main(["triage"]) == 2


def test_interactive_emergency_first_question():
    r = subprocess.run([*EXE, "triage", "--interactive", "--json"], input="yes\n",
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["level"] == "emergency"


def test_interactive_reasks_on_nonsense():
    # first answer nonsense, then "no"; then skip to frequency (12th) = daily, 30 days
    answers = "maybe\nno\n" + "\n" * 10 + "daily\n30\n"
    r = subprocess.run([*EXE, "triage", "--interactive", "--json"], input=answers,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "not understood" in r.stderr
    doc = json.loads(r.stdout)
    assert doc["level"] == "routine" and "twitching-over-two-weeks" in doc["rules_fired"]
