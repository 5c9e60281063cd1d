"""The paper's instance space: 9 standardised features -> ``(z1, z2)`` (Andrés-Thió et al. 2024, Eq. 21).

``z = A f`` with ``f`` the instance's features (each averaged over its repetitions) in the order
of :data:`FEATURES`, standardised to zero mean and unit standard deviation over the analysed
instances (MATILDA also applies a Box-Cox transform first; we do not, so the picture is the
paper's projection of *our* feature distribution, not a copy of its axes). A feature that is NaN
for an instance is set to the mean (0 after standardisation).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

#: Eq. 21's feature order (``M0`` stands for the paper's ``H_0``/``M_0``, see :mod:`mfopt.benchmark.ela`).
FEATURES: tuple[str, ...] = (
    "B_r", "LCC_0.2_sd", "LCC_root_0.4", "LCC_root_0.95", "RRMSE", "MMCE_lda_0.5", "M0", "R2_L", "R2_LI",
)  # fmt: skip
#: Eq. 21's 2 x 9 projection matrix (the transpose of the printed 9 x 2 matrix).
MATRIX = np.array(
    [
        [-0.4916, -0.3167, -0.1506, -0.0568, 0.1777, 0.3696, 0.4362, 0.177, 0.4031],
        [-0.0889, -0.2321, 0.372, 0.4394, -0.4154, 0.0989, 0.0526, 0.3381, 0.2545],
    ]
)


def standardise(F: np.ndarray) -> np.ndarray:
    """Column-wise z-scores of ``F`` (``n x 9``); NaN -> 0, constant columns -> 0."""
    mean = np.nanmean(np.where(np.isfinite(F), F, np.nan), axis=0)
    sd = np.nanstd(np.where(np.isfinite(F), F, np.nan), axis=0)
    mean = np.where(np.isfinite(mean), mean, 0.0)
    sd = np.where(np.isfinite(sd) & (sd > 1e-12), sd, 1.0)
    Z = (F - mean) / sd
    return np.where(np.isfinite(Z), Z, 0.0)


def project(features: Sequence[Mapping[str, float]]) -> np.ndarray:
    """``n x 2`` coordinates ``(z1, z2)`` of instances with these (repetition-averaged) features."""
    F = np.array([[float(f.get(name, np.nan)) for name in FEATURES] for f in features], dtype=np.float64)
    F = F.reshape(len(features), len(FEATURES))
    return standardise(F) @ MATRIX.T
