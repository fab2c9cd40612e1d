"""``glutesense analyze``: the JSON report contract, the plain summary, exit codes."""

from __future__ import annotations

import json

import pytest
from builders import synth

from glutesense.cli import main


@pytest.fixture(scope="module")
def pulse_csv(tmp_path_factory):
    rec, truth = synth.make(90, 100, seed=61, hr_bpm=68, bcg_amp=0.06, noise_rms=0.008,
                            twitch_rate_per_min=6)
    path = tmp_path_factory.mktemp("an") / "seated.csv"
    rec.write(str(path))
    return path, truth


def test_analyze_json_is_a_valid_report(pulse_csv, capsys):
    path, truth = pulse_csv
    assert main(["analyze", str(path), "--json"]) == 0
    captured = capsys.readouterr()
    doc = json.loads(captured.out)
    synth.assert_report_schema(doc)
    assert doc["input"]["path"] == str(path)
    assert doc["input"]["format"] == "canonical-csv"
    assert doc["input"]["n_samples"] == 9000
    assert abs(doc["mechanisms"]["pulse"]["heart_rate_bpm"] - truth.hr_bpm) <= 1.5
    assert "analysing" in captured.err          # progress on stderr, results on stdout


def test_analyze_plain_summary(pulse_csv, capsys):
    path, truth = pulse_csv
    assert main(["analyze", str(path)]) == 0
    text = capsys.readouterr().out
    first = text.splitlines()[0]
    assert first.startswith("Most of the movement in this recording is your pulse")
    assert f"{round(truth.hr_bpm)} beats per minute" in first
    assert "This recording cannot show" in text     # the sensor's limits are stated


def test_analyze_writes_html_and_pdf(pulse_csv, tmp_path, capsys):
    path, _ = pulse_csv
    html, pdf = tmp_path / "r.html", tmp_path / "r.pdf"
    assert main(["analyze", str(path), "--html", str(html), "--pdf", str(pdf)]) == 0
    assert "What moved in your recording" in html.read_text()
    assert pdf.read_bytes().startswith(b"%PDF")


def test_analyze_keeps_answers(pulse_csv, tmp_path, capsys):
    path, _ = pulse_csv
    ans = tmp_path / "a.json"
    ans.write_text(json.dumps({"pain": "none"}))
    assert main(["analyze", str(path), "--json", "--answers", str(ans)]) == 0
    synth.assert_report_schema(json.loads(capsys.readouterr().out))
    ans.write_text("[1, 2]")
    assert main(["analyze", str(path), "--answers", str(ans)]) == 3


def test_unreadable_input_exit_3(tmp_path, capsys):
    bad = tmp_path / "garbage.csv"
    bad.write_bytes(b"\x00\x01not a recording\xff" * 10)
    assert main(["analyze", str(bad), "--json"]) == 3
    captured = capsys.readouterr()
    assert captured.out == ""
    assert len(captured.err.strip().splitlines()) == 1
    assert main(["analyze", str(tmp_path / "missing.csv")]) in (2, 3)
