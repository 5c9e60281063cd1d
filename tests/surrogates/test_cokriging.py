from __future__ import annotations

import numpy as np
import pytest
import torch
from botorch.acquisition import LogExpectedImprovement
from mfopt_surrogates.cokriging import CoKriging

from mfopt import Dataset, Fidelity, ModelFittingError, lhs
from mfopt.testing import check_surrogate
from tests.surrogates import _closed_form as cf
from tests.surrogates._data import branin_problem, forrester_problem, make_data


def _scaled(data: Dataset, X: torch.Tensor) -> np.ndarray:
    lb, ub = data.bounds
    return ((X - lb) / (ub - lb)).numpy()


def test_cokriging_matches_closed_form() -> None:
    # 8 HF points: with 6, the n - 2 degrees of freedom drive one δ length-scale to its bound (a near-singular
    # R_b that np.linalg.inv cannot reproduce to 1e-8)
    branin_data = make_data(branin_problem(), 12, 8)
    fitted = CoKriging(device="cpu", seed=2, n_starts=4).fit(branin_data)
    Xl, yl = branin_data.tensors("low")
    Xh, yh = branin_data.tensors("high")
    Xt = lhs(25, branin_data.bounds, seed=7)
    s = lambda X: _scaled(branin_data, X)  # noqa: E731
    mean, var, beta = cf.cokriging(s(Xl), yl.numpy(), s(Xh), yh.numpy(), fitted.info, s(Xt))
    m, v = fitted.predict(Xt)
    scale = float(yh.max() - yh.min())
    np.testing.assert_allclose(m.numpy(), mean, rtol=0, atol=1e-8 * scale)
    np.testing.assert_allclose(v.numpy(), var, rtol=0, atol=1e-8 * scale**2)
    # the per-level means in original units: β (of f_l and of δ) and the level means [β_l, ρ β_l + β_δ]
    rho = fitted.info["rho"][0]
    np.testing.assert_allclose(fitted.info["beta"], beta, rtol=1e-7, atol=1e-8 * scale)
    np.testing.assert_allclose(fitted.info["mu"], [beta[0], rho * beta[0] + beta[1]], rtol=1e-7, atol=1e-8 * scale)
    # sigma_b^2 is the closed-form variance of b = y_h - rho * yhat_l(X_h) (nested: yhat_l = y_l there),
    # with Le Gratiet's n - 2 degrees of freedom (regressors [1, yhat_l]) instead of the ML estimate's n
    (_, tb), (_, pb) = np.array(fitted.info["theta"]), np.array(fitted.info["p"])
    twin = [int(np.argmin(np.abs(Xl.numpy() - x).sum(1))) for x in Xh.numpy()]
    b = yh.numpy() - rho * yl.numpy()[twin]
    _, _, _, sigma_b = cf.kriging(s(Xh), b, tb, pb, s(Xh))
    n_h = len(yh)
    assert fitted.info["sigma2"][1] == pytest.approx(sigma_b * n_h / (n_h - 2), rel=1e-6)


def test_cokriging_interpolates_both_levels(forrester_data: Dataset) -> None:
    fitted = CoKriging(device="cpu").fit(forrester_data)
    assert fitted.fidelity_column and fitted.levels == {"low": 0.5, "high": 1.0}
    for name in ("low", "high"):
        X, y = forrester_data.tensors(name)
        m, v = fitted.predict(X, name)
        assert torch.allclose(m, y, atol=1e-7 * float(y.abs().max()))
        assert float(v.max()) < 1e-8 * float(y.max() - y.min()) ** 2  # zero up to rounding


def test_cokriging_recovers_the_forrester_relation() -> None:
    """f_h = -4 f_l + linear exactly (a = 0.5): rho is -4 and the HF prediction is accurate."""
    problem = forrester_problem(0.5)
    fitted = CoKriging(device="cpu", seed=0).fit(make_data(problem, 8, 4, seed=3))
    assert fitted.info["rho"][0] == pytest.approx(-4.0, abs=0.05)
    Xt = lhs(200, problem.bounds, seed=1)
    corr = np.corrcoef(fitted.predict(Xt)[0].numpy(), problem.evaluate(Xt, "high").numpy())[0, 1]
    assert corr > 0.98  # bounded by the 8-point LF Kriging, not by the AR1 relation


