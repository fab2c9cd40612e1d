"""Build ``examples/data/phyphox-back-pocket.zip``: a small, synthetic phyphox export.

What it imitates: the phyphox "Acceleration with g" experiment on an Android
phone in the back trouser pocket of a person standing still for 60 s, exported
as "CSV (Comma, decimal point)" (formats.md §1.1). Everything is synthetic and
seeded, so running this script again reproduces the file byte for byte::

    .venv/bin/python examples/make_example_data.py

The signal, in the phone's frame (m/s², gravity included as a raw accelerometer
reports it):

* **gravity**: 9.80665 m/s² along the phone's long axis (upright in the
  pocket, screen towards the body) tilted by 18° about x and 7° about y, as a
  curved buttock holds it;
* **heartbeat (ballistocardiogram)**: 1.1 Hz (66 bpm, ±2 % beat-to-beat), each
  beat a Gaussian-derivative I-J-K-like complex (σ = 45 ms) of 0.01 m/s² peak,
  mostly along the body's vertical axis;
* **two small transients** (twitch-like): damped 14 Hz and 9 Hz sinusoids
  (decay 60 ms, peaks 0.06 and 0.04 m/s²) at 17.3 s and 41.8 s;
* **sensor noise**: white, 150 µg/√Hz per axis (≈ 0.0104 m/s² RMS at 100 Hz);
* **time stamps**: Android-like, nominally 100 Hz with 0.4 ms Gaussian jitter
  per interval and an occasional (0.3 %) dropped sample.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np

from glutesense.io.phyphox import write_phyphox
from glutesense.recording import Recording
from glutesense.units import G0

OUT = Path(__file__).resolve().parent / "data" / "phyphox-back-pocket.zip"
SEED = 20261125
FS = 100.0
DURATION_S = 60.0
START = dt.datetime(2026, 11, 20, 14, 3, 27, 412000, tzinfo=dt.timezone(dt.timedelta(hours=1)))
NOISE_DENSITY = 150e-6 * G0  # m/s² per √Hz
TRANSIENTS = ((17.3, 14.0, 0.06), (41.8, 9.0, 0.04))  # (time s, frequency Hz, peak m/s²)


def _rotation(ax_deg: float, ay_deg: float) -> np.ndarray:
    a, b = np.radians(ax_deg), np.radians(ay_deg)
    rx = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    ry = np.array([[np.cos(b), 0, np.sin(b)], [0, 1, 0], [-np.sin(b), 0, np.cos(b)]])
    return ry @ rx


def stamps(rng: np.random.Generator) -> np.ndarray:
    """Android-like time stamps (s): 10 ms steps, 0.4 ms jitter, rare dropped samples."""
    n = int(DURATION_S * FS)
    steps = 1 / FS + rng.normal(0.0, 4e-4, n - 1)
    steps[rng.random(n - 1) < 0.003] += 1 / FS
    return np.r_[0.0, np.cumsum(steps)] + 0.0042


def signal(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The acceleration (3 × n, m/s²) at the stamps *t*."""
    rot = _rotation(18.0, 7.0)
    up = rot @ np.array([0.0, 1.0, 0.0])  # the body's vertical axis in the phone frame
    acc = np.outer(G0 * up, np.ones_like(t))
    beats = np.cumsum(rng.normal(1 / 1.1, 0.02 / 1.1, int(DURATION_S * 1.1) + 2))
    sigma = 0.045
    bcg = np.zeros_like(t)
    for tb in beats:
        u = (t - tb) / sigma
        bcg += -u * np.exp(-0.5 * u**2)  # Gaussian derivative: peak 1/√e at u = ∓1
    bcg *= 0.01 * np.sqrt(np.e)
    direction = rot @ np.array([0.15, 0.97, 0.2])
    acc += np.outer(direction / np.linalg.norm(direction), bcg)
    for t0, f, peak in TRANSIENTS:
        d = rng.normal(size=3)
        tt = np.clip(t - t0, 0, None)
        acc += np.outer(d / np.linalg.norm(d),
                        peak * (t >= t0) * np.exp(-tt / 0.06) * np.sin(2 * np.pi * f * tt))
    acc += rng.normal(0.0, NOISE_DENSITY * np.sqrt(FS / 2), acc.shape)
    return acc


def main(out: Path = OUT) -> Path:
    """Write the example export to *out* and return its path."""
    rng = np.random.default_rng(SEED)
    t = stamps(rng)
    rec = Recording(signal(t, rng), FS, ("acc_x", "acc_y", "acc_z"), ("acc",) * 3,
                    ("m/s^2",) * 3, start=START, t0=float(t[0]),
                    meta={"inferred": {"gravity_included": True}})
    write_phyphox(rec, out, variant=1, timestamps=t, start=START,
                  device={"deviceModel": "synthetic back-pocket example",
                          "deviceManufacturer": "glutesense", "deviceRelease": "14"})
    return out


if __name__ == "__main__":
    path = main()
    print(f"wrote {path} ({path.stat().st_size / 1000:.0f} kB)")
