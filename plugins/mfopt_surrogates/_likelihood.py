"""The concentrated likelihood of Kriging and Co-Kriging and its multi-start maximisation
(Jones 2001; Forrester, Sóbester & Keane 2007).

Per fit, the per-dimension distances between the training points are computed ONCE
(:class:`Distances`): for a fixed exponent ``p`` they are ``|x_ik - x_jk|^p`` (squared for the
Gaussian default), so a correlation matrix is one matrix product ``R = exp(-D θ)`` and the
gradient of the likelihood with respect to ``θ`` another one, in closed form:

    ∂nll/∂θ_k = -½ Σ_ij (R⁻¹ - α αᵀ/σ²)_ij R_ij D_ijk,      α = R⁻¹(y - Fβ̂),

valid because ``β̂`` (the constant mean, and Co-Kriging's ``ρ``) and ``σ²`` are the likelihood's
own maximisers given ``R`` (their derivatives drop out). A learned ``p`` takes the autograd path.
Memory grows as ``n²`` per evaluated problem (``n² d`` once for the distances): problems are
evaluated in chunks of at most ``CHUNK_ELEMENTS / n²``.

The mean is generalised least squares on regressors ``F`` (``[1]`` for Kriging, ``[1, ŷ_lower]``
for Co-Kriging's difference model, whose slope ``ρ`` is then clipped to its bounds).

Two optional terms (Kriging's options; both off by default, the paper's model):

- a **prior on log θ** (:class:`LogThetaPrior`): a Gaussian on each ``ln θ_k`` adds
  ``Σ_k (ln θ_k - m)² / 2s²`` to the objective, so the optimum is the MAP estimate rather than the
  maximum-likelihood one (what BoTorch's log-normal length-scale prior does);
- a **learned nugget**: the correlation of the observations becomes ``R + λ I`` (homoscedastic
  noise of variance ``λ σ²``), ``log10 λ`` the last parameter. ``σ²`` stays in closed form, and
  ``∂nll/∂λ = ½ tr(W)`` with the same ``W = K⁻¹ - α αᵀ/σ²`` as the θ gradient;
- a **fixed noise variance** ``τ²``: the covariance is ``σ² R + τ² I``, which does not concentrate
  in ``σ²``, so ``log10 σ²`` becomes the last parameter and the full likelihood (``β`` still in
  closed form) is minimised, its gradient by autograd.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np
import torch
from scipy.stats import qmc
from torch import Tensor

from mfopt_surrogates._kriging_core import MIN_VARIANCE, safe_cholesky
from mfopt_surrogates._optim import minimise

#: Latin-hypercube candidates screened per dataset before the multi-start local search.
CANDIDATES = 128
#: Largest number of correlation-matrix entries evaluated at once (bounds the memory of a chunk).
CHUNK_ELEMENTS = 4_000_000
#: From this many points on, the local search's gradients are computed only at accepted steps
#: (see :meth:`Problem.value_then_grad`).
LAZY_GRADIENT_N = 150
#: Isotropic candidates (all log10 θ_k equal) screened besides the Latin-hypercube ones.
ISOTROPIC = 32
#: Above this many points the multi-start search runs on a subset of this size (see :func:`maximise`).
SUBSET = 200
#: The best ends of the subset search refined on all points.
REFINE = 2
#: Ends of the subset search closer than this in every parameter are one optimum (refined once).
DISTINCT = 1e-3
#: Objective values closer than this to the best are ties (the smaller θ wins, see :func:`maximise`).
TIE = 1e-6
LN10 = math.log(10.0)
#: Exponents of the correlation are floored here (``exp(-700) ≈ 1e-304``, far below round-off in
#: any Cholesky factor): below it ``exp`` underflows through subnormals, 5 to 10 times slower.
MIN_EXPONENT = -700.0


@dataclass(frozen=True)
class LogThetaPrior:
    """Independent Gaussians ``ln θ_k ~ N(mean, sd²)`` (a log-normal prior on each ``θ_k``)."""

    mean: float
    sd: float

    @classmethod
    def dimension_scaled(cls, d: int) -> LogThetaPrior:
        """BoTorch's default length-scale prior (Hvarfner, Hellsten & Nardi 2024),
        ``ln ℓ ~ N(√2 + ½ ln d, 3)`` for ``exp(-Δ²/2ℓ²)``, written for ``θ = 1/(2ℓ²)``:
        ``ln θ ~ N(-ln 2 - 2√2 - ln d, 12)``."""
        return cls(-math.log(2.0) - 2.0 * math.sqrt(2.0) - math.log(d), 2.0 * math.sqrt(3.0))

    def penalty(self, h: Tensor) -> tuple[Tensor, Tensor]:
        """``-ln p(θ)`` up to a constant, and its gradient, for ``h = log10 θ`` (``m x d``)."""
        z = (LN10 * h - self.mean) / self.sd
        return 0.5 * (z * z).sum(-1), z * (LN10 / self.sd)


#: ``ln λ ~ N(-4, 1)`` for a learned nugget under a prior: BoTorch's default noise prior (its noise is
#: relative to standardised outputs, as ``λ`` is relative to ``σ²``).
NUGGET_PRIOR = (-4.0, 1.0)


def nugget_penalty(g: Tensor) -> tuple[Tensor, Tensor]:
    """``-ln p(λ)`` up to a constant and its gradient for ``g = log10 λ`` (``m``)."""
    z = (LN10 * g - NUGGET_PRIOR[0]) / NUGGET_PRIOR[1]
    return 0.5 * z * z, z * (LN10 / NUGGET_PRIOR[1])


def aligned(D: Tensor) -> Tensor:
    """``D`` (``B x d x n²``) with each dataset's distances starting on a 64-byte boundary (padded
    slabs, a view): MKL's products sum in an order that follows the alignment of their operands, so
    a dataset's products would otherwise differ in the last bits between a batch and a fit alone."""
    B, d, n2 = D.shape
    slab = d * n2
    pad = -slab % 8
    if B == 1 or pad == 0:
        return D.contiguous()
    store = D.new_zeros(B, slab + pad)
    store[:, :slab] = D.reshape(B, slab)
    return store[:, :slab].view(B, d, n2)


