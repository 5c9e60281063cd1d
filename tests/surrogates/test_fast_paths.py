"""The numerical fast paths of Kriging / Co-Kriging against direct, unoptimised computations."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from botorch.posteriors import GPyTorchPosterior
from mfopt_surrogates._likelihood import Distances, Grouping, Problem
from mfopt_surrogates._optim import minimise
from mfopt_surrogates.cokriging import CoKriging
from mfopt_surrogates.gp_model import AR1GP, AR1Params
from mfopt_surrogates.kriging import Kriging

from mfopt import Dataset, Fidelity, Observation, lhs
from tests.surrogates import _closed_form as cf
from tests.surrogates._data import branin_problem, make_data

D64 = torch.float64


def _direct_nll(X: np.ndarray, y: np.ndarray, F: np.ndarray, theta: np.ndarray, p: np.ndarray) -> float:
    """Concentrated nll by explicit inverse: GLS β on regressors F, σ² = rᵀR⁻¹r/n."""
    R = cf.corr(X, X, theta, p)
    Ri = np.linalg.inv(R)
    beta = np.linalg.solve(F.T @ Ri @ F, F.T @ Ri @ y)
    r = y - F @ beta
    _, logdet = np.linalg.slogdet(R)
    return 0.5 * len(y) * np.log(r @ Ri @ r / len(y)) + 0.5 * logdet


@pytest.mark.parametrize("p", [2.0, 1.5, None])
@pytest.mark.parametrize("regressors", [1, 2])
def test_likelihood_and_gradient_match_direct_computation(p: float | None, regressors: int) -> None:
    gen = torch.Generator().manual_seed(0)
    B, n, d = 2, 15, 3
    X = torch.rand(B, n, d, generator=gen, dtype=D64)
    y = torch.sin(5 * X).sum(-1)
    ones = torch.ones(B, n, dtype=D64)
    F = torch.stack([ones, torch.cos(3 * X).sum(-1)], -1) if regressors == 2 else ones.unsqueeze(-1)
    problem = Problem(Distances.of(X, p), y, F, d, (-1000.0, 1000.0) if regressors == 2 else None)
    h = torch.tensor([[0.3, -0.2, 0.5], [0.1, 0.4, -0.5]], dtype=D64)
    params = h if p is not None else torch.cat([h, torch.full_like(h, 1.7)], -1)
    rows = torch.arange(B)
    f, g = problem.value_and_grad(params, rows)
    for b in range(B):
        pp = np.full(d, p if p is not None else 1.7)
        expected = _direct_nll(X[b].numpy(), y[b].numpy(), F[b].numpy(), 10.0 ** h[b].numpy(), pp)
        assert float(f[b]) == pytest.approx(expected, abs=1e-8 * max(1.0, abs(expected)))
    assert torch.allclose(problem.values(params, rows), f, rtol=0, atol=1e-10)
    eps = 1e-6
    for k in range(params.shape[1]):
        e = torch.zeros_like(params)
        e[:, k] = eps
        fd = (problem.values(params + e, rows) - problem.values(params - e, rows)) / (2 * eps)
        assert torch.allclose(g[:, k], fd, rtol=1e-5, atol=1e-5)


def test_optimiser_converges_per_member_and_batch_equals_single() -> None:
    def rosenbrock(x: torch.Tensor, rows: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        a, b = x[:, 0], x[:, 1] * (1 + rows.to(D64))  # row r: minimum at (1, 1/(1+r))
        scale = 1 + rows.to(D64)
        f = (1 - a) ** 2 + 100 * (b - a * a) ** 2
        g = torch.stack([-2 * (1 - a) - 400 * a * (b - a * a), 200 * (b - a * a) * scale], -1)
        return f, g

    x0 = torch.tensor([[-1.2, 1.0], [0.0, 0.0], [2.0, 1.5]], dtype=D64)
    lo, hi = torch.full((2,), -5.0, dtype=D64), torch.full((2,), 5.0, dtype=D64)
    batch = minimise(rosenbrock, x0, lo, hi)
    assert bool(batch.converged.all()) and float(batch.f.max()) < 1e-10
    assert torch.allclose(batch.x[:, 1] * torch.arange(1, 4, dtype=D64), torch.ones(3, dtype=D64), atol=1e-4)
    for r in range(3):

        def shifted(x: torch.Tensor, rows: torch.Tensor, r: int = r) -> tuple[torch.Tensor, torch.Tensor]:
            return rosenbrock(x, rows + r)

        alone = minimise(shifted, x0[r : r + 1], lo, hi)
        assert torch.equal(alone.x[0], batch.x[r]) and int(alone.iterations[0]) == int(batch.iterations[r])
    # a bound-constrained optimum: x held at the upper bound 0.5
    held = minimise(rosenbrock, x0[:1], lo, torch.tensor([0.5, 5.0], dtype=D64))
    assert float(held.x[0, 0]) == 0.5


@pytest.mark.parametrize("cls", [Kriging, CoKriging])
def test_batched_fit_matches_sequential_likelihood(cls: type[Kriging]) -> None:
    datasets = [make_data(branin_problem(), 12, 6, seed=s) for s in range(4)]
    surrogate = cls(device="cpu", seed=1)
    batched = surrogate.fit_batch(datasets)
    for data, fb in zip(datasets, batched, strict=True):
        fs = surrogate.fit(data)
        Xt = lhs(30, data.bounds, seed=0)
        if cls is Kriging:
            assert fb.info["neg_log_likelihood"] <= fs.info["neg_log_likelihood"] + 1e-3
        assert np.allclose(fb.info["theta"], fs.info["theta"], rtol=1e-4)
        assert torch.allclose(fb.predict(Xt)[0], fs.predict(Xt)[0], rtol=1e-5, atol=1e-6)


def _rebuilt(model: AR1GP, X: torch.Tensor, Y: torch.Tensor) -> AR1GP:
    xs, s = model.split_inputs(X)
    ys = (Y.squeeze(-1) - model.offset) / model.scale
    return AR1GP(
        model.params,
        torch.cat([model.train_X, xs]),
        torch.cat([model.train_s, s]),
        torch.cat([model.train_y, ys]),
        model.lower,
        model.span,
        model.offset,
        model.scale,
        model.chain_levels,
        model.mu,
        model.mean_uncertainty,
    )


@pytest.mark.parametrize("mean_uncertainty", [False, True])
def test_block_cholesky_fantasy_equals_rebuilt_model(mean_uncertainty: bool) -> None:
    fitted = CoKriging(device="cpu", mean_uncertainty=mean_uncertainty).fit(make_data(branin_problem(), 12, 6, seed=2))
    model = fitted.model
    assert isinstance(model, AR1GP) and fitted.info["jitter"] == 0.0
    X1 = torch.tensor([[0.15, 5.0, 0.5], [6.2, 10.0, 1.0]], dtype=D64)
    Y1 = torch.tensor([[1.0], [-2.0]], dtype=D64)
    X2 = torch.tensor([[3.3, 1.0, 1.0]], dtype=D64)
    Y2 = torch.tensor([[0.5]], dtype=D64)
    fast = model.condition_on_observations(X1, Y1).condition_on_observations(X2, Y2)
    slow = _rebuilt(_rebuilt(model, X1, Y1), X2, Y2)
    Xt = fitted.inputs(lhs(7, torch.tensor([[-5.0, 0.0], [10.0, 15.0]], dtype=D64), seed=1))
    for Xq in (Xt, Xt.unsqueeze(-2)):
        a, b = fast.posterior(Xq), slow.posterior(Xq)
        assert torch.allclose(a.mean, b.mean, rtol=0, atol=1e-8)
        cov_a, cov_b = a.distribution.covariance_matrix, b.distribution.covariance_matrix
        assert torch.allclose(cov_a, cov_b, rtol=0, atol=1e-8)


def test_fantasy_batches_share_the_base_factor() -> None:
    """BoTorch's fantasize shapes: X (b x q x D), Y (F x b x q x 1); posterior at F x b x 1 x D."""
    fitted = CoKriging(device="cpu").fit(make_data(branin_problem(), 12, 6, seed=2))
    model = fitted.model
    assert isinstance(model, AR1GP) and fitted.info["jitter"] == 0.0
    X = torch.tensor([[[2.0, 3.0, 0.5]], [[7.0, 12.0, 1.0]], [[-1.0, 8.0, 0.5]]], dtype=D64)  # b = 3, q = 1
    Y = torch.randn(4, 3, 1, 1, generator=torch.Generator().manual_seed(0), dtype=D64)
    fantasy = model.condition_on_observations(X, Y)
    assert fantasy.batch_shape == torch.Size([4, 3])
    Xt = 15.0 * torch.rand(4, 3, 1, 2, generator=torch.Generator().manual_seed(1), dtype=D64) - torch.tensor([5.0, 0])
    Xt = torch.cat([Xt, torch.ones_like(Xt[..., :1])], -1)
    post = fantasy.posterior(Xt)
    for f in range(4):
        for b in range(3):
            one = _rebuilt(model, X[b], Y[f, b]).posterior(Xt[f, b])
            assert torch.allclose(post.mean[f, b], one.mean, rtol=0, atol=1e-8)
            assert torch.allclose(post.variance[f, b], one.variance, rtol=0, atol=1e-8)


