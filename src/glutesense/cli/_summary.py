"""The plain-language terminal summary shared by ``analyze`` and ``demo``."""

from __future__ import annotations

from typing import Any

from ._app import out

__all__ = ["print_summary"]


def print_summary(report: dict[str, Any]) -> None:
    """Plain words first, then the triage with its advice, then the sensor's limits."""
    from ..reporting.text import HEADLINES, limits_sentence, summary_sentences

    for s in summary_sentences(report):
        out.print(s, markup=False, highlight=False)
    tri = report.get("triage") or {}
    if tri.get("level"):
        out.print(f"\n{HEADLINES[tri['level']]}", style="bold", markup=False)
        for a in tri.get("advice") or []:
            out.print(f"  - {a}", markup=False, highlight=False)
        for src in tri.get("sources") or []:
            out.print(f"    source: {src['title']} <{src['url']}>", markup=False, highlight=False)
    out.print(f"\n{limits_sentence(report)}", markup=False, highlight=False)
