"""A batched, box-constrained L-BFGS minimiser in torch with per-member convergence.

Many independent problems (every start of a multi-start search, times every dataset of a batched
fit) are minimised at once: each row of ``x`` (``M x P``) is its own problem, with its own
L-BFGS history, step length and stopping test; a row that has converged is frozen and no longer
evaluated. Because no row's arithmetic depends on another row, a member of a batched fit follows
the same path as when it is fitted alone (up to the rounding of batched linear algebra).

The method is projected L-BFGS: the quasi-Newton direction acts on the variables not held at a
bound, the step is projected back into the box and accepted by an Armijo backtracking test. A
row stops when its projected gradient is below ``gtol``, its relative decrease below ``ftol``, no
step along the direction (or the steepest-descent fallback) decreases it, when it has plateaued
(less than ``plateau_tol`` decrease over the last ``plateau`` iterations), or after ``maxiter``.

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

import torch
from torch import Tensor

#: ``fg(x, rows) -> (f, g)``: values (``m``) and gradients (``m x P``) of the problems ``rows`` at ``x`` (``m x P``).
Objective = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]

ARMIJO = 1e-4
MAX_BACKTRACKS = 12


@dataclass
class Result:
    """Minimisers (``M x P``), values (``M``), iterations taken (``M``) and whether each converged."""

    x: Tensor
    f: Tensor
    iterations: Tensor
    converged: Tensor


def _evaluate(fg: Objective, x: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
    f, g = fg(x, rows)
    bad = ~torch.isfinite(f)
    f = torch.where(bad, torch.full_like(f, float("inf")), f)
    g = torch.where(bad.unsqueeze(-1) | ~torch.isfinite(g), torch.zeros_like(g), g)
    return f, g


def _projected(x: Tensor, g: Tensor, lower: Tensor, upper: Tensor) -> tuple[Tensor, Tensor]:
    """Projected gradient and the mask of variables free to move (not pushed out of the box)."""
    blocked = ((x <= lower) & (g > 0)) | ((x >= upper) & (g < 0))
    return torch.where(blocked, torch.zeros_like(g), g), ~blocked


def _direction(pg: Tensor, free: Tensor, S: Tensor, Y: Tensor, rho: Tensor) -> Tensor:
    """``-H pg`` by the L-BFGS two-loop recursion (history ``S``, ``Y``: ``m x H x P``, newest last)."""
    q = pg.clone()
    # one view per history slot (unbind) instead of an indexing op per slot and step
    Sf = (S * free.unsqueeze(1)).unbind(1)
    Yf = (Y * free.unsqueeze(1)).unbind(1)
    rhos = rho.unbind(1)
    H = len(Sf)
    alphas = []
    for i in range(H - 1, -1, -1):
        a = rhos[i] * (Sf[i] * q).sum(-1)
        q = q - a.unsqueeze(-1) * Yf[i]
        alphas.append(a)
    yy = (Yf[-1] * Yf[-1]).sum(-1)
    sy = (Sf[-1] * Yf[-1]).sum(-1)
    gamma = torch.where((rhos[-1] > 0) & (yy > 0) & (sy > 0), sy / yy.clamp_min(1e-300), torch.ones_like(yy))
    r = gamma.unsqueeze(-1) * q
    for i, a in zip(range(H), reversed(alphas), strict=True):
        b = rhos[i] * (Yf[i] * r).sum(-1)
        r = r + (a - b).unsqueeze(-1) * Sf[i]
    d = -r * free
    descent = (d * pg).sum(-1) < 0
    return torch.where(descent.unsqueeze(-1), d, -pg)


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
    """
    M, P = x0.shape
    x = torch.minimum(torch.maximum(x0, lower), upper).clone()
    rows = torch.arange(M, device=x.device)
    f, g = _evaluate(fg, x, rows)
    S = x.new_zeros(M, history, P)
    Y = x.new_zeros(M, history, P)
    rho = x.new_zeros(M, history)
    iterations = torch.zeros(M, dtype=torch.long, device=x.device)
    converged = torch.zeros(M, dtype=torch.bool, device=x.device)
    active = torch.ones(M, dtype=torch.bool, device=x.device)
    first = torch.ones(M, dtype=torch.bool, device=x.device)
    checkpoint = f.clone()  # each row's value ``plateau`` iterations ago
    for it in range(maxiter):
        idx = active.nonzero().squeeze(-1)
        if idx.numel() == 0:
            break
        xa, fa, ga = x[idx], f[idx], g[idx]
        pg, free = _projected(xa, ga, lower, upper)
        small = pg.abs().amax(-1) <= gtol
        d = _direction(pg, free, S[idx], Y[idx], rho[idx])
        # the first step of a row is at most 1 in its largest component (a unit in log10 θ)
        t = torch.where(first[idx], (1.0 / d.abs().amax(-1).clamp_min(1.0)), torch.ones_like(fa))
        x_new, f_new, g_new = xa.clone(), fa.clone(), ga.clone()
        searching = ~small
        accepted = torch.zeros_like(small)
        for _ in range(MAX_BACKTRACKS):
            s_idx = searching.nonzero().squeeze(-1)
            if s_idx.numel() == 0:
                break
            trial = torch.minimum(torch.maximum(xa[s_idx] + t[s_idx, None] * d[s_idx], lower), upper)
            ft, gt = _evaluate(fg, trial, idx[s_idx])
            slope = (ga[s_idx] * (trial - xa[s_idx])).sum(-1)
            ok = ft <= fa[s_idx] + ARMIJO * slope
            ok_idx = s_idx[ok]
            x_new[ok_idx], f_new[ok_idx], g_new[ok_idx] = trial[ok], ft[ok], gt[ok]
            searching[ok_idx] = False
            accepted[ok_idx] = True
            # the minimiser of the quadratic through f(0), f'(0) and f(t), kept within [0.1 t, 0.5 t]
            rise = ft - fa[s_idx] - slope
            ratio = torch.where(rise > 0, -slope / (2.0 * rise).clamp_min(1e-300), torch.full_like(rise, 0.5))
            ratio = torch.nan_to_num(ratio, nan=0.5).clamp(0.1, 0.5)
            t[s_idx[~ok]] *= ratio[~ok]
            # a step that would move no variable by more than ``xtol`` ends the search as failed
            searching &= (t.unsqueeze(-1) * d).abs().amax(-1) > xtol
        failed = ~small & ~accepted  # no acceptable step
        step = x_new - xa
        moved = ~small & ~failed
        decrease = fa - f_new
        flat = moved & (decrease <= ftol * torch.maximum(torch.maximum(fa.abs(), f_new.abs()), torch.ones_like(fa)))
        s_vec, y_vec = step, g_new - ga
        sy = (s_vec * y_vec).sum(-1)
        keep = moved & (sy > 1e-10 * (y_vec * y_vec).sum(-1).sqrt() * (s_vec * s_vec).sum(-1).sqrt())
        S_a, Y_a, rho_a = S[idx], Y[idx], rho[idx]
        shifted = keep.view(-1, 1, 1)
        S[idx] = torch.where(shifted, torch.cat([S_a[:, 1:], s_vec.unsqueeze(1)], 1), S_a)
        Y[idx] = torch.where(shifted, torch.cat([Y_a[:, 1:], y_vec.unsqueeze(1)], 1), Y_a)
        new_rho = torch.cat([rho_a[:, 1:], (1.0 / sy.clamp_min(1e-300)).unsqueeze(1)], 1)
        rho[idx] = torch.where(keep.unsqueeze(-1), new_rho, rho_a)
        # a failed line search with a history is retried once from steepest descent (history dropped)
        retry = failed & (rho_a.abs().sum(-1) > 0)
        S[idx[retry]], Y[idx[retry]], rho[idx[retry]] = 0.0, 0.0, 0.0
        x[idx], f[idx], g[idx] = x_new, f_new, g_new
        iterations[idx] += moved.long()
        first[idx] = first[idx] & ~moved
        first[idx[retry]] = True
        done = small | flat | (failed & ~retry)
        converged[idx] = small | flat | (failed & ~retry)
        active[idx[done]] = False
        if plateau and (it + 1) % plateau == 0:
            stalled = active & (checkpoint - f <= plateau_tol)
            converged |= stalled
            active &= ~stalled
            checkpoint = f.clone()
    return Result(x, f, iterations, converged)
