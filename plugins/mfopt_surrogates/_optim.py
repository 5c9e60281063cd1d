"""A batched, box-constrained L-BFGS minimiser in torch with per-member convergence.

Many independent problems (every start of a multi-start search, times every dataset of a batched
fit) are minimised at once: each row of ``x`` (``M x P``) is its own problem, with its own
L-BFGS history, step length and stopping test; a row that has converged is frozen and no longer
evaluated. Because no row's arithmetic depends on another row, a member of a batched fit follows
the same path as when it is fitted alone (up to the rounding of batched linear algebra).

The method is projected L-BFGS: the quasi-Newton direction acts on the variables not held at a
bound, the step is projected back into the box and accepted by an Armijo backtracking test; a
step accepted at once is lengthened while the slope along it stays steep (:func:`_expand`). A
row stops when its projected gradient is below ``gtol``, its relative decrease below ``ftol``, no
step along the direction (or the steepest-descent fallback) decreases it, when it has plateaued
(less than ``plateau_tol`` decrease over the last ``plateau`` iterations), or after ``maxiter``.
An objective may defer its gradients (:data:`Objective`): the line search then asks only for those
of the steps it accepts.

The plateau test exists for the long tail of multi-start fits: on flat likelihood surfaces (a
correlation length running off to a bound, a Co-Kriging ρ ridge) one start in a batch keeps
making decreases just above the relative ``ftol`` for hundreds of iterations; every other row has
long stopped, yet each of its iterations costs a full (small-batch) likelihood evaluation. A
decrease of less than 1e-4 nats over 25 iterations cannot change which start wins by a margin that
matters (the study compares models by test error, the issue's batched-vs-alone tolerance is 1e-3
nats), so the row is stopped there.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

#: ``fg(x, rows) -> (f, g)``: values (``m``) of the problems ``rows`` at ``x`` (``m x P``) and their
#: gradients: a tensor (``m x P``), or a function ``g(sel)`` giving those of the positions ``sel``
#: only (``len(sel) x P``; None: all rows), so that rejected line-search steps pay no gradient.
Objective = Callable[[Tensor, Tensor], tuple[Tensor, Tensor | Callable[[Tensor | None], Tensor]]]
#: The gradients (``k x P``, NumPy) of the positions ``sel`` of an evaluation's rows.
Gradients = Callable[[np.ndarray], np.ndarray]

ARMIJO = 1e-4
MAX_BACKTRACKS = 12
#: A step accepted at its first trial is lengthened by ``EXPAND`` (at most ``MAX_EXPANSIONS`` times)
#: while the slope along it is below ``CURVATURE`` times the initial slope (Wolfe's curvature test),
#: to at most ``MAX_STEP`` in any variable.
CURVATURE = 0.9
EXPAND = 4.0
MAX_EXPANSIONS = 8
MAX_STEP = 1.0


@dataclass
class Result:
    """Minimisers (``M x P``), values (``M``), iterations taken (``M``) and whether each converged."""

    x: Tensor
    f: Tensor
    iterations: Tensor
    converged: Tensor


def _evaluate(fg: Objective, x: np.ndarray, rows: np.ndarray, like: Tensor) -> tuple[np.ndarray, Gradients]:
    """``fg`` at the rows ``x`` (NumPy, ``m x P``) on ``like``'s device: the values (non-finite ones
    become ``inf``) and the function giving the gradients of chosen positions (zero for a
    non-finite value, non-finite entries 0)."""
    xt = torch.from_numpy(x).to(device=like.device, dtype=like.dtype)
    f_t, g_t = fg(xt, torch.from_numpy(rows).to(like.device))
    if callable(g_t):
        f = f_t.detach().cpu().numpy().astype(np.float64)
        bad = ~np.isfinite(f)
        f[bad] = np.inf
        lazy = g_t

        def gradients(sel: np.ndarray) -> np.ndarray:
            every = len(sel) == len(rows)
            g = lazy(None if every else torch.from_numpy(sel).to(like.device)).detach().cpu().numpy()
            g = g.astype(np.float64)
            g[bad[sel][:, None] | ~np.isfinite(g)] = 0.0
            return g

        return f, gradients
    # values and gradients come back in ONE transfer (on a GPU each is a host synchronisation)
    fg_host = torch.cat([f_t.detach().unsqueeze(-1), g_t.detach()], -1).cpu().numpy().astype(np.float64)
    f, g = fg_host[:, 0].copy(), fg_host[:, 1:]
    bad = ~np.isfinite(f)
    f[bad] = np.inf
    g[bad[:, None] | ~np.isfinite(g)] = 0.0
    return f, lambda sel: g[sel]


def _projected(x: np.ndarray, g: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Projected gradient and the mask of variables free to move (not pushed out of the box)."""
    blocked = ((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0))
    return np.where(blocked, 0.0, g), ~blocked