@dataclass(frozen=True)
class Distances:
    """Per-dimension distances of ``B`` datasets of ``n`` points: ``D`` is ``B x d x n²``.

    ``p`` fixed: ``D = |x_ik - x_jk|^p``; ``p`` learned (None): ``D = |x_ik - x_jk|``. The
    dimension-major layout makes ``θᵀD`` and ``D G`` plain (memory-bound) matrix products.
    """

    D: Tensor
    n: int
    p: float | None

    @classmethod
    def of(cls, Xs: Tensor, p: float | None) -> Distances:
        B, n, d = Xs.shape
        diff = (Xs.transpose(-1, -2).unsqueeze(-1) - Xs.transpose(-1, -2).unsqueeze(-2)).abs().reshape(B, d, n * n)
        if p == 2.0:
            D = diff * diff
        elif p is not None:
            D = torch.where(diff > 0, diff.clamp_min(1e-300).pow(p), torch.zeros_like(diff))
        else:
            D = diff
        return cls(aligned(D), n, p)

    def rows(self, data_idx: Tensor) -> Tensor | Grouping:
        """How :meth:`exponent` and :meth:`contract` address the datasets of ``m`` rows: ``data_idx``
        itself with a learned ``p`` or off the CPU (a GPU copies ``D[data_idx]`` at memory speed, while
        the grouping's small operations and host read are what it waits on), else their
        :class:`Grouping` (one dataset included: a row's arithmetic must not depend on whether other
        datasets share its evaluation)."""
        if self.p is None or self.D.device.type != "cpu":
            return data_idx
        return Grouping.of(data_idx, self.D, row_wise=self.n >= LAZY_GRADIENT_N)

    def exponent(self, theta: Tensor, p: Tensor | None, data_idx: Tensor | Grouping) -> Tensor:
        """``Σ_k θ_k D_ijk^{p_k}`` for ``m`` rows of ``θ`` (``m x d``, any sign) -> ``m x n²``."""
        if self.p is not None:
            if not isinstance(data_idx, Grouping):
                data_idx = self.rows(data_idx)
            if isinstance(data_idx, Grouping):
                return data_idx.gather(data_idx.product(data_idx.scatter(theta), False))
            if self.D.shape[0] == 1:
                return theta @ self.D[0]
            return torch.bmm(theta.unsqueeze(1), self.D[data_idx]).squeeze(1)
        assert p is not None and not isinstance(data_idx, Grouping)
        A = self.D[0].expand(len(data_idx), -1, -1) if self.D.shape[0] == 1 else self.D[data_idx]
        powered = torch.where(A > 0, A.clamp_min(1e-300).pow(p.unsqueeze(-1)), torch.zeros_like(A))
        return (powered * theta.unsqueeze(-1)).sum(-2)

    def contract(self, G: Tensor, data_idx: Tensor | Grouping) -> Tensor:
        """``Σ_ij G_ij D_ijk`` for ``G``: ``m x n²`` -> ``m x d``."""
        if isinstance(data_idx, Grouping):
            return data_idx.gather(data_idx.product(data_idx.scatter(G), True))
        if self.D.shape[0] == 1:
            return G @ self.D[0].transpose(0, 1)
        return torch.bmm(self.D[data_idx], G.unsqueeze(-1)).squeeze(-1)


