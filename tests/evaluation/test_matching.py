"""The event matcher: hand-made cases with known optimal answers, and a brute-force check."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from glutesense.evaluation.matching import match_events


def pairs(m):
    return [tuple(p) for p in m.pairs.tolist()]


def test_empty_inputs():
    m = match_events([], [], 0.15)
    assert m.n_matched == 0 and m.unmatched_truth.size == 0 and m.unmatched_detected.size == 0
    m = match_events([1.0, 2.0], [], 0.15)
    assert m.unmatched_truth.tolist() == [0, 1]
    m = match_events([], [1.0], 0.15)
    assert m.unmatched_detected.tolist() == [0]


def test_exact_and_shifted_matches():
    m = match_events([1.0, 2.0, 3.0], [1.1, 1.95, 3.0], 0.15)
    assert pairs(m) == [(0, 0), (1, 1), (2, 2)]


def test_tolerance_is_inclusive_and_strict_beyond():
    assert match_events([1.0], [1.15], 0.15).n_matched == 1
    m = match_events([1.0], [1.1501], 0.15)
    assert m.n_matched == 0
    assert m.unmatched_truth.tolist() == [0] and m.unmatched_detected.tolist() == [0]


def test_optimal_beats_greedy_nearest_first():
    # Greedy nearest-first pairs 0.2–0.1 (distance 0.1) and strands 0.0 and 0.3;
    # the optimum pairs 0.0–0.1 and 0.2–0.3.
    m = match_events([0.0, 0.2], [0.1, 0.3], 0.15)
    assert pairs(m) == [(0, 0), (1, 1)]


def test_one_to_one_each_event_used_once():
    m = match_events([1.0], [0.95, 1.0, 1.05], 0.15)
    assert pairs(m) == [(0, 1)]
    assert m.unmatched_detected.tolist() == [0, 2]
    m = match_events([0.95, 1.0, 1.05], [1.0], 0.15)
    assert pairs(m) == [(1, 0)]


def test_ties_broken_by_smallest_total_distance():
    m = match_events([0.0], [0.1, -0.05], 0.15)
    assert pairs(m) == [(0, 1)]


def test_indices_refer_to_unsorted_inputs():
    m = match_events([3.0, 1.0, 2.0], [2.02, 0.99], 0.15)
    assert pairs(m) == [(1, 1), (2, 0)]
    assert m.unmatched_truth.tolist() == [0]


def test_rejects_bad_input():
    with pytest.raises(ValueError):
        match_events([np.nan], [1.0], 0.15)
    with pytest.raises(ValueError):
        match_events([1.0], [1.0], -1.0)


def _brute_force_max(t, d, tol):
    best = 0
    for k in range(min(len(t), len(d)), 0, -1):
        for ti in itertools.combinations(range(len(t)), k):
            for dj in itertools.permutations(range(len(d)), k):
                if all(abs(t[a] - d[b]) <= tol for a, b in zip(ti, dj)):
                    return k
    return best


def test_cardinality_equals_brute_force(rng):
    for _ in range(60):
        t = np.round(rng.uniform(0, 1.5, rng.integers(0, 6)), 3)
        d = np.round(rng.uniform(0, 1.5, rng.integers(0, 6)), 3)
        m = match_events(t, d, 0.15)
        assert m.n_matched == _brute_force_max(t, d, 0.15)
        for a, b in m.pairs:
            assert abs(t[a] - d[b]) <= 0.15
        assert len(set(m.pairs[:, 0])) == m.n_matched == len(set(m.pairs[:, 1]))
