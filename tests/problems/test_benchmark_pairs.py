"""The mf-prior-bench multi-fidelity Hartmann pairs and the robust-MF-BO harmful pairs, by hand."""

from __future__ import annotations

import math
import struct
from collections.abc import Callable

import pytest
import torch
from mfopt_problems import mf_hartmann, robust_pairs

from mfopt import get_plugin_manager

PI = math.pi
ALPHA = [1.0, 1.2, 3.0, 3.2]
H3_A: list[list[float]] = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
H3_P: list[list[float]] = [
    [0.3689, 0.1170, 0.2673],
    [0.4699, 0.4387, 0.7470],
    [0.1091, 0.8732, 0.5547],
    [0.0381, 0.5743, 0.8828],
]
H6_A: list[list[float]] = [
    [10, 3, 17, 3.5, 1.7, 8],
    [0.05, 10, 17, 0.1, 8, 14],
    [3, 3.5, 1.7, 10, 17, 8],
    [17, 8, 0.05, 10, 0.1, 14],
]
H6_P: list[list[float]] = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
]


def exps(x: list[float]) -> list[float]:
    a, p = (H3_A, H3_P) if len(x) == 3 else (H6_A, H6_P)
    return [-sum(a[i][j] * (x[j] - p[i][j]) ** 2 for j in range(len(x))) for i in range(4)]


def hartmann(x: list[float]) -> float:
    return -sum(a * math.exp(e) for a, e in zip(ALPHA, exps(x), strict=True))


def currin(x1: float, x2: float) -> float:
    f = 1 - math.exp(-1 / (2 * x2)) if x2 > 0 else 1.0
    return f * (2300 * x1**3 + 1900 * x1**2 + 2092 * x1 + 60) / (100 * x1**3 + 500 * x1**2 + 4 * x1 + 20)


MASK = (1 << 64) - 1


def mix(z: int) -> int:
    """SplitMix64's finaliser in plain Python integers."""
    z = (z + 0x9E3779B97F4A7C15) & MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return z ^ (z >> 31)


def bits(v: float) -> int:
    (word,) = struct.unpack("<Q", struct.pack("<d", v))
    return int(word)


def normal(x: list[float], level: float, seed: int = 1337) -> float:
    h = seed ^ bits(level)
    for v in x:
        h = mix(h ^ bits(v))
    u1 = (mix(h ^ 1) >> 11) * 2.0**-53
    u2 = (mix(h ^ 2) >> 11) * 2.0**-53
    return math.sqrt(-2 * math.log1p(-u1)) * math.cos(2 * PI * u2)


def mfh(x: list[float], s: float, bias: float, noise: float) -> float:
    alpha = [a - bias * (1 - s) for a in ALPHA]
    base = -sum(a * math.exp(e) for a, e in zip(alpha, exps(x), strict=True))
    return base + noise * (1 - s) * abs(normal(x, s))


def rosen(x: list[float]) -> float:
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (x[i] - 1) ** 2 for i in range(len(x) - 1))


def branin(x1: float, x2: float) -> float:
    q = (x2 - 5.1 * x1**2 / (4 * PI**2) + 5 * x1 / PI - 6) ** 2
    return q + 10 * (1 - 1 / (8 * PI)) * math.cos(x1) + 10


def ackley(x1: float, x2: float) -> float:
    r = math.sqrt((x1**2 + x2**2) / 6)
    return -20 * math.exp(-0.2 * r) - math.exp((math.cos(2 * PI * x1) + math.cos(2 * PI * x2)) / 2) + 20 + math.e


X3 = [0.2, 0.6, 0.7]
X6 = [0.1, 0.3, 0.5, 0.7, 0.2, 0.6]
PRESETS = {"good": (2.5, 2.0), "moderate": (3.0, 3.0), "bad": (3.5, 4.0), "terrible": (4.0, 5.0)}
CASES: list[tuple[str, list[float], float, float]] = [
    *[(f"MFHartmann3-{k}", X3, hartmann(X3), mfh(X3, 0.5, b, n)) for k, (b, n) in PRESETS.items()],
    *[(f"MFHartmann6-{k}", X6, hartmann(X6), mfh(X6, 0.5, b, n)) for k, (b, n) in PRESETS.items()],
    ("MikkolaRosenbrockSinus", [2.0, -1.0], 2501 / 90036,
     2501 / 90036 + 0.8 * (40028 / 3) / 90036 * math.sin(1.0)),
    ("MikkolaCurrinNegated", [0.3, 0.2], -(currin(0.3, 0.2) - 1.1804) / 12.6183,
     (currin(0.3, 0.2) - 13.7987) / 12.6183),
    ("MikkolaBraninAckley", [1.0, 4.0], (branin(1, 4) - 308.12909601160663) / (308.12909601160663 - 0.3978873577401032),
     -ackley(1, 4) / 17.50447),
    ("MikkolaHartmannRosenbrock", X6, hartmann(X6) / 3.322367993160791, -rosen(X6) / (5 * 90036)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "x", "high", "low"), CASES, ids=[c[0] for c in CASES])
def test_values_match_hand_computation(name: str, x: list[float], high: float, low: float) -> None:
    problem = get_plugin_manager().problems.create(name)
    X = torch.tensor([x], dtype=torch.float64)
    assert problem.evaluate(X, "high").item() == pytest.approx(high, rel=1e-10, abs=1e-12)
    assert problem.evaluate(X, "low").item() == pytest.approx(low, rel=1e-10, abs=1e-12)


