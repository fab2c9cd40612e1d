"""Seated-body transmissibility against physiology.md §7.5 (principal resonance ≈ 4–6 Hz)."""

from __future__ import annotations

import numpy as np
import pytest

from glutesense.body import seat
from glutesense.errors import ParameterError


def test_vertical_resonance_between_4_and_6_hz():
    f = np.linspace(0.2, 30, 3000)
    t = np.abs(seat.transmissibility(f))
    f_peak = f[np.argmax(t[2])]
    assert 4.0 <= f_peak <= 6.0
    # a damped resonance: gain between 1.5 and 4 at the peak (ζ ≈ 0.2 gives ≈ 2.4)
    assert 1.5 <= t[2].max() <= 4.0
    # rigid-body following at low frequency, isolation well above resonance
    assert t[2][0] == pytest.approx(1.0, abs=0.01)
    assert t[2][np.searchsorted(f, 15.0)] < 0.8
    # fore-aft / lateral resonate lower than vertical (our assumption, stated in the module)
    assert f[np.argmax(t[0])] < f_peak


def test_apparent_mass_static_value_and_resonance():
    f = np.linspace(0.1, 20, 2000)
    m = np.abs(seat.apparent_mass(f, seated_mass_kg=50.0))
    assert m[0] == pytest.approx(50.0, rel=0.01)           # rigid at low frequency
    assert 4.0 <= f[np.argmax(m)] <= 6.0                    # principal resonance (physiology.md §7.5)


@pytest.mark.parametrize("fs", [50.0, 100.0, 400.0])
def test_digital_filter_reproduces_the_analytic_gain(fs):
    tr = seat.BodyTransmission(fs, "pelvis")
    t = np.arange(int(40 * fs)) / fs
    for f0 in (1.0, 5.0, 12.0):
        if f0 >= 0.4 * fs:
            continue
        x = np.sin(2 * np.pi * f0 * t)
        y = tr(np.vstack([x, x, x]))
        tr = seat.BodyTransmission(fs, "pelvis")
        steady = slice(int(20 * fs), None)
        gain = y[2, steady].std() / x[steady].std()
        assert gain == pytest.approx(abs(seat.transmissibility([f0])[2, 0]), rel=0.03)


def test_phone_on_the_seat_moves_with_the_seat():
    x = np.random.default_rng(0).standard_normal((3, 500))
    np.testing.assert_array_equal(seat.BodyTransmission(100.0, "seat")(x), x)


def test_bad_site_and_rate_raise():
    with pytest.raises(ParameterError):
        seat.BodyTransmission(100.0, "pocket")
    with pytest.raises(ParameterError):
        seat.BodyTransmission(8.0, "pelvis")
    with pytest.raises(ParameterError):
        seat.SeatedBodyParams(vertical_natural_hz=-1.0)
