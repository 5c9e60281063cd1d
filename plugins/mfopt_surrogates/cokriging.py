"""AR1 Co-Kriging (Kennedy & O'Hagan 2000; Forrester, Sóbester & Keane 2007), K >= 2 levels.

Two-stage (recursive, Le Gratiet 2014) training on scaled data (inputs ``[0, 1]^d``, outputs by
the HF sample range, the same scaling for every level):

1. Kriging on the cheapest level: ``θ_0, p_0, σ_0²`` (``log10 θ_0 ∈ [-6, 2.4]``, :data:`H_BOUNDS_CHEAP`).
2. For each next level k: the difference ``b = y_k - ρ_k ŷ_{k-1}(X_k)`` by concentrated likelihood
   over ``log10 θ_k ∈ [-3, 3]``, ``p_k`` and ``ρ_k ∈ [-1000, 1000]`` (ρ profiled out in closed
   form, see :func:`fit_difference`), with Le Gratiet's (2014) degrees of freedom as in SMT ``MFK``:
   ``σ_k² = RSS / (n_k - 2)`` and the objective ``((n_k - 2)/2) ln σ_k² + ½ ln|R_k|``; ``ŷ_{k-1}`` is the chain-so-far
   model's *prediction* at ``X_k`` (the reference code's variant: designs need not be nested) or,
   with ``use_prediction=False``, the observed ``y_{k-1}`` at the same points (Forrester's, nested).

The result is ONE GP over ``(x, level)`` with the AR1 covariance and a constant mean per level of
the chain (:class:`~mfopt_surrogates.gp_model.AR1GP`): ``f_0`` has mean ``β_0`` and each difference
``δ_k`` its own ``β_k``, estimated jointly by generalised least squares (Le Gratiet 2014; SMT's
``MFK``), so a cheap source that is the target plus an offset does not carry the offset into the HF
prediction (a single common mean, Forrester's formula, does). The model takes ``d + 1`` inputs, the
last the fidelity level, and its posterior at the target level is the HF prediction.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

import torch
from torch import Tensor

from mfopt import Dataset, FittedSurrogate, ModelFittingError
from mfopt_surrogates._kriging_core import DTYPE
from mfopt_surrogates._likelihood import Distances, Problem, maximise
from mfopt_surrogates.gp_model import AR1GP, AR1Params
from mfopt_surrogates.kriging import Kriging, Scaling, check_data, hp_box, maximise_correlation, split_hp

#: log10 θ of the difference model: the authors' bifiEBBmethods code uses ``[-3, 3]``; the lower end is ``-6`` as for
#: :data:`~mfopt_surrogates.kriging.H_BOUNDS` (smooth differences in many dimensions).
H_BOUNDS_DIFF = (-3.0, 3.0)
#: log10 θ of the cheapest level's Kriging: Kriging's lower end; the upper end is SMT ``MFK``'s ``θ <= 20`` on
#: standardised inputs for a uniform design (std = range / √12: 20 x 12 = 240, log10 2.4). A larger θ resolves
#: features finer than the cheap design can see; at d = 5 such optima fit the cheap data better yet predict worse
#: (benchmarks/speed.py section 3).
H_BOUNDS_CHEAP = (-6.0, 2.4)
RHO_BOUNDS = (-1000.0, 1000.0)


def fit_difference(
    Xs: Tensor, ys: Tensor, yhat: Tensor, p: float | None, n_starts: int, seed: int, maxiter: int
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Fit ``b = ys - ρ yhat`` (``B x n``) at ``Xs`` (``B x n x d``).

    ``ρ`` is profiled out exactly: for a fixed ``R``, ``ln|R|`` does not depend on ``ρ`` and ``RSS``
    is the generalised-least-squares residual of ``ys`` on the regressors ``[1, yhat]`` (``σ_b² =
    RSS/(n - 2)``, the objective weighted by ``n - 2``: Le Gratiet 2014, SMT ``MFK``), so the
    optimum is that regression's slope (clipped to ``RHO_BOUNDS``) rather than a searched-for value
    (its basin can be a needle). Returns ``h``, ``p`` (``B x d``), ``ρ``, ``σ_b²`` and the
    concentrated negative log-likelihood (``B``).
    """
    B, _, d = Xs.shape
    lower, upper = hp_box(d, p is None, H_BOUNDS_DIFF, Xs.device)
    F = torch.stack([torch.ones_like(yhat), yhat], -1)
    problem = Problem(Distances.of(Xs, p), ys, F, d, RHO_BOUNDS, dof=True)
    best, _ = maximise(problem, lower, upper, n_starts, seed, maxiter)
    with torch.no_grad():
        fit = problem.nll(best, torch.arange(B, device=Xs.device))
    h, pp = split_hp(best, d, p)
    return h, pp, fit.beta[:, 1], fit.sigma2, fit.nll


