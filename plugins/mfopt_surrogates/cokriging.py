"""AR1 Co-Kriging (Kennedy & O'Hagan 2000; Forrester, Sóbester & Keane 2007), K >= 2 levels.

Two-stage (recursive, Le Gratiet 2014) training on scaled data (inputs ``[0, 1]^d``, outputs by
the HF sample range, the same scaling for every level of the fitted model):

1. Kriging on the cheapest level: ``θ_0, p_0, σ_0²`` (``log10 θ_0 ∈ [-6, 2.4]``, :data:`H_BOUNDS_CHEAP`),
   fitted on that level's OWN output scaling (its sample's minimum and range) and then expressed in the
   HF scaling (``θ_0``, ``p_0`` and the nugget ratio do not change; ``σ_0²`` and a noise variance scale by the
   squared ratio of the ranges). So stage 1 depends only on the cheap data (:class:`CheapLevel`), and one fit
   serves every dataset with the same cheap data: the ``n_h`` budgets of a study instance share it
   (``CoKriging.fit_batch(datasets, cheap=CoKriging.fit_cheap_level(datasets))``).
2. For each next level k: the difference ``b = y_k - ρ_k ŷ_{k-1}(X_k)`` by concentrated likelihood
   over ``log10 θ_k ∈ [-3, 3]``, ``p_k`` and ``ρ_k ∈ [-1000, 1000]`` (ρ profiled out in closed
   form, see :func:`fit_difference`), with Le Gratiet's (2014) degrees of freedom as in SMT ``MFK``:
   ``σ_k² = RSS / (n_k - 2)`` and the objective ``((n_k - 2)/2) ln σ_k² + ½ ln|R_k|`` (maximum
   likelihood, ``n_k``, on the few small samples where that objective is unbounded below:
   :func:`dof_is_bounded`); ``ŷ_{k-1}`` is the chain-so-far model's *prediction* at ``X_k``
   (the reference code's variant: designs need not be nested) or, with ``use_prediction=False``,
   the observed ``y_{k-1}`` at the same points (Forrester's, nested).

The result is ONE GP over ``(x, level)`` with the AR1 covariance and a constant mean per level of
the chain (:class:`~mfopt_surrogates.gp_model.AR1GP`): ``f_0`` has mean ``β_0`` and each difference
``δ_k`` its own ``β_k``, estimated jointly by generalised least squares (Le Gratiet 2014; SMT's
``MFK``), so a cheap source that is the target plus an offset does not carry the offset into the HF
prediction (a single common mean, Forrester's formula, does). The model takes ``d + 1`` inputs, the
last the fidelity level, and its posterior at the target level is the HF prediction.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from functools import partial

import torch
from torch import Tensor

from mfopt import Dataset, Fidelity, FittedSurrogate, ModelFittingError
from mfopt_surrogates._kriging_core import DTYPE
from mfopt_surrogates._likelihood import Distances, Problem, local_optima, search
from mfopt_surrogates._warm import DRIFT_NATS, PrefixMemo, anchor_size, fingerprint
from mfopt_surrogates.gp_model import AR1GP, AR1Params
from mfopt_surrogates.kriging import (
    ANCHOR_OPTIMA,
    Kriging,
    Scaling,
    check_data,
    hp_box,
    maximise_correlation,
    optimum_drift,
    rescaled,
    split_hp,
)

#: log10 θ of the difference model: the authors' bifiEBBmethods code uses ``[-3, 3]``; the lower end is ``-6`` as for
#: :data:`~mfopt_surrogates.kriging.H_BOUNDS` (smooth differences in many dimensions).
H_BOUNDS_DIFF = (-3.0, 3.0)
#: log10 θ of the cheapest level's Kriging: Kriging's lower end; the upper end is SMT ``MFK``'s ``θ <= 20`` on
#: standardised inputs for a uniform design (std = range / √12: 20 x 12 = 240, log10 2.4). A larger θ resolves
#: features finer than the cheap design can see; at d = 5 such optima fit the cheap data better yet predict worse
#: (benchmarks/speed.py section 3).
H_BOUNDS_CHEAP = (-6.0, 2.4)
RHO_BOUNDS = (-1000.0, 1000.0)


@dataclass(frozen=True)
class StageFit:
    """One stage of the chain (``B`` datasets): ``h``, ``p`` (``B x d``), ``ρ`` (``B``; 0 for the cheapest
    level), ``σ²``, the noise variance (``B``, scaled units; 0 without noise) and the stage's objective."""

    h: Tensor
    p: Tensor
    rho: Tensor
    sigma2: Tensor
    noise: Tensor
    nll: Tensor


