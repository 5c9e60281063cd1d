"""gradient-rbf (the gradient-only GP) and the least-squares RBF experiment of the seed (Wilke 2024)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
import torch
from mfopt_surrogates.gradient_rbf import GradientRBF, joint_covariance
from mfopt_surrogates.rbf_lstsq import basis_count, choose_centres, fit

from mfopt import ConfigError, Dataset, FunctionProblem, ModelFittingError, get_plugin_manager
from mfopt.testing import check_surrogate, make_dataset
from tests.surrogates._data import HIGH, LOW, branin_problem

FAST: dict[str, Any] = {"device": "cpu", "seed": 0, "n_starts": 2, "maxiter": 100}


@pytest.fixture(scope="module")
def branin_grad() -> Dataset:
    return make_dataset(branin_problem(), [12, 6], seed=3, gradients=True)


@pytest.fixture(scope="module")
def forrester_grad() -> Dataset:
    return make_dataset(get_plugin_manager().problems.create("SongToalForretal0.50"), [10, 5], gradients=True)


def mean_and_gradient(fitted, X: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:  # type: ignore[no-untyped-def]
    """Posterior mean at ``X`` (``n x d``, one point per batch) and its autograd gradient."""
    Xr = X.clone().requires_grad_(True)
    mean = fitted.model.posterior(Xr.unsqueeze(-2)).mean.reshape(-1)
    (grad,) = torch.autograd.grad(mean.sum(), Xr)
    return mean.detach(), grad


@pytest.mark.parametrize("mode", ["g", "f-g", "f"])
def test_posterior_mean_gradient_matches_finite_differences(branin_grad: Dataset, mode: str) -> None:
    fitted = GradientRBF(mode=mode, **FAST).fit(branin_grad)
    X = torch.tensor([[-2.0, 3.0], [4.0, 11.0], [8.5, 1.5]], dtype=torch.float64)
    _, grad = mean_and_gradient(fitted, X)
    h = 1e-5
    for k in range(2):
        step = torch.zeros(2, dtype=torch.float64)
        step[k] = h
        fd = (fitted.predict(X + step)[0] - fitted.predict(X - step)[0]) / (2 * h)
        assert torch.allclose(grad[:, k], fd, rtol=1e-5, atol=1e-6 * float(fd.abs().max()))


def test_g_mode_reproduces_training_gradients_and_the_anchor(branin_grad: Dataset) -> None:
    hf = branin_grad.restrict(["high"])
    fitted = GradientRBF(mode="g", **FAST).fit(hf)
    X, y = hf.tensors("high")
    G = hf.gradients("high")
    assert G is not None
    _, grad = mean_and_gradient(fitted, X)
    # The derivative of the value posterior mean at a training point is the posterior mean of the
    # derivative rows there, K (K + λI)^-1 t: the training gradients shrunk by the learned noise λ
    # (an exact reproduction only where λ is tiny, which depends on the design).
    model = fitted.model
    K = joint_covariance(model.rows.X, model.rows.X, model.lengthscale)[model.rows.index][:, model.rows.index]
    expected = (K @ model.alpha).reshape(X.shape) * model.scale / model.span
    assert torch.allclose(grad, expected, rtol=1e-6, atol=1e-9 * float(G.abs().max()))
    shrunk = ((model.rows.t - K @ model.alpha).reshape(X.shape) * model.scale / model.span).abs().max()
    assert float((grad - G).abs().max()) == pytest.approx(float(shrunk), rel=1e-6)
    # the constant is the mean residual at the anchors: the mean of the predictions equals the mean of y
    mean, _ = fitted.predict(X)
    assert float(mean.mean()) == pytest.approx(float(y.mean()), rel=1e-9, abs=1e-9)
    assert fitted.info["anchors"] == 6 and fitted.info["rows"] == 12
    assert fitted.info["epsilon"] == pytest.approx([0.5 / v**2 for v in fitted.info["lengthscale"]])


def test_single_anchor_pins_value_and_zero_variance() -> None:
    problem = branin_problem()
    data = make_dataset(problem, [10, 1], seed=5, gradients=True)
    fitted = GradientRBF(mode="g", **FAST).fit(data)
    Xa, ya = data.tensors("high")
    mean, var = fitted.predict(Xa)
    assert float(mean[0]) == pytest.approx(float(ya[0]), rel=1e-10)
    assert float(var[0]) < 1e-8 * fitted.info["outputscale"]
    _, var_far = fitted.predict(torch.tensor([[9.0, 14.0]], dtype=torch.float64))
    assert float(var_far[0]) > 1e-3 * fitted.info["outputscale"]


def test_g_mode_is_blind_to_a_constant_offset_of_the_cheap_source() -> None:
    """Same gradients, LF values shifted by 100 or 0: 'g' predicts the same, 'f' does not."""

    def hf(X: torch.Tensor) -> torch.Tensor:
        return torch.sin(6.0 * X[..., 0]) + X[..., 0] ** 2

    box = [[0.0], [2.0]]
    shifted = FunctionProblem("shifted", box, {"high": hf, "low": lambda X: hf(X) + 100.0}, (LOW, HIGH))
    plain = FunctionProblem("plain", box, {"high": hf, "low": hf}, (LOW, HIGH))
    a = make_dataset(shifted, [6, 3], seed=1, gradients=True)
    b = make_dataset(plain, [6, 3], seed=1, gradients=True)
    X = torch.tensor([[0.3], [1.4]], dtype=torch.float64)
    quick = {**FAST, "maxiter": 50}
    g_a, g_b = (GradientRBF(mode="g", **quick).fit(d).predict(X)[0] for d in (a, b))
    assert torch.equal(g_a, g_b)
    f_a, f_b = (GradientRBF(mode="f", **quick).fit(d).predict(X)[0] for d in (a, b))
    assert float((f_a - f_b).abs().max()) > 1.0


@pytest.mark.parametrize("mode", ["g", "f-g", "f"])
def test_contract_on_multi_fidelity_and_target_only_data(forrester_grad: Dataset, mode: str) -> None:
    for data in (forrester_grad, forrester_grad.restrict(["high"])):
        fitted = check_surrogate(GradientRBF(mode=mode, **FAST), data)
        assert fitted.fidelity_column is False and fitted.info["mode"] == mode
        assert set(fitted.levels) == {f.name for f in data.fidelities}


def test_log_expected_improvement_runs(forrester_grad: Dataset) -> None:
    from botorch.acquisition import LogExpectedImprovement

    fitted = GradientRBF(**FAST).fit(forrester_grad)
    acq = LogExpectedImprovement(fitted.model, best_f=float(forrester_grad.tensors("high")[1].min()))
    X = torch.linspace(0, 1, 5, dtype=torch.float64).reshape(5, 1, 1).requires_grad_(True)
    values = acq(X)
    values.sum().backward()
    assert values.shape == (5,) and bool(torch.isfinite(values).all())
    assert X.grad is not None and bool(torch.isfinite(X.grad).all())


def test_deterministic_given_seed(forrester_grad: Dataset) -> None:
    X = torch.linspace(0, 1, 9, dtype=torch.float64).unsqueeze(-1)
    a, b = (GradientRBF(**FAST).fit(forrester_grad).predict(X)[0] for _ in range(2))
    assert torch.equal(a, b)


def test_missing_gradients_give_a_clear_error(forrester_grad: Dataset) -> None:
    problem = get_plugin_manager().problems.create("SongToalForretal0.50")
    no_grad = make_dataset(problem, [10, 5], gradients=False)
    for mode in ("g", "f-g"):
        with pytest.raises(ValueError, match="needs a gradient at every observation"):
            GradientRBF(mode=mode, **FAST).fit(no_grad)
    with pytest.raises(ModelFittingError, match="'low'"):
        GradientRBF(mode="g", **FAST).fit(no_grad)
    check_surrogate(GradientRBF(mode="f", **FAST), no_grad)  # values only: fine without gradients
    with pytest.raises(ModelFittingError, match="anchor"):
        GradientRBF(**FAST).fit(forrester_grad.with_observations(forrester_grad.successful("low")))


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="mode"):
        GradientRBF(mode="gradients")
    with pytest.raises(ValueError, match="positive"):
        GradientRBF(n_starts=0)
    with pytest.raises(ConfigError):
        get_plugin_manager().surrogates.create("gradient-rbf", mode="h")


# ---- the seed's least-squares experiment (Wilke 2024) ---------------------------------------

X121 = np.linspace(-2.0, 2.0, 121)[:, None]
Y121, G121 = X121[:, 0] ** 2, 2.0 * X121


def test_basis_counts_and_centres() -> None:
    assert [basis_count(m, 3, 1) for m in ("f", "f-g", "g")] == [1, 1, 1]
    assert [basis_count(m, 30, 1) for m in ("f", "f-g", "g")] == [5, 10, 5]
    X = np.array([[0.3], [-1.0], [2.0]])
    assert choose_centres(X, 1).tolist() == [[0.3]]
    assert choose_centres(X, 3).tolist() == [[-1.0], [0.3], [2.0]]


@pytest.mark.parametrize("mode", ["f", "f-g", "g"])
def test_rbf_derivatives_match_finite_differences(mode: str) -> None:
    idx = np.array([5, 40, 61, 77, 100, 118])
    s = fit(mode, X121[idx], Y121[idx], G121[idx], 0.7)
    x, h = np.array([[-1.3], [0.2], [1.7]]), 1e-4
    fd1 = (s(x + h) - s(x - h)) / (2 * h)
    fd2 = (s(x + h) - 2 * s(x) + s(x - h)) / h**2
    assert np.allclose(s.gradient(x)[:, 0], fd1, rtol=1e-6, atol=1e-8)
    assert np.allclose(s.curvature(x), fd2, rtol=1e-4, atol=1e-5)
    if mode == "g":
        assert s(X121[idx[:1]])[0] == pytest.approx(Y121[idx[0]], abs=1e-12)  # the anchor value


def definiteness_trials(batch: int, trials: int, seed: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """ε (log-uniform in [1e-4, 1e5]) and, per mode, whether s'' > 0 at every mini-batch point."""
    rng = np.random.default_rng(seed)
    eps = np.empty(trials)
    pd = {m: np.zeros(trials, dtype=bool) for m in ("f", "f-g", "g")}
    for t in range(trials):
        idx = rng.choice(121, batch, replace=False)
        eps[t] = 10.0 ** rng.uniform(-4.0, 5.0)
        for mode in pd:
            s = fit(mode, X121[idx], Y121[idx], G121[idx], float(eps[t]))
            pd[mode][t] = bool((s.curvature(X121[idx]) > 0).all())
    return eps, pd


def test_seed_claim_batches_of_three() -> None:
    """The seed says 'g' is PD in every trial and 'f' is not. Honestly: 'f' is never PD here and
    'g' is PD far more often, but NOT always: with log-uniform ε up to 1e5 a narrow Gaussian
    cannot be convex at points beyond 1/sqrt(2ε) from its centre (docs/surrogates.md)."""
    eps, pd = definiteness_trials(batch=3, trials=120, seed=0)
    assert not pd["f"].all() and pd["f"].sum() == 0
    assert pd["g"].sum() > 3 * max(pd["f"].sum(), pd["f-g"].sum(), 1)
    assert not pd["g"].all()  # the claim as stated does not hold
    wide, narrow = eps < 0.1, eps >= 1.0
    assert pd["g"][wide].mean() >= 0.8
    assert pd["g"][narrow].mean() <= 0.1


def test_seed_claim_batches_of_thirty() -> None:
    eps, pd = definiteness_trials(batch=30, trials=60, seed=1)
    assert not pd["f"].all()
    assert pd["g"].sum() >= pd["f"].sum()
    assert not pd["g"].all()
    assert pd["g"][eps < 0.1].all() and pd["f"][eps < 0.1].all()
