"""Hartmann-based pairs (Andrés-Thió et al. 2024, d = 3, 4, 6).

``H(x) = -sum_i alpha_i exp(-sum_j beta_ij (x_j - p_ij)^2)`` on [0, 1]^d with the standard constants
(Hartmann 1973; Dixon & Szegö 1978; as tabulated by Surjanovic & Bingham's Virtual Library of
Simulation Experiments): alpha = (1, 1.2, 3, 3.2), beta/p below. H4 uses the first four columns of the
H6 constants, unscaled (as in the Andrés-Thió et al. 2022 benchmark, not Picheny's rescaled H4).
Inputs ``n x d``, outputs ``n``.
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import Tensor

from mfopt_problems.pair import A_VALUES, Pair

ALPHA = (1.0, 1.2, 3.0, 3.2)
ALPHA_PARK = (0.5, 0.5, 2.0, 4.0)
BETA3 = ((3.0, 10.0, 30.0), (0.1, 10.0, 35.0), (3.0, 10.0, 30.0), (0.1, 10.0, 35.0))
P3 = (
    (0.3689, 0.1170, 0.2673),
    (0.4699, 0.4387, 0.7470),
    (0.1091, 0.8732, 0.5547),
    (0.0381, 0.5743, 0.8828),
)
BETA6 = (
    (10.0, 3.0, 17.0, 3.5, 1.7, 8.0),
    (0.05, 10.0, 17.0, 0.1, 8.0, 14.0),
    (3.0, 3.5, 1.7, 10.0, 17.0, 8.0),
    (17.0, 8.0, 0.05, 10.0, 0.1, 14.0),
)
P6 = (
    (0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886),
    (0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991),
    (0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650),
    (0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381),
)
H3_OPTIMUM = -3.8627797869493365
H6_OPTIMUM = -3.3223680114155147


def _constants(dim: int, X: Tensor) -> tuple[Tensor, Tensor]:
    beta, p = (BETA3, P3) if dim == 3 else (BETA6, P6)
    B = torch.tensor(beta, dtype=X.dtype, device=X.device)[:, :dim]
    P = torch.tensor(p, dtype=X.dtype, device=X.device)[:, :dim]
    return B, P


def exponents(X: Tensor, p_scale: float = 1.0) -> Tensor:
    """``E_i = -sum_j beta_ij (x_j - s p_ij)^2``, shape ``n x 4`` (``s`` = ``p_scale``)."""
    B, P = _constants(X.shape[-1], X)
    return -(B * (X[..., None, :] - p_scale * P) ** 2).sum(-1)


def hartmann(X: Tensor, alpha: tuple[float, ...] = ALPHA, p_scale: float = 1.0) -> Tensor:
    """``-sum_i alpha_i exp(E_i)`` for d = 3, 4 or 6 (the dimension is read from ``X``)."""
    a = torch.tensor(alpha, dtype=X.dtype, device=X.device)
    return -(a * torch.exp(exponents(X, p_scale))).sum(-1)


def _rajnarayan_low(X: Tensor, freq: float) -> Tensor:
    """Rajnarayan et al. (2008): ``H + 0.5 sin(freq * sum_j (x_j - 4))``."""
    return hartmann(X) + 0.5 * torch.sin(freq * (X - 4).sum(-1))


def _toal_h3_low(X: Tensor, a: float) -> Tensor:
    return hartmann(X, p_scale=0.75 * (a + 1))


def park_h6_high(X: Tensor) -> Tensor:
    """Park (1991) scaled Hartmann 6: ``-(2.58 + sum alpha_i e^{E_i}) / 1.94``."""
    return -(2.58 - hartmann(X)) / 1.94


def park_h6_low(X: Tensor) -> Tensor:
    """``exp(E)`` replaced by its 9-term product approximation ``[e^{-4/9}(1 + (E + 4)/9)]^9``."""
    c = math.exp(-4 / 9)
    approx = (c + c * (exponents(X) + 4) / 9) ** 9
    a = torch.tensor(ALPHA_PARK, dtype=X.dtype, device=X.device)
    return -(2.58 + (a * approx).sum(-1)) / 1.94


ONES = (1.0, 1.0, 1.0, 1.0)


def _augmented_hartmann(X: Tensor, s: float) -> Tensor:
    """BoTorch's ``AugmentedHartmann`` at fidelity ``s``: H6 with ``alpha_1 = 1 - 0.1 (1 - s)``.

    Written with :func:`hartmann` rather than calling BoTorch because BoTorch stores the constants as
    float32 buffers (values then differ from the float64 definition by ~1e-9)."""
    return hartmann(X, alpha=(1 - 0.1 * (1 - s), *ALPHA[1:]))


def _unit(d: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return ((0.0,) * d, (1.0,) * d)


def pairs() -> list[Pair]:
    """The Hartmann-based pairs."""
    h = hartmann
    out = [
        Pair("RajnarayanHartmannH3", _unit(3), h, partial(_rajnarayan_low, freq=10.0),
             "Rajnarayan et al. (2008): H3, f_l = H + 0.5 sin(10 sum(x_j - 4))", H3_OPTIMUM),
        Pair("RajnarayanHartmannH6", _unit(6), h, partial(_rajnarayan_low, freq=25.0),
             "Rajnarayan et al. (2008): H6, f_l = H + 0.5 sin(25 sum(x_j - 4))", H6_OPTIMUM),
        Pair("ShiHartmannH3", _unit(3), h, partial(hartmann, alpha=ONES),
             "Shi et al. (2020): H3, f_l = H with all alpha_i = 1", H3_OPTIMUM),
        Pair("ShiHartmannH4", _unit(4), h, partial(hartmann, alpha=ONES),
             "Shi et al. (2020): unscaled H4 (first 4 columns of H6), f_l = H with all alpha_i = 1"),
        Pair("ShiHartmannH6", _unit(6), h, partial(hartmann, alpha=ONES),
             "Shi et al. (2020): H6, f_l = H with all alpha_i = 1", H6_OPTIMUM),
        Pair("ParkHartmannH6", _unit(6), park_h6_high, park_h6_low,
             "Park (1991): scaled H6, LF with alpha' = (0.5, 0.5, 2, 4) and exp(E) ~ [e^{-4/9}(1 + (E+4)/9)]^9",
             -(2.58 - H6_OPTIMUM) / 1.94),
        Pair("AugmentedHartmannH6", _unit(6), partial(_augmented_hartmann, s=1.0),
             partial(_augmented_hartmann, s=0.5),
             "BoTorch AugmentedHartmann (continuous-fidelity H6) at fidelity 1 (HF) and 0.5 (LF)", H6_OPTIMUM),
    ]  # fmt: skip
    for a in A_VALUES:
        out.append(Pair(f"ToalHartmannH3{a:.2f}", _unit(3), h, partial(_toal_h3_low, a=a),
                        f"Toal (2015): H3, f_l = H with p_ij -> 0.75 p_ij (a + 1), a = {a:.2f}", H3_OPTIMUM,
                        "ToalHartmannH3{a}"))  # fmt: skip
    return out


__all__ = ["H3_OPTIMUM", "H6_OPTIMUM", "hartmann", "pairs"]
