"""Kriging's ``select`` option: ``"loo"`` keeps the likelihood optimum of smallest leave-one-out
error (:mod:`mfopt_surrogates._loo`), in single, batched and warm-started loop fits; bad values are
clear errors, at the constructor and through the config path."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mfopt_surrogates._likelihood import Distances, Problem
from mfopt_surrogates._loo import loo_mse
from mfopt_surrogates.kriging import Kriging, Scaling

from mfopt import Dataset, FittedSurrogate, Observation, get_plugin_manager, lhs, nested_design
from mfopt.components import build_components
from mfopt.config import parse_config
from mfopt.errors import ConfigError
from tests.surrogates._data import branin_problem, make_data


def _hartmann(n: int, seed: int) -> tuple[Dataset, torch.Tensor, torch.Tensor]:
    """AugmentedHartmannH6's target at ``n`` maximin points, and 2000 test points with their values."""
    problem = get_plugin_manager().problems.create("AugmentedHartmannH6")
    (X,) = nested_design(problem.bounds, [n], seed=seed)
    target = problem.target
    values = problem.evaluate(X, target.name)
    obs = [Observation(tuple(x.tolist()), target.name, float(v)) for x, v in zip(X, values, strict=True)]
    X_test = lhs(2000, problem.bounds, seed=seed + 1000)
    return Dataset(problem.bounds, (target,), obs), X_test, problem.evaluate(X_test, target.name)


def _loo_of(data: Dataset, fitted: FittedSurrogate) -> float:
    """The leave-one-out MSE (scaled outputs) of the fitted θ, from the data alone."""
    X, y = data.tensors(data.target.name)
    scaling = Scaling.of([data], torch.device("cpu"))
    Xs, ys = scaling.inputs(X.unsqueeze(0)), scaling.outputs(y.unsqueeze(0))
    problem = Problem(Distances.of(Xs, 2.0), ys, ys.new_ones((*ys.shape, 1)), X.shape[1])
    h = torch.tensor(fitted.info["theta"], dtype=torch.float64).log10().unsqueeze(0)
    return float(loo_mse(problem, h, torch.zeros(1, dtype=torch.long))[0])


def _corr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.corrcoef(torch.stack([a.reshape(-1), b.reshape(-1)]))[0, 1])


def test_loo_keeps_the_better_predicting_optimum_on_hartmann6() -> None:
    """n = 50, d = 6 (the case that motivated the option): maximum likelihood switches dimensions
    off and predicts poorly; the LOO choice has a lower likelihood, a lower LOO error, and a far
    better test correlation."""
    data, X_test, y_test = _hartmann(50, 0)
    ml, loo = Kriging(device="cpu").fit(data), Kriging(device="cpu", select="loo").fit(data)
    assert ml.info["select"] == "likelihood" and loo.info["select"] == "loo"
    assert loo.info["neg_log_likelihood"] > ml.info["neg_log_likelihood"] + 0.1
    assert _loo_of(data, loo) < 0.8 * _loo_of(data, ml)
    with torch.no_grad():
        c_ml, c_loo = _corr(ml.predict(X_test)[0], y_test), _corr(loo.predict(X_test)[0], y_test)
    assert c_ml < 0.45 and c_loo > 0.6


def test_when_the_likelihood_optimum_also_predicts_best_both_agree() -> None:
    data = make_data(branin_problem(), 12, 6, seed=0)
    ml, loo = Kriging(device="cpu").fit(data), Kriging(device="cpu", select="loo").fit(data)
    assert ml.info["theta"] == loo.info["theta"]


def test_batched_loo_fits_match_each_member_alone() -> None:
    datasets = [make_data(branin_problem(), 12, 6, seed=s) for s in range(3)] + [_hartmann(50, 0)[0]]
    model = Kriging(device="cpu", seed=1, select="loo")
    batched = model.fit_batch(datasets[:3])
    for data, fb in zip(datasets[:3], batched, strict=True):
        fs = model.fit(data)
        assert fb.info["batched"] == 3 and fb.info["select"] == "loo"
        np.testing.assert_allclose(fb.info["theta"], fs.info["theta"], rtol=1e-4)
    hart = [_hartmann(50, s)[0] for s in (0, 1)]
    for data, fb in zip(hart, model.fit_batch(hart), strict=True):
        np.testing.assert_allclose(fb.info["theta"], model.fit(data).info["theta"], rtol=1e-4)


def test_warm_loo_refits_depend_on_the_data_only() -> None:
    data, _, _ = _hartmann(36, 3)
    empty = Dataset(data.bounds, data.fidelities, [])
    obs = list(data.observations)
    loop = Kriging(device="cpu", select="loo")
    fits = [loop.refit(empty.with_observations(obs[:n])) for n in range(30, 36)]
    assert [f.info["refit"] for f in fits][:2] == ["cold", "warm"]
    fresh = Kriging(device="cpu", select="loo").refit(empty.with_observations(obs[:35]))
    assert fresh.info["theta"] == fits[-1].info["theta"]
    assert fresh.info["neg_log_likelihood"] == fits[-1].info["neg_log_likelihood"]


def test_bad_select_values_are_clear_errors() -> None:
    with pytest.raises(ValueError, match=r"select must be one of \['likelihood', 'loo'\], got 'cv'"):
        Kriging(select="cv")
    raw = {
        "problem": {"name": "SongToalForretal0.50"},
        "budget": {"total": 10.0},
        "surrogate": {"name": "kriging", "select": "cv"},
    }
    with pytest.raises(ConfigError, match=r"\[surrogate\]\.select"):
        build_components(parse_config(raw, "s.toml"), get_plugin_manager(), "s.toml")
    raw["surrogate"] = {"name": "kriging", "select": "loo"}
    parts = build_components(parse_config(raw, "s.toml"), get_plugin_manager(), "s.toml")
    assert isinstance(parts.surrogate, Kriging) and parts.surrogate.select == "loo"
