"""Initial designs: maximin Latin hypercubes and nested maximin subsets, as in the protocol
of Andrés-Thió, Muñoz & Smith-Miles (2024, arXiv:2403.08118).

SciPy's ``qmc.LatinHypercube`` draws the random LHS; its built-in optimisers target discrepancy,
not the maximin distance the paper's protocol uses, so the small Morris–Mitchell swap optimiser
is written here. It minimises ``phi_p = sum_{i<j} (d_ij / d0)^-p`` with ``p = 50`` (Morris &
Mitchell 1995: for large ``p`` this orders designs as the maximin criterion does, ties broken by
fewer pairs at the minimum distance) and updates it in O(n) per trial swap: swap one coordinate
between two points (or, for a subset, one point in for one out), keep the swap when ``phi_p``
falls, stop after ``patience`` failures in a row (a local optimum). The trials are drawn one by
one from the seeded generator but scored in NumPy blocks against the current design (the first
improving trial of a block is applied, the rest scored again), which gives exactly the designs of
scoring them one at a time (tests/core/test_design.py checks it against that loop).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import torch
from scipy.stats import qmc
from torch import Tensor

from mfopt.data import DTYPE

P_EXPONENT = 50.0


def _distances(X: np.ndarray) -> np.ndarray:
    diff = X[:, None, :] - X[None, :, :]
    return np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))


def _powers(dist: np.ndarray, d0: float) -> np.ndarray:
    """``(d / d0)^-p`` with a zero diagonal; coincident points count as a huge penalty."""
    with np.errstate(divide="ignore", over="ignore"):
        out = np.power(np.maximum(dist, 1e-300) / d0, -P_EXPONENT)
    out = np.minimum(out, 1e300)
    np.fill_diagonal(out, 0.0)
    return out


def min_distance(X: np.ndarray) -> float:
    """The smallest pairwise Euclidean distance of the rows of ``X`` (inf for fewer than 2)."""
    if X.shape[0] < 2:
        return float("inf")
    dist = _distances(X)
    return float(dist[np.triu_indices(X.shape[0], k=1)].min())


def maximin_lhs(
    n: int, d: int, seed: int | None = None, patience: int | None = None, max_trials: int | None = None
) -> np.ndarray:
    """An ``n x d`` Latin hypercube in ``[0, 1]^d`` improved towards a local maximin optimum.

    Stops after ``patience`` failed swaps in a row or ``max_trials`` swaps in all (default
    ``max(5000, 20 n d)``). The trial swaps are drawn one by one from the seeded generator (the
    draws do not depend on the outcomes) and scored in blocks, all against the current design:
    the first improving swap of a block is applied and the trials after it are scored again, so
    the result is the one of scoring them one at a time, with NumPy doing the work of a block.
    """
    if n < 1 or d < 1:
        raise ValueError(f"a design needs n >= 1 points and d >= 1 dimensions, got n={n}, d={d}")
    rng = np.random.default_rng(seed)
    X = qmc.LatinHypercube(d=d, seed=rng).random(n)
    if n < 3:
        return X
    patience = patience if patience is not None else max(200, 10 * n)
    d0 = max(min_distance(X), 1e-12)
    P = _powers(_distances(X), d0)
    max_trials = max_trials if max_trials is not None else max(5000, 20 * n * d)
    largest = max(1, BLOCK_ELEMENTS // (n * d))
    draws = np.empty((0, 3), dtype=np.int64)
    done = fails = 0
    block = 1
    while done < max_trials and fails < patience:
        size = min(block, max_trials - done, patience - fails)
        if draws.shape[0] < size:
            fresh = [(*rng.choice(n, size=2, replace=False), rng.integers(d)) for _ in range(max(size, 256))]
            draws = np.concatenate([draws, np.array(fresh, dtype=np.int64).reshape(-1, 3)])
        i, j, k = draws[:size].T
        rows_i, rows_j, delta = _swap_scores(X, P, i, j, k, d0)
        better = np.flatnonzero(delta < 0.0)
        if better.size == 0:
            fails += size
            done += size
            draws = draws[size:]
            block = min(2 * block, largest)
            continue
        t = int(better[0])
        a, b, c = int(i[t]), int(j[t]), int(k[t])
        X[[a, b], c] = X[[b, a], c]
        for row, r in ((a, rows_i[t]), (b, rows_j[t])):
            P[row, :] = r
            P[:, row] = r
        fails = 0
        done += t + 1
        draws = draws[t + 1 :]
        block = max(1, block // 2)
    return X


#: Largest number of array elements (trials x points x dimensions) scored in one block.
BLOCK_ELEMENTS = 2_000_000


def _swap_scores(
    X: np.ndarray, P: np.ndarray, i: np.ndarray, j: np.ndarray, k: np.ndarray, d0: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each trial swap of coordinate ``k`` between points ``i`` and ``j`` (``b`` trials), the
    new rows ``i`` and ``j`` of ``P`` (``b x n`` each) and the change of ``phi_p`` (``b``)."""
    trials = np.arange(i.shape[0])
    swapped = np.repeat(X[None], i.shape[0], axis=0)
    swapped[trials, i, k] = X[j, k]
    swapped[trials, j, k] = X[i, k]
    rows = []
    for row in (i, j):
        r = np.sqrt(((swapped - swapped[trials, row][:, None, :]) ** 2).sum(axis=2))
        with np.errstate(divide="ignore", over="ignore"):
            out = np.power(np.maximum(r, 1e-300) / d0, -P_EXPONENT)
        out = np.minimum(out, 1e300)
        out[trials, row] = 0.0
        rows.append(out)
    rows_i, rows_j = rows
    delta = 0.0 + (rows_i.sum(axis=1) - P[i].sum(axis=1))
    delta = delta + (rows_j.sum(axis=1) - P[j].sum(axis=1))
    # the (i, j) pair was counted twice above, in the new and in the old sums
    delta = delta - (rows_i[trials, j] - P[i, j])
    return rows_i, rows_j, delta


