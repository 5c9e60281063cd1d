"""The ``robust`` strategy: evidence (closed-form LOO, detector prior, prequential scores), the
gate closing on a harmful source, the spending control, three fidelities judged separately, and
the contract suite."""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

import pytest
import torch
from mfopt_strategies.evidence import SourceEvidence, loo_target, neighbourhood_sizes, prior_vote
from mfopt_strategies.robust import RobustStrategy
from torch import Tensor

from mfopt import Candidate, Decision, Fidelity, FunctionProblem, Study, get_plugin_manager, parse_config
from mfopt.data import Dataset, Observation, Status
from mfopt.errors import ConfigError
from mfopt.strategy import build_strategy
from mfopt.testing import check_strategy, make_state
from mfopt.testing.strategies import evaluate
from tests.core.helpers import bifidelity_problem, forrester

FAST = {"n_starts": 2}
ACQ = {"num_restarts": 2, "raw_samples": 64}


def _config(extra: dict | None = None) -> dict:  # type: ignore[type-arg]
    return {
        "budget": {"total": 30.0},
        "design": {"samples": {"low": 6, "high": 4}, "seed": 1},
        "strategy": {"name": "robust"},
        "surrogate": {"name": "kriging", **FAST},
        "multi_surrogate": {"name": "cokriging", **FAST},
        "detector": {"name": "guideline"},
        "acquisition": {"name": "augmented-ei", **ACQ},
        **(extra or {}),
    }


def _robust(config: dict, problem: FunctionProblem) -> RobustStrategy:  # type: ignore[type-arg]
    strategy = build_strategy(parse_config(config), problem, get_plugin_manager(), "<test>")
    assert isinstance(strategy, RobustStrategy)
    return strategy


def negated(X: Tensor) -> Tensor:
    """A cheap source the AR1 model cannot use: Forrester mirrored (its minimum at x = 0.24)."""
    return forrester(1.0 - X)


def shifted(X: Tensor) -> Tensor:
    """A helpful cheap source: the Forrester function plus a constant."""
    return forrester(X) + 2.0


def scaled(X: Tensor) -> Tensor:
    """A helpful cheap source the AR1 model represents exactly: half the Forrester function."""
    return 0.5 * forrester(X)


def harmful_problem() -> FunctionProblem:
    fids = [Fidelity("low", 0.5, 0.1), Fidelity("high", 1.0, 1.0)]
    return FunctionProblem("harmful", [[0.0], [1.0]], {"low": negated, "high": forrester}, fids, -6.0207)


def test_robust_meets_the_strategy_contract() -> None:
    problem = bifidelity_problem()
    strategy = _robust(_config(), problem)
    assert [f.name for f in strategy.fidelities] == ["low", "high"]
    check_strategy(strategy, problem, parse_config(_config()))


def test_the_design_is_a_paired_probe_with_the_hf_only_design() -> None:
    problem = bifidelity_problem()
    strategy = _robust(_config(), problem)
    design = strategy.design(make_state(problem, strategy, iteration=0))
    hf = [c.x for c in design if c.fidelity == "high"]
    lf = [c.x for c in design if c.fidelity == "low"]
    assert len(hf) == 4 and sorted(hf) == sorted(lf)  # the cheap source at the HF points only
    single = {k: v for k, v in _config().items() if k not in ("multi_surrogate", "detector", "strategy")}
    single["acquisition"] = {"name": "logei", **ACQ}
    single["design"] = {"samples": {"high": 4}, "seed": 1}
    twin = build_strategy(parse_config(single), problem, get_plugin_manager(), "<test>")
    assert [c.x for c in twin.design(make_state(problem, twin, iteration=0))] == hf


