"""Co-Kriging's noise option (a learned nugget per level, or a fixed noise variance) and its
difference stage on a few paired points (no degenerate fit)."""

from __future__ import annotations

import statistics

import pytest
import torch
from mfopt_strategies.evidence import loo_target
from mfopt_surrogates.cokriging import H_BOUNDS_DIFF, CoKriging, dof_is_bounded
from mfopt_surrogates.gp_model import AR1GP
from mfopt_surrogates.kriging import Kriging

from mfopt import Dataset, Fidelity, FittedSurrogate, Observation, nested_design

from ._data import HIGH, LOW, forrester

D64 = torch.float64
NOISE_SD = 0.5
BOUNDS = torch.tensor([[0.0], [1.0]], dtype=D64)


def _cheap(X: torch.Tensor) -> torch.Tensor:
    return 0.5 * forrester(X) + 10 * (X[..., 0] - 0.5) - 5


def _noisy_pair(seed: int, n_low: int = 30, n_high: int = 12) -> Dataset:
    """Forrester's pair on a nested design, both levels observed with Gaussian noise of sd 0.5."""
    Xl, Xh = nested_design(BOUNDS, [n_low, n_high], seed=seed)
    gen = torch.Generator().manual_seed(seed)
    yl = _cheap(Xl) + NOISE_SD * torch.randn(n_low, generator=gen, dtype=D64)
    yh = forrester(Xh) + NOISE_SD * torch.randn(n_high, generator=gen, dtype=D64)
    obs = [Observation((float(x),), "low", float(v)) for x, v in zip(Xl[:, 0], yl, strict=True)]
    obs += [Observation((float(x),), "high", float(v)) for x, v in zip(Xh[:, 0], yh, strict=True)]
    return Dataset(BOUNDS, (LOW, HIGH), obs)


def _rmse(fitted: FittedSurrogate) -> float:
    grid = torch.linspace(0, 1, 201, dtype=D64).unsqueeze(-1)
    mean, _ = fitted.predict(grid)
    return float(((mean - forrester(grid)) ** 2).mean().sqrt())


def test_learned_noise_recovers_the_noise_level_and_predicts_the_latent_function_better() -> None:
    exact, learned, fixed, noise_low, noise_high = [], [], [], [], []
    for seed in (1, 2, 3):
        data = _noisy_pair(seed)
        exact.append(_rmse(CoKriging(device="cpu", seed=seed).fit(data)))
        fit = CoKriging(device="cpu", seed=seed, noise="learn").fit(data)
        learned.append(_rmse(fit))
        noise_low.append(fit.info["noise_variance"][0])
        noise_high.append(fit.info["noise_variance"][1])
        fixed_fit = CoKriging(device="cpu", seed=seed, noise=NOISE_SD**2).fit(data)
        fixed.append(_rmse(fixed_fit))
        assert fixed_fit.info["noise_variance"] == pytest.approx([NOISE_SD**2] * 2)
        assert all(0.0 < v < 1.0 for v in fit.info["nugget"])
    assert all(a < b for a, b in zip(learned, exact, strict=True)), (learned, exact)
    assert statistics.fmean(learned) < 0.6 * statistics.fmean(exact)
    assert max(learned) < 0.4 and max(fixed) < 0.4  # sd of the noise 0.5, range of f about 22
    for values in (noise_low, noise_high):  # true variance 0.25
        assert all(0.125 < v < 0.5 for v in values), values
        assert statistics.fmean(values) == pytest.approx(NOISE_SD**2, rel=0.35)


def test_the_noisy_model_predicts_the_latent_mean_and_the_same_seed_gives_the_same_fit() -> None:
    data = _noisy_pair(1)
    fit = CoKriging(device="cpu", noise="learn").fit(data)
    again = CoKriging(device="cpu", noise="learn").fit(data)
    assert fit.info["theta"] == again.info["theta"] and fit.info["noise_variance"] == again.info["noise_variance"]
    X, y = data.tensors("high")
    mean, var = fit.predict(X)
    assert torch.equal(mean, again.predict(X)[0])
    assert float((mean - y).abs().max()) > 0.1  # no interpolation of the noisy target values
    assert float(var.max()) < fit.info["noise_variance"][1]
    inputs = torch.cat([X, torch.ones(len(X), 1, dtype=D64)], -1).unsqueeze(-2)  # the target level
    with_noise = fit.model.posterior(inputs, observation_noise=True).variance.reshape(-1)  # type: ignore[attr-defined]
    assert torch.allclose(with_noise, var + fit.info["noise_variance"][1], rtol=1e-6)


def test_closed_form_loo_of_a_noisy_model_predicts_noisy_values_and_beats_the_interpolating_one() -> None:
    data = _noisy_pair(2)
    noisy = CoKriging(device="cpu", noise="learn").fit(data)
    exact = CoKriging(device="cpu").fit(data)
    loo_noisy, loo_exact = loo_target(noisy), loo_target(exact)
    assert loo_noisy is not None and loo_exact is not None and len(loo_noisy) == 12
    assert all(p.var >= noisy.info["noise_variance"][1] for _, _, p in loo_noisy)

    def rmse(loo: list) -> float:  # type: ignore[type-arg]
        return statistics.fmean((y - p.mean) ** 2 for _, y, p in loo) ** 0.5

    assert rmse(loo_noisy) < rmse(loo_exact)


def test_noise_option_errors_and_the_option_model() -> None:
    from mfopt_surrogates.options import CoKrigingOptions

    with pytest.raises(ValueError, match="noise"):
        CoKriging(noise="sometimes")
    with pytest.raises(ValueError, match="noise"):
        CoKriging(noise=-0.1)
    assert CoKrigingOptions.model_validate({"noise": "learn"}).noise == "learn"
    assert CoKrigingOptions.model_validate({}).noise == "none"


