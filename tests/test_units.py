"""units.parse_unit and units.infer_acc_unit against known values."""

from __future__ import annotations

import numpy as np
import pytest

from glutesense.errors import UnitError
from glutesense.units import G0, SI_UNITS, AccUnitGuess, infer_acc_unit, parse_unit, to_si_factor


def test_standard_gravity():
    assert G0 == 9.80665  # CGPM 1901


@pytest.mark.parametrize("unit,si,factor", [
    ("m/s^2", "m/s^2", 1.0), ("m/s²", "m/s^2", 1.0), ("M/S2", "m/s^2", 1.0),
    (" m / s ^ 2 ", "m/s^2", 1.0), ("m s^-2", "m/s^2", 1.0),
    ("g", "m/s^2", 9.80665), ("G", "m/s^2", 9.80665), ("gF", "m/s^2", 9.80665),
    ("mg", "m/s^2", 0.00980665), ("milli-g", "m/s^2", 0.00980665),
    ("µg", "m/s^2", 9.80665e-6), ("μg", "m/s^2", 9.80665e-6),  # micro sign and Greek mu
    ("deg/s", "rad/s", np.pi / 180), ("°/s", "rad/s", np.pi / 180), ("rad/s", "rad/s", 1.0),
    ("µT", "T", 1e-6), ("uT", "T", 1e-6), ("gauss", "T", 1e-4),
    ("mV", "V", 1e-3), ("uV", "V", 1e-6), ("µV", "V", 1e-6), ("V", "V", 1.0),
    ("cm", "m", 1e-2), ("mm", "m", 1e-3), ("N", "N", 1.0), ("N*m", "N*m", 1.0),
    ("ms", "s", 1e-3), ("ns", "s", 1e-9), ("s", "s", 1.0),
    ("°C", "degC", 1.0), ("lux", "lx", 1.0), ("adc", "au", 1.0), ("", "au", 1.0),
])
def test_parse_unit_known(unit, si, factor):
    got_si, got_factor = parse_unit(unit)
    assert got_si == si
    assert got_factor == pytest.approx(factor, rel=1e-12)
    assert to_si_factor(unit) == got_factor


@pytest.mark.parametrize("unit", ["furlong/fortnight", "m/s^3", "kg", "bananas", "g/s", "1/s"])
def test_parse_unit_nonsense(unit):
    with pytest.raises(UnitError, match="unknown unit"):
        parse_unit(unit)


def test_unit_error_is_a_value_error():
    assert issubclass(UnitError, ValueError)


def test_si_vocabulary_is_closed_under_parse():
    """Every SI unit string a channel may carry parses to itself with factor 1."""
    for unit in set(SI_UNITS.values()):
        assert parse_unit(unit) == (unit, 1.0), unit


def _at_rest(norm: float, n: int = 200, noise: float = 0.01, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    direction = np.array([0.1, -0.2, 0.97])
    direction /= np.linalg.norm(direction)
    return norm * direction[:, None] + noise * norm * rng.normal(size=(3, n)) / 10


@pytest.mark.parametrize("norm,unit,factor", [
    (1.0, "g", G0), (G0, "m/s^2", 1.0), (1000.0, "mg", G0 * 1e-3),
    (0.8, "g", G0), (1.25, "g", G0), (9.0, "m/s^2", 1.0), (11.0, "m/s^2", 1.0),
])
def test_infer_with_gravity(norm, unit, factor):
    guess = infer_acc_unit(_at_rest(norm))
    assert isinstance(guess, AccUnitGuess)
    assert guess.unit == unit
    assert guess.factor == pytest.approx(factor)
    assert guess.gravity_included is True
    assert unit in guess.reason
    # the factor brings the data to ≈ 1 g in m/s²
    assert norm * guess.factor == pytest.approx(G0, rel=0.35)


def test_infer_gravity_free():
    rng = np.random.default_rng(1)
    guess = infer_acc_unit(0.05 * rng.normal(size=(3, 500)))
    assert (guess.unit, guess.factor, guess.gravity_included) == ("m/s^2", 1.0, False)
    assert "gravity removed" in guess.reason


@pytest.mark.parametrize("norm", [300.0, 40.0, 3.0, 0.5, 1e6])
def test_infer_nonsense_magnitude(norm):
    with pytest.raises(UnitError, match="cannot infer"):
        infer_acc_unit(_at_rest(norm))


def test_infer_ignores_non_finite_samples():
    xyz = _at_rest(1.0)
    xyz[:, :20] = np.nan
    xyz[0, 50] = np.inf
    assert infer_acc_unit(xyz).unit == "g"


def test_infer_all_nan():
    with pytest.raises(UnitError, match="no finite"):
        infer_acc_unit(np.full((3, 10), np.nan))


@pytest.mark.parametrize("declared,norm,gravity", [
    ("g", 1.0, True), ("m/s^2", G0, True), ("mg", 1000.0, True), ("m/s²", 0.05, False),
    ("g", 0.01, False), ("m/s^2", 30.0, None),
])
def test_declared_unit_is_trusted(declared, norm, gravity):
    guess = infer_acc_unit(_at_rest(norm), declared=declared)
    assert guess.unit == declared
    assert guess.factor == pytest.approx(parse_unit(declared)[1])
    assert guess.gravity_included is gravity
    assert "from the file" in guess.reason


def test_declared_unit_beats_magnitude():
    # 1000 in a file that says m/s² is not silently re-read as mg
    guess = infer_acc_unit(_at_rest(1000.0), declared="m/s^2")
    assert guess.factor == 1.0 and guess.gravity_included is None


@pytest.mark.parametrize("declared,match", [("mV", "not an acceleration"),
                                            ("deg/s", "not an acceleration"),
                                            ("parsecs", "unknown unit")])
def test_declared_unit_not_acceleration(declared, match):
    with pytest.raises(UnitError, match=match):
        infer_acc_unit(_at_rest(1.0), declared=declared)
