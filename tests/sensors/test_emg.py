"""The surface-EMG recorder: band limits, mains, noise and ADC (physiology.md §8.2)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

from glutesense.body import twitch
from glutesense.errors import ParameterError, SamplingRateError
from glutesense.sensors import EMGParams, record_emg

FS = 2000.0


def _psd(x: np.ndarray, fs: float = FS) -> tuple[np.ndarray, np.ndarray]:
    return signal.welch(x, fs=fs, nperseg=4096)


def test_band_limits_10_to_500_hz():
    # white input, no mains, fine ADC: the recorder's PSD is the band-pass shape
    p = EMGParams(mains_hz=0.0, adc_bits=24, adc_range_v=1.0)
    g = np.random.default_rng(0)
    x = record_emg(g.normal(0, 50e-6, int(60 * FS)), FS, rng=g, params=p)
    f, pxx = _psd(x)
    inband = pxx[(f > 40) & (f < 300)].mean()
    assert pxx[(f > 0) & (f < 3)].mean() < 0.01 * inband        # ≥ 20 dB down below 3 Hz
    assert pxx[(f > 800) & (f < 990)].mean() < 0.05 * inband    # ≥ 13 dB down above 800 Hz
    # −3 dB near the corners
    for corner in (10.0, 500.0):
        assert np.interp(corner, f, pxx) / inband == pytest.approx(0.5, abs=0.2)
    out_of_band = pxx[(f < 5) | (f > 700)].sum()
    assert out_of_band < 0.05 * pxx.sum()


@pytest.mark.parametrize("mains", [50.0, 60.0])
def test_mains_line_shows_at_its_frequency(mains):
    p = EMGParams(mains_hz=mains)
    x = record_emg(np.zeros(int(20 * FS)), FS, rng=np.random.default_rng(1), params=p)
    f, pxx = _psd(x)
    assert abs(f[np.argmax(pxx)] - mains) <= FS / 4096
    third = pxx[np.argmin(np.abs(f - 3 * mains))]
    assert third > 10 * np.median(pxx[(f > 20) & (f < 450)])    # the odd harmonic is there too


def test_noise_level_and_quantisation():
    p = EMGParams(mains_hz=0.0)
    x = record_emg(np.zeros(int(30 * FS)), FS, rng=np.random.default_rng(2), params=p)
    step = 2 * p.adc_range_v / 2 ** p.adc_bits
    np.testing.assert_allclose(x / step, np.round(x / step), atol=1e-9)
    # white noise of √(1² + 2²) µV over 0–1 kHz keeps ≈ 49 % of its power in 10–500 Hz
    expected = np.hypot(1e-6, 2e-6) * np.sqrt(490 / 1000)
    assert x[2000:].std() == pytest.approx(expected, rel=0.15)


def test_adc_clips_at_full_scale():
    p = EMGParams()
    t = np.arange(int(2 * FS)) / FS
    x = record_emg(10e-3 * np.sin(2 * np.pi * 100 * t), FS, rng=np.random.default_rng(3), params=p)
    assert x.max() == pytest.approx(p.adc_range_v) and x.min() == pytest.approx(-p.adc_range_v)


def test_lowpass_moves_below_nyquist_at_1_khz():
    x = record_emg(np.random.default_rng(4).normal(0, 1e-5, 10000), 1000.0,
                   rng=np.random.default_rng(4), params=EMGParams(mains_hz=0.0))
    assert np.all(np.isfinite(x))


def test_fasciculation_potentials_survive_the_recorder():
    # the largest potential (28 µV for this seed) stands out of the ≈ 1.6 µV r.m.s. floor
    out = twitch.simulate(120.0, 100.0, rng=np.random.default_rng(5), emg_fs=FS,
                          rate_per_min=20.0, muscles=("gluteus_maximus",))
    p = EMGParams(mains_hz=0.0)
    rec = record_emg(out.emg, FS, rng=np.random.default_rng(6), params=p)
    floor = record_emg(np.zeros(out.emg.size), FS, rng=np.random.default_rng(6), params=p).std()
    assert rec.shape == out.emg.shape
    big = np.abs(out.emg).max()
    assert big > 10e-6
    k = int(np.argmax(np.abs(out.emg)))
    seen = np.abs(rec[max(k - 40, 0):k + 40]).max()
    assert seen > 0.5 * big and seen > 4 * floor


def test_deterministic_and_validated():
    z = np.zeros(4000)
    a = record_emg(z, FS, rng=np.random.default_rng(7))
    b = record_emg(z, FS, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(a, b)
    with pytest.raises(SamplingRateError):
        record_emg(z, 15.0, rng=np.random.default_rng(0))
    with pytest.raises(ParameterError):
        EMGParams(highpass_hz=600.0)
    with pytest.raises(ParameterError):
        record_emg(np.zeros((2, 10)), FS, rng=np.random.default_rng(0))


@pytest.mark.parametrize(("fs", "mains"), [(2000.0, 60.0), (2048.0, 50.0), (1999.7, 50.0)])
def test_mains_waveform_is_exact_for_any_rate(fs, mains):
    # noise-free, fine ADC: the output is the band-passed fundamental (5 µV) and third
    # harmonic (1.5 µV) whose phase is three times the fundamental's
    p = EMGParams(mains_hz=mains, amplifier_noise_rms_v=0.0, electrode_noise_rms_v=0.0,
                  adc_bits=30, adc_range_v=1e-3)
    n = int(30 * fs)
    x = record_emg(np.zeros(n), fs, rng=np.random.default_rng(8), params=p)
    t = np.arange(n) / fs
    sos = signal.butter(4, [10.0, 500.0], btype="bandpass", fs=fs, output="sos")
    basis = np.stack([signal.sosfilt(sos, f(2 * np.pi * h * mains * t))
                      for h in (1, 3) for f in (np.sin, np.cos)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, x, rcond=None)
    np.testing.assert_allclose(basis @ coef, x, atol=1e-11)
    amp1, amp3 = np.hypot(*coef[:2]), np.hypot(*coef[2:])
    assert amp1 == pytest.approx(5e-6, rel=1e-6) and amp3 == pytest.approx(1.5e-6, rel=1e-6)
    phi1, phi3 = np.arctan2(coef[1], coef[0]), np.arctan2(coef[3], coef[2])
    assert np.cos(phi3 - 3 * phi1) == pytest.approx(1.0, abs=1e-9)
