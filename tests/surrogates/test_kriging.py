from __future__ import annotations

import numpy as np
import pytest
import torch
from botorch.acquisition import LogExpectedImprovement
from mfopt_surrogates.kriging import Kriging, check_data

from mfopt import Dataset, ModelFittingError, lhs
from mfopt.testing import check_surrogate
from tests.surrogates import _closed_form as cf


def _scaled(data: Dataset, X: torch.Tensor) -> np.ndarray:
    lb, ub = data.bounds
    return ((X - lb) / (ub - lb)).numpy()


@pytest.mark.parametrize("p", [2.0, "learn"])
def test_kriging_matches_closed_form(branin_data: Dataset, p: float | str) -> None:
    fitted = Kriging(device="cpu", seed=3, p=p, n_starts=4).fit(branin_data)
    X, y = branin_data.tensors("high")
    Xt = lhs(25, branin_data.bounds, seed=7)
    theta, pp = np.array(fitted.info["theta"]), np.array(fitted.info["p"])
    mean, var, mu, sigma2 = cf.kriging(_scaled(branin_data, X), y.numpy(), theta, pp, _scaled(branin_data, Xt))
    m, v = fitted.predict(Xt)
    scale = float(y.max() - y.min())
    np.testing.assert_allclose(m.numpy(), mean, rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(v.numpy(), var, rtol=0, atol=1e-8 * scale**2)
    assert fitted.info["mu"] == pytest.approx(mu, rel=1e-8)
    assert fitted.info["sigma2"] == pytest.approx(sigma2, rel=1e-8)
    assert fitted.info["jitter"] == 0.0


def test_kriging_interpolates_with_zero_variance(branin_data: Dataset) -> None:
    fitted = Kriging(device="cpu", seed=0).fit(branin_data)
    X, y = branin_data.tensors("high")
    m, v = fitted.predict(X)
    assert torch.allclose(m, y, atol=1e-8 * float(y.abs().max()))
    assert float(v.abs().max()) < 1e-8 * float((y.max() - y.min()) ** 2)


def test_kriging_maximises_the_likelihood(forrester_data: Dataset) -> None:
    """The fitted log10 θ beats every point of a fine grid on the concentrated likelihood."""
    fitted = Kriging(device="cpu", seed=0).fit(forrester_data)
    X, y = forrester_data.tensors("high")
    ys = ((y - y.min()) / (y.max() - y.min())).numpy()

    def nll(h: float) -> float:
        R = cf.corr(X.numpy(), X.numpy(), np.array([10.0**h]), np.array([2.0]))
        _, logdet = np.linalg.slogdet(R)
        Ri = np.linalg.inv(R)
        one = np.ones(len(ys))
        mu = one @ Ri @ ys / (one @ Ri @ one)
        return 0.5 * len(ys) * np.log((ys - mu) @ Ri @ (ys - mu) / len(ys)) + 0.5 * logdet

    grid = min(nll(h) for h in np.linspace(-1, 5, 301))
    assert nll(np.log10(fitted.info["theta"][0])) <= grid + 1e-6


def test_kriging_is_deterministic_and_registered(forrester_data: Dataset) -> None:
    from mfopt import get_plugin_manager

    a = get_plugin_manager().surrogates.create("kriging", device="auto", seed=5).fit(forrester_data)
    b = Kriging(device="auto", seed=5).fit(forrester_data)
    Xt = lhs(10, forrester_data.bounds, seed=2)
    assert torch.equal(a.predict(Xt)[0], b.predict(Xt)[0])
    assert a.info["theta"] == b.info["theta"]
    check_surrogate(Kriging(device="cpu"), forrester_data)


def test_kriging_works_with_botorch_log_ei(forrester_data: Dataset) -> None:
    fitted = Kriging(device="cpu").fit(forrester_data)
    _, y = forrester_data.tensors("high")
    acq = LogExpectedImprovement(fitted.model, best_f=y.min(), maximize=False)
    X = torch.linspace(0, 1, 11, dtype=torch.float64).reshape(11, 1, 1).requires_grad_(True)
    values = acq(X)
    values.sum().backward()
    assert values.shape == (11,) and bool(torch.isfinite(values).all())
    assert X.grad is not None and bool(torch.isfinite(X.grad).all())


def test_joint_posterior_over_q_points(branin_data: Dataset) -> None:
    fitted = Kriging(device="cpu").fit(branin_data)
    Xt = lhs(6, branin_data.bounds, seed=3).reshape(2, 3, 2)
    post = fitted.model.posterior(Xt)
    assert post.mean.shape == (2, 3, 1)
    cov = post.distribution.covariance_matrix
    assert cov.shape == (2, 3, 3) and torch.allclose(cov, cov.transpose(-1, -2))
    single = fitted.model.posterior(Xt[0, 1:2])
    assert torch.allclose(single.variance.squeeze(), cov[0, 1, 1])


def test_batched_fit_matches_each_member(forrester_data: Dataset) -> None:
    from tests.surrogates._data import forrester_problem, make_data

    datasets = [make_data(forrester_problem(), 8, 5, seed=s) for s in (1, 2, 3)]
    fitted = Kriging(device="cpu", seed=0).fit_batch(datasets)
    assert [f.info["batched"] for f in fitted] == [3, 3, 3]
    for data, f in zip(datasets, fitted, strict=True):
        X, y = data.tensors("high")
        mean, _, _, _ = cf.kriging(X.numpy(), y.numpy(), np.array(f.info["theta"]), np.array(f.info["p"]), X.numpy())
        np.testing.assert_allclose(f.predict(X)[0].numpy(), y.numpy(), atol=1e-8 * float(y.abs().max()))
        np.testing.assert_allclose(mean, y.numpy(), atol=1e-7 * float(y.abs().max()))


def test_bad_input_is_a_clear_error(forrester_data: Dataset) -> None:
    empty = Dataset(forrester_data.bounds, forrester_data.fidelities, [])
    with pytest.raises(ModelFittingError, match="at least 2"):
        Kriging(device="cpu").fit(empty)
    with pytest.raises(ModelFittingError, match="do not match"):
        check_data(torch.zeros(3, 2, dtype=torch.float64), torch.zeros(4, dtype=torch.float64), "kriging")
    with pytest.raises(ModelFittingError, match="NaN"):
        check_data(torch.zeros(3, 1, dtype=torch.float64), torch.tensor([0.0, float("nan"), 1.0]), "kriging")
    with pytest.raises(ValueError, match="p must"):
        Kriging(p=3.0)
    with pytest.raises(ValueError, match="device"):
        Kriging(device="tpu")
