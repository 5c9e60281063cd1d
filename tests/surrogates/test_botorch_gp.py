"""BoTorch's GPs as mfopt surrogates (``botorch-gp``, ``botorch-mf-gp``): accuracy on known
functions, determinism, the config path (options checked, loop runs, resume) and clear errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import torch
from botorch.models import SingleTaskGP, SingleTaskMultiFidelityGP
from mfopt_surrogates.botorch_gp import TINY_NOISE, BoTorchGP, BoTorchMFGP

from mfopt import ConfigError, ModelFittingError, Study, get_plugin_manager
from mfopt.components import build_components
from mfopt.config import parse_config
from mfopt.testing.resume import proposed_points, resumed_proposals
from tests.surrogates._data import branin_problem, forrester_problem, make_data

PM = get_plugin_manager()


def _test_points(problem: Any, n: int = 200) -> tuple[torch.Tensor, torch.Tensor, float]:
    """``n`` uniform points of the problem's box, their HF values and the values' range."""
    lower, upper = problem.bounds
    u = torch.rand(n, problem.dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    X = lower + u * (upper - lower)
    y = problem.evaluate(X, "high")
    return X, y, float(y.max() - y.min())


def _rmse(fitted: Any, X: torch.Tensor, y: torch.Tensor) -> float:
    mean, _ = fitted.predict(X)
    return float((mean - y).pow(2).mean().sqrt())


@pytest.mark.parametrize("options", [{}, {"noise": "none"}, {"kernel": "matern-5/2"}])
def test_botorch_gp_approximates_forrester_and_keeps_its_units(options: dict[str, Any]) -> None:
    problem = forrester_problem()
    hf = make_data(problem, 12, 10).restrict(["high"])
    fitted = PM.surrogates.create("botorch-gp", device="cpu", seed=0, **options).fit(hf)
    assert isinstance(fitted.model, SingleTaskGP) and not fitted.fidelity_column
    X, y, span = _test_points(problem)
    assert _rmse(fitted, X, y) < 0.08 * span  # measured 0.02-0.06 of the range
    Xh, yh = hf.tensors("high")
    mean, var = fitted.predict(Xh)
    assert float((mean - yh).abs().max()) < 0.02 * span  # original units: no sign or scale flip
    assert bool((var >= 0).all())
    assert fitted.info["kernel"] == options.get("kernel", "rbf")
    assert fitted.info["lengthscale"][0] > 0


def test_noise_none_interpolates_and_a_fixed_variance_is_kept() -> None:
    problem = forrester_problem()
    hf = make_data(problem, 12, 10).restrict(["high"])
    Xh, yh = hf.tensors("high")
    exact = BoTorchGP("cpu", 0, noise="none").fit(hf)
    mean, _ = exact.predict(Xh)
    assert float((mean - yh).abs().max()) < 1e-4 * float(yh.max() - yh.min())
    assert exact.info["noise_variance"] == pytest.approx(TINY_NOISE * float(yh.var()), rel=1e-6)
    fixed = BoTorchGP("cpu", 0, noise=0.25).fit(hf)
    assert fixed.info["noise_variance"] == pytest.approx(0.25, rel=1e-9)
    learned = BoTorchGP("cpu", 0).fit(hf)
    assert learned.info["noise_variance"] > exact.info["noise_variance"]


def test_the_multi_fidelity_gp_uses_the_cheap_data() -> None:
    """Branin with 20 HF and 40 cheap points: the fused model predicts HF far better than the same
    BoTorch GP on the 20 HF points alone (measured RMSE 0.009 vs 0.040 of the range)."""
    problem = branin_problem()
    data = make_data(problem, 40, 20)
    fused = PM.surrogates.create("botorch-mf-gp", device="cpu", seed=0).fit(data)
    assert isinstance(fused.model, SingleTaskMultiFidelityGP) and fused.fidelity_column
    assert fused.levels == {"low": 0.5, "high": 1.0}
    single = BoTorchGP("cpu", 0).fit(data.restrict(["high"]))
    X, y, span = _test_points(problem)
    assert _rmse(fused, X, y) < 0.5 * _rmse(single, X, y)
    assert _rmse(fused, X, y) < 0.03 * span
    Xl, yl = data.tensors("low")
    low_mean, _ = fused.predict(Xl, "low")
    assert float((low_mean - yl).abs().max()) < 0.05 * float(yl.max() - yl.min())


@pytest.mark.parametrize(("name", "multi"), [("botorch-gp", False), ("botorch-mf-gp", True)])
def test_same_seed_same_model_and_the_global_generator_is_untouched(name: str, multi: bool) -> None:
    data = make_data(branin_problem(), 12, 8)
    data = data if multi else data.restrict(["high"])
    X, _, _ = _test_points(branin_problem(), 20)
    torch.manual_seed(123)
    before = torch.rand(3)
    torch.manual_seed(123)
    a = PM.surrogates.create(name, device="cpu", seed=4).fit(data)
    after = torch.rand(3)
    b = PM.surrogates.create(name, device="cpu", seed=4).fit(data)
    assert torch.equal(before, after)
    assert torch.equal(a.predict(X)[0], b.predict(X)[0]) and torch.equal(a.predict(X)[1], b.predict(X)[1])
    assert {k: v for k, v in a.info.items() if k != "fit_seconds"} == {
        k: v for k, v in b.info.items() if k != "fit_seconds"
    }


def test_too_little_data_is_a_clear_fitting_error() -> None:
    problem = forrester_problem()
    one = make_data(problem, 4, 1)
    with pytest.raises(ModelFittingError, match=r"botorch-gp on fidelity 'high': needs at least 2"):
        BoTorchGP("cpu", 0).fit(one.restrict(["high"]))
    with pytest.raises(ModelFittingError, match=r"botorch-mf-gp needs at least two fidelities"):
        BoTorchMFGP("cpu", 0).fit(make_data(problem, 4, 3).restrict(["high"]))


def _config(surrogate: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "problem": {"name": "SongToalForretal0.00"},
        "budget": {"total": 8.0},
        "design": {"samples": {"high": 4}, "seed": 1},
        "surrogate": surrogate,
        "acquisition": {"name": "logei"},
        "run": {"seed": 1, "device": "cpu"},
        **extra,
    }


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"kernel": "matern"}, r"\[surrogate\]\.kernel"),
        ({"noise": 0.0}, r"\[surrogate\]\.noise"),
        ({"noise": -1.0}, r"\[surrogate\]\.noise"),
        ({"noise": "fixed"}, r"\[surrogate\]\.noise"),
        ({"nugget": 1.0}, r"unknown option 'nugget' \(accepted: kernel, noise\)"),
    ],
)
def test_bad_options_are_config_errors_naming_the_key(options: dict[str, Any], match: str) -> None:
    raw = _config({"name": "botorch-gp", **options})
    with pytest.raises(ConfigError, match=match):
        build_components(parse_config(raw, "p.toml"), PM, "p.toml")


def test_a_noisy_problem_gets_learned_noise_and_the_mf_model_its_own_section() -> None:
    raw = _config({"name": "botorch-gp", "noise": "none"}, multi_surrogate={"name": "botorch-mf-gp"})
    parts = build_components(parse_config(raw, "p.toml"), PM, "p.toml")
    assert isinstance(parts.surrogate, BoTorchGP) and parts.surrogate.noise == "none"
    assert isinstance(parts.multi_surrogate, BoTorchMFGP) and parts.multi_surrogate.noise == "learn"
    wrong = _config({"name": "botorch-mf-gp"})
    with pytest.raises(ConfigError, match=r"multi-fidelity model.*put it under \[multi_surrogate\]"):
        build_components(parse_config(wrong, "p.toml"), PM, "p.toml")


def test_the_hf_only_loop_runs_on_botorch_gp_and_a_resumed_study_proposes_the_same(tmp_path: Path) -> None:
    """Through the config path: 4 design points + 4 LogEI proposals on the 1-D Forrester (optimum
    -6.0207); the fitted model's info is in the store. A study stopped after two proposals and
    resumed proposes what the uninterrupted one proposed (the model depends on the data only)."""
    config = _config({"name": "botorch-gp", "noise": "none"})
    with Study(config, run_dir=tmp_path / "full") as study:
        result = study.run()
        proposed = proposed_points(study)
        infos = [it["info"] for it in study.store.iterations()]
    assert result.cost_spent == pytest.approx(8.0) and len(proposed) == 8
    assert result.best is not None and result.best.value is not None and result.best.value < -5.5
    assert any(info.get("model", {}).get("kernel") == "rbf" for info in infos)
    problem = PM.problems.create("SongToalForretal0.00")
    assert resumed_proposals(config, problem, tmp_path / "cut", 6) == proposed


def test_the_gated_loop_runs_on_botorch_models_at_both_fidelities(tmp_path: Path) -> None:
    """[multi_surrogate] botorch-mf-gp with the always-open gate and augmented EI: the loop fits
    the fused BoTorch model and spends on the cheap source (augmented EI's allocation, issue 11:
    with a larger budget it still evaluates only cheap points here)."""
    config = _config(
        {"name": "botorch-gp"},
        multi_surrogate={"name": "botorch-mf-gp"},
        detector={"name": "always"},
        design={"samples": {"low": 6, "high": 3}, "seed": 1},
        acquisition={"name": "augmented-ei"},
    )
    config["budget"] = {"total": 4.0}  # the design costs 3.6: four cheap proposals
    with Study(config, run_dir=tmp_path) as study:
        result = study.run()
        infos = [it["info"] for it in study.store.iterations()]
    assert result.cost_spent <= 4.0 + 1e-9
    assert any("lengthscale[covar_module_unbiased]" in info.get("model", {}) for info in infos)
    assert result.usage["low"].ok == 10 and result.usage["high"].ok == 3
