"""Shared plotting helpers: a headless backend, house style, figures as data URIs."""

from __future__ import annotations

import base64
import io

__all__ = ["plt", "fig_to_data_uri", "MECH_COLORS"]

import matplotlib

matplotlib.use("Agg", force=True)
import matplotlib.pyplot as plt  # noqa: E402

#: One colour per mechanism, used by every plot and the HTML report.
MECH_COLORS = {
    "twitch": "#d62728", "postural": "#2ca02c", "pulse": "#1f77b4", "nerve": "#9467bd",
    "vibration": "#ff7f0e", "voluntary": "#7f7f7f", "unexplained": "#c7c7c7",
}


def fig_to_data_uri(fig, *, fmt: str = "png", dpi: int = 110) -> str:
    """Render *fig* and return a ``data:`` URI (then close the figure)."""
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    mime = "image/svg+xml" if fmt == "svg" else f"image/{fmt}"
    return f"data:{mime};base64,{base64.b64encode(buf.getvalue()).decode('ascii')}"
