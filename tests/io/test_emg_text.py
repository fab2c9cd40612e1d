"""One-column EMG text files (glutesense.io.emg_text).

Reference: surface EMG of the biceps with two voluntary contractions
(github luuleitner/EMG_tutorial, ``bbcontractions.csv``, CC-BY 4.0, L. Leitner),
1000 Hz, one value per line. Ground truth: the line count, the first value,
and two contractions separated by rest (visible in the raw trace).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.signal import butter, sosfiltfilt

from glutesense.errors import FormatError, SamplingRateError, UnitError
from glutesense.io.emg_text import read_emg_text


@pytest.fixture
def biceps(reference_dir):
    return reference_dir / "emg" / "surface_biceps_leitner" / "bbcontractions.csv"


def test_reads_the_biceps_file(biceps):
    lines = [ln for ln in biceps.read_text().splitlines() if ln.strip()]
    rec = read_emg_text(biceps, fs=1000, unit="mV")
    assert rec.fs == 1000 and rec.n_samples == len(lines) and rec.duration == len(lines) / 1000
    assert rec.ch_types == ("emg",) and rec.ch_units == ("V",)
    assert rec.data[0, 0] == pytest.approx(float(lines[0]) * 1e-3)
    assert rec.inferred["dc_offset_v"] == pytest.approx(np.mean([float(v) for v in lines]) * 1e-3)
    # the same file declared in µV is 1000× smaller
    assert read_emg_text(biceps, fs=1000, unit="µV").data[0, 0] == pytest.approx(
        rec.data[0, 0] * 1e-3)


def test_two_contractions_separated_by_rest(biceps):
    rec = read_emg_text(biceps, fs=1000, unit="mV")
    x = sosfiltfilt(butter(4, 20, "hp", fs=1000, output="sos"), rec.data[0])
    rms = np.sqrt(np.convolve(x**2, np.ones(500) / 500, mode="same"))
    active = rms > 5 * np.median(rms[:5000])  # the recording starts at rest
    edges = np.flatnonzero(np.diff(active.astype(int)))
    bursts = [(a, b) for a, b in zip(edges[::2], edges[1::2]) if b - a > 2000]
    assert len(bursts) == 2
    assert bursts[1][0] - bursts[0][1] > 3000  # > 3 s of rest between them


def test_bad_arguments_and_content(tmp_path, biceps):
    with pytest.raises(SamplingRateError):
        read_emg_text(biceps, fs=0, unit="mV")
    with pytest.raises(SamplingRateError):
        read_emg_text(biceps, fs="fast", unit="mV")
    with pytest.raises(UnitError):
        read_emg_text(biceps, fs=1000, unit="g")
    two = tmp_path / "two.csv"
    two.write_text("1,2\n3,4\n5,6\n")
    with pytest.raises(FormatError, match="one value per line"):
        read_emg_text(two, fs=1000, unit="mV")
    junk = tmp_path / "junk.csv"
    junk.write_text("1.0\n2.0\nabc\n4.0\n")
    with pytest.raises(FormatError, match="not numbers"):
        read_emg_text(junk, fs=1000, unit="mV")
    with pytest.raises(FormatError, match="no such file"):
        read_emg_text(tmp_path / "missing.csv", fs=1000, unit="mV")


def test_header_line_is_skipped(tmp_path):
    f = tmp_path / "h.csv"
    f.write_text("emg_uv\n10\n20\n30\n")
    rec = read_emg_text(f, fs=500, unit="uV")
    np.testing.assert_allclose(rec.data[0], [10e-6, 20e-6, 30e-6])
