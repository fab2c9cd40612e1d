"""The vectorised crop/join/report helpers against the plain (slow) operations."""

import numpy as np

from glutesense.analysis._merge import _crop_sorted
from glutesense.analysis._report import _num, _nums
from glutesense.recording import Annotations


def _ann(rng, n, t0, t1, label="beat"):
    on = rng.uniform(t0, t1, n)
    return Annotations(on, rng.uniform(0, 0.1, n), [label] * n, ["pulse"] * n,
                       ["detector:pulse"], rng.standard_normal(n))


def _same(a: Annotations, b: Annotations) -> None:
    assert len(a) == len(b)
    for k in ("onset", "duration", "value"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
    assert (a.label, a.mechanism, a.source) == (b.label, b.mechanism, b.source)


def test_join_equals_pairwise_sum_even_overlapping_with_ties():
    rng = np.random.default_rng(0)
    parts = [_ann(rng, 50, 0, 10, "a"), _ann(rng, 40, 5, 15, "b"), Annotations(),
             _ann(rng, 30, 12, 20, "c")]
    tie = Annotations([3.0, 3.0], 0.0, ["x", "y"], ["pulse", "pulse"], ["manual"])
    parts.append(tie)
    parts.insert(0, Annotations([3.0], 0.0, ["first"], ["pulse"], ["manual"]))
    ref = Annotations()
    for p in parts:
        ref = ref + p
    _same(Annotations.join(parts), ref)
    _same(Annotations.join([]), Annotations())


def test_crop_sorted_equals_crop():
    rng = np.random.default_rng(1)
    a = _ann(rng, 200, 0, 100)
    a = a + Annotations([10.0, 50.0], 0.0, ["edge"], ["pulse", "pulse"], ["manual"])
    for lo, hi in [(10.0, 50.0), (-5, 200), (30, 30), (99.9, 120), (-10, -1)]:
        _same(_crop_sorted(a, lo, hi), a.crop(lo, hi))
    _same(_crop_sorted(Annotations(), 0, 1), Annotations())


def test_nums_matches_num():
    rng = np.random.default_rng(2)
    x = list(rng.uniform(-1e4, 1e4, 2000)) + [None, float("nan"), float("inf"), 0.0, 1.5]
    for nd in (2, 3, 5):
        fast, slow = _nums(x, nd), [_num(v, nd) for v in x]
        assert [v is None for v in fast] == [v is None for v in slow]
        # np.round and round() may differ only next to a half-way point (≤ 1 unit of nd)
        assert all(f == s or abs(f - s) <= 10.0 ** -nd * 1.0001
                   for f, s in zip(fast, slow) if f is not None)
        assert sum(f != s for f, s in zip(fast, slow) if f is not None) <= 2
