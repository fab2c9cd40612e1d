"""The contract every detector in :mod:`glutesense.detectors` fulfils.

ANALYSER side: never import :mod:`glutesense.body`, :mod:`glutesense.sensors`
or :mod:`glutesense.scenarios` from here (a test enforces it).

Preprocessing (gravity estimation, rotation into the body-vertical frame,
voluntary-movement detection) produces a :class:`Prepared`; each detector
module exposes ``detect(prepared) -> Finding``.
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
