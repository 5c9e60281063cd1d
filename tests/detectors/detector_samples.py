"""Small fixed two-fidelity samples for the detector tests, and independent loop-based references."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from mfopt import Dataset, Fidelity, Observation

LOW = Fidelity("low", 0.5, 0.1)
HIGH = Fidelity("high", 1.0, 1.0)


def dataset(
    X_high: Sequence[Sequence[float]],
    y_high: Sequence[float],
    X_low: Sequence[Sequence[float]],
    y_low: Sequence[float],
    bounds: Sequence[Sequence[float]] | None = None,
) -> Dataset:
    """A two-fidelity dataset; ``bounds`` defaults to the unit box."""
    d = len(X_high[0]) if len(X_high) else len(X_low[0])
    box = bounds if bounds is not None else [[0.0] * d, [1.0] * d]
    obs = [Observation(tuple(map(float, x)), "low", float(v)) for x, v in zip(X_low, y_low, strict=True)]
    obs += [Observation(tuple(map(float, x)), "high", float(v)) for x, v in zip(X_high, y_high, strict=True)]
    return Dataset(np.asarray(box, dtype=float), (LOW, HIGH), obs)


def nested(U: np.ndarray, y_high: np.ndarray, y_low: np.ndarray, extra_low: int = 0) -> Dataset:
    """HF and LF at the rows of ``U`` (unit box), plus ``extra_low`` LF-only points (value 0)."""
    d = U.shape[1]
    extra = [[0.99 - 0.01 * k / max(extra_low, 1)] * d for k in range(extra_low)]
    X_low = [*U.tolist(), *extra]
    return dataset(U.tolist(), y_high.tolist(), X_low, [*y_low.tolist(), *([0.0] * extra_low)])


def ref_wcc(y_l: Sequence[float], y_h: Sequence[float], w: Sequence[float]) -> float:
    """Squared weighted correlation by plain loops, with the authors' code's conventions: 1 for a
    single positive weight, 1 when both weighted variances are zero, 0 when one is."""
    if sum(1 for wi in w if wi > 0) == 1:
        return 1.0
    sw = sum(w)
    m_l = sum(wi * a for wi, a in zip(w, y_l, strict=True)) / sw
    m_h = sum(wi * b for wi, b in zip(w, y_h, strict=True)) / sw
    v_l = sum(wi * (a - m_l) ** 2 for wi, a in zip(w, y_l, strict=True)) / sw
    v_h = sum(wi * (b - m_h) ** 2 for wi, b in zip(w, y_h, strict=True)) / sw
    if v_l < 1e-24 and v_h < 1e-24:
        return 1.0
    if v_l < 1e-24 or v_h < 1e-24:
        return 0.0
    c = sum(wi * (a - m_l) * (b - m_h) for wi, a, b in zip(w, y_l, y_h, strict=True)) / sw
    return c * c / (v_l * v_h)


def ref_pearson2(y_l: Sequence[float], y_h: Sequence[float]) -> float:
    """Squared Pearson correlation with the textbook (n - 1) formula."""
    n = len(y_l)
    m_l, m_h = sum(y_l) / n, sum(y_h) / n
    s_l = math.sqrt(sum((a - m_l) ** 2 for a in y_l) / (n - 1))
    s_h = math.sqrt(sum((b - m_h) ** 2 for b in y_h) / (n - 1))
    r = sum((a - m_l) * (b - m_h) for a, b in zip(y_l, y_h, strict=True)) / ((n - 1) * s_l * s_h)
    return r * r


def ref_lcc(U: Sequence[Sequence[float]], y_l: Sequence[float], y_h: Sequence[float], r: float) -> list[float]:
    """``LCC^r(x_i)`` for every point, weights ``max{0, 1 - dist/(r sqrt d)}`` by loops."""
    d = len(U[0])
    rho = r * math.sqrt(d)
    out = []
    for ui in U:
        w = [max(0.0, 1.0 - math.dist(ui, uj) / rho) for uj in U]
        out.append(ref_wcc(y_l, y_h, w))
    return out


def ref_adj_r2(U: Sequence[Sequence[float]], y: Sequence[float], interactions: bool) -> float:
    """Adjusted R² via the normal equations (an independent route from least squares)."""
    d = len(U[0])
    rows = []
    for u in U:
        row = [1.0, *u]
        if interactions:
            row += [u[i] * u[j] for i in range(d) for j in range(i + 1, d)]
        rows.append(row)
    A = np.array(rows)
    yv = np.array(y, dtype=float)
    beta = np.linalg.solve(A.T @ A, A.T @ yv)
    n, p = len(y), A.shape[1] - 1
    ss_res = sum((yi - fi) ** 2 for yi, fi in zip(yv, A @ beta, strict=True))
    mean = sum(y) / n
    ss_tot = sum((yi - mean) ** 2 for yi in y)
    r2 = 1.0 - ss_res / ss_tot
    return 1.0 - (1.0 - r2) * (n - 1) / (n - p - 1)


def grid_1d(n: int) -> np.ndarray:
    """``n`` evenly spread points in [0, 1] (cell centres), shape ``n x 1``."""
    return ((np.arange(n) + 0.5) / n)[:, None]


def scatter_2d() -> np.ndarray:
    """A fixed 10-point design in the unit square."""
    pts = [[i / 4, ((i * 3) % 5) / 4] for i in range(5)] + [[i / 4 + 0.1, ((i * 2) % 5) / 4 + 0.1] for i in range(5)]
    return np.clip(np.array(pts), 0.0, 1.0)
