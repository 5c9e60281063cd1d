"""Small picklable problems for the core tests (module-level functions, so process pools work)."""

from __future__ import annotations

import time

import torch
from torch import Tensor

from mfopt import Fidelity, FunctionProblem


def forrester(X: Tensor) -> Tensor:
    x = X[..., 0]
    return (6 * x - 2) ** 2 * torch.sin(12 * x - 4)


def cheap_forrester(X: Tensor) -> Tensor:
    return 0.5 * forrester(X) + 10 * (X[..., 0] - 0.5) - 5


def fragile(X: Tensor) -> Tensor:
    """Forrester, but raising above x = 0.9 and NaN in (0.45, 0.5)."""
    x = X[..., 0]
    if bool((x > 0.9).any()):
        raise RuntimeError("solver diverged")
    y = forrester(X)
    return torch.where((x > 0.45) & (x < 0.5), torch.full_like(y, float("nan")), y)


def slow_forrester(X: Tensor) -> Tensor:
    time.sleep(0.15)
    return forrester(X)


def hf_problem(fn=forrester, cost: float = 1.0) -> FunctionProblem:  # type: ignore[no-untyped-def]
    return FunctionProblem("forrester", [[0.0], [1.0]], {"high": fn}, [Fidelity("high", 1.0, cost)], -6.0207)


def bifidelity_problem(low_cost: float = 0.1) -> FunctionProblem:
    return FunctionProblem(
        "forrester2",
        [[0.0], [1.0]],
        {"low": cheap_forrester, "high": forrester},
        [Fidelity("low", 0.5, low_cost), Fidelity("high", 1.0, 1.0)],
        -6.0207,
    )
