"""Stopping conditions: small objects combined with | and &, configured from [budget]."""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path

import pytest

from mfopt import Candidate, Observation, Status, Study, parse_config
from mfopt.state import StudyState
from mfopt.stopping import AnyOf, Budget, MaxEvaluations, NoImprovement, Target, WallTime, from_budget
from tests.core.helpers import hf_problem


def _state(values: list[tuple[int, float]], pending: int = 0, cost: float = 0.0, elapsed: float = 0.0) -> StudyState:
    problem = hf_problem()
    observations = tuple(
        Observation((i / 10,), "high", v, Status.OK, 1.0, id=i + 1, iteration=it) for i, (it, v) in enumerate(values)
    )
    return StudyState(
        study_id="s",
        config=parse_config({"budget": {"total": 10}}),
        problem="p",
        bounds=problem.bounds,
        fidelities=problem.fidelities,
        observations=observations,
        pending=tuple(Candidate((0.99,), "high", 100 + k) for k in range(pending)),
        cost_committed=cost,
        remaining_budget=10 - cost,
        evaluations_left=math.inf,
        iteration=1 + max((it for it, _ in values), default=0),
        seed=0,
        run_seed=0,
        device="cpu",
        elapsed=elapsed,
    )


def test_each_condition_says_why() -> None:
    state = _state([(0, 3.0), (0, 1.0), (1, 2.0), (2, 0.5), (3, 0.7), (4, 0.9)], pending=1, cost=9.5, elapsed=12.0)
    assert Budget(10.0, min_cost=1.0).reason(state) == "budget"
    assert Budget(10.0, min_cost=0.5).reason(state) is None
    assert MaxEvaluations(7).reason(state) == "max_evaluations"  # pending ones count
    assert MaxEvaluations(8).reason(state) is None
    assert Target(0.5).reason(state) == "target" and Target(0.4).reason(state) is None
    assert WallTime(10.0).reason(state) == "wall_time" and WallTime(13.0).reason(state) is None
    assert NoImprovement(2).reason(state) == "no_improvement"  # best at iteration 2, last finished 4
    assert NoImprovement(3).reason(state) is None


def test_conditions_combine_with_or_and_and() -> None:
    state = _state([(0, 1.0), (1, 2.0)], cost=2.0)
    either = MaxEvaluations(2) | Target(-1.0)
    both = MaxEvaluations(2) & Target(-1.0)
    assert isinstance(either, AnyOf) and either.reason(state) == "max_evaluations"
    assert both.reason(state) is None
    assert (MaxEvaluations(2) & NoImprovement(1)).reason(state) == "max_evaluations+no_improvement"
    assert (Target(-1.0) | WallTime(1e9)).reason(state) is None


def test_budget_section_builds_the_condition() -> None:
    budget = parse_config({"budget": {"total": 5, "max_evaluations": 9, "patience": 3}}).budget
    condition = from_budget(budget, 0.5)
    assert isinstance(condition, AnyOf)
    assert condition.parts == (Budget(5.0, 0.5), MaxEvaluations(9), NoImprovement(3))
    with pytest.raises(Exception, match="patience"):
        parse_config({"budget": {"total": 5, "patience": 0}})


def test_patience_stops_a_run_without_improvement(tmp_path: Path) -> None:
    def flat(X):  # type: ignore[no-untyped-def]
        return X[..., 0] * 0.0 + 1.0  # nothing ever improves on the design

    config = {"budget": {"max_evaluations": 30, "patience": 3}, "design": {"samples": {"high": 3}}}
    study = Study(config, problem=hf_problem(flat), run_dir=tmp_path)
    result = study.run()
    assert result.stop_reason == "no_improvement"
    assert result.evaluations == 3 + 3 and result.iterations == 3
    assert study.store.meta()["stop_reason"] == "no_improvement"
    study.close()


def test_state_is_frozen() -> None:
    state = _state([(0, 1.0)])
    with pytest.raises(dataclasses.FrozenInstanceError):
        state.iteration = 5  # type: ignore[misc]
