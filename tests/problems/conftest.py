"""Shared helpers for the problems tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from mfopt import Problem


def check_problem_basics(problem: Problem, n: int = 16, seed: int = 0) -> None:
    """Shape / finiteness / bounds checks (used until ``mfopt.testing.check_problem`` is available)."""
    try:
        from mfopt.testing import check_problem  # type: ignore[attr-defined]
    except ImportError:
        check_problem = None
    if check_problem is not None:
        check_problem(problem)
        return
    lb, ub = problem.bounds
    assert lb.shape == ub.shape == (problem.dim,)
    assert bool((lb < ub).all())
    g = torch.Generator().manual_seed(seed)
    X = lb + (ub - lb) * torch.rand(n, problem.dim, generator=g, dtype=torch.float64)
    X = torch.cat([X, lb[None], ub[None]])
    for fid in problem.fidelities:
        y = problem.evaluate(X, fid.name)
        assert y.shape == (n + 2,)
        assert y.dtype == torch.float64
        assert bool(torch.isfinite(y).all()), f"{problem.name}/{fid.name}: non-finite values"
        if problem.has_gradients:
            grad = problem.gradient(X, fid.name)
            assert grad.shape == X.shape
            assert bool(torch.isfinite(grad).all()), f"{problem.name}/{fid.name}: non-finite gradients"


@pytest.fixture
def check_problem() -> Callable[..., None]:
    """The contract check for problems (``mfopt.testing.check_problem`` once it exists)."""
    return check_problem_basics
