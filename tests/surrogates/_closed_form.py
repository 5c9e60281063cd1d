"""Independent numpy versions of the Kriging and Co-Kriging formulas, used to check the torch models."""

from __future__ import annotations

import numpy as np


def corr(A: np.ndarray, B: np.ndarray, theta: np.ndarray, p: np.ndarray) -> np.ndarray:
    """``exp(-Σ θ_k |a_k - b_k|^p_k)`` between the rows of ``A`` and ``B``."""
    diff = np.abs(A[:, None, :] - B[None, :, :])
    return np.exp(-(theta * diff**p).sum(-1))


def kriging(Xs: np.ndarray, y: np.ndarray, theta, p, Xt: np.ndarray) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Ordinary Kriging on scaled inputs: returns mean, variance ``σ²(1 - rᵀR⁻¹r)``, μ, σ²."""
    R = corr(Xs, Xs, theta, p)
    Ri = np.linalg.inv(R)
    ones = np.ones(len(y))
    mu = ones @ Ri @ y / (ones @ Ri @ ones)
    sigma2 = (y - mu) @ Ri @ (y - mu) / len(y)
    r = corr(Xs, Xt, theta, p)
    mean = mu + r.T @ Ri @ (y - mu)
    var = sigma2 * (1 - np.einsum("ij,ik,kj->j", r, Ri, r))
    return mean, var, float(mu), float(sigma2)


def cokriging(Xl, yl, Xh, yh, info, Xt):
    """AR1 Co-Kriging (Forrester et al. 2007) from fitted ``info`` (theta, p, sigma2, rho) with a constant
    mean per level (Le Gratiet 2014): regressors ``[1, 0]`` (LF) and ``[ρ, 1]`` (HF), ``β`` by GLS.
    Returns the HF mean, variance and ``β``."""
    (tl, tb), (pl, pb) = np.array(info["theta"]), np.array(info["p"])
    sl, sb = info["sigma2"]
    rho = info["rho"][0]
    C = np.block(
        [
            [sl * corr(Xl, Xl, tl, pl), rho * sl * corr(Xl, Xh, tl, pl)],
            [rho * sl * corr(Xh, Xl, tl, pl), rho**2 * sl * corr(Xh, Xh, tl, pl) + sb * corr(Xh, Xh, tb, pb)],
        ]
    )
    c = np.vstack([rho * sl * corr(Xl, Xt, tl, pl), rho**2 * sl * corr(Xh, Xt, tl, pl) + sb * corr(Xh, Xt, tb, pb)])
    y = np.concatenate([yl, yh])
    F = np.vstack([np.tile([1.0, 0.0], (len(yl), 1)), np.tile([rho, 1.0], (len(yh), 1))])
    Ci = np.linalg.inv(C)
    beta = np.linalg.solve(F.T @ Ci @ F, F.T @ Ci @ y)
    mean = np.array([rho, 1.0]) @ beta + c.T @ Ci @ (y - F @ beta)
    var = rho**2 * sl + sb - np.einsum("ij,ik,kj->j", c, Ci, c)
    return mean, var, beta
