"""The gated strategy through the strategy seam: the contract suite, the registry, the config,
and a third-party strategy driving a study with no model at all."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from mfopt import Candidate, ConfigError, PluginManager, Registry, Study, get_plugin_manager, parse_config
from mfopt.cli import main
from mfopt.plugin import hookimpl
from mfopt.state import StudyState
from mfopt.strategy import Proposal, Strategy, StrategyContext, build_strategy
from mfopt.testing import check_strategy
from tests.core.helpers import bifidelity_problem, hf_problem

FAST = {"n_starts": 2}
ACQ = {"num_restarts": 2, "raw_samples": 64}


def _gated(config: dict, problem):  # type: ignore[no-untyped-def]
    parsed = parse_config(config)
    return build_strategy(parsed, problem, get_plugin_manager(), "<test>"), parsed


def test_gated_single_fidelity_meets_the_strategy_contract() -> None:
    config = {
        "budget": {"max_evaluations": 50},
        "surrogate": {"name": "kriging", **FAST},
        "acquisition": {"name": "logei", **ACQ},
    }
    strategy, parsed = _gated(config, hf_problem())
    assert [f.name for f in strategy.fidelities] == ["high"] and not strategy.needs_gradients
    check_strategy(strategy, hf_problem(), parsed)


def test_gated_multi_fidelity_meets_the_strategy_contract() -> None:
    config = {
        "budget": {"total": 50.0},
        "design": {"samples": {"low": 6, "high": 3}},
        "surrogate": {"name": "kriging", **FAST},
        "multi_surrogate": {"name": "cokriging", **FAST},
        "detector": {"name": "always"},
        "acquisition": {"name": "augmented-ei", **ACQ},
    }
    problem = bifidelity_problem()
    strategy, parsed = _gated(config, problem)
    assert [f.name for f in strategy.fidelities] == ["low", "high"]
    check_strategy(strategy, problem, parsed)


def test_gradient_models_are_the_only_ones_that_ask_for_gradients() -> None:
    strategy, _ = _gated(
        {"budget": {"max_evaluations": 5}, "surrogate": {"name": "gradient-rbf", "n_starts": 1}}, hf_problem()
    )
    assert strategy.needs_gradients


def test_plugins_json_lists_the_strategy_family(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plugins", "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [e["name"] for e in listing["families"]["strategies"]] == ["gated", "robust"]
    assert listing["families"]["strategies"][0]["plugin"] == "strategies"


def test_strategy_section_selects_and_defaults_to_gated() -> None:
    assert parse_config({"budget": {"total": 3}}).strategy.name == "gated"
    with pytest.raises(ConfigError, match=r"\[strategy\]\.name: unknown strategy 'gatd'.*did you mean 'gated'"):
        Study({"budget": {"total": 3}, "strategy": {"name": "gatd"}}, problem=hf_problem())
    with pytest.raises(ConfigError, match=r"\[strategy\].*unknown option 'colour'"):
        Study({"budget": {"total": 3}, "strategy": {"name": "gated", "colour": 1}}, problem=hf_problem())


class _Grid(Strategy):
    """A strategy with no model: the midpoints of an ever finer grid, at the target."""

    def __init__(self, context: StrategyContext, step: float = 0.25) -> None:
        self._fidelities = (context.problem.target,)
        self.step = step
        self.seen: list[StudyState] = []

    @property
    def fidelities(self):  # type: ignore[no-untyped-def]
        return self._fidelities

    def design(self, state: StudyState) -> list[Candidate]:
        return [Candidate((0.0,), "high"), Candidate((1.0,), "high")]  # then 1/2, 1/4, 3/4, 1/8...

    def propose(self, state: StudyState) -> Proposal:
        self.seen.append(state)
        taken = {o.x for o in state.observations} | {c.x for c in state.pending}
        k = 1
        while True:
            for i in range(1, 2**k, 2):
                x = (i / 2**k,)
                if x not in taken:
                    return Proposal([Candidate(x, "high")], model="grid", info={"level": k})
            k += 1


class _GridPlugin:
    @hookimpl
    def mfopt_register_strategies(self, registry: Registry) -> None:
        registry.register("grid", _Grid)


def test_a_third_party_strategy_drives_a_study_through_the_seam(tmp_path: Path) -> None:
    pm = PluginManager([("grid-plugin", _GridPlugin())])
    study = Study(
        {"budget": {"max_evaluations": 6}, "strategy": {"name": "grid", "step": 0.5}},
        problem=hf_problem(),
        plugin_manager=pm,
        run_dir=tmp_path,
    )
    result = study.run()
    xs = [o.x[0] for o in study.store.observations()]
    assert xs == [0.0, 1.0, 0.5, 0.25, 0.75, 0.125] and result.evaluations == 6
    strategy = study.strategy
    assert isinstance(strategy, _Grid) and strategy.step == 0.5
    assert [len(s.observations) for s in strategy.seen] == [2, 3, 4, 5]
    assert all(math.isinf(s.remaining_budget) and s.evaluations_left >= 1 for s in strategy.seen)
    assert [it["surrogate"] for it in study.store.iterations()] == ["grid"] * 4
    study.close()


def test_a_third_party_strategy_study_checks_its_executor_before_the_store(tmp_path: Path) -> None:
    pm = PluginManager([("grid-plugin", _GridPlugin())])
    config = {"budget": {"max_evaluations": 6}, "strategy": {"name": "grid"}, "executor": {"name": "proces"}}
    with pytest.raises(ConfigError, match=r"\[executor\]\.name"):
        Study(config, problem=hf_problem(), plugin_manager=pm, run_dir=tmp_path / "run")
    assert not (tmp_path / "run").exists() or not any((tmp_path / "run").iterdir())


def test_a_timed_out_evaluation_is_not_imputed_at_the_worst_value() -> None:
    """A failed point is fitted at the worst value seen at its fidelity, a timed-out one
    (error containing "failed-timeout", as the SOLAR problem records it) is left out."""
    import torch
    from mfopt_strategies.gated import GatedStrategy

    from mfopt.data import Dataset, Observation, Status

    config = {
        "budget": {"max_evaluations": 10},
        "surrogate": {"name": "kriging", **FAST},
        "acquisition": {"name": "logei", **ACQ},
    }
    strategy, _ = _gated(config, hf_problem())
    assert isinstance(strategy, GatedStrategy)
    problem = hf_problem()
    ok = [Observation((0.1,), "high", 1.0, Status.OK, 1.0), Observation((0.9,), "high", 4.0, Status.OK, 1.0)]
    crashed = Observation((0.5,), "high", None, Status.FAILED, 1.0, error="EvaluationError: bad output")
    slow = Observation(
        (0.3,), "high", None, Status.FAILED, 1.0, error="EvaluationError: failed-timeout: SOLAR timed out after 120 s"
    )
    data = Dataset(torch.tensor([[0.0], [1.0]], dtype=torch.float64), problem.fidelities, [*ok, crashed, slow])
    fitted = strategy.training_data(data, ["high"])
    assert sorted((o.x, o.value) for o in fitted.observations) == [((0.1,), 1.0), ((0.5,), 4.0), ((0.9,), 4.0)]