def _direction(pg: np.ndarray, free: np.ndarray, S: np.ndarray, Y: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """``-H pg`` by the L-BFGS two-loop recursion (history ``S``, ``Y``: ``m x H x P``, newest last)."""
    q = pg.copy()
    Sf = S * free[:, None, :]
    Yf = Y * free[:, None, :]
    H = S.shape[1]
    alphas = []
    for i in range(H - 1, -1, -1):
        a = rho[:, i] * (Sf[:, i] * q).sum(-1)
        q = q - a[:, None] * Yf[:, i]
        alphas.append(a)
    yy = (Yf[:, -1] * Yf[:, -1]).sum(-1)
    sy = (Sf[:, -1] * Yf[:, -1]).sum(-1)
    ok = (rho[:, -1] > 0) & (yy > 0) & (sy > 0)
    gamma = np.where(ok, sy / np.maximum(yy, 1e-300), 1.0)
    r = gamma[:, None] * q
    for i, a in zip(range(H), reversed(alphas), strict=True):
        b = rho[:, i] * (Yf[:, i] * r).sum(-1)
        r = r + (a - b)[:, None] * Sf[:, i]
    d = -r * free
    descent = (d * pg).sum(-1) < 0
    return np.where(descent[:, None], d, -pg)


def _expand(
    fg: Objective,
    like: Tensor,
    idx: np.ndarray,
    xa: np.ndarray,
    fa: np.ndarray,
    ga: np.ndarray,
    d: np.ndarray,
    t: np.ndarray,
    candidates: np.ndarray,
    x_new: np.ndarray,
    f_new: np.ndarray,
    g_new: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
) -> None:
    """Lengthen the accepted steps of the rows ``candidates`` (accepted at their first trial) while
    the slope along the step is still steeper than ``CURVATURE`` times the initial one and a step
    ``EXPAND`` times longer decreases ``f`` further (Armijo); updates ``x_new``, ``f_new``, ``g_new``
    and ``t`` in place. A lengthened step moves no variable by more than ``MAX_STEP`` (a unit
    of ``log10 θ``, as the first step): a longer jump along the line can leave the start's basin
    for a worse one (a loop's warm refit ended 3 nats behind the cold fit that way).

    Backtracking alone never steps further than the quasi-Newton step: where the likelihood curves
    downwards (a ridge towards a smoother correlation), curvature pairs are rejected, the direction
    keeps the scale of the strongly curved parameters and a start crawled for hundreds of
    iterations (436 instead of SciPy's 11 on a Branin sample) -- the tail that dominated a batched fit.
    """
    step = x_new - xa
    limit = MAX_STEP / np.maximum(np.abs(d).max(-1), 1e-300)
    expanding = candidates & (t < limit) & ((g_new * step).sum(-1) < CURVATURE * (ga * step).sum(-1))
    for _ in range(MAX_EXPANSIONS):
        e_idx = expanding.nonzero()[0]
        if e_idx.size == 0:
            return
        t_try = np.minimum(t[e_idx] * EXPAND, limit[e_idx])
        trial = np.minimum(np.maximum(xa[e_idx] + t_try[:, None] * d[e_idx], lo), hi)
        moved = (trial != x_new[e_idx]).any(-1)
        ft, gradients = _evaluate(fg, trial, idx[e_idx], like)
        step = trial - xa[e_idx]
        slope = (ga[e_idx] * step).sum(-1)
        better = moved & (ft < f_new[e_idx]) & (ft <= fa[e_idx] + ARMIJO * slope)
        b_pos = better.nonzero()[0]
        steep = np.zeros_like(better)
        if b_pos.size:
            gt = gradients(b_pos)
            b_idx = e_idx[b_pos]
            x_new[b_idx], f_new[b_idx], g_new[b_idx], t[b_idx] = trial[b_pos], ft[b_pos], gt, t_try[b_pos]
            steep[b_pos] = (gt * step[b_pos]).sum(-1) < CURVATURE * slope[b_pos]
        expanding[e_idx] = better & (t_try < limit[e_idx]) & steep


def minimise(
    fg: Objective,
    x0: Tensor,
    lower: Tensor,
    upper: Tensor,
    maxiter: int = 1000,
    ftol: float = 1e-10,
    gtol: float = 1e-6,
    history: int = 10,
    plateau: int = 25,
    plateau_tol: float = 1e-4,
    xtol: float = 1e-6,
) -> Result:
    """Minimise the ``M`` problems of ``fg`` from ``x0`` (``M x P``) in the box ``[lower, upper]`` (``P``).

    ``ftol`` is relative (``(f_k - f_{k+1}) <= ftol * max(|f_k|, |f_{k+1}|, 1)``) and applies to each
    row on its own: no row's test sees another row's value. ``plateau`` (iterations, 0 = off) and
    ``plateau_tol`` (absolute decrease of ``f``) set the plateau test, also per row. A line search
    gives up (as after ``MAX_BACKTRACKS``) once its step would move no variable by more than
    ``xtol``: near a likelihood optimum at the edge of numerical positive definiteness, round-off
    makes ``f`` jitter by hundredths of a nat between points 1e-8 apart, and the backtracking
    would otherwise spend all its evaluations there.

    The objective runs in torch on ``x0``'s device; the L-BFGS bookkeeping (a few ``M x P``
    vectors, dozens of small operations per iteration) runs in NumPy float64 on the CPU, where a
    small operation costs a fraction of a torch call's overhead.
    """
    M, P = x0.shape
    lo = lower.detach().cpu().numpy().astype(np.float64)
    hi = upper.detach().cpu().numpy().astype(np.float64)
    x = np.minimum(np.maximum(x0.detach().cpu().numpy().astype(np.float64), lo), hi)
    f, gradients = _evaluate(fg, x, np.arange(M), x0)
    g = gradients(np.arange(M))
    S = np.zeros((M, history, P))
    Y = np.zeros((M, history, P))
    rho = np.zeros((M, history))
    iterations = np.zeros(M, dtype=np.int64)
    converged = np.zeros(M, dtype=bool)
    active = np.ones(M, dtype=bool)
    first = np.ones(M, dtype=bool)
    checkpoint = f.copy()  # each row's value ``plateau`` iterations ago
    for it in range(maxiter):
        idx = active.nonzero()[0]
        if idx.size == 0:
            break
        xa, fa, ga = x[idx], f[idx], g[idx]
        pg, free = _projected(xa, ga, lo, hi)
        small = np.abs(pg).max(-1) <= gtol
        d = _direction(pg, free, S[idx], Y[idx], rho[idx])
        # the first step of a row is at most 1 in its largest component (a unit in log10 θ)
        t = np.where(first[idx], 1.0 / np.maximum(np.abs(d).max(-1), 1.0), 1.0)
        x_new, f_new, g_new = xa.copy(), fa.copy(), ga.copy()
        searching = ~small
        accepted = np.zeros_like(small)
        backtracked = np.zeros_like(small)
        for _ in range(MAX_BACKTRACKS):
            s_idx = searching.nonzero()[0]
            if s_idx.size == 0:
                break
            trial = np.minimum(np.maximum(xa[s_idx] + t[s_idx, None] * d[s_idx], lo), hi)
            ft, gradients = _evaluate(fg, trial, idx[s_idx], x0)
            slope = (ga[s_idx] * (trial - xa[s_idx])).sum(-1)
            ok = ft <= fa[s_idx] + ARMIJO * slope
            ok_pos = ok.nonzero()[0]
            ok_idx = s_idx[ok_pos]
            if ok_pos.size:  # only accepted steps need their gradient
                x_new[ok_idx], f_new[ok_idx], g_new[ok_idx] = trial[ok_pos], ft[ok_pos], gradients(ok_pos)
            searching[ok_idx] = False
            accepted[ok_idx] = True
            # the minimiser of the quadratic through f(0), f'(0) and f(t), kept within [0.1 t, 0.5 t]
            rise = ft - fa[s_idx] - slope
            with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                ratio = np.where(rise > 0, -slope / np.maximum(2.0 * rise, 1e-300), 0.5)
            ratio = np.clip(np.nan_to_num(ratio, nan=0.5), 0.1, 0.5)
            t[s_idx[~ok]] *= ratio[~ok]
            backtracked[s_idx[~ok]] = True
            # a step that would move no variable by more than ``xtol`` ends the search as failed
            searching &= np.abs(t[:, None] * d).max(-1) > xtol
        _expand(fg, x0, idx, xa, fa, ga, d, t, accepted & ~backtracked, x_new, f_new, g_new, lo, hi)
        failed = ~small & ~accepted  # no acceptable step
        step = x_new - xa
        moved = ~small & ~failed
        with np.errstate(invalid="ignore"):
            decrease = fa - f_new
            flat = moved & (decrease <= ftol * np.maximum(np.maximum(np.abs(fa), np.abs(f_new)), 1.0))
        s_vec, y_vec = step, g_new - ga
        sy = (s_vec * y_vec).sum(-1)
        keep = moved & (sy > 1e-10 * np.sqrt((y_vec * y_vec).sum(-1)) * np.sqrt((s_vec * s_vec).sum(-1)))
        k_idx = idx[keep]
        S[k_idx] = np.concatenate([S[k_idx, 1:], s_vec[keep, None]], 1)
        Y[k_idx] = np.concatenate([Y[k_idx, 1:], y_vec[keep, None]], 1)
        rho[k_idx] = np.concatenate([rho[k_idx, 1:], 1.0 / np.maximum(sy[keep, None], 1e-300)], 1)
        # a failed line search with a history is retried once from steepest descent (history dropped)
        retry = failed & (np.abs(rho[idx]).sum(-1) > 0)
        S[idx[retry]], Y[idx[retry]], rho[idx[retry]] = 0.0, 0.0, 0.0
        x[idx], f[idx], g[idx] = x_new, f_new, g_new
        iterations[idx] += moved
        first[idx] = first[idx] & ~moved
        first[idx[retry]] = True
        done = small | flat | (failed & ~retry)
        converged[idx] = done
        active[idx[done]] = False
        if plateau and (it + 1) % plateau == 0:
            with np.errstate(invalid="ignore"):
                stalled = active & (checkpoint - f <= plateau_tol)
            converged |= stalled
            active &= ~stalled
            checkpoint = f.copy()
    device = x0.device
    return Result(
        torch.from_numpy(x).to(device=device, dtype=x0.dtype),
        torch.from_numpy(f).to(device=device, dtype=x0.dtype),
        torch.from_numpy(iterations).to(device),
        torch.from_numpy(converged).to(device),
    )