@pytest.mark.parametrize(("d", "unbounded"), [(1, [3, 4, 5]), (2, [3, 4, 5, 6, 7]), (5, [3, 4, 5, 6, 7])])
def test_the_degrees_of_freedom_objective_is_used_only_where_it_is_bounded(d: int, unbounded: list[int]) -> None:
    assert [n for n in range(3, 60) if not dof_is_bounded(n, d)] == unbounded


def _paired(cheap_fn: object, n: int = 4) -> Dataset:
    """``n`` paired points (each target point has its cheap twin), Forrester as the target."""
    (X,) = nested_design(BOUNDS, [n], seed=1)
    cheap = Fidelity("low", 0.5, 0.1)
    obs = [Observation((float(x),), "low", float(v)) for x, v in zip(X[:, 0], cheap_fn(X), strict=True)]  # type: ignore[operator]
    obs += [Observation((float(x),), "high", float(v)) for x, v in zip(X[:, 0], forrester(X), strict=True)]
    return Dataset(BOUNDS, (cheap, HIGH), obs)


def _explicit_loo_rmse(fitted: FittedSurrogate) -> float:
    """Leave each target value out (its cheap twin stays), hyperparameters held, level means re-estimated."""
    m = fitted.model
    assert isinstance(m, AR1GP)
    top = int(m.train_s.max()) if m.chain_levels else 0
    errors = []
    for i in torch.nonzero(m.train_s == top).reshape(-1).tolist():
        keep = torch.arange(len(m.train_y)) != i
        sub = AR1GP(
            m.params, m.train_X[keep], m.train_s[keep], m.train_y[keep], m.lower, m.span, m.offset, m.scale,
            m.chain_levels,
        )  # fmt: skip
        x = m.lower[0] + m.span[0] * m.train_X[i]
        if m.chain_levels:
            x = torch.cat([x, x.new_tensor([m.chain_levels[top]])])
        y = float(m.offset + m.scale * m.train_y[i])
        errors.append((float(sub.mean(x.reshape(1, 1, -1)).reshape(-1)[0]) - y) ** 2)
    return statistics.fmean(errors) ** 0.5


def test_a_mirrored_cheap_source_does_not_get_a_degenerate_exact_fit_on_four_paired_points() -> None:
    """With ``n - 2`` degrees of freedom the difference stage's objective is unbounded on 4 points: ρ
    makes ``y_h - ρ y_l`` an exact quadratic and ``θ → 0`` interpolates it, so leaving a target value
    out (its cheap twin kept) predicted it to 0.004 although the mirrored source carries no information."""
    sf = Kriging(device="cpu").fit(_paired(lambda X: forrester(1.0 - X)))
    bad = CoKriging(device="cpu").fit(_paired(lambda X: forrester(1.0 - X)))
    good = CoKriging(device="cpu").fit(_paired(lambda X: 0.5 * forrester(X)))
    assert bad.info["theta"][1][0] > 10 ** (H_BOUNDS_DIFF[0] + 1)
    assert bad.info["sigma2"][1] < 1e4  # the degenerate fit: θ_δ = 1e-3, σ_δ² = 1.6e9
    reference = _explicit_loo_rmse(sf)
    assert _explicit_loo_rmse(bad) > 0.5 * reference
    assert _explicit_loo_rmse(good) < 1e-3 * reference  # the helpful source: the target is twice it


@pytest.mark.parametrize(
    ("noisy", "section", "expected"), [(True, {}, "learn"), (False, {}, "none"), (True, {"noise": 0.5}, 0.5)]
)
def test_a_noisy_problem_selects_learned_noise_for_co_kriging(noisy: bool, section: dict, expected: object) -> None:  # type: ignore[type-arg]
    from mfopt.components import build_components
    from mfopt.config import parse_config
    from mfopt.plugin.manager import get_plugin_manager

    raw = {
        "problem": {"name": "SongToalForretal0.50", "noisy": noisy},
        "budget": {"total": 10.0},
        "surrogate": {"name": "kriging"},
        "multi_surrogate": {"name": "cokriging", **section},
    }
    parts = build_components(parse_config(raw, "p.toml"), get_plugin_manager(), "p.toml")
    assert isinstance(parts.multi_surrogate, CoKriging) and parts.multi_surrogate.noise == expected


def test_a_three_level_chain_learns_a_noise_term_per_level() -> None:
    """Levels ``0.5 f + 3``, ``0.8 f - 1`` and ``f`` (Forrester) on nested 30/20/10 points, noise sd 0.3 on each."""
    X0, X1, X2 = nested_design(BOUNDS, [30, 20, 10], seed=1)
    gen = torch.Generator().manual_seed(1)
    fids = (Fidelity("a", 0.2, 0.01), Fidelity("b", 0.5, 0.1), HIGH)
    levels = ((X0, "a", 0.5, 3.0), (X1, "b", 0.8, -1.0), (X2, "high", 1.0, 0.0))
    obs = []
    for X, name, a, b in levels:
        y = a * forrester(X) + b + 0.3 * torch.randn(len(X), generator=gen, dtype=D64)
        obs += [Observation((float(x),), name, float(v)) for x, v in zip(X[:, 0], y, strict=True)]
    data = Dataset(BOUNDS, fids, obs)
    noisy = CoKriging(device="cpu", noise="learn").fit(data)
    assert len(noisy.info["noise_variance"]) == 3 and len(noisy.info["rho"]) == 2
    assert all(0.03 < v < 0.3 for v in noisy.info["noise_variance"])  # true 0.09 (measured 0.10, 0.067, 0.14)
    assert _rmse(noisy) < 0.5 * _rmse(CoKriging(device="cpu").fit(data))
