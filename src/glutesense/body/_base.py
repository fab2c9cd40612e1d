"""The contract every forward model in :mod:`glutesense.body` fulfils.

Frames and units
----------------
Body-frame axes follow ISO 2631-1's basicentric seated axes: ``x`` fore-aft
(back to chest), ``y`` lateral (right to left), ``z`` vertical (buttocks to
head). Accelerations are in m/s², without gravity (the sensor models add
gravity and orientation). EMG is in V at the electrode pair, before the
amplifier's noise and band limits (added by :mod:`glutesense.sensors.emg`).

Each mechanism module exposes ``simulate(duration_s, fs, *, rng, emg_fs=None,
**params) -> MechanismOutput``; scenarios sum the outputs and pass them through
a sensor model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any, TypeVar

import numpy as np

from ..errors import ParameterError
from ..recording import Annotations

__all__ = ["MechanismOutput", "BODY_AXES", "build_params"]

P = TypeVar("P")

#: Body-frame axis names (ISO 2631-1 basicentric, seated).
BODY_AXES = ("x_fore_aft", "y_lateral", "z_vertical")


@dataclasses.dataclass(frozen=True, eq=False)
class MechanismOutput:
    """What one mechanism contributes to a recording, with its ground truth.

    Attributes
    ----------
    mechanism : str
        One of ``twitch``, ``postural``, ``pulse``, ``nerve``, ``vibration``.
    acc : ndarray, shape (3, n_samples)
        Surface acceleration at the sensor site in the body frame, m/s², gravity-free.
    fs : float
        Rate of ``acc`` in Hz.
    emg : ndarray, shape (n_emg,) or None
        Surface potential at the bipolar electrode pair in V, if the mechanism has one.
    emg_fs : float or None
        Rate of ``emg`` in Hz.
    events : Annotations
        Ground-truth events (``source="truth"``, ``mechanism`` set).
    truth : dict
        The mechanism's block for ``<stem>.truth.json``, using the report's keys
        (DESIGN §4.3), describing what was simulated.
    """

    mechanism: str
    acc: np.ndarray
    fs: float
    emg: np.ndarray | None = None
    emg_fs: float | None = None
    events: Annotations = dataclasses.field(default_factory=Annotations)
    truth: dict[str, Any] = dataclasses.field(default_factory=dict)


def build_params(cls: type[P], kw: Mapping[str, Any], *, mechanism: str,
                 nested: Mapping[str, type] | None = None) -> P:
    """Build a parameter dataclass from a mapping (e.g. a scenario's YAML block).

    Nested parameter blocks given as mappings are built with their own class
    (*nested* maps a field name to it). An unknown or missing field raises
    :class:`ParameterError` naming the mechanism.
    """
    kw = dict(kw)
    try:
        for key, sub in (nested or {}).items():
            if isinstance(kw.get(key), Mapping):
                kw[key] = sub(**kw[key])
        return cls(**kw)
    except TypeError as exc:
        raise ParameterError(f"{mechanism}: {exc}") from None
