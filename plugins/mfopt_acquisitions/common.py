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
from botorch.models.deterministic import GenericDeterministicModel
from botorch.models.model import FantasizeMixin, Model
from botorch.optim import optimize_acqf
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
    surface is routine near convergence, and BoTorch retries and returns the best point found."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="botorch")
        warnings.filterwarnings("ignore", category=OptimizationWarning)
        yield


def maximize(
    acq: AcquisitionFunction,
    bounds: Tensor,
    q: int,
    seed: int,
    num_restarts: int = 8,
    raw_samples: int = 256,
    sequential: bool = False,
    avoid: Tensor | None = None,
) -> Tensor:
    """``optimize_acqf`` (multi-start L-BFGS-B) over the box; returns ``q x d`` points.

    Never fails on a degenerate acquisition surface: when BoTorch's Boltzmann sampling of initial
    conditions cannot run (acquisition values that are NaN or infinite, e.g. from a posterior whose
    variance overflowed on objective values near 1e200) or the result is not finite, the search
    falls back to :func:`safe_maximize`.
    """
    torch.manual_seed(seed)
    bounds = bounds.to(torch.float64)
    try:
        with quiet_optimizer():
            X, value = optimize_acqf(
                acq,
                bounds=bounds,
                q=q,
                num_restarts=num_restarts,
                raw_samples=raw_samples,
                sequential=sequential,
                options={"seed": seed, "maxiter": 200},
            )
    except RuntimeError as error:
        if "probability tensor" not in str(error):
            raise
        return safe_maximize(acq, bounds, q, seed, num_restarts, raw_samples, avoid)
    if finite(X, value):
        return X.detach().reshape(q, -1)
    return safe_maximize(acq, bounds, q, seed, num_restarts, raw_samples, avoid)


def finite(*tensors: Tensor | None) -> bool:
    """Whether every tensor is present and finite everywhere."""
    return all(t is not None and bool(torch.isfinite(t).all()) for t in tensors)


def safe_maximize(
    acq: AcquisitionFunction,
    bounds: Tensor,
    q: int,
    seed: int,
    num_restarts: int,
    raw_samples: int,
    avoid: Tensor | None = None,
) -> Tensor:
    """The fallback of :func:`maximize` (``q x d`` points, always finite and inside the box).

    ``raw_samples`` scrambled-Sobol ``q``-batches are scored; the best ``num_restarts`` with a
    finite value start L-BFGS-B (``batch_initial_conditions``, so no Boltzmann sampling), and the
    best finite end point wins. When no batch has a finite value, the acquisition says nothing, and
    the ``q`` points are chosen to fill space: greedily, the Sobol point farthest (in the unit
    cube) from ``avoid`` (``n x d``, e.g. the evaluated points) and from the points already chosen.
    """
    raw = draw_sobol_samples(bounds, n=raw_samples, q=q, seed=seed).to(bounds)
    with torch.no_grad():
        values = acq(raw)
    ok = torch.isfinite(values)
    if bool(ok.any()):
        order = torch.where(ok, values, torch.full_like(values, -math.inf)).argsort(descending=True)
        starts = raw[order[: min(num_restarts, int(ok.sum()))]]
        best = starts[0]
        try:
            with quiet_optimizer():
                X, value = optimize_acqf(
                    acq, bounds=bounds, q=q, num_restarts=starts.shape[0], batch_initial_conditions=starts,
                    options={"seed": seed, "maxiter": 200},
                )  # fmt: skip
            if finite(X, value):
                best = X
        except RuntimeError:
            pass
        return best.detach().reshape(q, -1)
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
        stacklevel=2,
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
