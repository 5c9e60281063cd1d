"""A problem from plain (non-differentiable) callables, one per fidelity, e.g. BBOB through ``ioh``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import torch
from torch import Tensor

from mfopt import DTYPE, Fidelity, Problem, order_fidelities


class ArrayProblem(Problem):
    """Like :class:`~mfopt.FunctionProblem` but without gradients: each callable maps an ``n x d``
    float64 tensor to ``n`` values by any means (numpy, a C library). ``has_gradients`` is False."""

    has_gradients = False

    def __init__(
        self,
        name: str,
        bounds: Sequence[Sequence[float]] | Tensor,
        functions: Mapping[str, Callable[[Tensor], Tensor]],
        fidelities: Sequence[Fidelity],
        optimum: float | None = None,
    ) -> None:
        self.name = name
        self.bounds = torch.as_tensor(bounds, dtype=DTYPE)
        self.fidelities = order_fidelities(fidelities)
        missing = {f.name for f in self.fidelities} - set(functions)
        if missing:
            raise ValueError(f"{name}: no function for fidelities {sorted(missing)}")
        self.functions = dict(functions)
        self.optimum = optimum

    def evaluate(self, X: Tensor, fidelity: str) -> Tensor:
        self.fidelity(fidelity)  # KeyError naming the known fidelities
        X = torch.as_tensor(X, dtype=DTYPE).reshape(-1, self.dim)
        with torch.no_grad():
            return torch.as_tensor(self.functions[fidelity](X), dtype=DTYPE).reshape(-1)


__all__ = ["ArrayProblem"]
