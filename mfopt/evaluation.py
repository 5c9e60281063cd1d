"""Evaluating one candidate, with every failure turned into a failed observation.

:func:`evaluate_candidate` is a module-level function so that process-pool and Dask executors can
pickle it; it never raises for an objective's failure: an exception, ``sys.exit`` (SystemExit),
NaN, infinity, a value beyond :data:`VALUE_LIMIT` or the wrong shape is a failed evaluation.

``os._exit`` (or a signal) inside an objective cannot be caught in the process that runs it: with
the serial executor it ends mfopt itself, leaving the point pending; ``--resume`` runs it again,
and a point that killed its evaluator :data:`mfopt.loop.MAX_ATTEMPTS` times in a row is recorded
as failed. With the process executor only the worker dies and the point is recorded as failed.
"""

from __future__ import annotations

import math
import time
import traceback

import torch

from mfopt.data import DTYPE, Candidate, Observation, Status
from mfopt.problem import Problem

#: an objective value of larger magnitude counts as a failed evaluation: models standardise their
#: outputs, and squares of values near float64's limit (1.8e308) overflow
VALUE_LIMIT = 1e150


def value_error(value: float) -> str | None:
    """Why ``value`` cannot be recorded as an objective value (not finite, beyond
    :data:`VALUE_LIMIT`), or None when it can."""
    if not math.isfinite(value):
        return f"the objective returned {value}"
    if abs(value) > VALUE_LIMIT:
        return f"the objective returned {value:g}, beyond the representable range (|y| > {VALUE_LIMIT:g})"
    return None


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
        candidate.params,
    )


def evaluate_candidate(problem: Problem, candidate: Candidate, with_gradient: bool = True) -> Observation:
    """Evaluate ``candidate`` on ``problem``; failures come back as ``Status.FAILED`` with the error.

    The gradient is computed only if ``with_gradient`` (a model needs it) and the problem has one.
    """
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
    except SystemExit as exc:  # sys.exit inside an objective fails the point, not mfopt
        return _failed(candidate, cost, f"the objective called sys.exit({exc.code!r})", time.perf_counter() - start)
    except Exception as exc:  # an objective's failure is data, not a crash
        message = f"{type(exc).__name__}: {exc}".strip()
        if not str(exc):
            message += " " + traceback.format_exc(limit=2).strip().splitlines()[-1]
        return _failed(candidate, cost, message, time.perf_counter() - start)
    duration = time.perf_counter() - start
    error = value_error(value)
    if error is not None:
        return _failed(candidate, cost, error, duration)
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
        candidate.params,
    )