def test_closed_form_loo_equals_the_explicit_leave_one_out_kriging_prediction() -> None:
    """Dubrule's formula against the universal-kriging prediction of each point from the others
    (covariance of the fitted model, constant mean re-estimated without the point)."""
    problem = bifidelity_problem()
    strategy = _robust(_config(), problem)
    X = torch.tensor([[0.05], [0.2], [0.37], [0.55], [0.7], [0.93]], dtype=torch.float64)
    obs = [Observation(tuple(x.tolist()), "high", float(forrester(x[None])[0]), Status.OK, 1.0) for x in X]
    fitted = strategy.surrogate.fit(Dataset(problem.bounds, (problem.fidelities[-1],), obs))
    loo = loo_target(fitted)
    assert loo is not None and len(loo) == 6
    model: Any = fitted.model
    C = model.L @ model.L.T
    y = model.train_y
    scale, offset = float(model.scale), float(model.offset)
    for i, (_, yi, pred) in enumerate(loo):
        keep = [j for j in range(6) if j != i]
        Ci = C[keep][:, keep]
        c = C[keep, i]
        ones = C.new_ones(5)  # where the model lives (the GPU on a CUDA machine)
        a = torch.linalg.solve(Ci, ones)
        mu = float(a @ y[keep] / a.sum())
        w = torch.linalg.solve(Ci, c)
        mean = mu + float(w @ (y[keep] - mu))
        var = float(C[i, i] - c @ w + (1 - ones @ w) ** 2 / a.sum())
        assert math.isclose(yi, offset + scale * float(y[i]), rel_tol=1e-12)
        assert math.isclose(pred.mean, offset + scale * mean, rel_tol=1e-6, abs_tol=1e-8)
        assert math.isclose(pred.var, scale**2 * var, rel_tol=1e-5, abs_tol=1e-12)


def test_the_detector_prior_ignores_budget_rules_and_one_point_neighbourhoods() -> None:
    bounds = torch.tensor([[0.0, 0.0], [1.0, 1.0]], dtype=torch.float64)
    spread = torch.tensor([[0.0, 0.0], [1.0, 1.0], [0.0, 1.0]], dtype=torch.float64)
    sizes = neighbourhood_sizes(spread, bounds)
    assert sizes == [1, 1, 1]  # radius 0.2^(1/2)·√2 ≈ 0.63 holds no neighbour
    harmful = Decision(False, {}, "guideline.1c: LCC_0.4 <= 0.7", "")
    assert prior_vote(harmful, sizes)[0] == 0.0
    assert "one point" in prior_vote(harmful, sizes)[1]
    clustered = torch.tensor([[0.1, 0.1], [0.2, 0.1], [0.15, 0.2]], dtype=torch.float64)
    assert prior_vote(harmful, neighbourhood_sizes(clustered, bounds))[0] == -1.0
    assert prior_vote(Decision(False, {}, "guideline.1b: n_h = n_l", ""), sizes)[0] == 0.0
    assert prior_vote(Decision(True, {}, "toal: CC >= 0.7", ""), sizes)[0] == 1.0


def test_the_gate_closes_on_a_harmful_source_and_stays_near_hf_only(tmp_path: Path) -> None:
    """Mirrored Forrester as the cheap source: the prequential points close the gate, and the cheap
    source gets a bounded share of the budget."""
    config = _config({"budget": {"total": 12.0}, "design": {"samples": {"low": 6, "high": 3}, "seed": 2}})
    config["run"] = {"seed": 2}
    with Study(config, run_dir=tmp_path / "run", problem=harmful_problem()) as study:
        result = study.run()
        records = study.store.decisions()
        iterations = study.store.iterations()
    last = records[-1]
    assert not last.decision.use_low, last.decision.reason
    assert last.decision.features["preq_points"] >= 2
    assert last.decision.features["preq_advantage"] < 0
    low = sum(o.cost for o in study.dataset.observations if o.fidelity == "low" and o.iteration >= 1)
    assert low <= 1.0  # at most 10 cheap points in a 12-unit run
    assert result.best is not None and result.best.value is not None and result.best.value < -5.0
    assert all("rule" in it["info"] for it in iterations)


