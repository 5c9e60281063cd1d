"""Validation and evaluation helpers shared by the user-defined problems (``python``, ``command``).

Option errors are ValueErrors naming the ``[problem]`` key (the registry reports them as
configuration errors). Bounds come as ``lower = [...]`` and ``upper = [...]``; fidelities as an array
of tables ``{name, level, cost}`` (default: one fidelity ``high``, level 1, cost 1), where a level is
any positive number (a number of epochs is valid) and the highest level is the target; models see the
levels divided by the highest (:func:`mfopt.data.normalise_levels`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from mfopt import DTYPE, EvaluationError, Fidelity, order_fidelities


def parse_box(lower: Any, upper: Any) -> Tensor:
    """``2 x d`` bounds from the ``lower`` and ``upper`` arrays."""
    for key, values in (("lower", lower), ("upper", upper)):
        if not isinstance(values, Sequence) or isinstance(values, str) or len(values) == 0:
            raise ValueError(f"{key} must be a non-empty array of numbers, got {values!r}")
        for i, v in enumerate(values):
            if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
                raise ValueError(f"{key}[{i}] must be a finite number, got {v!r}")
    if len(lower) != len(upper):
        raise ValueError(f"lower has {len(lower)} values but upper has {len(upper)}; they must match")
    for i, (lo, hi) in enumerate(zip(lower, upper, strict=True)):
        if not lo < hi:
            raise ValueError(f"lower[{i}] = {lo} must be below upper[{i}] = {hi}")
    return torch.tensor([list(lower), list(upper)], dtype=DTYPE)


def parse_fidelities(fidelities: Any) -> tuple[Fidelity, ...]:
    """Fidelities from ``[[problem.fidelities]]`` tables; None gives the single fidelity ``high``."""
    if fidelities is None:
        return (Fidelity("high", 1.0, 1.0),)
    if not isinstance(fidelities, Sequence) or isinstance(fidelities, str) or not fidelities:
        raise ValueError(f"fidelities must be a non-empty array of tables {{name, level, cost}}, got {fidelities!r}")
    out = []
    for i, item in enumerate(fidelities):
        if not isinstance(item, Mapping):
            raise ValueError(f"fidelities[{i}] must be a table {{name, level, cost}}, got {item!r}")
        unknown = set(item) - {"name", "level", "cost"}
        if unknown:
            raise ValueError(f"fidelities[{i}]: unknown keys {sorted(unknown)} (accepted: name, level, cost)")
        if "name" not in item or "level" not in item:
            raise ValueError(f"fidelities[{i}] needs a name and a level")
        try:
            out.append(Fidelity(str(item["name"]), float(item["level"]), float(item.get("cost", 1.0))))
        except (TypeError, ValueError) as exc:
            raise ValueError(f"fidelities[{i}]: {exc}") from None
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