@dataclass(frozen=True)
class Grouping:
    """``m`` rows of a batched evaluation on the CPU, addressed by dataset: sorted by dataset
    (``order``, stable; None when they already are) into ``blocks`` ``(dataset, start, end)`` of the
    sorted rows, each multiplied by its own dataset's distances (``D``, ``B x d x n²``, read in place).
    From ``LAZY_GRADIENT_N`` points on the blocks are single rows (``row_wise``): a dataset's lazy
    gradients (:meth:`Problem.value_then_grad`) come from another selection of its rows than eager
    ones, and a row's product then costs far more than the call.

    A block is all of a dataset's rows in this evaluation (one row each with ``row_wise``), so a
    row's products depend only on its own dataset's rows, never on the other datasets of a batch:
    BLAS gives a row of a product bits that depend on the number of rows multiplied with it (a
    padded ``groups x width`` grid, the layout before, made a Co-Kriging stage 1 at d = 20 end 0.38
    nats apart alone and batched: ``benchmarks/study_speed.py --batch-check``). The layout is worked
    out in NumPy (a few dozen row indices: microseconds, where each torch call costs several).
    """

    order: Tensor | None
    blocks: tuple[tuple[int, int, int], ...]
    D: Tensor

    def product(self, rows: Tensor, transposed: bool) -> Tensor:
        """``rows @ D[b]`` (``k x n²``) or ``rows @ D[b]ᵀ`` (``k x d``) per block of the sorted rows."""
        D = self.D.transpose(1, 2) if transposed else self.D
        if len(self.blocks) == 1:  # one dataset's rows (a fit alone): the same product, no copy
            return torch.matmul(rows, D[self.blocks[0][0]])
        out = rows.new_empty(rows.shape[0], D.shape[-1])
        for b, s, e in self.blocks:
            # a fresh (aligned) copy of the block: BLAS's summation order follows the alignment of
            # its operands, and a block's offset in the rows depends on the other datasets' rows
            out[s:e] = torch.matmul(rows[s:e].clone() if s else rows[s:e], D[b])
        return out

    @classmethod
    def of(cls, data_idx: Tensor, D: Tensor, row_wise: bool = False) -> Grouping:
        """The grouping of the rows ``data_idx`` (on the CPU) over the datasets of ``D`` (``B x d x n²``)."""
        m = len(data_idx)
        if D.shape[0] == 1:  # a fit alone: its rows in order (no sorting, the common case one by one)
            blocks = tuple((0, i, i + 1) for i in range(m)) if row_wise else ((0, 0, m),)
            return cls(None, blocks, D)
        idx = data_idx.numpy()
        order = np.argsort(idx, kind="stable")
        in_order = bool((order == np.arange(m)).all())
        ranked = idx[order]
        if row_wise:
            blocks = tuple((b, i, i + 1) for i, b in enumerate(ranked.tolist()))
        else:
            cuts = np.flatnonzero(np.diff(ranked)) + 1
            starts, ends = np.concatenate([[0], cuts]), np.concatenate([cuts, [m]])
            blocks = tuple(zip(ranked[starts].tolist(), starts.tolist(), ends.tolist(), strict=True))
        return cls(None if in_order else torch.from_numpy(order), blocks, D)

    def scatter(self, values: Tensor) -> Tensor:
        """Rows ``values`` (``m x k``) sorted by dataset."""
        return values if self.order is None else values.index_select(0, self.order)

    def gather(self, rows: Tensor) -> Tensor:
        """The rows (``m x k``) back in their original order."""
        if self.order is None:
            return rows
        out = torch.empty_like(rows)
        out.index_copy_(0, self.order, rows)
        return out


#: Elementwise functions (``exp``, ``log``, ``pow``) are applied so that every element is on the
#: vector path of a multiple of this many (AVX-512's two 8-double registers): their scalar tail
#: rounds differently, and which elements fall into it depends on how many rows share the tensor.
LANES = 16


def per_row(fn: Callable[[Tensor], Tensor], x: Tensor) -> Tensor:
    """``fn(x)`` (elementwise) with each row (the last dimension; a 1-D ``x``: each element) padded to
    a multiple of ``LANES`` elements (padding 1), so no element's bits depend on the other rows."""
    shape = x.shape
    flat = x.reshape(-1, shape[-1]) if x.dim() > 1 else x.reshape(-1, 1)
    k = flat.shape[-1]
    if k % LANES:
        flat = torch.nn.functional.pad(flat, (0, LANES - k % LANES), value=1.0)
    return fn(flat)[:, :k].reshape(shape)


def pow10(x: Tensor) -> Tensor:
    """``10^x`` elementwise, each row's bits independent of the other rows (:func:`per_row`)."""
    return per_row(lambda t: torch.pow(10.0, t), x)


def log_rows(x: Tensor) -> Tensor:
    """``ln x`` elementwise, each row's bits independent of the other rows (:func:`per_row`)."""
    return per_row(torch.log, x)


def correlation_of(exponent: Tensor) -> Tensor:
    """``exp(exponent)`` (``m x n²``) with the exponent floored at ``MIN_EXPONENT``, in place unless
    autograd tracks it (the exponent is a fresh tensor nobody else holds). In place, the rows'
    first multiple of ``LANES`` and their rest are two strided views (each row its own inner loop:
    its bits do not depend on the number of rows, see :data:`LANES`)."""
    if exponent.requires_grad:
        return per_row(lambda t: t.clamp_min(MIN_EXPONENT).exp(), exponent)
    exponent = exponent.clamp_min_(MIN_EXPONENT)
    k = exponent.shape[-1]
    q = k - k % LANES
    if exponent.dim() != 2 or q == k:
        return exponent.exp_()
    if q:
        exponent[:, :q].exp_()
    exponent[:, q:].exp_()
    return exponent


