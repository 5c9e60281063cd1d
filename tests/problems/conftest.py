"""Shared helpers for the problems tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch

from mfopt import Problem
from mfopt.testing import check_problem as contract_check


def check_problem_full(problem: Problem, n: int = 8, seed: int = 0, allow_nan: bool = False) -> None:
    """``mfopt.testing.check_problem`` plus finite values and gradients at the box corners."""
    contract_check(problem, n=n, seed=seed, allow_nan=allow_nan)
    if allow_nan:
        return
    lb, ub = problem.bounds
    X = torch.stack([lb, ub])
    for fid in problem.fidelities:
        y = problem.evaluate(X, fid.name)
        assert bool(torch.isfinite(y).all()), f"{problem.name}/{fid.name}: non-finite values at the corners"
        if problem.has_gradients:
            assert bool(torch.isfinite(problem.gradient(X, fid.name)).all()), f"{problem.name}/{fid.name}: gradient"


@pytest.fixture
def check_problem() -> Callable[..., None]:
    """The contract check for problems."""
    return check_problem_full
