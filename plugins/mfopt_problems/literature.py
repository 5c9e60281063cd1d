"""Every literature bi-fidelity pair (Andrés-Thió et al. 2024), gathered from the per-dimension modules.

Default fidelities of every pair: ``low`` (level 0.5, cost 0.1) and ``high`` (level 1, cost 1);
a problem.toml overrides costs with ``[problem.costs]``. Parametric families are registered for
``a in {0.00, 0.10, ..., 1.00}`` (names like ``ToalBranin0.30``); ``WangRastrigin-d<d>-error<e>-phi<phi>``
also resolves for any ``d`` and ``phi``.

:data:`BASE_FUNCTIONS` fixes the order of the HF sources that disturbance-based pairs index with
``DisturbanceBasedFunction<k>`` (k = 1..38, the order of the Andrés-Thió et al. 2022 benchmark).
"""

from __future__ import annotations

from mfopt import Registry
from mfopt_problems import literature_1d, literature_2d, literature_hartmann, literature_nd, wang_rastrigin
from mfopt_problems.literature_1d import FORRESTER_OPTIMUM, forrester, song_toal_forretal
from mfopt_problems.pair import A_VALUES, HIGH, LOW, Pair

#: ``DisturbanceBasedFunction<k>`` uses the HF (and box) of the k-th name here (1-based).
BASE_FUNCTIONS = (
    "LiuPedagogical", "ShiGramacyLee", "ShiCurrinSin", "ShiHolsclaw", "ShiSantner",
    "LiuBranin", "ShiNumberSix", "ShiNumberSeven", "ShiBeale", "ShiStyblinskiTang",
    "ShiCurrinExp", "ShiLim", "ShiGramacy", "DongBohachevsky", "DongBooth",
    "DongHimmelblau", "DongSixHumpCamelback", "XiongCurrinExp", "MarchWillcoxRosenbrock1", "ToalPaciorek0.00",
    "RajnarayanHartmannH3", "ShiDettePepelyshevExp", "RajnarayanWoods", "ShiHartmannH4", "ShiPark",
    "XiongParkSecond", "SongToalColville0.00", "LiuStyblinskiTang", "WangRastrigin-d5-error1-phi1000",
    "ParkHartmannH6", "ShiRosenbrock", "ShiDettePepelyshev", "LiuAckley10", "ToalTrid0.00",
    "WangRastrigin-d10-error1-phi1000", "LiuEllipsoid", "LiuDixonPrice", "LiuAckley20",
)  # fmt: skip


def pairs() -> list[Pair]:
    """Every named literature pair (the enumerated members of the parametric families included)."""
    return [
        *literature_1d.pairs(),
        *literature_2d.pairs(),
        *literature_hartmann.pairs(),
        *literature_nd.pairs(),
        *wang_rastrigin.pairs(),
    ]


_BY_NAME: dict[str, Pair] = {}


def get(name: str) -> Pair:
    """The literature pair called ``name`` (including any resolvable Wang-Rastrigin name)."""
    if not _BY_NAME:
        _BY_NAME.update({p.name: p for p in pairs()})
    if name in _BY_NAME:
        return _BY_NAME[name]
    match = wang_rastrigin.NAME.match(name)
    if match:
        return wang_rastrigin.pair(int(match.group(1)), int(match.group(2)), float(match.group(3)))
    raise KeyError(f"no literature pair named {name!r}")


def base_function(k: int) -> Pair:
    """The pair whose HF is base function ``k`` (1-based index into :data:`BASE_FUNCTIONS`)."""
    if not 1 <= k <= len(BASE_FUNCTIONS):
        raise ValueError(f"base function index must lie in 1..{len(BASE_FUNCTIONS)}, got {k}")
    return get(BASE_FUNCTIONS[k - 1])


def register(registry: Registry) -> None:
    for pair in pairs():
        pair.register(registry)
    registry.register_resolver(wang_rastrigin.resolve, description="WangRastrigin-d<d>-error<1-4>-phi<0..10000>")


__all__ = [
    "A_VALUES",
    "BASE_FUNCTIONS",
    "FORRESTER_OPTIMUM",
    "HIGH",
    "LOW",
    "Pair",
    "base_function",
    "forrester",
    "get",
    "pairs",
    "register",
    "song_toal_forretal",
]
