"""Two landscape features of the high-fidelity sample used by the paper's instance space (its Eq. 21).

- ``MMCE_lda_0.5`` (flacco ``ela_level.mmce_lda_50``): split the sample at the median of ``f_h``
  into two classes and report the cross-validated misclassification error of linear discriminant
  analysis (scikit-learn's ``LinearDiscriminantAnalysis``, written out in :func:`lda_fit`) on the
  scaled inputs; stratified ``k``-fold with ``k = min(10, smallest class size)``, fixed fold seed 0.
  NaN for fewer than 6 points or a class of fewer than 2 (LDA needs more training points than classes in every fold).
- ``M0`` (flacco ``ic.m0``, Muñoz et al. 2015, "initial partial information"): visit the sample
  along a nearest-neighbour tour starting at its first point, take the sign of each slope
  ``Δf/‖Δx‖`` (``ε = 0``), drop zeros and merge repeated signs; ``M0 = μ/(n - 1)`` with ``μ`` the
  length of what is left. NaN for fewer than 3 points.

The paper prints ``H_0`` in Eq. 21 and ``M_0`` in its text; we read it as ``M0``. Both are
approximations of flacco's implementations (which draw the start point and folds at random).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from mfopt.data import Dataset


def _hf_sample(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    target = data.fidelities[-1].name
    obs = [o for o in data.successful(target) if o.value is not None]
    X = np.asarray([o.x for o in obs], dtype=np.float64).reshape(len(obs), data.dim)
    bounds = data.bounds.detach().cpu().numpy().astype(np.float64)
    width = np.where(bounds[1] > bounds[0], bounds[1] - bounds[0], 1.0)
    return (X - bounds[0]) / width, np.asarray([float(o.value) for o in obs if o.value is not None])


#: Singular values at or below this are dropped by the LDA fit (scikit-learn's ``tol`` default).
LDA_TOL = 1e-4


def lda_fit(U: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, float]:
    """Two-class linear discriminant analysis: ``(w, b)`` with class 1 predicted where ``U @ w + b > 0``.

    The same estimator as scikit-learn's ``LinearDiscriminantAnalysis()`` (its default ``svd``
    solver), written out because the study calls it ten times per repetition and the library's
    per-call validation costs far more than the arithmetic: class priors are the class shares;
    the within-class deviations, scaled per column by their standard deviation and by ``1/sqrt(n)``
    (the maximum-likelihood covariance), are reduced by an SVD to the directions whose singular
    value exceeds ``LDA_TOL`` (so a rank-deficient sample is handled as the library does); the prior-weighted
    class means are whitened there, and a second SVD keeps the between-class direction.
    """
    n = len(labels)
    priors = np.array([np.mean(labels == k) for k in (0, 1)])
    means = np.stack([U[labels == k].mean(axis=0) for k in (0, 1)])
    within = np.concatenate([U[labels == k] - means[k] for k in (0, 1)])
    std = within.std(axis=0)
    std[std == 0.0] = 1.0
    _, S, Vt = np.linalg.svd(within / (std * np.sqrt(n)), full_matrices=False)
    rank = int(np.sum(S > LDA_TOL))
    scalings = (Vt[:rank] / std).T / S[:rank]
    centre = priors @ means
    between = (np.sqrt(n * priors)[:, None] * (means - centre)) @ scalings
    _, S2, Vt2 = np.linalg.svd(between, full_matrices=False)
    rank2 = int(np.sum(S2 / S2[0] > LDA_TOL)) if S2.size and S2[0] > 0 else 0
    scalings = scalings @ Vt2.T[:, :rank2]
    coef = (means - centre) @ scalings
    intercept = -0.5 * np.sum(coef**2, axis=1) + np.log(priors)
    coef = coef @ scalings.T
    intercept = intercept - centre @ coef.T
    return coef[1] - coef[0], float(intercept[1] - intercept[0])


def mmce_lda(U: np.ndarray, y: np.ndarray, quantile: float = 0.5) -> float:
    """Cross-validated LDA misclassification error of the classes ``y <= quantile(y)`` / above."""
    from sklearn.model_selection import StratifiedKFold

    labels = (y > np.quantile(y, quantile)).astype(int)
    smallest = int(np.bincount(labels, minlength=2).min())
    if smallest < 2 or len(y) < 6:
        return math.nan
    folds = StratifiedKFold(n_splits=min(10, smallest), shuffle=True, random_state=0)
    predicted = np.empty_like(labels)
    for train, test in folds.split(U, labels):
        w, b = lda_fit(U[train], labels[train])
        predicted[test] = (U[test] @ w + b > 0.0).astype(int)
    return float(np.mean(predicted != labels))


def partial_information(U: np.ndarray, y: np.ndarray) -> float:
    """``M0``: initial partial information along a nearest-neighbour tour (see the module docstring)."""
    n = len(y)
    if n < 3:
        return math.nan
    visited = np.zeros(n, dtype=bool)
    current = 0
    visited[0] = True
    slopes = []
    for _ in range(n - 1):
        dist = np.sqrt(((U - U[current]) ** 2).sum(axis=1))
        dist[visited] = np.inf
        nxt = int(np.argmin(dist))
        step = dist[nxt]
        slopes.append((y[nxt] - y[current]) / step if step > 0 else 0.0)
        visited[nxt] = True
        current = nxt
    signs = [s for s in np.sign(slopes) if s != 0]
    mu = sum(1 for i, s in enumerate(signs) if i == 0 or s != signs[i - 1])
    return mu / (n - 1)


def landscape_features(data: Dataset) -> dict[str, float]:
    """``MMCE_lda_0.5`` and ``M0`` of the target's sample in ``data``.

    They depend only on the target's sample, which pairs with the same target function share in a
    study task (the ``ToalBranin`` family...), so they are cached on its bytes (the same values)."""
    U, y = _hf_sample(data)
    if len(y) < 3:
        return {"MMCE_lda_0.5": math.nan, "M0": math.nan}
    return dict(_landscape(U.tobytes(), U.shape, y.tobytes()))


@functools.lru_cache(maxsize=512)
def _landscape(U_bytes: bytes, shape: tuple[int, ...], y_bytes: bytes) -> tuple[tuple[str, float], ...]:
    U = np.frombuffer(U_bytes, dtype=np.float64).reshape(shape)
    y = np.frombuffer(y_bytes, dtype=np.float64)
    return (("MMCE_lda_0.5", mmce_lda(U, y)), ("M0", partial_information(U, y)))
