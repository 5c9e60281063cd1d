"""Closed-form leave-one-out errors of Kriging (:mod:`mfopt_surrogates._loo`) and the selection of a
likelihood optimum by them: the residuals equal ``n`` refits without point ``i`` at the same
hyperparameters, the lower-error candidate wins and near-ties go to the higher likelihood."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from mfopt_surrogates._kriging_core import safe_cholesky
from mfopt_surrogates._likelihood import Distances, Problem, local_optima
from mfopt_surrogates._loo import LOO_TIE, correlation_matrix, loo_first, loo_mse, loo_residuals

SEED = 7


def _sample(n: int = 14, d: int = 2) -> tuple[torch.Tensor, torch.Tensor]:
    generator = torch.Generator().manual_seed(SEED)
    X = torch.rand(n, d, generator=generator, dtype=torch.float64)
    y = torch.sin(6.0 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * torch.rand(n, generator=generator, dtype=torch.float64)
    return X, y


def _brute_force(X: np.ndarray, y: np.ndarray, theta: np.ndarray, lam: float) -> np.ndarray:
    """``y_i`` minus the ordinary-Kriging prediction at ``x_i`` of the model refitted on the other
    points (constant mean re-estimated by GLS, the same θ and nugget ratio λ), for every ``i``."""
    K = np.exp(-(((X[:, None, :] - X[None, :, :]) ** 2) * theta).sum(-1)) + lam * np.eye(len(y))
    out = []
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        Ki = np.linalg.inv(K[np.ix_(keep, keep)])
        one = np.ones(keep.sum())
        mu = (one @ Ki @ y[keep]) / (one @ Ki @ one)
        out.append(y[i] - (mu + K[i, keep] @ Ki @ (y[keep] - mu)))
    return np.array(out)


@pytest.mark.parametrize("nugget", [False, True])
def test_closed_form_residuals_equal_refits_without_each_point(nugget: bool) -> None:
    X, y = _sample()
    h = torch.tensor([0.6, 1.1], dtype=torch.float64)  # log10 θ
    params = torch.cat([h, torch.tensor([-2.0], dtype=torch.float64)]) if nugget else h
    problem = Problem(Distances.of(X.unsqueeze(0), 2.0), y.unsqueeze(0), y.new_ones(1, len(y), 1), 2, nugget=nugget)
    L, jitter = safe_cholesky(correlation_matrix(problem, params.unsqueeze(0), torch.zeros(1, dtype=torch.long)))
    assert float(jitter[0]) == 0.0
    closed = loo_residuals(L, problem.y, problem.F)[0].numpy()
    brute = _brute_force(X.numpy(), y.numpy(), 10.0 ** h.numpy(), 0.01 if nugget else 0.0)
    np.testing.assert_allclose(closed, brute, rtol=1e-7, atol=1e-10)
    assert np.abs(brute).max() > 1e-3  # not a trivially zero residual
    mse = loo_mse(problem, params.unsqueeze(0), torch.zeros(1, dtype=torch.long))
    assert float(mse[0]) == pytest.approx(float((brute**2).mean()), rel=1e-7)


def _two_candidates() -> tuple[Problem, torch.Tensor, torch.Tensor]:
    """One dataset, ends: a rough θ and a smooth θ (the smooth one predicts the held-out points better)."""
    X, y = _sample(n=20)
    problem = Problem(Distances.of(X.unsqueeze(0), 2.0), y.unsqueeze(0), y.new_ones(1, len(y), 1), 2)
    ends = torch.tensor([[[3.0, 3.0]], [[0.5, 0.8]]], dtype=torch.float64)  # S x B x P
    return problem, ends, loo_mse(problem, ends.reshape(2, 2), torch.zeros(2, dtype=torch.long))


def test_selection_picks_the_lower_loo_error_over_the_higher_likelihood() -> None:
    problem, ends, mse = _two_candidates()
    assert float(mse[1]) < 0.5 * float(mse[0])
    values = torch.tensor([[-30.0], [-20.0]], dtype=torch.float64)  # the rough end has the higher likelihood
    assert torch.equal(local_optima(ends, values, 2, 1)[0, 0], ends[0, 0])  # by likelihood: the rough one
    ranked = loo_first(problem, ends, values)
    assert torch.equal(local_optima(ends, ranked, 2, 1)[0, 0], ends[1, 0])  # by LOO: the smooth one
    # the runner-up keeps its likelihood and comes second
    assert float(ranked[0, 0]) == -30.0
    assert torch.equal(local_optima(ends, ranked, 2, 2)[1, 0], ends[0, 0])


def test_near_ties_go_to_the_higher_likelihood() -> None:
    problem, ends, _ = _two_candidates()
    # the same smooth θ twice, and a copy moved within the tie margin: equal errors, so the likelihood decides
    twin = torch.cat([ends[1:], ends[1:] * (1.0 + 1e-9), ends[:1]])
    mse = loo_mse(problem, twin.reshape(3, 2), torch.zeros(3, dtype=torch.long))
    assert float(mse[1]) <= float(mse[0]) * (1.0 + LOO_TIE)
    values = torch.tensor([[-10.0], [-12.0], [-30.0]], dtype=torch.float64)
    ranked = loo_first(problem, twin, values)
    assert int(ranked[:, 0].argmin()) == 1


def test_non_finite_candidates_are_never_chosen_and_all_non_finite_keeps_the_order() -> None:
    problem, ends, _ = _two_candidates()
    values = torch.tensor([[-30.0], [float("nan")]], dtype=torch.float64)
    ranked = loo_first(problem, ends, values)
    assert float(ranked[0, 0]) == torch.finfo(torch.float64).min and ranked[1, 0].isnan()
    inf = torch.full((2, 1), float("inf"), dtype=torch.float64)
    assert torch.equal(loo_first(problem, ends, inf), inf)


def test_batched_candidates_are_scored_per_dataset() -> None:
    """Two datasets in one batch: each end scored on its own dataset (``data_idx``), as alone."""
    X, y = _sample(n=16)
    X2, y2 = X.flip(0) * 0.9, -(y.flip(0) ** 2)
    both = Problem(Distances.of(torch.stack([X, X2]), 2.0), torch.stack([y, y2]), y.new_ones(2, 16, 1), 2)
    ends = torch.tensor([[[3.0, 3.0], [1.0, 0.0]], [[0.5, 0.8], [2.0, 2.0]]], dtype=torch.float64)
    mse = loo_mse(both, ends.reshape(4, 2), torch.tensor([0, 1, 0, 1])).reshape(2, 2)
    for b, (Xb, yb) in enumerate([(X, y), (X2, y2)]):
        alone = Problem(Distances.of(Xb.unsqueeze(0), 2.0), yb.unsqueeze(0), yb.new_ones(1, 16, 1), 2)
        single = loo_mse(alone, ends[:, b], torch.zeros(2, dtype=torch.long))
        torch.testing.assert_close(mse[:, b], single, rtol=1e-12, atol=0.0)


def test_a_clipped_slope_is_refused() -> None:
    X, y = _sample()
    F = torch.stack([torch.ones_like(y), y], -1).unsqueeze(0)
    problem = Problem(Distances.of(X.unsqueeze(0), 2.0), y.unsqueeze(0), F, 2, slope_bounds=(-5.0, 5.0))
    with pytest.raises(ValueError, match="unconstrained GLS mean"):
        loo_mse(problem, torch.zeros(1, 2, dtype=torch.float64), torch.zeros(1, dtype=torch.long))