def test_predict_uses_marginal_variances_only(branin_data: Dataset) -> None:
    fitted = Kriging(device="cpu").fit(branin_data)
    Xt = lhs(40, branin_data.bounds, seed=3)
    joint = fitted.model.posterior(Xt)
    assert isinstance(joint, GPyTorchPosterior)
    mean, var = fitted.predict(Xt)
    assert torch.allclose(mean, joint.mean.squeeze(-1), atol=1e-10)
    assert torch.allclose(var, joint.variance.squeeze(-1), atol=1e-10)
    many = lhs(20000, branin_data.bounds, seed=4)  # a 20000 x 20000 covariance would need 3.2 GB
    m, v = fitted.predict(many)
    assert m.shape == v.shape == (20000,) and bool(torch.isfinite(v).all())


def _single(X: torch.Tensor, values: torch.Tensor) -> Dataset:
    high = Fidelity("high", 1.0, 1.0)
    obs = [Observation((float(x),), "high", float(v)) for x, v in zip(X, values, strict=True)]
    return Dataset(torch.tensor([[0.0], [1.0]], dtype=D64), (high,), obs)


def test_huge_finite_values_fit_without_overflow() -> None:
    X = torch.linspace(0, 1, 9, dtype=D64)
    values = 1e200 * torch.sin(6 * X) + 1e200
    fitted = Kriging(device="cpu").fit(_single(X, values))
    assert np.isfinite(fitted.info["neg_log_likelihood"]) and np.isfinite(fitted.info["mu"])
    mean, _ = fitted.predict(X.unsqueeze(-1))
    assert torch.allclose(mean / 1e200, values / 1e200, rtol=0, atol=1e-6)
    values[3] = -1.5e308  # max - min exceeds the float64 range: the range is taken in halves
    fitted = Kriging(device="cpu").fit(_single(X, values))
    assert np.isfinite(fitted.info["neg_log_likelihood"]) and np.isfinite(fitted.info["mu"])
    assert bool(torch.isfinite(fitted.predict(X.unsqueeze(-1))[0]).all())


