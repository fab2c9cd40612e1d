"""The contract every detector in :mod:`glutesense.detectors` fulfils.

ANALYSER side: never import :mod:`glutesense.body`, :mod:`glutesense.sensors`
or :mod:`glutesense.scenarios` from here (a test enforces it).

Preprocessing (gravity estimation, rotation into the body-vertical frame,
voluntary-movement detection) produces a :class:`Prepared`; each detector
module exposes ``detect(prepared) -> Finding``. Also here: the fast order
statistics that preprocessing and the voluntary-movement detector share.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np

from ..recording import Annotations, Recording

__all__ = ["Prepared", "Finding"]


@dataclasses.dataclass(frozen=True, eq=False)
class Prepared:
    """A recording made ready for the detectors.

    Attributes
    ----------
    acc : ndarray, shape (3, n_samples)
        Gravity-free acceleration in m/s² in the body-vertical frame: rows are
        (horizontal 1, horizontal 2, vertical). When the orientation is unknown
        the two horizontal axes are an arbitrary orthogonal pair.
    fs : float
        Sampling rate in Hz.
    t0 : float
        Time of the first sample in seconds.
    voluntary : ndarray of bool, shape (n_samples,)
        True where voluntary movement (walking, shifting, standing up) was found;
        detectors ignore these samples.
    gravity_included : bool
        Whether the raw recording contained gravity (so orientation was known).
    emg : Recording or None
        A surface-EMG stream at its own rate, if present.
    noise_rms : float
        Robust estimate of the sensor noise RMS on the vertical axis (m/s²).
    source : Recording
        The recording as read (for metadata).
    warnings : tuple of str
        Problems found during preprocessing (clipping, sample-and-hold, low fs ...).
    acc_iso : ndarray, shape (3, n_samples), or None
        The same frame with only the *static* gravity removed (each orientation
        segment minus its mean), for the ISO 2631-1 quantities: the movement-tracking
        gravity estimate behind ``acc`` also removes slow accelerations (< ~0.3 Hz)
        that the Wd weighting keeps. None: use ``acc``.
    """

    acc: np.ndarray
    fs: float
    t0: float
    voluntary: np.ndarray
    gravity_included: bool
    emg: Recording | None
    noise_rms: float
    source: Recording
    warnings: tuple[str, ...] = ()
    acc_iso: np.ndarray | None = None

    @property
    def times(self) -> np.ndarray:
        """Sample times in seconds."""
        return self.t0 + np.arange(self.acc.shape[1]) / self.fs


@dataclasses.dataclass(frozen=True, eq=False)
class Finding:
    """What one detector found.

    Attributes
    ----------
    mechanism : str
        One of ``twitch``, ``postural``, ``pulse``, ``nerve``, ``vibration``.
    present : bool
        Whether the mechanism acts in the recording.
    confidence : float
        In [0, 1]: confidence in ``present`` (and in the summary values).
    energy : float
        Movement energy attributed to this mechanism (sum of squared gravity-free
        acceleration over the non-voluntary samples it explains, (m/s²)²·samples),
        used to compute each mechanism's ``share``.
    summary : dict
        The mechanism's report fields (DESIGN §4.3) except ``present``,
        ``confidence`` and ``share``.
    events : Annotations
        Detected events (``source="detector:<mechanism>"``).
    warnings : tuple of str
        Limits met (e.g. "fs too low for appliance vibration").
    """

    mechanism: str
    present: bool
    confidence: float
    energy: float
    summary: dict[str, Any]
    events: Annotations = dataclasses.field(default_factory=Annotations)
    warnings: tuple[str, ...] = ()


def _median(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """``np.median`` along *axis* from one partial sort (several times faster for rows).

    Partitioning at the upper middle puts the lower middle's candidates before it, so
    an even-length median needs only their maximum, not a second selection.
    """
    a = np.moveaxis(np.asarray(a), axis, -1)
    m = a.shape[-1]
    if m == 0 or not np.issubdtype(a.dtype, np.floating) or np.isnan(a).any():
        return np.median(a, axis=-1)
    h = m // 2
    p = np.partition(a, h, axis=-1)
    hi = p[..., h]
    return hi if m % 2 else 0.5 * (p[..., :h].max(axis=-1) + hi)


def _quantile(x: np.ndarray, q: float) -> float:
    """``np.quantile(x, q)`` (its default linear method, the same arithmetic) of a 1-D
    array from one partial sort, without the generic function's overhead."""
    n = x.size
    if n == 0 or np.isnan(x).any():
        return float(np.quantile(x, q))
    vi = (n - 1) * q
    lo = int(np.floor(vi))
    hi = min(lo + 1, n - 1)
    p = np.partition(x, [lo, hi]) if hi != lo else np.partition(x, lo)
    a, b = p[lo], p[hi]
    g = vi - lo
    d = b - a
    return float(b - d * (1 - g) if g >= 0.5 else a + d * g)
