"""Study suites: which function pairs, and which ``(n_h, n_l)`` budgets per pair
(Andrés-Thió, Muñoz & Smith-Miles 2024, arXiv:2403.08118).

- ``paper`` budgets: ``n_l ∈ {4, 8, 12, 16, 20}·d``, ``n_h ∈ {2, 4, …, 20}·d``, ``n_h <= n_l``:
  the paper's 30 combinations per pair.
- ``small`` budgets: ``(n_h, n_l) ∈ {(2d, 4d), (4d, 8d), (4d, 16d), (8d, 16d)}``, four cheap
  combinations for quick looks.

Suites: ``smoke`` (four 1-D pairs and one 2-D pair with ``small`` budgets, minutes on two cores),
``paper-literature`` (:data:`LITERATURE_PAIRS`, the 146 literature pairs of Andrés-Thió et al. 2024 that the
paper's reference benchmark implements), ``paper-solar`` (``SOLAR0.10`` … ``SOLAR0.90``; needs
the SOLAR executable), or the path of a text file: one pair name (or ``module:function`` problem
factory) per line, run with the ``--budgets`` combinations, or ``pair n_h n_l`` for one instance
(``#`` starts a comment). Instances are planned in the order listed (pair by pair, budgets in the
order of :func:`budgets`); the runner then puts the instances of one dimension and budget in one
task, placed where the first of them is listed (:func:`mfopt.benchmark.runner.plan`), so a sample
written in random order, cut short, holds every instance of the budgets it reached.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from mfopt.errors import ConfigError

PAPER_LOW = (4, 8, 12, 16, 20)
PAPER_HIGH = (2, 4, 6, 8, 10, 12, 14, 16, 18, 20)
SMALL = ((2, 4), (4, 8), (4, 16), (8, 16))

_A = tuple(f"{a / 10:.2f}" for a in range(11))
_WANG = tuple(
    f"WangRastrigin-d{d}-error{e}-phi{phi}" for d in (10, 5) for e in (1, 2, 3, 4) for phi in (1000, 5000, 9000)
)
#: The literature pairs of the paper's benchmark (Andrés-Thió et al. 2024; bifiEBBbenchmarks), as registered by the
#: first-party problems plugin. Pairs the project adds beyond that set (Borehole, Park91a, the
#: BoTorch augmented Hartmann, mf-prior-bench Hartmann, Mikkola's harmful pairs) are not in it.
LITERATURE_PAIRS: tuple[str, ...] = (
    "DongBohachevsky", "DongBooth", "DongBranin", "DongHimmelblau", "DongSixHumpCamelback",
    "LiuAckley10", "LiuAckley20", "LiuBranin", "LiuDixonPrice", "LiuEllipsoid", "LiuPedagogical",
    "LiuStyblinskiTang", *(f"MarchWillcoxRosenbrock{k}" for k in range(1, 6)), "ParkHartmannH6",
    "RajnarayanHartmannH3", "RajnarayanHartmannH6", "RajnarayanWoods", "ShiBeale", "ShiBranin",
    "ShiChengSandu", "ShiCurrinExp", "ShiCurrinSin", "ShiDettePepelyshev", "ShiDettePepelyshevExp",
    "ShiGramacy", "ShiGramacyLee", "ShiHartmannH3", "ShiHartmannH4", "ShiHartmannH6", "ShiHolsclaw",
    "ShiLim", "ShiNumberSeven", "ShiNumberSix", "ShiPark", "ShiRosenbrock", "ShiSantner",
    "ShiStyblinskiTang", *(f"SongToalBranin{a}" for a in _A), *(f"SongToalColville{a}" for a in _A),
    *(f"SongToalForretal{a}" for a in _A), *(f"ToalBranin{a}" for a in _A), *(f"ToalHartmannH3{a}" for a in _A),
    *(f"ToalPaciorek{a}" for a in _A), *(f"ToalTrid{a}" for a in _A), *_WANG,
    "WuHimmelblau", "XiongCurrinExp", "XiongParkFirst", "XiongParkSecond",
)  # fmt: skip
SOLAR_PAIRS: tuple[str, ...] = tuple(f"SOLAR0.{k}0" for k in range(1, 10))
SMOKE: tuple[tuple[str, str], ...] = (
    ("SongToalForretal0.50", "small"),
    ("ShiCurrinSin", "small"),
    ("ShiSantner", "small"),
    ("LiuPedagogical", "small"),
    ("ToalBranin0.50", "smoke-2d"),
)
#: The one cheap 2-D budget of the smoke suite.
SMOKE_2D = ((2, 4),)
SUITES = ("smoke", "paper-literature", "paper-solar")


@dataclass(frozen=True, order=True)
class Instance:
    """One study instance: a function pair and its budgets (``n_h <= n_l``), and the pair's dimension."""

    pair: str
    n_high: int
    n_low: int
    dim: int

    @property
    def key(self) -> tuple[str, int, int]:
        return (self.pair, self.n_high, self.n_low)

    def __str__(self) -> str:
        return f"{self.pair} nh={self.n_high} nl={self.n_low}"


