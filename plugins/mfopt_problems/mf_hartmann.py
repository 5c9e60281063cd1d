"""Multi-fidelity Hartmann 3 and 6 with graded cheap-source quality (the mf-prior-bench ``mfh`` family).

Source: the ``MFHartmann3`` / ``MFHartmann6`` generators and the ``mfh3_*`` / ``mfh6_*`` presets of
the mf-prior-bench project (automl/mf-prior-bench, ``src/mfpbench/synthetic/hartmann/``; used by
Mallik et al. 2023, "PriorBand"), after Kandasamy et al. (2017, BOCA). At a fidelity ``z`` in
``1..100`` with ``s = ln z / ln 100`` (so ``s`` runs from 0 to 1):

    f_s(x) = -sum_i (alpha_i - bias (1 - s)) exp(-sum_j beta_ij (x_j - p_ij)^2) + noise (1 - s) |eps(x, s)|

with the standard Hartmann constants (:mod:`mfopt_problems.literature_hartmann`) and ``eps`` a
standard normal draw that is a deterministic function of the point and the fidelity (the same
query always returns the same value, as in mf-prior-bench, which seeds a generator with a hash of
the configuration). The bias flattens the function (and flips the sign of the first two terms when
``bias > alpha_i``); the noise is one-sided, so the cheap source is biased upwards too. At ``s = 1``
the function is exactly Hartmann.

Presets (bias, noise): good (2.5, 2.0), moderate (3.0, 3.0), bad (3.5, 4.0), terrible (4.0, 5.0).
The pairs ``MFHartmann3-<preset>`` and ``MFHartmann6-<preset>`` take the cheap source at the
default low level ``s = 0.5`` (``z = 10``; mf-prior-bench's cost model there, ``0.05 + 0.95 (z/100)^2``,
would be 0.06; mfopt's default low cost 0.1 applies) and the target at ``s = 1``. The pseudo-noise is
not differentiable, so these problems offer no gradients. Our own code: the noise generator differs
from mf-prior-bench's (a counter-based hash of the float64 bits instead of NumPy's seeded
generator), so individual noisy values differ; its distribution (``|N(0, 1)|``) is the same.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
from torch import Tensor

from mfopt import Registry
from mfopt_problems.literature_hartmann import ALPHA, H3_OPTIMUM, H6_OPTIMUM, exponents
from mfopt_problems.pair import LOW, Pair

#: ``(bias, noise)`` of the mf-prior-bench presets.
PRESETS = {"good": (2.5, 2.0), "moderate": (3.0, 3.0), "bad": (3.5, 4.0), "terrible": (4.0, 5.0)}
#: Seed of the pseudo-noise (mf-prior-bench's default seed).
SEED = 1337
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)


def _mix(z: np.ndarray) -> np.ndarray:
    """SplitMix64 finaliser (a bijection of 64-bit words with good avalanche), element-wise."""
    z = z + _GOLDEN
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


def standard_normal(X: Tensor, level: float, seed: int = SEED) -> Tensor:
    """One standard normal value per row of ``X`` (``n x d``), a deterministic function of the row's
    float64 bits, ``level`` and ``seed`` (Box-Muller on two hashed uniforms)."""
    bits = np.ascontiguousarray(X.detach().cpu().to(torch.float64).numpy()).view(np.uint64)
    with np.errstate(over="ignore"):
        h = np.full(bits.shape[0], seed, dtype=np.uint64) ^ np.float64(level).view(np.uint64)
        for j in range(bits.shape[1]):
            h = _mix(h ^ bits[:, j])
        u1 = (_mix(h ^ np.uint64(1)) >> np.uint64(11)).astype(np.float64) * 2.0**-53
        u2 = (_mix(h ^ np.uint64(2)) >> np.uint64(11)).astype(np.float64) * 2.0**-53
    z = np.sqrt(-2.0 * np.log1p(-u1)) * np.cos(2.0 * np.pi * u2)
    return torch.as_tensor(z, dtype=X.dtype, device=X.device)


def mf_hartmann(X: Tensor, level: float, bias: float, noise: float) -> Tensor:
    """``f_s(X)`` at level ``s`` = ``level`` in [0, 1] (d = 3 or 6 read from ``X``), shape ``n``."""
    if not 0.0 <= level <= 1.0:
        raise ValueError(f"level must lie in [0, 1], got {level}")
    shrink = 1.0 - level
    alpha = torch.tensor(ALPHA, dtype=X.dtype, device=X.device) - bias * shrink
    value = -(alpha * torch.exp(exponents(X))).sum(-1)
    if noise > 0 and shrink > 0:
        value = value + noise * shrink * standard_normal(X, level).abs()
    return value


def pairs() -> list[Pair]:
    """``MFHartmann3-<preset>`` and ``MFHartmann6-<preset>`` for every preset."""
    out = []
    for dim, optimum in ((3, H3_OPTIMUM), (6, H6_OPTIMUM)):
        for preset, (bias, noise) in PRESETS.items():
            out.append(
                Pair(
                    f"MFHartmann{dim}-{preset}",
                    ((0.0,) * dim, (1.0,) * dim),
                    partial(mf_hartmann, level=1.0, bias=bias, noise=noise),
                    partial(mf_hartmann, level=LOW.level, bias=bias, noise=noise),
                    f"mf-prior-bench mfh{dim}_{preset}: H{dim}, f_l at s = 0.5 with alpha - {bias / 2:g} "
                    f"and one-sided noise {noise / 2:g}|N(0,1)|",
                    optimum,
                    f"MFHartmann{dim}-{{preset}}",
                    differentiable=False,
                )
            )
    return out


def register(registry: Registry) -> None:
    for pair in pairs():
        pair.register(registry)


__all__ = ["PRESETS", "mf_hartmann", "pairs", "register", "standard_normal"]