def _helpful_state(config: dict, proven: bool) -> tuple[RobustStrategy, FunctionProblem, Any, list[Observation]]:  # type: ignore[type-arg]
    """A helpful cheap source (half the target: co-kriging represents it exactly) after the design
    and three cheap-only iterations; with ``proven``, one target point evaluated after the design
    (iteration 1) has scored both models."""
    fids = [Fidelity("low", 0.5, 0.1), Fidelity("high", 1.0, 1.0)]
    problem = FunctionProblem("helpful", [[0.0], [1.0]], {"low": scaled, "high": forrester}, fids, -6.0207)
    strategy = _robust(config, problem)
    design = strategy.design(make_state(problem, strategy, iteration=0))
    shift = 1 if proven else 0
    cheap = [Candidate((x,), "low", None, it + shift) for it, x in ((1, 0.3), (1, 0.8), (2, 0.45), (3, 0.15))]
    tested = [Candidate((0.6,), "high", None, 1)] if proven else []
    obs = evaluate(problem, [*design, *tested, *cheap])
    state = make_state(problem, strategy, obs, config=parse_config(config), iteration=4 + shift, seed=5)
    return strategy, problem, state, obs


def test_spending_control_forces_a_target_point_after_k_cheap_iterations() -> None:
    """Gate open on a helpful source that has been scored on a new target point: after three
    cheap-only iterations the next proposal is a target evaluation chosen by the target
    acquisition on the fused model (the better one here), whatever the multi-fidelity acquisition
    prefers, and the stored decision says so."""
    config = _config({"strategy": {"name": "robust", "max_cheap_run": 3}})
    strategy, _, state, _ = _helpful_state(config, proven=True)
    proposal = strategy.propose(state)
    assert [c.fidelity for c in proposal.candidates] == ["high"]
    assert proposal.info["cheap_run"] == 3
    assert proposal.info["better_model"] == proposal.info["steering_model"] == "low"
    assert proposal.decisions[0].use_low and proposal.decisions[0].detector == "robust"
    assert proposal.decisions[0].features["preq_points"] == 1
    assert proposal.info["rule"].startswith("spending control (3 cheap-only iterations in a row")
    assert proposal.info["rule"].endswith("the target acquisition on the fused model")
    assert "Rule applied: spending control" in proposal.decisions[0].reason
    x = proposal.candidates[0].x[0]
    assert abs(x - 0.7572) < 0.02  # the minimiser of f_h, which the fused model knows from the cheap data
    assert proposal.info["predictions"][0]["shadow"]  # the prequential record of the new target point


def test_an_unproven_source_does_not_place_target_points() -> None:
    """The same source before any target point has scored it (its score rests on the detector's
    vote and LOO, which is optimistic for fusion): the forced target point is the high-fidelity-only
    loop's proposal (Kriging + LogEI on the target points alone, as the twin run would make it),
    not the fused model's; with ``steer_after = 0`` the fused model places it."""
    config = _config({"strategy": {"name": "robust", "max_cheap_run": 3}})
    strategy, problem, state, obs = _helpful_state(config, proven=False)
    proposal = strategy.propose(state)
    assert proposal.info["better_model"] == "low" and proposal.info["steering_model"] == "shadow"
    assert proposal.decisions[0].use_low and proposal.decisions[0].features["preq_points"] == 0
    assert proposal.info["rule"].startswith("spending control (3 cheap-only iterations in a row")
    assert "the target acquisition on the shadow model" in proposal.info["rule"]
    assert "scored on fewer than 1 new target points" in proposal.info["rule"]
    single = {k: v for k, v in config.items() if k not in ("multi_surrogate", "detector", "strategy")}
    single["acquisition"] = {"name": "logei", **ACQ}
    single["design"] = {"samples": {"high": 4}, "seed": 1}
    twin = build_strategy(parse_config(single), problem, get_plugin_manager(), "<test>")
    hf_obs = [o for o in obs if o.fidelity == "high"]
    twin_state = make_state(problem, twin, hf_obs, config=parse_config(single), iteration=4, seed=5)
    expected = twin.propose(twin_state).candidates[0].x[0]
    assert [c.fidelity for c in proposal.candidates] == ["high"]
    assert proposal.candidates[0].x[0] == pytest.approx(expected, abs=1e-6)
    fused_config = _config({"strategy": {"name": "robust", "max_cheap_run": 3, "steer_after": 0}})
    eager, _, eager_state, _ = _helpful_state(fused_config, proven=False)
    eager_proposal = eager.propose(eager_state)
    assert eager_proposal.info["steering_model"] == "low"
    assert eager_proposal.info["rule"].endswith("the target acquisition on the fused model")


