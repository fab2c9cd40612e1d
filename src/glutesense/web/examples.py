"""Simulated example plots for the home page: what each mechanism looks like at a phone.

The web app is an adapter, so it may use the simulator here; the analyser never does.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

__all__ = ["example_figures", "EXAMPLES"]

#: mechanism → (scenario that shows it, seconds to draw)
EXAMPLES = {
    "twitch": ("continuous-twitching", 10.0),
    "postural": ("standing-quiet", 20.0),
    "pulse": ("seated-rest", 6.0),
    "nerve": ("long-sitting-nerve", 20.0),
    "vibration": ("car-ride", 4.0),
}


@lru_cache(maxsize=1)
def example_figures(seed: int = 3) -> dict[str, str]:
    """One small PNG (data URI) per mechanism: its simulated vertical acceleration at the device."""
    from ..scenarios import simulate
    from ..viz._common import MECH_COLORS, fig_to_data_uri, subplots

    out: dict[str, str] = {}
    for mech, (scenario, seconds) in EXAMPLES.items():
        sim = simulate(scenario, duration_s=max(seconds, 30.0), seed=seed, keep_components=True)
        comp = (sim.components or {}).get(mech)
        if comp is None:
            continue
        fs = sim.recording.fs
        n = int(seconds * fs)
        seg = comp[2, -n:] if mech != "postural" else comp[0, -n:]
        t = np.arange(seg.size) / fs
        fig, ax = subplots(figsize=(3.6, 1.2))
        ax.plot(t, seg * 1000.0, color=MECH_COLORS[mech], lw=0.8)
        ax.set_xlabel("s", fontsize=7, labelpad=1)
        ax.set_ylabel("mm/s²", fontsize=7)
        ax.tick_params(labelsize=6)
        ax.spines[["top", "right"]].set_visible(False)
        fig.tight_layout(pad=0.3)
        out[mech] = fig_to_data_uri(fig, dpi=100)
    return out
