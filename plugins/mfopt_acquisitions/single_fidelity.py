"""Single-fidelity acquisitions on the high-fidelity posterior: LogEI and LCB (BoTorch).

Minimisation: LogEI improves on the lowest high-fidelity value; LCB is BoTorch's upper confidence
bound with ``maximize=False``. For ``q > 1`` the joint Monte-Carlo versions (qLogEI, qUCB) are
optimised jointly over the batch. On a multi-fidelity model the fidelity column is fixed at the
target, so these propose high-fidelity points only.

Both are maximised by :func:`~mfopt_acquisitions.common.maximize`: ``raw_samples`` Sobol points
(default: 128 per dimension, 256 to 1024) scored in one call, L-BFGS-B from the ``num_restarts``
best.
"""

from __future__ import annotations

from botorch.acquisition import (
    AcquisitionFunction,
    LogExpectedImprovement,
    UpperConfidenceBound,
    qLogExpectedImprovement,
    qUpperConfidenceBound,
)
from botorch.acquisition.objective import GenericMCObjective
from torch import Tensor

from mfopt import Acquisition, Candidate, Dataset, FittedSurrogate, ProposalContext
from mfopt_acquisitions.common import at_target, best_target_value, candidates, evaluated, maximize


def _negate(samples: Tensor, X: Tensor | None = None) -> Tensor:
    return -samples[..., 0]


def _negated() -> GenericMCObjective:
    return GenericMCObjective(_negate)


class LogEI(Acquisition):
    """Log expected improvement over the best high-fidelity value (Ament et al. 2023)."""

    def __init__(self, num_restarts: int = 4, raw_samples: int | None = None) -> None:
        if num_restarts < 1 or (raw_samples is not None and raw_samples < 1):
            raise ValueError("num_restarts and raw_samples must be at least 1")
        self.num_restarts = num_restarts
        self.raw_samples = raw_samples

    def propose(self, model: FittedSurrogate, data: Dataset, context: ProposalContext) -> list[Candidate]:
        best = best_target_value(data)
        acq: AcquisitionFunction
        if context.q == 1:
            acq = LogExpectedImprovement(model.model, best_f=best, maximize=False)
        else:
            acq = qLogExpectedImprovement(model.model, best_f=-best, objective=_negated())
        acq = at_target(acq, model, data.dim)
        X = maximize(
            acq, context.bounds, context.q, context.seed, self.num_restarts, self.raw_samples, avoid=evaluated(data)
        )
        return candidates(X, context.target.name, context)


class LCB(Acquisition):
    """Lower confidence bound ``mu - sqrt(beta) sigma`` (BoTorch's UCB with ``maximize=False``)."""

    def __init__(self, beta: float = 4.0, num_restarts: int = 4, raw_samples: int | None = None) -> None:
        if not beta > 0:
            raise ValueError(f"beta must be positive, got {beta}")
        self.beta = beta
        self.num_restarts = num_restarts
        self.raw_samples = raw_samples

    def propose(self, model: FittedSurrogate, data: Dataset, context: ProposalContext) -> list[Candidate]:
        acq: AcquisitionFunction
        if context.q == 1:
            acq = UpperConfidenceBound(model.model, beta=self.beta, maximize=False)
        else:
            acq = qUpperConfidenceBound(model.model, beta=self.beta, objective=_negated())
        acq = at_target(acq, model, data.dim)
        X = maximize(
            acq, context.bounds, context.q, context.seed, self.num_restarts, self.raw_samples, avoid=evaluated(data)
        )
        return candidates(X, context.target.name, context)


__all__ = ["LCB", "LogEI"]
