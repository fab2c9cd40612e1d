"""Reports: plain summary, self-contained HTML, doctor's PDF, and reading level."""

from __future__ import annotations

import re

import numpy as np
import pytest

from glutesense.recording import Recording
from glutesense.reporting import limits_sentence, summary_sentences, write_html, write_pdf


def _report(**over):
    beats = list(np.arange(0.5, 60, 60 / 62))
    rep = {
        "schema": "glutesense.report/1", "version": "test",
        "input": {"path": "/x/pocket.csv", "format": "canonical-csv", "duration_s": 60.0,
                  "fs_hz": 100.0, "n_samples": 6000, "gravity_included": True,
                  "warnings": ["dropped 3 rows with a duplicated time stamp"]},
        "mechanisms": {
            "twitch": {"present": True, "confidence": 0.8, "share": 0.2, "rate_per_min": 3.0,
                       "pattern": "sporadic",
                       "events": [{"t_s": 10.2, "peak_ms2": 0.05}, {"t_s": 30.1, "peak_ms2": 0.08},
                                  {"t_s": 50.0, "peak_ms2": 0.03}]},
            "postural": {"present": False, "confidence": 0.1, "share": 0.0, "sway_rms_ms2": 0.002,
                         "after_movement": []},
            "pulse": {"present": True, "confidence": 0.9, "share": 0.7, "heart_rate_bpm": 62.0,
                      "beats_s": beats},
            "nerve": {"present": False, "confidence": 0.0, "share": 0.0, "burst_rate_per_min": 0.0,
                      "bursts": []},
            "vibration": {"present": False, "confidence": 0.0, "share": 0.0, "source": None,
                          "dominant_hz": None,
                          "iso2631": {"aw_x_ms2": 0.01, "aw_y_ms2": 0.01, "aw_z_ms2": 0.02,
                                      "av_ms2": 0.03, "vdv_z_ms175": 0.05, "crest_factor_z": 4.0}},
        },
        "voluntary": [{"t0_s": 20.0, "t1_s": 24.0}],
        "unexplained_share": 0.1,
        "limits": {"max_frequency_hz": 50.0, "min_detectable_twitch_ms2": 0.012},
        "triage": {"level": "self_care", "reasons": ["Twitches are common."],
                   "advice": ["Get plenty of rest."], "red_flags": [],
                   "sources": [{"id": "nhs", "title": "NHS: Twitching eyes and muscles",
                                "url": "https://www.nhs.uk/conditions/twitching-eyes-and-muscles/"}]},
        "disclaimer": "glutesense does not diagnose.",
    }
    rep.update(over)
    return rep


def _recording(rng):
    fs, n = 100.0, 6000
    acc = rng.normal(0, 0.02, (3, n))
    acc[2] += 9.81
    return Recording(acc, fs, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3, ("m/s^2",) * 3)


def test_summary_leads_with_the_dominant_mechanism():
    s = summary_sentences(_report())
    assert s[0].startswith("Most of the movement in this recording is your pulse, 62 beats per minute")
    assert any("3 small twitches" in x and "3.0 per minute" in x for x in s)
    assert any("moved on purpose for about 4 s" in x for x in s)


def test_summary_when_nothing_found():
    rep = _report()
    for b in rep["mechanisms"].values():
        b["present"] = False
    assert summary_sentences(rep)[0] == "We found no movement beyond the sensor's own noise."


def test_limits_are_stated():
    s = limits_sentence(_report())
    assert "0.012 m/s²" in s and "50 times per second" in s


def test_html_is_self_contained_and_complete(tmp_path, rng):
    p = write_html(_report(), tmp_path / "report.html", _recording(rng))
    html = p.read_text()
    # every image is inline; no scripts, stylesheets or images are fetched from anywhere
    assert re.search(r"<(img|script|link)[^>]+(src|href)=\"(https?:)?//", html) is None
    assert html.count("<img") >= 6 and html.count("data:image/png;base64,") >= 6
    for needle in ("This looks harmless", "Get plenty of rest", "nhs.uk", "0.012 m/s²",
                   "glutesense does not diagnose", "duplicated time stamp", "Pulse (heartbeat)"):
        assert needle in html, needle


def test_html_escapes_untrusted_text(tmp_path):
    rep = _report()
    rep["input"]["warnings"] = ["<script>alert(1)</script>"]
    html = write_html(rep, tmp_path / "r.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html


def test_pdf_has_text_page_and_figures(tmp_path, rng):
    p = write_pdf(_report(), tmp_path / "report.pdf", _recording(rng))
    data = p.read_bytes()
    assert data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page\b", data)) >= 6


def _syllables(word: str) -> int:
    word = word.lower()
    groups = re.findall(r"[aeiouy]+", word)
    n = len(groups) - (1 if word.endswith("e") and len(groups) > 1 else 0)
    return max(1, n)


def flesch_kincaid_grade(text: str) -> float:
    """Flesch–Kincaid grade level (Kincaid et al. 1975), with a vowel-group syllable count."""
    sentences = max(1, len(re.findall(r"[.!?]+", text)))
    words = re.findall(r"[A-Za-z]+", text)
    syll = sum(_syllables(w) for w in words)
    return 0.39 * len(words) / sentences + 11.8 * syll / len(words) - 15.59


def test_advice_reads_at_about_grade_8():
    from glutesense.triage import load_rules

    rules, _ = load_rules()
    texts = [r.reason for r in rules] + [a for r in rules for a in r.advice]
    texts += summary_sentences(_report())
    grade = flesch_kincaid_grade(" ".join(texts))
    print(f"\nFlesch–Kincaid grade of advice and summaries: {grade:.1f}")
    assert grade <= 9.0
