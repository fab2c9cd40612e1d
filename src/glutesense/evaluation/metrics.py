"""Score arithmetic: precision/recall/F1, MAE, relative errors, accuracy.

Conventions (documented because they decide edge cases):

* F1 = 2·TP / (2·TP + FP + FN); None when there is nothing to score (TP = FP = FN = 0).
  Precision is None without detections, recall None without truth events.
* Twitch scoring (:func:`score_twitches`): detections are matched one-to-one to
  *all* truth twitches (:func:`~.matching.match_events`); only truth twitches with
  peak ≥ ``min_peak_ms2`` count as TP/FN, a detection matched to a smaller truth
  twitch is neither TP nor FP ("don't care"), and an unmatched detection is FP.
  Truth twitches and detections inside ``ignore`` intervals (voluntary
  movement, which the analyser sets aside by design) are dropped first.
* MAE and mean relative error are None for an empty list.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

from .matching import match_events

__all__ = ["prf", "mae", "relative_error", "mean_abs", "accuracy", "score_twitches"]


def prf(tp: int, fp: int, fn: int) -> dict[str, float | None]:
    """Precision, recall and F1 from counts (see the module conventions)."""
    if min(tp, fp, fn) < 0:
        raise ValueError("counts must be >= 0")
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = 2 * tp / (2 * tp + fp + fn) if (tp + fp + fn) else None
    return {"precision": precision, "recall": recall, "f1": f1}


def mean_abs(values: Iterable[float | None]) -> float | None:
    """Mean of |v| over the values that are not None (None if there are none)."""
    v = [abs(float(x)) for x in values if x is not None and math.isfinite(float(x))]
    return float(np.mean(v)) if v else None


def mae(estimates: Sequence[float | None], truths: Sequence[float]) -> float | None:
    """Mean absolute error over the pairs whose estimate is not None."""
    if len(estimates) != len(truths):
        raise ValueError("estimates and truths differ in length")
    return mean_abs([None if e is None else float(e) - float(t) for e, t in zip(estimates, truths)])


def relative_error(estimate: float | None, reference: float) -> float | None:
    """(estimate − reference) / reference; None if the estimate is None or the reference is 0."""
    if estimate is None or reference is None or not reference:
        return None
    return (float(estimate) - float(reference)) / float(reference)


def accuracy(correct: Sequence[bool]) -> float | None:
    """Fraction of True values (None for an empty list)."""
    return float(np.mean(correct)) if len(correct) else None


def _inside(t: np.ndarray, intervals: Sequence[tuple[float, float]]) -> np.ndarray:
    out = np.zeros(t.size, dtype=bool)
    for a, b in intervals:
        out |= (t >= a) & (t <= b)
    return out


def score_twitches(truth_s, truth_peak_ms2, detected_s, *, min_peak_ms2: float,
                   tol_s: float = 0.15,
                   ignore: Sequence[tuple[float, float]] = ()) -> dict[str, int]:
    """TP/FP/FN of detected twitches against truth twitches of peak ≥ ``min_peak_ms2``.

    Returns
    -------
    dict
        ``tp, fp, fn``, ``n_truth_scored`` (truth twitches ≥ the threshold),
        ``n_dont_care`` (detections matched to smaller truth twitches) and
        ``n_ignored_truth`` / ``n_ignored_detected`` (inside *ignore*).
    """
    t = np.asarray(truth_s, dtype=float).reshape(-1)
    amp = np.asarray(truth_peak_ms2, dtype=float).reshape(-1)
    d = np.asarray(detected_s, dtype=float).reshape(-1)
    if t.size != amp.size:
        raise ValueError("truth times and peaks differ in length")
    keep_t = ~_inside(t, ignore)
    keep_d = ~_inside(d, ignore)
    t, amp, d_kept = t[keep_t], amp[keep_t], d[keep_d]
    m = match_events(t, d_kept, tol_s)
    big = amp >= min_peak_ms2
    matched_truth = np.zeros(t.size, dtype=bool)
    matched_truth[m.pairs[:, 0]] = True
    tp = int(np.count_nonzero(matched_truth & big))
    fn = int(np.count_nonzero(~matched_truth & big))
    dont_care = int(np.count_nonzero(~big[m.pairs[:, 0]])) if m.n_matched else 0
    fp = int(m.unmatched_detected.size)
    return {"tp": tp, "fp": fp, "fn": fn, "n_truth_scored": int(big.sum()),
            "n_dont_care": dont_care, "n_ignored_truth": int((~keep_t).sum()),
            "n_ignored_detected": int((~keep_d).sum())}