def test_a_proven_fused_model_places_every_second_target_point_at_its_mean_minimiser() -> None:
    """Strong positive evidence (five new target points scored, the co-kriging of a scaled source
    predicts them exactly): the sixth target point after the design (``exploit_every = 2``) goes to
    the fused model's posterior-mean minimiser, which the cheap data place at the minimiser of f_h;
    with ``exploit_every = 0`` it is the target acquisition's point."""
    fids = [Fidelity("low", 0.5, 0.1), Fidelity("high", 1.0, 1.0)]
    problem = FunctionProblem("helpful", [[0.0], [1.0]], {"low": scaled, "high": forrester}, fids, -6.0207)
    shares = {"hf_share_weak": 1.0, "hf_share_strong": 1.0}  # every cheap proposal becomes a target point
    proposals = {}
    for every in (2, 0):
        config = _config({"strategy": {"name": "robust", "exploit_every": every, **shares}})
        config["design"] = {"samples": {"low": 8, "high": 3}, "seed": 1}
        strategy = _robust(config, problem)
        design = strategy.design(make_state(problem, strategy, iteration=0))
        later = [Candidate((x,), "low", None, 1) for x in (0.3, 0.65, 0.72, 0.78, 0.85)]
        hf = ((1, 0.6), (2, 0.2), (3, 0.9), (4, 0.45), (5, 0.05))
        later += [Candidate((x,), "high", None, it) for it, x in hf]
        obs = evaluate(problem, [*design, *later])
        state = make_state(problem, strategy, obs, config=parse_config(config), iteration=6, seed=5)
        proposals[every] = strategy.propose(state)
    exploit, plain = proposals[2], proposals[0]
    features = exploit.decisions[0].features
    assert features["preq_points"] == 5 and features["evidence_score"] >= 0.5  # strong and positive
    assert exploit.info["steering_model"] == "low"
    assert "the 'low' model's posterior-mean minimiser" in exploit.info["rule"]
    x = exploit.candidates[0].x[0]
    assert [c.fidelity for c in exploit.candidates] == ["high"] and abs(x - 0.7572) < 0.005
    assert "posterior-mean minimiser" not in plain.info["rule"]
    assert plain.info["rule"].endswith("the fused model") or plain.info["rule"].endswith("chose the target")


def _three_fidelity_decisions() -> tuple[dict[str, Any], Any]:
    fids = [Fidelity("bad", 0.2, 0.05), Fidelity("good", 0.5, 0.1), Fidelity("high", 1.0, 1.0)]
    fns = {"bad": negated, "good": scaled, "high": forrester}
    problem = FunctionProblem("three", [[0.0], [1.0]], fns, fids, -6.0207)
    config = _config({"design": {"samples": {"high": 4}, "seed": 1}})
    strategy = _robust(config, problem)
    design = strategy.design(make_state(problem, strategy, iteration=0))
    assert {c.fidelity for c in design} == {"bad", "good", "high"}
    state = make_state(problem, strategy, evaluate(problem, design), config=parse_config(config), seed=3)
    proposal = strategy.propose(state)
    return {d.source: d for d in proposal.decisions}, proposal


def test_three_fidelities_are_judged_each_on_its_own() -> None:
    by_source, proposal = _three_fidelity_decisions()
    assert set(by_source) == {"bad", "good"}
    good, bad = by_source["good"], by_source["bad"]
    assert good.features["loo_advantage"] >= bad.features["loo_advantage"]
    assert good.use_low and good.reason.startswith("gate open for 'good'")
    assert bad.reason.startswith("gate ") and "for 'bad'" in bad.reason
    assert all(repr(n) in d.reason for n, d in by_source.items())  # each verdict names its own source
    assert set(proposal.info["evidence"]) == {"bad", "good"}


