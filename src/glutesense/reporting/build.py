"""One call from a recording (and answers) to the full ``glutesense.report/1`` document.

``analyze`` finds the mechanisms; ``triage`` combines them with the answers. Every
adapter (CLI, web worker, batch, demo) goes through :func:`build_report`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..recording import Recording

__all__ = ["build_report"]


def build_report(recording: Recording, answers: Mapping[str, Any] | None = None,
                 *, with_analysis: bool = False):
    """Analyse *recording*, triage with *answers*, and return the report dict.

    Parameters
    ----------
    recording : Recording
        As returned by :func:`glutesense.read`.
    answers : mapping or None
        Questionnaire answers (DESIGN §4.4); validated.
    with_analysis : bool
        Also return the :class:`~glutesense.analysis.Analysis` (for plots).

    Returns
    -------
    dict or (dict, Analysis)
    """
    from ..analysis import analyze
    from ..triage import parse_answers, triage

    ans = parse_answers(answers)
    analysis = analyze(recording)
    report = analysis.to_report_dict()
    report["triage"] = triage(ans, report["mechanisms"]).to_dict()
    return (report, analysis) if with_analysis else report
