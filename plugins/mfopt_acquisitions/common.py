"""Shared pieces of the acquisitions: the high-fidelity view of a fitted model and the optimiser."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import torch
from botorch.acquisition import AcquisitionFunction, FixedFeatureAcquisitionFunction
from botorch.acquisition.objective import PosteriorTransform
from botorch.acquisition.utils import project_to_target_fidelity
from botorch.exceptions.warnings import OptimizationWarning
from botorch.generation.gen import gen_candidates_scipy
from botorch.models.deterministic import GenericDeterministicModel
from botorch.models.model import FantasizeMixin, Model
from botorch.posteriors.gpytorch import GPyTorchPosterior
from botorch.utils.sampling import draw_sobol_samples
from gpytorch.distributions import MultivariateNormal
from torch import Tensor

from mfopt import Candidate, Dataset, Fidelity, FittedSurrogate, ProposalContext


def best_target_value(data: Dataset) -> float:
    """The lowest value observed at the target fidelity."""
    _, y = data.tensors(data.target.name)
    if y.numel() == 0:
        raise ValueError("no successful high-fidelity observation to improve on")
    return float(y.min())


def evaluated(data: Dataset) -> Tensor:
    """Every point evaluated successfully, at any fidelity (``n x d``)."""
    return torch.cat([data.tensors(f.name)[0] for f in data.fidelities])


def at_target(acq: AcquisitionFunction, fitted: FittedSurrogate, dim: int) -> AcquisitionFunction:
    """Fix a multi-fidelity model's fidelity column at the target level (so ``acq`` is over ``x``)."""
    if not fitted.fidelity_column:
        return acq
    return FixedFeatureAcquisitionFunction(acq, d=dim + 1, columns=[dim], values=[fitted.target_level])


