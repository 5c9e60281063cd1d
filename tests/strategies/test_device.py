"""A CPU guard for the CUDA bug of the robust strategy's evidence (a matrix built on the default
device multiplied with the model's vector: "mat is on cpu, different from other tensors on cuda:0").

No GPU runs these tests, so the default device is switched to ``meta`` while the model stays on
the CPU: any tensor the evidence code creates without following the model's device lands on
``meta`` and meets the model's CPU tensors, which raises exactly as CPU meets CUDA. (BoTorch's own
optimisers create host tensors by design, so the acquisition search cannot be checked this way;
it is checked on the GPU by ``python -m mfopt --debug optimize examples/forrester.toml``.)
"""

from __future__ import annotations

import pytest
import torch
from mfopt_strategies.evidence import loo_target
from mfopt_strategies.robust import RobustStrategy

from mfopt import Fidelity, FunctionProblem, get_plugin_manager, parse_config
from mfopt.strategy import build_strategy
from mfopt.testing import make_state
from mfopt.testing.strategies import evaluate
from tests.core.helpers import forrester


def _fitted() -> tuple[RobustStrategy, dict[str, object]]:
    fids = [Fidelity("low", 0.5, 0.1), Fidelity("high", 1.0, 1.0)]
    fns = {"low": lambda X: 0.5 * forrester(X), "high": forrester}
    problem = FunctionProblem("half", [[0.0], [1.0]], fns, fids, -6.0207)
    config = {
        "budget": {"total": 30.0},
        "design": {"samples": {"low": 8, "high": 5}, "seed": 1},
        "strategy": {"name": "robust"},
        "surrogate": {"name": "kriging", "n_starts": 2},
        "multi_surrogate": {"name": "cokriging", "n_starts": 2},
        "acquisition": {"name": "augmented-ei", "num_restarts": 2, "raw_samples": 64},
        "run": {"device": "cpu"},
    }
    strategy = build_strategy(parse_config(config), problem, get_plugin_manager(), "<test>")
    assert isinstance(strategy, RobustStrategy)
    design = strategy.design(make_state(problem, strategy, iteration=0))
    state = make_state(problem, strategy, evaluate(problem, design))
    fits = strategy._fit_all(state.dataset(), [])
    return strategy, {"kriging": fits.shadow, "cokriging": fits.fused["low"]}


@pytest.mark.parametrize("name", ["kriging", "cokriging"])
def test_the_closed_form_loo_builds_its_system_on_the_models_device(name: str) -> None:
    _, models = _fitted()
    fitted = models[name]
    assert fitted is not None
    expected = loo_target(fitted)  # type: ignore[arg-type]
    assert expected is not None and len(expected) == 5
    with torch.device("meta"):  # a tensor made without the model's device would land here and fail
        moved = loo_target(fitted)  # type: ignore[arg-type]
    assert moved is not None
    for (x, y, p), (x2, y2, p2) in zip(expected, moved, strict=True):
        assert x2.device == x.device == torch.device("cpu")
        assert (y2, p2) == (y, p)
