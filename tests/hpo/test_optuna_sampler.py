"""MfoptSampler in an ordinary Optuna study on the Forrester bi-fidelity pair (Forrester et al. 2007)."""

from __future__ import annotations

import math
from pathlib import Path

import optuna
import pytest
from mfopt_optuna import MfoptSampler, suggest_fidelity

PARAMETERS = {"x": {"type": "float", "low": 0.0, "high": 1.0}}
FIDELITIES = [{"name": "low", "level": 0.1, "cost": 0.1}, {"name": "high", "level": 1.0, "cost": 1.0}]


def forrester(x: float, level: float) -> float:
    high = (6 * x - 2) ** 2 * math.sin(12 * x - 4)
    return high if level == 1.0 else 0.5 * high + 10 * (x - 0.5) - 5


def objective(trial: optuna.Trial) -> float:
    return forrester(trial.suggest_float("x", 0.0, 1.0), suggest_fidelity(trial))


@pytest.mark.parametrize(("storage", "n_jobs"), [("memory", 1), ("sqlite", 2)])
def test_sampler_runs_gated_multi_fidelity_in_optuna(tmp_path: Path, storage: str, n_jobs: int) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = MfoptSampler(PARAMETERS, FIDELITIES, budget=8.0, seed=1)
    url = None if storage == "memory" else f"sqlite:///{tmp_path / 'optuna.db'}"
    study = optuna.create_study(sampler=sampler, storage=url)
    study.optimize(objective, n_trials=30, n_jobs=n_jobs)
    trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(trials) == 30
    fidelities = [t.user_attrs["mfopt_fidelity"] for t in trials]
    assert "high" in fidelities and "low" in fidelities  # trials carry their fidelity; HF trials exist
    for t in trials:  # each value is the objective at the fidelity the sampler chose
        assert t.value == pytest.approx(forrester(t.params["x"], t.user_attrs["mfopt_level"]))
    decisions = [d for t in trials for d in t.user_attrs["mfopt_decisions"]]
    assert decisions and all({"source", "use_low", "rule", "reason"} <= set(d) for d in decisions)
    best = sampler.best_trial(study)
    assert best is not None and best.user_attrs["mfopt_fidelity"] == "high"
    assert best.value < -5.0  # the global minimum is -6.02 at x = 0.757
    spent = sampler.cost_by_fidelity()
    assert spent["high"] > 0 and spent["low"] > 0


def test_suggest_fidelity_needs_the_sampler() -> None:
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    with pytest.raises(RuntimeError, match="MfoptSampler"):
        study.optimize(objective, n_trials=1, catch=())
