"""An independent ISO 2631-1 reference: a_w from the power spectrum.

ISO 2631-1 defines a_w as the r.m.s. of the frequency-weighted acceleration. By
Parseval's theorem this equals ``sqrt(∫ |W(f)|² · PSD(f) df)``, which we evaluate
on the one-sided periodogram of the whole (mean-removed) record with the Annex A
formula :func:`glutesense.dsp.iso2631.weighting_response` — no time-domain filter,
no FIR design, no gravity tracking. The analyser computes the same quantity with a
causal minimum-phase FIR in the time domain, so agreement checks its filter, its
gravity removal, its body-frame rotation and its treatment of the record.

Frame: the vertical axis is the given gravity direction (known for generated
data, the record's mean direction otherwise); the two horizontal axes are any
orthonormal completion — only ``aw_z``, ``aw_x² + aw_y²`` and ``a_v`` are
meaningful, and these are what is compared.
"""

from __future__ import annotations

import numpy as np

from ..dsp.iso2631 import SEATED_HEALTH_K, weighting_response

__all__ = ["body_frame", "aw_spectral"]


def body_frame(acc: np.ndarray, gravity_dir: np.ndarray | None = None) -> np.ndarray:
    """Rotate sensor-frame acceleration (3, n) so that row 2 is along *gravity_dir*.

    *gravity_dir* defaults to the mean acceleration direction.
    """
    acc = np.asarray(acc, dtype=float)
    g = np.mean(acc, axis=1) if gravity_dir is None else np.asarray(gravity_dir, dtype=float)
    z = g / np.linalg.norm(g)
    helper = np.eye(3)[int(np.argmin(np.abs(z)))]
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    y = np.cross(z, x)
    return np.vstack([x, y, z]) @ acc


def _weighted_ms(x: np.ndarray, fs: float, name: str) -> float:
    n = x.size
    spec = np.fft.rfft(x - x.mean())
    f = np.fft.rfftfreq(n, d=1.0 / fs)
    c = np.full(f.size, 2.0)
    c[0] = 1.0
    if n % 2 == 0:
        c[-1] = 1.0
    # One-sided PSD P_k = c_k |X_k|² / (fs n), df = fs / n
    #   ->  ∫|W|² P df = Σ c_k |W_k|² |X_k|² / n².
    w2 = np.abs(weighting_response(f, name)) ** 2
    return float(np.sum(c * w2 * np.abs(spec) ** 2) / n**2)


def aw_spectral(acc_body: np.ndarray, fs: float) -> dict[str, float]:
    """a_w per axis (Wd, Wd, Wk) and the seated-health total a_v, m/s², from the spectrum.

    Parameters
    ----------
    acc_body : ndarray, shape (3, n)
        Body-frame acceleration (rows horizontal, horizontal, vertical), m/s².
    fs : float
        Sampling rate, Hz.
    """
    acc_body = np.asarray(acc_body, dtype=float)
    mx = _weighted_ms(acc_body[0], fs, "Wd")
    my = _weighted_ms(acc_body[1], fs, "Wd")
    mz = _weighted_ms(acc_body[2], fs, "Wk")
    kx, ky, kz = SEATED_HEALTH_K
    return {"aw_x_ms2": mx**0.5, "aw_y_ms2": my**0.5, "aw_z_ms2": mz**0.5,
            "aw_h_ms2": (mx + my) ** 0.5,
            "av_ms2": (kx**2 * mx + ky**2 * my + kz**2 * mz) ** 0.5}
