"""Least-squares Gaussian-RBF surrogates with values, gradients or both (the seed
experiment of Wilke 2024, arXiv:2404.14456).

``s(x) = b + Σ_j w_j exp(-ε ‖x - c_j‖²)``, no polynomial tail. The weights solve one linear least
squares problem (``numpy.linalg.lstsq``, minimum-norm when rank deficient):

- ``"f"``:   ``Φ w ≈ y``, ``b = 0``;
- ``"f-g"``: ``[Φ; Φ'] w ≈ [y; ∇y]``, ``b = 0``;
- ``"g"``:   ``Φ' w ≈ ∇y``, then the free constant ``b = y_a - Σ_j w_j φ_j(x_a)`` from ONE
  anchor value (``anchor="constant"``, default: gradients are blind to constants, so the anchor
  only shifts the fit and never changes its shape or curvature); or, with ``anchor="row"``, the
  anchor is one more least-squares row ``φ(x_a) w ≈ y_a`` and ``b = 0``.

``Φ`` is ``n x m`` (``φ_ij = exp(-ε ‖x_i - c_j‖²)``), ``Φ'`` is ``nd x m`` (row ``i·d + k``:
``∂φ_j/∂x_k (x_i) = -2ε (x_ik - c_jk) φ_ij``). Centres are ``m`` of the fitted points
(:func:`choose_centres`), ``m = max(1, n_obs // 6)`` (:func:`basis_count`, the seed's "basis
functions at most observations / 6", at least one).

Written with NumPy by hand because it IS the seed's experiment (a tiny linear least-squares
problem per fit); no library offers this exact construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
MODES = ("f", "f-g", "g")


def basis_count(mode: str, n: int, d: int) -> int:
    """``m = max(1, n_obs // 6)`` where ``n_obs`` counts the least-squares rows of ``n`` points
    in ``d`` dimensions: ``n`` ('f'), ``n(1 + d)`` ('f-g'), ``nd + 1`` ('g', with its anchor)."""
    n_obs = {"f": n, "f-g": n * (1 + d), "g": n * d + 1}[mode]
    return max(1, n_obs // 6)


def choose_centres(X: Array, m: int) -> Array:
    """``m`` of the points ``X`` (``n x d``) as centres: those at evenly spaced ranks of their order
    along the first coordinate (ranks ``round((k + ½) n / m - ½)``; ``m = 1`` gives the median point)."""
    order = np.argsort(X[:, 0], kind="stable")
    ranks = np.round((np.arange(m) + 0.5) * X.shape[0] / m - 0.5).astype(int)
    return X[order[np.clip(ranks, 0, X.shape[0] - 1)]]


def basis(X: Array, centres: Array, eps: float) -> Array:
    """``Φ``: ``n x m``."""
    r2 = ((X[:, None, :] - centres[None, :, :]) ** 2).sum(-1)
    return np.exp(-eps * r2)


def basis_gradient(X: Array, centres: Array, eps: float) -> Array:
    """``Φ'``: ``nd x m``, row ``i·d + k`` = ``∂φ_j/∂x_k`` at ``x_i``."""
    diff = X[:, None, :] - centres[None, :, :]  # n x m x d
    dphi = -2.0 * eps * diff * basis(X, centres, eps)[:, :, None]
    return dphi.transpose(0, 2, 1).reshape(-1, centres.shape[0])


@dataclass(frozen=True)
class RBF:
    """A fitted surrogate ``s(x) = b + Σ_j w_j exp(-ε ‖x - c_j‖²)``."""

    weights: Array
    centres: Array
    eps: float
    constant: float = 0.0

    def __call__(self, X: Array) -> Array:
        """``s`` at ``X`` (``n x d``) -> ``n``."""
        return self.constant + basis(X, self.centres, self.eps) @ self.weights

    def gradient(self, X: Array) -> Array:
        """``∇s`` at ``X`` -> ``n x d``."""
        return (basis_gradient(X, self.centres, self.eps) @ self.weights).reshape(X.shape[0], -1)

    def curvature(self, X: Array) -> Array:
        """Smallest eigenvalue of the Hessian of ``s`` at ``X`` -> ``n`` (``s''(x)`` in 1-D).

        ``∇²φ = φ (4ε² (x - c)(x - c)ᵀ - 2ε I)``."""
        diff = X[:, None, :] - self.centres[None, :, :]
        phi = basis(X, self.centres, self.eps)
        d = X.shape[1]
        H = 4.0 * self.eps**2 * diff[..., :, None] * diff[..., None, :] - 2.0 * self.eps * np.eye(d)
        hess = np.einsum("nm,nmij,m->nij", phi, H, self.weights)
        return np.linalg.eigvalsh(hess)[:, 0]


def fit(mode: str, X: Array, y: Array, G: Array, eps: float, anchor: int = 0, anchor_as: str = "constant") -> RBF:
    """Least-squares fit of ``mode`` to points ``X`` (``n x d``), values ``y`` (``n``), gradients ``G``
    (``n x d``) with shape parameter ``eps``; ``anchor``: index of the value used by ``"g"``."""
    if mode not in MODES:
        raise ValueError(f"mode must be one of {list(MODES)}, got {mode!r}")
    if anchor_as not in ("constant", "row"):
        raise ValueError(f"anchor_as must be 'constant' or 'row', got {anchor_as!r}")
    if not eps > 0:
        raise ValueError(f"the shape parameter must be positive, got {eps}")
    n, d = X.shape
    centres = choose_centres(X, basis_count(mode, n, d))
    Phi, dPhi, g = basis(X, centres, eps), basis_gradient(X, centres, eps), G.reshape(-1)
    if mode == "f":
        A, b = Phi, y
    elif mode == "f-g":
        A, b = np.vstack([Phi, dPhi]), np.concatenate([y, g])
    elif anchor_as == "row":
        A, b = np.vstack([dPhi, Phi[anchor : anchor + 1]]), np.concatenate([g, y[anchor : anchor + 1]])
    else:
        A, b = dPhi, g
    w = np.asarray(np.linalg.lstsq(A, b, rcond=None)[0], dtype=np.float64)
    constant = float(y[anchor] - Phi[anchor] @ w) if mode == "g" and anchor_as == "constant" else 0.0
    return RBF(w, centres, float(eps), constant)
