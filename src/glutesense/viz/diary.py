"""Trend plots for the web diary: twitch rate and heart rate per session over time."""

from __future__ import annotations

from typing import Any

from ._common import MECH_COLORS, subplots

__all__ = ["plot_trends"]


def plot_trends(points: list[tuple[Any, dict[str, Any]]]):
    """*points*: ``[(datetime, mechanisms block), ...]`` in time order."""
    fig, axes = subplots(2, 1, figsize=(8, 4.2), sharex=True)
    when = [p[0] for p in points]
    tw = [(p[1].get("twitch") or {}).get("rate_per_min") for p in points]
    hr = [(p[1].get("pulse") or {}).get("heart_rate_bpm") for p in points]
    for ax, vals, color, label in ((axes[0], tw, MECH_COLORS["twitch"], "twitches per minute"),
                                   (axes[1], hr, MECH_COLORS["pulse"], "heart rate (beats/min)")):
        xs = [w for w, v in zip(when, vals) if v is not None]
        ys = [v for v in vals if v is not None]
        if ys:
            ax.plot(xs, ys, "o-", color=color, lw=1.2)
        else:
            ax.text(0.5, 0.5, "no values yet", transform=ax.transAxes, ha="center", va="center")
        ax.set_ylabel(label, fontsize=9)
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(alpha=0.3)
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(maxticks=6)
    axes[1].xaxis.set_major_locator(locator)
    axes[1].xaxis.set_major_formatter(ConciseDateFormatter(locator))
    axes[0].set_title("Your sessions over time", fontsize=10, loc="left")
    fig.tight_layout()
    return fig
