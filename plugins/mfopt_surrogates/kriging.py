"""Ordinary Kriging (Jones 2001) as an mfopt surrogate.

Inputs are scaled to ``[0, 1]^d`` with the dataset's bounds and outputs by the HF sample range;
the correlation is power-exponential (``p = 2`` fixed: Gaussian, the default; ``p = "learn"``:
each ``p_k`` in ``[0.1, 2]`` is a hyperparameter as in Jones (2001) -- slower, and its likelihood
has more local optima, so the smooth Gaussian default is what the loop and benchmarks use); mean
and process variance are in closed form and ``log10 θ ∈ [-6, 5]`` (and ``p``) maximise the
concentrated likelihood by a batched multi-start L-BFGS (see :mod:`mfopt_surrogates._likelihood`).
The fitted model is an
:class:`~mfopt_surrogates.gp_model.AR1GP` with a single level, in original units.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace

import torch
from torch import Tensor

from mfopt import Dataset, FittedSurrogate, ModelFittingError, Surrogate
from mfopt_surrogates._kriging_core import DTYPE, resolve_device
from mfopt_surrogates._likelihood import GLS, Distances, LogThetaPrior, Problem, local_optima, search
from mfopt_surrogates._loo import loo_first, loo_mse
from mfopt_surrogates._warm import PrefixMemo, fingerprint, warm_refit
from mfopt_surrogates.gp_model import AR1GP, AR1Params

#: log10 θ of the Kriging (and Co-Kriging level-0) correlation, inputs scaled to ``[0, 1]^d``.
#: The authors' bifiEBBmethods code uses ``[-3, 5]``; the lower end is ``-6`` because smooth functions in 10 or more
#: dimensions (ToalTrid, d = 10) have their likelihood optimum below ``θ = 1e-3`` (SMT's bound is
#: ``θ >= 1e-6`` in standardised units).
H_BOUNDS = (-6.0, 5.0)
P_BOUNDS = (0.1, 2.0)
#: log10 of the learned nugget ratio λ (noise variance / process variance).
NUGGET_BOUNDS = (-8.0, 1.0)
#: log10 σ² (scaled outputs) when a fixed noise variance stops σ² from being concentrated out.
SIGMA2_BOUNDS = (-8.0, 3.0)
#: The lower end of the Latin-hypercube start box in log10 θ (the bounds of the authors' code; the
#: isotropic candidates still reach ``H_BOUNDS[0]``), see :func:`start_box`.
START_H_LOW = -3.0
#: The upper end of the start box: θ at which two points one grid spacing ``n^(-1/d)`` apart in a
#: dimension correlate ``exp(-START_DECAY)``.
START_DECAY = 100.0
#: Distinct local optima of an anchor fit that warm-start :meth:`Kriging.refit` (a new point can
#: make the runner-up optimum the best one).
ANCHOR_OPTIMA = 3
#: Values of the ``theta_prior`` option.
PRIORS = ("none", "dimension-scaled")
#: Values of the ``select`` option: which local optimum of the likelihood search is the fit.
SELECTIONS = ("likelihood", "loo")


@dataclass(frozen=True)
class Scaling:
    """Input and output scaling of a batch of datasets (``batch x 1 x d`` and ``batch``)."""

    lower: Tensor
    span: Tensor
    offset: Tensor
    scale: Tensor

    @classmethod
    def of(cls, datasets: Sequence[Dataset], device: torch.device) -> Scaling:
        bounds = torch.stack([d.bounds for d in datasets]).to(device=device, dtype=DTYPE)
        return cls.of_tensors(bounds, [d.tensors(d.target.name, device=device)[1] for d in datasets])

    @classmethod
    def of_tensors(cls, bounds: Tensor, ys: Sequence[Tensor]) -> Scaling:
        """The scaling of datasets with bounds ``bounds`` (``batch x 2 x d``) and target values ``ys``."""
        offset = torch.stack([y.min() for y in ys])
        # the range in halves: finite for any finite values (max - min can exceed the float64 range)
        rng = 2.0 * (torch.stack([y.max() for y in ys]) / 2.0 - offset / 2.0)
        scale = torch.where(rng > 1e-12 * offset.abs().clamp_min(1.0), rng, torch.ones_like(rng))
        return cls(bounds[:, :1, :], bounds[:, 1:, :] - bounds[:, :1, :], offset, scale)

    def inputs(self, X: Tensor) -> Tensor:
        return (X - self.lower) / self.span

    def outputs(self, y: Tensor) -> Tensor:
        """``(y - offset) / scale`` without forming ``y - offset`` (which can overflow)."""
        scale = self.scale.unsqueeze(-1)
        return y / scale - self.offset.unsqueeze(-1) / scale


def check_data(X: Tensor, y: Tensor, what: str, minimum: int = 2) -> None:
    """Clear errors for empty, too small, mismatched or non-finite training data."""
    if X.ndim != 2 or y.ndim != 1 or X.shape[0] != y.shape[0]:
        raise ModelFittingError(f"{what}: inputs {tuple(X.shape)} and values {tuple(y.shape)} do not match")
    if X.shape[0] < minimum:
        raise ModelFittingError(f"{what}: needs at least {minimum} successful observations, got {X.shape[0]}")
    if not bool(torch.isfinite(X).all() & torch.isfinite(y).all()):
        raise ModelFittingError(f"{what}: training data contain NaN or infinite values")


@dataclass(frozen=True)
class CorrelationFit:
    """The maximiser of the (penalised) concentrated likelihood of a batch: ``h``, ``p``
    (``B x d``), the nugget ratio ``λ`` (``B``, zeros without one) and the GLS fit there;
    ``optima``: the best distinct local optima found, as parameter rows (``k x B x P``, the
    maximiser first); ``problem``: the objective that was minimised (its data, in their scaling)."""

    h: Tensor
    p: Tensor
    nugget: Tensor
    gls: GLS
    optima: Tensor
    problem: Problem


def maximise_correlation(
    Xs: Tensor,
    ys: Tensor,
    p: float | None,
    n_starts: int,
    seed: int,
    maxiter: int,
    h_bounds: tuple[float, float] = H_BOUNDS,
    prior: LogThetaPrior | None = None,
    nugget: bool = False,
    noise_variance: Tensor | None = None,
    focused_starts: bool = False,
    warm: Tensor | None = None,
    optima_kept: int = 1,
    explore: bool = True,
    select: str = "likelihood",
) -> CorrelationFit:
    """Maximise the concentrated likelihood of ``ys`` (``B x n``) at ``Xs`` (``B x n x d``, scaled).

    ``p``: fixed exponent, or None to learn one per dimension; ``prior``: MAP under this prior on
    ``ln θ``; ``nugget``: learn a noise-to-process variance ratio ``λ`` (correlation ``R + λ I``);
    ``noise_variance``: a fixed noise variance per dataset (``B``, scaled units; ``σ²`` is then a
    parameter, see :mod:`mfopt_surrogates._likelihood`); ``focused_starts``: screen the
    Latin-hypercube candidates in :func:`start_box` rather than in the whole box; ``warm``
    (``k x B x P``): start only the local search, from these rows (and, when ``explore``, the best
    isotropic candidate, see :func:`search`); ``optima_kept``: how many distinct local optima the
    result keeps (``CorrelationFit.optima``).
    ``select``: ``"likelihood"`` keeps the maximiser, ``"loo"`` the end of the search with the
    smallest leave-one-out error (:func:`~mfopt_surrogates._loo.loo_first`; the other optima follow
    it in likelihood order).
    """
    B, n, d = Xs.shape
    lower, upper = hp_box(d, p is None, h_bounds, Xs.device, nugget, noise_variance is not None)
    problem = Problem(
        Distances.of(Xs, p), ys, ys.new_ones(B, n, 1), d, prior=prior, nugget=nugget, noise_variance=noise_variance,
        inputs=Xs,
    )  # fmt: skip
    box = start_box(n, d, lower, upper) if focused_starts else None
    ends, values = search(problem, lower, upper, n_starts, seed, maxiter, start_box=box, warm=warm, explore=explore)
    if select == "loo":
        values = loo_first(problem, ends, values)
    optima = local_optima(ends, values, d, optima_kept)
    best = optima[0]
    with torch.no_grad():
        fit = problem.nll(best, torch.arange(B, device=Xs.device))
    h, pp = split_hp(best, d, p)
    if nugget:
        lam = torch.pow(10.0, best[:, -1])
    elif noise_variance is not None:
        lam = noise_variance / fit.sigma2
    else:
        lam = best.new_zeros(B)
    return CorrelationFit(h, pp, lam, fit, optima, problem)


def hp_box(
    d: int,
    learn_p: bool,
    h_bounds: tuple[float, float],
    device: torch.device,
    nugget: bool = False,
    fixed_noise: bool = False,
) -> tuple[Tensor, Tensor]:
    """Bounds of ``[h, p (when learned), last]``: ``last`` is the log10 nugget ratio when
    ``nugget``, else log10 σ² when a ``fixed_noise`` variance stops σ² from being concentrated
    out, else absent."""
    last = NUGGET_BOUNDS if nugget else SIGMA2_BOUNDS if fixed_noise else None
    lo = [h_bounds[0]] * d + ([P_BOUNDS[0]] * d if learn_p else []) + ([last[0]] if last else [])
    hi = [h_bounds[1]] * d + ([P_BOUNDS[1]] * d if learn_p else []) + ([last[1]] if last else [])
    return torch.tensor(lo, dtype=DTYPE, device=device), torch.tensor(hi, dtype=DTYPE, device=device)


def start_box(n: int, d: int, lower: Tensor, upper: Tensor) -> tuple[Tensor, Tensor]:
    """The part of the bounds ``[lower, upper]`` (from :func:`hp_box`) where the Latin-hypercube
    candidates of the multi-start search are drawn: ``log10 θ_k`` in ``[-3, log10(100 n^(2/d))]``
    (clipped to the bounds); ``p`` and the last parameter keep their bounds.

    Outside it a correlation is flat over the unit cube (below) or the points are uncorrelated
    even one grid spacing ``n^(-1/d)`` apart (above); candidates there screen badly yet waste most
    of a 128-point hypercube over ``[-6, 5]^d``. With the whole box, 8 starts missed the best
    likelihood optimum by 0.6 to 5 nats on 6 of 10 LiuStyblinskiTang samples (d = 5, n = 100);
    with this box, on none (see docs/surrogates.md). The bounds of the search are unchanged, and
    the isotropic candidates still span them (smooth functions in many dimensions).
    """
    lo, hi = lower.clone(), upper.clone()
    lo[:d] = torch.full_like(lo[:d], START_H_LOW).clamp(min=lower[:d], max=upper[:d])
    hi[:d] = torch.full_like(hi[:d], math.log10(START_DECAY * n ** (2.0 / d))).clamp(min=lo[:d], max=upper[:d])
    return lo, hi


def split_hp(params: Tensor, d: int, p: float | None) -> tuple[Tensor, Tensor]:
    """``h`` and ``p`` (``... x d``) from a parameter vector ``[h, p]`` (or ``[h]`` with ``p`` fixed)."""
    h = params[..., :d]
    pp = params[..., d : 2 * d] if p is None else torch.full_like(h, float(p))
    return h, pp


def parse_p(p: float | str) -> float | None:
    """``"learn"`` -> None (learned); a number in ``[0.1, 2]`` -> that fixed exponent."""
    if isinstance(p, str):
        if p != "learn":
            raise ValueError(f"p must be a number in [0.1, 2] or 'learn', got {p!r}")
        return None
    if not P_BOUNDS[0] <= float(p) <= P_BOUNDS[1]:
        raise ValueError(f"p must lie in [0.1, 2], got {p}")
    return float(p)


def parse_noise(noise: str | float) -> str | float:
    """``"none"``, ``"learn"`` or a fixed noise variance ``>= 0`` (a float)."""
    if isinstance(noise, str):
        if noise not in ("none", "learn"):
            raise ValueError(f"noise must be 'none', 'learn' or a variance >= 0, got {noise!r}")
        return noise
    if isinstance(noise, bool) or not (float(noise) >= 0.0 and math.isfinite(float(noise))):
        raise ValueError(f"noise must be 'none', 'learn' or a finite variance >= 0, got {noise!r}")
    return float(noise)


@dataclass(frozen=True)
class _Solution:
    """A Kriging likelihood optimum on the first ``rows`` rows, with the scaling it was found in."""

    fit: CorrelationFit
    scaling: Scaling
    rows: int

    def nll_per_point(self) -> float:
        """Negative log-likelihood per point in original output units (``+ n ln scale``)."""
        return float(self.fit.gls.nll[0] + self.rows * self.scaling.scale[0].log()) / self.rows

    def loo_error(self) -> float:
        """The leave-one-out MSE of its fit (scaled outputs): compares two fits of the same rows."""
        rows = self.fit.optima[0]
        return float(loo_mse(self.fit.problem, rows, torch.zeros(1, dtype=torch.long, device=rows.device))[0])

    def starts(self, noise: str | float, scaling: Scaling) -> Tensor:
        """Its local optima as warm starts (``k x 1 x P``) for data scaled by ``scaling``: only a
        fixed noise's ``log10 σ²`` (the last parameter) depends on the output scale."""
        return rescaled(self.fit.optima, noise, self.scaling.scale, scaling.scale)

    def drift(self, other: _Solution, noise: str | float) -> float:
        """How far the optimum of ``other`` (a fit of more rows) lies from this one's: its
        parameters' objective on this fit's rows minus this fit's own, per row (see
        :mod:`mfopt_surrogates._warm`)."""
        return optimum_drift(
            self.fit.problem, self.fit.gls.nll, self.scaling.scale, other.fit.optima[0], other.scaling.scale, noise
        )

    def compact(self) -> _Solution:
        """As an anchor keeps it in the memo: its objective without the distances (see :meth:`Problem.compact`)."""
        return _Solution(replace(self.fit, problem=self.fit.problem.compact()), self.scaling, self.rows)


