"""Cost-aware multi-fidelity knowledge gradient and max-value entropy search (BoTorch).

Both are BoTorch's acquisitions used as documented: ``qMultiFidelityKnowledgeGradient`` (Wu et al.
2019) and ``qMultiFidelityMaxValueEntropy`` (Takeno et al. 2020), each with
``InverseCostWeightedUtility`` (the information gained per unit cost, costs from the problem's
fidelities via :func:`~mfopt_acquisitions.common.cost_model`) and ``project_to_target_fidelity``
(the value of information is measured at the target level). Minimisation: KG optimises the
negated objective (an MC objective ``-y``, current value = the best negated posterior mean at
the target); MES uses BoTorch's ``maximize=False``.

The search is over ``(x, level)`` with the level restricted to the fidelities allowed this
iteration that the remaining budget can pay for: one batched multi-start L-BFGS-B per level with
the level column held fixed (:func:`~mfopt_acquisitions.common.multistart`), the best value wins.
Batches ``q > 1`` are greedy: each pick is added as a pending point (``set_X_pending``: KG
evaluates it jointly with the next point, MES fantasises it), the budget is reduced by its cost
and the next pick is made, as BoTorch's own sequential scheme does.
When the model is single-fidelity (gate closed) the same acquisitions run on ``x`` alone at the
target (plain qKG / qMES).

CPU cost: KG's one-shot optimisation is over ``1 + num_fantasies`` points per pick and each
evaluation conditions the model on every fantasy, so the defaults are small (``num_fantasies=4``,
``num_restarts=4``, ``raw_samples=64``, ``maxiter=30`` L-BFGS-B iterations per level; about 3 s
per pick at n_h = 100, n_l = 200, d = 5, see docs/acquisitions.md); raise them for better
decisions when time allows (BoTorch's tutorials use 64-128 fantasies, 10 restarts, 512 raw samples).
"""

from __future__ import annotations

import math
from abc import abstractmethod
from dataclasses import replace
from typing import Any

import torch
from botorch.acquisition import AcquisitionFunction, PosteriorMean
from botorch.acquisition.cost_aware import InverseCostWeightedUtility
from botorch.acquisition.knowledge_gradient import qKnowledgeGradient, qMultiFidelityKnowledgeGradient
from botorch.acquisition.max_value_entropy_search import qMaxValueEntropy, qMultiFidelityMaxValueEntropy
from botorch.acquisition.objective import GenericMCObjective
from botorch.utils.sampling import draw_sobol_samples
from torch import Tensor

from mfopt import Acquisition, Candidate, Dataset, Fidelity, FittedSurrogate, ProposalContext, lhs
from mfopt_acquisitions.common import (
    affordable,
    at_target,
    cost_model,
    jittered,
    level_bounds,
    model_device,
    multistart,
    raw_sample_count,
    target_projection,
    with_level,
)


def _negate(samples: Tensor, X: Tensor | None = None) -> Tensor:
    return -samples[..., 0]


def _negated() -> GenericMCObjective:
    return GenericMCObjective(_negate)


