"""Shared pieces of the acquisitions: the high-fidelity view of a fitted model and the optimiser."""

from __future__ import annotations

import warnings

import torch
from botorch.acquisition import AcquisitionFunction, FixedFeatureAcquisitionFunction
from botorch.exceptions.warnings import OptimizationWarning
from botorch.optim import optimize_acqf
from torch import Tensor

from mfopt import Candidate, Dataset, FittedSurrogate, ProposalContext


def best_target_value(data: Dataset) -> float:
    """The lowest value observed at the target fidelity."""
    _, y = data.tensors(data.target.name)
    if y.numel() == 0:
        raise ValueError("no successful high-fidelity observation to improve on")
    return float(y.min())


def at_target(acq: AcquisitionFunction, fitted: FittedSurrogate, dim: int) -> AcquisitionFunction:
    """Fix a multi-fidelity model's fidelity column at the target level (so ``acq`` is over ``x``)."""
    if not fitted.fidelity_column:
        return acq
    return FixedFeatureAcquisitionFunction(acq, d=dim + 1, columns=[dim], values=[fitted.target_level])


def maximize(
    acq: AcquisitionFunction,
    bounds: Tensor,
    q: int,
    seed: int,
    num_restarts: int = 8,
    raw_samples: int = 256,
    sequential: bool = False,
) -> Tensor:
    """``optimize_acqf`` (multi-start L-BFGS-B) over the box; returns ``q x d`` points."""
    torch.manual_seed(seed)
    with warnings.catch_warnings():
        # L-BFGS-B stopping "ABNORMAL" on a flat acquisition surface is routine near convergence;
        # BoTorch retries and returns the best point found either way.
        warnings.filterwarnings("ignore", category=RuntimeWarning, module="botorch")
        warnings.filterwarnings("ignore", category=OptimizationWarning)
        X, _ = optimize_acqf(
            acq,
            bounds=bounds.to(torch.float64),
            q=q,
            num_restarts=num_restarts,
            raw_samples=raw_samples,
            sequential=sequential,
            options={"seed": seed, "maxiter": 200},
        )
    return X.detach().reshape(q, -1)


def candidates(X: Tensor, fidelity: str, context: ProposalContext) -> list[Candidate]:
    return [Candidate(tuple(float(v) for v in row), fidelity, None, context.iteration) for row in X]
