"""Literature pairs against values computed independently in plain Python ``math``."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
import torch
from mfopt_problems import literature, wang_rastrigin

from mfopt import get_plugin_manager

PI = math.pi


def branin(x1: float, x2: float) -> float:
    q = (x2 - 5.1 * x1**2 / (4 * PI**2) + 5 * x1 / PI - 6) ** 2
    return q + 10 * (1 - 1 / (8 * PI)) * math.cos(x1) + 10


def branin_q(x1: float, x2: float) -> float:
    return (x2 - 5.1 * x1**2 / (4 * PI**2) + 5 * x1 / PI - 6) ** 2


H3_A = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
H3_P = [[0.3689, 0.1170, 0.2673], [0.4699, 0.4387, 0.7470], [0.1091, 0.8732, 0.5547], [0.0381, 0.5743, 0.8828]]
H6_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H6_P = [
    [0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
    [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
    [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
    [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381],
]
ALPHA = [1.0, 1.2, 3.0, 3.2]


def exps(x: list[float]) -> list[float]:
    a, p = (H3_A, H3_P) if len(x) == 3 else (H6_A, H6_P)
    return [-sum(a[i][j] * (x[j] - p[i][j]) ** 2 for j in range(len(x))) for i in range(4)]


def hartmann(x: list[float], alpha: list[float] = ALPHA, scale: float = 1.0) -> float:
    a, p = (H3_A, H3_P) if len(x) == 3 else (H6_A, H6_P)
    return -sum(
        alpha[i] * math.exp(-sum(a[i][j] * (x[j] - scale * p[i][j]) ** 2 for j in range(len(x)))) for i in range(4)
    )


def colville(x: list[float]) -> float:
    x1, x2, x3, x4 = x
    return (
        100 * (x1**2 - x2) ** 2
        + (x1 - 1) ** 2
        + (x3 - 1) ** 2
        + 90 * (x3**2 - x4) ** 2
        + 10.1 * ((x2 - 1) ** 2 + (x4 - 1) ** 2)
        + 19.8 * (x2 - 1) * (x4 - 1)
    )


def currin(x1: float, x2: float) -> float:
    f = 1 - math.exp(-1 / (2 * x2)) if x2 > 0 else 1.0
    return f * (2300 * x1**3 + 1900 * x1**2 + 2092 * x1 + 60) / (100 * x1**3 + 500 * x1**2 + 4 * x1 + 20)


def borehole(x: list[float], num: float, off: float) -> float:
    rw, r, tu, hu, tl, hl, length, kw = x
    lr = math.log(r / rw)
    return num * tu * (hu - hl) / (lr * (off + 2 * length * tu / (lr * rw**2 * kw) + tu / tl))


def park_a(x: list[float]) -> float:
    x1, x2, x3, x4 = x
    return x1 / 2 * (math.sqrt(1 + (x2 + x3**2) * x4 / x1**2) - 1) + (x1 + 3 * x4) * math.exp(1 + math.sin(x3))


def park_ref(x: list[float]) -> float:
    x1, _, x3, x4 = x
    return x1 / 2 * (math.sqrt(1 + (x1 + x3**3) * x4 / x1**2) - 1) + (x1 + 3 * x4) * math.exp(1 + math.sin(x3))


def rast(x: list[float]) -> float:
    return sum(v * v + 1 - math.cos(10 * PI * v) for v in x)


X3 = [0.2, 0.6, 0.7]
X4 = [0.3, 0.5, 0.7, 0.9]
X6 = [0.1, 0.3, 0.5, 0.7, 0.2, 0.6]
X4C = [1.5, -2.0, 0.5, 3.0]
XB = [0.1, 25000.0, 89000.0, 1050.0, 90.0, 760.0, 1400.0, 11000.0]
XR = [0.1, -0.3, 0.45, 0.8, -0.9]
XT = [float(v) for v in range(-5, 5)]


CASES: list[tuple[str, list[float], float, float]] = [
    ("SongToalForretal0.50", [0.3], (1.8 - 2) ** 2 * math.sin(3.6 - 4),
     (1 - 0.25 - 1) * (1.8 - 2) ** 2 * math.sin(3.6 - 4) + 10 * (0.3 - 0.5) - 5),
    ("LiuPedagogical", [0.4], 5 * 0.16 * math.sin(4.8),
     5 * 0.16 * math.sin(4.8) + (0.064 - 0.5) * math.sin(1.2 - 0.5) + 4 * math.cos(0.8)),
    ("ShiCurrinSin", [0.4], math.sin(2 * PI * 0.3) + 0.16, math.sin(2 * PI * 0.3)),
    ("ShiGramacyLee", [0.33], math.sin(3.3 * PI) / 0.66 + 0.67**4, math.sin(3.3 * PI) / 0.33 + 2 * 0.67**4),
    ("ShiHolsclaw", [7.0], 7 * math.sin(7) / 10, (7 * math.sin(7) + 7) / 10),
    ("ShiSantner", [0.4], math.exp(-0.56) * math.cos(1.4 * PI), math.exp(-0.56) * math.cos(1.4 * PI) + 0.12),
    ("ToalBranin0.30", [1.0, 4.0], branin(1, 4), branin(1, 4) - 0.8 * branin_q(1, 4)),
    ("SongToalBranin0.70", [2.0, 9.0], branin(2, 9), branin(2, 9) - (0.5 * 0.49 + 0.7 + 0.2) * branin_q(2, 9)),
    ("LiuBranin", [3.0, 5.0], branin(3, 5), 10 * math.sqrt(branin(1, 3)) + 2 * 0.5 - 3 * 8 - 1),
    ("DongBranin", [3.0, 5.0], branin(3, 5) - 112.5, branin(2.1, 3.5) - 78.75 + 20 * 3.9**2 - 50),
    ("ShiBranin", [1.0, 2.0], branin(1, 2), (1 - 0.124 * PI) * math.cos(1)),
    ("XiongCurrinExp", [0.3, 0.02], currin(0.3, 0.02),
     (currin(0.35, 0.07) + currin(0.35, 0.0) + currin(0.25, 0.07) + currin(0.25, 0.0)) / 4),
    ("ShiCurrinExp", [0.3, 0.2], currin(0.3, 0.2),
     -0.4 * currin(0.35, 0.25) + 0.25 * (currin(0.35, 0.15) + currin(0.25, 0.25) + currin(0.25, 0.15))),
    ("MarchWillcoxRosenbrock3", [2.0, -1.0], 25 + 1, 16 + 1),
    ("MarchWillcoxRosenbrock5", [2.0, -1.0], 26, -5),
    ("ToalPaciorek0.40", [0.5, 0.8], math.sin(2.5), math.sin(2.5) - 9 * 0.16 * math.cos(2.5)),
    ("WuHimmelblau", [1.0, 2.0], (1 + 2 - 11) ** 2 + (1 + 4 - 7) ** 2,
     (0.25 + 1.6 - 11) ** 2 + (1 + 4 - 7) ** 2 + 8 - 4),
    ("DongHimmelblau", [1.0, 2.0], 68, (0.25 + 1.6 - 11) ** 2 + (0.5 + 2.56 - 7) ** 2 + 8 - 4),
    ("ShiNumberSix", [0.5, -0.5], 101 * 0.25 + 101 * 0.25, 0.25 + 100 * 0.5**4),
    ("ShiNumberSeven", [1.0, 2.0], (1 - 0.4 + 0.05 * math.sin(8 * PI - 1)) ** 2 + (2 - 0.5 * math.sin(2 * PI)) ** 2,
     (1 - 0.4 + 0.05 * math.sin(8 * PI - 1)) ** 2 + 4 * (2 - 0.5 * math.sin(2 * PI)) ** 2),
    ("ShiBeale", [1.0, 2.0], (1.5 - 1 + 2) ** 2 + (2.25 - 1 + 4) ** 2 + (2.625 - 1 + 8) ** 2, (1.5 - 1 + 2) ** 2 + 3),
    ("ShiStyblinskiTang", [1.0, -2.0], 1 - 16 + 5 + 16 - 64 - 10, 1 - 16 + 16 - 64),
    ("ShiLim", [1.0, 0.2], ((30 + 5 * math.sin(5)) * (4 + math.exp(-1)) - 100) / 6,
     ((30 + 5 * math.sin(5)) * (4 + 0.4 * math.exp(-1)) - 100) / 6),
    ("ShiGramacy", [0.5, 0.5], 0.5 * math.exp(-0.5), 0.5 * math.exp(-0.5) + 0.05),
    ("ShiChengSandu", [0.5, 0.5], math.cos(1) * math.exp(0.25), math.cos(1) * math.exp(0.25) + math.cos(0.5)),
    ("DongBohachevsky", [1.0, 2.0], 1 + 8 - 0.3 * math.cos(3 * PI) - 0.4 * math.cos(8 * PI) + 0.7,
     0.49 + 8 - 0.3 * math.cos(2.1 * PI) - 0.4 * math.cos(8 * PI) + 0.7 + 2 - 12),
    ("DongBooth", [1.0, 2.0], (1 + 4 - 7) ** 2 + (2 + 2 - 5) ** 2,
     (0.4 + 4 - 7) ** 2 + (0.8 + 2 - 5) ** 2 + 3.4 - 1 + 4),
    ("DongSixHumpCamelback", [1.0, 0.5], 4 - 2.1 + 1 / 3 + 0.5 - 1 + 0.25,
     4 * 0.49 - 2.1 * 0.7**4 + 0.7**6 / 3 + 0.245 - 4 * 0.1225 + 4 * 0.35**4 + 0.5 - 15),
    ("RajnarayanHartmannH3", X3, hartmann(X3), hartmann(X3) + 0.5 * math.sin(10 * (1.5 - 12))),
    ("RajnarayanHartmannH6", X6, hartmann(X6), hartmann(X6) + 0.5 * math.sin(25 * (2.4 - 24))),
    ("ShiHartmannH3", X3, hartmann(X3), hartmann(X3, [1, 1, 1, 1])),
    ("ShiHartmannH6", X6, hartmann(X6), hartmann(X6, [1, 1, 1, 1])),
    ("AugmentedHartmannH6", X6, hartmann(X6), hartmann(X6, [1 - 0.1 * 0.5, 1.2, 3, 3.2])),
    ("ToalHartmannH30.20", X3, hartmann(X3), hartmann(X3, scale=0.75 * 1.2)),
    ("ParkHartmannH6", X6, -(2.58 - hartmann(X6)) / 1.94,
     -(2.58 + sum(a * (math.exp(-4 / 9) * (1 + (e + 4) / 9)) ** 9 for a, e in zip([0.5, 0.5, 2, 4], exps(X6),
                                                                                     strict=True))) / 1.94),
    ("XiongParkFirst", X4, park_ref(X4), (1 + math.sin(0.3) / 10) * park_ref(X4) - 0.6 + 0.25 + 0.49 + 0.5),
    ("Park91a", X4, park_a(X4), (1 + math.sin(0.3) / 10) * park_a(X4) - 0.6 + 0.25 + 0.49 + 0.5),
    ("ShiPark", X4, park_ref(X4), 0.79 * (1 + math.sin(0.3) / 10) * park_ref(X4) - 0.6 + 0.25 + 0.49 + 0.5),
    ("XiongParkSecond", X4, 2 / 3 * math.exp(0.8) - 0.9 * math.sin(0.7) + 0.7,
     1.2 * (2 / 3 * math.exp(0.8) - 0.9 * math.sin(0.7) + 0.7) - 1),
    ("SongToalColville0.60", X4C, colville(X4C),
     colville([0.36 * v for v in X4C]) - 1.1 * (5 * 2.25 + 4 * 4 + 3 * 0.25 + 9)),
    ("RajnarayanWoods", [0.1, -0.2, 0.3, 0.4], colville([0.1, -0.2, 0.3, 0.4]),
     colville([0.1, -0.2, 0.3, 0.4]) + 10 * (0.16 + 0.49 + 0.04 + 0.01)),
    ("ShiRosenbrock", [0.0, 1.0, 2.0, -1.0, 0.5, 1.0], 100 * (1 + 1 + 25 + 0.25 + 0.5625) + 1 + 0 + 1 + 4 + 0.25,
     100 * (1 + 1 + 9 + 2.25 + 0.25) + 4 * (1 + 0 + 1 + 4 + 0.25)),
    ("Borehole", XB, borehole(XB, 2 * PI, 1.0), borehole(XB, 5.0, 1.5)),
    ("ToalTrid0.40", XT, sum((v - 1) ** 2 for v in XT) - sum(XT[i] * XT[i - 1] for i in range(1, 10)),
     sum((v - 0.4) ** 2 for v in XT) + (0.4 - 0.65) * sum((i + 1) * XT[i] * XT[i - 1] for i in range(1, 10))),
    ("WangRastrigin-d5-error1-phi5000", XR, rast(XR),
     rast(XR) + sum(0.5 * math.cos(5 * PI * v + 0.25 * PI + PI) for v in XR)),
    ("WangRastrigin-d5-error2-phi1000", XR, rast(XR),
     rast(XR) + sum(math.exp(-0.25) * math.cos(10 * PI * math.exp(-0.25) * v + 0.5 * PI * math.exp(-0.25) + PI)
                    for v in XR)),
    ("WangRastrigin-d5-error3-phi1000", XR, rast(XR),
     rast(XR) + sum(0.8 * math.cos(8 * PI * v + 0.4 * PI + PI) for v in XR)),
    ("WangRastrigin-d5-error4-phi9000", XR, rast(XR),
     rast(XR) + sum((1 - abs(v)) * 0.1 * math.cos(PI * v + 0.05 * PI + PI) for v in XR)),
]  # fmt: skip


@pytest.mark.parametrize(("name", "x", "high", "low"), CASES, ids=[c[0] for c in CASES])
def test_values_match_hand_computation(name: str, x: list[float], high: float, low: float) -> None:
    problem = literature.get(name).problem()
    X = torch.tensor([x], dtype=torch.float64)
    assert problem.evaluate(X, "high").item() == pytest.approx(high, rel=1e-10, abs=1e-10)
    assert problem.evaluate(X, "low").item() == pytest.approx(low, rel=1e-10, abs=1e-10)


def test_every_pair_passes_basic_contract_and_gradients_match_finite_differences(
    check_problem: Callable[..., None],
) -> None:
    g = torch.Generator().manual_seed(1)
    for pair in literature.pairs():
        problem = pair.problem()
        check_problem(problem)
        lb, ub = problem.bounds
        # interior points (away from guarded boundaries), central differences with a relative step
        X = lb + (ub - lb) * (0.1 + 0.8 * torch.rand(3, problem.dim, generator=g, dtype=torch.float64))
        for fid in ("low", "high"):
            grad = problem.gradient(X, fid)
            h = 1e-6 * (ub - lb)
            fd = torch.stack(
                [
                    (problem.evaluate(X + h[j] * torch.eye(problem.dim)[j], fid)
                     - problem.evaluate(X - h[j] * torch.eye(problem.dim)[j], fid)) / (2 * h[j])
                    for j in range(problem.dim)
                ],
                dim=-1,
            )  # fmt: skip
            scale = 1 + grad.abs().max()
            assert torch.allclose(grad, fd, rtol=1e-4, atol=1e-5 * float(scale)), pair.name


def test_known_optima_are_attained() -> None:
    checks = {
        "ToalBranin0.00": [math.pi, 2.275],
        "ToalPaciorek0.50": [math.sqrt(2 / (3 * PI))] * 2,
        "ShiHartmannH3": [0.114614, 0.555649, 0.852547],
        "ShiHartmannH6": [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
        "AugmentedHartmannH6": [0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573],
        "ToalTrid0.10": [i * (11 - i) for i in range(1, 11)],
        "SongToalColville0.10": [1.0, 1.0, 1.0, 1.0],
        "LiuStyblinskiTang": [-2.903534 + s for s in (0.28, 0.59, 0.47, 0.16, 0.32)],
    }
    for name, x in checks.items():
        pair = literature.get(name)
        value = pair.problem().evaluate(torch.tensor([x], dtype=torch.float64), "high").item()
        assert pair.optimum is not None
        assert value == pytest.approx(pair.optimum, abs=1e-4), name


def test_registry_names_info_and_families() -> None:
    problems = get_plugin_manager().problems
    for name in ("SongToalForretal0.50", "ToalBranin0.30", "MarchWillcoxRosenbrock5", "ToalHartmannH31.00",
                 "SongToalColville0.00", "ToalTrid1.00", "Borehole", "XiongCurrinExp"):  # fmt: skip
        assert name in problems
    entry = problems.get("ToalBranin0.30")
    assert entry.info["dim"] == 2
    assert entry.info["domain"] == [[-5.0, 0.0], [10.0, 15.0]]
    assert len([n for n in problems.names() if n.startswith("ToalBranin")]) == 11
    made = problems.create("WangRastrigin-d3-error2-phi2500")
    assert made.dim == 3


def test_wang_rastrigin_bad_names_and_parameters() -> None:
    assert wang_rastrigin.resolve("WangRastrigin-d5-error5-phi10") is None
    assert wang_rastrigin.resolve("WangRastrigin-d5-error1") is None
    with pytest.raises(ValueError, match="phi"):
        wang_rastrigin.theta(1, 20000.0)
    # phi = 10000 makes the LF equal to the HF for error 1
    problem = wang_rastrigin.pair(4, 1, 10000.0).problem()
    X = torch.rand(5, 4, dtype=torch.float64) * 2 - 1
    assert torch.allclose(problem.evaluate(X, "low"), problem.evaluate(X, "high"))


def test_base_function_order() -> None:
    assert len(literature.BASE_FUNCTIONS) == 38
    assert literature.base_function(1).name == "LiuPedagogical"
    assert literature.base_function(38).dim == 20
    with pytest.raises(ValueError):
        literature.base_function(39)


def test_problems_pickle() -> None:
    import pickle

    problem = pickle.loads(pickle.dumps(literature.get("SongToalColville0.30").problem()))
    assert problem.evaluate(torch.ones(1, 4, dtype=torch.float64), "high").item() == pytest.approx(0.0)