def budgets(d: int, kind: str) -> list[tuple[int, int]]:
    """``(n_h, n_l)`` pairs of budget ``kind`` (``paper``, ``small`` or ``smoke-2d``) in dimension ``d``."""
    if kind == "paper":
        return [(h * d, low * d) for low in PAPER_LOW for h in PAPER_HIGH if h <= low]
    if kind == "small":
        return [(h * d, low * d) for h, low in SMALL]
    if kind == "smoke-2d":
        return [(h * d, low * d) for h, low in SMOKE_2D]
    raise ConfigError(f"--budgets: expected 'paper' or 'small', got {kind!r}")


Entry = tuple[str, str | tuple[int, int] | None]


def _line(text: str, where: str) -> Entry:
    parts = text.split()
    if len(parts) == 1:
        return (parts[0], None)
    if len(parts) == 3:
        try:
            nh, nl = int(parts[1]), int(parts[2])
        except ValueError:
            raise ConfigError(f"{where}: expected 'pair' or 'pair n_h n_l', got {text!r}") from None
        if not 1 <= nh <= nl:
            raise ConfigError(f"{where}: need 1 <= n_h <= n_l, got {text!r}")
        return (parts[0], (nh, nl))
    raise ConfigError(f"{where}: expected 'pair' or 'pair n_h n_l', got {text!r}")


def suite_pairs(suite: str) -> list[Entry]:
    """``(pair, budget kind | (n_h, n_l) | None = the run's --budgets)`` for a suite name or file."""
    if suite == "smoke":
        return list(SMOKE)
    if suite == "paper-literature":
        return [(p, None) for p in LITERATURE_PAIRS]
    if suite == "paper-solar":
        return [(p, None) for p in SOLAR_PAIRS]
    path = Path(suite)
    if not path.is_file():
        raise ConfigError(f"--suite: {suite!r} is neither one of {', '.join(SUITES)} nor a file of pair names")
    lines = [(no, line.split("#", 1)[0].strip()) for no, line in enumerate(path.read_text().splitlines(), 1)]
    entries = [_line(text, f"{path}:{no}") for no, text in lines if text]
    if not entries:
        raise ConfigError(f"--suite: {path} lists no pair")
    return entries


def expand(entries: list[Entry], dims: dict[str, int], default_budgets: str) -> list[Instance]:
    """Every instance of ``entries`` (dimension from ``dims``) in the order listed, duplicates dropped."""
    out: dict[tuple[str, int, int], Instance] = {}
    for pair, kind in entries:
        sizes = [kind] if isinstance(kind, tuple) else budgets(dims[pair], kind or default_budgets)
        for nh, nl in sizes:
            out.setdefault((pair, nh, nl), Instance(pair, nh, nl, dims[pair]))
    return list(out.values())