class CostAwareMultiFidelity(Acquisition):
    """Greedy, budget-aware proposal loop shared by :class:`MultiFidelityKG` and :class:`MultiFidelityMES`."""

    def __init__(self, num_restarts: int, raw_samples: int, maxiter: int) -> None:
        if num_restarts < 1 or raw_samples < 1 or maxiter < 1:
            raise ValueError("num_restarts, raw_samples and maxiter must be at least 1")
        self.num_restarts = num_restarts
        self.raw_samples = raw_samples
        self.maxiter = maxiter

    @abstractmethod
    def build(self, model: FittedSurrogate, data: Dataset, context: ProposalContext) -> AcquisitionFunction:
        """The acquisition function over the model's inputs (``d`` or ``d + 1`` columns)."""

    def propose(self, model: FittedSurrogate, data: Dataset, context: ProposalContext) -> list[Candidate]:
        context = replace(context, bounds=context.bounds.to(model_device(model, context.bounds)))
        torch.manual_seed(context.seed)
        acq = self.build(model, data, context)
        dim = data.dim
        by_level = {f.level: f for f in context.fidelities}
        pending: list[Tensor] = []
        chosen: list[Candidate] = []
        for k in range(context.q):
            options = [f for f, _ in affordable(context) if f.name in model.levels or f.name == model.target]
            if not model.fidelity_column:
                options = [f for f in options if f.name == model.target]
            if not options:
                break
            if pending:
                acq.set_X_pending(torch.stack(pending))
            x_in = self._pick(acq, model, context, options, dim, context.seed + 7919 * k)
            f: Fidelity = by_level[float(x_in[dim])] if model.fidelity_column else context.target
            pending.append(x_in)
            chosen.append(Candidate(tuple(float(v) for v in x_in[:dim]), f.name, None, context.iteration))
            context = replace(context, remaining_budget=context.remaining_budget - f.cost)
        return chosen

    def _pick(
        self,
        acq: AcquisitionFunction,
        model: FittedSurrogate,
        context: ProposalContext,
        options: list[Fidelity],
        dim: int,
        seed: int,
    ) -> Tensor:
        """One model input (``d`` or ``d + 1`` values) maximising ``acq`` over the allowed levels.

        One :func:`~mfopt_acquisitions.common.multistart` per level (the level column held fixed),
        from ``raw_samples`` candidate batches (:meth:`initial_batches`); the best value wins, the
        first level on a tie.
        """
        levels: list[float | None] = [model.levels[f.name] for f in options] if model.fidelity_column else [None]
        bounds = level_bounds(context.bounds, model) if model.fidelity_column else context.bounds
        bounds = bounds.to(torch.float64)
        best: tuple[float, Tensor] | None = None
        for level in levels:
            raw = self.initial_batches(acq, bounds, seed, level)
            fixed = {dim: level} if level is not None else None
            found = multistart(acq, raw, bounds, self.num_restarts, self.maxiter, fixed_features=fixed)
            point, value = (raw[0], -math.inf) if found is None else (found[0][0], float(found[1][0]))
            if best is None or value > best[0]:
                best = (value, point)
        assert best is not None
        X = best[1].unsqueeze(0)
        if isinstance(acq, qKnowledgeGradient):
            X = acq.extract_candidates(X)  # one-shot KG: drop the fantasy points
        return X.detach().reshape(-1)

    def initial_batches(self, acq: AcquisitionFunction, bounds: Tensor, seed: int, level: float | None) -> Tensor:
        """``raw_samples`` scrambled-Sobol candidate batches (``raw x q' x D``), level column at ``level``."""
        q = acq.get_augmented_q_batch_size(1) if isinstance(acq, qKnowledgeGradient) else 1
        raw = draw_sobol_samples(bounds, n=self.raw_samples, q=q, seed=seed).to(bounds)
        if level is not None:
            raw[..., -1] = level
        return raw


