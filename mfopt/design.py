"""Initial designs: maximin Latin hypercubes and nested maximin subsets, as in the protocol
of Andrés-Thió, Muñoz & Smith-Miles (2024, arXiv:2403.08118).

SciPy's ``qmc.LatinHypercube`` draws the random LHS; its built-in optimisers target discrepancy,
not the maximin distance the paper's protocol uses, so the small Morris–Mitchell swap optimiser
is written here. It minimises ``phi_p = sum_{i<j} (d_ij / d0)^-p`` with ``p = 50`` (Morris &
Mitchell 1995: for large ``p`` this orders designs as the maximin criterion does, ties broken by
fewer pairs at the minimum distance) and updates it in O(n) per trial swap: swap one coordinate
between two points (or, for a subset, one point in for one out), keep the swap when ``phi_p``
falls, stop after ``patience`` failures in a row (a local optimum). A trial swap changes one
coordinate of two points, so its new squared distances follow from the current ones in O(n) (not
O(n d)) and ``(d / d0)^-50`` is taken by repeated squaring of ``d^2 / d0^2``. The trials are drawn
from the seeded generator in fixed-size vectorised chunks (independent of the outcomes) and scored
in NumPy blocks against the current design (the first improving trial of a block is applied, the
rest scored again), which gives exactly the designs of scoring them one at a time
(tests/core/test_design.py checks it against that loop).

Since 2026-11-27 (the study's speed, docs/study.md) the trials are drawn as vectors instead of one
``rng.choice`` per trial and scored from squared distances: the same seed still gives the same
design, but not the design of earlier versions.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np
import torch
from scipy.stats import qmc
from torch import Tensor

from mfopt.data import DTYPE


def _squared_distances(X: np.ndarray) -> np.ndarray:
    diff = X[:, None, :] - X[None, :, :]
    return np.einsum("ijk,ijk->ij", diff, diff)


def _powers(sq: np.ndarray, d0: float) -> np.ndarray:
    """``(d / d0)^-p`` from squared distances ``sq = d^2``, as ``1 / y^(p/2)`` with ``y = sq / d0^2``
    by repeated squaring (``p = 50``: ``y^25 = y^16 y^8 y``); coincident points (``y^25`` = 0)
    count as a huge penalty (``1e300``). The diagonal is not zeroed here."""
    y = sq / (d0 * d0)
    y2 = y * y
    y8 = y2 * y2
    y8 = y8 * y8
    with np.errstate(divide="ignore", over="ignore", under="ignore"):
        out = 1.0 / (y8 * y8 * y8 * y)
    return np.minimum(out, 1e300)


def _power_matrix(X: np.ndarray, d0: float) -> np.ndarray:
    out = _powers(_squared_distances(X), d0)
    np.fill_diagonal(out, 0.0)
    return out


def min_distance(X: np.ndarray) -> float:
    """The smallest pairwise Euclidean distance of the rows of ``X`` (inf for fewer than 2)."""
    if X.shape[0] < 2:
        return float("inf")
    sq = _squared_distances(X)
    return float(np.sqrt(sq[np.triu_indices(X.shape[0], k=1)].min()))


def maximin_lhs(
    n: int, d: int, seed: int | None = None, patience: int | None = None, max_trials: int | None = None
) -> np.ndarray:
    """An ``n x d`` Latin hypercube in ``[0, 1]^d`` improved towards a local maximin optimum.

    Stops after ``patience`` failed swaps in a row or ``max_trials`` swaps in all (default
    ``max(5000, 20 n d)``). The trial swaps are drawn from the seeded generator in chunks of a
    fixed size (:func:`swap_trials`; the draws do not depend on the outcomes) and scored in blocks,
    all against the current design: the first improving swap of a block is applied and the trials
    after it are scored again, so the result is the one of scoring them one at a time, with NumPy
    doing the work of a block. In one dimension every swap leaves the set of points as it is, so
    the hypercube is returned as drawn.
    """
    if n < 1 or d < 1:
        raise ValueError(f"a design needs n >= 1 points and d >= 1 dimensions, got n={n}, d={d}")
    rng = np.random.default_rng(seed)
    X = qmc.LatinHypercube(d=d, seed=rng).random(n)
    if n < 3 or d == 1:
        return X
    patience = patience if patience is not None else max(200, 10 * n)
    d0 = max(min_distance(X), 1e-12)
    sq = _squared_distances(X)
    P = _powers(sq, d0)
    np.fill_diagonal(P, 0.0)
    max_trials = max_trials if max_trials is not None else max(5000, 20 * n * d)
    largest = max(1, BLOCK_ELEMENTS // n)
    draws = np.empty((0, 3), dtype=np.int64)
    done = fails = 0
    block = 1
    while done < max_trials and fails < patience:
        size = min(block, max_trials - done, patience - fails)
        while draws.shape[0] < size:
            draws = np.concatenate([draws, swap_trials(rng, n, d)])
        i, j, k = draws[:size].T
        delta = swap_scores(X, sq, P, i, j, k, d0)
        better = np.flatnonzero(delta < 0.0)
        if better.size == 0:
            fails += size
            done += size
            draws = draws[size:]
            block = min(2 * block, largest)
            continue
        t = int(better[0])
        apply_swap(X, sq, P, int(i[t]), int(j[t]), int(k[t]), d0)
        fails = 0
        done += t + 1
        draws = draws[t + 1 :]
        block = max(1, block // 2)
    return X


#: Largest number of array elements (trials x points) scored in one block.
BLOCK_ELEMENTS = 400_000
#: Trial swaps drawn at a time: a fixed size, so the trials are a function of the seed alone.
DRAW_CHUNK = 512


def swap_trials(rng: np.random.Generator, n: int, d: int) -> np.ndarray:
    """The next :data:`DRAW_CHUNK` trial swaps ``(i, j, k)`` of :func:`maximin_lhs`, a ``DRAW_CHUNK x 3``
    array: two distinct points ``i != j`` (uniform over the ordered pairs) and a coordinate ``k``,
    drawn as three vectors (points ``i``, then ``j`` among the other ``n - 1``, then ``k``)."""
    i = rng.integers(0, n, DRAW_CHUNK)
    j = rng.integers(0, n - 1, DRAW_CHUNK)
    j += j >= i
    k = rng.integers(0, d, DRAW_CHUNK)
    return np.stack([i, j, k], axis=1).astype(np.int64)


def swap_scores(
    X: np.ndarray, sq: np.ndarray, P: np.ndarray, i: np.ndarray, j: np.ndarray, k: np.ndarray, d0: float
) -> np.ndarray:
    """The change of ``phi_p`` for each trial swap of coordinate ``k`` between points ``i`` and ``j``
    (vectors of ``b`` trials), from the squared distances ``sq`` and powers ``P`` of ``X``.

    Only rows ``i`` and ``j`` change, and in one coordinate: the new squared distance from ``i`` to
    a point ``m`` is ``sq[i, m] - (X[i, k] - X[m, k])^2 + (X[j, k] - X[m, k])^2`` (O(n) per trial, not
    O(n d)); the distance between ``i`` and ``j`` themselves does not change, so that pair adds
    nothing to the change."""
    trials = np.arange(i.shape[0])
    column = X[:, k].T  # b x n: coordinate k of every point, per trial
    xi, xj = X[i, k][:, None], X[j, k][:, None]
    gap_i, gap_j = (xi - column) ** 2, (xj - column) ** 2
    delta = np.zeros(i.shape[0])
    for row, other, gain in ((i, j, gap_j - gap_i), (j, i, gap_i - gap_j)):
        new = _powers(sq[row] + gain, d0)
        new[trials, row] = 0.0
        new[trials, other] = P[row, other]
        delta += new.sum(axis=1) - P[row].sum(axis=1)
    return delta


def apply_swap(X: np.ndarray, sq: np.ndarray, P: np.ndarray, i: int, j: int, k: int, d0: float) -> None:
    """Swap coordinate ``k`` of points ``i`` and ``j`` in place, with rows and columns ``i`` and ``j``
    of ``sq`` and ``P`` recomputed from the coordinates (no drift from the trial formula)."""
    X[[i, j], k] = X[[j, i], k]
    for row in (i, j):
        r = ((X - X[row]) ** 2).sum(axis=1)
        sq[row, :] = r
        sq[:, row] = r
        p = _powers(r, d0)
        p[row] = 0.0
        P[row, :] = p
        P[:, row] = p


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
    P = _power_matrix(X, d0)
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
    """Map points from ``[0, 1]^d`` to the box ``bounds`` (``2 x d``), on the box's device."""
    U = torch.as_tensor(U, dtype=DTYPE, device=bounds.device)
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
