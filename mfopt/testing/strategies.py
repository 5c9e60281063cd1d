"""The contract suite for proposal strategies (:class:`mfopt.strategy.Strategy`)."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

import torch

from mfopt.config import StudyConfig, parse_config
from mfopt.data import DTYPE, Candidate, Decision, Observation, Status
from mfopt.problem import Problem
from mfopt.state import StudyState
from mfopt.strategy import Proposal, Strategy


def make_state(
    problem: Problem,
    strategy: Strategy,
    observations: Sequence[Observation] = (),
    pending: Sequence[Candidate] = (),
    *,
    config: StudyConfig | Mapping[str, Any] | None = None,
    iteration: int = 1,
    seed: int = 0,
) -> StudyState:
    """A :class:`StudyState` of ``problem`` holding ``observations`` and ``pending`` candidates,
    with an unbounded budget unless ``config`` says otherwise (as a study would build it)."""
    if not isinstance(config, StudyConfig):
        config = parse_config(dict(config or {"budget": {"max_evaluations": 1000}}))
    fidelities = [o.fidelity for o in observations] + [c.fidelity for c in pending]
    cost = sum(strategy_cost(strategy, name) for name in fidelities)
    total = config.budget.total
    slots = config.budget.max_evaluations
    return StudyState(
        study_id="contract",
        config=config,
        problem=problem.name,
        bounds=problem.bounds,
        fidelities=strategy.fidelities,
        observations=tuple(observations),
        pending=tuple(pending),
        cost_committed=cost,
        remaining_budget=math.inf if total is None else total - cost,
        evaluations_left=math.inf if slots is None else slots - len(fidelities),
        iteration=iteration,
        seed=seed,
        run_seed=0,
        device="cpu",
        elapsed=0.0,
    )


def strategy_cost(strategy: Strategy, fidelity: str) -> float:
    return next(f.cost for f in strategy.fidelities if f.name == fidelity)


def evaluate(problem: Problem, candidates: Sequence[Candidate], first_id: int = 1) -> list[Observation]:
    """Observations of ``candidates`` on ``problem`` (ids numbered from ``first_id``)."""
    out = []
    for i, c in enumerate(candidates):
        y = float(problem.evaluate(torch.tensor([c.x], dtype=DTYPE), c.fidelity)[0])
        cost = problem.fidelity(c.fidelity).cost
        out.append(Observation(c.x, c.fidelity, y, Status.OK, cost, id=first_id + i, iteration=c.iteration))
    return out


def _check_candidates(candidates: Sequence[Candidate], strategy: Strategy, state: StudyState, what: str) -> None:
    names = {f.name for f in strategy.fidelities}
    lb, ub = state.bounds
    for c in candidates:
        assert isinstance(c, Candidate), f"{what}: {c!r} is not a Candidate"
        assert c.fidelity in names, f"{what}: fidelity {c.fidelity!r} is not one of the strategy's {sorted(names)}"
        x = torch.tensor(c.x, dtype=DTYPE)
        assert x.shape == lb.shape, f"{what}: candidate {c.x} has the wrong dimension"
        assert bool(torch.isfinite(x).all()), f"{what}: candidate {c.x} is not finite"
        assert bool(((x >= lb - 1e-9) & (x <= ub + 1e-9)).all()), f"{what}: candidate {c.x} lies outside the bounds"


def check_strategy(strategy: Strategy, problem: Problem, config: StudyConfig | Mapping[str, Any] | None = None) -> None:
    """A strategy declares ordered fidelities ending with the problem's target; its design and its
    proposals lie in the box at those fidelities; the same state gives the same proposal; a
    proposal carries Decisions and JSON-serialisable info; and a proposal made while candidates
    are pending does not repeat them."""
    fidelities = strategy.fidelities
    levels = [f.level for f in fidelities]
    assert fidelities, "a strategy uses at least the target fidelity"
    assert levels == sorted(levels), "fidelities must be ordered by level"
    assert fidelities[-1].name == problem.target.name, "the last fidelity is the problem's target"
    assert {f.name for f in fidelities} <= {f.name for f in problem.fidelities}, "unknown fidelities"
    assert isinstance(strategy.needs_gradients, bool), "needs_gradients is a bool"

    empty = make_state(problem, strategy, config=config, iteration=0)
    design = strategy.design(empty)
    _check_candidates(design, strategy, empty, "design")
    assert strategy.design(empty) == design, "the same state must give the same design"
    assert any(c.fidelity == problem.target.name for c in design) or not design, "a design samples the target"

    observations = evaluate(problem, design)
    state = make_state(problem, strategy, observations, config=config, seed=11)
    first = strategy.propose(state)
    assert isinstance(first, Proposal), "propose must return a Proposal"
    assert first.candidates, "with budget left and data in hand a strategy proposes something"
    _check_candidates(first.candidates, strategy, state, "proposal")
    assert all(isinstance(d, Decision) for d in first.decisions), "decisions must be Decision objects"
    json.dumps(dict(first.info), default=str)
    assert state.observations == tuple(observations), "propose must not change the state"
    again = strategy.propose(state)
    assert [c.x for c in again.candidates] == [c.x for c in first.candidates], "same state, same proposal"

    pending = [replace(c, id=len(observations) + i + 1) for i, c in enumerate(first.candidates)]
    busy = make_state(problem, strategy, observations, pending, config=config, seed=11)
    after = strategy.propose(busy)
    _check_candidates(after.candidates, strategy, busy, "proposal with pending candidates")
    span = (busy.bounds[1] - busy.bounds[0]).tolist()
    for c in after.candidates:
        for p in pending:
            same = c.fidelity == p.fidelity and all(
                abs(a - b) <= 1e-6 * s for a, b, s in zip(c.x, p.x, span, strict=True)
            )
            assert not same, f"proposed {c.x} at {c.fidelity!r} again while it is pending"
