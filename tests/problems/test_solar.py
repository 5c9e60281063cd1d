"""The SOLAR wrapper against ``tests/problems/fake_solar`` (a stand-in speaking SOLAR's protocol)."""

from __future__ import annotations

import math
import os
import pickle
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import pytest
import torch
from mfopt_problems.solar import SolarProblem

from mfopt import ConfigError, EvaluationError, get_plugin_manager

FAKE = str(Path(__file__).with_name("fake_solar"))


def expected(x: list[float], fid: float) -> float:
    x1, x2, x3, x4, x5 = x
    base = 40.0 + ((x1 - 900.0) / 50.0) ** 2 + ((x2 - 10.0) / 5.0) ** 2 + ((x3 - 12.0) / 4.0) ** 2 + x4 + x5
    return base + (1.0 - fid) * 5.0 * math.sin(x1 / 40.0 + x2 / 10.0)


@pytest.fixture
def problem() -> SolarProblem:
    return get_plugin_manager().problems.create("solar", executable=FAKE)


def test_values_at_both_fidelities(problem: SolarProblem, check_problem: Callable[..., None]) -> None:
    check_problem(problem, allow_nan=True)  # ~10% of the box violates the hidden constraint
    x = [900.0, 10.0, 12.0, 0.2, 0.2]
    X = torch.tensor([x], dtype=torch.float64)
    assert problem.evaluate(X, "high").item() == pytest.approx(expected(x, 1.0), rel=1e-12)
    assert problem.evaluate(X, "low").item() == pytest.approx(expected(x, 0.5), rel=1e-12)
    assert [f.name for f in problem.fidelities] == ["low", "high"]
    assert problem.fidelities[0].cost == 0.5 and problem.fidelities[0].level == 0.5
    assert problem.dim == 5 and problem.has_gradients is False


def test_named_pairs_and_env_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MFOPT_SOLAR", FAKE)
    p = get_plugin_manager().problems.create("SOLAR0.30")
    assert p.name == "SOLAR0.30" and p.fidelity("low").level == 0.3
    x = [850.0, 20.0, 5.0, 1.0, 2.0]
    assert p.evaluate(torch.tensor([x], dtype=torch.float64), "low").item() == pytest.approx(expected(x, 0.3))


def test_hidden_constraint_single_point_raises_and_batch_gives_nan(problem: SolarProblem) -> None:
    bad = [800.0, 10.0, 12.0, 0.2, 0.2]
    with pytest.raises(EvaluationError, match="hidden constraint"):
        problem.evaluate(torch.tensor([bad], dtype=torch.float64), "high")
    values = problem.evaluate(torch.tensor([bad, [900.0, 10.0, 12.0, 0.2, 0.2]], dtype=torch.float64), "high")
    assert math.isnan(values[0].item()) and values[1].item() == pytest.approx(expected([900, 10, 12, 0.2, 0.2], 1))


def test_error_exit_carries_message(problem: SolarProblem) -> None:
    with pytest.raises(EvaluationError, match=r"exit 1.*out of bounds"):
        problem.evaluate(torch.tensor([[900.0, 99.0, 12.0, 0.2, 0.2]], dtype=torch.float64), "high")


def test_missing_executable_is_a_config_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MFOPT_SOLAR", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="MFOPT_SOLAR"):
        get_plugin_manager().problems.create("solar")
    with pytest.raises(ConfigError, match="not executable"):
        get_plugin_manager().problems.create("SOLAR0.50", executable=str(tmp_path / "nope"))
    with pytest.raises(ConfigError, match="low_fidelity"):
        get_plugin_manager().problems.create("solar", executable=FAKE, low_fidelity=1.5)


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("solar", {"low_fidelity": [0.2, 0.2]}, r"p.toml: \[problem\].low_fidelity: .*distinct levels"),
        ("solar", {"low_fidelity": 1.5}, r"\[problem\].low_fidelity: .*must lie in \(0, 1\)"),
        ("solar", {"timeout": 0}, r"\[problem\].timeout: .*greater than 0"),
        ("solar", {"fidelity": 0.5}, r"unknown option 'fidelity' \(accepted: executable, low_fidelity, timeout\)"),
        ("SOLAR0.50", {"low_fidelity": 0.2}, "unknown option 'low_fidelity' \\(accepted: executable, timeout\\)"),
        ("SOLAR0.50", {"timeout": "10"}, r"\[problem\].timeout: "),
    ],
)
def test_solar_option_errors_name_the_key(name: str, options: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_plugin_manager().problems.create(name, where="p.toml: [problem]", executable=FAKE, **options)


def test_timeout(tmp_path: Path) -> None:
    slow = tmp_path / "slow_solar"
    slow.write_text("#!/bin/sh\nsleep 5\necho 1\n")
    slow.chmod(0o755)
    p = SolarProblem(str(slow), timeout=0.3)
    with pytest.raises(EvaluationError, match="timed out"):
        p.evaluate(torch.tensor([[900.0, 10.0, 12.0, 0.2, 0.2]], dtype=torch.float64), "high")


def _points(n: int) -> list[list[float]]:
    g = torch.Generator().manual_seed(3)
    lb = torch.tensor([813.0, 2.0, 2.0, 0.01, 0.01], dtype=torch.float64)
    ub = torch.tensor([995.0, 50.0, 30.0, 5.0, 5.0], dtype=torch.float64)
    return (lb + (ub - lb) * torch.rand(n, 5, generator=g, dtype=torch.float64)).tolist()


def _one(args: tuple[SolarProblem, list[float]]) -> float:
    problem, x = args
    return problem.evaluate(torch.tensor([x], dtype=torch.float64), "high").item()


def test_concurrent_evaluations_do_not_collide(problem: SolarProblem) -> None:
    points = _points(16)
    with ThreadPoolExecutor(max_workers=8) as pool:
        threaded = list(pool.map(_one, [(problem, x) for x in points]))
    clone = pickle.loads(pickle.dumps(problem))
    with ProcessPoolExecutor(max_workers=2) as pool:
        processed = list(pool.map(_one, [(clone, x) for x in points[:4]]))
    want = [expected(x, 1.0) for x in points]
    assert threaded == pytest.approx(want, rel=1e-12)
    assert processed == pytest.approx(want[:4], rel=1e-12)


def test_fake_solar_is_executable() -> None:
    assert os.access(FAKE, os.X_OK)
