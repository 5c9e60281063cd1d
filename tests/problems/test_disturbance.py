"""Disturbance-based pairs: name grammar, the four weight types, BBOB sources, the extrema cache."""

from __future__ import annotations

import json
import math
import pickle
from collections.abc import Callable
from pathlib import Path

import pytest
import torch
from mfopt_problems import disturbance, extrema
from mfopt_problems.disturbance import Disturbed

from mfopt import ConfigError, get_plugin_manager


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("MFOPT_CACHE_DIR", str(tmp_path))
    extrema.clear_memory()
    yield tmp_path
    extrema.clear_memory()


NAMES = {
    "h1": "DisturbanceBasedFunction6-seed1-disth1-height0.25-radius0.1-freq2-amp1",
    "h2": "DisturbanceBasedFunction6-seed1-disth2-height0.5-radius0.2-freq2-amp0.5",
    "s1": "DisturbanceBasedFunction6-seed2-dists1-centres3-radius0.2-freq5-amp1",
    "s2": "DisturbanceBasedFunction6-seed2-dists2-centres3-radius0.2-freq5-amp2",
}


def test_parse_grammar() -> None:
    spec = disturbance.parse("COCOfunction7-dim4-seed3-dists1-centres5-radius0.025-freq5-amp0.1")
    assert spec is not None
    assert (spec.kind, spec.bbob, spec.seed, spec.centres, spec.radius, spec.freq, spec.amp) == (
        "s1",
        (7, 4),
        3,
        5,
        0.025,
        5.0,
        0.1,
    )
    spec = disturbance.parse(NAMES["h1"])
    assert spec is not None and (spec.kind, spec.base, spec.height) == ("h1", 6, 0.25)
    assert disturbance.parse("DisturbanceBasedFunction6-seed1-disth3-height0.25-radius0.1-freq2-amp1") is None
    assert disturbance.parse("ToalBranin0.30") is None


@pytest.mark.parametrize("kind", ["h1", "h2", "s1", "s2"])
def test_low_equals_high_outside_region_and_differs_inside(kind: str, check_problem: Callable[..., None]) -> None:
    problem = get_plugin_manager().problems.create(NAMES[kind])
    check_problem(problem)
    low = problem.functions["low"]
    assert isinstance(low, Disturbed) and low.kind == kind
    lb, ub = problem.bounds
    X = lb + (ub - lb) * torch.rand(4000, 2, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    yh, yl = problem.evaluate(X, "high"), problem.evaluate(X, "low")
    m = low.weight(X, yh)
    outside, inside = m == 0, (m > 0) & (low.disturbance(X).abs() > 1e-9)
    assert outside.any() and inside.any()
    assert torch.equal(yl[outside], yh[outside])
    assert bool((yl[inside] != yh[inside]).all())
    assert bool(((m >= 0) & (m <= 1)).all())


def test_weight_formula_by_hand() -> None:
    """One point per type against the formulas of Andrés-Thió et al. 2022 computed in plain Python."""
    hf = lambda X: X[..., 0]  # noqa: E731  f_h(x) = x1 on [0, 1]^2, f_min = 0, f_max = 1
    x = torch.tensor([[0.3, 0.4]], dtype=torch.float64)
    common = {"lower": (0.0, 0.0), "upper": (1.0, 1.0), "fmin": 0.0, "fmax": 1.0, "freq": 2.0, "amp": 0.5}
    h1 = Disturbed(hf, "h1", height=0.25, radius=0.1, **common)
    assert h1.weight(x, hf(x)).item() == pytest.approx(1 - 0.05 / 0.1)
    h2 = Disturbed(hf, "h2", height=0.0, radius=0.1, **common)
    assert h2.weight(x, hf(x)).item() == pytest.approx(1 - (1 - 0.3) / (1 - 0.1))
    D = math.sqrt(2)
    s2 = Disturbed(hf, "s2", height=0.0, radius=0.2, centres=((0.3, 0.5),), **common)
    assert s2.weight(x, hf(x)).item() == pytest.approx(1 - 0.1 / (0.2 * D))
    s1 = Disturbed(hf, "s1", height=0.0, radius=0.05, centres=((0.3, 0.5),), **common)
    assert s1.weight(x, hf(x)).item() == pytest.approx(1 - (D - 0.1) / (D - 0.05 * D))
    t = 0.5 / D
    g = 0.5 * math.cos(4 * math.pi * t) * math.sin(4 * math.pi * t**2)
    assert s2(x).item() == pytest.approx(0.3 + (1 - 0.1 / (0.2 * D)) * g)


def test_literature_based_pairs_have_autograd_gradients() -> None:
    problem = get_plugin_manager().problems.create(NAMES["s2"])
    X = torch.tensor([[1.0, 5.0], [7.0, 12.0]], dtype=torch.float64)
    grad = problem.gradient(X, "low")
    h = 1e-6
    for j in range(2):
        e = torch.zeros(2, dtype=torch.float64)
        e[j] = h
        fd = (problem.evaluate(X + e, "low") - problem.evaluate(X - e, "low")) / (2 * h)
        assert torch.allclose(grad[:, j], fd, rtol=1e-4, atol=1e-4)


def test_bbob_based_pair_and_pickling(check_problem: Callable[..., None]) -> None:
    name = "COCOfunction1-dim3-seed2-dists2-centres3-radius0.2-freq2-amp0.5"
    problem = get_plugin_manager().problems.create(name)
    check_problem(problem)
    assert problem.has_gradients is False
    assert problem.dim == 3 and problem.bounds[0].tolist() == [-5.0] * 3
    X = torch.zeros(2, 3, dtype=torch.float64)
    clone = pickle.loads(pickle.dumps(problem))
    assert torch.equal(clone.evaluate(X, "low"), problem.evaluate(X, "low"))
    assert problem.optimum is not None and bool((problem.evaluate(X, "high") >= problem.optimum).all())


def test_extrema_cached_on_disk_and_in_memory(_isolated_cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    get_plugin_manager().problems.create(NAMES["h1"])
    files = list((_isolated_cache / "extrema").glob("*.json"))
    assert len(files) == 1
    data = json.loads(files[0].read_text())
    assert data["fmin"] == pytest.approx(0.397887, abs=1e-5) and data["fmax"] > 300
    calls: list[str] = []
    monkeypatch.setattr(extrema, "search", lambda *a, **k: calls.append("x") or (0.0, 1.0))
    get_plugin_manager().problems.create(NAMES["h2"])  # same HF: from memory
    extrema.clear_memory()
    get_plugin_manager().problems.create(NAMES["h2"])  # from disk
    assert calls == []


def test_invalid_values_are_config_errors() -> None:
    registry = get_plugin_manager().problems
    with pytest.raises(ConfigError, match="base function"):
        registry.create("DisturbanceBasedFunction99-seed1-disth1-height0.5-radius0.1-freq2-amp1")
    with pytest.raises(ConfigError, match="radius"):
        registry.create("DisturbanceBasedFunction1-seed1-disth1-height0.5-radius1.5-freq2-amp1")
    with pytest.raises(ConfigError, match="height"):
        registry.create("DisturbanceBasedFunction1-seed1-disth1-height2-radius0.1-freq2-amp1")


def test_enumerated_names_are_registered_with_info() -> None:
    registry = get_plugin_manager().problems
    entry = registry.get("COCOfunction24-dim20-seed1-dists2-centres3-radius0.1-freq2-amp0.5")
    assert entry.info["dim"] == 20
    assert entry.info["domain"] == [[-5.0] * 20, [5.0] * 20]
    assert sum(1 for e in registry if e.name.startswith("DisturbanceBasedFunction")) == 76
