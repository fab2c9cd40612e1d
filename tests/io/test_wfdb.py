"""WFDB records (glutesense.io.wfdb_reader).

Reference data: PhysioNet "Examples of Electromyograms" (emgdb), ODC-By 1.0,
Goldberger et al. 2000, Circulation 101:e215. The header is parsed here
independently (WFDB header spec, https://physionet.org/physiotools/wag/header-5.htm)
and the format-16 samples decoded with numpy, to check rate, duration, units
and values.
"""

from __future__ import annotations

import re

import numpy as np
import pytest

from glutesense.errors import FormatError
from glutesense.io import detect, read
from glutesense.units import G0


def _parse_header(text: str) -> dict:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.startswith("#")]
    name, n_sig, fs, n_samples = lines[0].split()[:4]
    sig = lines[1].split()
    m = re.fullmatch(r"([\d.]+)(?:\((-?\d+)\))?/(\w+)", sig[2])
    return {"n_sig": int(n_sig), "fs": float(fs), "n": int(n_samples), "fmt": sig[1],
            "gain": float(m.group(1)), "unit": m.group(3), "adc_zero": int(sig[4]),
            "baseline": int(m.group(2)) if m.group(2) else int(sig[4]), "file": sig[0]}


@pytest.mark.parametrize("record", ["emg_healthy", "emg_myopathy"])
@pytest.mark.parametrize("which", [".hea", ".dat"])
def test_emgdb_matches_header(reference_dir, record, which):
    folder = reference_dir / "emg" / "emgdb"
    h = _parse_header((folder / f"{record}.hea").read_text())
    assert h["fmt"] == "16" and h["unit"].lower() == "mv"
    path = folder / f"{record}{which}"
    assert detect(path).name == "wfdb"
    rec = read(path)
    assert rec.fs == h["fs"] == 4000.0
    assert rec.n_samples == h["n"]
    assert rec.duration == pytest.approx(h["n"] / h["fs"])
    assert rec.ch_types == ("emg",) and rec.ch_units == ("V",) and rec.ch_names == ("emg",)
    raw = np.fromfile(folder / h["file"], dtype="<i2")
    expected_v = (raw - h["baseline"]) / h["gain"] * 1e-3  # counts → mV → V
    np.testing.assert_allclose(rec.data[0], expected_v, rtol=1e-12, atol=1e-15)
    # 0.1 µV per count (reference/README): every value is a whole number of 1e-7 V
    assert 1e-3 / h["gain"] == pytest.approx(1e-7)
    counts = rec.data[0] / 1e-7
    np.testing.assert_allclose(counts, np.round(counts), atol=1e-6)
    assert np.abs(counts).max() > 1000  # a real signal, not zeros
    assert rec.meta["comments"] and "tibialis anterior" in " ".join(rec.meta["comments"])


def test_multi_rate_record_splits_into_streams(tmp_path):
    """Signal 1 has 4 samples per frame (format `16x4`): 400 Hz beside 100 Hz."""
    n_frames = 200
    acc_counts = (1000 + 10 * np.sin(np.arange(n_frames) / 5)).round().astype("<i2")
    emg_counts = (np.arange(4 * n_frames) % 37 - 18).astype("<i2")
    frames = np.empty((n_frames, 5), dtype="<i2")
    frames[:, 0] = acc_counts
    frames[:, 1:] = emg_counts.reshape(n_frames, 4)
    frames.tofile(tmp_path / "multi.dat")
    (tmp_path / "multi.hea").write_text(
        f"multi 2 100 {n_frames}\n"
        "multi.dat 16 1000/g 16 0 0 0 0 acc_z\n"
        "multi.dat 16x4 1000/mV 16 0 0 0 0 EMG\n")
    rec = read(tmp_path / "multi.hea")
    assert rec.fs == 100 and rec.ch_names == ("acc_z",) and rec.ch_units == ("m/s^2",)
    np.testing.assert_allclose(rec.data[0], acc_counts / 1000 * G0)
    emg = rec.streams["emg"]
    assert emg.fs == 400 and emg.n_samples == 4 * n_frames and emg.t0 == 0.0
    np.testing.assert_allclose(emg.data[0], emg_counts / 1000 * 1e-3)


def test_missing_signal_file_is_a_format_error(tmp_path):
    (tmp_path / "lost.hea").write_text("lost 1 1000 500\nlost.dat 16 200/mV 16 0 0 0 0 EMG\n")
    with pytest.raises(FormatError, match="lost"):
        read(tmp_path / "lost.hea")


def test_malformed_header_is_a_format_error(tmp_path):
    (tmp_path / "bad.hea").write_text("bad 1 1000 500\nbad.dat sixteen x/y z\n")
    (tmp_path / "bad.dat").write_bytes(b"\x00" * 1000)
    with pytest.raises(FormatError):
        read(tmp_path / "bad.dat", format="wfdb")


def test_truncated_signal_file_is_a_format_error(tmp_path):
    (tmp_path / "short.hea").write_text("short 1 1000 500\nshort.dat 16 200/mV 16 0 0 0 0 EMG\n")
    np.arange(100, dtype="<i2").tofile(tmp_path / "short.dat")
    with pytest.raises(FormatError, match="not a valid WFDB record"):
        read(tmp_path / "short.hea")
