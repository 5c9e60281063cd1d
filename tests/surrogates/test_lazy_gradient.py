"""Gradients only at accepted steps: ``Problem.value_then_grad`` and the L-BFGS that uses it."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from mfopt_surrogates import _likelihood as likelihood
from mfopt_surrogates._likelihood import Distances, LogThetaPrior, Problem
from mfopt_surrogates._optim import minimise

D64 = torch.float64


def _problem(B: int, n: int, d: int, seed: int, **options: object) -> Problem:
    gen = torch.Generator().manual_seed(seed)
    X = torch.rand(B, n, d, generator=gen, dtype=D64)
    y = torch.sin(5 * X).sum(-1) + 0.1 * torch.randn(B, n, generator=gen, dtype=D64)
    return Problem(Distances.of(X, 2.0), y, torch.ones(B, n, 1, dtype=D64), d, **options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("B", "rows", "options"),
    [
        (1, [0, 0, 0, 0, 0], {}),
        (1, [0, 0, 0, 0], {"prior": LogThetaPrior.dimension_scaled(3), "nugget": True}),
        (3, [0, 0, 1, 1, 2, 2], {}),  # a Grouping of three datasets; the chosen rows a new one
        (4, [3, 1, 3, 0, 2], {"nugget": True}),
    ],
)
def test_the_gradients_asked_for_later_equal_those_computed_at_once(
    B: int, rows: list[int], options: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(likelihood, "LAZY_GRADIENT_N", 10)
    d = 3
    problem = _problem(B, 24, d, 1, **options)
    gen = torch.Generator().manual_seed(3)
    m = len(rows)
    params = torch.rand(m, d + (1 if options.get("nugget") else 0), generator=gen, dtype=D64) * 2 - 1
    if options.get("nugget"):
        params[:, -1] -= 3.0
    data_idx = torch.tensor(rows)
    f, g = problem.value_and_grad(params, data_idx)
    f_lazy, gradient_of = problem.value_then_grad(params, data_idx)
    assert callable(gradient_of)
    assert torch.equal(f_lazy, f)
    assert torch.allclose(gradient_of(None), g, rtol=1e-12, atol=1e-12)
    for sel in ([0], [1, m - 1], list(range(1, m))):
        chosen = torch.tensor(sel)
        assert torch.allclose(gradient_of(chosen), g[chosen], rtol=1e-10, atol=1e-12)


def test_small_samples_large_evaluations_and_learned_p_get_their_gradients_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rows = torch.zeros(3, dtype=torch.long)
    params = torch.zeros(3, 2, dtype=D64)
    small = _problem(1, 20, 2, 0)
    assert small.dist.n < likelihood.LAZY_GRADIENT_N
    assert isinstance(small.value_then_grad(params, rows)[1], torch.Tensor)
    monkeypatch.setattr(likelihood, "LAZY_GRADIENT_N", 10)
    assert callable(small.value_then_grad(params, rows)[1])
    monkeypatch.setattr(likelihood, "CHUNK_ELEMENTS", 2 * 20 * 20)  # three rows exceed one chunk
    assert isinstance(small.value_then_grad(params, rows)[1], torch.Tensor)
    monkeypatch.setattr(likelihood, "CHUNK_ELEMENTS", 4_000_000)
    gen = torch.Generator().manual_seed(0)
    X = torch.rand(1, 20, 2, generator=gen, dtype=D64)
    learned = Problem(Distances.of(X, None), X.sum(-1), torch.ones(1, 20, 1, dtype=D64), 2)
    learned_params = torch.cat([params, torch.full_like(params, 1.5)], -1)
    assert isinstance(learned.value_then_grad(learned_params, rows)[1], torch.Tensor)


def test_the_search_reaches_the_same_optima_with_fewer_gradients(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(likelihood, "LAZY_GRADIENT_N", 10)
    d = 3
    problem = _problem(1, 30, d, 5)
    gen = torch.Generator().manual_seed(6)
    x0 = torch.rand(6, d, generator=gen, dtype=D64) * 4 - 2
    lower, upper = torch.full((d,), -6.0, dtype=D64), torch.full((d,), 5.0, dtype=D64)
    data_idx = torch.zeros(6, dtype=torch.long)
    counts = {"values": 0, "gradients": 0}

    def lazy(x: torch.Tensor, rows: torch.Tensor) -> tuple[torch.Tensor, Callable[[torch.Tensor | None], torch.Tensor]]:
        f, gradient_of = problem.value_then_grad(x, data_idx[rows])
        assert callable(gradient_of)
        counts["values"] += len(rows)

        def counted(sel: torch.Tensor | None) -> torch.Tensor:
            counts["gradients"] += len(rows) if sel is None else len(sel)
            return gradient_of(sel)

        return f, counted

    eager = minimise(lambda x, rows: problem.value_and_grad(x, data_idx[rows]), x0, lower, upper)
    result = minimise(lazy, x0, lower, upper)
    assert torch.allclose(result.f, eager.f, rtol=0, atol=1e-9)
    assert torch.allclose(result.x, eager.x, rtol=0, atol=1e-6)
    assert torch.equal(result.iterations, eager.iterations)
    # the starts and every accepted step (at least one per iteration) needed a gradient; rejected trials did not
    assert counts["gradients"] >= int(result.iterations.sum()) + len(x0)
    assert counts["gradients"] < counts["values"]
