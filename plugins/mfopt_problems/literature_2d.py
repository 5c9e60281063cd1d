"""Two-dimensional literature pairs (Andrés-Thió et al. 2024, d = 2).

Branin family (Toal 2015; Song et al. 2019; Liu et al. 2016; Dong et al. 2015; Shi et al. 2020), the
Currin exponential pair of Xiong et al. (2013), March & Willcox (2012) Rosenbrock pairs, Toal's Paciorek
pair, and the remaining Shi et al. (2020), Dong et al. (2015) and Wu et al. pairs, with the definitions
of the Andrés-Thió et al. (2022) benchmark. Inputs ``n x 2``, outputs ``n``.
"""

from __future__ import annotations

import math
from functools import partial

import torch
from torch import Tensor

from mfopt_problems.pair import A_VALUES, Pair, guarded

BRANIN_BOX = ((-5.0, 0.0), (10.0, 15.0))
BRANIN_OPTIMUM = 0.39788735772973816


def branin_q(x1: Tensor, x2: Tensor) -> Tensor:
    """The quadratic part ``Q = (x2 - 5.1 x1^2/(4 pi^2) + 5 x1/pi - 6)^2`` of Branin."""
    return (x2 - 5.1 * x1**2 / (4 * math.pi**2) + 5 * x1 / math.pi - 6) ** 2


def branin_xy(x1: Tensor, x2: Tensor) -> Tensor:
    return branin_q(x1, x2) + 10 * (1 - 1 / (8 * math.pi)) * torch.cos(x1) + 10


def branin(X: Tensor) -> Tensor:
    """Branin-Hoo, ``B(x) = Q + 10 (1 - 1/(8 pi)) cos x1 + 10`` on [-5, 10] x [0, 15]."""
    return branin_xy(X[..., 0], X[..., 1])


