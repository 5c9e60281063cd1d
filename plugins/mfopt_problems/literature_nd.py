"""Literature pairs in d = 3, 4, 5, 6, 8, 10 and 20 (Andrés-Thió et al. 2024), Hartmann and Rastrigin aside.

Park (1991) functions as used by Xiong et al. (2013) and Shi et al. (2020), Colville (Song et al.
2019), Woods (Rajnarayan et al. 2008), Rosenbrock (Shi et al. 2020), Trid (Toal 2015), Dette &
Pepelyshev (2010) (Shi et al. 2020), the shifted Liu et al. (2016) Styblinski-Tang / Ackley /
Ellipsoid / Dixon-Price pairs, and Borehole with the LF of Xiong et al. (2013). Standard definitions
where the reference states none (Surjanovic & Bingham, Virtual Library of Simulation Experiments).
Inputs ``n x d``, outputs ``n``.
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import Tensor

from mfopt_problems.pair import A_VALUES, Pair, TorchFn, box, guarded


def _dp_exp_term(x: Tensor, power: float) -> Tensor:
    """``exp(-2 / x^power)`` with its limit 0 at ``x = 0``."""
    ok = x > 0
    return torch.where(ok, torch.exp(-2 / guarded(x, ok) ** power), torch.zeros_like(x))


def _dette_pepelyshev_exp(X: Tensor, w3: float) -> Tensor:
    t = _dp_exp_term(X[..., 0], 1.75) + _dp_exp_term(X[..., 1], 1.5) + w3 * _dp_exp_term(X[..., 2], 1.25)
    return 100 * t


def _dette_pepelyshev8(X: Tensor, weighted: bool) -> Tensor:
    x1, x2, x3 = X[..., 0], X[..., 1], X[..., 2]
    out = 4 * (x1 - 2 + 8 * x2 - 8 * x2**2) ** 2 + (3 - 4 * x2) ** 2 + 16 * torch.sqrt(x3 + 1) * (2 * x3 - 1) ** 2
    partial_sums = torch.cumsum(X[..., 2:], dim=-1)[..., 1:]  # sum_{j=3..i} x_j for i = 4..8
    weights = torch.arange(4, 9, dtype=X.dtype, device=X.device) if weighted else X.new_ones(5)
    return out + (weights * torch.log1p(partial_sums)).sum(-1)


def _park_root(x1: Tensor, inner: Tensor) -> Tensor:
    """``x1/2 (sqrt(1 + inner/x1^2) - 1)`` written as ``(sqrt(x1^2 + inner) - x1)/2`` (equal for x1 > 0,
    finite at x1 = 0 where the textbook form divides by zero)."""
    return 0.5 * (torch.sqrt(torch.clamp(x1**2 + inner, min=1e-300)) - x1)


def park_first(X: Tensor) -> Tensor:
    """Park91a as coded in the reference benchmark (``x1 + x3^3`` inside the root)."""
    x1, x3, x4 = X[..., 0], X[..., 2], X[..., 3]
    return _park_root(x1, (x1 + x3**3) * x4) + (x1 + 3 * x4) * torch.exp(1 + torch.sin(x3))


def park91a(X: Tensor) -> Tensor:
    """Textbook Park (1991) first function (``x2 + x3^2`` inside the root)."""
    x1, x2, x3, x4 = X[..., 0], X[..., 1], X[..., 2], X[..., 3]
    return _park_root(x1, (x2 + x3**2) * x4) + (x1 + 3 * x4) * torch.exp(1 + torch.sin(x3))


def _park_first_low(X: Tensor, high: TorchFn, scale: float) -> Tensor:
    x1, x2, x3 = X[..., 0], X[..., 1], X[..., 2]
    f = high(X)
    return scale * (1 + torch.sin(x1) / 10) * f - 2 * x1 + x2**2 + x3**2 + 0.5


def park_second(X: Tensor) -> Tensor:
    """Park (1991) second function: ``(2/3) exp(x1 + x2) - x4 sin x3 + x3``."""
    x1, x2, x3, x4 = X[..., 0], X[..., 1], X[..., 2], X[..., 3]
    return 2 / 3 * torch.exp(x1 + x2) - x4 * torch.sin(x3) + x3


def park_second_low(X: Tensor) -> Tensor:
    return 1.2 * park_second(X) - 1


def colville(X: Tensor) -> Tensor:
    """Colville / Woods: ``100(x1^2 - x2)^2 + (x1-1)^2 + (x3-1)^2 + 90(x3^2 - x4)^2
    + 10.1((x2-1)^2 + (x4-1)^2) + 19.8 (x2-1)(x4-1)``; minimum 0 at (1, 1, 1, 1)."""
    x1, x2, x3, x4 = X[..., 0], X[..., 1], X[..., 2], X[..., 3]
    return (
        100 * (x1**2 - x2) ** 2
        + (x1 - 1) ** 2
        + (x3 - 1) ** 2
        + 90 * (x3**2 - x4) ** 2
        + 10.1 * ((x2 - 1) ** 2 + (x4 - 1) ** 2)
        + 19.8 * (x2 - 1) * (x4 - 1)
    )


def _song_toal_colville_low(X: Tensor, a: float) -> Tensor:
    w = torch.tensor([5.0, 4.0, 3.0, 1.0], dtype=X.dtype, device=X.device)
    return colville(a**2 * X) - (a + 0.5) * (w * X**2).sum(-1)


def woods_low(X: Tensor) -> Tensor:
    return colville(X) + 10 * ((X - 0.5) ** 2).sum(-1)


def rosenbrock(X: Tensor) -> Tensor:
    return (100 * (X[..., 1:] - X[..., :-1] ** 2) ** 2 + (X[..., :-1] - 1) ** 2).sum(-1)


def shi_rosenbrock_low(X: Tensor) -> Tensor:
    return (100 * (X[..., 1:] - X[..., :-1]) ** 2 + 4 * (X[..., :-1] - 1) ** 2).sum(-1)


def trid(X: Tensor) -> Tensor:
    return ((X - 1) ** 2).sum(-1) - (X[..., 1:] * X[..., :-1]).sum(-1)


def _toal_trid_low(X: Tensor, a: float) -> Tensor:
    """As in the reference code (which reproduces Toal's results): ``+ (a - 0.65) sum_{i>=2} i x_i x_{i-1}``."""
    i = torch.arange(2, X.shape[-1] + 1, dtype=X.dtype, device=X.device)
    return ((X - a) ** 2).sum(-1) + (a - 0.65) * (i * X[..., 1:] * X[..., :-1]).sum(-1)


def borehole(X: Tensor) -> Tensor:
    """Borehole water flow (Harper & Gupta 1983); inputs (rw, r, Tu, Hu, Tl, Hl, L, Kw)."""
    return _borehole(X, 2 * math.pi, 1.0)


def borehole_low(X: Tensor) -> Tensor:
    """Xiong et al. (2013) LF: ``2 pi -> 5`` and ``1 -> 1.5`` in the denominator."""
    return _borehole(X, 5.0, 1.5)


def _borehole(X: Tensor, numerator: float, offset: float) -> Tensor:
    rw, r, tu, hu, tl, hl, length, kw = (X[..., i] for i in range(8))
    log_ratio = torch.log(r / rw)
    return numerator * tu * (hu - hl) / (log_ratio * (offset + 2 * length * tu / (log_ratio * rw**2 * kw) + tu / tl))


BOREHOLE_BOX = (
    (0.05, 100.0, 63070.0, 990.0, 63.1, 700.0, 1120.0, 9855.0),
    (0.15, 50000.0, 115600.0, 1110.0, 116.0, 820.0, 1680.0, 12045.0),
)

ST_SHIFT = (0.28, 0.59, 0.47, 0.16, 0.32)
ACKLEY10_SHIFT = (1.3, 0.1, 1.4, 0.8, 1.7, 1.0, 1.5, 0.6, 2.0, 0.4)
ACKLEY20_SHIFT = (1.2, 0.2, 1.4, 0.8, 1.8, 1.0, 1.6, 0.6, 2.0, 0.4, 1.3, 0.3, 1.5, 0.9, 1.9, 1.1, 1.7, 0.7, 2.1, 0.5)
ELLIPSOID_H = (0.3, 0.4, 0.2, 0.6, 1, 0.9, 0.2, 0.8, 0.5, 0.7, 0.4, 0.3, 0.7, 1, 0.9, 0.6, 0.2, 0.8, 0.2, 0.5)
ELLIPSOID_SHIFT = (1.8, 0.4, 2, 1.2, 1.4, 0.6, 1.6, 0.2, 0.8, 1, 1.3, 1.1, 2, 1.4, 0.5, 0.3, 1.6, 0.7, 0.3, 1.9)
DIXON_SHIFT = (1.8, 0.5, 2, 1.2, 0.4, 0.2, 1.4, 0.3, 1.6, 0.6, 0.8, 1, 1.3, 1.9, 0.7, 1.6, 0.3, 1.1, 2, 1.4)


def _vec(values: tuple[float, ...], X: Tensor) -> Tensor:
    return torch.tensor(values, dtype=X.dtype, device=X.device)


def _styblinski_half(X: Tensor, shift: tuple[float, ...] | None) -> Tensor:
    Z = X - _vec(shift, X) if shift else X
    return 0.5 * (Z**4 - 16 * Z**2 + 5 * Z).sum(-1)


def _ackley(X: Tensor, shift: tuple[float, ...] | None, freq: float) -> Tensor:
    Z = X - _vec(shift, X) if shift else X
    d = X.shape[-1]
    # sqrt guarded at 0 (the optimum) so autograd stays finite there
    r = torch.sqrt(torch.clamp((Z**2).sum(-1) / d, min=1e-300))
    return -20 * torch.exp(-0.2 * r) - torch.exp(torch.cos(2 * freq * math.pi * Z).sum(-1) / d) + 20 + math.e


def _ellipsoid(X: Tensor, shifted: bool) -> Tensor:
    i = torch.arange(1, X.shape[-1] + 1, dtype=X.dtype, device=X.device)
    if shifted:
        return (i * _vec(ELLIPSOID_H, X) * (X - _vec(ELLIPSOID_SHIFT, X)) ** 2).sum(-1)
    return (i * X**2).sum(-1)


def _dixon_price(X: Tensor, shifted: bool) -> Tensor:
    Z = X - _vec(DIXON_SHIFT, X) if shifted else X
    i = torch.arange(2, X.shape[-1] + 1, dtype=X.dtype, device=X.device)
    return (Z[..., 0] - 1) ** 2 + (i * (2 * Z[..., 1:] ** 2 - Z[..., :-1]) ** 2).sum(-1)


ST1_MIN = -39.16616570377142  # min of (z^4 - 16 z^2 + 5 z) / 2 at z = -2.903534


def pairs() -> list[Pair]:
    """The pairs of this module."""
    out = [
        Pair("ShiDettePepelyshevExp", box(0.0, 1.0, 3), partial(_dette_pepelyshev_exp, w3=1.0),
             partial(_dette_pepelyshev_exp, w3=0.2),
             "Shi et al. (2020): Dette-Pepelyshev exponential, f_l weights the third term by 0.2", 0.0),
        Pair("XiongParkFirst", box(0.0, 1.0, 4), park_first, partial(_park_first_low, high=park_first, scale=1.0),
             "Xiong et al. (2013): Park91a as coded in the reference, f_l = (1 + sin(x1)/10) f_h - 2x1 + x2^2 + x3^2 "
             "+ 0.5"),
        Pair("Park91a", box(0.0, 1.0, 4), park91a, partial(_park_first_low, high=park91a, scale=1.0),
             "Park (1991) first function (textbook x2 + x3^2 form), LF of Xiong et al. (2013)"),
        Pair("ShiPark", box(0.0, 1.0, 4), park_first, partial(_park_first_low, high=park_first, scale=0.79),
             "Shi et al. (2020): Park91a (reference form), f_l = 0.79 (1 + sin(x1)/10) f_h - 2x1 + x2^2 + x3^2 + 0.5"),
        Pair("XiongParkSecond", box(0.0, 1.0, 4), park_second, park_second_low,
             "Xiong et al. (2013): Park91b, f_h = (2/3) exp(x1 + x2) - x4 sin x3 + x3, f_l = 1.2 f_h - 1"),
        Pair("RajnarayanWoods", box(-1.0, 1.0, 4), colville, woods_low,
             "Rajnarayan et al. (2008): standard Woods function, f_l = f_h + 10 sum(x_i - 0.5)^2", 0.0),
        Pair("LiuStyblinskiTang", box(-5.0, 5.0, 5), partial(_styblinski_half, shift=ST_SHIFT),
             partial(_styblinski_half, shift=None), "Liu et al. (2016): shifted 5-D Styblinski-Tang, LF unshifted",
             5 * ST1_MIN),
        Pair("ShiRosenbrock", box(-5.0, 10.0, 6), rosenbrock, shi_rosenbrock_low,
             "Shi et al. (2020): 6-D Rosenbrock, f_l = sum 100(x_{i+1} - x_i)^2 + 4(x_i - 1)^2", 0.0),
        Pair("ShiDettePepelyshev", box(0.0, 1.0, 8), partial(_dette_pepelyshev8, weighted=True),
             partial(_dette_pepelyshev8, weighted=False),
             "Shi et al. (2020): 8-D Dette-Pepelyshev, f_l drops the weights i of the log terms"),
        Pair("Borehole", BOREHOLE_BOX, borehole, borehole_low,
             "Borehole (Harper & Gupta 1983), 8-D, LF of Xiong et al. (2013): 5 Tu(Hu-Hl)/(ln(r/rw)(1.5 + ...))"),
        Pair("LiuAckley10", box(-30.0, 30.0, 10), partial(_ackley, shift=ACKLEY10_SHIFT, freq=1.3),
             partial(_ackley, shift=None, freq=1.0), "Liu et al. (2016): shifted 10-D Ackley (frequency 1.3)", 0.0),
        Pair("LiuAckley20", box(-30.0, 30.0, 20), partial(_ackley, shift=ACKLEY20_SHIFT, freq=1.3),
             partial(_ackley, shift=None, freq=1.0), "Liu et al. (2016): shifted 20-D Ackley (frequency 1.3)", 0.0),
        Pair("LiuEllipsoid", box(-30.0, 30.0, 20), partial(_ellipsoid, shifted=True),
             partial(_ellipsoid, shifted=False), "Liu et al. (2016): scaled, shifted 20-D ellipsoid", 0.0),
        Pair("LiuDixonPrice", box(-30.0, 30.0, 20), partial(_dixon_price, shifted=True),
             partial(_dixon_price, shifted=False), "Liu et al. (2016): shifted 20-D Dixon-Price", 0.0),
    ]  # fmt: skip
    for a in A_VALUES:
        out.append(
            Pair(
                f"SongToalColville{a:.2f}",
                box(-10.0, 10.0, 4),
                colville,
                partial(_song_toal_colville_low, a=a),
                f"Song et al. (2019): Colville, f_l = f_h(a^2 x) - (a + 0.5)(5x1^2 + 4x2^2 + 3x3^2 + x4^2), "
                f"a = {a:.2f}",
                0.0,
                "SongToalColville{a}",
            )
        )
        out.append(Pair(f"ToalTrid{a:.2f}", box(-100.0, 100.0, 10), trid, partial(_toal_trid_low, a=a),
                        f"Toal (2015): 10-D Trid, f_l = sum(x_i - a)^2 + (a - 0.65) sum i x_i x_(i-1), a = {a:.2f}",
                        -210.0, "ToalTrid{a}"))  # fmt: skip
    return out


__all__ = ["borehole", "colville", "pairs", "park91a", "park_first", "park_second", "rosenbrock", "trid"]
