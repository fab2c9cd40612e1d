"""Reports a person can read: terminal summary, self-contained HTML, and a PDF for the doctor.

ANALYSER side: never imports the simulator (body, sensors, scenarios). All figures
come from :mod:`glutesense.viz`.
"""

from .text import DISCLAIMER, HEADLINES, limits_sentence, summary_sentences

__all__ = ["summary_sentences", "limits_sentence", "HEADLINES", "DISCLAIMER", "write_html",
           "render_html", "write_pdf", "body_vertical"]


def __getattr__(name: str):
    if name in ("write_html", "render_html", "body_vertical"):
        from . import html

        return getattr(html, name)
    if name == "write_pdf":
        from .pdf import write_pdf

        return write_pdf
    raise AttributeError(name)
