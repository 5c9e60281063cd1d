"""User problems written as Python functions: ``[problem] python = "package.module:function"``.

The function is called as ``function(x, fidelity)`` with ``x`` a 1-D float64 **numpy array** (one point,
original units) and ``fidelity`` the fidelity's name, and returns a number. ``gradient =
"package.module:grad_function"`` (same call, returns ``d`` numbers) turns on ``has_gradients``. The
module part may also be a ``.py`` file path (relative to the working directory), e.g.
``python = "examples/sim.py:objective"``. Options: ``lower``, ``upper``, ``fidelities`` (see
:mod:`mfopt_problems.user_common`), ``gradient``, ``optimum``.

With named parameters (``[problem.parameters]`` or ``[parameters]``, see :mod:`mfopt.space`) instead
of ``lower``/``upper``, the function is called as ``function(params, fidelity)``: ``params`` a dict
of named values (floats, ints, categorical choices) and ``fidelity`` the :class:`~mfopt.Fidelity`
being evaluated (``fidelity.name``; ``fidelity.level`` is the declared level, e.g. a number of
epochs). ``gradient`` is not available then (a gradient of named, partly discrete values has no
meaning for the models).

An exception raised by the function, or a non-numeric / non-finite return, becomes
:class:`~mfopt.EvaluationError` carrying the original message (the loop records a failed evaluation).
Callables are resolved lazily and dropped when pickling, so the problem ships to process pools.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import Tensor

from mfopt import DTYPE, EvaluationError, Problem, SearchSpace
from mfopt_problems.user_common import as_value, evaluate_rows, parse_box, parse_fidelities


def load_callable(spec: str, key: str = "python") -> Callable[..., Any]:
    """Import ``module:attribute`` (module may be a dotted name or a ``.py`` path)."""
    if not isinstance(spec, str) or spec.count(":") != 1:
        raise ValueError(f"{key} must look like 'package.module:function', got {spec!r}")
    module_name, attr = spec.split(":")
    try:
        if module_name.endswith(".py"):
            path = Path(module_name).resolve()
            if not path.is_file():
                raise ValueError(f"{key} = {spec!r}: no file {path}")
            name = f"mfopt_user_{abs(hash(str(path)))}"
            module = sys.modules.get(name)
            if module is None:
                loader_spec = importlib.util.spec_from_file_location(name, path)
                assert loader_spec is not None and loader_spec.loader is not None
                module = importlib.util.module_from_spec(loader_spec)
                sys.modules[name] = module
                loader_spec.loader.exec_module(module)
        else:
            module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ValueError(f"{key} = {spec!r}: cannot import module {module_name!r} ({exc})") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise ValueError(f"{key} = {spec!r}: module {module_name!r} has no callable {attr!r}")
    return fn


class PythonProblem(Problem):
    """A problem evaluated by a user Python function, one point per call. The options come checked
    (:class:`mfopt_problems.options.PythonOptions`); the factory imports the function."""

    def __init__(
        self,
        python: str,
        lower: list[float] | None = None,
        upper: list[float] | None = None,
        fidelities: list[dict[str, Any]] | None = None,
        gradient: str | None = None,
        optimum: float | None = None,
        parameters: dict[str, dict[str, Any]] | None = None,
    ) -> None:
        if parameters is not None:
            self._space = SearchSpace.from_config(parameters)
            self.bounds = self._space.bounds
        else:
            assert lower is not None and upper is not None  # PythonOptions: parameters or a box
            self.bounds = parse_box(lower, upper)
        self.fidelities = parse_fidelities(fidelities)
        self.python, self.gradient_spec = python, gradient
        self.name = python
        self.optimum = optimum
        self.has_gradients = gradient is not None
        self._fn: Callable[..., Any] | None = load_callable(python, "python")
        self._grad: Callable[..., Any] | None = load_callable(gradient, "gradient") if gradient else None

    def _function(self) -> Callable[..., Any]:
        if self._fn is None:
            self._fn = load_callable(self.python, "python")
        return self._fn

    def _call(self, x: list[float], fidelity: str) -> float:
        try:
            if self._space is not None:
                raw = self._function()(self._space.decode(x), self.fidelity(fidelity))
            else:
                raw = self._function()(np.asarray(x, dtype=np.float64), fidelity)
        except EvaluationError:
            raise
        except Exception as exc:
            raise EvaluationError(f"{self.python} raised {type(exc).__name__}: {exc}") from exc
        return as_value(raw, self.python)

    def evaluate(self, X: Tensor, fidelity: str) -> Tensor:
        self.fidelity(fidelity)
        X = torch.as_tensor(X, dtype=DTYPE).reshape(-1, self.dim)
        return evaluate_rows(X, lambda row: self._call(row, fidelity))

    def gradient(self, X: Tensor, fidelity: str) -> Tensor:
        if not self.gradient_spec:
            raise NotImplementedError(f"problem {self.name!r} has no gradient function")
        if self._grad is None:
            self._grad = load_callable(self.gradient_spec, "gradient")
        self.fidelity(fidelity)
        X = torch.as_tensor(X, dtype=DTYPE).reshape(-1, self.dim)
        rows = []
        for x in X.tolist():
            try:
                g = np.asarray(self._grad(np.asarray(x, dtype=np.float64), fidelity), dtype=np.float64).reshape(-1)
            except Exception as exc:
                raise EvaluationError(f"{self.gradient_spec} raised {type(exc).__name__}: {exc}") from exc
            if g.shape != (self.dim,) or not np.isfinite(g).all():
                raise EvaluationError(f"{self.gradient_spec} must return {self.dim} finite numbers, got {g.tolist()}")
            rows.append(g)
        return torch.as_tensor(np.stack(rows), dtype=DTYPE)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_fn"] = state["_grad"] = None
        return state


__all__ = ["PythonProblem", "load_callable"]
