"""A member of a batched fit gets the fit it gets alone: no dataset's arithmetic depends on its batch-mates.

``benchmarks/study_speed.py --batch-check LiuAckley20 LiuDixonPrice 80 240 5`` (d = 20) found a
Co-Kriging stage 1 ending 0.38 nats apart alone and batched: the rows of a padded per-dataset grid
got last-bit different products (BLAS rounds a row according to the rows multiplied with it), and
one start's long path on a flat likelihood amplified that into another optimum.
"""

from __future__ import annotations

import pytest
import torch
from mfopt_surrogates import _likelihood as likelihood
from mfopt_surrogates._likelihood import Distances, Problem
from mfopt_surrogates.cokriging import CoKriging

from mfopt import FunctionProblem
from tests.surrogates._data import HIGH, LOW, make_data

D64 = torch.float64
D = 6


def _styblinski(X: torch.Tensor) -> torch.Tensor:
    return 0.5 * (X**4 - 16 * X**2 + 5 * X).sum(-1)


def _rosenbrock(X: torch.Tensor) -> torch.Tensor:
    return (100 * (X[..., 1:] - X[..., :-1] ** 2) ** 2 + (1 - X[..., :-1]) ** 2).sum(-1)


def _pairs() -> tuple[FunctionProblem, FunctionProblem]:
    """Two different d = 6 bi-fidelity pairs."""
    bounds = [[-2.0] * D, [2.0] * D]
    sty = FunctionProblem(
        "sty6", bounds, {"high": _styblinski, "low": lambda X: 0.8 * _styblinski(X) + 3 * X[..., 0]}, (LOW, HIGH)
    )
    ros = FunctionProblem(
        "ros6", bounds, {"high": _rosenbrock, "low": lambda X: _rosenbrock(0.9 * X) + X.sum(-1)}, (LOW, HIGH)
    )
    return sty, ros


@pytest.mark.parametrize("row_wise", [False, True])
def test_a_cokriging_stage_one_is_the_same_alone_and_batched_with_another_pair(
    row_wise: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if row_wise:  # the products of large samples (n >= LAZY_GRADIENT_N), row by row, at a test's size
        monkeypatch.setattr(likelihood, "LAZY_GRADIENT_N", 20)
    sty, ros = _pairs()
    mine = [make_data(sty, 36, 8, seed=s) for s in (1, 2, 3)]
    theirs = [make_data(ros, 36, 8, seed=s) for s in (1, 2, 3)]
    model = CoKriging(device="cpu", seed=0)
    batched = model.fit_cheap_level(mine + theirs)
    for group in (mine, theirs):
        keys = model.cheap_keys(group)
        together = model.fit_cheap_level(group).take(keys).stage  # the pair's repetitions alone
        within = batched.take(keys).stage
        # any batch of two or more datasets: the same bits
        assert torch.equal(together.nll, within.nll) and torch.equal(together.h, within.h)
        for i, data in enumerate(group):
            alone = model.fit_cheap_level([data]).stage
            assert abs(float(alone.nll[0]) - float(within.nll[i])) <= 1e-3
            assert float((alone.h[0] - within.h[i]).abs().max()) <= 1e-2


def _datasets(B: int, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    X = torch.rand(B, n, 5, generator=gen, dtype=D64)
    return X, torch.sin(5 * X).sum(-1)


@pytest.mark.parametrize("n", [12, 30])  # dataset blocks; row by row from LAZY_GRADIENT_N (set to 20)
def test_a_rows_likelihood_and_gradient_do_not_depend_on_the_other_datasets_rows(
    n: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(likelihood, "LAZY_GRADIENT_N", 20)
    X, y = _datasets(4, n, 7)
    problem = Problem(Distances.of(X, 2.0), y, torch.ones(4, n, 1, dtype=D64), 5)
    gen = torch.Generator().manual_seed(8)
    rows = [2, 0, 2, 3, 1, 2, 0, 3, 3, 3, 1]
    params = torch.rand(len(rows), 5, generator=gen, dtype=D64) * 3 - 2
    data_idx = torch.tensor(rows)
    f, g = problem.value_and_grad(params, data_idx)
    for b in range(4):
        mask = data_idx == b
        # the same rows of dataset b with another dataset's rows, and on a problem of b alone
        other = (b + 1) % 4
        mixed = torch.cat([params[mask], params[data_idx == other]])
        mixed_idx = torch.cat([data_idx[mask], data_idx[data_idx == other]])
        fm, gm = problem.value_and_grad(mixed, mixed_idx)
        alone = Problem(Distances.of(X[b : b + 1], 2.0), y[b : b + 1], torch.ones(1, n, 1, dtype=D64), 5)
        fa, ga = alone.value_and_grad(params[mask], torch.zeros(int(mask.sum()), dtype=torch.long))
        k = int(mask.sum())
        assert torch.equal(f[mask], fa) and torch.equal(g[mask], ga)
        assert torch.equal(fm[:k], fa) and torch.equal(gm[:k], ga)


def test_chunks_cut_between_datasets() -> None:
    idx = torch.arange(5).repeat_interleave(8)
    assert likelihood.chunks(idx, 100) == [(0, 40)]
    assert likelihood.chunks(torch.arange(40).repeat_interleave(8), 100)[:2] == [(0, 96), (96, 192)]
    # a dataset larger than a chunk is cut from its own first row
    assert likelihood.chunks(torch.arange(3).repeat_interleave(160), 100) == [
        (0, 100), (100, 160), (160, 260), (260, 320), (320, 420), (420, 480),
    ]  # fmt: skip
    assert likelihood.chunks(torch.tensor([1, 0, 1, 0, 1]), 2) == [(0, 2), (2, 4), (4, 5)]  # unsorted: plain