class CoKriging(Kriging):
    """AR1 Co-Kriging over every fidelity of the dataset (ordered by level; the last is the target).

    Options as :class:`~mfopt_surrogates.kriging.Kriging`, plus ``use_prediction`` (default True:
    the difference model uses the lower level's prediction at the higher level's points).
    """

    multi_fidelity = True

    def __init__(
        self,
        device: str = "auto",
        seed: int = 0,
        p: float | str = 2.0,
        n_starts: int = 8,
        maxiter: int = 1000,
        mean_uncertainty: bool = False,
        use_prediction: bool = True,
    ) -> None:
        super().__init__(device, seed, p, n_starts, maxiter, mean_uncertainty)
        self.use_prediction = bool(use_prediction)

    def fit_batch(self, datasets: Sequence[Dataset]) -> list[FittedSurrogate]:
        """Fit equally sized datasets (per level) as one batched model (else one by one)."""
        if not datasets:
            return []
        fids = datasets[0].fidelities
        if len(fids) < 2:
            raise ModelFittingError(
                f"co-kriging needs at least two fidelities, the dataset has {[f.name for f in fids]}"
            )
        per_level = [[d.tensors(f.name, device=self.device) for d in datasets] for f in fids]
        for f, level in zip(fids, per_level, strict=True):
            for X, y in level:
                check_data(X, y, f"co-kriging on fidelity {f.name!r}")
        if any(d.fidelities != fids for d in datasets) or any(len({X.shape for X, _ in lv}) > 1 for lv in per_level):
            return [f for d in datasets for f in self.fit_batch([d])]
        start = time.perf_counter()
        scaling = Scaling.of(datasets, self.device)
        Xs = [scaling.inputs(torch.stack([X for X, _ in lv])) for lv in per_level]
        ys = [scaling.outputs(torch.stack([y for _, y in lv])) for lv in per_level]
        params, nll = self._stage_one(Xs[0], ys[0])
        nlls = [nll]
        for k in range(1, len(fids)):
            yhat = self._lower_values(params, Xs, ys, k)
            h, p, r, sigma2, nll = fit_difference(
                Xs[k], ys[k], yhat, self.p, self.n_starts, self.seed + k, self.maxiter
            )
            params = _append(params, h, p, sigma2, r)
            nlls.append(nll)
        model = _model(params, Xs, ys, scaling, tuple(f.level for f in fids), self.mean_uncertainty)
        seconds = (time.perf_counter() - start) / len(datasets)
        levels = {f.name: f.level for f in fids}
        level_means = model.level_means()
        beta = _beta_original(model.beta, params.rho, scaling.offset, scaling.scale)
        out = []
        for i in range(len(datasets)):
            info = {
                "fit_seconds": seconds,
                "batched": len(datasets),
                "theta": (10.0 ** params.h[i]).tolist(),
                "p": params.p[i].tolist(),
                "sigma2": (params.sigma2[i] * scaling.scale[i] ** 2).tolist(),
                "rho": params.rho[i].tolist(),
                "neg_log_likelihood": [float(v[i]) for v in nlls],
                "mu": (scaling.offset[i] + scaling.scale[i] * level_means[i]).tolist(),
                "beta": beta[i].tolist(),
                "jitter": float(model.jitter[i]),
                "device": str(self.device),
                "use_prediction": self.use_prediction,
            }
            out.append(FittedSurrogate(model.select(i), fids[-1].name, levels, True, info))
        return out

    def _stage_one(self, Xs: Tensor, ys: Tensor) -> tuple[AR1Params, Tensor]:
        cheap = maximise_correlation(Xs, ys, self.p, self.n_starts, self.seed, self.maxiter, H_BOUNDS_CHEAP)
        h, p, fit = cheap.h, cheap.p, cheap.gls
        sigma2 = fit.sigma2.unsqueeze(-1)
        return AR1Params(h.unsqueeze(-2), p.unsqueeze(-2), sigma2, h.new_zeros(h.shape[0], 0)), fit.nll

    def _lower_values(self, params: AR1Params, Xs: list[Tensor], ys: list[Tensor], k: int) -> Tensor:
        """``ŷ_{k-1}(X_k)`` (``B x n_k``): the chain-so-far prediction, or the observed lower values."""
        if not self.use_prediction:
            match = (Xs[k].unsqueeze(-2) - Xs[k - 1].unsqueeze(-3)).abs().amax(-1) < 1e-12
            if not bool(match.any(-1).all()):
                raise ModelFittingError(
                    "use_prediction=False needs nested designs: a higher-level point has no lower twin"
                )
            return (match.to(DTYPE) @ ys[k - 1].unsqueeze(-1)).squeeze(-1) / match.sum(-1)
        B, _, d = Xs[0].shape
        unit = Scaling(Xs[0].new_zeros(B, 1, d), Xs[0].new_ones(B, 1, d), Xs[0].new_zeros(B), Xs[0].new_ones(B))
        sub = _model(params, Xs[:k], ys[:k], unit, tuple(float(j) for j in range(k)), False)
        level = torch.full((*Xs[k].shape[:-1], 1), float(k - 1), dtype=DTYPE, device=Xs[k].device)
        with torch.no_grad():
            return sub.mean(torch.cat([Xs[k], level], -1))


