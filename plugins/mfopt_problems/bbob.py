"""BBOB (COCO) functions from the ``ioh`` package, as high-fidelity sources on Ω = [-5, 5]^d.

BBOB is not re-implemented here: :class:`BBOBFunction` wraps ``ioh.get_problem(f, instance, d,
ProblemClass.BBOB)`` as a picklable callable ``n x d`` tensor -> ``n`` tensor. The ``ioh`` object is
created lazily and dropped when pickling (process pools rebuild it). These functions are not torch:
problems built on them report ``has_gradients = False`` (no finite-difference gradients are offered;
a gradient-based surrogate needs a torch problem).

``instance`` selects the BBOB instance (rotation, shift, optimum value); the name grammar's
``seed<s>`` maps to instance ``max(s, 1)``.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import torch
from torch import Tensor

BBOB_BOUNDS = (-5.0, 5.0)
FUNCTIONS = range(1, 25)


class BBOBFunction:
    """BBOB function ``fid`` (1..24), instance ``instance``, dimension ``dim`` (through ``ioh``)."""

    def __init__(self, fid: int, dim: int, instance: int = 1) -> None:
        if fid not in FUNCTIONS:
            raise ValueError(f"BBOB function index must lie in 1..24, got {fid}")
        if dim < 2:
            raise ValueError(f"BBOB dimension must be at least 2, got {dim}")
        self.fid, self.dim, self.instance = int(fid), int(dim), max(int(instance), 1)
        self._problem: Any = None
        self._lock = threading.Lock()  # an ioh problem keeps state (counters): one call at a time

    def _ioh(self) -> Any:
        if self._problem is None:
            try:
                import ioh
            except ImportError as exc:  # pragma: no cover - ioh is a dependency
                raise ValueError("BBOB problems need the 'ioh' package (pip install ioh)") from exc
            self._problem = ioh.get_problem(self.fid, self.instance, self.dim, ioh.ProblemClass.BBOB)
        return self._problem

    @property
    def name(self) -> str:
        return str(self._ioh().meta_data.name)

    @property
    def optimum(self) -> float:
        return float(self._ioh().optimum.y)

    def __call__(self, X: Tensor) -> Tensor:
        X = torch.as_tensor(X, dtype=torch.float64)
        flat = X.detach().reshape(-1, self.dim).cpu().numpy()
        with self._lock:
            values = np.asarray(self._ioh()(flat), dtype=np.float64).reshape(-1)
        return torch.as_tensor(values, dtype=torch.float64, device=X.device).reshape(X.shape[:-1])

    def __getstate__(self) -> dict[str, Any]:
        return {"fid": self.fid, "dim": self.dim, "instance": self.instance, "_problem": None}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"BBOBFunction(fid={self.fid}, dim={self.dim}, instance={self.instance})"


def bbob_bounds(dim: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return ((BBOB_BOUNDS[0],) * dim, (BBOB_BOUNDS[1],) * dim)


__all__ = ["BBOB_BOUNDS", "BBOBFunction", "bbob_bounds"]