def test_three_fidelities_the_helpful_source_scores_higher() -> None:
    """The mirrored source gains nothing under LOO (Co-Kriging's difference stage does not fit a
    degenerate exact polynomial on the 4 paired points: cokriging.dof_is_bounded)."""
    by_source, _ = _three_fidelity_decisions()
    assert by_source["good"].features["evidence_score"] > by_source["bad"].features["evidence_score"]


def test_a_resumed_study_rescores_the_target_points_proposed_before(tmp_path: Path) -> None:
    """Ask/tell a few iterations, close, resume in a new study (a new strategy, no memory): the
    prequential evidence counts every target point proposed after the design, refitted from the store."""
    problem = bifidelity_problem()
    config = _config({"budget": {"total": 9.0}, "design": {"samples": {"low": 5, "high": 3}, "seed": 1}})
    told_hf = 0
    with Study(config, run_dir=tmp_path, problem=problem) as study:
        for _ in range(6):
            batch = study.ask()
            for c in batch:
                y = float(problem.evaluate(torch.tensor([c.x], dtype=torch.float64), c.fidelity)[0])
                study.tell(c, y)
                told_hf += c.fidelity == "high" and c.iteration >= 1
    assert told_hf >= 1
    with Study(config, run_dir=tmp_path, problem=problem, resume=True) as resumed:
        batch = resumed.ask()
        assert batch
        last = resumed.store.decisions()[-1].decision
    assert last.features["preq_points"] == told_hf
    assert math.isfinite(last.features["preq_advantage"])


def test_the_last_affordable_target_evaluation_confirms_the_better_models_mean_minimiser() -> None:
    """The recommendation that uses the cheap data: with budget for one more target evaluation
    only, it goes to the minimiser of the better model's target posterior mean (here the
    co-kriging, which knows the minimiser from the cheap points), inside the budget."""
    fids = [Fidelity("low", 0.5, 0.1), Fidelity("high", 1.0, 1.0)]
    problem = FunctionProblem("helpful", [[0.0], [1.0]], {"low": scaled, "high": forrester}, fids, -6.0207)
    config = _config({"budget": {"total": 6.3}})
    strategy = _robust(config, problem)
    design = strategy.design(make_state(problem, strategy, iteration=0))
    cheap = [Candidate((x,), "low", None, 1) for x in (0.3, 0.8, 0.45, 0.15)]
    obs = evaluate(problem, [*design, *cheap])
    state = make_state(problem, strategy, obs, config=parse_config(config), iteration=2, seed=3)
    assert 1.0 <= state.remaining_budget < 2.0
    proposal = strategy.propose(state)
    assert proposal.info["rule"].startswith("confirmation: the last affordable target evaluation")
    assert [c.fidelity for c in proposal.candidates] == ["high"]
    assert proposal.info["recommendation"]["model"] == proposal.info["better_model"] == "low"
    x = proposal.candidates[0].x[0]
    assert abs(x - 0.7572) < 0.02 and proposal.info["recommendation"]["x"] == [x]
    best_design = min(o.value for o in obs if o.fidelity == "high" and o.value is not None)
    assert float(forrester(torch.tensor([[x]]))[0]) < best_design  # the confirmation improves on the design


