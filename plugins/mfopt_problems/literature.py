"""Literature bi-fidelity pairs (REFERENCE §6), written in torch: one definition gives values
and, through autograd, exact gradients; every function is vectorised over ``n x d`` inputs.

Default fidelities of every pair: ``low`` (level 0.5, cost 0.1) and ``high`` (level 1, cost 1);
a problem.toml overrides costs with ``[problem.costs]``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import Tensor

from mfopt import Fidelity, FunctionProblem, Registry

LOW = Fidelity("low", 0.5, 0.1)
HIGH = Fidelity("high", 1.0, 1.0)
A_VALUES = tuple(round(0.1 * i, 1) for i in range(11))


@dataclass(frozen=True)
class Pair:
    """A bi-fidelity pair: HF and LF torch functions on a box."""

    name: str
    bounds: tuple[tuple[float, ...], tuple[float, ...]]
    high: Callable[[Tensor], Tensor]
    low: Callable[[Tensor], Tensor]
    reference: str = ""
    optimum: float | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def dim(self) -> int:
        return len(self.bounds[0])

    def problem(self) -> FunctionProblem:
        return FunctionProblem(self.name, self.bounds, {"low": self.low, "high": self.high}, (LOW, HIGH), self.optimum)

    def register(self, registry: Registry) -> None:
        lb, ub = self.bounds
        registry.register(
            self.name,
            self.problem,
            description=self.reference,
            dim=self.dim,
            domain=[[float(v) for v in lb], [float(v) for v in ub]],
            fidelities=["low", "high"],
        )


def forrester(X: Tensor) -> Tensor:
    x = X[..., 0]
    return (6 * x - 2) ** 2 * torch.sin(12 * x - 4)


def song_toal_forretal(a: float) -> Pair:
    """Forrester HF with the LF ``(1 - a^2 - 2a) f_h + 10 (x - 0.5) - 5`` (Song, Toal et al.)."""

    def low(X: Tensor) -> Tensor:
        return (1 - a**2 - 2 * a) * forrester(X) + 10 * (X[..., 0] - 0.5) - 5

    return Pair(
        f"SongToalForretal{a:.2f}",
        ((0.0,), (1.0,)),
        forrester,
        low,
        reference=f"Forrester function, LF (1 - a^2 - 2a) f_h + 10(x - 0.5) - 5 with a = {a:.2f}",
        optimum=-6.020740055766075,
    )


def pairs() -> list[Pair]:
    """Every literature pair this module defines."""
    return [song_toal_forretal(a) for a in A_VALUES]


def register(registry: Registry) -> None:
    for pair in pairs():
        pair.register(registry)


__all__ = ["HIGH", "LOW", "Pair", "forrester", "pairs", "register", "song_toal_forretal"]