def maximin_subset(X: np.ndarray, m: int, seed: int | None = None, patience: int | None = None) -> np.ndarray:
    """Indices of ``m`` rows of ``X`` forming a local maximin subset (sorted).

    Trial exchanges (one point in for one out, drawn from the seeded generator independently of
    the outcomes) are scored in blocks against the current subset; the first improving one is
    applied and the rest are scored again, as if scored one at a time.
    """
    n = X.shape[0]
    if not 1 <= m <= n:
        raise ValueError(f"cannot choose {m} of {n} points")
    rng = np.random.default_rng(seed)
    chosen = rng.choice(n, size=m, replace=False)
    if m == n or m < 2:
        return np.sort(chosen)
    d0 = max(min_distance(X[chosen]), 1e-12)
    P = _powers(_distances(X), d0)
    inside = np.zeros(n, dtype=bool)
    inside[chosen] = True
    patience = patience if patience is not None else max(200, 10 * n)
    largest = max(1, BLOCK_ELEMENTS // m)
    draws = np.empty((0, 2), dtype=np.int64)
    fails = 0
    block = 1
    members, others = np.flatnonzero(inside), np.flatnonzero(~inside)
    while fails < patience:
        size = min(block, patience - fails)
        if draws.shape[0] < size:
            fresh = rng.integers(0, np.tile([m, n - m], max(size, 256)))
            draws = np.concatenate([draws, fresh.reshape(-1, 2)])
        a_pos, b_pos = draws[:size].T
        a, b = members[a_pos], others[b_pos]
        keep = np.ones((size, m), dtype=bool)
        keep[np.arange(size), a_pos] = False
        rest = np.broadcast_to(members, (size, m))[keep].reshape(size, m - 1)
        delta = P[b[:, None], rest].sum(axis=1) - P[a[:, None], rest].sum(axis=1)
        better = np.flatnonzero(delta < 0.0)
        if better.size == 0:
            fails += size
            draws = draws[size:]
            block = min(2 * block, largest)
            continue
        t = int(better[0])
        inside[a[t]] = False
        inside[b[t]] = True
        members, others = np.flatnonzero(inside), np.flatnonzero(~inside)
        fails = 0
        draws = draws[t + 1 :]
        block = max(1, block // 2)
    return np.flatnonzero(inside)


def scale(U: np.ndarray | Tensor, bounds: Tensor) -> Tensor:
    """Map points from ``[0, 1]^d`` to the box ``bounds`` (``2 x d``)."""
    U = torch.as_tensor(U, dtype=DTYPE)
    lb, ub = bounds[0].to(DTYPE), bounds[1].to(DTYPE)
    return lb + U * (ub - lb)


def unscale(X: Tensor, bounds: Tensor) -> Tensor:
    """Map points from the box ``bounds`` to ``[0, 1]^d``."""
    lb, ub = bounds[0].to(X.dtype), bounds[1].to(X.dtype)
    return (X - lb) / (ub - lb)


def nested_design(bounds: Tensor, sizes: Sequence[int], seed: int | None = None) -> list[Tensor]:
    """Nested maximin designs, one per fidelity ordered by level (cheapest first).

    ``sizes`` must be non-increasing; the points of each level are a maximin subset of the points
    of the level before it (``X_h ⊆ X_l``). Returns ``n_k x d`` tensors in the box's units.
    """
    sizes = [int(s) for s in sizes]
    if not sizes or any(s < 1 for s in sizes):
        raise ValueError(f"every fidelity needs at least one initial point, got {sizes}")
    if any(a < b for a, b in itertools.pairwise(sizes)):
        raise ValueError(f"nested designs need non-increasing sizes from cheap to expensive, got {sizes}")
    bounds = torch.as_tensor(bounds, dtype=DTYPE)
    rng = np.random.default_rng(seed)
    U = maximin_lhs(sizes[0], int(bounds.shape[1]), seed=int(rng.integers(2**31)))
    designs = [U]
    for size in sizes[1:]:
        previous = designs[-1]
        idx = maximin_subset(previous, size, seed=int(rng.integers(2**31)))
        designs.append(previous[idx])
    return [scale(U_k, bounds) for U_k in designs]


def lhs(n: int, bounds: Tensor, seed: int | None = None) -> Tensor:
    """A plain (not optimised) Latin hypercube of ``n`` points in the box, e.g. for test sets."""
    bounds = torch.as_tensor(bounds, dtype=DTYPE)
    U = qmc.LatinHypercube(d=int(bounds.shape[1]), seed=np.random.default_rng(seed)).random(n)
    return scale(U, bounds)
