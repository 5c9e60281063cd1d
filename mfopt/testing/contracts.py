"""The contract checks behind :mod:`mfopt.testing`."""

from __future__ import annotations

import math
import pickle
from collections.abc import Sequence
from concurrent.futures import Executor
from typing import Any

import torch
from botorch.models.model import Model

from mfopt.acquisition import Acquisition, ProposalContext
from mfopt.data import DTYPE, Dataset, Decision, Observation
from mfopt.design import lhs, nested_design
from mfopt.detector import HarmDetector
from mfopt.problem import Problem
from mfopt.surrogate import FittedSurrogate, Surrogate


def check_problem(problem: Problem, n: int = 5, seed: int = 0, allow_nan: bool = False) -> None:
    """A problem declares a valid box and ordered fidelities, returns ``n`` finite float values for
    ``n`` points inside its bounds at every fidelity, gives ``n x d`` gradients if it says it can,
    and survives pickling (process-pool and Dask executors ship it to workers)."""
    b = problem.bounds
    assert isinstance(b, torch.Tensor) and b.ndim == 2 and b.shape[0] == 2, "bounds must be a 2 x d tensor"
    assert bool((b[0] < b[1]).all()), "every lower bound must lie below its upper bound"
    levels = [f.level for f in problem.fidelities]
    assert levels == sorted(levels) and len(set(levels)) == len(levels), "fidelities must be ordered by level"
    assert all(f.cost > 0 for f in problem.fidelities), "fidelity costs must be positive"
    assert problem.target is problem.fidelities[-1], "the target is the highest fidelity"
    X = lhs(n, b, seed=seed)
    for f in problem.fidelities:
        y = torch.as_tensor(problem.evaluate(X, f.name))
        assert y.shape == (n,), f"{f.name}: evaluate returned shape {tuple(y.shape)} for {n} points"
        assert y.is_floating_point(), f"{f.name}: values must be floating point"
        finite = torch.isfinite(y) | (torch.isnan(y) if allow_nan else torch.zeros_like(y, dtype=torch.bool))
        assert bool(finite.all()), f"{f.name}: non-finite values {y.tolist()} inside the bounds"
        if problem.has_gradients:
            g = torch.as_tensor(problem.gradient(X, f.name))
            assert g.shape == (n, problem.dim), f"{f.name}: gradient shape {tuple(g.shape)}, want {(n, problem.dim)}"
    clone = pickle.loads(pickle.dumps(problem))
    target = problem.target.name
    y0, y1 = problem.evaluate(X[:1], target), clone.evaluate(X[:1], target)
    assert torch.allclose(torch.as_tensor(y0), torch.as_tensor(y1), equal_nan=True), (
        "a pickled copy evaluates differently"
    )


def make_dataset(problem: Problem, sizes: Sequence[int], seed: int = 0, gradients: bool = False) -> Dataset:
    """A nested-design dataset of ``problem`` (``sizes`` per fidelity, cheapest first)."""
    designs = nested_design(problem.bounds, sizes, seed=seed)
    observations = []
    for f, X in zip(problem.fidelities[-len(sizes) :], designs, strict=True):
        y = problem.evaluate(X, f.name)
        G = problem.gradient(X, f.name) if gradients and problem.has_gradients else None
        for i, row in enumerate(X):
            grad = tuple(float(v) for v in G[i]) if G is not None else None
            observations.append(
                Observation(tuple(float(v) for v in row), f.name, float(y[i]), cost=f.cost, gradient=grad)
            )
    return Dataset(problem.bounds, problem.fidelities[-len(sizes) :], observations)


def check_surrogate(surrogate: Surrogate, data: Dataset, n_test: int = 7) -> FittedSurrogate:
    """A surrogate fits ``data`` into a BoTorch model whose high-fidelity posterior has the right
    shapes (``n``, ``b x q x 1`` for batched inputs), finite means and non-negative variances."""
    fitted = surrogate.fit(data)
    assert isinstance(fitted, FittedSurrogate), "fit must return a FittedSurrogate"
    assert isinstance(fitted.model, Model), "the fitted model must be a botorch Model"
    assert fitted.target == data.target.name, "the fitted model must target the dataset's target fidelity"
    X = lhs(n_test, data.bounds, seed=1)
    mean, var = fitted.predict(X)
    assert mean.shape == (n_test,) and var.shape == (n_test,), "predict must return n means and n variances"
    assert bool(torch.isfinite(mean).all()), "posterior means must be finite"
    assert bool((var > -1e-8).all()), "posterior variances must be non-negative"
    batch = fitted.inputs(X[:6].reshape(3, 2, data.dim))
    posterior: Any = fitted.model.posterior(batch)
    assert posterior.mean.shape == (3, 2, 1), f"batched posterior mean shape {tuple(posterior.mean.shape)}"
    assert set(fitted.levels) >= {data.target.name}, "levels must include the target"
    assert fitted.info.get("fit_seconds", 0.0) >= 0.0, "info['fit_seconds'] must be a non-negative number"
    return fitted


def check_detector(detector: HarmDetector, data: Dataset) -> Decision:
    """A detector returns a Decision with a bool verdict, a named rule, a readable reason and float
    features, without changing the dataset."""
    before = list(data.observations)
    decision = detector.assess(data)
    assert isinstance(decision, Decision), "assess must return a Decision"
    assert isinstance(decision.use_low, bool), "use_low must be a bool"
    assert decision.rule and isinstance(decision.rule, str), "a decision names the rule that fired"
    assert decision.reason and isinstance(decision.reason, str), "a decision gives a reason"
    for key, value in decision.features.items():
        assert isinstance(key, str), "feature names are strings"
        assert isinstance(value, float | int) and not isinstance(value, bool), f"feature {key} is not a number"
        assert math.isfinite(value) or math.isnan(value), f"feature {key} is infinite"
    assert data.observations == before, "assess must not change the dataset"
    return decision


def check_acquisition(
    acquisition: Acquisition, fitted: FittedSurrogate, data: Dataset, q: int = 1, seed: int = 0
) -> None:
    """An acquisition proposes 1..q candidates inside the bounds at allowed fidelities."""
    allowed = tuple(f for f in data.fidelities if f.name in fitted.levels)
    context = ProposalContext(data.bounds, allowed, q, float("inf"), seed, 1)
    proposed = acquisition.propose(fitted, data, context)
    assert 1 <= len(proposed) <= q, f"proposed {len(proposed)} candidates for q={q}"
    lb, ub = data.bounds
    for c in proposed:
        x = torch.tensor(c.x, dtype=DTYPE)
        assert x.shape == lb.shape, f"candidate {c.x} has the wrong dimension"
        assert bool(((x >= lb - 1e-9) & (x <= ub + 1e-9)).all()), f"candidate {c.x} lies outside the bounds"
        assert c.fidelity in {f.name for f in allowed}, f"candidate fidelity {c.fidelity!r} not allowed"


def check_executor(executor: Executor) -> None:
    """An executor runs submitted callables and returns their results through futures."""
    try:
        futures = [executor.submit(pow, 2, k) for k in range(4)]
        assert [f.result(timeout=120) for f in futures] == [1, 2, 4, 8], "wrong results from the executor"
    finally:
        executor.shutdown(wait=True)
