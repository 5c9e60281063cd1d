"""Initial designs: Latin hypercube property, maximin improvement, nesting."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import qmc

from mfopt.design import lhs, maximin_lhs, maximin_subset, min_distance, nested_design


def test_maximin_lhs_keeps_one_point_per_stratum() -> None:
    X = maximin_lhs(12, 3, seed=4)
    for k in range(3):
        assert sorted(np.floor(X[:, k] * 12).astype(int).tolist()) == list(range(12))


def test_maximin_beats_random_lhs_on_minimum_distance() -> None:
    seeds = range(10)
    optimised = np.mean([min_distance(maximin_lhs(20, 2, seed=s)) for s in seeds])
    random = np.mean([min_distance(qmc.LatinHypercube(d=2, seed=s).random(20)) for s in seeds])
    assert optimised > 1.5 * random


def test_subset_is_spread_out() -> None:
    X = maximin_lhs(30, 2, seed=0)
    idx = maximin_subset(X, 10, seed=0)
    rng = np.random.default_rng(0)
    random_subsets = [min_distance(X[rng.choice(30, 10, replace=False)]) for _ in range(20)]
    assert len(set(idx.tolist())) == 10
    assert min_distance(X[idx]) >= np.median(random_subsets)


def test_nested_designs_are_nested_and_in_bounds() -> None:
    bounds = torch.tensor([[-5.0, 0.0], [10.0, 15.0]], dtype=torch.float64)
    low, high = nested_design(bounds, [16, 8], seed=3)
    assert low.shape == (16, 2) and high.shape == (8, 2)
    assert {tuple(r) for r in high.tolist()} <= {tuple(r) for r in low.tolist()}
    assert bool((low >= bounds[0]).all() and (low <= bounds[1]).all())
    again = nested_design(bounds, [16, 8], seed=3)
    assert torch.equal(again[1], high)


def test_bad_sizes_are_rejected() -> None:
    with pytest.raises(ValueError, match="non-increasing"):
        nested_design(torch.tensor([[0.0], [1.0]]), [4, 8])
    with pytest.raises(ValueError, match="at least one"):
        nested_design(torch.tensor([[0.0], [1.0]]), [0])


def _one_at_a_time_lhs(n: int, d: int, seed: int) -> np.ndarray:
    """Reference: the Morris-Mitchell swap loop scoring one trial at a time, from the same draws."""
    from mfopt.design import _power_matrix, _powers, swap_trials

    rng = np.random.default_rng(seed)
    X = qmc.LatinHypercube(d=d, seed=rng).random(n)
    d0 = max(min_distance(X), 1e-12)
    P = _power_matrix(X, d0)
    trials = np.empty((0, 3), dtype=np.int64)
    fails = 0
    for t in range(max(5000, 20 * n * d)):
        if fails >= max(200, 10 * n):
            break
        if t % 512 == 0:
            trials = swap_trials(rng, n, d)
        i, j, k = (int(v) for v in trials[t % 512])
        sq_before = ((X - X[i]) ** 2).sum(axis=1), ((X - X[j]) ** 2).sum(axis=1)
        X[[i, j], k] = X[[j, i], k]
        rows = {}
        for row, other, before in ((i, j, sq_before[0]), (j, i, sq_before[1])):
            # the trial formula: only coordinate k of rows i and j moved; the (i, j) distance did not
            sq = before - (X[other, k] - X[:, k]) ** 2 + (X[row, k] - X[:, k]) ** 2
            r = _powers(sq, d0)
            r[row], r[other] = 0.0, P[row, other]
            rows[row] = r
        delta = (rows[i].sum() - P[i].sum()) + (rows[j].sum() - P[j].sum())
        if delta < 0.0:
            P = _power_matrix(X, d0)
            fails = 0
        else:
            X[[i, j], k] = X[[j, i], k]
            fails += 1
    return X


def _one_at_a_time_subset(X: np.ndarray, m: int, seed: int) -> np.ndarray:
    from mfopt.design import _power_matrix

    n = X.shape[0]
    rng = np.random.default_rng(seed)
    chosen = rng.choice(n, size=m, replace=False)
    P = _power_matrix(X, max(min_distance(X[chosen]), 1e-12))
    inside = np.zeros(n, dtype=bool)
    inside[chosen] = True
    fails = 0
    while fails < max(200, 10 * n):
        a = int(rng.choice(np.flatnonzero(inside)))
        b = int(rng.choice(np.flatnonzero(~inside)))
        inside[a] = False
        if P[b, inside].sum() - P[a, inside].sum() < 0.0:
            inside[b] = True
            fails = 0
        else:
            inside[a] = True
            fails += 1
    return np.flatnonzero(inside)


@pytest.mark.parametrize(("n", "d", "seed"), [(12, 3, 4), (30, 2, 0), (40, 5, 7), (60, 10, 2)])
def test_block_scoring_gives_the_one_at_a_time_designs_exactly(n: int, d: int, seed: int) -> None:
    X = maximin_lhs(n, d, seed=seed)
    assert np.array_equal(X, _one_at_a_time_lhs(n, d, seed))
    assert np.array_equal(maximin_subset(X, n // 2, seed=seed + 1), _one_at_a_time_subset(X, n // 2, seed + 1))


def test_designs_are_built_on_the_devices_of_their_bounds() -> None:
    """A box on another device (CUDA in the loop; ``meta`` here, which every machine has) gets its
    points there: mf-mes' candidate set once mixed CPU points with a CUDA box and failed on a GPU."""
    box = torch.tensor([[0.0, -1.0], [1.0, 2.0]], dtype=torch.float64)
    on_meta = box.to("meta")
    assert lhs(7, on_meta, seed=3).device.type == "meta"
    assert all(X.device.type == "meta" for X in nested_design(on_meta, [6, 3], seed=3))
    X = lhs(7, box, seed=3)
    assert X.device.type == "cpu" and X.shape == (7, 2)
    assert float((X - box[0]).min()) >= 0 and float((box[1] - X).min()) >= 0