def rescaled(rows: Tensor, noise: str | float, scale: Tensor, target: Tensor) -> Tensor:
    """Parameter rows of a fit on outputs scaled by ``scale`` (``1``) for outputs scaled by ``target``:
    only a fixed noise's ``log10 σ²`` (the last parameter) changes."""
    rows = rows.clone()
    if isinstance(noise, float):
        rows[..., -1] += 2.0 * torch.log10(scale[0] / target[0])
    return rows


def optimum_drift(
    problem: Problem, nll: Tensor, scale: Tensor, best: Tensor, best_scale: Tensor, noise: str | float
) -> float:
    """The objective of ``problem`` (one dataset of ``n`` rows, outputs scaled by ``scale``, its
    optimum ``nll``) at the parameter row ``best`` (``1 x P``, a fit on outputs scaled by
    ``best_scale``) minus ``nll``, per row: how far ``best`` lies from that optimum in likelihood."""
    rows = rescaled(best, noise, best_scale, scale)
    value = problem.restored().values(rows, torch.zeros(1, dtype=torch.long, device=rows.device))
    return float(value[0] - nll[0]) / problem.dist.n


class Kriging(Surrogate):
    """Single-fidelity ordinary Kriging on the dataset's target fidelity.

    Options: ``p`` (2.0 = Gaussian, the default; a fixed number in ``[0.1, 2]``; ``"learn"``),
    ``n_starts`` (optimiser starts, default 8), ``maxiter`` (L-BFGS iterations per start,
    1000; each start stops on its own convergence),
    ``mean_uncertainty`` (add Jones' constant-mean term to the variance; default False),
    ``theta_prior`` (``"none"``: maximum likelihood, the paper's model and the default;
    ``"dimension-scaled"``: MAP under BoTorch's default log-normal length-scale prior, see
    :meth:`LogThetaPrior.dimension_scaled`), ``noise`` (``"none"``: exact interpolation, the default;
    ``"learn"``: a homoscedastic noise term, its ratio to the process variance estimated in the
    concentrated likelihood; a number ``>= 0``: a fixed noise variance in the objective's units).
    Predictions at new points are of the latent (noise-free) function; the fitted info reports
    ``noise_variance`` (original units) and ``nugget`` (its ratio to ``sigma2``).
    ``warm_start`` (default True): :meth:`refit` (an optimisation loop's fit) starts the likelihood
    search from the cold fit of the data's first rows, see :mod:`mfopt_surrogates._warm`; False:
    :meth:`refit` is :meth:`fit`. The instance keeps those anchor fits in a memo: a cache, the
    fitted models depend on the data only.
    ``select``: which local optimum of the likelihood search is the fit: ``"likelihood"`` (the
    maximiser, the paper's model and the default) or ``"loo"`` (among the search's distinct local
    optima, the one of smallest closed-form leave-one-out error, near-ties to the higher likelihood;
    see :mod:`mfopt_surrogates._loo`); a loop refit then also chooses between its warm and cold
    fits by that error.
    """

    multi_fidelity = False

    def __init__(
        self,
        device: str = "auto",
        seed: int = 0,
        p: float | str = 2.0,
        n_starts: int = 8,
        maxiter: int = 1000,
        mean_uncertainty: bool = False,
        theta_prior: str = "none",
        noise: str | float = "none",
        warm_start: bool = True,
        select: str = "likelihood",
    ) -> None:
        self.device = resolve_device(device)
        self.seed = int(seed)
        self.p = parse_p(p)
        if int(n_starts) < 1 or int(maxiter) < 1:
            raise ValueError("n_starts and maxiter must be positive integers")
        self.n_starts, self.maxiter = int(n_starts), int(maxiter)
        self.mean_uncertainty = bool(mean_uncertainty)
        if theta_prior not in PRIORS:
            raise ValueError(f"theta_prior must be one of {list(PRIORS)}, got {theta_prior!r}")
        self.theta_prior = theta_prior
        self.noise = parse_noise(noise)
        self.warm_start = bool(warm_start)
        if select not in SELECTIONS:
            raise ValueError(f"select must be one of {list(SELECTIONS)}, got {select!r}")
        self.select = select
        self._anchors: PrefixMemo[_Solution] = PrefixMemo(keep=_Solution.compact)

    def fit(self, data: Dataset) -> FittedSurrogate:
        return self.fit_batch([data])[0]

    def refit(self, data: Dataset) -> FittedSurrogate:
        """The loop's fit: warm-started from the cold fit of the first rows (:func:`warm_refit`);
        ``info["refit"]`` says how it was made (``"cold"``, ``"warm"``, ``"warm+cold"``)."""
        if not self.warm_start:
            return self.fit(data)
        data = data.restrict([data.target.name])
        X, y = data.tensors(data.target.name, device=self.device)
        check_data(X, y, f"kriging on fidelity {data.target.name!r}")
        start = time.perf_counter()
        bounds = data.bounds.to(device=self.device, dtype=DTYPE).unsqueeze(0)
        scaling = Scaling.of_tensors(bounds, [y])
        Xs, ys = scaling.inputs(X.unsqueeze(0)), scaling.outputs(y.unsqueeze(0))

        def cold(m: int) -> _Solution:
            first = scaling if m == len(y) else Scaling.of_tensors(bounds, [y[:m]])
            Xm, ym = first.inputs(X[:m].unsqueeze(0)), first.outputs(y[:m].unsqueeze(0))
            return _Solution(self._correlation(Xm, ym, first, optima_kept=ANCHOR_OPTIMA), first, m)

        def warm(anchor: _Solution) -> _Solution:
            return _Solution(self._correlation(Xs, ys, scaling, anchor.starts(self.noise, scaling)), scaling, len(y))

        def key(m: int) -> str:
            return fingerprint(bounds, X[:m], y[:m])

        def drift(anchor: _Solution, fit: _Solution) -> float:
            return anchor.drift(fit, self.noise)

        score = _Solution.loo_error if self.select == "loo" else _Solution.nll_per_point
        solution, how = warm_refit(self._anchors, len(y), key, cold, warm, drift, score)
        fitted = self._assemble([data], Xs, ys, scaling, solution.fit, start)[0]
        fitted.info["refit"] = how
        return fitted

    def _fixed_noise(self, scaling: Scaling) -> Tensor | None:
        """A fixed ``noise`` variance in each dataset's scaled output units (None otherwise)."""
        return self.noise / scaling.scale**2 if isinstance(self.noise, float) else None

    def fit_batch(self, datasets: Sequence[Dataset]) -> list[FittedSurrogate]:
        """Fit equally sized datasets as one batched model in one optimiser run (else one by one)."""
        if not datasets:
            return []
        data = [d.restrict([d.target.name]) for d in datasets]
        tensors = [d.tensors(d.target.name, device=self.device) for d in data]
        for d, (X, y) in zip(data, tensors, strict=True):
            check_data(X, y, f"kriging on fidelity {d.target.name!r}")
        if len({X.shape for X, _ in tensors}) > 1:
            return [f for d in datasets for f in self.fit_batch([d])]
        start = time.perf_counter()
        scaling = Scaling.of(data, self.device)
        Xs = scaling.inputs(torch.stack([X for X, _ in tensors]))
        ys = scaling.outputs(torch.stack([y for _, y in tensors]))
        return self._assemble(data, Xs, ys, scaling, self._correlation(Xs, ys, scaling), start)

    def _correlation(
        self, Xs: Tensor, ys: Tensor, scaling: Scaling, warm: Tensor | None = None, optima_kept: int = 1
    ) -> CorrelationFit:
        """The likelihood search on scaled data (see :func:`maximise_correlation`)."""
        prior = LogThetaPrior.dimension_scaled(Xs.shape[-1]) if self.theta_prior == "dimension-scaled" else None
        return maximise_correlation(
            Xs, ys, self.p, self.n_starts, self.seed, self.maxiter, prior=prior, nugget=self.noise == "learn",
            noise_variance=self._fixed_noise(scaling), focused_starts=True, warm=warm, optima_kept=optima_kept,
            select=self.select,
        )  # fmt: skip

    def _assemble(
        self, data: Sequence[Dataset], Xs: Tensor, ys: Tensor, scaling: Scaling, fitted: CorrelationFit, start: float
    ) -> list[FittedSurrogate]:
        """One fitted surrogate per dataset from the hyperparameters ``fitted``."""
        h, p, nll, sigma2 = fitted.h, fitted.p, fitted.gls.nll, fitted.gls.sigma2
        noise = fitted.nugget * sigma2
        params = AR1Params(h.unsqueeze(-2), p.unsqueeze(-2), sigma2.unsqueeze(-1), h.new_zeros(len(data), 0))
        train_s = torch.zeros(ys.shape, dtype=torch.long, device=self.device)
        model = AR1GP(
            params,
            Xs,
            train_s,
            ys,
            scaling.lower,
            scaling.span,
            scaling.offset,
            scaling.scale,
            mean_uncertainty=self.mean_uncertainty,
            noise=noise.unsqueeze(-1) if self.noise != "none" else None,
        )
        seconds = (time.perf_counter() - start) / len(data)
        out = []
        for i, d in enumerate(data):
            info = {
                "fit_seconds": seconds,
                "batched": len(data),
                "theta": (10.0 ** h[i]).tolist(),
                "p": p[i].tolist(),
                "sigma2": float(sigma2[i] * scaling.scale[i] ** 2),
                "mu": float(scaling.offset[i] + scaling.scale[i] * model.mu[i]),
                "neg_log_likelihood": float(nll[i]),
                "theta_prior": self.theta_prior,
                "select": self.select,
                "noise_variance": float(noise[i] * scaling.scale[i] ** 2),
                "nugget": float(fitted.nugget[i]),
                "jitter": float(model.jitter[i]),
                "device": str(self.device),
            }
            level = d.target.level
            out.append(FittedSurrogate(model.select(i), d.target.name, {d.target.name: level}, False, info))
        return out