@dataclass(frozen=True)
class CheapLevel:
    """Stage 1 of a batch (the cheapest level's Kriging), on that level's own output scaling.

    ``keys``: one fingerprint per member (the cheapest level's points and values in observation
    order, the input bounds and the options stage 1 uses, see :meth:`CoKriging.cheap_keys`);
    ``offset``, ``scale``: the cheap outputs' scaling (``B``: ``y = offset + scale·y_s``);
    ``stage``: the fit in those scaled units. It depends on nothing else, so
    :meth:`CoKriging.fit_batch` takes it (``cheap=``) for any datasets whose members have these keys,
    in any order or subset, and gives the same bits as fitting the same batch afresh.
    """

    keys: tuple[str, ...]
    offset: Tensor
    scale: Tensor
    stage: StageFit

    def take(self, keys: Sequence[str]) -> CheapLevel:
        """The members with these fingerprints, in this order (a clear error when one is missing)."""
        where = {k: i for i, k in enumerate(self.keys)}
        missing = [i for i, k in enumerate(keys) if k not in where]
        if missing:
            raise ModelFittingError(
                f"the given cheap level was not fitted on the cheapest-level data of dataset(s) {missing} "
                "(points, values, bounds and options must be identical)"
            )
        idx = torch.tensor([where[k] for k in keys], dtype=torch.long, device=self.offset.device)
        st = self.stage
        stage = StageFit(*(t.index_select(0, idx) for t in (st.h, st.p, st.rho, st.sigma2, st.noise, st.nll)))
        return CheapLevel(tuple(keys), self.offset[idx], self.scale[idx], stage)


def dof_is_bounded(n: int, d: int, regressors: int = 2) -> bool:
    """Whether the degrees-of-freedom objective ``((n - r)/2) ln σ² + ½ ln|R|`` of a difference
    stage stays bounded below as every ``θ → 0`` on a generic design of ``n`` points in ``d``
    dimensions (else the stage uses the maximum-likelihood ``n``).

    As ``θ → 0`` the Gaussian correlation matrix has eigenvalues of order ``θ^k``, one per monomial
    of degree ``k`` (``C(k + d - 1, d - 1)`` of them), filled from degree 0 up to ``n`` values, so
    ``½ ln|R| ≈ ½ Σ k ln θ``. The residual sum of squares grows as ``θ^-K``, ``K`` the top degree --
    unless that degree holds a single monomial: then the slope ``ρ`` can cancel it (``y - ρŷ`` an
    exact polynomial of degree ``K - 1``). The objective behaves as ``(½ Σ k - ½(n - r) K) ln θ``
    and is unbounded below when that coefficient is not negative: e.g. ``n = 4`` or ``5`` in one
    dimension, where the degrees-of-freedom fit of a useless cheap source went to ``θ = 1e-3``,
    ``σ² = 1.6e9`` and predicted every left-out target value from its cheap twin to 0.004.
    """
    degrees: list[int] = []
    k = 0
    while len(degrees) < n:
        degrees += [k] * min(math.comb(k + d - 1, d - 1), n - len(degrees))
        k += 1
    top = degrees[-1]
    K = top - 1 if degrees.count(top) <= regressors - 1 else top
    return 0.5 * sum(degrees) - 0.5 * (n - regressors) * K < 0


