"""ISO 2631-1 weighting: glutesense.dsp.iso2631.weight vs straightforward scipy references.

Speed: Wk on 1 h of 3-axis acceleration at 100 Hz, interleaved medians, against

* the bilinear-transformed analogue filter: each Annex A section through
  ``scipy.signal.bilinear``, cascaded as second-order sections, ``sosfilt``
  (causal, like a vibration meter), and
* an FFT multiply: ``rfft`` (zero-padded to twice the length), times the
  Annex A response, ``irfft``.

Accuracy (why ours exists): steady-state gain of each implementation at the
one-third-octave band centres 0.5–40 Hz (a sine per band, amplitude fitted by
least squares after the filter settles) against ``|H(j2πf)|`` of the Annex A
formula (``weighting_response``); the largest relative error, for Wk and Wd.
Target for ours: within 0.5 % (the module's documented accuracy).

Run: ``.venv/bin/python benchmarks/weighting.py [--quick]``
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import _common as c  # noqa: E402

FS = 100.0
BANDS_HZ = (0.5, 0.63, 0.8, 1.0, 1.25, 1.6, 2.0, 2.5, 3.15, 4.0, 5.0, 6.3, 8.0, 10.0, 12.5, 16.0,
            20.0, 25.0, 31.5, 40.0)


def bilinear_sos(name: str, fs: float) -> np.ndarray:
    """Annex A sections, each bilinear-transformed (no pre-warping), as an SOS array."""
    from scipy.signal import bilinear

    from glutesense.dsp.iso2631 import WEIGHTINGS

    p = WEIGHTINGS[name]
    w = lambda f: 2 * math.pi * f  # noqa: E731
    w1, w2 = w(p.f1), w(p.f2)
    sections = [([1.0, 0.0, 0.0], [1.0, math.sqrt(2) * w1, w1**2]),   # high-pass
                ([w2**2], [1.0, math.sqrt(2) * w2, w2**2])]          # low-pass
    if p.f4 is not None:
        w4 = w(p.f4)
        num = [w4**2] if p.f3 is None else [w4**2 / w(p.f3), w4**2]
        sections.append((num, [1.0, w4 / p.q4, w4**2]))              # a-v transition
    if p.f5 is not None:
        w5, w6 = w(p.f5), w(p.f6)
        sections.append(([1.0, w5 / p.q5, w5**2], [1.0, w6 / p.q6, w6**2]))  # upward step
    sos = []
    for b, a in sections:
        bz, az = bilinear(b, a, fs=fs)
        bz = np.r_[bz, np.zeros(3 - len(bz))]
        sos.append(np.r_[bz / az[0], az / az[0]])
    return np.array(sos)


def ref_bilinear(x: np.ndarray, fs: float, name: str, sos: np.ndarray | None = None) -> np.ndarray:
    from scipy.signal import sosfilt

    return sosfilt(bilinear_sos(name, fs) if sos is None else sos, x, axis=-1)


def ref_fft(x: np.ndarray, fs: float, name: str) -> np.ndarray:
    from scipy import fft

    from glutesense.dsp.iso2631 import weighting_response

    n = x.shape[-1]
    nfft = fft.next_fast_len(2 * n, real=True)
    h = weighting_response(fft.rfftfreq(nfft, 1.0 / fs), name)
    return fft.irfft(fft.rfft(x, nfft, axis=-1) * h, nfft, axis=-1)[..., :n]


def gain_errors(apply, name: str, fs: float = FS) -> np.ndarray:
    """Relative steady-state gain error (%) of ``apply(x, fs, name)`` per band vs Annex A."""
    from glutesense.dsp.iso2631 import weighting_response

    f = np.asarray(BANDS_HZ)
    t = np.arange(int(200 * fs)) / fs
    x = np.sin(2 * np.pi * f[:, None] * t)
    y = apply(x, fs, name)
    keep = slice(int(100 * fs), int(180 * fs))       # settled, away from the end
    tk = t[keep]
    gains = []
    for k, fk in enumerate(f):
        basis = np.column_stack([np.sin(2 * np.pi * fk * tk), np.cos(2 * np.pi * fk * tk)])
        coef, *_ = np.linalg.lstsq(basis, y[k, keep], rcond=None)
        gains.append(math.hypot(*coef))
    want = np.abs(weighting_response(f, name))
    return 100.0 * (np.asarray(gains) / want - 1.0)


def run(quick: bool = False, profile: bool = False) -> list[dict]:
    from glutesense.dsp import iso2631 as iso

    repeat = 3 if quick else 5
    x = c.synth_acc(3600.0)
    design = getattr(iso, "_fir_cached", None)
    t_design = None
    if design is not None and hasattr(design, "__wrapped__"):
        t_design, _ = c.median_time(lambda: design.__wrapped__("Wk", FS), repeat=3)
    sos = bilinear_sos("Wk", FS)
    c.log(f"weighting: Wk on 1 h x 3 axes, {repeat} repeats per reference")
    ours = lambda: iso.weight(x, FS, "Wk")  # noqa: E731
    res_bl = c.compare(ours, lambda: ref_bilinear(x, FS, "Wk", sos), repeat=repeat)
    res_fft = c.compare(ours, lambda: ref_fft(x, FS, "Wk"), repeat=repeat)
    taps = iso.weighting_fir("Wk", FS).size
    rows = [
        c.row("ISO 2631-1 Wk weighting, 1 h @100 Hz x 3 vs bilinear + sosfilt",
              c.fmt_s(res_bl["ours_s"]) + f" ({taps}-tap FIR)", c.fmt_s(res_bl["ref_s"]),
              c.fmt_x(res_bl["ratio"]), "info", "info", fir_taps=taps,
              fir_design_s=t_design, **res_bl),
        c.row("ISO 2631-1 Wk weighting, 1 h @100 Hz x 3 vs FFT multiply",
              c.fmt_s(res_fft["ours_s"]), c.fmt_s(res_fft["ref_s"]), c.fmt_x(res_fft["ratio"]),
              "info", "info", **res_fft),
    ]
    errs = {}
    for name in ("Wk", "Wd"):
        errs[name] = {"ours": gain_errors(iso.weight, name),
                      "bilinear": gain_errors(ref_bilinear, name),
                      "fft": gain_errors(ref_fft, name)}
    worst = {w: {k: float(np.max(np.abs(v))) for k, v in d.items()} for w, d in errs.items()}
    low = np.asarray(BANDS_HZ) <= 10.0
    worst_low = {w: float(np.max(np.abs(d["bilinear"][low]))) for w, d in errs.items()}
    for name in ("Wk", "Wd"):
        wk = worst[name]
        rows.append(c.row(f"{name} max gain error vs Annex A, bands 0.5–40 Hz @100 Hz",
                          f"{wk['ours']:.2f} %",
                          f"bilinear {wk['bilinear']:.1f} % (≤ 10 Hz: {worst_low[name]:.1f} %); "
                          f"FFT {wk['fft']:.2f} %",
                          "—", "≤ 0.5 % (ours)", c.verdict(wk["ours"] <= 0.5),
                          bands_hz=list(BANDS_HZ),
                          **{f"err_{k}_pct": v.tolist() for k, v in errs[name].items()}))
    return rows


if __name__ == "__main__":
    raise SystemExit(c.main_for(run, __doc__))
