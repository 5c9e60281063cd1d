"""Augmented expected improvement (Huang, Allen, Notz & Miller 2006), the default multi-fidelity choice.

For a fidelity ``f`` and a point ``x`` (minimisation, noise-free models):

    aEI(x, f) = EI_target(x) · corr(Y_f(x), Y_target(x)) · cost_target / cost_f

``EI_target`` is expected improvement on the target posterior over Huang's *effective best*: the
predicted target mean at the evaluated location ``x**`` (any fidelity) that minimises
``mean(x) + c · std(x)`` at the target, ``c = 1`` (:func:`effective_best`; for noise-free data it
is at most the best high-fidelity value). The correlation (Huang's ``α1``) comes from the model's
joint posterior over ``[(x, level_f), (x, level_target)]``, so it shrinks where the cheap source
says little about the target; the cost ratio (``α3 = cost_target / cost_f``) favours the cheap
source in proportion to its price. Both factors are the paper's. With a posterior correlation
near 1 (a well-determined discrepancy) the cost ratio decides: at a cost ratio of 10 the cheap
source wins unless its best EI is under a tenth of the target's. How much of the budget may go to
a cheap source is a spending rule, which belongs to the strategy, not to this formula.
Huang's noise factor ``α2 = 1 - τ / sqrt(s_f²(x) + τ²)`` (``s_f²`` the posterior variance at
fidelity ``f``) is kept with a small pseudo-noise ``τ = nugget · std(y_target)``: for the
interpolating models here the correlation is 0/0 where ``f`` was already evaluated at ``x``, and
this factor sends the value to 0 there instead (no repeated evaluations).
The function is optimised as ``log aEI`` (BoTorch's numerically stable ``log EI``), which has the
same maximiser and usable gradients far from the data.

Each affordable allowed fidelity gets its own multi-start L-BFGS-B run over ``x``; the best
``(x, f)`` wins. On a single-fidelity model (gate closed) this is plain EI at the target.
Batches ``q > 1`` are built greedily with the Kriging believer: after each pick the model is
conditioned on its own mean there, the remaining budget is reduced by the pick's cost, and the
next point is chosen on the updated model, so the ``q`` evaluations can run in parallel.
This is written by hand because BoTorch has no augmented EI; it reuses BoTorch's log-EI helper.
"""

from __future__ import annotations

import math
from dataclasses import replace

import torch
from botorch.acquisition import AcquisitionFunction
from botorch.acquisition.analytic import _log_ei_helper
from botorch.models.model import Model
from botorch.posteriors.gpytorch import GPyTorchPosterior
from botorch.utils.transforms import t_batch_mode_transform
from torch import Tensor

from mfopt import Acquisition, Candidate, Dataset, FittedSurrogate, ProposalContext
from mfopt_acquisitions.common import affordable, believe, best_target_value, evaluated, maximize, with_level

MIN_STD = 1e-9
MIN_CORR = 1e-12
#: Huang's risk-aversion constant ``c`` of the effective best solution.
RISK_AVERSION = 1.0


def effective_best(model: FittedSurrogate, data: Dataset, c: float = RISK_AVERSION) -> float:
    """Huang et al.'s incumbent: ``mean(x**)`` with ``x** = argmin mean(x) + c std(x)`` over every
    evaluated location (all fidelities), mean and std of the target posterior."""
    X = evaluated(data).to(data.bounds)
    mean, var = model.predict(X)
    u = mean + c * var.clamp_min(0.0).sqrt()
    ok = torch.isfinite(u)
    if not bool(ok.any()):
        return best_target_value(data)
    return float(mean[ok][u[ok].argmin()])


