"""Small bi-fidelity problems and nested datasets for the surrogate tests."""

from __future__ import annotations

import torch

from mfopt import Dataset, Fidelity, FunctionProblem, Observation, nested_design

LOW, HIGH = Fidelity("low", 0.5, 0.1), Fidelity("high", 1.0, 1.0)


def forrester(X: torch.Tensor) -> torch.Tensor:
    x = X[..., 0]
    return (6 * x - 2) ** 2 * torch.sin(12 * x - 4)


def branin(X: torch.Tensor) -> torch.Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    q = (x2 - 5.1 * x1**2 / (4 * torch.pi**2) + 5 * x1 / torch.pi - 6) ** 2
    return q + 10 * (1 - 1 / (8 * torch.pi)) * torch.cos(x1) + 10


def forrester_problem(a: float = 0.5) -> FunctionProblem:
    return FunctionProblem(
        "forrester",
        [[0.0], [1.0]],
        {"high": forrester, "low": lambda X: (1 - a**2 - 2 * a) * forrester(X) + 10 * (X[..., 0] - 0.5) - 5},
        (LOW, HIGH),
    )


def branin_problem() -> FunctionProblem:
    return FunctionProblem(
        "branin",
        [[-5.0, 0.0], [10.0, 15.0]],
        {"high": branin, "low": lambda X: branin(X) - 0.6 * (X[..., 1] - 5.1 * X[..., 0] ** 2 / 39.48) ** 2},
        (LOW, HIGH),
    )


def make_data(problem: FunctionProblem, n_low: int, n_high: int, seed: int = 1) -> Dataset:
    Xl, Xh = nested_design(problem.bounds, [n_low, n_high], seed=seed)
    obs = [
        Observation(tuple(x.tolist()), "low", float(v)) for x, v in zip(Xl, problem.evaluate(Xl, "low"), strict=True)
    ]
    obs += [
        Observation(tuple(x.tolist()), "high", float(v)) for x, v in zip(Xh, problem.evaluate(Xh, "high"), strict=True)
    ]
    return Dataset(problem.bounds, problem.fidelities, obs)
