"""One-dimensional literature pairs (Andrés-Thió et al. 2024, d = 1).

Definitions as in the bi-fidelity benchmark of Andrés-Thió et al. (2022), which collects them from
Forrester et al. (2007) / Song et al. (2019) / Toal (2015) (``SongToalForretal{a}``), Liu et al. (2016)
(``LiuPedagogical``) and Shi et al. (2020) (the ``Shi*`` pairs). All inputs ``n x 1``, outputs ``n``.
"""

from __future__ import annotations

from functools import partial

import torch
from torch import Tensor

from mfopt_problems.pair import A_VALUES, Pair, guarded

FORRESTER_OPTIMUM = -6.020740055766075


def forrester(X: Tensor) -> Tensor:
    """Forrester et al. (2007): ``(6x - 2)^2 sin(12x - 4)`` on [0, 1]."""
    x = X[..., 0]
    return (6 * x - 2) ** 2 * torch.sin(12 * x - 4)


def _stf_low(X: Tensor, a: float) -> Tensor:
    return (1 - a**2 - 2 * a) * forrester(X) + 10 * (X[..., 0] - 0.5) - 5


def song_toal_forretal(a: float) -> Pair:
    """Forrester HF with the LF ``(1 - a^2 - 2a) f_h + 10 (x - 0.5) - 5`` (Song, Toal et al.)."""
    return Pair(
        f"SongToalForretal{a:.2f}",
        ((0.0,), (1.0,)),
        forrester,
        partial(_stf_low, a=a),
        reference=f"Forrester function, LF (1 - a^2 - 2a) f_h + 10(x - 0.5) - 5 with a = {a:.2f}",
        optimum=FORRESTER_OPTIMUM,
        family="SongToalForretal{a}",
    )


def liu_pedagogical_high(X: Tensor) -> Tensor:
    x = X[..., 0]
    return 5 * x**2 * torch.sin(12 * x)


def liu_pedagogical_low(X: Tensor) -> Tensor:
    x = X[..., 0]
    return liu_pedagogical_high(X) + (x**3 - 0.5) * torch.sin(3 * x - 0.5) + 4 * torch.cos(2 * x)


def shi_currin_sin_high(X: Tensor) -> Tensor:
    x = X[..., 0]
    return torch.sin(2 * torch.pi * (x - 0.1)) + x**2


def shi_currin_sin_low(X: Tensor) -> Tensor:
    return torch.sin(2 * torch.pi * (X[..., 0] - 0.1))


def _sinc_term(x: Tensor, scale: float) -> Tensor:
    """``sin(10 pi x) / (scale x)`` with its limit ``10 pi / scale`` at ``x = 0``."""
    ok = x != 0
    xs = guarded(x, ok)
    return torch.where(ok, torch.sin(10 * torch.pi * xs) / (scale * xs), torch.full_like(x, 10 * torch.pi / scale))


def shi_gramacy_lee_high(X: Tensor) -> Tensor:
    """Gramacy & Lee (2012) on [0, 1]; the x = 0 singularity is replaced by its limit 5 pi."""
    x = X[..., 0]
    return _sinc_term(x, 2.0) + (x - 1) ** 4


def shi_gramacy_lee_low(X: Tensor) -> Tensor:
    x = X[..., 0]
    return _sinc_term(x, 1.0) + 2 * (x - 1) ** 4


def shi_holsclaw_high(X: Tensor) -> Tensor:
    x = X[..., 0]
    return x * torch.sin(x) / 10


def shi_holsclaw_low(X: Tensor) -> Tensor:
    x = X[..., 0]
    return (x * torch.sin(x) + x) / 10


def shi_santner_high(X: Tensor) -> Tensor:
    x = X[..., 0]
    return torch.exp(-1.4 * x) * torch.cos(3.5 * torch.pi * x)


def shi_santner_low(X: Tensor) -> Tensor:
    return shi_santner_high(X) + 0.75 * X[..., 0] ** 2


UNIT = ((0.0,), (1.0,))


def pairs() -> list[Pair]:
    """The d = 1 pairs."""
    return [
        *(song_toal_forretal(a) for a in A_VALUES),
        Pair("LiuPedagogical", UNIT, liu_pedagogical_high, liu_pedagogical_low,
             "Liu et al. (2016): f_h = 5x^2 sin 12x, f_l = f_h + (x^3 - 0.5) sin(3x - 0.5) + 4 cos 2x"),
        Pair("ShiCurrinSin", UNIT, shi_currin_sin_high, shi_currin_sin_low,
             "Shi et al. (2020): f_h = sin(2 pi (x - 0.1)) + x^2, f_l = sin(2 pi (x - 0.1))"),
        Pair("ShiGramacyLee", UNIT, shi_gramacy_lee_high, shi_gramacy_lee_low,
             "Shi et al. (2020): Gramacy-Lee f_h = sin(10 pi x)/(2x) + (x-1)^4, f_l = sin(10 pi x)/x + 2(x-1)^4"),
        Pair("ShiHolsclaw", ((0.0,), (10.0,)), shi_holsclaw_high, shi_holsclaw_low,
             "Shi et al. (2020): f_h = x sin x / 10, f_l = (x sin x + x)/10 on [0, 10]"),
        Pair("ShiSantner", UNIT, shi_santner_high, shi_santner_low,
             "Shi et al. (2020): f_h = exp(-1.4x) cos(3.5 pi x), f_l = f_h + 0.75 x^2"),
    ]  # fmt: skip


__all__ = ["FORRESTER_OPTIMUM", "forrester", "pairs", "song_toal_forretal"]
