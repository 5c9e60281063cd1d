"""MfoptSampler in an ordinary Optuna study on the Forrester bi-fidelity pair (Forrester et al. 2007)."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
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


RESUMER = """
import json, math, os, sys, time
import optuna
from mfopt_optuna import MfoptSampler, suggest_fidelity

url, log, stop_at = sys.argv[1], sys.argv[2], int(sys.argv[3])
PARAMETERS = {"x": {"type": "float", "low": 0.0, "high": 1.0}}
FIDELITIES = [{"name": "low", "level": 0.1, "cost": 0.1}, {"name": "high", "level": 1.0, "cost": 1.0}]
optuna.logging.set_verbosity(optuna.logging.WARNING)
sampler = MfoptSampler(PARAMETERS, FIDELITIES, budget=6.0, seed=2)
study = optuna.create_study(study_name="resume", storage=url, sampler=sampler, load_if_exists=True)

def objective(trial):
    x = trial.suggest_float("x", 0.0, 1.0)
    level = suggest_fidelity(trial)
    if trial.number == stop_at:
        with open(log, "a") as out:
            out.write("in flight\\n")
        time.sleep(600)  # killed here
    high = (6 * x - 2) ** 2 * math.sin(12 * x - 4)
    return high if level == 1.0 else 0.5 * high + 10 * (x - 0.5) - 5

study.optimize(objective, n_trials=100, callbacks=[sampler.stop_when_finished])
with open(log, "a") as out:
    out.write(json.dumps(sampler.cost_by_fidelity()) + "\\n")
"""


def test_a_sqlite_study_resumes_the_sampler_state_in_a_new_process(tmp_path: Path) -> None:
    script, log = tmp_path / "resume.py", tmp_path / "log.txt"
    script.write_text(RESUMER)
    url = f"sqlite:///{tmp_path / 'optuna.db'}"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen([sys.executable, str(script), url, str(log), "4"], env=env)
    deadline = time.monotonic() + 300
    while not (log.exists() and "in flight" in log.read_text()):
        assert first.poll() is None and time.monotonic() < deadline, "the first process ended before the kill"
        time.sleep(0.2)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    before = optuna.load_study(study_name="resume", storage=url).get_trials(deepcopy=False)
    assert [t.state for t in before].count(optuna.trial.TrialState.COMPLETE) == 4  # design points 1-4 of 6

    second = subprocess.run([sys.executable, str(script), url, str(log), "-1"], env=env, timeout=600)
    assert second.returncode == 0
    told = json.loads(log.read_text().splitlines()[-1])  # the second process's mfopt cost per fidelity
    trials = optuna.load_study(study_name="resume", storage=url).get_trials(
        deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,)
    )
    # the rebuilt sampler knows every complete trial, the first process's included
    by_fidelity = {"low": 0.0, "high": 0.0}
    for t in trials:
        by_fidelity[t.user_attrs["mfopt_fidelity"]] += {"low": 0.1, "high": 1.0}[t.user_attrs["mfopt_fidelity"]]
    assert told == pytest.approx(by_fidelity)
    assert sum(by_fidelity.values()) <= 6.0 + 1e-9 and len(trials) > 6
    # the initial design was not evaluated a second time: no (x, fidelity) twice
    points = [(t.params["x"], t.user_attrs["mfopt_fidelity"]) for t in trials]
    assert len(points) == len(set(points))


def test_log_transform_reaches_mfopt_and_optuna_keeps_the_values() -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = MfoptSampler(PARAMETERS, FIDELITIES, budget=4.0, seed=1, transform="log")
    study = optuna.create_study(sampler=sampler)
    study.optimize(lambda t: 20.0 + objective(t), n_trials=12)  # positive: both Forrester levels are > -10 on [0, 1]
    trials = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    assert len(trials) == 12
    for t in trials:  # Optuna holds the values as returned
        assert t.value == pytest.approx(20.0 + forrester(t.params["x"], t.user_attrs["mfopt_level"]))
    stored = sorted(o.value for o in sampler._study.study.dataset.observations)
    assert stored == pytest.approx(sorted(math.log(t.value) for t in trials), rel=1e-9)  # mfopt models the logs