class MultiFidelityKG(CostAwareMultiFidelity):
    """Cost-aware multi-fidelity knowledge gradient (``qMultiFidelityKnowledgeGradient``).

    One-shot optimisation (Balandat et al. 2020): each candidate batch holds the proposal and
    ``num_fantasies`` fantasy points. As BoTorch's ``gen_one_shot_kg_initial_conditions`` does,
    90 % of the fantasy points start at maximisers of the current posterior mean (the fantasy
    posteriors' maximisers are usually near them), the rest at random. Those maximisers are found
    ONCE per proposal, and also give KG's baseline (the current best value), instead of once per
    level with BoTorch's 20 restarts from 1024 raw samples.
    """

    def __init__(self, num_fantasies: int = 4, num_restarts: int = 4, raw_samples: int = 64, maxiter: int = 30) -> None:
        super().__init__(num_restarts, raw_samples, maxiter)
        if num_fantasies < 1:
            raise ValueError(f"num_fantasies must be at least 1, got {num_fantasies}")
        self.num_fantasies = num_fantasies
        self._maximisers: Tensor | None = None

    def _current_value(self, model: FittedSurrogate, context: ProposalContext, dim: int) -> Tensor:
        """The best negated posterior mean at the target (KG's baseline); keeps its maximisers."""
        mean = at_target(PosteriorMean(model.model, maximize=False), model, dim)
        bounds = context.bounds.to(torch.float64)
        raw = draw_sobol_samples(bounds, n=raw_sample_count(dim), q=1, seed=context.seed).to(bounds)
        found = multistart(mean, raw, bounds, self.num_restarts)
        if found is None:
            raise ValueError("the posterior mean is not finite anywhere in the box")
        points, values = found
        maximisers = points[torch.isfinite(values)].reshape(-1, dim)
        self._maximisers = with_level(maximisers, model.target_level) if model.fidelity_column else maximisers
        return values[0].detach()

    def initial_batches(self, acq: AcquisitionFunction, bounds: Tensor, seed: int, level: float | None) -> Tensor:
        """Sobol candidate batches whose fantasy points are 90 % posterior-mean maximisers (seeded draw)."""
        raw = super().initial_batches(acq, bounds, seed, level)
        n_value = int(0.9 * (raw.shape[-2] - 1))
        if self._maximisers is None or n_value < 1:
            return raw
        generator = torch.Generator().manual_seed(seed)
        pick = torch.randint(self._maximisers.shape[0], (raw.shape[0], n_value), generator=generator)
        raw[:, raw.shape[-2] - n_value :, :] = self._maximisers.to(raw)[pick]
        return raw

    def build(self, model: FittedSurrogate, data: Dataset, context: ProposalContext) -> AcquisitionFunction:
        current = self._current_value(model, context, data.dim)
        gp = jittered(model, data)
        if not model.fidelity_column:
            return qKnowledgeGradient(gp, num_fantasies=self.num_fantasies, objective=_negated(), current_value=current)
        return qMultiFidelityKnowledgeGradient(
            gp,
            num_fantasies=self.num_fantasies,
            objective=_negated(),
            current_value=current,
            cost_aware_utility=InverseCostWeightedUtility(cost_model(context.fidelities)),
            project=target_projection(model, data.dim),
        )


class MultiFidelityMES(CostAwareMultiFidelity):
    """Cost-aware multi-fidelity max-value entropy search (``qMultiFidelityMaxValueEntropy``).

    The max-value samples are drawn on ``candidates`` LHS points (plus the high-fidelity training
    points) at the target level.
    """

    def __init__(
        self,
        candidates: int = 500,
        num_mv_samples: int = 10,
        num_y_samples: int = 64,
        num_fantasies: int = 8,
        num_restarts: int = 4,
        raw_samples: int = 64,
        maxiter: int = 50,
    ) -> None:
        super().__init__(num_restarts, raw_samples, maxiter)
        if min(candidates, num_mv_samples, num_y_samples, num_fantasies) < 1:
            raise ValueError("candidates, num_mv_samples, num_y_samples and num_fantasies must be at least 1")
        self.candidates = candidates
        self.num_mv_samples = num_mv_samples
        self.num_y_samples = num_y_samples
        self.num_fantasies = num_fantasies

    def build(self, model: FittedSurrogate, data: Dataset, context: ProposalContext) -> AcquisitionFunction:
        X_h, _ = data.tensors(model.target)
        X = torch.cat(
            [lhs(self.candidates, context.bounds, seed=context.seed).to(context.bounds), X_h.to(context.bounds)]
        )
        sizes: dict[str, Any] = {
            "num_mv_samples": self.num_mv_samples,
            "num_y_samples": self.num_y_samples,
            "num_fantasies": self.num_fantasies,
        }
        gp = jittered(model, data)
        if not model.fidelity_column:
            return qMaxValueEntropy(gp, X, maximize=False, **sizes)
        return qMultiFidelityMaxValueEntropy(
            gp,
            with_level(X, model.target_level),
            maximize=False,
            cost_aware_utility=InverseCostWeightedUtility(cost_model(context.fidelities)),
            project=target_projection(model, data.dim),
            **sizes,
        )


__all__ = ["CostAwareMultiFidelity", "MultiFidelityKG", "MultiFidelityMES"]
