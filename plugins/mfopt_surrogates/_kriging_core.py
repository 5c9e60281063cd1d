"""Correlation, Cholesky and the SciPy multi-start search shared by the surrogates
(Jones 2001; Forrester, Sóbester & Keane 2007).

Everything works on scaled data (inputs in ``[0, 1]^d``, outputs scaled by the HF sample range)
and is batched: a leading ``batch`` shape broadcasts through every function. The Kriging and
Co-Kriging likelihood and its batched optimiser live in :mod:`mfopt_surrogates._likelihood`;
:func:`minimise_batched` (one SciPy L-BFGS-B run over stacked independent problems) serves the
gradient-only RBF surrogate.
"""

from __future__ import annotations

from collections.abc import Callable

import gpytorch
import numpy as np
import torch
from scipy.optimize import minimize
from scipy.stats import qmc
from torch import Tensor

DTYPE = torch.float64
#: Jitters tried (relative to the unit diagonal of a correlation matrix) when Cholesky fails.
JITTERS = (1e-12, 1e-10, 1e-8, 1e-6, 1e-4)
#: The objective value given to a start whose likelihood is not finite (its gradient is zero).
PENALTY = 1e10
MIN_VARIANCE = 1e-300
#: Objective values closer than this to the best are ties (see :func:`minimise_batched`).
TIE = 1e-6


def resolve_device(device: str | torch.device = "auto") -> torch.device:
    """``"auto"`` -> CUDA when available, else CPU; anything else is passed to ``torch.device``."""
    if isinstance(device, torch.device):
        return device
    if device == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device must be 'auto', 'cpu' or 'cuda', got {device!r}")
    return torch.device(device)


def correlation(X1: Tensor, X2: Tensor, h: Tensor, p: Tensor) -> Tensor:
    """Power-exponential correlation ``exp(-Σ_k 10^h_k |x1_k - x2_k|^p_k)``.

    ``X1``: ``... x n x d``, ``X2``: ``... x m x d``, ``h``, ``p``: ``... x d`` -> ``... x n x m``.
    ``|0|^p`` is defined as 0 with zero gradient (so the diagonal does not poison ``∂/∂p``). When
    every ``p_k`` is 2 (the Gaussian default) the squared differences are summed one dimension at a
    time, so no ``... x n x m x d`` tensor is built (the study's predictions of 20000 points at
    d = 20 spent most of their time building it).
    """
    if not p.requires_grad and bool((p == 2.0).all()):
        return _gaussian(X1, X2, torch.pow(10.0, h))
    diff = X1.unsqueeze(-2) - X2.unsqueeze(-3)
    theta = torch.pow(10.0, h).unsqueeze(-2).unsqueeze(-2)
    diff = diff.abs()
    p_ = p.unsqueeze(-2).unsqueeze(-2)
    powered = torch.where(diff > 0, diff.clamp_min(1e-300).pow(p_), torch.zeros_like(diff))
    return torch.exp(-(theta * powered).sum(-1))


def _gaussian(X1: Tensor, X2: Tensor, theta: Tensor) -> Tensor:
    """``exp(-Σ_k θ_k (x1_k - x2_k)²)`` accumulated over the ``d >= 1`` dimensions (in place unless
    autograd tracks the inputs); ``θ``: ``... x d``."""
    inplace = not (X1.requires_grad or X2.requires_grad or theta.requires_grad)

    def term(k: int) -> Tensor:
        diff = X1[..., :, k, None] - X2[..., None, :, k]
        weight = theta[..., k, None, None]
        return diff.square_().mul_(weight) if inplace else diff.square() * weight

    acc = term(0)
    for k in range(1, X1.shape[-1]):
        acc = acc.add_(term(k)) if inplace else acc + term(k)
    return acc.neg_().exp_() if inplace else torch.exp(-acc)


def safe_cholesky(C: Tensor) -> tuple[Tensor, Tensor]:
    """Cholesky factor of ``C`` (``... x n x n``) adding a jitter only to the matrices that fail.

    The jitter is relative to the mean diagonal. Returns ``(L, jitter)``, ``jitter`` of shape
    ``...`` (0 where none was needed; the last value tried where even that failed). Without
    autograd only the matrices that failed are factorised again; with it the whole batch is (a
    failed factor must not reach the backward pass, where it would turn the gradients into NaN).
    """
    L, info = torch.linalg.cholesky_ex(C)
    jitter = torch.zeros(C.shape[:-2], dtype=C.dtype, device=C.device)
    failed = info > 0
    if not bool(failed.any()):
        return L, jitter
    n = C.shape[-1]
    eye = torch.eye(n, dtype=C.dtype, device=C.device)
    if C.requires_grad:
        scale = C.diagonal(dim1=-2, dim2=-1).mean(-1).abs().clamp_min(1e-300)
        for value in JITTERS:
            jitter = torch.where(failed, torch.full_like(jitter, value), jitter)
            L, info = torch.linalg.cholesky_ex(C + (jitter * scale)[..., None, None] * eye)
            failed = info > 0
            if not bool(failed.any()):
                break
        return L, jitter
    flat_C, flat_L, flat_jitter = C.reshape(-1, n, n), L.reshape(-1, n, n), jitter.reshape(-1)
    scale = flat_C.diagonal(dim1=-2, dim2=-1).mean(-1).abs().clamp_min(1e-300)
    idx = failed.reshape(-1).nonzero().squeeze(-1)
    for value in JITTERS:
        retried, info = torch.linalg.cholesky_ex(flat_C[idx] + (value * scale[idx])[:, None, None] * eye)
        flat_L[idx], flat_jitter[idx] = retried, value
        idx = idx[info > 0]
        if idx.numel() == 0:
            break
    return flat_L.reshape(L.shape), flat_jitter.reshape(jitter.shape)