def liu_branin_low(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return 10 * torch.sqrt(branin_xy(x1 - 2, x2 - 2)) + 2 * (x1 - 2.5) - 3 * (3 * x2 - 7) - 1


def _toal_branin_low(X: Tensor, a: float) -> Tensor:
    return branin(X) - (a + 0.5) * branin_q(X[..., 0], X[..., 1])


def _song_toal_branin_low(X: Tensor, a: float) -> Tensor:
    return branin(X) - (0.5 * a**2 + a + 0.2) * branin_q(X[..., 0], X[..., 1])


def dong_branin_high(X: Tensor) -> Tensor:
    return branin(X) - 22.5 * X[..., 1]


def dong_branin_low(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return branin_xy(0.7 * x1, 0.7 * x2) - 15.75 * x2 + 20 * (0.9 + x1) ** 2 - 50


def shi_branin_low(X: Tensor) -> Tensor:
    return (1 - 0.124 * math.pi) * torch.cos(X[..., 0])


def currin_xy(x1: Tensor, x2: Tensor) -> Tensor:
    """Currin et al. (1991) exponential function; at ``x2 = 0`` the factor ``1 - exp(-1/(2 x2))`` is 1."""
    ok = x2 > 0
    factor = torch.where(ok, 1 - torch.exp(-1 / (2 * guarded(x2, ok))), torch.ones_like(x2))
    return factor * (2300 * x1**3 + 1900 * x1**2 + 2092 * x1 + 60) / (100 * x1**3 + 500 * x1**2 + 4 * x1 + 20)


def currin(X: Tensor) -> Tensor:
    return currin_xy(X[..., 0], X[..., 1])


def _currin_corners(X: Tensor) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    x1, x2 = X[..., 0], X[..., 1]
    up, down = x2 + 0.05, torch.clamp(x2 - 0.05, min=0.0)
    return currin_xy(x1 + 0.05, up), currin_xy(x1 + 0.05, down), currin_xy(x1 - 0.05, up), currin_xy(x1 - 0.05, down)


def xiong_currin_low(X: Tensor) -> Tensor:
    """Xiong et al. (2013): the mean of the HF at the four shifted corners ``x +- 0.05``."""
    a, b, c, d = _currin_corners(X)
    return (a + b + c + d) / 4


def shi_currin_low(X: Tensor) -> Tensor:
    """Shi et al. (2020) variant as coded in the reference: ``-0.4 f(x1+.05, x2+.05)`` + 0.25 x the rest."""
    a, b, c, d = _currin_corners(X)
    return -0.4 * a + 0.25 * (b + c + d)


def rosenbrock2(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return (x2 - x1**2) ** 2 + (1 - x1) ** 2


def _march_willcox_low(X: Tensor, k: int) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    if k == 1:
        return 0.0 * x1  # keeps the autograd graph (gradient 0)
    if k == 2:
        return x1**2 + x2**2
    if k == 3:
        return x1**4 + x2**2
    if k == 4:
        return rosenbrock2(X)
    return -(x1**2 + x2**2)


def paciorek(X: Tensor) -> Tensor:
    return torch.sin(1 / (X[..., 0] * X[..., 1]))


def _toal_paciorek_low(X: Tensor, a: float) -> Tensor:
    return paciorek(X) - 9 * a**2 * torch.cos(1 / (X[..., 0] * X[..., 1]))


def himmelblau_xy(x1: Tensor, x2: Tensor) -> Tensor:
    return (x1**2 + x2 - 11) ** 2 + (x1 + x2**2 - 7) ** 2


def himmelblau(X: Tensor) -> Tensor:
    return himmelblau_xy(X[..., 0], X[..., 1])


def wu_himmelblau_low(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return (0.25 * x1**2 + 0.8 * x2 - 11) ** 2 + (x1 + x2**2 - 7) ** 2 + x2**3 - (x1 + 1) ** 2


def dong_himmelblau_low(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return himmelblau_xy(0.5 * x1, 0.8 * x2) + x2**3 - (x1 + 1) ** 2


def shi_six_high(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return 101 * x1**2 + 101 * (x1**2 + x2**2) ** 2


def shi_six_low(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return x1**2 + 100 * (x1**2 + x2**2) ** 4


def _shi_seven(X: Tensor, weight: float) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    first = (1 - 0.2 * x2 + 0.05 * torch.sin(4 * math.pi * x2 - x1)) ** 2
    return first + weight * (x2 - 0.5 * torch.sin(2 * math.pi * x1)) ** 2


def beale(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return (1.5 - x1 + x1 * x2) ** 2 + (2.25 - x1 + x1 * x2**2) ** 2 + (2.625 - x1 + x1 * x2**3) ** 2


def shi_beale_low(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return (1.5 - x1 + x1 * x2) ** 2 + x1 + x2


def _styblinski_tang(X: Tensor, linear: float) -> Tensor:
    return (X**4 - 16 * X**2 + linear * X).sum(-1)


def _shi_lim(X: Tensor, weight: float) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return ((30 + 5 * x1 * torch.sin(5 * x1)) * (4 + weight * torch.exp(-5 * x2)) - 100) / 6


def gramacy(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return x1 * torch.exp(-(x1**2) - x2**2)


def shi_gramacy_low(X: Tensor) -> Tensor:
    return gramacy(X) + X[..., 0] / 10


def cheng_sandu(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return torch.cos(x1 + x2) * torch.exp(x1 * x2)


def shi_cheng_sandu_low(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return cheng_sandu(X) + torch.cos(x1**2 + x2**2)


def bohachevsky_xy(x1: Tensor, x2: Tensor) -> Tensor:
    return x1**2 + 2 * x2**2 - 0.3 * torch.cos(3 * math.pi * x1) - 0.4 * torch.cos(4 * math.pi * x2) + 0.7


def bohachevsky(X: Tensor) -> Tensor:
    return bohachevsky_xy(X[..., 0], X[..., 1])


def dong_bohachevsky_low(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return bohachevsky_xy(0.7 * x1, x2) + x1 * x2 - 12


def booth_xy(x1: Tensor, x2: Tensor) -> Tensor:
    return (x1 + 2 * x2 - 7) ** 2 + (2 * x1 + x2 - 5) ** 2


def booth(X: Tensor) -> Tensor:
    return booth_xy(X[..., 0], X[..., 1])


def dong_booth_low(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return booth_xy(0.4 * x1, x2) + 1.7 * x1 * x2 - x1 + 2 * x2


def camel_xy(x1: Tensor, x2: Tensor) -> Tensor:
    return 4 * x1**2 - 2.1 * x1**4 + x1**6 / 3 + x1 * x2 - 4 * x2**2 + 4 * x2**4


def six_hump_camel(X: Tensor) -> Tensor:
    return camel_xy(X[..., 0], X[..., 1])


def dong_camel_low(X: Tensor) -> Tensor:
    x1, x2 = X[..., 0], X[..., 1]
    return camel_xy(0.7 * x1, 0.7 * x2) + x1 * x2 - 15


def _sq(lo: float, hi: float) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return ((lo, lo), (hi, hi))


def pairs() -> list[Pair]:
    """The d = 2 pairs."""
    out: list[Pair] = []
    for a in A_VALUES:
        out.append(
            Pair(
                f"ToalBranin{a:.2f}",
                BRANIN_BOX,
                branin,
                partial(_toal_branin_low, a=a),
                f"Toal (2015) Branin: f_l = B - (a + 0.5) Q, a = {a:.2f}",
                BRANIN_OPTIMUM,
                "ToalBranin{a}",
            )
        )
        out.append(
            Pair(
                f"SongToalBranin{a:.2f}",
                BRANIN_BOX,
                branin,
                partial(_song_toal_branin_low, a=a),
                f"Song et al. (2019) Branin: f_l = B - (0.5a^2 + a + 0.2) Q, a = {a:.2f}",
                BRANIN_OPTIMUM,
                "SongToalBranin{a}",
            )
        )
        out.append(
            Pair(
                f"ToalPaciorek{a:.2f}",
                _sq(0.3, 1.0),
                paciorek,
                partial(_toal_paciorek_low, a=a),
                f"Toal (2015) Paciorek: f_h = sin(1/(x1 x2)), f_l = f_h - 9a^2 cos(1/(x1 x2)), a = {a:.2f}",
                -1.0,
                "ToalPaciorek{a}",
            )
        )
    for k in range(1, 6):
        out.append(
            Pair(
                f"MarchWillcoxRosenbrock{k}",
                _sq(-5.0, 10.0),
                rosenbrock2,
                partial(_march_willcox_low, k=k),
                f"March & Willcox (2012): 2-D Rosenbrock, LF #{k} of (0, x1^2+x2^2, x1^4+x2^2, f_h, -(x1^2+x2^2))",
                0.0,
                "MarchWillcoxRosenbrock{k}",
            )
        )
    out += [
        Pair("LiuBranin", BRANIN_BOX, branin, liu_branin_low,
             "Liu et al. (2016): f_l = 10 sqrt(B(x - 2)) + 2(x1 - 2.5) - 3(3x2 - 7) - 1", BRANIN_OPTIMUM),
        Pair("DongBranin", BRANIN_BOX, dong_branin_high, dong_branin_low,
             "Dong et al. (2015): f_h = B - 22.5 x2, f_l = B(0.7x) - 15.75 x2 + 20(0.9 + x1)^2 - 50"),
        Pair("ShiBranin", _sq(0.0, 5.0), branin, shi_branin_low,
             "Shi et al. (2020): Branin on [0, 5]^2, f_l = (1 - 0.124 pi) cos x1", BRANIN_OPTIMUM),
        Pair("XiongCurrinExp", _sq(0.0, 1.0), currin, xiong_currin_low,
             "Xiong et al. (2013): Currin exponential, f_l = mean of f_h at the 4 corners x +- 0.05 (x2 floored at 0)"),
        Pair("ShiCurrinExp", _sq(0.0, 0.5), currin, shi_currin_low,
             "Shi et al. (2020): Currin exponential on [0, 0.5]^2 with the reference's -0.4/0.25 corner weights"),
        Pair("WuHimmelblau", _sq(-3.0, 3.0), himmelblau, wu_himmelblau_low,
             "Wu et al.: Himmelblau, f_l = (0.25x1^2 + 0.8x2 - 11)^2 + (x1 + x2^2 - 7)^2 + x2^3 - (x1 + 1)^2", 0.0),
        Pair("DongHimmelblau", _sq(-3.0, 3.0), himmelblau, dong_himmelblau_low,
             "Dong et al. (2015): Himmelblau, f_l = f_h(0.5x1, 0.8x2) + x2^3 - (x1 + 1)^2", 0.0),
        Pair("ShiNumberSix", _sq(-1.0, 1.0), shi_six_high, shi_six_low,
             "Shi et al. (2020) #6: f_h = 101x1^2 + 101(x1^2+x2^2)^2, f_l = x1^2 + 100(x1^2+x2^2)^4", 0.0),
        Pair("ShiNumberSeven", _sq(-5.0, 10.0), partial(_shi_seven, weight=1.0), partial(_shi_seven, weight=4.0),
             "Shi et al. (2020) #7: f_l weights the second square by 4"),
        Pair("ShiBeale", _sq(-4.5, 4.5), beale, shi_beale_low,
             "Shi et al. (2020): Beale, f_l = (1.5 - x1 + x1x2)^2 + x1 + x2", 0.0),
        Pair("ShiStyblinskiTang", _sq(-4.0, 4.0), partial(_styblinski_tang, linear=5.0),
             partial(_styblinski_tang, linear=0.0), "Shi et al. (2020): Styblinski-Tang (unhalved), LF drops 5x",
             -156.6646628150857),
        Pair("ShiLim", _sq(0.0, 10.0), partial(_shi_lim, weight=1.0), partial(_shi_lim, weight=0.4),
             "Shi et al. (2020): Lim et al., f_l weights exp(-5x2) by 2/5"),
        Pair("ShiGramacy", _sq(-2.0, 2.0), gramacy, shi_gramacy_low,
             "Shi et al. (2020): Gramacy x1 exp(-x1^2 - x2^2), f_l = f_h + x1/10", -math.exp(-0.5) / math.sqrt(2)),
        Pair("ShiChengSandu", _sq(-1.0, 1.0), cheng_sandu, shi_cheng_sandu_low,
             "Shi et al. (2020): Cheng & Sandu cos(x1+x2) exp(x1x2), f_l = f_h + cos(x1^2 + x2^2)"),
        Pair("DongBohachevsky", _sq(-100.0, 100.0), bohachevsky, dong_bohachevsky_low,
             "Dong et al. (2015): Bohachevsky, f_l = f_h(0.7x1, x2) + x1x2 - 12", 0.0),
        Pair("DongBooth", _sq(-10.0, 10.0), booth, dong_booth_low,
             "Dong et al. (2015): Booth, f_l = f_h(0.4x1, x2) + 1.7x1x2 - x1 + 2x2", 0.0),
        Pair("DongSixHumpCamelback", _sq(-2.0, 2.0), six_hump_camel, dong_camel_low,
             "Dong et al. (2015): six-hump camel, f_l = f_h(0.7x) + x1x2 - 15", -1.0316284534898774),
    ]  # fmt: skip
    return out


__all__ = ["BRANIN_BOX", "BRANIN_OPTIMUM", "branin", "currin", "pairs"]
