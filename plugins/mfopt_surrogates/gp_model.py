"""A constant-mean-per-level GP with the auto-regressive (AR1) covariance, as a BoTorch ``Model``.

One class serves Kriging (a chain of one level: ``k = σ² R``) and Co-Kriging (a chain of K
levels). With ``f_0 = δ_0`` and ``f_k = ρ_k f_{k-1} + δ_k`` (independent ``δ_j ~ GP(β_j, σ_j² R_j)``)

    k((x, s), (x', t)) = Σ_{j ≤ min(s, t)} A[s, j] A[t, j] σ_j² R_j(x, x'),   A[s, j] = Π_{i=j+1..s} ρ_i,

which for two levels is Forrester et al.'s (2007) ``ρ^{s+t} σ_l² r_l + [s = t = 1] σ_b² r_b``. The mean
at level ``s`` is ``m(s) = Σ_{j ≤ s} A[s, j] β_j = f(s)ᵀβ`` (the recursive model of Le Gratiet 2014, SMT's
``MFK``: the cheap function and each difference have their own constant), so the regressors of a point
are the row ``f(s) = A[s, :]``; for Kriging ``f = 1`` and ``β`` is the constant mean ``μ``. ``β`` is the
generalised-least-squares estimate ``(FᵀC⁻¹F)⁻¹FᵀC⁻¹y`` (universal kriging). Predictions are the
closed-form kriging equations (``f(x)ᵀβ + cᵀC⁻¹(y - Fβ)``, covariance ``k(x, x') - cᵀC⁻¹c'``,
optionally plus the mean-uncertainty term ``u (FᵀC⁻¹F)⁻¹ u'ᵀ`` with ``u = f(x)ᵀ - cᵀC⁻¹F``, Jones'
``u uᵀ / 1ᵀC⁻¹1`` for Kriging).

An optional per-level observation-noise variance (a nugget) is added to the diagonal of the
training covariance only; without it the model interpolates exactly.

It is a hand-written ``Model`` rather than a GPyTorch ``ExactGP`` because GPyTorch's likelihoods
impose a minimum observation noise, whereas Kriging interpolates exactly (a jitter is added only
when a Cholesky factorisation fails, and reported).

Cost: the training covariance is factorised once. A posterior over ``batch x q`` points solves all
``batch·q`` columns against that one factor (the batch is folded into the columns, never into
copies of the factor) and forms only the ``q x q`` blocks, so observation-wise calls
(``... x 1 x D``, what BoTorch's analytic acquisitions and :meth:`FittedSurrogate.predict` use)
cost ``O(N²)`` per point and no ``q x q`` matrix over all points. ``condition_on_observations``
(``fantasize``, knowledge gradient) appends a block to the Cholesky factor,

    chol([[C, K], [Kᵀ, K']]) = [[L, 0], [Vᵀ, chol(K' - VᵀV)]],   V = L⁻¹K,

so a fantasy costs ``O(N² n')`` for ``V`` (shared by every fantasy sample of the same points) and
never refactorises ``C``; hyperparameters and the level means ``β`` are held fixed.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import dataclass
from typing import Any

import gpytorch
import torch
from botorch.models.model import FantasizeMixin, Model
from botorch.posteriors.gpytorch import GPyTorchPosterior
from gpytorch.distributions import MultivariateNormal
from linear_operator.operators import DenseLinearOperator
from torch import Tensor

from mfopt_surrogates._kriging_core import correlation, floor_variances, safe_cholesky


def broadcast_shapes(*shapes: tuple[int, ...]) -> torch.Size:
    """``torch.broadcast_shapes`` in plain Python: torch's version imports sympy (1-4 CPU s) on its
    first call, which every process paid at its first posterior."""
    ndim = max((len(s) for s in shapes), default=0)
    out = [1] * ndim
    for shape in shapes:
        for i, size in enumerate(shape, ndim - len(shape)):
            if size != 1:
                if out[i] not in (1, size):
                    raise RuntimeError(f"shapes {[tuple(s) for s in shapes]} are not broadcastable")
                out[i] = size
    return torch.Size(out)


@dataclass(frozen=True)
class AR1Params:
    """Hyperparameters of a chain of K levels (``batch`` = the model's batch shape).

    ``h``, ``p``: ``batch x K x d`` (log10 θ and exponents of each δ_j); ``sigma2``: ``batch x K``;
    ``rho``: ``batch x (K-1)`` (empty for Kriging).
    """

    h: Tensor
    p: Tensor
    sigma2: Tensor
    rho: Tensor

    @property
    def levels(self) -> int:
        return int(self.h.shape[-2])

    def coefficients(self) -> Tensor:
        """``batch x K x K`` matrix ``A[s, j] = Π_{i=j+1..s} ρ_i`` (0 for ``j > s``)."""
        K = self.levels
        rows = []
        for s in range(K):
            cols = []
            for j in range(K):
                if j > s:
                    cols.append(torch.zeros_like(self.sigma2[..., 0]))
                else:
                    cols.append(self.rho[..., j:s].prod(-1))
            rows.append(torch.stack(cols, -1))
        return torch.stack(rows, -2)

    def covariance(self, X1: Tensor, s1: Tensor, X2: Tensor, s2: Tensor) -> Tensor:
        """``k`` between ``X1`` (``... x n x d``, chain indices ``s1``: ``... x n``) and ``X2`` -> ``... x n x m``."""
        K = self.levels
        if K == 1:  # Kriging: the coefficients are all 1 (the general form multiplies by them exactly)
            return self.sigma2[..., 0, None, None] * correlation(X1, X2, self.h[..., 0, :], self.p[..., 0, :])
        A = self.coefficients()
        a1 = torch.nn.functional.one_hot(s1, K).to(A) @ A
        a2 = torch.nn.functional.one_hot(s2, K).to(A) @ A
        total = None
        for j in range(K):
            R = correlation(X1, X2, self.h[..., j, :], self.p[..., j, :])
            term = self.sigma2[..., j, None, None] * a1[..., :, None, j] * a2[..., None, :, j] * R
            total = term if total is None else total + term
        assert total is not None
        return total

    def prior_variance(self, s: Tensor) -> Tensor:
        """``k((x, s), (x, s))`` (``... x q``) for chain indices ``s``: ``Σ_j A[s, j]² σ_j²`` (``R_j(x, x) = 1``),
        the diagonal of :meth:`covariance` without forming any correlation."""
        K = self.levels
        if K == 1:
            return self.sigma2[..., 0, None].expand(*broadcast_shapes((*self.sigma2.shape[:-1], 1), s.shape))
        a = torch.nn.functional.one_hot(s, K).to(self.sigma2) @ self.coefficients()
        total = None
        for j in range(K):
            term = self.sigma2[..., j, None] * a[..., :, j] * a[..., :, j]
            total = term if total is None else total + term
        assert total is not None
        return total

    def select(self, index: int) -> AR1Params:
        """The parameters of one member of a batch of shape ``B``."""
        return AR1Params(self.h[index], self.p[index], self.sigma2[index], self.rho[index])


class _KrigingPoint(torch.autograd.Function):
    """Scaled posterior mean and variance of single points (``... x 1 x d`` -> ``... x 1`` twice)
    under an unbatched Gaussian (``p = 2``) Kriging model, with the gradient in closed form.

    With ``k_j = σ² exp(-Σ_l θ_l (X_jl - x_l)²)``, ``z = L⁻¹k``: ``mean = μ + zᵀw``, ``var = σ² - zᵀz``,
    and ``∂/∂x_l = Σ_j (g_mean α_j - 2 g_var b_j) k_j 2θ_l (X_jl - x_l)`` with ``α = L⁻ᵀw`` (fixed per
    model) and ``b = L⁻ᵀz``: one triangular solve instead of autograd's graph of the kernel, the
    solve and the sums (an acquisition optimiser evaluates this dozens of times per proposal).
    """

    @staticmethod
    def forward(ctx: Any, xs: Tensor, model: AR1GP) -> tuple[Tensor, Tensor]:  # type: ignore[override]
        d = xs.shape[-1]
        x = xs.reshape(-1, d)
        theta = torch.pow(10.0, model.params.h[0])
        sigma2 = model.params.sigma2[0]
        diff = model.train_X.unsqueeze(-2) - x.unsqueeze(-3)  # n x N x d
        k = sigma2 * torch.exp(-(theta * (diff * diff)).sum(-1))  # n x N
        z = torch.linalg.solve_triangular(model.L, k, upper=False)
        mean = model.beta[0] + (z * model.w.unsqueeze(-1)).sum(-2)
        var = sigma2 - (z * z).sum(-2)
        ctx.model, ctx.theta, ctx.shape = model, theta, xs.shape
        ctx.save_for_backward(diff, k, z)
        return mean.reshape(xs.shape[:-1]), var.reshape(xs.shape[:-1])

    @staticmethod
    def backward(ctx: Any, g_mean: Tensor, g_var: Tensor) -> tuple[Tensor, None]:  # type: ignore[override]
        diff, k, z = ctx.saved_tensors
        model = ctx.model
        b = torch.linalg.solve_triangular(model.L.transpose(-1, -2), z, upper=True)
        weight = (model.alpha().unsqueeze(-1) * g_mean.reshape(1, -1) - 2.0 * b * g_var.reshape(1, -1)) * k
        grad = 2.0 * ctx.theta * (weight.unsqueeze(-1) * diff).sum(-3)  # N x d
        return grad.reshape(ctx.shape), None


@dataclass(frozen=True)
class Block:
    """Observations appended by conditioning: points ``X`` (``... x m x d``, scaled), chain indices
    ``s``, the off-diagonal parts ``Z`` (``Z[j] = L_jj⁻¹(K_j,new - ...)``, one per earlier block, the
    base first) and the diagonal factor ``L`` (``... x m x m``); ``w = L⁻¹(...)`` of the centred
    outputs (``... x m``) and ``o`` of the regressors (``... x m x K``)."""

    X: Tensor
    s: Tensor
    Z: tuple[Tensor, ...]
    L: Tensor
    w: Tensor
    o: Tensor


class AR1GP(Model, FantasizeMixin):
    """AR1 GP over ``(x, level)`` in original units, exact (or with a per-level nugget).

    ``train_X``: ``batch x n x d`` scaled to ``[0, 1]^d``; ``train_s``: ``batch x n`` chain
    indices; ``train_y``: ``batch x n`` scaled outputs. ``lower``/``span``: ``batch x 1 x d``
    input scaling; ``offset``/``scale``: ``batch`` output scaling (``y = offset + scale·y_s``).
    ``chain_levels``: the fidelity level of each chain index (``None`` for a single-fidelity model,
    which takes ``d`` inputs; otherwise the model takes ``d + 1``, the last the level).
    ``beta``: the means of ``δ_0 .. δ_{K-1}`` (``batch x K``, scaled units; the GLS estimate when
    None). ``noise``: observation-noise variance of each level (``batch x K`` or broadcastable,
    scaled units), added to the training diagonal; None = exact interpolation.
    """

    _num_outputs = 1

    def __init__(
        self,
        params: AR1Params,
        train_X: Tensor,
        train_s: Tensor,
        train_y: Tensor,
        lower: Tensor,
        span: Tensor,
        offset: Tensor,
        scale: Tensor,
        chain_levels: tuple[float, ...] | None = None,
        beta: Tensor | None = None,
        mean_uncertainty: bool = False,
        noise: Tensor | None = None,
    ) -> None:
        super().__init__()
        self.params = params
        self.train_X, self.train_s, self.train_y = train_X, train_s, train_y
        self.lower, self.span, self.offset, self.scale = lower, span, offset, scale
        self.chain_levels = chain_levels
        self.mean_uncertainty = mean_uncertainty
        self.likelihood = None  # no GPyTorch likelihood: FantasizeMixin looks for a fixed-noise one
        batch, K = train_y.shape[:-1], params.levels
        self.noise = None if noise is None else noise.to(train_y).expand(*batch, K)
        C = params.covariance(train_X, train_s, train_X, train_s) + self._noise_diagonal(train_s)
        self.L, self.jitter = safe_cholesky(C)
        self.o = torch.linalg.solve_triangular(self.L, self.regressors(train_s), upper=False)
        w0 = torch.linalg.solve_triangular(self.L, train_y.unsqueeze(-1), upper=False)
        #: ``FᵀC⁻¹F`` (``batch x K x K``): the precision of the GLS estimate of ``β``.
        self.precision = self.o.transpose(-1, -2) @ self.o
        if beta is None:
            beta = torch.linalg.solve(self.precision, self.o.transpose(-1, -2) @ w0).squeeze(-1)
        self.beta = beta
        self.w = (w0 - self.o @ beta.unsqueeze(-1)).squeeze(-1)
        self.blocks: tuple[Block, ...] = ()
        self._alpha: Tensor | None = None
        #: single points take :class:`_KrigingPoint`: an unbatched one-level Gaussian model
        #: without the mean-uncertainty term or conditioned blocks (checked again per call)
        self._point_fast_path = K == 1 and train_y.dim() == 1 and not mean_uncertainty and bool((params.p == 2.0).all())

    def alpha(self) -> Tensor:
        """``C⁻¹(y - Fβ) = L⁻ᵀw`` (``batch x n``), computed once."""
        if self._alpha is None:
            self._alpha = torch.linalg.solve_triangular(
                self.L.transpose(-1, -2), self.w.unsqueeze(-1), upper=True
            ).squeeze(-1)
        return self._alpha

    @property
    def mu(self) -> Tensor:
        """The level means ``β`` (``batch x K``; for Kriging the constant mean, ``batch x 1``)."""
        return self.beta

    @property
    def num_outputs(self) -> int:
        return 1

    @property
    def batch_shape(self) -> torch.Size:
        return broadcast_shapes(self.train_y.shape[:-1], *(b.w.shape[:-1] for b in self.blocks))

    def regressors(self, s: Tensor) -> Tensor:
        """``f(s) = A[s, :]`` (``... x n x K``) for chain indices ``s`` (``... x n``): the mean is ``f(s)ᵀβ``."""
        A = self.params.coefficients()
        return torch.nn.functional.one_hot(s, self.params.levels).to(A) @ A

    def level_means(self) -> Tensor:
        """The prior mean of each level, ``A β`` (``batch x K``, scaled units)."""
        return (self.params.coefficients() @ self.beta.unsqueeze(-1)).squeeze(-1)

    def _noise_diagonal(self, s: Tensor) -> Tensor | float:
        """``diag(noise[s])`` (``... x n x n``) for chain indices ``s``, or 0 without noise."""
        if self.noise is None:
            return 0.0
        onehot = torch.nn.functional.one_hot(s, self.params.levels).to(self.noise)
        return torch.diag_embed((onehot * self.noise.unsqueeze(-2)).sum(-1))

    def split_inputs(self, X: Tensor) -> tuple[Tensor, Tensor]:
        """Scaled inputs ``... x q x d`` and chain indices ``... x q`` of model inputs ``X``."""
        if self.chain_levels is None:
            x, s = X, torch.zeros(X.shape[:-1], dtype=torch.long, device=X.device)
        else:
            x, level = X[..., :-1], X[..., -1]
            levels = torch.as_tensor(self.chain_levels, dtype=X.dtype, device=X.device)
            distance, s = (level.unsqueeze(-1) - levels).abs().min(-1)
            if bool((distance > 1e-6).any()):
                bad = sorted({float(v) for v in level[distance > 1e-6].reshape(-1).tolist()})[:5]
                raise ValueError(f"fidelity levels {bad} are not in this model's chain {list(self.chain_levels)}")
        return (x - self.lower) / self.span, s

    def _base_solve(self, xs: Tensor, s: Tensor) -> Tensor:
        """``L⁻¹ k(train, x)`` for points ``xs`` (``... x q x d``) -> ``... x n x q``.

        The leading dimensions of ``xs`` beyond the model's batch shape are folded into the columns
        of ONE triangular solve against the (unexpanded) factor ``L``.
        """
        model_batch = self.train_y.shape[:-1]
        T = broadcast_shapes(xs.shape[:-2], model_batch)
        q, d = xs.shape[-2], xs.shape[-1]
        xs, s = xs.expand(*T, q, d), s.expand(*T, q)
        e = len(T) - len(model_batch)
        outer, inner = T[:e], T[e:]
        order = [*range(e, len(T)), *range(e)]
        xs_cols = xs.permute(*order, len(T), len(T) + 1).reshape(*inner, -1, d)
        s_cols = s.permute(*order, len(T)).reshape(*inner, -1)
        k = self.params.covariance(self.train_X, self.train_s, xs_cols, s_cols)
        z = torch.linalg.solve_triangular(self.L.expand(*inner, -1, -1), k, upper=False)
        n = z.shape[-2]
        z = z.reshape(*inner, n, *outer, q)
        b = len(inner)
        back = [*range(b + 1, b + 1 + e), *range(b), b, b + 1 + e]
        return z.permute(*back)

    def _solve(self, xs: Tensor, s: Tensor) -> list[Tensor]:
        """The columns ``z_j`` (``... x n_j x q``) of ``L_all⁻¹ k(train_all, x)``, one per block."""
        zs = [self._base_solve(xs, s)]
        for block in self.blocks:
            k = self.params.covariance(block.X, block.s, xs, s)
            for Zj, zj in zip(block.Z, zs, strict=True):
                k = k - Zj.transpose(-1, -2) @ zj
            zs.append(torch.linalg.solve_triangular(block.L, k, upper=False))
        return zs

    def _weights(self) -> tuple[list[Tensor], list[Tensor]]:
        return [self.w, *(b.w for b in self.blocks)], [self.o, *(b.o for b in self.blocks)]

    def _prior_mean(self, s: Tensor) -> Tensor:
        """``f(s)ᵀβ`` (``... x q``) for chain indices ``s``."""
        if self.params.levels == 1:  # Kriging: f = 1, the mean is μ
            return self.beta.expand(*broadcast_shapes((*self.beta.shape[:-1], 1), s.shape))
        return (self.regressors(s) * self.beta.unsqueeze(-2)).sum(-1)

    def _moments(self, X: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """Scaled posterior mean ``... x q`` and covariance ``... x q x q``; chain indices ``... x q``."""
        xs, s = self.split_inputs(X.to(self.train_X))
        # one point per batch (analytic acquisitions): its prior variance, no correlation formed
        single = xs.shape[-2] == 1
        if single and self._point_fast_path and not self.blocks:
            mean, var = _KrigingPoint.apply(xs, self)
            return mean, var.unsqueeze(-1), s
        zs = self._solve(xs, s)
        ws, os = self._weights()
        mean = self._prior_mean(s)
        cov = self.params.prior_variance(s).unsqueeze(-1) if single else self.params.covariance(xs, s, xs, s)
        for z, w in zip(zs, ws, strict=True):
            mean = mean + (z * w.unsqueeze(-1)).sum(-2)
            cov = cov - z.transpose(-1, -2) @ z
        if self.mean_uncertainty:
            u = self.regressors(s) - functools.reduce(
                torch.add, [z.transpose(-1, -2) @ o for z, o in zip(zs, os, strict=True)]
            )
            precision = functools.reduce(torch.add, [o.transpose(-1, -2) @ o for o in os])
            cov = cov + u @ torch.linalg.solve(precision.unsqueeze(-3), u.unsqueeze(-1)).squeeze(-1).transpose(-1, -2)
        return mean, cov if single else 0.5 * (cov + cov.transpose(-1, -2)), s

    def posterior(  # type: ignore[override]  # FantasizeMixin declares a narrower signature
        self,
        X: Tensor,
        output_indices: list[int] | None = None,
        observation_noise: bool | Tensor = False,
        posterior_transform: Any = None,
        **kwargs: Any,
    ) -> GPyTorchPosterior:
        """Joint posterior over the ``q`` points of each batch of ``X`` (``batch x q x D``), original units.

        ``observation_noise=True`` adds the model's noise of each point's level to the variances (a
        tensor ``... x q x 1`` adds that variance, original units).
        """
        mean, cov, s = self._moments(X)
        if isinstance(observation_noise, bool) and observation_noise:
            cov = cov + self._noise_diagonal(s)
        scale = self.scale.unsqueeze(-1)
        mean = self.offset.unsqueeze(-1) + scale * mean
        cov = cov * scale.unsqueeze(-1) ** 2
        if isinstance(observation_noise, Tensor):
            cov = cov + torch.diag_embed(observation_noise.squeeze(-1).to(cov))
        if cov.shape[-1] == 1:  # floor_variances of a 1 x 1 matrix, the same operations without the diag_embeds
            floor = gpytorch.settings.min_variance.value(cov.dtype)
            cov = cov - cov + cov.clamp_min(floor)
        else:
            cov = floor_variances(cov)
        posterior = GPyTorchPosterior(MultivariateNormal(mean, DenseLinearOperator(cov)))
        if posterior_transform is not None:
            return posterior_transform(posterior)
        return posterior

    def mean(self, X: Tensor) -> Tensor:
        """Posterior mean only (``... x q``), original units; no covariance is formed."""
        xs, s = self.split_inputs(X.to(self.train_X))
        ws, _ = self._weights()
        mean = self._prior_mean(s)
        for z, w in zip(self._solve(xs, s), ws, strict=True):
            mean = mean + (z * w.unsqueeze(-1)).sum(-2)
        return self.offset.unsqueeze(-1) + self.scale.unsqueeze(-1) * mean

    def condition_on_observations(self, X: Tensor, Y: Tensor, **kwargs: Any) -> AR1GP:
        """A model also conditioned on ``(X, Y)`` (``batch x n' x D``, ``batch x n' x 1``, original
        units), with the same hyperparameters, level means and noise (the new values are observations
        of their level); batch shapes broadcast. The Cholesky factor grows by one block (see the
        module docstring); the existing factor is reused, not rebuilt."""
        xs, s = self.split_inputs(X.to(self.train_X))
        ys = (Y.squeeze(-1).to(self.train_y) - self.offset.unsqueeze(-1)) / self.scale.unsqueeze(-1)
        zs = self._solve(xs, s)
        ws, os = self._weights()
        S = self.params.covariance(xs, s, xs, s) + self._noise_diagonal(s)
        r = ys - self._prior_mean(s)
        F = self.regressors(s)
        for z, w, o in zip(zs, ws, os, strict=True):
            S = S - z.transpose(-1, -2) @ z
            r = r - (z * w.unsqueeze(-1)).sum(-2)
            F = F - z.transpose(-1, -2) @ o
        L, _ = safe_cholesky(0.5 * (S + S.transpose(-1, -2)))
        w_new = torch.linalg.solve_triangular(L, r.unsqueeze(-1), upper=False).squeeze(-1)
        o_new = torch.linalg.solve_triangular(L, F, upper=False)
        new = copy.copy(self)
        new.blocks = (*self.blocks, Block(xs, s, tuple(zs), L, w_new, o_new))
        return new

    def select(self, index: int) -> AR1GP:
        """Member ``index`` of a model with a one-dimensional batch shape, as its own model: the
        member's slices of the batch's factor and solves (copies, so the member does not hold the
        batch), not a second covariance and Cholesky factor per member (a tenth of a 40-member
        Co-Kriging ``fit_batch`` at d = 2)."""
        if self.blocks:
            raise ValueError("select() applies to a fitted model, not to one conditioned on new observations")
        new = copy.copy(self)
        new.params = self.params.select(index)
        sliced = ("train_X", "train_s", "train_y", "lower", "span", "offset", "scale", "L", "jitter", "o", "precision")
        for name in (*sliced, "beta", "w"):
            setattr(new, name, getattr(self, name)[index].clone())
        new.noise = None if self.noise is None else self.noise[index].clone()
        new._alpha = None if self._alpha is None else self._alpha[index].clone()
        new._point_fast_path = (
            self.params.levels == 1 and not self.mean_uncertainty and bool((new.params.p == 2.0).all())
        )
        return new
