"""Harmful pairs of robust multi-fidelity BO (Mikkola et al., AISTATS 2023).

Source: P. Mikkola, J. Martinelli, L. Filstroff, S. Kaski, "Multi-fidelity Bayesian optimization
with unreliable information sources", AISTATS 2023, and its code (AaltoPML/rMFBO, ``problems.py``
and ``misc.py``). The paper maximises normalised objectives; here every function is negated so
that mfopt minimises, and each pair keeps the paper's normalising constants (so the HF optimum is
close to -1, or 0 for the Rosenbrock pair). Our own code; where the reference code differs from
the paper's intent it is noted per pair.

- ``MikkolaRosenbrockSinus`` (d = 2, ``[-5, 5]^2``): ``f_h = R(x) / 90036`` (R = Rosenbrock),
  ``f_l = f_h + 0.8 m sin(x1 + x2)``. The reference code scales the sine by the *batch* mean of
  ``f_h`` (so a value depended on the other points of its batch); here ``m`` is the mean of ``f_h``
  over the box, ``(40000/3 + 28/3) / 90036``, which that batch mean estimates. Optimum 0 at (1, 1).
- ``MikkolaCurrinNegated`` (d = 2, ``[0, 1]^2``): ``f_h = -(C(x) - 1.1804) / 12.6183`` (C = Currin
  exponential), and the cheap source is the normalised negated Currin, ``f_l = -f_h - 1``: exactly
  anti-correlated. Optimum ``-(13.798722... - 1.1804) / 12.6183`` at ``(13/60, 0)``.
- ``MikkolaBraninAckley`` (d = 2, Branin's box): ``f_h = (B(x) - 308.1291) / 307.7312`` (B = Branin,
  optimum -1) and ``f_l = -A(x) / 17.50447`` with the reference code's Ackley
  ``A = -20 exp(-0.2 sqrt((x1^2 + x2^2) / 6)) - exp((cos 2 pi x1 + cos 2 pi x2) / 2) + 20 + e``: the
  cheap source is lowest where Ackley is highest, far from Branin's minima (the "Ackley" harmful
  source of the paper's Branin experiment with several sources).
- ``MikkolaHartmannRosenbrock`` (d = 6, ``[0, 1]^6``): ``f_h = H6(x) / 3.322368`` (optimum about -1)
  and ``f_l = -R6(x) / (5 * 90036)``, lowest where the 6-D Rosenbrock is highest.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from mfopt import Registry
from mfopt_problems.literature_2d import BRANIN_BOX, BRANIN_OPTIMUM, branin, currin
from mfopt_problems.literature_hartmann import H6_OPTIMUM, hartmann
from mfopt_problems.pair import Pair, box

ROSENBROCK_SCALE = 90036.0
#: Mean of ``R(x) / 90036`` over ``[-5, 5]^2``: ``E[100 (x2 - x1^2)^2 + (x1 - 1)^2] = 40000/3 + 28/3``.
ROSENBROCK_MEAN = (40000.0 / 3.0 + 28.0 / 3.0) / ROSENBROCK_SCALE
CURRIN_MIN, CURRIN_MAX = 1.1804, 13.7987
#: Maximum of the Currin exponential on ``[0, 1]^2`` (at ``x = (13/60, 0)``).
CURRIN_PEAK = 13.798722044728434
BRANIN_MIN, BRANIN_MAX = 0.3978873577401032, 308.12909601160663
ACKLEY_MAX = 17.50447
HARTMANN6_MAX = 3.322367993160791


def rosenbrock(X: Tensor) -> Tensor:
    """``sum_i 100 (x_{i+1} - x_i^2)^2 + (x_i - 1)^2`` over the columns of ``X`` (``n x d`` -> ``n``)."""
    a, b = X[..., :-1], X[..., 1:]
    return (100 * (b - a**2) ** 2 + (a - 1) ** 2).sum(-1)


def rosenbrock_high(X: Tensor) -> Tensor:
    return rosenbrock(X) / ROSENBROCK_SCALE


def rosenbrock_sinus_low(X: Tensor) -> Tensor:
    return rosenbrock_high(X) + 0.8 * ROSENBROCK_MEAN * torch.sin(X.sum(-1))


def currin_high(X: Tensor) -> Tensor:
    return -(currin(X) - CURRIN_MIN) / (CURRIN_MAX - CURRIN_MIN)


def currin_negated_low(X: Tensor) -> Tensor:
    return (currin(X) - CURRIN_MAX) / (CURRIN_MAX - CURRIN_MIN)


def mikkola_ackley(X: Tensor) -> Tensor:
    """The reference code's 2-D Ackley (note the ``1/6`` inside the square root)."""
    r = torch.sqrt(torch.clamp((X**2).sum(-1) / 6.0, min=1e-300))
    return -20 * torch.exp(-0.2 * r) - torch.exp(torch.cos(2 * math.pi * X).sum(-1) / X.shape[-1]) + 20 + math.e


def branin_high(X: Tensor) -> Tensor:
    return (branin(X) - BRANIN_MAX) / (BRANIN_MAX - BRANIN_MIN)


def ackley_low(X: Tensor) -> Tensor:
    return -mikkola_ackley(X) / ACKLEY_MAX


def hartmann_high(X: Tensor) -> Tensor:
    return hartmann(X) / HARTMANN6_MAX


def rosenbrock6_low(X: Tensor) -> Tensor:
    return -rosenbrock(X) / (5 * ROSENBROCK_SCALE)


def pairs() -> list[Pair]:
    """The four harmful pairs."""
    ref = "Mikkola et al. (2023), rMFBO"
    return [
        Pair("MikkolaRosenbrockSinus", box(-5.0, 5.0, 2), rosenbrock_high, rosenbrock_sinus_low,
             f"{ref}: Rosenbrock / 90036, f_l = f_h + 0.8 mean(f_h) sin(x1 + x2)", 0.0, "Mikkola"),
        Pair("MikkolaCurrinNegated", box(0.0, 1.0, 2), currin_high, currin_negated_low,
             f"{ref}: normalised Currin exponential, f_l = normalised negated Currin = -f_h - 1",
             -(CURRIN_PEAK - CURRIN_MIN) / (CURRIN_MAX - CURRIN_MIN), "Mikkola"),
        Pair("MikkolaBraninAckley", BRANIN_BOX, branin_high, ackley_low,
             f"{ref}: normalised Branin, f_l = -Ackley / 17.50447 (a misleading source)",
             (BRANIN_OPTIMUM - BRANIN_MAX) / (BRANIN_MAX - BRANIN_MIN), "Mikkola"),
        Pair("MikkolaHartmannRosenbrock", box(0.0, 1.0, 6), hartmann_high, rosenbrock6_low,
             f"{ref}: H6 / 3.322368, f_l = -Rosenbrock6 / (5 * 90036) (a misleading source)",
             H6_OPTIMUM / HARTMANN6_MAX, "Mikkola"),
    ]  # fmt: skip


def register(registry: Registry) -> None:
    for pair in pairs():
        pair.register(registry)


__all__ = ["pairs", "register", "rosenbrock"]