@pytest.mark.parametrize("noise", ["none", "learn"])
def test_single_point_posterior_and_gradient_match_the_general_path(noise: str) -> None:
    """The closed-form q = 1 Kriging posterior (``_KrigingPoint``) gives the general path's mean,
    variance and input gradients, training points (zero variance) included."""
    data = make_data(branin_problem(), 20, 12, seed=4).restrict(["high"])
    model = Kriging(device="cpu", noise=noise).fit(data).model
    assert isinstance(model, AR1GP) and model._point_fast_path
    X_train, _ = data.tensors("high")
    X = torch.cat([lhs(7, data.bounds, seed=1), X_train[:3]]).unsqueeze(-2)
    out = {}
    for fast in (True, False):
        model._point_fast_path = fast
        x = X.clone().requires_grad_(True)
        posterior = model.posterior(x)
        mean, variance = posterior.mean, posterior.variance
        (g_mean,) = torch.autograd.grad(mean.sum(), x, retain_graph=True)
        (g_var,) = torch.autograd.grad(variance.sum(), x)
        out[fast] = (mean.detach(), variance.detach(), g_mean, g_var)
    for fast_value, general in zip(out[True], out[False], strict=True):
        assert torch.allclose(fast_value, general, rtol=1e-9, atol=1e-9 * float(general.abs().max()))