def test_the_cap_on_cheap_spending_forces_a_target_point_and_trims_the_cheap_design() -> None:
    """Whatever the evidence says, the cheap sources take at most ``cheap_cap_weak`` of the budget
    left after the design: a cheap proposal past the cap becomes a target evaluation, and the cheap
    design's extension is cut to what the cap pays for."""
    fids = [Fidelity("low", 0.5, 0.1), Fidelity("high", 1.0, 1.0)]
    problem = FunctionProblem("helpful", [[0.0], [1.0]], {"low": scaled, "high": forrester}, fids, -6.0207)
    options = {"name": "robust", "max_cheap_run": 10, "hf_share_weak": 0.0, "hf_share_strong": 0.0}
    config = _config({"budget": {"total": 8.0}, "strategy": {**options, "cheap_cap_weak": 0.1}})
    strategy = _robust(config, problem)
    design = strategy.design(make_state(problem, strategy, iteration=0))  # 4 paired points: 4.4 units
    cheap = [Candidate((x,), "low", None, it) for it, x in ((1, 0.3), (1, 0.8), (2, 0.45), (3, 0.15))]
    state = make_state(
        problem, strategy, evaluate(problem, [*design, *cheap]), config=parse_config(config), iteration=4
    )
    proposal = strategy.propose(state)
    assert math.isclose(proposal.info["cheap_cap"], 0.1 * 3.6)  # 10 % of the 3.6 units after the design
    assert [c.fidelity for c in proposal.candidates] == ["high"]
    assert "> cap 0.36" in proposal.info["rule"], proposal.info["rule"]
    assert proposal.decisions[0].features["cheap_cap"] == proposal.info["cheap_cap"]
    # at the first decision the cheap design (12 points wanted) grows only by what 20 % of 3.6 pays for
    wide = _config({"budget": {"total": 8.0}, "design": {"samples": {"low": 12, "high": 4}, "seed": 1}})
    wide["strategy"] = {**options, "cheap_cap_weak": 0.2}
    strategy = _robust(wide, problem)
    state = make_state(problem, strategy, evaluate(problem, design), config=parse_config(wide), iteration=1)
    proposal = strategy.propose(state)
    assert proposal.info["rule"].startswith("gate opened for 'low'"), proposal.info["rule"]
    assert [c.fidelity for c in proposal.candidates] == ["low"] * 7  # int(0.72 / 0.1) of the 8 missing
    assert "(of 12: the cap on cheap spending" in proposal.info["rule"]


def test_robust_options_are_checked_by_its_option_model(tmp_path: Path) -> None:
    """A bad ``[strategy]`` option is one ``ConfigError`` naming the section and the key, raised
    before the run store exists; the registry lists the model's options."""
    problem = bifidelity_problem()
    cases = {
        "hf_share_weak": (1.5, "[strategy].hf_share_weak"),
        "max_cheap_run": (0, "[strategy].max_cheap_run"),
        "undersampled_growth": (0.5, "[strategy].undersampled_growth"),
        "cheap_cap_weak": (0.5, "cheap_cap_strong (0.3) is below cheap_cap_weak (0.5)"),
        "cap": (0.1, "unknown option 'cap'"),
    }
    for key, (value, message) in cases.items():
        config = _config({"strategy": {"name": "robust", key: value}})
        with pytest.raises(ConfigError, match=re.escape(message)):
            Study(config, run_dir=tmp_path / key, problem=problem)
        assert not (tmp_path / key).exists()
    model = get_plugin_manager().strategies.get("robust").options_model()
    assert model is not None and {"cheap_cap_weak", "cheap_cap_strong", "hf_acquisition"} <= set(model.model_fields)
    strategy = _robust(_config({"strategy": {"name": "robust", "cheap_cap_strong": 0.4}}), problem)
    assert (strategy.cheap_cap_weak, strategy.cheap_cap_strong) == (0.15, 0.4)


def test_a_source_below_the_spend_score_steers_but_gets_no_cheap_evaluations() -> None:
    """A helpful source judged on two new target points: with ``spend_score`` above anything the
    clipped score can reach, the cheap point the acquisition wants becomes a target evaluation (the
    rule says why) while the fused model stays the steering one; with a low ``spend_score`` the
    same state gets the cheap point."""
    fids = [Fidelity("low", 0.5, 0.1), Fidelity("high", 1.0, 1.0)]
    problem = FunctionProblem("helpful", [[0.0], [1.0]], {"low": scaled, "high": forrester}, fids, -6.0207)
    proposals = {}
    for spend in (10.0, -10.0):
        options = {"spend_score": spend, "hf_share_weak": 0.0, "hf_share_strong": 0.0, "exploit_every": 0}
        options["undersampled_q2"] = 0.0  # the spend score alone (six cheap points are under-sampled)
        config = _config({"strategy": {"name": "robust", **options}})
        strategy = _robust(config, problem)
        design = strategy.design(make_state(problem, strategy, iteration=0))
        later = [Candidate((0.6,), "high", None, 1), Candidate((0.2,), "high", None, 2)]
        later += [Candidate((x,), "low", None, 3) for x in (0.3, 0.8)]
        obs = evaluate(problem, [*design, *later])
        state = make_state(problem, strategy, obs, config=parse_config(config), iteration=4, seed=5)
        proposals[spend] = strategy.propose(state)
    strict, lenient = proposals[10.0], proposals[-10.0]
    assert strict.decisions[0].features["preq_points"] == 2 and strict.decisions[0].use_low
    assert strict.info["steering_model"] == "low"
    assert [c.fidelity for c in strict.candidates] == ["high"]
    assert "is below the 10 nats a cheap evaluation needs" in strict.info["rule"]
    assert {c.fidelity for c in lenient.candidates} == {"low"}
    assert lenient.info["rule"] == "gate open: the acquisition chose a cheap source"


