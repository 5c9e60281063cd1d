"""Noise-aware Kriging (``noise = "learn"`` or a fixed variance) and the log θ prior."""

from __future__ import annotations

import pytest
import torch
from mfopt_surrogates._likelihood import Distances, LogThetaPrior, Problem
from mfopt_surrogates.kriging import Kriging

from mfopt import Dataset, Fidelity, Observation

D64 = torch.float64
NOISE_SD = 0.2


def _latent(X: torch.Tensor) -> torch.Tensor:
    return torch.sin(10.0 * X[:, 0]) + X[:, 0]


def _noisy_data(n: int = 40, seed: int = 1) -> Dataset:
    gen = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 1, generator=gen, dtype=D64)
    y = _latent(X) + NOISE_SD * torch.randn(n, generator=gen, dtype=D64)
    obs = [Observation((float(x),), "high", float(v), cost=1.0) for x, v in zip(X[:, 0], y, strict=True)]
    return Dataset(torch.tensor([[0.0], [1.0]], dtype=D64), (Fidelity("high", 1.0, 1.0),), obs)


@pytest.mark.parametrize("kw", [{"nugget": True}, {"nugget": True, "prior": "yes"}, {"noise_variance": "yes"}])
def test_noise_and_prior_gradients_match_finite_differences(kw: dict[str, object]) -> None:
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(2, 12, 3, generator=gen, dtype=D64)
    y = torch.sin(5 * X).sum(-1)
    options: dict[str, object] = {"nugget": kw.get("nugget", False)}
    if "prior" in kw:
        options["prior"] = LogThetaPrior.dimension_scaled(3)
    if "noise_variance" in kw:
        options["noise_variance"] = torch.tensor([0.01, 0.02], dtype=D64)
    problem = Problem(Distances.of(X, 2.0), y, torch.ones(2, 12, 1, dtype=D64), 3, **options)  # type: ignore[arg-type]
    params = torch.tensor([[0.3, -0.2, 0.5, -2.0], [0.1, 0.4, -0.5, -1.0]], dtype=D64)
    rows = torch.arange(2)
    _, g = problem.value_and_grad(params, rows)
    eps = 1e-6
    for k in range(4):
        e = torch.zeros_like(params)
        e[:, k] = eps
        fd = (problem.values(params + e, rows) - problem.values(params - e, rows)) / (2 * eps)
        assert torch.allclose(g[:, k], fd, rtol=1e-5, atol=1e-6)


def test_learned_noise_predicts_the_latent_function_better_and_recovers_the_noise_level() -> None:
    data = _noisy_data()
    grid = torch.linspace(0, 1, 200, dtype=D64).unsqueeze(-1)
    truth = _latent(grid)

    def rmse(model: Kriging) -> tuple[float, dict[str, object]]:
        fitted = model.fit(data)
        mean, _ = fitted.predict(grid)
        return float(((mean - truth) ** 2).mean().sqrt()), fitted.info

    exact, exact_info = rmse(Kriging(device="cpu"))
    learned, info = rmse(Kriging(device="cpu", noise="learn"))
    fixed, fixed_info = rmse(Kriging(device="cpu", noise=NOISE_SD**2))
    assert exact_info["noise_variance"] == 0.0
    assert exact > 0.3  # the interpolating model chases the noise
    assert learned < 0.12 and learned < exact / 3
    assert fixed < 0.12
    assert info["noise_variance"] == pytest.approx(NOISE_SD**2, rel=0.5)  # true 0.04
    assert fixed_info["noise_variance"] == pytest.approx(NOISE_SD**2)
    assert 0.0 < float(info["nugget"]) < 1.0  # type: ignore[arg-type]


def test_noisy_model_predicts_the_latent_function_not_the_observations() -> None:
    """At a training point the noise-free posterior does not reproduce the noisy value, its variance is
    below the noise variance, and ``observation_noise=True`` adds the fitted noise."""
    data = _noisy_data()
    fitted = Kriging(device="cpu", noise="learn").fit(data)
    X, y = data.tensors("high")
    mean, var = fitted.predict(X)
    assert float((mean - y).abs().max()) > 0.1
    noise = float(fitted.info["noise_variance"])
    assert float(var.max()) < noise
    with_noise = fitted.model.posterior(X[:3].unsqueeze(-2), observation_noise=True).variance.reshape(-1)  # type: ignore[attr-defined]
    assert torch.allclose(with_noise, var[:3] + noise, rtol=1e-6)


def test_bad_noise_and_prior_options_are_clear_errors() -> None:
    with pytest.raises(ValueError, match="noise"):
        Kriging(noise="sometimes")
    with pytest.raises(ValueError, match="noise"):
        Kriging(noise=-1.0)
    with pytest.raises(ValueError, match="theta_prior"):
        Kriging(theta_prior="flat")


def test_the_prior_pulls_a_small_sample_fit_off_the_theta_bounds() -> None:
    """n = 6 points in d = 6: the maximum-likelihood θ sits at a bound; the MAP θ near the prior."""
    gen = torch.Generator().manual_seed(3)
    X = torch.rand(6, 6, generator=gen, dtype=D64)
    y = (X**2).sum(-1)
    obs = [Observation(tuple(map(float, x)), "high", float(v), cost=1.0) for x, v in zip(X, y, strict=True)]
    data = Dataset(torch.tensor([[0.0] * 6, [1.0] * 6], dtype=D64), (Fidelity("high", 1.0, 1.0),), obs)
    ml = torch.tensor(Kriging(device="cpu").fit(data).info["theta"]).log10()
    mp = torch.tensor(Kriging(device="cpu", theta_prior="dimension-scaled").fit(data).info["theta"]).log10()
    assert bool(((ml <= -5.99) | (ml >= 4.99)).any())
    assert bool(((mp > -5.9) & (mp < 4.9)).all())