class LogAugmentedEI(AcquisitionFunction):
    """``log aEI`` at ``x`` for one fidelity: input ``b x 1 x d`` (original units), output ``b``.

    ``level``: the fidelity's level, or None for the target itself (correlation 1) or a
    single-fidelity model. ``target_level``: None for a single-fidelity model (no level column).
    """

    def __init__(
        self,
        model: Model,
        best_f: float,
        level: float | None,
        target_level: float | None,
        cost_ratio: float,
        tau: float = 0.0,
    ) -> None:
        super().__init__(model)
        if not cost_ratio > 0:
            raise ValueError(f"cost ratio must be positive, got {cost_ratio}")
        self.best_f = best_f
        self.level = level
        self.target_level = target_level
        self.log_cost_ratio = math.log(cost_ratio)
        self.tau2 = tau**2

    @t_batch_mode_transform(expected_q=1)  # type: ignore[arg-type]
    def forward(self, X: Tensor) -> Tensor:
        x = X.squeeze(-2)  # b x d
        if self.target_level is None:
            inputs = x.unsqueeze(-2)
        elif self.level is None:
            inputs = with_level(x, self.target_level).unsqueeze(-2)
        else:
            inputs = torch.stack([with_level(x, self.level), with_level(x, self.target_level)], dim=-2)
        posterior = self.model.posterior(inputs)
        if not isinstance(posterior, GPyTorchPosterior):
            raise TypeError("augmented EI needs a Gaussian (GPyTorchPosterior) model posterior")
        cov = posterior.distribution.covariance_matrix  # b x k x k
        mean = posterior.mean[..., -1, 0]
        var_t = cov[..., -1, -1].clamp_min(MIN_STD**2)
        sigma = var_t.sqrt()
        log_ei = _log_ei_helper((self.best_f - mean) / sigma) + sigma.log()
        var_f = cov[..., 0, 0].clamp_min(MIN_STD**2)
        log_value = log_ei + self.log_cost_ratio
        if self.tau2 > 0:
            log_value = log_value + torch.log1p(-(self.tau2 / (var_f + self.tau2)).sqrt()).clamp_min(-1e3)
        if inputs.shape[-2] == 1:
            return log_value
        corr = (cov[..., 0, 1] / (var_f * var_t).sqrt()).abs().clamp(MIN_CORR, 1.0)
        return log_value + corr.log()


class AugmentedEI(Acquisition):
    """Augmented EI over ``(x, fidelity)``.

    Options: ``nugget`` (pseudo-noise of the repeat-sampling factor, relative to the standard
    deviation of the high-fidelity values; 0 disables it), the multi-start sizes of
    :func:`~mfopt_acquisitions.common.maximize` (``raw_samples`` None: sized to the dimension).
    """

    def __init__(self, nugget: float = 1e-3, num_restarts: int = 4, raw_samples: int | None = None) -> None:
        if num_restarts < 1 or (raw_samples is not None and raw_samples < 1):
            raise ValueError("num_restarts and raw_samples must be at least 1")
        if not nugget >= 0:
            raise ValueError(f"nugget must be non-negative, got {nugget}")
        self.nugget = nugget
        self.num_restarts = num_restarts
        self.raw_samples = raw_samples

    def propose(self, model: FittedSurrogate, data: Dataset, context: ProposalContext) -> list[Candidate]:
        best = min(effective_best(model, data), best_target_value(data))
        _, y = data.tensors(model.target)
        tau = self.nugget * (float(y.std()) if y.numel() > 1 else 1.0) or 0.0
        current: Model = model.model
        chosen: list[Candidate] = []
        for k in range(context.q):
            options = affordable(context)
            if not options:
                break
            scored = []
            for f, _ in options:
                if model.fidelity_column and f.name not in model.levels:
                    continue  # a fidelity the model was not trained on (cannot happen from the loop)
                if f.name != model.target and not model.fidelity_column:
                    continue
                acq = self._function(current, model, best, f.name, context, tau)
                seed = context.seed + 7919 * k
                X = maximize(acq, context.bounds, 1, seed, self.num_restarts, self.raw_samples, avoid=evaluated(data))
                with torch.no_grad():
                    value = float(acq(X.unsqueeze(0)))
                if not math.isfinite(value):
                    value = -math.inf  # a degenerate posterior says nothing here; another fidelity may
                scored.append((value, f.level, X[0], f))
            if not scored:
                break
            _, _, x, f = max(scored, key=lambda s: (s[0], s[1]))
            chosen.append(Candidate(tuple(float(v) for v in x), f.name, None, context.iteration))
            context = replace(context, remaining_budget=context.remaining_budget - f.cost)
            if k + 1 < context.q:
                inputs = model.inputs(x.unsqueeze(0), f.name)
                current = believe(current, inputs)
                if f.name == model.target:
                    with torch.no_grad():
                        best = min(best, float(current.posterior(inputs).mean.squeeze()))  # type: ignore[attr-defined]
        return chosen

    def _function(
        self, current: Model, model: FittedSurrogate, best: float, name: str, context: ProposalContext, tau: float
    ) -> LogAugmentedEI:
        costs = {f.name: f.cost for f in context.fidelities}
        if not model.fidelity_column:
            return LogAugmentedEI(current, best, None, None, 1.0, tau)
        level = None if name == model.target else model.levels[name]
        ratio = costs[context.target.name] / costs[name]
        return LogAugmentedEI(current, best, level, model.target_level, ratio, tau)


__all__ = ["AugmentedEI", "LogAugmentedEI"]
