"""Evaluating one candidate, with every failure turned into a failed observation.

:func:`evaluate_candidate` is a module-level function so that process-pool and Dask executors can
pickle it; it never raises for an objective's failure (exception, NaN, infinity, wrong shape).
"""

from __future__ import annotations

import math
import time
import traceback

import torch

from mfopt.data import DTYPE, Candidate, Observation, Status
from mfopt.problem import Problem


def _failed(candidate: Candidate, cost: float, error: str, duration: float) -> Observation:
    return Observation(
        candidate.x,
        candidate.fidelity,
        None,
        Status.FAILED,
        cost,
        None,
        error,
        candidate.id,
        candidate.iteration,
        duration,
    )


def evaluate_candidate(problem: Problem, candidate: Candidate, with_gradient: bool = True) -> Observation:
    """Evaluate ``candidate`` on ``problem``; failures come back as ``Status.FAILED`` with the error."""
    cost = problem.fidelity(candidate.fidelity).cost
    start = time.perf_counter()
    X = torch.tensor([candidate.x], dtype=DTYPE)
    try:
        values = torch.as_tensor(problem.evaluate(X, candidate.fidelity)).reshape(-1)
        if values.numel() != 1:
            raise ValueError(f"the objective returned {values.numel()} values for one point")
        value = float(values[0])
        gradient = None
        if with_gradient and problem.has_gradients and math.isfinite(value):
            g = torch.as_tensor(problem.gradient(X, candidate.fidelity)).reshape(-1)
            if g.numel() == len(candidate.x) and bool(torch.isfinite(g).all()):
                gradient = tuple(float(v) for v in g)
    except Exception as exc:  # an objective's failure is data, not a crash
        message = f"{type(exc).__name__}: {exc}".strip()
        if not str(exc):
            message += " " + traceback.format_exc(limit=2).strip().splitlines()[-1]
        return _failed(candidate, cost, message, time.perf_counter() - start)
    duration = time.perf_counter() - start
    if not math.isfinite(value):
        return _failed(candidate, cost, f"the objective returned {value}", duration)
    return Observation(
        candidate.x,
        candidate.fidelity,
        value,
        Status.OK,
        cost,
        gradient,
        None,
        candidate.id,
        candidate.iteration,
        duration,
    )