@contextmanager
def quiet_optimizer() -> Iterator[None]:
    """Silence BoTorch's optimiser warnings: L-BFGS-B stopping "ABNORMAL" on a flat acquisition
    surface is routine near convergence, and the best point found is returned. BoTorch raises
    them under a local ``simplefilter("always")``, so they are recorded and dropped here; every
    other warning is re-issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for w in caught:
        routine = issubclass(w.category, OptimizationWarning) or (
            issubclass(w.category, RuntimeWarning) and "botorch" in w.filename
        )
        if not routine:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)


#: L-BFGS-B limits of :func:`maximize` (per start): iterations, and function evaluations per line
#: search. Analytic acquisitions converge in a few dozen iterations from the best raw samples; a
#: search that needs more is on a kink (a clamp, a bound) where more iterations gain < 1e-4.
MAXITER = 50
MAXLS = 5


def raw_sample_count(dim: int) -> int:
    """Default number of scrambled-Sobol raw samples for a ``dim``-dimensional search: 128 per
    dimension, at least 256 and at most 1024 (one batched, gradient-free evaluation)."""
    return min(1024, max(256, 128 * dim))


def maximize(
    acq: AcquisitionFunction,
    bounds: Tensor,
    q: int,
    seed: int,
    num_restarts: int = 4,
    raw_samples: int | None = None,
    avoid: Tensor | None = None,
    maxiter: int = MAXITER,
) -> Tensor:
    """Multi-start L-BFGS-B over the box from the best raw samples; returns ``q x d`` points.

    ``raw_samples`` scrambled-Sobol ``q``-batches (default :func:`raw_sample_count`) start
    :func:`multistart`. Deterministic for a ``seed`` (the Sobol points and the Monte-Carlo
    samplers of ``q``-batch acquisitions are seeded from it).

    Never fails on a degenerate acquisition surface: values that are NaN or infinite (e.g. from a
    posterior whose variance overflowed on objective values near 1e200) are never chosen; when no
    raw sample has a finite value the acquisition says nothing, and the ``q`` points are chosen to
    fill space (:func:`space_filling`, away from ``avoid``).
    """
    torch.manual_seed(seed)
    bounds = bounds.to(torch.float64)
    raw_samples = raw_samples if raw_samples is not None else raw_sample_count(int(bounds.shape[-1]))
    if raw_samples < 1:
        raise ValueError("raw_samples must be at least 1")
    raw = draw_sobol_samples(bounds, n=raw_samples, q=q, seed=seed).to(bounds)
    found = multistart(acq, raw, bounds, num_restarts, maxiter)
    if found is None:
        return space_filling(raw, bounds, q, avoid)
    return found[0][0].reshape(q, -1)


def multistart(
    acq: AcquisitionFunction,
    raw: Tensor,
    bounds: Tensor,
    num_restarts: int,
    maxiter: int = MAXITER,
    fixed_features: dict[int, float] | None = None,
) -> tuple[Tensor, Tensor] | None:
    """L-BFGS-B from the ``num_restarts`` best of the candidate ``q``-batches ``raw`` (``b x q x d``).

    ``raw`` is scored in batched calls without gradients; the best starts with a finite value run
    ONE batched L-BFGS-B (BoTorch's ``gen_candidates_scipy``: each start its own iterations and
    convergence, gradients by autograd over the whole batch; ``fixed_features`` columns held).
    Returns the end points and the starts (``m x q x d``) with their values, best first, non-finite
    values as ``-inf``; None when no candidate has a finite value.
    """
    if num_restarts < 1:
        raise ValueError("num_restarts must be at least 1")
    with torch.no_grad():
        values = torch.cat([acq(chunk) for chunk in raw.split(RAW_CHUNK)])
    ok = torch.isfinite(values)
    if not bool(ok.any()):
        return None
    # the search runs where the model lives (its values come back on the GPU for a CUDA model)
    raw, bounds = raw.to(values.device), bounds.to(values.device)
    order = torch.where(ok, values, torch.full_like(values, -math.inf)).argsort(descending=True, stable=True)
    order = order[: min(num_restarts, int(ok.sum()))]
    starts, start_values = raw[order], values[order]
    try:
        with quiet_optimizer():
            X, end_values = gen_candidates_scipy(
                starts, acq, lower_bounds=bounds[0], upper_bounds=bounds[1],
                options={"maxiter": maxiter, "maxls": MAXLS}, fixed_features=fixed_features,
            )  # fmt: skip
    except RuntimeError:
        X, end_values = starts, start_values
    points = torch.cat([X.detach(), starts])
    scores = torch.cat([end_values.detach().reshape(-1), start_values])
    scores = torch.where(torch.isfinite(scores), scores, torch.full_like(scores, -math.inf))
    best = scores.argsort(descending=True, stable=True)
    return points[best], scores[best]


#: Raw samples scored per call (bounds the memory of the gradient-free scoring pass).
RAW_CHUNK = 1024


def space_filling(raw: Tensor, bounds: Tensor, q: int, avoid: Tensor | None = None) -> Tensor:
    """The fallback of :func:`maximize` when the acquisition is finite nowhere (``q x d`` points).

    Greedily, the raw Sobol point farthest (in the unit cube) from ``avoid`` (``n x d``, e.g. the
    evaluated points) and from the points already chosen.
    """
    span = bounds[1] - bounds[0]
    pool = (raw.reshape(-1, bounds.shape[1]) - bounds[0]) / span
    taken = [((avoid.to(bounds) - bounds[0]) / span).reshape(-1, bounds.shape[1])] if avoid is not None else []
    chosen = []
    for _ in range(q):
        if taken and sum(t.shape[0] for t in taken):
            distance = torch.cdist(pool, torch.cat(taken)).min(-1).values
            index = int(distance.argmax())
        else:
            index = 0
        chosen.append(pool[index])
        taken.append(pool[index : index + 1])
    warnings.warn(
        "acquisition values are not finite anywhere in the box (degenerate model posterior); "
        "proposing space-filling points instead",
        RuntimeWarning,
        stacklevel=3,
    )
    return bounds[0] + torch.stack(chosen) * span


def candidates(X: Tensor, fidelity: str, context: ProposalContext) -> list[Candidate]:
    return [Candidate(tuple(float(v) for v in row), fidelity, None, context.iteration) for row in X]


# multi-fidelity helpers ------------------------------------------------------------------------
BUDGET_EPS = 1e-9


def affordable(context: ProposalContext) -> list[tuple[Fidelity, int]]:
    """The allowed fidelities one evaluation of which fits in ``context.remaining_budget``, each
    with how many of the ``q`` batch points it can pay for (at least 1), cheapest level first."""
    out = []
    for f in context.fidelities:
        if f.cost <= context.remaining_budget + BUDGET_EPS:
            slots = context.q
            if math.isfinite(context.remaining_budget):
                slots = min(slots, math.floor(context.remaining_budget / f.cost + BUDGET_EPS))
            out.append((f, max(1, slots)))
    return out


def with_level(X: Tensor, level: float) -> Tensor:
    """``X`` (``... x d``) with a fidelity column at ``level`` appended (``... x d+1``)."""
    column = torch.full((*X.shape[:-1], 1), level, dtype=X.dtype, device=X.device)
    return torch.cat([X, column], dim=-1)


def model_device(fitted: FittedSurrogate, bounds: Tensor) -> torch.device:
    """Where the fitted model's tensors live (the device of its posterior mean at one point of the
    box): the search runs there, so a model fitted on the GPU is searched on the GPU."""
    X = bounds[:1].to(torch.float64)
    if fitted.fidelity_column:
        X = with_level(X, fitted.target_level)
    with torch.no_grad():
        posterior: Any = fitted.model.posterior(X.unsqueeze(0))  # a Gaussian posterior: has a mean
        return posterior.mean.device


def level_bounds(bounds: Tensor, fitted: FittedSurrogate) -> Tensor:
    """The ``2 x (d+1)`` box of a multi-fidelity model's inputs (levels from lowest to target)."""
    levels = list(fitted.levels.values())
    column = torch.tensor([[min(levels)], [fitted.target_level]], dtype=bounds.dtype, device=bounds.device)
    return torch.cat([bounds, column], dim=-1)


