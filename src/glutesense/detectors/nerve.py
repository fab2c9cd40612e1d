"""Nerve: grouped discharges from irritated nerve roots / peripheral nerves.

ANALYSER side: never imports :mod:`glutesense.body`, ``sensors`` or ``scenarios``.

Method
------
- **sEMG** (``prepared.emg``, fs ≥ ~400 Hz): discharges of one motor unit less
  than 20 ms apart are doublets/multiplets (2.5–20 ms, Simpson 1969 via Garland
  & Griffin, 1999); neuromyotonic discharges fire at 30–300 Hz within a burst
  (Maddison, 2006). Discharges are grouped into bursts when each follows the
  previous by < 0.2 s and the group holds a doublet or ≥ 3 discharges.
- **Acceleration** (any fs ≥ 20 Hz): doublets cannot be resolved, so a burst is
  a group of ≥ 3 transients each < 0.35 s after the previous one (grouped,
  myokymia-like discharges recurring at 2–10 Hz, MedLink; physiology.md §6).
  The transients are those of :func:`glutesense.detectors.twitch.find_transients`;
  those in a group are attributed here, not to twitch.

References
----------
Garland SJ, Griffin L (1999). Motor unit double discharges: statistical anomaly
or functional entity? Can J Appl Physiol 24:113–130.
Maddison P (2006). Neuromyotonia. Clin Neurophysiol 117:2118–2127.
"""

from __future__ import annotations

import numpy as np

from ..recording import Annotations
from ._base import Finding, Prepared
from .twitch import Transients, emg_discharges, group_transients, transients_without_beats

__all__ = ["detect", "merge", "MIN_FS_DOUBLET_HZ"]

#: A doublet 2.5 ms apart needs samples at least every 2.5 ms.
MIN_FS_DOUBLET_HZ = 400.0

def detect(prepared: Prepared, *, transients: Transients | None = None,
           beats_s: np.ndarray | None = None, lines_hz: tuple[float, ...] = ()) -> Finding:
    """Find bursts of grouped discharges.

    Parameters
    ----------
    prepared : Prepared
        Output of :func:`glutesense.detectors.preprocess.prepare`.
    transients : Transients or None
        Acceleration transients (from :func:`~glutesense.detectors.twitch.find_transients`);
        found here when None, with heartbeats removed (``beats_s``, or the pulse
        detector's beats when None).
    beats_s, lines_hz
        Passed to :func:`~glutesense.detectors.twitch.transients_without_beats`.

    Returns
    -------
    Finding
        ``summary``: ``burst_rate_per_min``, ``bursts`` [{"t_s", "n_discharges",
        "intraburst_hz"}] and ``source`` (``"emg"`` or ``"acc"``).
    """
    emg = emg_discharges(prepared)
    warns: tuple[str, ...] = ()
    if emg is not None and prepared.emg.fs < MIN_FS_DOUBLET_HZ:
        warns = (f"sEMG at {prepared.emg.fs:g} Hz cannot resolve doublets 2.5–20 ms apart "
                 f"(needs ≥ {MIN_FS_DOUBLET_HZ:g} Hz)",)
    if emg is not None:
        bursts = emg["bursts"]
        observed = emg["observed_s"]
        src = "emg"
        energy = 0.0
    else:
        if transients is None:
            transients = transients_without_beats(prepared, beats_s=beats_s, lines_hz=lines_hz)
        groups = group_transients(transients.t_s)
        bursts = []
        energy = 0.0
        for g in groups:
            t = transients.t_s[g]
            bursts.append({"t_s": round(float(t[0]), 3), "n_discharges": int(g.size),
                           "intraburst_hz": round(float((g.size - 1) / max(t[-1] - t[0], 1e-6)),
                                                  2)})
            energy += float(transients.energy[g].sum())
        observed = transients.observed_s
        src = "acc"
    minutes = observed / 60.0
    n = len(bursts)
    present = n >= 1
    # chance groups of ≥ 3 false transients are negligible at 0.3 false alarms/min, so
    # confidence grows with the number of bursts seen
    conf = 1.0 - 0.5 ** n if n else float(1.0 - np.exp(-max(minutes, 0.0) / 2.0))
    t0 = np.array([b["t_s"] for b in bursts])
    events = Annotations(t0, 0.0, ["burst"], ["nerve"] * n, ["detector:nerve"],
                         np.array([b["n_discharges"] for b in bursts], dtype=float))
    summary = {"burst_rate_per_min": round(n / max(minutes, 1e-9), 3), "bursts": bursts,
               "source": src}
    return Finding("nerve", present, float(conf), energy, summary, events=events, warnings=warns)


def merge(parts: list[tuple[Finding, float]]) -> Finding:
    """Combine per-chunk findings (already cropped to their cores) into one."""
    bursts = [b for f, _ in parts for b in f.summary["bursts"]]
    minutes = sum(d for _, d in parts) / 60.0
    n = len(bursts)
    conf = 1.0 - 0.5 ** n if n else float(1.0 - np.exp(-minutes / 2.0))
    set_aside = sum(f.summary.get("set_aside", 0) for f, _ in parts)
    summary = {"burst_rate_per_min": round(n / max(minutes, 1e-9), 3), "bursts": bursts,
               "source": parts[0][0].summary["source"]}
    if set_aside:
        summary["set_aside"] = set_aside
        if not n:
            conf = min(conf, 0.5)        # groups were there but could not be attributed
    events = Annotations.join(f.events for f, _ in parts)
    return Finding("nerve", n >= 1, float(conf), float(sum(f.energy for f, _ in parts)),
                   summary, events=events,
                   warnings=tuple(dict.fromkeys(w for f, _ in parts for w in f.warnings)))