def test_cokriging_three_levels_and_bad_levels() -> None:
    base = forrester_problem(0.5)
    mid = Fidelity("mid", 0.75, 0.3)
    from mfopt import FunctionProblem, Observation, nested_design

    problem = FunctionProblem(
        "three",
        base.bounds,
        {**base.functions, "mid": lambda X: 0.5 * (base.functions["low"](X) + base.functions["high"](X))},
        (*base.fidelities, mid),
    )
    designs = nested_design(problem.bounds, [10, 7, 4], seed=2)
    obs = [
        Observation(tuple(x.tolist()), f.name, float(v))
        for f, X in zip(problem.fidelities, designs, strict=True)
        for x, v in zip(X, problem.evaluate(X, f.name), strict=True)
    ]
    data = Dataset(problem.bounds, problem.fidelities, obs)
    fitted = CoKriging(device="cpu").fit(data)
    assert len(fitted.info["rho"]) == 2
    for f, X in zip(problem.fidelities, designs, strict=True):
        m, _ = fitted.predict(X, f.name)
        # the mid level is an exact mix of the others, so C is nearly singular: interpolation holds
        # up to the jitter the fit had to add (reported in info)
        tol = 1e-6 if fitted.info["jitter"] == 0.0 else 1e-3
        assert torch.allclose(m, problem.evaluate(X, f.name), atol=tol * 20)
    with pytest.raises(ValueError, match="not in this model's chain"):
        fitted.model.posterior(torch.tensor([[0.3, 0.6]], dtype=torch.float64))


def test_cokriging_contract_determinism_and_acquisition(forrester_data: Dataset) -> None:
    check_surrogate(CoKriging(device="cpu"), forrester_data)
    a, b = CoKriging(device="cpu", seed=4).fit(forrester_data), CoKriging(device="cpu", seed=4).fit(forrester_data)
    assert a.info["rho"] == b.info["rho"] and a.info["theta"] == b.info["theta"]
    _, y = forrester_data.tensors("high")
    acq = LogExpectedImprovement(a.model, best_f=y.min(), maximize=False)
    X = a.inputs(torch.linspace(0, 1, 7, dtype=torch.float64).reshape(7, 1, 1))
    assert bool(torch.isfinite(acq(X)).all())


def test_cokriging_fantasizes_for_knowledge_gradient(forrester_data: Dataset) -> None:
    from botorch.acquisition import qMultiFidelityKnowledgeGradient
    from botorch.acquisition.utils import project_to_target_fidelity

    fitted = CoKriging(device="cpu").fit(forrester_data)
    kg = qMultiFidelityKnowledgeGradient(
        fitted.model,
        num_fantasies=4,
        project=lambda X: project_to_target_fidelity(X, {1: 1.0}, d=2),
        current_value=torch.tensor(0.0, dtype=torch.float64),
    )
    x = torch.tensor([0.3, 0.1, 0.9, 0.2, 0.4], dtype=torch.float64).reshape(1, 5, 1)
    X = torch.cat([x, torch.full_like(x, 0.5)], -1)  # q = 1 candidate at the low level + 4 fantasy points
    value = kg(X)
    assert value.shape == (1,) and bool(torch.isfinite(value).all())


def test_cokriging_bad_input(forrester_data: Dataset) -> None:
    with pytest.raises(ModelFittingError, match="two fidelities"):
        CoKriging(device="cpu").fit(forrester_data.restrict(["high"]))
    only_low = Dataset(forrester_data.bounds, forrester_data.fidelities, forrester_data.successful("low"))
    with pytest.raises(ModelFittingError, match="at least 2"):
        CoKriging(device="cpu").fit(only_low)
