"""The :class:`Problem` contract and :class:`FunctionProblem`, a problem built from torch callables.

A problem declares its box, its fidelities and how to evaluate a batch of points at one fidelity.
Minimisation throughout: the best point is the one with the lowest high-fidelity value.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import torch
from torch import Tensor

from mfopt.data import DTYPE, Fidelity, FidelityBox, order_fidelities
from mfopt.space import SearchSpace

TorchFunction = Callable[[Tensor], Tensor]


class Problem(FidelityBox, ABC):
    """An objective with one or more fidelities.

    Subclasses set ``name``, ``bounds`` (``2 x d`` float64) and ``fidelities`` (ordered by level,
    last = target) and implement :meth:`evaluate`. Problems that can give exact gradients set
    ``has_gradients = True`` and implement :meth:`gradient`. Instances must be picklable so that
    process-pool and Dask executors can ship them.
    """

    name: str = "problem"
    bounds: Tensor
    fidelities: tuple[Fidelity, ...]
    has_gradients: bool = False
    #: The known optimum value of the target fidelity, if any (for regret).
    optimum: float | None = None
    _space: SearchSpace | None = None

    def _owner(self) -> str:
        return f"problem {self.name!r}"

    @property
    def space(self) -> SearchSpace:
        """The named parameters whose encoding is ``bounds`` (see :mod:`mfopt.space`). By default the
        anonymous float space ``x0 .. x{d-1}`` of a positional box; a problem with named parameters
        sets ``_space`` (and ``bounds = _space.bounds``)."""
        return self._space if self._space is not None else SearchSpace.from_bounds(self.bounds)

    @abstractmethod
    def evaluate(self, X: Tensor, fidelity: str) -> Tensor:
        """Values at ``X`` (``n x d``, original units) for the named fidelity, shape ``n``.

        A point that cannot be evaluated may come back NaN (recorded as a failed evaluation);
        raising fails every point of the call.
        """

    def gradient(self, X: Tensor, fidelity: str) -> Tensor:
        """Gradients ``n x d`` at ``X``. Only for problems with ``has_gradients``."""
        raise NotImplementedError(f"problem {self.name!r} provides no gradients")

    def with_costs(self, costs: Mapping[str, float]) -> Problem:
        """A copy whose fidelity costs are overridden by ``costs`` (name -> cost)."""
        unknown = set(costs) - {f.name for f in self.fidelities}
        if unknown:
            raise KeyError(f"no fidelity named {sorted(unknown)} (have {[f.name for f in self.fidelities]})")
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.fidelities = tuple(replace(f, cost=float(costs.get(f.name, f.cost))) for f in self.fidelities)
        return clone


class FunctionProblem(Problem):
    """A problem defined by one function per fidelity.

    Each function maps an ``n x d`` float64 tensor to ``n`` values. Written with torch operations,
    one definition gives values and, through autograd, exact gradients, vectorised over points.
    With ``differentiable=False`` the functions may compute by any means (numpy, a C library) and
    the problem offers no gradients. ``bounds`` may be a :class:`~mfopt.space.SearchSpace`: the
    functions then get encoded points (``n x space.dim``; ``space.decode(row)`` names them).
    """

    def __init__(
        self,
        name: str,
        bounds: Sequence[Sequence[float]] | Tensor | SearchSpace,
        functions: Mapping[str, TorchFunction],
        fidelities: Sequence[Fidelity],
        optimum: float | None = None,
        differentiable: bool = True,
    ) -> None:
        self.has_gradients = differentiable
        self.name = name
        if isinstance(bounds, SearchSpace):
            self._space, bounds = bounds, bounds.bounds
        self.bounds = torch.as_tensor(bounds, dtype=DTYPE)
        if self.bounds.ndim != 2 or self.bounds.shape[0] != 2:
            raise ValueError(f"{name}: bounds must be 2 x d, got shape {tuple(self.bounds.shape)}")
        if not bool((self.bounds[0] < self.bounds[1]).all()):
            raise ValueError(f"{name}: every lower bound must be below its upper bound")
        self.fidelities = order_fidelities(fidelities)
        missing = {f.name for f in self.fidelities} - set(functions)
        if missing:
            raise ValueError(f"{name}: no function for fidelities {sorted(missing)}")
        self.functions = dict(functions)
        self.optimum = optimum

    def _function(self, fidelity: str) -> TorchFunction:
        try:
            return self.functions[fidelity]
        except KeyError:
            raise KeyError(
                f"problem {self.name!r} has no fidelity {fidelity!r}; it has {sorted(self.functions)}"
            ) from None

    def evaluate(self, X: Tensor, fidelity: str) -> Tensor:
        X = torch.as_tensor(X, dtype=DTYPE).reshape(-1, self.dim)
        with torch.no_grad():
            return torch.as_tensor(self._function(fidelity)(X), dtype=DTYPE).reshape(-1)

    def gradient(self, X: Tensor, fidelity: str) -> Tensor:
        if not self.has_gradients:
            return super().gradient(X, fidelity)
        X = torch.as_tensor(X, dtype=DTYPE).reshape(-1, self.dim).detach().clone().requires_grad_(True)
        with torch.enable_grad():
            y = self._function(fidelity)(X).reshape(-1)
            (grad,) = torch.autograd.grad(y.sum(), X)
        return grad.detach()
