"""Initial designs: maximin Latin hypercubes and nested maximin subsets, as in the protocol
of Andrés-Thió, Muñoz & Smith-Miles (2024, arXiv:2403.08118).

SciPy's ``qmc.LatinHypercube`` draws the random LHS; its built-in optimisers target discrepancy,
not the maximin distance the paper's protocol uses, so the small Morris–Mitchell swap optimiser
is written here. It minimises ``phi_p = sum_{i<j} (d_ij / d0)^-p`` with ``p = 50`` (Morris &
Mitchell 1995: for large ``p`` this orders designs as the maximin criterion does, ties broken by
fewer pairs at the minimum distance) and updates it in O(n) per trial swap: swap one coordinate
between two points (or, for a subset, one point in for one out), keep the swap when ``phi_p``
falls, stop after ``patience`` failures in a row (a local optimum).
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
    ``max(5000, 20 n d)``, which bounds the cost of large designs at about a second).
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
    fails = 0
    for _ in range(max_trials):
        if fails >= patience:
            break
        i, j = (int(v) for v in rng.choice(n, size=2, replace=False))
        k = int(rng.integers(d))
        X[[i, j], k] = X[[j, i], k]
        rows = {}
        delta = 0.0
        for row in (i, j):
            r = _powers_row(X, row, d0)
            rows[row] = r
            delta += r.sum() - P[row].sum()
        # the (i, j) pair was counted twice above, in the new and in the old sums
        delta -= rows[i][j] - P[i, j]
        if delta < 0.0:
            for row, r in rows.items():
                P[row, :] = r
                P[:, row] = r
            fails = 0
        else:
            X[[i, j], k] = X[[j, i], k]
            fails += 1
    return X


def _powers_row(X: np.ndarray, row: int, d0: float) -> np.ndarray:
    r = np.sqrt(((X - X[row]) ** 2).sum(axis=1))
    with np.errstate(divide="ignore", over="ignore"):
        out = np.power(np.maximum(r, 1e-300) / d0, -P_EXPONENT)
    out = np.minimum(out, 1e300)
    out[row] = 0.0
    return out


def maximin_subset(X: np.ndarray, m: int, seed: int | None = None, patience: int | None = None) -> np.ndarray:
    """Indices of ``m`` rows of ``X`` forming a local maximin subset (sorted)."""
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
    fails = 0
    while fails < patience:
        a = int(rng.choice(np.flatnonzero(inside)))
        b = int(rng.choice(np.flatnonzero(~inside)))
        inside[a] = False
        delta = P[b, inside].sum() - P[a, inside].sum()
        if delta < 0.0:
            inside[b] = True
            fails = 0
        else:
            inside[a] = True
            fails += 1
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