def test_an_under_sampled_cheap_source_stays_on_probation_and_is_sampled(tmp_path: Path) -> None:
    """The benchmark's ShiGramacyLee seed 4 (docs/benchmark_gate.md; the cheap source is exactly
    2 x the target, budget 10·d after the design). The fused model, whose cheap data are too few for
    the five periods of sin(10πx), predicts the first new target points at the clip and its score
    falls below zero. With ``undersampled_q2 = 0`` the gate closes for good and the run ends in the
    high-fidelity-only loop's local minimum. With the default the source is under-sampled (its
    own model's LOO Q² is below 0.9 while the fused LOO is better than the shadow's): the gate stays
    on probation, cheap points go where the cheap model is most uncertain (inside the cap), and the
    run reaches the global minimum."""
    from tests.scripts import load_benchmark

    optimisation = load_benchmark("optimisation")
    problem = optimisation.make_problem("ShiGramacyLee", 0.1)
    ends = {}
    for q2 in (0.0, 0.9):
        cfg = optimisation.config("ShiGramacyLee", "robust", 4, 1, False, 0.1, problem, 10.0)
        cfg["strategy"]["undersampled_q2"] = q2
        with Study(cfg, run_dir=tmp_path / f"q{q2}", problem=problem) as study:
            result = study.run()
            rules = [it["info"].get("rule", "") for it in study.store.iterations()]
            decisions = [r.decision for r in study.store.decisions()]
            cheap = sum(o.cost for o in study.dataset.observations if o.fidelity == "low" and o.iteration >= 1)
            budget = study.config.budget.total
        assert result.best is not None and result.best.value is not None
        ends[q2] = result.best.value
        if q2 == 0.0:
            assert "every source closed: the high-fidelity-only loop" in rules
            assert not any(d.features["undersampled"] for d in decisions)
            continue
        learned = [r for r in rules if "is under-sampled" in r]
        assert learned and "a cheap point where that model is most uncertain" in learned[0]
        # judged on >= 2 new target points with a negative score: open on probation, not closed
        judged_bad = [d for d in decisions if d.features["preq_points"] >= 2 and d.features["evidence_score"] < 0]
        assert judged_bad and all(d.use_low and d.features["undersampled"] == 1.0 for d in judged_bad)
        assert all(d.features["cheap_loo_q2"] < 0.9 for d in judged_bad)
        assert "under-sampled: the cheap model's LOO Q²" in judged_bad[0].reason
        # inside the cap: the paired probe costs 3.3, the cheap share of the rest is at most 0.3
        assert 0 < cheap <= 0.3 * (budget - 3.3) + 1e-9
    assert ends[0.0] > -2.0  # the local minimum near x = 0.75 (-1.2)
    assert ends[0.9] < -2.87  # the global minimum, -2.8739 at x = 0.0


