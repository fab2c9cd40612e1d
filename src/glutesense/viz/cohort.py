"""Cohort distributions for the batch report (NeuroKit2 users ask for this, #1191)."""

from __future__ import annotations

import numpy as np

from ._common import MECH_COLORS, subplots

__all__ = ["plot_distribution", "plot_counts"]


def plot_distribution(values, *, title: str, unit: str, color: str = MECH_COLORS["pulse"],
                      zone: tuple[float, float] | None = None):
    """Histogram with a rug of individual values; *zone* shades a guidance band."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], dtype=float)
    fig, ax = subplots(figsize=(5.2, 2.6))
    if v.size:
        ax.hist(v, bins=min(20, max(5, v.size // 2)), color=color, alpha=0.75)
        ax.plot(v, np.zeros_like(v), "|", color="k", markersize=12)
    else:
        ax.text(0.5, 0.5, "no values", ha="center", va="center", transform=ax.transAxes)
    if zone is not None:
        ax.axvspan(*zone, color="#ffdd57", alpha=0.35, label="ISO 2631-1 caution zone (8 h)")
        ax.legend(loc="upper right", fontsize=8, frameon=False)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel(unit)
    ax.set_ylabel("recordings")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def plot_counts(counts: dict[str, int], *, title: str):
    """Bar chart of categorical counts (twitch pattern, vibration source)."""
    fig, ax = subplots(figsize=(5.2, 2.6))
    keys = list(counts)
    ax.bar(keys, [counts[k] for k in keys], color=MECH_COLORS["twitch"], alpha=0.75)
    ax.set_title(title, fontsize=10)
    ax.set_ylabel("recordings")
    ax.spines[["top", "right"]].set_visible(False)
    return fig
