"""``glutesense scenarios`` and ``glutesense simulate`` (DESIGN §4.1, §4.2)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from glutesense.cli import main
from glutesense.io import read


def test_scenarios_lists_names_and_json(capsys):
    assert main(["scenarios", "--json"]) == 0
    items = json.loads(capsys.readouterr().out)
    names = {i["name"] for i in items}
    assert {"seated-rest", "car-ride", "washing-machine", "continuous-twitching"} <= names
    assert all(i["description"] for i in items)
    assert main(["scenarios"]) == 0
    assert "seated-rest" in capsys.readouterr().out


def test_simulate_writes_canonical_csv_emg_and_truth(tmp_path, capsys):
    out = tmp_path / "run.csv"
    code = main(["simulate", "--scenario", "after-workout", "--duration", "12", "--seed", "3",
                 "--out", str(out)])
    assert code == 0
    printed = capsys.readouterr().out.split()
    assert str(out) in printed
    assert out.read_text().splitlines()[0] == "time_s,acc_x_ms2,acc_y_ms2,acc_z_ms2"
    assert (tmp_path / "run.emg.csv").read_text().splitlines()[0] == "time_s,emg_mv"
    truth = json.loads((tmp_path / "run.truth.json").read_text())
    assert truth["schema"] == "glutesense.truth/1" and truth["seed"] == 3
    assert truth["duration_s"] == 12.0
    rec = read(out)                                  # round trip through the reader
    assert rec.fs == 100.0 and rec.n_samples == 1200
    assert "emg" in rec.streams and rec.streams["emg"].fs == 2000.0
    assert abs(np.linalg.norm(rec.data.mean(axis=1)) - 9.80665) < 0.5


def test_simulate_fs_option_and_determinism(tmp_path):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for p in (a, b):
        assert main(["simulate", "--scenario", "car-ride", "--duration", "5", "--seed", "9",
                     "--fs", "200", "--out", str(p)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert len(a.read_text().splitlines()) == 1 + 1000


def test_unknown_scenario_is_a_usage_error_naming_valid_ones(tmp_path, capsys):
    code = main(["simulate", "--scenario", "bouncy-castle", "--out", str(tmp_path / "x.csv")])
    assert code == 2
    msg = capsys.readouterr().err
    assert "bouncy-castle" in msg and "seated-rest" in msg
    assert not (tmp_path / "x.csv").exists()
    assert main(["simulate", "--scenario", "car-ride", "--format", "wav",
                 "--out", str(tmp_path / "y.csv")]) == 2
    assert main(["simulate", "--scenario", "car-ride", "--fs", "5",
                 "--out", str(tmp_path / "z.csv")]) == 2
    assert "fs" in capsys.readouterr().err


@pytest.mark.parametrize("fmt", ["phyphox", "sensorlogger"])
def test_app_shaped_exports_are_readable(tmp_path, fmt):
    out = tmp_path / "app.csv"
    assert main(["simulate", "--scenario", "seated-rest", "--duration", "6", "--seed", "1",
                 "--out", str(out), "--format", fmt]) == 0
    export = tmp_path / f"app.{fmt}.zip"
    rec = read(export)
    assert rec.n_channels >= 3 and rec.duration == pytest.approx(6.0, abs=0.1)


def test_plot_has_one_panel_per_mechanism(tmp_path):
    png = tmp_path / "plot.png"
    assert main(["simulate", "--scenario", "car-ride", "--duration", "10", "--seed", "1",
                 "--out", str(tmp_path / "p.csv"), "--plot", str(png)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