def test_mf_hartmann_noise_is_deterministic_one_sided_and_standard_normal() -> None:
    X = torch.rand(4000, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    z = mf_hartmann.standard_normal(X, 0.5)
    assert torch.equal(z, mf_hartmann.standard_normal(X.clone(), 0.5))  # same query, same value
    assert not torch.equal(z, mf_hartmann.standard_normal(X, 0.25))  # another level, other draws
    assert abs(float(z.mean())) < 0.06 and abs(float(z.std()) - 1) < 0.05
    # rows are independent of their batch: one point alone gives the value it had in the batch
    assert float(mf_hartmann.standard_normal(X[7:8], 0.5)) == float(z[7])
    # the noise only ever raises the biased function, and vanishes at the target
    flat = mf_hartmann.mf_hartmann(X, 0.5, 3.0, 0.0)
    assert bool((mf_hartmann.mf_hartmann(X, 0.5, 3.0, 3.0) >= flat).all())
    assert torch.equal(mf_hartmann.mf_hartmann(X, 1.0, 3.0, 3.0), mf_hartmann.mf_hartmann(X, 1.0, 0.0, 0.0))
    with pytest.raises(ValueError, match="level"):
        mf_hartmann.mf_hartmann(X, 1.5, 3.0, 3.0)


def test_cheap_source_quality_is_graded() -> None:
    """Rank correlation of f_l with f_h falls from good to terrible (on one LHS sample)."""
    problems = get_plugin_manager().problems
    X = torch.rand(2000, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(3))

    def spearman(a: torch.Tensor, b: torch.Tensor) -> float:
        ra, rb = a.argsort().argsort().double(), b.argsort().argsort().double()
        return float(torch.corrcoef(torch.stack([ra, rb]))[0, 1])

    corr = []
    for preset in PRESETS:
        p = problems.create(f"MFHartmann3-{preset}")
        corr.append(spearman(p.evaluate(X, "low"), p.evaluate(X, "high")))
    assert corr == sorted(corr, reverse=True), corr
    assert corr[0] > corr[-1] + 0.1


def test_known_optima_are_attained() -> None:
    problems = get_plugin_manager().problems
    checks = {
        "MFHartmann3-good": [0.114614, 0.555649, 0.852547],
        "MFHartmann6-terrible": [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
        "MikkolaRosenbrockSinus": [1.0, 1.0],
        "MikkolaCurrinNegated": [13 / 60, 0.0],
        "MikkolaBraninAckley": [PI, 2.275],
        "MikkolaHartmannRosenbrock": [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
    }
    for name, x in checks.items():
        problem = problems.create(name)
        value = problem.evaluate(torch.tensor([x], dtype=torch.float64), "high").item()
        assert problem.optimum is not None
        assert value == pytest.approx(problem.optimum, abs=1e-4), name
        lb, ub = problem.bounds
        sample = lb + (ub - lb) * torch.rand(5000, problem.dim, dtype=torch.float64)
        assert float(problem.evaluate(sample, "high").min()) >= problem.optimum - 1e-9, name


OPTIMISERS = {
    "MikkolaRosenbrockSinus": [[1.0, 1.0]],
    "MikkolaCurrinNegated": [[13 / 60, 0.0]],
    "MikkolaBraninAckley": [[-PI, 12.275], [PI, 2.275], [9.42478, 2.475]],
    "MikkolaHartmannRosenbrock": [[0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573]],
}


def test_misleading_sources_point_away_from_the_optimum() -> None:
    """On every harmful pair the cheap source's best point (on a dense sample) lies far from every
    HF optimiser: more than 15 % of the box diagonal."""
    problems = get_plugin_manager().problems
    g = torch.Generator().manual_seed(5)
    assert set(OPTIMISERS) == {p.name for p in robust_pairs.pairs()}
    for name, optimisers in OPTIMISERS.items():
        problem = problems.create(name)
        lb, ub = problem.bounds
        X = lb + (ub - lb) * torch.rand(20000, problem.dim, dtype=torch.float64, generator=g)
        best_low = X[problem.evaluate(X, "low").argmin()]
        distance = (torch.tensor(optimisers, dtype=torch.float64) - best_low).norm(dim=-1).min()
        assert float(distance) > 0.15 * float((ub - lb).norm()), name


def test_contract_gradients_and_registry(check_problem: Callable[..., None]) -> None:
    problems = get_plugin_manager().problems
    g = torch.Generator().manual_seed(1)
    for pair in [*mf_hartmann.pairs(), *robust_pairs.pairs()]:
        assert pair.name in problems
        problem = problems.create(pair.name)
        check_problem(problem)
        assert problem.has_gradients == (pair.name.startswith("Mikkola"))
        if not problem.has_gradients:
            with pytest.raises(NotImplementedError):
                problem.gradient(problem.bounds[:1], "low")
            continue
        lb, ub = problem.bounds
        X = lb + (ub - lb) * (0.1 + 0.8 * torch.rand(3, problem.dim, generator=g, dtype=torch.float64))
        for fid in ("low", "high"):
            grad = problem.gradient(X, fid)
            h = 1e-6 * (ub - lb)
            eye = torch.eye(problem.dim, dtype=torch.float64)
            fd = torch.stack(
                [(problem.evaluate(X + h[j] * eye[j], fid) - problem.evaluate(X - h[j] * eye[j], fid)) / (2 * h[j])
                 for j in range(problem.dim)],
                dim=-1,
            )  # fmt: skip
            assert torch.allclose(grad, fd, rtol=1e-4, atol=1e-5 * float(1 + grad.abs().max())), pair.name
    assert problems.get("MFHartmann6-bad").info["dim"] == 6
