"""The :class:`Pair` pattern: a named bi-fidelity pair of torch functions on a box.

Every literature pair is a :class:`Pair`; :meth:`Pair.problem` turns it into a
:class:`~mfopt.FunctionProblem` (values and autograd gradients from one definition) with the default
fidelities ``low`` (level 0.5, cost 0.1) and ``high`` (level 1, cost 1). A problem.toml overrides the
costs with ``[problem.costs]``.

Functions map an ``n x d`` float64 tensor to ``n`` values. They are module-level functions or
:func:`functools.partial` objects (never closures) so that problems pickle for process pools.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from mfopt import Fidelity, FunctionProblem, Registry

LOW = Fidelity("low", 0.5, 0.1)
HIGH = Fidelity("high", 1.0, 1.0)
#: The parameter values of the adjustable families (``a in {0.00, 0.10, ..., 1.00}``).
A_VALUES = tuple(round(0.1 * i, 1) for i in range(11))

TorchFn = Callable[[Tensor], Tensor]


@dataclass(frozen=True)
class Pair:
    """A bi-fidelity pair: HF and LF torch functions on a box ``(lower, upper)``."""

    name: str
    bounds: tuple[tuple[float, ...], tuple[float, ...]]
    high: TorchFn
    low: TorchFn
    reference: str = ""
    optimum: float | None = None
    family: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    #: False for pairs computed by non-differentiable means (e.g. deterministic pseudo-noise):
    #: the problem then offers no gradients.
    differentiable: bool = True

    @property
    def dim(self) -> int:
        return len(self.bounds[0])

    def problem(self) -> FunctionProblem:
        functions = {"low": self.low, "high": self.high}
        return FunctionProblem(self.name, self.bounds, functions, (LOW, HIGH), self.optimum, self.differentiable)

    def info(self) -> dict[str, Any]:
        lb, ub = self.bounds
        return {
            "dim": self.dim,
            "domain": [[float(v) for v in lb], [float(v) for v in ub]],
            "fidelities": ["low", "high"],
            "optimum": self.optimum,
            "family": self.family or self.name,
        }

    def register(self, registry: Registry) -> None:
        registry.register(self.name, self.problem, description=self.reference, **self.info())


def box(
    lower: float | tuple[float, ...], upper: float | tuple[float, ...], dim: int
) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """``(lower, upper)`` bounds of a ``dim``-dimensional box from scalars or per-dimension tuples."""
    lo = lower if isinstance(lower, tuple) else (float(lower),) * dim
    hi = upper if isinstance(upper, tuple) else (float(upper),) * dim
    return (tuple(float(v) for v in lo), tuple(float(v) for v in hi))


def guarded(x: Tensor, ok: Tensor, safe: float = 1.0) -> Tensor:
    """``x`` where ``ok`` else ``safe``: keeps a singular formula (and its autograd) finite; the caller
    then replaces the result on the guarded entries by the formula's limit with ``torch.where``."""
    return torch.where(ok, x, torch.full_like(x, safe))


__all__ = ["A_VALUES", "HIGH", "LOW", "Pair", "TorchFn", "box", "guarded"]