@dataclass(frozen=True)
class GLS:
    """Generalised least squares of ``y`` on ``F`` under correlation ``R = L Lᵀ`` (batched over ``m``)."""

    nll: Tensor
    beta: Tensor
    sigma2: Tensor
    alpha: Tensor


def chol_solve(L: Tensor, B: Tensor) -> Tensor:
    """``(L Lᵀ)⁻¹ B`` by two triangular solves (``torch.cholesky_solve`` copies ``L`` on CPU)."""
    z = torch.linalg.solve_triangular(L, B, upper=False)
    return torch.linalg.solve_triangular(L.transpose(-1, -2), z, upper=True)


def gls(L: Tensor, y: Tensor, F: Tensor, slope_bounds: tuple[float, float] | None = None, dof: bool = False) -> GLS:
    """Concentrated negative log-likelihood ``(n/2) ln σ² + ½ ln|R|`` with ``β``, ``σ²`` in closed form.

    ``L``: ``m x n x n``; ``y``: ``m x n``; ``F``: ``m x n x r`` regressors (``r`` = 1 or 2). With two
    regressors, the slope ``β_1`` is clipped to ``slope_bounds`` and ``β_0`` re-solved given it.
    ``dof``: Le Gratiet's (2014) degrees-of-freedom form (SMT's ``MFK``): ``σ² = RSS / (n - r)`` and the
    objective ``((n - r)/2) ln σ² + ½ ln|R|`` (the θ gradient keeps its form with this ``σ²``).
    """
    n, r = y.shape[-1], F.shape[-1]
    n_eff = max(n - r, 1) if dof else n
    # one triangular solve for the regressors and y together: with zF = L⁻¹F, zy = L⁻¹y,
    # FᵀR⁻¹F = zFᵀzF, FᵀR⁻¹y = zFᵀzy and L⁻¹(y - Fβ) = zy - zF β
    Z = torch.linalg.solve_triangular(L, torch.cat([F, y.unsqueeze(-1)], -1), upper=False)
    zF, zy = Z[..., :r], Z[..., r]
    A = zF.transpose(-1, -2) @ zF
    c = (zF * zy.unsqueeze(-1)).sum(-2)
    if F.shape[-1] == 1:
        beta = c / A[..., 0]
    else:
        det = A[..., 0, 0] * A[..., 1, 1] - A[..., 0, 1] * A[..., 1, 0]
        slope = (A[..., 0, 0] * c[..., 1] - A[..., 1, 0] * c[..., 0]) / det.clamp_min(1e-300)
        if slope_bounds is not None:
            slope = slope.clamp(*slope_bounds)
        beta = torch.stack([(c[..., 0] - A[..., 0, 1] * slope) / A[..., 0, 0], slope], -1)
    z = (zy - (zF @ beta.unsqueeze(-1)).squeeze(-1)).unsqueeze(-1)
    sigma2 = ((z * z).sum((-1, -2)) / n_eff).clamp_min(MIN_VARIANCE)
    alpha = torch.linalg.solve_triangular(L.transpose(-1, -2), z, upper=True).squeeze(-1)
    # the diagonal is a strided view: its log runs element by element, the same bits for any number of rows
    logdet = 2.0 * L.diagonal(dim1=-2, dim2=-1).log().sum(-1)
    return GLS(0.5 * n_eff * log_rows(sigma2) + 0.5 * logdet, beta, sigma2, alpha)


def chunks(data_idx: Tensor, size: int) -> list[tuple[int, int]]:
    """Row ranges of at most ``size`` rows that cut between datasets where the rows are sorted by
    dataset (a dataset with more than ``size`` rows is cut from its own first row), so that a
    dataset's rows are evaluated together the same way whatever other datasets share the batch."""
    m = len(data_idx)
    if m <= size:
        return [(0, m)]
    idx = data_idx.cpu().numpy()
    if bool((np.diff(idx) < 0).any()):
        return [(i, min(m, i + size)) for i in range(0, m, size)]
    cuts = np.flatnonzero(np.diff(idx)) + 1
    out, s = [], 0
    for a, e in zip(np.concatenate([[0], cuts]).tolist(), np.concatenate([cuts, [m]]).tolist(), strict=True):
        if e - s > size and a > s:
            out.append((s, a))
            s = a
        while e - s > size:
            out.append((s, s + size))
            s += size
    out.append((s, m))
    return out