def fit_difference(
    Xs: Tensor,
    ys: Tensor,
    yhat: Tensor,
    p: float | None,
    n_starts: int,
    seed: int,
    maxiter: int,
    nugget: bool = False,
    noise_variance: Tensor | None = None,
    warm: Tensor | None = None,
    optima_kept: int = 1,
    explore: bool = True,
) -> tuple[StageFit, Tensor, Problem]:
    """Fit ``b = ys - ρ yhat`` (``B x n``) at ``Xs`` (``B x n x d``); also the ``optima_kept`` best
    distinct local optima of the search (``k x B x P``, see :func:`~mfopt_surrogates._likelihood.local_optima`)
    and the objective that was minimised.

    ``ρ`` is profiled out exactly: for a fixed ``R``, ``ln|R|`` does not depend on ``ρ`` and ``RSS``
    is the generalised-least-squares residual of ``ys`` on the regressors ``[1, yhat]`` (``σ_b² =
    RSS/(n - 2)``, the objective weighted by ``n - 2``: Le Gratiet 2014, SMT ``MFK``; ``n`` where
    :func:`dof_is_bounded` says that objective is unbounded below), so the
    optimum is that regression's slope (clipped to ``RHO_BOUNDS``) rather than a searched-for value
    (its basin can be a needle). ``nugget``: learn the stage's noise-to-process variance ratio;
    ``noise_variance``: a fixed noise variance (``B``, scaled units), ``σ_b²`` then a parameter;
    ``warm`` (``k x B x P``): only the local search, from these rows (a loop's refit; ``explore``:
    also from the best isotropic candidate, see :func:`~mfopt_surrogates._likelihood.search`).
    """
    B, n, d = Xs.shape
    lower, upper = hp_box(d, p is None, H_BOUNDS_DIFF, Xs.device, nugget, noise_variance is not None)
    F = torch.stack([torch.ones_like(yhat), yhat], -1)
    dist = Distances.of(Xs, p)
    problem = Problem(
        dist, ys, F, d, RHO_BOUNDS, nugget=nugget, noise_variance=noise_variance, dof=dof_is_bounded(n, d), inputs=Xs
    )
    ends, values = search(problem, lower, upper, n_starts, seed, maxiter, warm=warm, explore=explore)
    optima = local_optima(ends, values, d, optima_kept)
    best = optima[0]
    with torch.no_grad():
        fit = problem.nll(best, torch.arange(B, device=Xs.device))
    h, pp = split_hp(best, d, p)
    if nugget:
        noise = torch.pow(10.0, best[:, -1]) * fit.sigma2
    else:
        noise = noise_variance if noise_variance is not None else torch.zeros_like(fit.sigma2)
    return StageFit(h, pp, fit.beta[:, 1], fit.sigma2, noise, fit.nll), optima, problem


