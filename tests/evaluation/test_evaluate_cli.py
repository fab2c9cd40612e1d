"""``glutesense evaluate --cases 1 --json`` runs and reports every metric for every source."""

from __future__ import annotations

import json

import pytest

from glutesense.cli import main
from glutesense.evaluation import METRICS, SCHEMA, SOURCES


@pytest.fixture(scope="module")
def result():
    import io
    import contextlib

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        code = main(["evaluate", "--cases", "1", "--seed", "3", "--duration", "60", "--json"])
    assert code == 0
    return json.loads(buf.getvalue())


def test_every_metric_key_for_every_source(result):
    assert result["schema"] == SCHEMA
    assert set(result["metrics"]) == set(METRICS)
    ran = set(result["summary"]) | set(result["skipped"])
    assert ran == set(SOURCES)
    for src, summary in result["summary"].items():
        assert summary["n_failed"] == 0, [c.get("error") for c in result["cases"] if "error" in c]
        for key in METRICS:
            m = summary[key]
            assert {"value", "target", "status", "n", "detail"} <= set(m), (src, key)
            assert m["status"] in ("PASS", "MISS", "n/a", "info")


def test_per_case_detail(result):
    from glutesense.scenarios import list_scenarios

    sim = [c for c in result["cases"] if c["source"] == "simulator"]
    assert {c["case"] for c in sim} == {s.name for s in list_scenarios()}
    gen = [c for c in result["cases"] if c["source"] == "generator2"]
    assert {c["case"] for c in gen} == {"rest", "twitch", "appliance", "vehicle", "music"}
    assert all("hr" in c and "vibration" in c for c in gen)
    assert any("twitch" in c for c in gen) and any("aw" in c for c in gen)


def test_table_lists_targets_and_verdicts(result):
    from glutesense.cli.evaluate_cmds import render_table

    text = render_table(result)
    for label, _, target, _ in METRICS.values():
        assert label in text
    assert "<= 1.5 bpm" in text and ">= 0.9" in text and ">= 95%" in text
    assert ("PASS" in text) or ("MISS" in text)


def test_missing_reference_folder_is_a_usage_error(tmp_path):
    assert main(["evaluate", "--cases", "1", "--reference", str(tmp_path / "nope")]) == 2