def gls_mean(L: Tensor, y: Tensor) -> tuple[Tensor, Tensor]:
    """Closed-form constant mean ``μ = 1ᵀC⁻¹y / 1ᵀC⁻¹1`` from ``L = chol(C)``; also ``1ᵀC⁻¹1``.

    ``L``: ``... x n x n``, ``y``: ``... x n`` -> two tensors of shape ``...``.
    """
    ones = torch.ones_like(y).unsqueeze(-1)
    Cinv_1 = torch.cholesky_solve(ones, L).squeeze(-1)
    denom = Cinv_1.sum(-1)
    return (Cinv_1 * y).sum(-1) / denom, denom


def lhs_starts(n_starts: int, lower: Tensor, upper: Tensor, seed: int) -> Tensor:
    """``n_starts x P`` Latin-hypercube starting points in the box ``[lower, upper]`` (``P`` each)."""
    U = qmc.LatinHypercube(d=int(lower.numel()), seed=np.random.default_rng(seed)).random(n_starts)
    U_t = torch.as_tensor(U, dtype=lower.dtype, device=lower.device)
    return lower + U_t * (upper - lower)


def minimise_batched(
    objective: Callable[[Tensor], Tensor],
    candidates: Tensor,
    lower: Tensor,
    upper: Tensor,
    n_starts: int,
    maxiter: int = 200,
    prefer: Callable[[Tensor], Tensor] | None = None,
) -> tuple[Tensor, Tensor]:
    """Minimise independent objectives from many starts in ONE L-BFGS-B run.

    ``candidates``: ``C x B x P`` (C points for each of B problems with P parameters); ``objective``
    maps such a tensor to ``C x B`` values; ``lower``/``upper``: ``P`` bounds. The candidates are
    screened in one vectorised evaluation (a cheap global phase: likelihoods have narrow basins,
    e.g. in ``ρ``) and the best ``n_starts`` of each problem start L-BFGS-B. Returns
    ``(best, value)``: the best parameters per problem, ``B x P``, and their values, ``B``.

    Likelihoods are often flat (e.g. every large θ interpolates equally well); among the ends of
    the starts within ``TIE`` of the best value, the one with the smallest ``prefer(params)``
    (``S x B``) is chosen, so the result does not hinge on where L-BFGS-B stopped on a plateau.
    The tolerance ``ftol`` is divided by the number of problems because the stopping test sees
    their sum.
    """
    with torch.no_grad():
        screen = objective(candidates)
    screen = torch.where(torch.isfinite(screen), screen, torch.full_like(screen, PENALTY))
    order = screen.argsort(0)[: min(n_starts, candidates.shape[0])]
    starts = candidates.gather(0, order.unsqueeze(-1).expand(-1, -1, candidates.shape[-1]))
    shape = starts.shape
    device = starts.device
    lo = lower.expand(shape).reshape(-1).cpu().numpy()
    hi = upper.expand(shape).reshape(-1).cpu().numpy()

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        params = torch.tensor(x, dtype=DTYPE, device=device).reshape(shape).requires_grad_(True)
        values = objective(params)
        values = torch.where(torch.isfinite(values), values, torch.full_like(values, PENALTY))
        (grad,) = torch.autograd.grad(values.sum(), params)
        grad = torch.nan_to_num(grad, nan=0.0, posinf=0.0, neginf=0.0)
        return float(values.sum().detach()), grad.reshape(-1).cpu().numpy()

    x0 = starts.reshape(-1).detach().cpu().numpy()
    result = minimize(
        fun, x0, jac=True, method="L-BFGS-B", bounds=list(zip(lo, hi, strict=True)), options={"maxiter": maxiter}
    )
    final = torch.tensor(result.x, dtype=DTYPE, device=device).reshape(shape)
    with torch.no_grad():
        values = objective(final)
        values = torch.where(torch.isfinite(values), values, torch.full_like(values, PENALTY))
    if prefer is not None:
        near = values <= values.min(0).values + TIE
        values_or_pref = torch.where(near, prefer(final) - 2 * PENALTY, values)
        best = values_or_pref.argmin(0)
    else:
        best = values.argmin(0)
    index = best.view(1, -1, 1).expand(1, shape[1], shape[2])
    return final.gather(0, index).squeeze(0), values.gather(0, best.view(1, -1)).squeeze(0)


def floor_variances(cov: Tensor) -> Tensor:
    """``cov`` (``... x q x q``) with its diagonal lifted to GPyTorch's ``min_variance`` floor.

    Round-off leaves the variances of an interpolating model at or just below zero at training
    points; GPyTorch warns about every variance under its floor. The diagonal is removed and the
    clamped one added back, so the result is exactly the floor (no rounding below it).
    """
    diag = cov.diagonal(dim1=-2, dim2=-1)
    floor = gpytorch.settings.min_variance.value(cov.dtype)
    return cov - torch.diag_embed(diag) + torch.diag_embed(diag.clamp_min(floor))
