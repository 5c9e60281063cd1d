"""The shared acquisition optimiser: reproducible, exact on a smooth surface, and at least as good as
BoTorch's stock ``optimize_acqf`` with the previous settings on a fitted model."""

from __future__ import annotations

import math
from typing import Any

import pytest
import torch
from botorch.acquisition import AcquisitionFunction, LogExpectedImprovement
from botorch.optim import optimize_acqf
from mfopt_acquisitions.common import maximize, multistart, quiet_optimizer
from torch import Tensor

from mfopt import Dataset, FittedSurrogate, ProposalContext, get_plugin_manager

BOX = torch.tensor([[-1.0, -1.0, -1.0], [1.0, 1.0, 1.0]], dtype=torch.float64)


class Bowl(AcquisitionFunction):
    """``-|x - c|²`` (``b x 1 x 3`` -> ``b``), maximum 0 at ``c``."""

    def __init__(self, centre: Tensor) -> None:
        super().__init__(model=None)  # type: ignore[arg-type]
        self.centre = centre

    def forward(self, X: Tensor) -> Tensor:
        return -((X[..., 0, :] - self.centre) ** 2).sum(-1)


def test_a_smooth_maximum_is_found_to_high_accuracy() -> None:
    centre = torch.tensor([0.3, -0.55, 0.8], dtype=torch.float64)
    X = maximize(Bowl(centre), BOX, 1, seed=3)
    assert torch.allclose(X[0], centre, atol=1e-5)


def test_multistart_returns_the_best_first_and_keeps_fixed_features() -> None:
    centre = torch.tensor([0.3, -0.55, 0.8], dtype=torch.float64)
    raw = BOX[0] + (BOX[1] - BOX[0]) * torch.rand(64, 1, 3, generator=torch.Generator().manual_seed(0), dtype=BOX.dtype)
    raw[..., 2] = -0.5
    found = multistart(Bowl(centre), raw, BOX, num_restarts=3, fixed_features={2: -0.5})
    assert found is not None
    points, values = found
    assert bool((values[:-1] >= values[1:]).all())
    assert bool((points[..., 2] == -0.5).all())
    assert float(values[0]) == pytest.approx(-(1.3**2), abs=1e-8)  # only the third coordinate is off


@pytest.mark.parametrize("name", ["logei", "augmented-ei", "mf-kg"])
def test_same_seed_same_proposal(name: str, bifidelity_data: Dataset, cokriging_model: FittedSurrogate) -> None:
    options: dict[str, Any] = {"num_fantasies": 2, "raw_samples": 16, "maxiter": 10} if name == "mf-kg" else {}
    context = ProposalContext(bifidelity_data.bounds, bifidelity_data.fidelities, 1, math.inf, 5, 1)
    runs = [
        get_plugin_manager()
        .acquisitions.create(name, "t", **options)
        .propose(cokriging_model, bifidelity_data, context)
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_logei_value_not_below_stock_optimize_acqf(kriging_model: FittedSurrogate, bifidelity_data: Dataset) -> None:
    _, y = bifidelity_data.tensors("high")
    acq = LogExpectedImprovement(kriging_model.model, best_f=float(y.min()), maximize=False)
    bounds = bifidelity_data.bounds.to(torch.float64)
    for seed in range(3):
        ours = maximize(acq, bounds, 1, seed)
        torch.manual_seed(seed)
        with quiet_optimizer():
            _, stock = optimize_acqf(acq, bounds, q=1, num_restarts=8, raw_samples=256, options={"seed": seed})
        assert stock is not None
        with torch.no_grad():
            assert float(acq(ours.unsqueeze(0))) >= float(stock) - 1e-6 * max(1.0, abs(float(stock)))
