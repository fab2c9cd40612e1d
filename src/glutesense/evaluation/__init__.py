"""Evaluation: score the analyser against known truth (``glutesense evaluate``).

Three sources (DESIGN §3, issue 5 item 6):

(a) the simulator's scenarios (:mod:`glutesense.scenarios`), several seeds each,
    against their truth annotations and truth dict;
(b) a second, independent generator (:mod:`.generator2`), written differently
    from the simulator and passed through phone-app files and the readers;
(c) real third-party recordings (``../shared/reference``), against what is
    known about them (vibration or not, its source, a plausible resting pulse).

Metrics and targets are in :data:`METRICS`; the arithmetic is in :mod:`.metrics`,
event matching in :mod:`.matching`, the independent ISO 2631-1 reference in
:mod:`.iso_reference`. The evaluation MAY import the simulator; the analyser
never does.
"""

from ._core import METRICS, SCHEMA, SOURCES, evaluate, summarise
from .matching import Match, match_events
from .metrics import accuracy, mae, prf, relative_error, score_twitches

__all__ = ["evaluate", "summarise", "METRICS", "SCHEMA", "SOURCES", "match_events", "Match",
           "prf", "mae", "accuracy", "relative_error", "score_twitches"]
