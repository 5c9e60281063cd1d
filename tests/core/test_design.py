"""Initial designs: Latin hypercube property, maximin improvement, nesting."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import qmc

from mfopt.design import maximin_lhs, maximin_subset, min_distance, nested_design


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
