"""Wang et al. (2018) Rastrigin pairs with resolution errors: ``WangRastrigin-d<d>-error<e>-phi<phi>``.

``f_h = sum_i x_i^2 + 1 - cos(10 pi x_i)`` on [-1, 1]^d (minimum 0 at the origin) and
``f_l = f_h + sum_i w(x_i) theta cos(10 pi theta x_i + 0.5 pi theta + pi)`` with ``w = 1`` for errors
1-3 and ``w = 1 - |x_i|`` for error 4 (as in the reference benchmark), and the fidelity parameter
``phi in [0, 10000]`` (``phi = 10000`` is the HF itself for errors 1, 3 and 4):

- error 1: ``theta = 1 - 1e-4 phi``; error 4: the same theta, position-weighted;
- error 2: ``theta = exp(-2.5e-4 phi)``;
- error 3: a staircase, ``theta`` falling linearly (slope 2e-4) on odd thousands and constant on even
  ones: 1 - 2e-4 phi, 0.8, 1.2 - 2e-4 phi, 0.6, ..., 0 from phi = 9000.

Registered names: d in {5, 10}, e in {1, 2, 3, 4}, phi in :data:`PHI_VALUES` (a weak, a medium and a
strong LF); any other ``d`` and ``phi`` resolve through :func:`resolve`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import partial

import torch
from torch import Tensor

from mfopt import FunctionProblem
from mfopt_problems.pair import Pair

PHI_VALUES = (1000.0, 5000.0, 9000.0)
DIMS = (5, 10)
NAME = re.compile(r"^WangRastrigin-d(\d+)-error([1-4])-phi(\d+(?:\.\d+)?)$")


def theta(error: int, phi: float) -> float:
    """The error magnitude ``theta(phi)`` of error type 1-4."""
    if not 0.0 <= phi <= 10000.0:
        raise ValueError(f"phi must lie in [0, 10000], got {phi}")
    if error in (1, 4):
        return 1 - 1e-4 * phi
    if error == 2:
        return math.exp(-2.5e-4 * phi)
    if error == 3:
        k = int(phi // 1000)
        if k >= 9:
            return 0.0
        # odd steps (k = 1, 3, ...) are flat at 1 - 0.2 (k + 1)/2; even steps fall with slope 2e-4
        return 1 - 0.1 * (k + 1) if k % 2 == 1 else 1 + 0.1 * k - 2e-4 * phi
    raise ValueError(f"error must be 1, 2, 3 or 4, got {error}")


def rastrigin(X: Tensor) -> Tensor:
    return (X**2 + 1 - torch.cos(10 * math.pi * X)).sum(-1)


def _low(X: Tensor, error: int, th: float) -> Tensor:
    term = th * torch.cos(10 * math.pi * th * X + 0.5 * math.pi * th + math.pi)
    if error == 4:
        term = (1 - X.abs()) * term
    return rastrigin(X) + term.sum(-1)


def format_name(dim: int, error: int, phi: float) -> str:
    phi_text = f"{int(phi)}" if float(phi).is_integer() else f"{phi:g}"
    return f"WangRastrigin-d{dim}-error{error}-phi{phi_text}"


def pair(dim: int, error: int, phi: float) -> Pair:
    if dim < 1:
        raise ValueError(f"dimension must be positive, got {dim}")
    th = theta(error, phi)
    return Pair(
        format_name(dim, error, phi),
        ((-1.0,) * dim, (1.0,) * dim),
        rastrigin,
        partial(_low, error=error, th=th),
        reference=f"Wang et al. (2018) Rastrigin, d = {dim}, resolution error {error}, phi = {phi:g} "
        f"(theta = {th:.4g})",
        optimum=0.0,
        family="WangRastrigin-d{d}-error{e}-phi{phi}",
    )


def pairs() -> list[Pair]:
    return [pair(d, e, phi) for d in DIMS for e in (1, 2, 3, 4) for phi in PHI_VALUES]


def resolve(name: str) -> Callable[[], FunctionProblem] | None:
    """Factory for any ``WangRastrigin-d<d>-error<e>-phi<phi>`` name, else None."""
    match = NAME.match(name)
    if match is None:
        return None
    return pair(int(match.group(1)), int(match.group(2)), float(match.group(3))).problem


__all__ = ["PHI_VALUES", "format_name", "pair", "pairs", "rastrigin", "resolve", "theta"]
