"""``glutesense analyze --json`` end to end on every accelerometer file in ../shared/reference.

Issue 5's "done when": the analyser works on every third-party accelerometer recording,
through the CLI, with the rate given only where the file does not state one. Facts that are
known independently of our code (no person touches a sensor taped to a washing machine or
lying on a tram floor, a machine that is off does not vibrate) are asserted; the rest must
at least give a valid ``glutesense.report/1`` document whose length agrees with the file.
"""

from __future__ import annotations

import json

import pytest
from builders import synth

from glutesense.cli import main

#: path → (extra CLI arguments, expected vibration source or "?" when not scored)
FILES = {
    "accelerometer/skdh/example_data_2min.csv": ([], "?"),
    "accelerometer/skdh/motion_test_negative.csv": (["--fs", "50"], "?"),
    "accelerometer/skdh/motion_test_positive.csv": (["--fs", "50"], "?"),
    "accelerometer/driver_behavior/trip17_acelerometro_terra.csv": ([], "vehicle"),
    "accelerometer/driver_behavior/trip17_aceleracaoLinear_terra.csv": ([], "vehicle"),
    "accelerometer/washing_machine_wascherei/machine_off.csv": ([], None),
    "accelerometer/washing_machine_wascherei/collect_water_and_prewash.csv": ([], "?"),
    "accelerometer/washing_machine_wascherei/start_centrif.csv": ([], "appliance"),
    "vehicle/bratislava_transit/smartphone_01_L3_Skoda_30T.csv": ([], "vehicle"),
    "vehicle/bratislava_transit/lsm9ds1_L3_Pionierska_RacianskeMyto.csv": (["--fs", "500"],
                                                                           "vehicle"),
    "bcg_scg/muse_padova/1_Stave_supine_static.txt": ([], None),
    "bcg_scg/muse_padova/2_Mattress_supine.txt": ([], None),
    "bcg_scg/muse_padova/4_Chest_sweater.txt": ([], None),
    "bcg_scg/muse_padova/center_sternum.txt": ([], None),
}


def _data_rows(path) -> int:
    """Non-empty lines after the first (an upper bound on the samples of a one-header table)."""
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.strip()) - 1


@pytest.mark.parametrize("rel", list(FILES))
def test_analyze_every_reference_accelerometer_file(rel, reference_dir, capsys):
    path = reference_dir / rel
    if not path.exists():
        pytest.skip(f"{path} not present in this checkout of ../shared/reference")
    extra, source = FILES[rel]
    assert main(["analyze", str(path), "--json", *extra]) == 0, capsys.readouterr().err
    doc = json.loads(capsys.readouterr().out)
    synth.assert_report_schema(doc)
    inp = doc["input"]
    assert inp["duration_s"] > 10.0
    assert inp["n_samples"] == pytest.approx(inp["duration_s"] * inp["fs_hz"], abs=2)
    if extra:   # no time column: one sample per data row at the stated rate
        assert abs(inp["n_samples"] - _data_rows(path)) <= 1
    vib = doc["mechanisms"]["vibration"]
    if source != "?":
        assert (vib["source"] if vib["present"] else None) == source