class CoKriging(Kriging):
    """AR1 Co-Kriging over every fidelity of the dataset (ordered by level; the last is the target).

    Options as :class:`~mfopt_surrogates.kriging.Kriging` (but no ``theta_prior``), plus
    ``use_prediction`` (default True: the difference model uses the lower level's prediction at
    the higher level's points). ``noise``: ``"none"`` (every level interpolated exactly, the
    default), ``"learn"`` (a homoscedastic noise term per level: the cheapest level's nugget in its
    Kriging likelihood, each difference stage's in its own) or a number ``>= 0`` (a fixed noise
    variance of every level, in the target's units). Predictions are of the latent (noise-free)
    functions; each stage's ``ŷ_{k-1}`` is the latent mean; the fitted info reports
    ``noise_variance`` and ``nugget`` per level, and each stage's ``neg_log_likelihood`` in the
    units it was fitted in (stage 1: the cheapest level's own scaling; the others: the HF sample's).
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
        noise: str | float = "none",
        warm_start: bool = True,
    ) -> None:
        super().__init__(device, seed, p, n_starts, maxiter, mean_uncertainty, noise=noise, warm_start=warm_start)
        self.use_prediction = bool(use_prediction)
        self._chains: PrefixMemo[_Chain] = PrefixMemo(keep=_Chain.compact)

    def refit(self, data: Dataset) -> FittedSurrogate:
        """The loop's fit, warm-started stage by stage (:mod:`mfopt_surrogates._warm`'s scheme).

        The anchor is the cold fit of each level's first ``m`` rows (``m`` the level's largest
        checkpoint, :func:`~mfopt_surrogates._warm.anchor_size`, or all its rows below the first),
        memoised by their fingerprint. Each stage of the fit of all rows is then the anchor's stage
        when its data are the same (the level's rows and every lower stage unchanged), else a local
        search from the anchor stage's distinct optima (and the best isotropic candidate when the
        level has rows the anchor's has not); when its optimum costs the anchor stage's
        own rows more than ``DRIFT_NATS`` per row (against the anchor's optimum), the full cold
        search of the stage runs too and the better wins. With every level below its first checkpoint this
        is :meth:`fit`. ``info["refit"]``: ``"cold"``, ``"warm"`` or ``"warm+cold"`` (some stage
        needed the cold search); ``info["refit_stages"]``: each stage's (``"cold"``: the anchor's
        own). The result depends on the data only (the memo only saves time).
        """
        fids = self._fidelities([data])
        per_level = [self._checked([data], f.name)[0] for f in fids]
        sizes = tuple(len(y) for _, y in per_level)
        if not self.warm_start or all(anchor_size(n) is None for n in sizes):
            return self.fit(data)
        start = time.perf_counter()
        bounds = data.bounds.to(device=self.device, dtype=DTYPE).unsqueeze(0)
        rows = tuple(anchor_size(n) or n for n in sizes)
        prefix = [(X[:m], y[:m]) for (X, y), m in zip(per_level, rows, strict=True)]
        key = fingerprint(bounds, *(t for pair in prefix for t in pair))
        anchor = self._chains.get(key)
        if anchor is None:
            anchor = self._chain(prefix, bounds, None)
            self._chains.put(key, anchor)
        chain = anchor if rows == sizes else self._chain(per_level, bounds, anchor)
        scaling = Scaling.of_tensors(bounds, [per_level[-1][1]])
        Xs = [scaling.inputs(X.unsqueeze(0)) for X, _ in per_level]
        ys = [scaling.outputs(y.unsqueeze(0)) for _, y in per_level]
        fitted = self._assemble_chain([data], fids, list(chain.in_units(scaling.scale)), Xs, ys, scaling, start)[0]
        fitted.info["refit"] = "cold" if rows == sizes else chain.how
        fitted.info["refit_stages"] = list(chain.hows)
        return fitted

    def cheap_keys(self, datasets: Sequence[Dataset]) -> tuple[str, ...]:
        """The fingerprint of each dataset's stage 1: its cheapest level's points and values (in
        observation order), its bounds and the options stage 1 depends on (see :class:`CheapLevel`)."""
        options = repr((self.p, self.n_starts, self.seed, self.maxiter, self.noise, str(self.device)))
        keys = []
        for d in datasets:
            X, y = d.tensors(d.fidelities[0].name, device="cpu")
            digest = hashlib.sha256(options.encode())
            for t in (X, y, d.bounds):
                digest.update(str(tuple(t.shape)).encode())
                digest.update(t.detach().to(DTYPE).contiguous().numpy().tobytes())
            keys.append(digest.hexdigest())
        return tuple(keys)

    def fit_cheap_level(self, datasets: Sequence[Dataset]) -> CheapLevel:
        """Stage 1 alone for a batch of datasets, to pass to :meth:`fit_batch` (``cheap=``) for every
        batch whose cheapest-level data are the same (e.g. the same ``n_l`` points with other ``n_h``)."""
        level = self._checked(datasets, self._fidelities(datasets)[0].name)
        if len({X.shape for X, _ in level}) > 1:
            raise ModelFittingError("fit_cheap_level needs equally sized cheapest levels (one batch)")
        return self._cheap_level(datasets, level)

    def fit_batch(self, datasets: Sequence[Dataset], cheap: CheapLevel | None = None) -> list[FittedSurrogate]:
        """Fit equally sized datasets (per level) as one batched model (else one by one).

        ``cheap``: a stage 1 from :meth:`fit_cheap_level` covering these datasets' cheapest levels
        (by fingerprint): it is used instead of fitting stage 1 again, with the same result.
        """
        if not datasets:
            return []
        fids = self._fidelities(datasets)
        per_level = [self._checked(datasets, f.name) for f in fids]
        if any(d.fidelities != fids for d in datasets) or any(len({X.shape for X, _ in lv}) > 1 for lv in per_level):
            return [f for d in datasets for f in self.fit_batch([d], cheap)]
        start = time.perf_counter()
        first = self._cheap_level(datasets, per_level[0]) if cheap is None else cheap.take(self.cheap_keys(datasets))
        scaling = Scaling.of(datasets, self.device)
        Xs = [scaling.inputs(torch.stack([X for X, _ in lv])) for lv in per_level]
        ys = [scaling.outputs(torch.stack([y for _, y in lv])) for lv in per_level]
        stages = [_in_units(first.stage, first.scale.to(self.device), scaling.scale)]
        for k in range(1, len(fids)):
            stages.append(self._difference(stages, Xs, ys, k, scaling)[0])
        return self._assemble_chain(datasets, fids, stages, Xs, ys, scaling, start)

    def _assemble_chain(
        self,
        datasets: Sequence[Dataset],
        fids: tuple[Fidelity, ...],
        stages: list[StageFit],
        Xs: list[Tensor],
        ys: list[Tensor],
        scaling: Scaling,
        start: float,
    ) -> list[FittedSurrogate]:
        """One fitted surrogate per dataset from the fitted ``stages`` (in the HF scaling ``scaling``)."""
        params = _params(stages)
        chain = tuple(f.level for f in fids)
        model = _model(params, self._noise(stages), Xs, ys, scaling, chain, self.mean_uncertainty)
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
                "neg_log_likelihood": [float(st.nll[i]) for st in stages],
                "noise_variance": [float(st.noise[i] * scaling.scale[i] ** 2) for st in stages],
                "nugget": [float(st.noise[i] / st.sigma2[i]) for st in stages],
                "mu": (scaling.offset[i] + scaling.scale[i] * level_means[i]).tolist(),
                "beta": beta[i].tolist(),
                "jitter": float(model.jitter[i]),
                "device": str(self.device),
                "use_prediction": self.use_prediction,
            }
            out.append(FittedSurrogate(model.select(i), fids[-1].name, levels, True, info))
        return out

    def _noise(self, stages: Sequence[StageFit]) -> Tensor | None:
        """The noise variance of each fitted level (``B x K``, scaled units), None for exact interpolation."""
        return torch.stack([st.noise for st in stages], -1) if self.noise != "none" else None

    def _fidelities(self, datasets: Sequence[Dataset]) -> tuple[Fidelity, ...]:
        """The first dataset's fidelities (a clear error below two)."""
        fids = datasets[0].fidelities
        if len(fids) < 2:
            raise ModelFittingError(
                f"co-kriging needs at least two fidelities, the dataset has {[f.name for f in fids]}"
            )
        return fids

    def _checked(self, datasets: Sequence[Dataset], name: str) -> list[tuple[Tensor, Tensor]]:
        """Each dataset's points and values at fidelity ``name``, checked."""
        level = [d.tensors(name, device=self.device) for d in datasets]
        for X, y in level:
            check_data(X, y, f"co-kriging on fidelity {name!r}")
        return level

    def _cheap_level(self, datasets: Sequence[Dataset], level: list[tuple[Tensor, Tensor]]) -> CheapLevel:
        """Stage 1 on the cheapest level's own output scaling (its sample's minimum and range)."""
        scaling = Scaling.of([d.restrict([d.fidelities[0].name]) for d in datasets], self.device)
        Xs = scaling.inputs(torch.stack([X for X, _ in level]))
        ys = scaling.outputs(torch.stack([y for _, y in level]))
        stage, _, _ = self._stage_one(Xs, ys, self._fixed_noise(scaling))
        return CheapLevel(self.cheap_keys(datasets), scaling.offset, scaling.scale, stage)

    def _stage_one(
        self,
        Xs: Tensor,
        ys: Tensor,
        fixed: Tensor | None,
        warm: Tensor | None = None,
        optima_kept: int = 1,
        explore: bool = True,
    ) -> tuple[StageFit, Tensor, Problem]:
        """Kriging on the cheapest level (with its nugget or fixed noise when ``noise`` asks), the
        ``optima_kept`` best distinct optima of its search and its objective; ``warm``: only a local
        search from these rows."""
        cheap = maximise_correlation(
            Xs, ys, self.p, self.n_starts, self.seed, self.maxiter, H_BOUNDS_CHEAP,
            nugget=self.noise == "learn", noise_variance=fixed, warm=warm, optima_kept=optima_kept, explore=explore,
        )  # fmt: skip
        sigma2 = cheap.gls.sigma2
        stage = StageFit(cheap.h, cheap.p, torch.zeros_like(sigma2), sigma2, cheap.nugget * sigma2, cheap.gls.nll)
        return stage, cheap.optima, cheap.problem

    def _difference(
        self,
        stages: list[StageFit],
        Xs: list[Tensor],
        ys: list[Tensor],
        k: int,
        scaling: Scaling,
        warm: Tensor | None = None,
        optima_kept: int = 1,
        explore: bool = True,
    ) -> tuple[StageFit, Tensor, Problem]:
        """Stage ``k`` (a difference) given the fitted lower ``stages`` (HF scaling ``scaling``)."""
        yhat = self._lower_values(stages, Xs, ys, k)
        learn, fixed = self.noise == "learn", self._fixed_noise(scaling)
        return fit_difference(
            Xs[k], ys[k], yhat, self.p, self.n_starts, self.seed + k, self.maxiter, learn, fixed, warm, optima_kept,
            explore,
        )  # fmt: skip

    def _chain(self, per_level: list[tuple[Tensor, Tensor]], bounds: Tensor, anchor: _Chain | None) -> _Chain:
        """The chain of one dataset's rows ``per_level`` (``(X, y)`` per level, original units;
        ``bounds``: ``1 x 2 x d``): cold with :data:`~mfopt_surrogates.kriging.ANCHOR_OPTIMA` optima kept
        when ``anchor`` is None, else warm from ``anchor`` (see :meth:`refit`)."""
        sizes = tuple(len(y) for _, y in per_level)
        target = Scaling.of_tensors(bounds, [per_level[-1][1]])
        cheap = Scaling.of_tensors(bounds, [per_level[0][1]])
        Xs = [target.inputs(X.unsqueeze(0)) for X, _ in per_level]
        ys = [target.outputs(y.unsqueeze(0)) for _, y in per_level]
        cheap_ys = cheap.outputs(per_level[0][1].unsqueeze(0))
        scalings = [cheap] + [target] * (len(per_level) - 1)
        stages: list[StageFit] = []  # each in the units it was fitted in
        hf: list[StageFit] = []  # in the HF scaling
        optima: list[Tensor] = []
        problems: list[Problem] = []
        hows: list[str] = []
        exact = anchor is not None
        for k, scaling in enumerate(scalings):
            exact = exact and anchor is not None and anchor.rows[k] == sizes[k]
            if exact and anchor is not None:  # the same data as the anchor's stage
                fit, opt, problem, how = anchor.stages[k], anchor.optima[k], anchor.problems[k], "cold"
            else:
                run = partial(self._stage_search, k, hf, Xs, [cheap_ys] if k == 0 else ys, scaling)
                fit, opt, problem, how = _warm_or_cold(run, anchor, k, sizes[k], scaling.scale, self.noise)
            stages.append(fit)
            optima.append(opt)
            problems.append(problem)
            hows.append(how)
            hf.append(_in_units(fit, scaling.scale, target.scale))
        scales = tuple(s.scale for s in scalings)
        return _Chain(sizes, tuple(stages), tuple(optima), tuple(problems), scales, tuple(hows))

    def _stage_search(
        self,
        k: int,
        hf: list[StageFit],
        Xs: list[Tensor],
        ys: list[Tensor],
        scaling: Scaling,
        warm: Tensor | None,
        optima_kept: int,
        explore: bool,
    ) -> tuple[StageFit, Tensor, Problem]:
        """Stage ``k`` of a chain (``scaling``: the stage's output scaling; ``ys``: the cheapest level's
        values in it for ``k = 0``, else every level's in the HF scaling, as the lower stages ``hf``)."""
        if k == 0:
            return self._stage_one(Xs[0], ys[0], self._fixed_noise(scaling), warm, optima_kept, explore)
        return self._difference(hf, Xs, ys, k, scaling, warm, optima_kept, explore)

    def _lower_values(self, stages: list[StageFit], Xs: list[Tensor], ys: list[Tensor], k: int) -> Tensor:
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
        chain = tuple(float(j) for j in range(k))
        sub = _model(_params(stages), self._noise(stages), Xs[:k], ys[:k], unit, chain, False)
        level = torch.full((*Xs[k].shape[:-1], 1), float(k - 1), dtype=DTYPE, device=Xs[k].device)
        with torch.no_grad():
            return sub.mean(torch.cat([Xs[k], level], -1))


def _warm_or_cold(
    run: Callable[[Tensor | None, int, bool], tuple[StageFit, Tensor, Problem]],
    anchor: _Chain | None,
    k: int,
    n: int,
    scale: Tensor,
    noise: str | float,
) -> tuple[StageFit, Tensor, Problem, str]:
    """Stage ``k`` (``n`` rows) by ``run(warm, optima_kept, explore)``: cold (the anchor's
    :data:`~mfopt_surrogates.kriging.ANCHOR_OPTIMA` optima kept) without ``anchor``; else a local
    search from the anchor's optima -- and from the best isotropic candidate when the stage has rows
    the anchor's has not (new points can create a basin; with the same rows only the lower stages'
    ``ŷ`` moved) -- plus the cold search when its optimum costs the anchor stage's own rows more than
    ``DRIFT_NATS`` per row (:mod:`mfopt_surrogates._warm`). ``scale``: the stage's output scale (``1``)."""
    if anchor is None:
        return (*run(None, ANCHOR_OPTIMA, True), "cold")
    fit, opt, problem = run(anchor.warm_rows(k, scale, noise), 1, n > anchor.rows[k])
    if anchor.drift(k, opt[0], scale, noise) <= DRIFT_NATS:
        return fit, opt, problem, "warm"
    cold, cold_opt, cold_problem = run(None, 1, True)
    if float(cold.nll[0]) < float(fit.nll[0]):
        return cold, cold_opt, cold_problem, "warm+cold"
    return fit, opt, problem, "warm+cold"


def _in_units(stage: StageFit, scale: Tensor, target: Tensor) -> StageFit:
    """A stage fitted on outputs scaled by ``scale`` (``B``), in outputs scaled by ``target`` instead:
    ``θ``, ``p``, ``ρ`` (a ratio of two levels already in ``target``'s units) and the nugget ratio are
    unchanged, ``σ²`` and the noise variance scale by ``(scale / target)²``."""
    ratio2 = (scale / target) ** 2
    return StageFit(stage.h, stage.p, stage.rho, stage.sigma2 * ratio2, stage.noise * ratio2, stage.nll)


@dataclass(frozen=True)
class _Chain:
    """One dataset's Co-Kriging fit as :meth:`CoKriging.refit` keeps it: the rows of each level it
    saw, each stage in the units it was fitted in (stage 0: the cheapest level's own scaling; the
    others: the HF sample's), the distinct local optima of each stage's search (``k x 1 x P``), each
    stage's objective (its data in that scaling), the output scale of each stage's fit (``1``) and
    how each stage was made."""

    rows: tuple[int, ...]
    stages: tuple[StageFit, ...]
    optima: tuple[Tensor, ...]
    problems: tuple[Problem, ...]
    scales: tuple[Tensor, ...]
    hows: tuple[str, ...]

    @property
    def how(self) -> str:
        """``"warm+cold"`` when some stage also needed the cold search, else ``"warm"``."""
        return "warm+cold" if "warm+cold" in self.hows else "warm"

    def drift(self, k: int, best: Tensor, scale: Tensor, noise: str | float) -> float:
        """How far the parameter row ``best`` (``1 x P``, a stage-``k`` fit on outputs scaled by
        ``scale``) lies from this chain's stage-``k`` optimum: its objective on this stage's rows
        minus the stage's own, per row."""
        return optimum_drift(self.problems[k], self.stages[k].nll, self.scales[k], best, scale, noise)

    def compact(self) -> _Chain:
        """As an anchor keeps it in the memo: each stage's objective without its distances."""
        return replace(self, problems=tuple(p.compact() for p in self.problems))

    def warm_rows(self, k: int, scale: Tensor, noise: str | float) -> Tensor:
        """Stage ``k``'s optima as warm starts for outputs scaled by ``scale``: only a fixed noise's
        ``log10 σ²`` (the last parameter) depends on the output scale."""
        return rescaled(self.optima[k], noise, self.scales[k], scale)

    def in_units(self, target: Tensor) -> tuple[StageFit, ...]:
        """The stages in outputs scaled by ``target`` (``1``), the model's scaling."""
        return tuple(_in_units(st, sc, target) for st, sc in zip(self.stages, self.scales, strict=True))


def _beta_original(beta: Tensor, rho: Tensor, offset: Tensor, scale: Tensor) -> Tensor:
    """The level means ``β`` (``B x K``) in original units: ``y = offset + scale·y_s`` gives
    ``offset + scale·β_0`` for the cheapest level and ``scale·β_k + (1 - ρ_k)·offset`` for each difference."""
    first = offset + scale * beta[:, 0]
    rest = scale.unsqueeze(-1) * beta[:, 1:] + (1.0 - rho) * offset.unsqueeze(-1)
    return torch.cat([first.unsqueeze(-1), rest], -1)


def _params(stages: Sequence[StageFit]) -> AR1Params:
    """The chain's hyperparameters from its fitted stages (the cheapest first)."""
    first = stages[0].rho
    rho = torch.stack([st.rho for st in stages[1:]], -1) if len(stages) > 1 else first.new_zeros(len(first), 0)
    return AR1Params(
        torch.stack([st.h for st in stages], -2),
        torch.stack([st.p for st in stages], -2),
        torch.stack([st.sigma2 for st in stages], -1),
        rho,
    )


def _model(
    params: AR1Params,
    noise: Tensor | None,
    Xs: list[Tensor],
    ys: list[Tensor],
    scaling: Scaling,
    chain_levels: tuple[float, ...],
    mean_uncertainty: bool,
) -> AR1GP:
    """The AR1 GP on the first ``len(Xs)`` levels of ``params`` (training inputs already scaled), with
    the per-level noise variances ``noise`` (``B x K``, scaled units) on its training diagonal."""
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
        noise=None if noise is None else noise[..., :K],
    )