def cost_model(fidelities: Sequence[Fidelity]) -> GenericDeterministicModel:
    """A deterministic BoTorch model mapping the fidelity column (last input, a level) to the cost
    of that fidelity (``... x q x (d+1)`` -> ``... x q x 1``; a level between two declared ones gets
    the cost of the nearest). Used by :class:`~botorch.acquisition.cost_aware.InverseCostWeightedUtility`.
    """
    levels = torch.tensor([f.level for f in fidelities], dtype=torch.float64)
    costs = torch.tensor([f.cost for f in fidelities], dtype=torch.float64)

    def cost(X: Tensor) -> Tensor:
        nearest = (X[..., -1:].unsqueeze(-1) - levels.to(X)).abs().argmin(-1)
        return costs.to(X)[nearest]

    return GenericDeterministicModel(cost, num_outputs=1)


def target_projection(fitted: FittedSurrogate, dim: int) -> Callable[[Tensor], Tensor]:
    """``project_to_target_fidelity`` for a model whose last column (index ``dim``) is the level."""
    target = {dim: fitted.target_level}
    return lambda X: project_to_target_fidelity(X=X, target_fidelities=target, d=dim + 1)


def believe(model: Model, inputs: Tensor) -> Model:
    """Kriging believer: ``model`` conditioned on its own posterior mean at ``inputs`` (``n x D``
    model inputs), hyperparameters unchanged. Used to build ``q > 1`` batches greedily: the next
    point sees the chosen ones as observed, so it goes elsewhere (Ginsbourger et al. 2010)."""
    with torch.no_grad():
        mean = model.posterior(inputs).mean  # type: ignore[attr-defined]
    return model.condition_on_observations(inputs, mean)


class Jittered(Model, FantasizeMixin):
    """A Gaussian model whose joint posterior covariance gets ``jitter`` on the diagonal.

    Monte-Carlo acquisitions (KG's fantasies, MES's samples) factorise the joint posterior
    covariance; for noise-free interpolating models it can be exactly singular or a hair below
    zero (a fantasy at the cheap level pins the target where ``ρ ≈ 1``), which makes the sampled
    values' gradients NaN. A jitter far below the data's scale keeps the factorisation and its
    gradients finite; conditioning (``fantasize``) passes through to the wrapped model.
    """

    _num_outputs = 1

    def __init__(self, base: Model, jitter: float) -> None:
        super().__init__()
        if not jitter > 0:
            raise ValueError(f"jitter must be positive, got {jitter}")
        self.base = base
        self.jitter = jitter
        self.likelihood = None  # noise-free: ``fantasize`` looks for a fixed-noise likelihood

    @property
    def num_outputs(self) -> int:
        return 1

    @property
    def batch_shape(self) -> torch.Size:
        return self.base.batch_shape

    def posterior(  # type: ignore[override]
        self,
        X: Tensor,
        output_indices: list[int] | None = None,
        observation_noise: bool | Tensor = False,
        posterior_transform: PosteriorTransform | None = None,
        **kwargs: Any,
    ) -> GPyTorchPosterior:
        posterior = self.base.posterior(X)
        if not isinstance(posterior, GPyTorchPosterior):
            raise TypeError("the model's posterior is not Gaussian (GPyTorchPosterior)")
        mvn = posterior.distribution
        out = GPyTorchPosterior(MultivariateNormal(mvn.mean, mvn.lazy_covariance_matrix.add_jitter(self.jitter)))
        return posterior_transform(out) if posterior_transform is not None else out

    def condition_on_observations(self, X: Tensor, Y: Tensor, **kwargs: Any) -> Jittered:
        return Jittered(self.base.condition_on_observations(X, Y, **kwargs), self.jitter)


def jittered(fitted: FittedSurrogate, data: Dataset, relative: float = 1e-6) -> Jittered:
    """``fitted.model`` with a jitter of ``(relative · std of the target values)²``."""
    _, y = data.tensors(fitted.target)
    scale = float(y.std()) if y.numel() > 1 and float(y.std()) > 0 else 1.0
    return Jittered(fitted.model, (relative * scale) ** 2)