@pytest.mark.parametrize("noise", [False, True])
def test_a_selected_member_equals_the_model_built_on_its_data_alone(noise: bool) -> None:
    gen = torch.Generator().manual_seed(5)
    B, n, d, K = 3, 9, 2, 2
    X = torch.rand(B, n, d, generator=gen, dtype=D64)
    s = (torch.arange(n) >= 5).long().expand(B, n)  # 5 cheap rows, then 4 target rows
    y = torch.sin(4 * X).sum(-1) + 0.3 * s
    params = AR1Params(
        torch.rand(B, K, d, generator=gen, dtype=D64),
        torch.full((B, K, d), 2.0, dtype=D64),
        1.0 + torch.rand(B, K, generator=gen, dtype=D64),
        torch.tensor([[0.8], [1.2], [-0.5]], dtype=D64),
    )
    lower, span = torch.zeros(B, 1, d, dtype=D64), torch.ones(B, 1, d, dtype=D64)
    offset, scale = torch.tensor([0.0, 1.0, -2.0], dtype=D64), torch.tensor([1.0, 2.0, 0.5], dtype=D64)
    levels = (0.5, 1.0)
    nugget = torch.tensor([[1e-3, 2e-3], [1e-2, 1e-3], [0.0, 5e-3]], dtype=D64) if noise else None
    batch = AR1GP(params, X, s, y, lower, span, offset, scale, levels, noise=nugget)
    Xt = torch.cat([torch.rand(7, d, generator=gen, dtype=D64), torch.ones(7, 1, dtype=D64)], -1)
    for i in range(B):
        member = batch.select(i)
        alone = AR1GP(
            params.select(i), X[i], s[i], y[i], lower[i], span[i], offset[i], scale[i], levels, batch.beta[i],
            noise=None if nugget is None else nugget[i],
        )  # fmt: skip
        assert member.batch_shape == alone.batch_shape == torch.Size([])
        for a, b in ((member.posterior(Xt).mean, alone.posterior(Xt).mean),
                     (member.posterior(Xt).variance, alone.posterior(Xt).variance)):  # fmt: skip
            assert torch.allclose(a, b, rtol=1e-10, atol=1e-12)
        # its own copies: the member does not keep the batch's factor alive
        assert member.L.untyped_storage().nbytes() == n * n * 8


def _six_datasets(seed: int) -> tuple[torch.Generator, torch.Tensor, torch.Tensor, Problem]:
    """Six random 11-point datasets in d = 3 and their batched likelihood problem (p = 2)."""
    gen = torch.Generator().manual_seed(seed)
    B, n, d = 6, 11, 3
    X = torch.rand(B, n, d, generator=gen, dtype=D64)
    y = torch.sin(5 * X).sum(-1)
    return gen, X, y, Problem(Distances.of(X, 2.0), y, torch.ones(B, n, 1, dtype=D64), d)


@pytest.mark.parametrize(
    "rows",
    [
        [0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5],  # every dataset, in order: no copies
        [3, 1, 0, 2, 1, 3, 0, 2, 5, 4],  # shuffled, uneven
        [2, 0, 2, 2],  # four datasets absent
        [1] * 9 + [0],
        [5] * 12 + [0, 1, 2, 3, 4],
    ],
)
def test_grouped_rows_give_each_datasets_own_likelihood_and_gradient(rows: list[int]) -> None:
    """Each dataset's rows are one block multiplied by its own distances, read in place. (The same
    bits as alone where every matrix of a batch starts 64-byte aligned, ``n`` a multiple of 4:
    tests/surrogates/test_batch_independence.py; here ``n = 11``, where MKL's per-matrix
    algebra may round by alignment.)"""
    gen, X, y, problem = _six_datasets(2)
    n, d = X.shape[1], X.shape[2]
    data_idx = torch.tensor(rows)
    grouping = problem.dist.rows(data_idx)
    assert isinstance(grouping, Grouping) and grouping.D is problem.dist.D
    assert [b for b, _, _ in grouping.blocks] == sorted(set(rows))
    assert (grouping.order is None) == (rows == sorted(rows))
    params = torch.rand(len(rows), d, generator=gen, dtype=D64) * 2 - 1
    f, g = problem.value_and_grad(params, data_idx)
    for b in set(rows):
        mask = data_idx == b
        alone = Problem(Distances.of(X[b : b + 1], 2.0), y[b : b + 1], torch.ones(1, n, 1, dtype=D64), d)
        fa, ga = alone.value_and_grad(params[mask], torch.zeros(int(mask.sum()), dtype=torch.long))
        assert torch.allclose(f[mask], fa, rtol=1e-12, atol=1e-12)
        assert torch.allclose(g[mask], ga, rtol=1e-10, atol=1e-12)


