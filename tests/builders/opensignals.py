"""Write OpenSignals text files (BITalino layout) from raw ADC arrays.

Layout as documented in formats.md §2 and as found in BITalino's published
sample files (line 1 magic, line 2 ``# {JSON}`` keyed by the MAC, line 3
``# EndOfHeader``, then tab-separated integers with a trailing tab).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import numpy as np

__all__ = ["write_opensignals"]


def write_opensignals(path: Path, adc: np.ndarray, *, sensors: Sequence[str],
                      fs: float = 1000, bits: Sequence[int] | None = None,
                      mac: str = "20:16:02:26:60:88", date: str = "2016-6-9",
                      time: str = "21:59:32.137", drop: Sequence[int] = ()) -> Path:
    """Write *adc* (shape ``(n_analog, n)``, integers) as an OpenSignals text file.

    Parameters
    ----------
    sensors : sequence of str
        One sensor name per analog channel (``"EMG"``, ``"ACC"``, ``"RAW"``...).
    bits : sequence of int or None
        Resolution per analog channel (BITalino: 10 for A1–A4, 6 for A5–A6).
    drop : sequence of int
        Row indices to leave out (simulates lost samples; ``nSeq`` keeps counting).
    """
    adc = np.atleast_2d(np.asarray(adc, dtype=np.int64))
    n_an, n = adc.shape
    bits = list(bits or [10] * n_an)
    analog = [f"A{i + 1}" for i in range(n_an)]
    header = {mac: {
        "sensor": list(sensors), "device name": mac,
        "column": ["nSeq", "I1", "I2", "O1", "O2", *analog], "sync interval": 2,
        "time": time, "comments": "", "device connection": "BTH" + mac,
        "channels": list(range(1, n_an + 1)), "date": date, "mode": 0,
        "digital IO": [0, 0, 1, 1], "firmware version": 1281, "device": "bitalino_rev",
        "position": 0, "sampling rate": fs, "label": analog,
        "resolution": [4, 1, 1, 1, 1, *bits], "special": [{} for _ in analog]}}
    keep = np.setdiff1d(np.arange(n), np.asarray(drop, dtype=int))
    with open(path, "w", newline="\n") as f:
        f.write("# OpenSignals Text File Format\n")
        f.write("# " + json.dumps(header) + "\n")
        f.write("# EndOfHeader\n")
        for i in keep:
            row = [i % 16, 1, 1, 1, 0, *adc[:, i].tolist()]
            f.write("\t".join(str(int(v)) for v in row) + "\t\n")
    return Path(path)