@dataclass(frozen=True)
class Problem:
    """The likelihood of ``B`` datasets: distances, scaled outputs ``y`` (``B x n``), regressors ``F``;
    ``inputs``: the scaled inputs the distances came from (``B x n x d``), when :meth:`compact` may
    drop the distances."""

    dist: Distances
    y: Tensor
    F: Tensor
    d: int
    slope_bounds: tuple[float, float] | None = None
    prior: LogThetaPrior | None = None
    nugget: bool = False
    noise_variance: Tensor | None = None
    dof: bool = False
    inputs: Tensor | None = None

    def compact(self) -> Problem:
        """This problem without its distances (``n² d`` numbers; ``n d`` for the inputs instead), for
        a memo that keeps it for a few evaluations: :meth:`restored` rebuilds them, bit for bit."""
        if self.inputs is None:
            return self
        return replace(self, dist=Distances(self.dist.D.new_zeros(0), self.dist.n, self.dist.p))

    def restored(self) -> Problem:
        """This problem with its distances (itself unless :meth:`compact` dropped them)."""
        if self.inputs is None or self.dist.D.numel() > 0:
            return self
        return replace(self, dist=Distances.of(self.inputs, self.dist.p))

    def subset(self, size: int, seed: int) -> Problem:
        """The same likelihood on ``size`` of the ``n`` points (a seeded random choice, the same for every dataset)."""
        n = self.dist.n
        generator = torch.Generator().manual_seed(seed)
        keep = torch.randperm(n, generator=generator)[:size].sort().values.to(self.y.device)
        pairs = (keep.unsqueeze(-1) * n + keep.unsqueeze(0)).reshape(-1)
        dist = Distances(aligned(self.dist.D[..., pairs]), size, self.dist.p)
        inputs = None if self.inputs is None else self.inputs[:, keep]
        return replace(self, dist=dist, y=self.y[:, keep], F=self.F[:, keep], inputs=inputs)

    def split(self, params: Tensor) -> tuple[Tensor, Tensor | None, Tensor | None]:
        """``h`` (``m x d``), ``p`` (``m x d`` when learned) and the last parameter (``m``):
        ``log10 λ`` with a learned nugget, ``log10 σ²`` with a fixed noise variance."""
        h = params[..., : self.d]
        p = params[..., self.d : 2 * self.d] if self.dist.p is None else None
        last = self.nugget or self.noise_variance is not None
        return h, p, (params[..., -1] if last else None)

    def nll(self, params: Tensor, data_idx: Tensor) -> GLS:
        """The fit of the parameter rows ``params`` (``m x P``) on the datasets ``data_idx``
        (``nll`` includes the prior's penalty when there is one; with a fixed noise variance,
        ``sigma2`` is the parameter ``σ²``)."""
        h, p, g = self.split(params)
        n = self.dist.n
        R = correlation_of(self.dist.exponent(-pow10(h), p, data_idx)).reshape(-1, n, n)
        sigma2 = None
        if g is not None:
            lam = pow10(g)
            if self.noise_variance is not None:
                sigma2, lam = lam, self.noise_variance[data_idx] / lam
            R = R + torch.diag_embed(lam.unsqueeze(-1).expand(-1, n))
        L, _ = safe_cholesky(R)
        fit = gls(L, self.y[data_idx], self.F[data_idx], self.slope_bounds, self.dof)
        if sigma2 is not None:
            # ½ ln|σ²(R + λI)| + rᵀ(R + λI)⁻¹r / 2σ², where gls's σ̂² = rᵀ(R + λI)⁻¹r / n_eff
            # (n_eff = n, or n - r with dof: then ½ n_eff ln σ² replaces ½ n ln σ²)
            n_eff = max(n - self.F.shape[-1], 1) if self.dof else n
            full = fit.nll + 0.5 * n_eff * (log_rows(sigma2) - log_rows(fit.sigma2) + fit.sigma2 / sigma2)
            fit = replace(fit, nll=full, sigma2=sigma2)
        if self.prior is None:
            return fit
        penalty = self.prior.penalty(h)[0]
        if self.nugget and g is not None:
            penalty = penalty + nugget_penalty(g)[0]
        return replace(fit, nll=fit.nll + penalty)

    def value_and_grad(self, params: Tensor, data_idx: Tensor) -> tuple[Tensor, Tensor]:
        """Negative log-likelihoods (``m``) and their gradients (``m x P``), in chunks."""
        chunk = max(1, CHUNK_ELEMENTS // (self.dist.n**2))
        if len(params) <= chunk:
            return self._value_and_grad(params, data_idx)
        out = [self._value_and_grad(params[i:j], data_idx[i:j]) for i, j in chunks(data_idx, chunk)]
        return torch.cat([f for f, _ in out]), torch.cat([g for _, g in out])

    def values(self, params: Tensor, data_idx: Tensor) -> Tensor:
        """Negative log-likelihoods only (``m``), in chunks."""
        chunk = max(1, CHUNK_ELEMENTS // (self.dist.n**2))
        with torch.no_grad():
            return torch.cat([self.nll(params[i:j], data_idx[i:j]).nll for i, j in chunks(data_idx, chunk)])

    def screen(self, candidates: Tensor) -> Tensor:
        """Negative log-likelihoods of every candidate row (``C x P``) on every dataset (``C x B``).

        Rows go dataset by dataset (all candidates of a dataset together) and a chunk holds whole
        datasets where it can, so each chunk's rows are a :class:`Grouping`'s grid in order: no
        copy of the ``n²`` exponents per row.
        """
        C, B, n2 = candidates.shape[0], self.y.shape[0], self.dist.n**2
        per = CHUNK_ELEMENTS // (n2 * C)  # datasets per chunk
        device = candidates.device
        if per == 0:  # one dataset's candidates exceed a chunk: split the candidates
            dataset = torch.arange(B, device=device).repeat_interleave(C)
            return self.values(candidates.repeat(B, 1), dataset).reshape(B, C).T
        out = []
        with torch.no_grad():
            for b0 in range(0, B, per):
                b1 = min(B, b0 + per)
                dataset = torch.arange(b0, b1, device=device).repeat_interleave(C)
                out.append(self.nll(candidates.repeat(b1 - b0, 1), dataset).nll.reshape(b1 - b0, C))
        return torch.cat(out).T

    def value_then_grad(self, params: Tensor, data_idx: Tensor) -> tuple[Tensor, Tensor | GradientOf]:
        """Negative log-likelihoods (``m``) now and the gradients only of the rows asked for later:
        ``(f, gradient_of)``, ``gradient_of(sel)`` -> ``len(sel) x P`` for positions ``sel`` (None: all).

        A line search reads the gradient only at the steps it accepts; near a likelihood optimum
        most trial steps are rejected (at n = 800 about half the evaluations of the refinement),
        and the gradient (``R⁻¹`` and a contraction with the distances) costs more than the value
        (a Cholesky factor). The factors of the value pass are kept for the gradient pass, so this
        is lazy only where that costs no extra memory: the closed-form path on the CPU (a GPU
        would pay a second host synchronisation per evaluation) with the rows in one chunk, and
        only from ``LAZY_GRADIENT_N`` points on (below, the second pass's fixed cost and the copies
        of the chosen rows outweigh the gradients saved: a batch of 40 datasets of 40 points was
        slower); otherwise :meth:`value_and_grad`'s gradients are returned, all computed at once.
        """
        n = self.dist.n
        eager = self.dist.p is None or self.noise_variance is not None or params.device.type != "cpu"
        if eager or n < LAZY_GRADIENT_N or len(params) * n * n > CHUNK_ELEMENTS:
            return self.value_and_grad(params, data_idx)
        factors = self._factors(params, data_idx)
        return factors.nll, lambda sel: self._gradient(factors, sel)

    def _value_and_grad(self, params: Tensor, data_idx: Tensor) -> tuple[Tensor, Tensor]:
        if self.dist.p is None or self.noise_variance is not None:
            with torch.enable_grad():
                x = params.detach().requires_grad_(True)
                f = self.nll(x, data_idx).nll
                ok = torch.isfinite(f)
                (grad,) = torch.autograd.grad(torch.where(ok, f, torch.zeros_like(f)).sum(), x)
            return f.detach(), grad
        factors = self._factors(params, data_idx)
        return factors.nll, self._gradient(factors, None)

    def _factors(self, params: Tensor, data_idx: Tensor) -> _Factors:
        """The closed-form path's value pass: correlation, its Cholesky factor and the GLS fit."""
        with torch.no_grad():
            h, _, g = self.split(params)
            n = self.dist.n
            theta = pow10(h)
            rows = self.dist.rows(data_idx)
            R = correlation_of(self.dist.exponent(-theta, None, rows)).reshape(-1, n, n)
            lam = None
            if g is not None:
                lam = pow10(g)
                R.diagonal(dim1=-2, dim2=-1).add_(lam.unsqueeze(-1))
            L, _ = safe_cholesky(R)
            fit = gls(L, self.y[data_idx], self.F[data_idx], self.slope_bounds, self.dof)
            nll = fit.nll
            if self.prior is not None:
                nll = nll + self.prior.penalty(h)[0]
                if g is not None:
                    nll = nll + nugget_penalty(g)[0]
        return _Factors(nll, h, theta, g, lam, R, L, fit.alpha, fit.sigma2, data_idx, rows)

    def _gradient(self, f: _Factors, sel: Tensor | None) -> Tensor:
        """The closed-form gradient (``k x P``) of the rows ``sel`` of a value pass (None: all of them)."""
        h, theta, g, lam, R, L, alpha, sigma2, rows = f.h, f.theta, f.g, f.lam, f.R, f.L, f.alpha, f.sigma2, f.rows
        if sel is not None:
            h, theta, R, L, alpha, sigma2 = h[sel], theta[sel], R[sel], L[sel], alpha[sel], sigma2[sel]
            g, lam = (None, None) if g is None or lam is None else (g[sel], lam[sel])
            rows = self.dist.rows(f.data_idx[sel])
        n = self.dist.n
        with torch.no_grad():
            a = (alpha / sigma2.sqrt().unsqueeze(-1)).unsqueeze(-1)
            # W = K⁻¹ - α αᵀ / σ², then G = W ∘ K, in place (D is zero on the diagonal, so the
            # nugget on K's diagonal does not reach the θ gradient; it gives tr(W) = tr(G) / (1 + λ));
            # the outer product as a broadcast product: a batched rank-1 update (baddbmm_) runs one
            # small matrix product per row on the CPU, 7x slower for 320 rows of n = 20
            G = torch.cholesky_inverse(L).addcmul_(a, a.transpose(-1, -2), value=-1.0).mul_(R)
            grad = self.dist.contract(G.reshape(-1, n * n), rows).mul_(theta * (-0.5 * LN10))
            if self.prior is not None:
                grad = grad + self.prior.penalty(h)[1]
            if g is not None and lam is not None:
                trace = G.diagonal(dim1=-2, dim2=-1).sum(-1) / (1.0 + lam)
                slope_g = 0.5 * LN10 * lam * trace
                if self.prior is not None:
                    slope_g = slope_g + nugget_penalty(g)[1]
                grad = torch.cat([grad, slope_g.unsqueeze(-1)], -1)
        return grad


#: ``gradient_of(sel)``: the gradients (``len(sel) x P``) of the rows ``sel`` of a value pass (None: all).
GradientOf = Callable[[Tensor | None], Tensor]


@dataclass(frozen=True)
class _Factors:
    """What the closed-form gradient of a value pass needs: per row ``h``, ``θ``, the last parameter
    ``g`` and ``λ`` (None without a nugget), ``K`` (``R``, with the nugget) and its factor ``L``, the
    GLS ``α`` and ``σ²``; the rows' datasets (``data_idx``) and their addressing (``rows``)."""

    nll: Tensor
    h: Tensor
    theta: Tensor
    g: Tensor | None
    lam: Tensor | None
    R: Tensor
    L: Tensor
    alpha: Tensor
    sigma2: Tensor
    data_idx: Tensor
    rows: Tensor | Grouping


def lhs_box(n_points: int, lower: Tensor, upper: Tensor, seed: int) -> Tensor:
    """``n_points x P`` Latin-hypercube points in the box ``[lower, upper]``."""
    U = qmc.LatinHypercube(d=int(lower.numel()), seed=np.random.default_rng(seed)).random(n_points)
    return lower + torch.as_tensor(U, dtype=lower.dtype, device=lower.device) * (upper - lower)


def _local(problem: Problem, starts: Tensor, lower: Tensor, upper: Tensor, maxiter: int) -> tuple[Tensor, Tensor]:
    """Batched L-BFGS from ``starts`` (``S x B x P``, start ``s`` of dataset ``b``) -> ends, values ``S x B``."""
    S, B, P = starts.shape
    # dataset-major rows (start s of dataset b is row b S + s): while every row is active, the
    # rows are a :class:`Grouping`'s grid in order
    data_idx = torch.arange(B, device=starts.device).repeat_interleave(S)
    result = minimise(
        lambda x, rows: problem.value_then_grad(x, data_idx[rows]),
        starts.transpose(0, 1).reshape(-1, P),
        lower,
        upper,
        maxiter,
    )
    return result.x.reshape(B, S, P).transpose(0, 1).contiguous(), result.f.reshape(B, S).transpose(0, 1).contiguous()


def _best(ends: Tensor, values: Tensor, d: int, k: int) -> tuple[Tensor, Tensor]:
    """The ``k`` best ends per dataset (``k x B x P``, values ``k x B``); ties within ``TIE`` of the
    best go to the smallest ``Σ log10 θ``."""
    values = torch.where(torch.isfinite(values), values, torch.full_like(values, float("inf")))
    by_value = values.argsort(dim=0, stable=True)
    values, ends = values.gather(0, by_value), ends.gather(0, by_value.unsqueeze(-1).expand_as(ends))
    near = values <= values[:1] + TIE
    order = torch.where(near, ends[..., :d].sum(-1), torch.full_like(values, float("inf"))).argsort(dim=0, stable=True)
    order = order[:k]
    P = ends.shape[-1]
    return ends.gather(0, order.unsqueeze(-1).expand(-1, -1, P)), values.gather(0, order)


def _distinct_best(ends: Tensor, values: Tensor, d: int, k: int) -> Tensor:
    """The ``k`` best ends per dataset (ranked as by :func:`_best`) that differ from every better
    one by more than ``DISTINCT`` in some parameter (starts that ended together are refined once).

    ``k x B x P``; a dataset with fewer distinct ends repeats its best one, except when ``B`` is 1,
    where the result has only the distinct ends.
    """
    ranked, _ = _best(ends, values, d, ends.shape[0])
    columns = []
    for b in range(ranked.shape[1]):
        chosen = [ranked[0, b]]
        for end in ranked[1:, b]:
            if len(chosen) == k:
                break
            if all(float((end - c).abs().amax()) > DISTINCT for c in chosen):
                chosen.append(end)
        if ranked.shape[1] > 1:
            chosen += [chosen[0]] * (k - len(chosen))
        columns.append(torch.stack(chosen))
    return torch.stack(columns, 1)


def _isotropic(problem: Problem, lower: Tensor, upper: Tensor) -> Tensor:
    """``ISOTROPIC`` candidates with every ``log10 θ_k`` equal, spanning the bounds (``p`` at its upper
    end, a nugget at the middle of its range): in many dimensions the smooth optimum, where all
    ``θ_k`` are small, is rarely near a random candidate."""
    line = torch.linspace(0.0, 1.0, ISOTROPIC, dtype=lower.dtype, device=lower.device).unsqueeze(-1)
    iso = lower + line * (upper - lower)
    if problem.dist.p is None:
        iso[:, problem.d : 2 * problem.d] = upper[problem.d : 2 * problem.d]
    if problem.nugget:
        iso[:, -1] = 0.5 * (lower[-1] + upper[-1])
    return iso


def _best_isotropic(problem: Problem, iso: Tensor) -> Tensor:
    """The best of the isotropic candidates ``iso`` (``ISOTROPIC x P``) for each dataset, scored on
    all points: ``1 x B x P``."""
    full = problem.screen(iso)
    full = torch.where(torch.isfinite(full), full, torch.full_like(full, float("inf")))
    return iso[full.argmin(0)].unsqueeze(0)


def maximise(
    problem: Problem,
    lower: Tensor,
    upper: Tensor,
    n_starts: int,
    seed: int,
    maxiter: int,
    candidates: int = CANDIDATES,
    start_box: tuple[Tensor, Tensor] | None = None,
    warm: Tensor | None = None,
) -> tuple[Tensor, Tensor]:
    """The best end of :func:`search` for each dataset: parameters ``B x P`` and nll ``B``."""
    ends, values = search(problem, lower, upper, n_starts, seed, maxiter, candidates, start_box, warm)
    best, value = _best(ends, values, problem.d, 1)
    return best.squeeze(0), value.squeeze(0)


def local_optima(ends: Tensor, values: Tensor, d: int, k: int) -> Tensor:
    """The ``k`` best distinct ends of :func:`search` (``k x B x P``, best first, the first being
    :func:`maximise`'s; fewer than ``k`` when a single dataset has fewer, see :func:`_distinct_best`)."""
    return _best(ends, values, d, 1)[0] if k == 1 else _distinct_best(ends, values, d, k)


def search(
    problem: Problem,
    lower: Tensor,
    upper: Tensor,
    n_starts: int,
    seed: int,
    maxiter: int,
    candidates: int = CANDIDATES,
    start_box: tuple[Tensor, Tensor] | None = None,
    warm: Tensor | None = None,
    explore: bool = True,
) -> tuple[Tensor, Tensor]:
    """Maximise the likelihood of each of the ``B`` datasets: the ends of the last local searches
    (``S x B x P``) and their nll (``S x B``); :func:`maximise` picks the best.

    ``candidates`` Latin-hypercube points (in ``start_box``, a sub-box of the bounds; the bounds
    when None) are screened; the best ``n_starts`` of each dataset start
    the batched L-BFGS (:func:`~mfopt_surrogates._optim.minimise`), each start of each dataset its
    own problem with its own convergence. Every dataset screens the same candidates (they depend on
    ``seed`` only), so a dataset fitted alone follows the same paths as inside a batch.

    Above ``SUBSET`` points this search runs on a fixed random subset of ``SUBSET`` points (the
    likelihood surface of a large sample is smooth and its optimum moves little), and only its
    ``REFINE`` best distinct ends are refined on all points, with the best isotropic candidate screened on
    all points: a fit costs a few full-size iterations rather than ``candidates + n_starts x
    iterations`` of them.

    Likelihoods are often flat (every large θ interpolates equally well): among the ends within
    ``TIE`` of the best, the smallest ``Σ log10 θ`` wins, so the result does not hinge on where a
    start stopped on a plateau.

    ``warm`` (``k x B x P``, e.g. the local optima of a fit of fewer points): a warm start. Then
    the local search runs on all points from the ``k`` warm rows and, when ``explore``, from the
    best isotropic candidate on all points too, the first start of the full search (new points can
    create a basin that none of the warm rows leads to; see :mod:`mfopt_surrogates._warm`).
    """
    iso = _isotropic(problem, lower, upper)
    if warm is not None:
        starts = warm.clamp(lower, upper)
        if explore:
            starts = torch.cat([starts, _best_isotropic(problem, iso)])
        return _local(problem, starts, lower, upper, maxiter)
    B, P = problem.y.shape[0], lower.numel()
    coarse = problem if problem.dist.n <= SUBSET else problem.subset(SUBSET, seed)
    cand = torch.cat([iso, lhs_box(candidates, *(start_box or (lower, upper)), seed)])
    C = cand.shape[0]
    screen = coarse.screen(cand)
    screen = torch.where(torch.isfinite(screen), screen, torch.full_like(screen, float("inf")))
    S = min(n_starts, C)
    # the best isotropic candidate always starts, then the best of the rest
    first = screen[:ISOTROPIC].argmin(0, keepdim=True)
    rest = screen.scatter(0, first, float("inf")).argsort(dim=0, stable=True)[: S - 1]
    order = torch.cat([first, rest])  # S x B
    starts = cand.unsqueeze(1).expand(-1, B, -1).gather(0, order.unsqueeze(-1).expand(-1, -1, P))
    ends, values = _local(coarse, starts, lower, upper, maxiter)
    if coarse is not problem:
        # besides the best ends of the subset search, the best isotropic candidate on ALL points: a
        # smooth optimum that only the whole sample supports (a polynomial reproduced by a flat
        # correlation) can be invisible on the subset
        refine = torch.cat([_distinct_best(ends, values, problem.d, REFINE), _best_isotropic(problem, iso)])
        ends, values = _local(problem, refine, lower, upper, maxiter)
    return ends, values
