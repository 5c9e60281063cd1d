"""Gradient-only GP surrogate (Wilke 2024, arXiv:2404.14456) as an mfopt surrogate.

A zero-mean GP with the squared-exponential (Gaussian RBF) kernel ``σ² exp(-Σ_k (x_k - x'_k)² / 2ℓ_k²)``
(``ε_k = 1 / 2ℓ_k²`` in the RBF notation) has the joint covariance of ``[f, ∂f/∂x_1..d]`` given
by GPyTorch's :class:`~gpytorch.kernels.RBFKernelGrad`, interleaved per point (row
``i·(d+1) + j``: ``j = 0`` the value, ``j = k`` the k-th derivative). A fit keeps a subset of
those rows as training observations:

- ``mode = "g"`` (default): the derivative rows of every point of every source (fidelity-blind
  gradients). Gradients are blind to a constant, so the value is predicted through the
  value–derivative cross-covariance up to a constant ``c``, fixed by the *anchors*: the target
  (HF) values. The anchors do NOT enter as value rows (they would then shape the fit); ``c`` is
  the least-squares constant ``c = mean_a (y_a - m(x_a))`` where ``m`` is the gradient-only
  posterior mean, and the reported covariance is that of the estimator's error,
  ``Cov(e(x) - ē_a, e(x') - ē_a)`` with ``e`` the gradient-conditioned residual process and ``ē_a``
  its mean over the anchors (zero at an anchor when there is one; PSD by construction).
- ``mode = "f-g"``: value and derivative rows of every source (gradient-enhanced GP).
- ``mode = "f"``: value rows of every source only (a fidelity-blind GP on stacked values).
  In ``"f"`` and ``"f-g"`` the constant mean is the GLS estimate over the value rows.

Inputs are scaled to ``[0, 1]^d`` by the bounds, outputs by the HF sample (min, range), gradients
accordingly. Hyperparameters ``log10 ℓ`` (scaled units) and the relative noise ``log10 λ``
(``C = σ²(K + λI)``) maximise the concentrated marginal likelihood (``σ²`` and the GLS constant in
closed form), by the package's multi-start SciPy L-BFGS-B on torch-autograd gradients
(:func:`~mfopt_surrogates._kriging_core.minimise_batched`), seeded Latin-hypercube starts.

The fitted model takes ``d`` inputs (``fidelity_column = False``): every source only contributes
gradients (and in ``"f"``/``"f-g"`` values) to ONE function, whose prediction is the HF
prediction; a level column would only tell acquisitions that every level predicts the same
thing. It is a hand-written BoTorch ``Model`` rather than an ``ExactGP`` because the training
observations are a row subset of a multi-output kernel and the prediction is a single output
with the anchor correction above, neither of which an ``ExactGP`` expresses.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import torch
from botorch.models.model import Model
from botorch.posteriors.gpytorch import GPyTorchPosterior
from gpytorch.distributions import MultivariateNormal
from gpytorch.kernels import RBFKernelGrad
from linear_operator.operators import DenseLinearOperator
from torch import Tensor

from mfopt import Dataset, FittedSurrogate, ModelFittingError, Surrogate
from mfopt_surrogates._kriging_core import (
    DTYPE,
    floor_variances,
    lhs_starts,
    minimise_batched,
    resolve_device,
    safe_cholesky,
)

MODES = ("g", "f-g", "f")
LOG10_LENGTHSCALE = (-1.5, 1.0)  # in scaled ([0, 1]^d) units
LOG10_NOISE = (-8.0, 0.0)  # relative to σ²
CANDIDATES = 64


class GradientsMissingError(ModelFittingError, ValueError):
    """A gradient mode was asked for but some observation has no gradient."""


def joint_covariance(X1: Tensor, X2: Tensor, lengthscale: Tensor) -> Tensor:
    """Unit-variance joint covariance of ``[f, ∇f]`` between ``X1`` (``... x n x d``) and ``X2``
    (``... x m x d``) for lengthscales ``... x d``: ``... x n(d+1) x m(d+1)``, interleaved per point.

    RBFKernelGrad runs with unit lengthscale on ``X / ℓ``, so any batch of lengthscales works;
    derivatives then are with respect to ``x/ℓ`` and the chain rule scales them by ``1/ℓ``.
    """
    batch = torch.broadcast_shapes(X1.shape[:-2], X2.shape[:-2], lengthscale.shape[:-1])
    ls = lengthscale.unsqueeze(-2)
    Z1 = (X1 / ls).expand(*batch, X1.shape[-2], X1.shape[-1])
    Z2 = (X2 / ls).expand(*batch, X2.shape[-2], X2.shape[-1])
    kernel = RBFKernelGrad().to(X1)
    kernel.lengthscale = torch.ones((), dtype=X1.dtype, device=X1.device)
    K = kernel(Z1, Z2).to_dense()
    ones = torch.ones_like(lengthscale[..., :1])
    D = torch.cat([ones, 1.0 / lengthscale], -1)  # ... x (d+1)
    D1 = D.unsqueeze(-2).expand(*batch, X1.shape[-2], D.shape[-1]).reshape(*batch, -1)
    D2 = D.unsqueeze(-2).expand(*batch, X2.shape[-2], D.shape[-1]).reshape(*batch, -1)
    return D1.unsqueeze(-1) * K * D2.unsqueeze(-2)


@dataclass(frozen=True)
class Rows:
    """Training observations: points ``X`` (``n x d``, scaled), the kept rows of the interleaved
    joint vector (``N``, long), their targets ``t`` (``N``) and which are values (``N``, bool)."""

    X: Tensor
    index: Tensor
    t: Tensor
    is_value: Tensor


def concentrated_nll(params: Tensor, rows: Rows) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """Concentrated negative log marginal likelihood for ``params`` (``... x (d+1)``:
    ``[log10 ℓ, log10 λ]``). Returns ``(nll, c, σ², L)``; ``c`` is the GLS constant of the value
    rows (0 without value rows), ``L`` the Cholesky factor of ``K + λI`` (``... x N x N``)."""
    ls, lam = 10.0 ** params[..., :-1], 10.0 ** params[..., -1]
    K = joint_covariance(rows.X, rows.X, ls)[..., rows.index, :][..., :, rows.index]
    eye = torch.eye(K.shape[-1], dtype=K.dtype, device=K.device)
    L, _ = safe_cholesky(K + lam[..., None, None] * eye)
    e = rows.is_value.to(K.dtype).expand(*K.shape[:-1])
    t = rows.t.expand(*K.shape[:-1])
    if bool(rows.is_value.any()):
        Cinv_e = torch.cholesky_solve(e.unsqueeze(-1), L).squeeze(-1)
        c = (Cinv_e * t).sum(-1) / (Cinv_e * e).sum(-1)
    else:
        c = torch.zeros(K.shape[:-2], dtype=K.dtype, device=K.device)
    z = torch.linalg.solve_triangular(L, (t - c.unsqueeze(-1) * e).unsqueeze(-1), upper=False).squeeze(-1)
    N = K.shape[-1]
    sigma2 = ((z * z).sum(-1) / N).clamp_min(1e-300)
    nll = 0.5 * N * sigma2.log() + L.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    return nll, c, sigma2, L


class GradientGP(Model):
    """The fitted GP: ``posterior(X)`` for ``X`` ``batch x q x d`` (original units) is a
    :class:`GPyTorchPosterior` over the VALUE ``f`` at the ``q`` points (mean ``batch x q x 1``).

    ``lengthscale`` (``d``), ``noise`` (relative λ), ``sigma2``, ``c``: scaled-space
    hyperparameters and constant; ``anchors``: scaled anchor points (``m x d``) for ``"g"``, else
    None; ``lower``/``span`` (``d``), ``offset``/``scale`` (scalars) undo the scaling.
    """

    _num_outputs = 1

    def __init__(
        self,
        rows: Rows,
        lengthscale: Tensor,
        noise: Tensor,
        sigma2: Tensor,
        c: Tensor,
        anchors: Tensor | None,
        lower: Tensor,
        span: Tensor,
        offset: Tensor,
        scale: Tensor,
    ) -> None:
        super().__init__()
        self.rows, self.lengthscale, self.noise, self.sigma2, self.c = rows, lengthscale, noise, sigma2, c
        self.anchors, self.lower, self.span, self.offset, self.scale = anchors, lower, span, offset, scale
        K = joint_covariance(rows.X, rows.X, lengthscale)[rows.index][:, rows.index]
        self.L, self.jitter = safe_cholesky(K + noise * torch.eye(K.shape[-1], dtype=K.dtype, device=K.device))
        resid = rows.t - c * rows.is_value.to(K.dtype)
        self.alpha = torch.cholesky_solve(resid.unsqueeze(-1), self.L).squeeze(-1)

    @property
    def num_outputs(self) -> int:
        return 1

    @property
    def batch_shape(self) -> torch.Size:
        return torch.Size()

    def scaled_moments(self, Z: Tensor) -> tuple[Tensor, Tensor]:
        """Mean ``... x q`` (without ``c``) and covariance ``... x q x q`` of the values at scaled ``Z``
        (``... x q x d``) given the training rows, in scaled units."""
        d = Z.shape[-1]
        value_rows = torch.arange(Z.shape[-2], device=Z.device) * (d + 1)
        k = joint_covariance(Z, self.rows.X, self.lengthscale)[..., value_rows, :][..., self.rows.index]
        mean = (k @ self.alpha.unsqueeze(-1)).squeeze(-1)
        prior = joint_covariance(Z, Z, self.lengthscale)[..., value_rows, :][..., value_rows]
        V = torch.linalg.solve_triangular(self.L, k.transpose(-1, -2), upper=False)
        return mean, prior - V.transpose(-1, -2) @ V

    def posterior(  # type: ignore[override]
        self,
        X: Tensor,
        output_indices: list[int] | None = None,
        observation_noise: bool | Tensor = False,
        posterior_transform: Any = None,
        **kwargs: Any,
    ) -> GPyTorchPosterior:
        Z = (X.to(self.rows.X) - self.lower) / self.span
        q = Z.shape[-2]
        if self.anchors is None:
            mean, cov = self.scaled_moments(Z)
        else:
            A = self.anchors.expand(*Z.shape[:-2], *self.anchors.shape)
            mean_all, cov_all = self.scaled_moments(torch.cat([Z, A], -2))
            m = A.shape[-2]
            T = torch.cat([torch.eye(q).to(Z), torch.full((q, m), -1.0 / m).to(Z)], -1)
            mean, cov = mean_all[..., :q], T @ cov_all @ T.transpose(-1, -2)
        cov = self.sigma2 * 0.5 * (cov + cov.transpose(-1, -2))
        mean = self.offset + self.scale * (self.c + mean)
        cov = floor_variances(cov * self.scale**2)
        posterior = GPyTorchPosterior(MultivariateNormal(mean, DenseLinearOperator(cov)))
        return posterior_transform(posterior) if posterior_transform is not None else posterior


class GradientRBF(Surrogate):
    """Gradient-only (``"g"``), gradient-enhanced (``"f-g"``) or value-only (``"f"``) Gaussian-RBF GP
    over every source in the dataset; see the module docstring. Options: ``mode``, ``n_starts``
    (L-BFGS-B starts, 4), ``maxiter`` (200)."""

    multi_fidelity = True

    def __init__(self, device: str = "auto", seed: int = 0, mode: str = "g", n_starts: int = 4, maxiter: int = 200):
        self.device = resolve_device(device)
        self.seed = int(seed)
        if mode not in MODES:
            raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
        if int(n_starts) < 1 or int(maxiter) < 1:
            raise ValueError("n_starts and maxiter must be positive integers")
        self.mode, self.n_starts, self.maxiter = mode, int(n_starts), int(maxiter)
        self.needs_gradients = mode != "f"

    def _rows(self, data: Dataset, lower: Tensor, span: Tensor, offset: Tensor, scale: Tensor) -> Rows:
        """Stack every source's points and the rows ``mode`` keeps (scaled)."""
        d = data.dim
        Xs, idx, ts, vals = [], [], [], []
        n = 0
        for f in data.fidelities:
            X, y = data.tensors(f.name, device=self.device)
            if X.shape[0] == 0:
                continue
            blocks = []
            if self.mode != "g":
                blocks.append(((y - offset) / scale).unsqueeze(-1))
            if self.mode != "f":
                G = data.gradients(f.name, device=self.device)
                if G is None:
                    raise GradientsMissingError(
                        f"gradient-rbf mode {self.mode!r} needs a gradient at every observation, but fidelity "
                        f"{f.name!r} has observations without one (use a problem with gradients, or mode 'f')"
                    )
                blocks.append(G * span / scale)
            Xs.append((X - lower) / span)
            local = ([0] if self.mode != "g" else []) + ([*range(1, d + 1)] if self.mode != "f" else [])
            cols = torch.tensor(local, device=self.device)
            idx.append(((torch.arange(X.shape[0], device=self.device) + n) * (d + 1)).unsqueeze(-1) + cols)
            ts.append(torch.cat(blocks, -1))
            vals.append((cols == 0).expand(X.shape[0], -1))
            n += X.shape[0]
        if not Xs:
            raise ModelFittingError("gradient-rbf: the dataset has no successful observations")
        return Rows(torch.cat(Xs), torch.cat(idx).reshape(-1), torch.cat(ts).reshape(-1), torch.cat(vals).reshape(-1))

    def fit(self, data: Dataset) -> FittedSurrogate:
        start = time.perf_counter()
        target = data.target
        Xh, yh = data.tensors(target.name, device=self.device)
        if yh.numel() < 1:
            raise ModelFittingError(f"gradient-rbf needs at least one value of the target {target.name!r} as anchor")
        if not bool(torch.isfinite(yh).all()):
            raise ModelFittingError("gradient-rbf: target values contain NaN or infinite values")
        bounds = data.bounds.to(self.device)
        lower, span = bounds[0], bounds[1] - bounds[0]
        offset = yh.min()
        rng = yh.max() - offset
        scale = rng if float(rng) > 1e-12 * max(1.0, abs(float(offset))) else torch.ones_like(rng)
        rows = self._rows(data, lower, span, offset, scale)
        if not bool(torch.isfinite(rows.t).all()):
            raise ModelFittingError("gradient-rbf: training values or gradients contain NaN or infinite values")
        d = data.dim
        lo = torch.tensor([LOG10_LENGTHSCALE[0]] * d + [LOG10_NOISE[0]], dtype=DTYPE, device=self.device)
        hi = torch.tensor([LOG10_LENGTHSCALE[1]] * d + [LOG10_NOISE[1]], dtype=DTYPE, device=self.device)
        candidates = lhs_starts(CANDIDATES, lo, hi, self.seed).unsqueeze(1)
        best, nll = minimise_batched(
            lambda p: concentrated_nll(p, rows)[0], candidates, lo, hi, self.n_starts, self.maxiter
        )
        best = best[0].detach()
        with torch.no_grad():
            _, c, sigma2, _ = concentrated_nll(best, rows)
            ls, lam = 10.0 ** best[:-1], 10.0 ** best[-1]
            anchors = (Xh - lower) / span if self.mode == "g" else None
            model = GradientGP(rows, ls, lam, sigma2, c, anchors, lower, span, offset, scale)
            if anchors is not None:  # c = mean residual of the anchors (module docstring)
                m, _ = model.scaled_moments(anchors)
                model.c = (((yh - offset) / scale) - m).mean()
        seconds = time.perf_counter() - start
        lengthscale = ls * span
        info = {
            "fit_seconds": seconds,
            "mode": self.mode,
            "lengthscale": lengthscale.tolist(),
            "epsilon": (0.5 / lengthscale**2).tolist(),
            "outputscale": float(sigma2 * scale**2),
            "noise": float(lam * sigma2 * scale**2),
            "constant": float(offset + scale * model.c),
            "anchors": int(yh.numel()) if self.mode == "g" else 0,
            "rows": int(rows.index.numel()),
            "neg_log_likelihood": float(nll[0]),
            "jitter": float(model.jitter),
            "sources": [f.name for f in data.fidelities if data.counts()[f.name] > 0],
            "device": str(self.device),
        }
        levels = {f.name: f.level for f in data.fidelities}
        return FittedSurrogate(model, target.name, levels, False, info)