def test_the_under_sampled_probation_ends_at_its_point_budget(tmp_path: Path) -> None:
    """The benchmark's DisturbanceBasedFunction5-...dists2... seed 0 (docs/benchmark_gate.md: a
    hurting pair). The cheap source's narrow disturbances keep its own model's LOO Q² below 0.9 however
    many points it gets, so without a budget (``undersampled_growth = 100``) the source stays
    under-sampled, the probation is exempt from ``spend_score`` and the run spends the whole cap on
    it. With the default (2: the probation may double the 6-point cheap design, and goes on past that
    only while the cheap model is still learning) no decision counts the source as under-sampled once
    it holds 12 points: the cheap model's LOO Q² on its 12 points is not above a model's of the first
    6, the score decides (the stored reason says the probation is spent), the gate closes, and the
    cheap cost after the design is smaller."""
    from tests.scripts import load_benchmark

    optimisation = load_benchmark("optimisation")
    pair = "DisturbanceBasedFunction5-seed1-dists2-centres3-radius0.1-freq5-amp1"
    problem = optimisation.make_problem(pair, 0.1)
    cheap_after_design = {}
    for growth in (100.0, 2.0):
        cfg = optimisation.config(pair, "robust", 0, 1, False, 0.1, problem, 10.0)
        cfg["strategy"]["undersampled_growth"] = growth
        with Study(cfg, run_dir=tmp_path / f"g{growth}", problem=problem) as study:
            study.run()
            decisions = [r.decision for r in study.store.decisions()]
            cheap = sum(o.cost for o in study.dataset.observations if o.fidelity == "low" and o.iteration >= 1)
            budget = study.config.budget.total
        cheap_after_design[growth] = cheap
        assert all(d.features["probation_limit"] == math.ceil(growth * 6) for d in decisions)
        late = [d for d in decisions if d.features["cheap_points"] >= 12]
        assert late, "the source reached 12 cheap points"
        if growth == 100.0:
            assert any(d.features["undersampled"] == 1.0 and d.features["evidence_score"] < 0 for d in late)
            continue
        assert not any(d.features["undersampled"] for d in late)
        spent = [d for d in late if "the under-sampled probation is spent (12 cheap points, budget 12;" in d.reason]
        assert spent and not all(d.use_low for d in spent)
        assert all(d.use_low == (d.features["evidence_score"] > 0) for d in spent)
        # the cheap model stopped learning: its Q² on 12 points is not above a model's of the first 6
        assert all(d.features["cheap_loo_q2"] <= d.features["cheap_loo_q2_half"] for d in spent)
    # the paired probe costs 3.3; without the budget the probation takes the whole 0.15 cap of the rest
    assert math.isclose(cheap_after_design[100.0], 0.15 * (budget - 3.3), abs_tol=0.1 + 1e-9)
    assert cheap_after_design[2.0] < cheap_after_design[100.0] - 0.5


def test_the_probation_goes_past_its_budget_only_while_the_cheap_model_learns() -> None:
    """Past ``probation_limit`` points a source stays under-sampled only while its own model's LOO Q²
    on all its points is above a model's of the first half of them (a learning curve)."""
    base = dict(
        source="low", prior=0.0, prior_note="", loo_advantage=0.5, loo_points=4, loo_rmse_sf=1.0,
        loo_rmse_mf=0.5, preq_advantages=(-3.0, -3.0), preq_sse_sf=1.0, preq_sse_mf=9.0, features={},
        undersampled_q2=0.9, probation_limit=12,
    )  # fmt: skip
    before = SourceEvidence(**base, cheap_q2=0.3, cheap_points=11)
    learning = SourceEvidence(**base, cheap_q2=0.6, cheap_points=12, cheap_q2_half=0.2)
    stalled = SourceEvidence(**base, cheap_q2=0.3, cheap_points=12, cheap_q2_half=0.59)
    unknown = SourceEvidence(**base, cheap_q2=0.3, cheap_points=12)
    assert before.undersampled and before.open and not before.probation_spent
    assert learning.learning and learning.undersampled and learning.open
    assert stalled.probation_spent and not stalled.undersampled and not stalled.open
    assert unknown.probation_spent and not unknown.open
    assert "probation is spent (12 cheap points, budget 12; the first half's Q² 0.59" in stalled.sentence()
    assert stalled.numbers()["cheap_loo_q2_half"] == 0.59 and stalled.numbers()["probation_limit"] == 12.0