def test_large_samples_multiply_row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    import mfopt_surrogates._likelihood as likelihood

    rows = [3, 1, 3, 0, 4, 3, 1]
    gen, X, _y, problem = _six_datasets(5)
    data_idx = torch.tensor(rows)
    assert len(problem.dist.rows(data_idx).blocks) == len(set(rows))
    params = torch.rand(len(rows), X.shape[2], generator=gen, dtype=D64) * 2 - 1
    f, g = problem.value_and_grad(params, data_idx)
    monkeypatch.setattr(likelihood, "LAZY_GRADIENT_N", X.shape[1])
    grouping = problem.dist.rows(data_idx)
    assert [(b, e - s) for b, s, e in grouping.blocks] == [(b, 1) for b in sorted(rows)]
    f_rows, g_rows = problem.value_and_grad(params, data_idx)
    assert torch.allclose(f, f_rows, rtol=1e-13, atol=1e-13)
    assert torch.allclose(g, g_rows, rtol=1e-11, atol=1e-13)


@pytest.mark.parametrize("chunk", [4_000_000, 2 * 121 * 7, 121 * 5])  # all at once, 2 datasets per chunk, split
def test_screening_scores_every_candidate_on_every_dataset(chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    import mfopt_surrogates._likelihood as likelihood

    monkeypatch.setattr(likelihood, "CHUNK_ELEMENTS", chunk)
    gen = torch.Generator().manual_seed(4)
    B, n, d, C = 5, 11, 2, 7
    X = torch.rand(B, n, d, generator=gen, dtype=D64)
    y = torch.sin(5 * X).sum(-1)
    problem = Problem(Distances.of(X, 2.0), y, torch.ones(B, n, 1, dtype=D64), d)
    candidates = torch.rand(C, d, generator=gen, dtype=D64) * 3 - 2
    screened = problem.screen(candidates)
    assert screened.shape == (C, B)
    for b in range(B):
        alone = Problem(Distances.of(X[b : b + 1], 2.0), y[b : b + 1], torch.ones(1, n, 1, dtype=D64), d)
        expected = alone.values(candidates, torch.zeros(C, dtype=torch.long))
        assert torch.allclose(screened[:, b], expected, rtol=1e-9, atol=1e-9)


def test_gaussian_correlation_summed_by_dimension_equals_the_direct_formula_with_its_gradient() -> None:
    from mfopt_surrogates._kriging_core import correlation

    gen = torch.Generator().manual_seed(7)
    X1 = torch.rand(2, 6, 4, generator=gen, dtype=D64)
    X2 = torch.rand(2, 9, 4, generator=gen, dtype=D64)
    h = torch.rand(2, 4, generator=gen, dtype=D64) * 2 - 1
    p = torch.full_like(h, 2.0)
    R = correlation(X1, X2, h, p)
    assert R.shape == (2, 6, 9)
    for b in range(2):
        expected = cf.corr(X1[b].numpy(), X2[b].numpy(), 10.0 ** h[b].numpy(), np.full(4, 2.0))
        assert np.allclose(R[b].numpy(), expected, rtol=1e-13, atol=0)
    # with autograd on the inputs (acquisition gradients): ∂R_ij/∂x1_ik = -2 θ_k (x1_ik - x2_jk) R_ij
    x = X1[0].clone().requires_grad_(True)
    (grad,) = torch.autograd.grad(correlation(x, X2[0], h[0], p[0]).sum(), x)
    R0 = R[0]
    theta = 10.0 ** h[0]
    expected_grad = (-2.0 * theta * (X1[0].unsqueeze(1) - X2[0].unsqueeze(0)) * R0.unsqueeze(-1)).sum(1)
    assert torch.allclose(grad, expected_grad, rtol=1e-12, atol=1e-14)
