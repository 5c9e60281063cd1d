"""Registers ``ExampleSphere``: a 2-D bi-fidelity sphere whose cheap source is shifted and scaled.

Only mfopt's public API is used: :class:`mfopt.FunctionProblem`, :class:`mfopt.Fidelity` and the
``hookimpl`` marker.
"""

from __future__ import annotations

from torch import Tensor

from mfopt import Fidelity, FunctionProblem, Registry
from mfopt.plugin import hookimpl


def sphere(X: Tensor) -> Tensor:
    return ((X - 0.3) ** 2).sum(dim=-1)


def shifted_sphere(X: Tensor) -> Tensor:
    return 0.8 * ((X - 0.35) ** 2).sum(dim=-1) + 0.1


def make_example_sphere() -> FunctionProblem:
    return FunctionProblem(
        "ExampleSphere",
        [[-1.0, -1.0], [1.0, 1.0]],
        {"low": shifted_sphere, "high": sphere},
        [Fidelity("low", 0.5, 0.2), Fidelity("high", 1.0, 1.0)],
        optimum=0.0,
    )


@hookimpl
def mfopt_register_problems(registry: Registry) -> None:
    registry.register("ExampleSphere", make_example_sphere, description="example plugin: shifted sphere", dim=2)
