"""Per-instance "good" labels of two models from their paired test correlations
(Andrés-Thió, Muñoz & Smith-Miles 2024, arXiv:2403.08118).

With ``a``, ``b`` the correlations of model A and model B over the repetitions (paired by seed)
and ``x = a - b + 0.001`` (A's margin over B, given the 0.001 tolerance):

- ``paper`` (the paper's v1 rule, the default): H0 "A is no worse than B within 0.001"
  (median of ``x`` >= 0) against the one-sided alternative that A is worse:
  ``p = scipy.stats.wilcoxon(x, alternative="less").pvalue``; A is good when ``p > 0.5``. Both
  models can be good (near-ties), and in rare splits neither.
- ``code`` (the authors' later R code): the opposite one-sided test, H0 "A is worse than B"
  against "A is better than B within 0.001":
  ``p = scipy.stats.wilcoxon(x, alternative="greater").pvalue``; A is good when ``p <= 0.05``;
  when neither model passes, the model with the smaller ``p`` is good (both when the p-values tie).

Identical correlations (``x = 0.001`` everywhere) make both good under either labelling; an
all-zero ``x`` (which scipy rejects) counts as ``p = 1``. A repetition where either correlation is NaN
(a constant prediction) is dropped from the pair; an instance with fewer than 2 valid pairs gets no label.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

TOLERANCE = 1e-3
LABELLINGS = ("paper", "code")


@dataclass(frozen=True)
class Label:
    """Whether each of the two models is good on an instance, and the two p-values behind it."""

    a_good: bool
    b_good: bool
    p_a: float
    p_b: float


def _pvalue(x: np.ndarray, alternative: str) -> float:
    from scipy.stats import wilcoxon

    if np.all(x == 0.0):
        return 1.0
    return float(wilcoxon(x, alternative=alternative).pvalue)


def label(a: Sequence[float], b: Sequence[float], labelling: str = "paper", tol: float = TOLERANCE) -> Label | None:
    """The label of models A and B from paired correlations ``a`` and ``b`` (see the module docstring)."""
    if labelling not in LABELLINGS:
        raise ValueError(f"labelling must be one of {', '.join(LABELLINGS)}, got {labelling!r}")
    av, bv = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    ok = np.isfinite(av) & np.isfinite(bv)
    av, bv = av[ok], bv[ok]
    if len(av) < 2:
        return None
    x_a, x_b = av - bv + tol, bv - av + tol
    if labelling == "paper":
        p_a, p_b = _pvalue(x_a, "less"), _pvalue(x_b, "less")
        return Label(p_a > 0.5, p_b > 0.5, p_a, p_b)
    p_a, p_b = _pvalue(x_a, "greater"), _pvalue(x_b, "greater")
    a_good, b_good = p_a <= 0.05, p_b <= 0.05
    if not (a_good or b_good):
        a_good, b_good = p_a <= p_b or math.isclose(p_a, p_b), p_b <= p_a or math.isclose(p_a, p_b)
    return Label(a_good, b_good, p_a, p_b)
