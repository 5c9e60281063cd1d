"""Closed-form leave-one-out cross-validation of Kriging, and hyperparameter selection by it.

The likelihood of a Gaussian correlation often has several local optima, and the best one is not
always the one that predicts best: on AugmentedHartmannH6 (d = 6, n = 50) maximum likelihood
switches some dimensions off (``θ`` at its lower bound) and makes others very rough, while a
local optimum of slightly lower likelihood predicts far better (see docs/surrogates.md, section
"Hyperparameter selection by leave-one-out"). Cross-validation estimates the prediction error
directly and is the more robust criterion when the covariance model is misspecified (Bachoc 2013,
"Cross validation and maximum likelihood estimations of hyper-parameters of Gaussian processes
with model misspecification", CSDA 66); Rasmussen & Williams (2006, §5.4.2) give the closed form
of the leave-one-out predictions of a GP from one factorisation of the covariance.

With ordinary Kriging's generalised-least-squares mean the closed form must also re-estimate
``β`` without the left-out point (Dubrule 1983, "Cross validation of kriging in a unique
neighborhood", Math. Geol. 15): with ``K = R + λI`` (the correlation of the observations) and
regressors ``F``,

    Q = K⁻¹ - K⁻¹F (FᵀK⁻¹F)⁻¹ FᵀK⁻¹,    y_i - ŷ_{-i} = (Q y)_i / Q_ii,

and ``Q y = K⁻¹(y - Fβ̂) = α``, the vector the likelihood's GLS fit already has. The residuals are
those of refitting the model without point ``i`` at the same hyperparameters (the test checks it
by ``n`` refits). It is written here by hand rather than taken from a library because it needs the
factor of exactly the covariance the concentrated likelihood uses (the same ``θ``, ``p``, nugget or
fixed noise, floored exponents and jitter, batched over starts and datasets): one Cholesky factor
per candidate, ``O(n³)`` like one likelihood evaluation.

Selection (:func:`loo_first`): among the ends of the multi-start likelihood search (the distinct
local optima it found, including the one reached from the best isotropic start, which always
starts), the one with the smallest leave-one-out mean squared error; candidates within
:data:`LOO_TIE` of that smallest error (relative) are ties, and the one of highest likelihood wins.
"""

from __future__ import annotations

import torch
from torch import Tensor

from mfopt_surrogates._kriging_core import safe_cholesky
from mfopt_surrogates._likelihood import CHUNK_ELEMENTS, Problem, chol_solve, correlation_of

#: Leave-one-out errors within this relative margin of the smallest are ties (the higher likelihood
#: wins): a mean of ``n`` squared residuals does not resolve a few per cent. Chosen among 1, 5 and
#: 10 % on benchmarks/kriging_selection.py's cases (10 repetitions each): 1 % picked rougher optima
#: of lower likelihood on LiuStyblinskiTang at n = 25 (median test correlation 0.213 against the
#: likelihood's 0.248), 10 % gave back part of the gain on AugmentedHartmannH6 at n = 50 (0.541
#: against 0.640 with 5 %); see docs/surrogates.md.
LOO_TIE = 0.05


def loo_residuals(L: Tensor, y: Tensor, F: Tensor) -> Tensor:
    """Leave-one-out residuals ``y_i - ŷ_{-i}`` (``m x n``) of the GLS model ``y = Fβ + ε``,
    ``Cov ε ∝ K = L Lᵀ`` (``L``: ``m x n x n``, ``y``: ``m x n``, ``F``: ``m x n x r``), ``β``
    re-estimated without point ``i`` (Dubrule 1983)."""
    n = y.shape[-1]
    eye = torch.eye(n, dtype=L.dtype, device=L.device).expand(L.shape)
    Kinv = chol_solve(L, eye)
    KinvF = Kinv @ F
    A = F.transpose(-1, -2) @ KinvF
    correction = KinvF @ torch.linalg.solve(A, KinvF.transpose(-1, -2))
    Q = Kinv - correction
    return (Q @ y.unsqueeze(-1)).squeeze(-1) / Q.diagonal(dim1=-2, dim2=-1)


def correlation_matrix(problem: Problem, params: Tensor, data_idx: Tensor) -> Tensor:
    """The correlation of the observations ``K = R + λI`` (``m x n x n``) at the parameter rows
    ``params`` (``m x P``) for the datasets ``data_idx``, as :meth:`Problem.nll` builds it (``λ``:
    the learned nugget ratio, or the fixed noise variance over the parameter ``σ²``, else 0)."""
    h, p, g = problem.split(params)
    n = problem.dist.n
    R = correlation_of(problem.dist.exponent(-torch.pow(10.0, h), p, data_idx)).reshape(-1, n, n)
    if g is not None:
        lam = torch.pow(10.0, g)
        if problem.noise_variance is not None:
            lam = problem.noise_variance[data_idx] / lam
        R = R + torch.diag_embed(lam.unsqueeze(-1).expand(-1, n))
    return R


def loo_mse(problem: Problem, params: Tensor, data_idx: Tensor) -> Tensor:
    """Leave-one-out mean squared error (``m``, the problem's scaled output units) of Kriging with
    the parameter rows ``params`` (``m x P``) on the datasets ``data_idx``, in chunks."""
    if problem.slope_bounds is not None:
        raise ValueError("leave-one-out selection needs an unconstrained GLS mean (no clipped slope)")
    chunk = max(1, CHUNK_ELEMENTS // (problem.dist.n**2))
    out = []
    with torch.no_grad():
        for i in range(0, len(params), chunk):
            idx = data_idx[i : i + chunk]
            L, _ = safe_cholesky(correlation_matrix(problem, params[i : i + chunk], idx))
            e = loo_residuals(L, problem.y[idx], problem.F[idx])
            out.append((e * e).mean(-1))
    return torch.cat(out)


def loo_first(problem: Problem, ends: Tensor, values: Tensor) -> Tensor:
    """``values`` (``S x B``, the negative log-likelihoods of the search's ends ``S x B x P``) with
    each dataset's leave-one-out choice set to the lowest finite float, so that ranking by value
    (:func:`~mfopt_surrogates._likelihood.local_optima`) puts it first and the other optima after
    it in likelihood order.

    The choice: the end of smallest leave-one-out MSE; ends within :data:`LOO_TIE` (relative) of
    it are ties, won by the lowest negative log-likelihood. Ends with a non-finite likelihood or
    error are never chosen unless every end has one (then the likelihood order stands).
    """
    S, B, P = ends.shape
    data_idx = torch.arange(B, device=ends.device).repeat(S)
    mse = loo_mse(problem, ends.reshape(-1, P), data_idx).reshape(S, B)
    inf = torch.full_like(mse, float("inf"))
    mse = torch.where(torch.isfinite(mse) & torch.isfinite(values), mse, inf)
    near = mse <= mse.min(0, keepdim=True).values * (1.0 + LOO_TIE)
    chosen = torch.where(near, values, inf).nan_to_num(nan=float("inf")).argmin(0, keepdim=True)
    usable = torch.isfinite(mse.gather(0, chosen))
    ranked = values.scatter(0, chosen, torch.finfo(values.dtype).min)
    return torch.where(usable, ranked, values)
