"""Acquisitions never crash on a degenerate posterior (objective values near 1e200, NaN or infinite
acquisition values): they fall back to the finite part of the surface, else to space-filling points."""

from __future__ import annotations

import warnings

import pytest
import torch
from botorch.acquisition import AcquisitionFunction
from mfopt_acquisitions.common import maximize
from torch import Tensor

from mfopt import Dataset, Fidelity, Observation, ProposalContext, get_plugin_manager

HIGH = Fidelity("high", 1.0, 1.0)
BOUNDS = torch.tensor([[0.0], [1.0]], dtype=torch.float64)


class Surface(AcquisitionFunction):
    """``-(x - 0.3)^2`` where ``x < finite_below``, NaN elsewhere (``b x q x 1`` -> ``b``)."""

    def __init__(self, finite_below: float) -> None:
        super().__init__(model=None)  # type: ignore[arg-type]
        self.finite_below = finite_below

    def forward(self, X: Tensor) -> Tensor:
        x = X[..., 0, 0]
        value = -((x - 0.3) ** 2)
        return torch.where(x < self.finite_below, value, torch.full_like(value, float("nan")))


def test_nowhere_finite_gives_the_point_farthest_from_the_data() -> None:
    avoid = torch.tensor([[0.0], [0.2], [1.0]], dtype=torch.float64)
    with pytest.warns(RuntimeWarning, match="space-filling"):
        X = maximize(Surface(-1.0), BOUNDS, 2, seed=0, num_restarts=4, raw_samples=64, avoid=avoid)
    # the largest gap is (0.2, 1.0): first pick near 0.6, then the middle of the larger half left
    assert X.shape == (2, 1)
    assert float(X[0, 0]) == pytest.approx(0.6, abs=0.02)
    assert float(X[1, 0]) == pytest.approx(0.8, abs=0.03) or float(X[1, 0]) == pytest.approx(0.4, abs=0.03)


def test_partly_finite_surface_is_optimised_on_its_finite_part() -> None:
    X = maximize(Surface(0.5), BOUNDS, 1, seed=1, num_restarts=4, raw_samples=64)
    assert float(X[0, 0]) == pytest.approx(0.3, abs=1e-3)


def huge_dataset() -> Dataset:
    X = torch.linspace(0, 1, 8, dtype=torch.float64)
    values = [(float(x) - 0.3) ** 2 if x < 0.6 else 1e200 for x in X]
    return Dataset(
        BOUNDS, (HIGH,), [Observation((float(x),), "high", y, cost=1.0) for x, y in zip(X, values, strict=True)]
    )


@pytest.mark.parametrize("name", ["logei", "lcb", "augmented-ei"])
def test_objective_values_near_1e200_do_not_crash_the_acquisition(name: str) -> None:
    plugins = get_plugin_manager()
    data = huge_dataset()
    model = plugins.surrogates.create("kriging", device="cpu").fit(data)
    context = ProposalContext(BOUNDS, (HIGH,), 2 if name != "augmented-ei" else 1, 10.0, 0, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        proposed = plugins.acquisitions.create(name).propose(model, data, context)
    assert len(proposed) == context.q
    xs = [c.x[0] for c in proposed]
    assert all(0.0 <= x <= 1.0 for x in xs)
    evaluated = data.tensors("high")[0].reshape(-1).tolist()
    assert min(abs(x - e) for x in xs for e in evaluated) > 1e-3  # no repeated evaluation