def _beta_original(beta: Tensor, rho: Tensor, offset: Tensor, scale: Tensor) -> Tensor:
    """The level means ``β`` (``B x K``) in original units: ``y = offset + scale·y_s`` gives
    ``offset + scale·β_0`` for the cheapest level and ``scale·β_k + (1 - ρ_k)·offset`` for each difference."""
    first = offset + scale * beta[:, 0]
    rest = scale.unsqueeze(-1) * beta[:, 1:] + (1.0 - rho) * offset.unsqueeze(-1)
    return torch.cat([first.unsqueeze(-1), rest], -1)


def _append(params: AR1Params, h: Tensor, p: Tensor, sigma2: Tensor, rho: Tensor) -> AR1Params:
    return AR1Params(
        torch.cat([params.h, h.unsqueeze(-2)], -2),
        torch.cat([params.p, p.unsqueeze(-2)], -2),
        torch.cat([params.sigma2, sigma2.unsqueeze(-1)], -1),
        torch.cat([params.rho, rho.unsqueeze(-1)], -1),
    )


def _model(
    params: AR1Params,
    Xs: list[Tensor],
    ys: list[Tensor],
    scaling: Scaling,
    chain_levels: tuple[float, ...],
    mean_uncertainty: bool,
) -> AR1GP:
    """The AR1 GP on the first ``len(Xs)`` levels of ``params`` (training inputs already scaled)."""
    K = len(Xs)
    sub = AR1Params(params.h[..., :K, :], params.p[..., :K, :], params.sigma2[..., :K], params.rho[..., : K - 1])
    s = torch.cat([torch.full(y.shape, j, dtype=torch.long, device=y.device) for j, y in enumerate(ys)], -1)
    return AR1GP(
        sub,
        torch.cat(Xs, -2),
        s,
        torch.cat(ys, -1),
        scaling.lower,
        scaling.span,
        scaling.offset,
        scaling.scale,
        chain_levels,
        mean_uncertainty=mean_uncertainty,
    )
