"""Shared plotting helpers: a headless backend, house style, figures as data URIs."""

from __future__ import annotations

import base64
import io

__all__ = ["subplots", "figure", "fig_to_data_uri", "MECH_COLORS"]

from matplotlib.figure import Figure

#: One colour per mechanism, used by every plot and the HTML report.
MECH_COLORS = {
    "twitch": "#d62728", "postural": "#2ca02c", "pulse": "#1f77b4", "nerve": "#9467bd",
    "vibration": "#ff7f0e", "voluntary": "#7f7f7f", "unexplained": "#c7c7c7",
}


def figure(figsize: tuple[float, float]) -> Figure:
    """A new figure that is not registered with pyplot.

    pyplot keeps global state and is not thread-safe; the web app draws reports in
    request threads while its worker analyses, so every figure is made this way.
    """
    return Figure(figsize=figsize)


def subplots(nrows: int = 1, ncols: int = 1, *, figsize: tuple[float, float], **kwargs):
    """Like :func:`matplotlib.pyplot.subplots`, without pyplot's global state."""
    fig = figure(figsize)
    return fig, fig.subplots(nrows, ncols, **kwargs)


def fig_to_data_uri(fig, *, fmt: str = "png", dpi: int = 110) -> str:
    """Render *fig* and return a ``data:`` URI."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"
