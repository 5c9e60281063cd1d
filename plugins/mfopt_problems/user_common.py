"""Helpers shared by the user-defined problems (``python``, ``command``).

The options come checked by :mod:`mfopt_problems.options` (the registry reports a bad one as a
configuration error naming the ``[problem]`` key). Bounds come as ``lower = [...]`` and
``upper = [...]``; fidelities as an array of tables ``{name, level, cost}`` (default: one
fidelity ``high``, level 1, cost 1), where a level is any positive number (a number of epochs is
valid) and the highest level is the target; models see the levels divided by the highest
(:func:`mfopt.data.normalise_levels`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from mfopt import DTYPE, EvaluationError, Fidelity, order_fidelities


def parse_box(lower: Sequence[float], upper: Sequence[float]) -> Tensor:
    """``2 x d`` bounds from the ``lower`` and ``upper`` arrays (checked by the option models)."""
    return torch.tensor([list(lower), list(upper)], dtype=DTYPE)


def parse_fidelities(fidelities: Sequence[Mapping[str, Any]] | None) -> tuple[Fidelity, ...]:
    """Fidelities from ``[[problem.fidelities]]`` tables (checked by the option models: a name, a
    positive level, a positive cost); None gives the single fidelity ``high``."""
    if fidelities is None:
        return (Fidelity("high", 1.0, 1.0),)
    out = [Fidelity(str(f["name"]), float(f["level"]), float(f.get("cost", 1.0))) for f in fidelities]
    try:
        return order_fidelities(out)
    except ValueError as exc:
        raise ValueError(f"fidelities: {exc}") from None


def evaluate_rows(X: Tensor, one: Callable[[list[float]], float]) -> Tensor:
    """Evaluate ``one`` on each row of ``X`` (``n x d``). A single point's failure raises
    :class:`EvaluationError`; in a batch, failed points come back NaN."""
    rows = X.tolist()
    if len(rows) == 1:
        return torch.tensor([one(rows[0])], dtype=DTYPE)
    values = []
    for row in rows:
        try:
            values.append(one(row))
        except EvaluationError:
            values.append(math.nan)
    return torch.tensor(values, dtype=DTYPE)


def as_value(raw: Any, where: str) -> float:
    """``raw`` as a finite float, else EvaluationError naming ``where``."""
    try:
        value = float(raw)
    except (TypeError, ValueError):
        raise EvaluationError(f"{where} returned {raw!r}, not a number") from None
    if not math.isfinite(value):
        raise EvaluationError(f"{where} returned a non-finite value {value}")
    return value


__all__ = ["as_value", "evaluate_rows", "parse_box", "parse_fidelities"]
