"""The plateau stop and the step expansion of the batched L-BFGS (issue 13): no start crawls, and the
chosen optimum unchanged."""

from __future__ import annotations

import torch
from mfopt_surrogates._likelihood import Distances, Problem, lhs_box
from mfopt_surrogates._optim import minimise
from mfopt_surrogates.kriging import H_BOUNDS
from torch import Tensor

from tests.surrogates._data import branin

D64 = torch.float64


def _problem(n_sets: int, n: int) -> Problem:
    """Kriging likelihoods of ``n_sets`` seeded Branin samples (inputs scaled to the unit square)."""
    gen = torch.Generator().manual_seed(3)
    X = torch.rand(n_sets, n, 2, generator=gen, dtype=D64)
    lo, hi = torch.tensor([-5.0, 0.0], dtype=D64), torch.tensor([10.0, 15.0], dtype=D64)
    y = branin(lo + X.reshape(-1, 2) * (hi - lo)).reshape(n_sets, n)
    y = (y - y.amin(-1, keepdim=True)) / (y.amax(-1, keepdim=True) - y.amin(-1, keepdim=True))
    return Problem(Distances.of(X, 2.0), y, y.new_ones(n_sets, n, 1), 2)


def _run(problem: Problem, starts: Tensor, lower: Tensor, upper: Tensor, plateau: int) -> tuple[Tensor, int, int]:
    """Best nll per dataset over its starts, the number of (row) evaluations the search made and
    the most iterations a start took."""
    S, B, P = starts.shape
    data_idx = torch.arange(B).repeat(S)
    evaluated = [0]

    def fg(x: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
        evaluated[0] += len(rows)
        return problem.value_and_grad(x, data_idx[rows])

    result = minimise(fg, starts.reshape(-1, P), lower, upper, maxiter=1000, plateau=plateau)
    return result.f.reshape(S, B).amin(0), evaluated[0], int(result.iterations.max())


def test_no_start_crawls_and_the_plateau_stop_keeps_each_datasets_optimum() -> None:
    B, S = 8, 8
    problem = _problem(B, 12)
    lower, upper = torch.full((2,), H_BOUNDS[0], dtype=D64), torch.full((2,), H_BOUNDS[1], dtype=D64)
    starts = lhs_box(S * B, lower, upper, seed=0).reshape(S, B, 2)
    full, n_full, longest = _run(problem, starts, lower, upper, plateau=0)
    stopped, n_stopped, _ = _run(problem, starts, lower, upper, plateau=25)
    assert torch.isfinite(full).all()
    # no dataset's chosen optimum worse than the unstopped search's by more than 1e-3 nats
    assert float((stopped - full).max()) <= 1e-3
    # the line search lengthens steps along a downward-curving ridge (_optim._expand): without it
    # two starts ran to maxiter = 1000 here (3485 row evaluations; the plateau stop cut that to
    # 1273); with it the longest start takes 28 iterations and the whole search 1095 evaluations
    assert longest <= 50
    assert n_stopped <= n_full < 1500
    # and the third dataset's best start reaches a better optimum (-20.23; -16.26 before)
    assert float(full[2]) < -20.0


def test_plateau_stops_a_slowly_decreasing_row_before_maxiter() -> None:
    # f = 1e-6 / x on [1, 1e9]: every step decreases f by less than 1e-4 nats, never flat by ftol
    def fg(x: Tensor, rows: Tensor) -> tuple[Tensor, Tensor]:
        return (1e-6 / x).sum(-1), -1e-6 / x**2

    lower, upper = torch.ones(1, dtype=D64), torch.full((1,), 1e9, dtype=D64)
    x0 = torch.ones(1, 1, dtype=D64)
    result = minimise(fg, x0, lower, upper, maxiter=1000, ftol=0.0, gtol=0.0, plateau=25)
    assert bool(result.converged[0])
    assert int(result.iterations[0]) <= 25
