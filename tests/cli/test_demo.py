"""``glutesense demo`` (and so ``make run``): simulate, analyse, triage, write both reports."""

from __future__ import annotations

import json

from glutesense.cli import main


def test_demo_writes_reports_and_prints_json(tmp_path, capsys):
    assert main(["demo", "--out-dir", str(tmp_path), "--json"]) == 0
    rep = json.loads(capsys.readouterr().out)
    assert rep["schema"] == "glutesense.report/1"
    assert rep["input"]["duration_s"] == 120.0
    # the example person has no red flags: harmless, with advice that fits the causes
    assert rep["triage"]["level"] == "self_care"
    assert "after-training" in rep["triage"]["rules_fired"]
    html = (tmp_path / "report.html").read_text()
    assert "What moved in your recording" in html and "data:image/png;base64," in html
    assert (tmp_path / "report.pdf").read_bytes().startswith(b"%PDF")


def test_demo_analysis_never_sees_the_truth(monkeypatch, tmp_path):
    import glutesense.reporting.build as build

    seen = {}
    real = build.build_report

    def spy(rec, answers=None, **kw):
        seen["n_annotations"] = len(rec.annotations)
        return real(rec, answers, **kw)

    monkeypatch.setattr("glutesense.reporting.build.build_report", spy)
    from glutesense.demo import run_demo

    run_demo(tmp_path)
    assert seen["n_annotations"] == 0
