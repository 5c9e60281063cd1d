"""Tune a scikit-learn model through Optuna with mfopt's multi-fidelity sampler (``mfopt[optuna]``).

    python examples/hpo/with_optuna.py --task mlp_digits --budget 12 --n-jobs 2

The objective suggests the parameters as in any Optuna study and reads the fidelity the sampler
chose with ``suggest_fidelity(trial)`` (epochs or boosting iterations, tasks.py). Prints the best
target-fidelity configuration, the cost spent per fidelity and the gate's decisions.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import optuna
from mfopt_optuna import MfoptSampler, suggest_fidelity

sys.path.insert(0, str(Path(__file__).resolve().parent))
from hpo_report import fidelities, report
from tasks import TASKS, Task


def suggest(trial: optuna.Trial, parameters: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Suggest each parameter of a tasks.py table through Optuna's own API."""
    params: dict[str, Any] = {}
    for name, spec in parameters.items():
        if spec["type"] == "float":
            params[name] = trial.suggest_float(name, spec["low"], spec["high"], log=spec.get("log", False))
        elif spec["type"] == "int":
            params[name] = trial.suggest_int(name, spec["low"], spec["high"])
        else:
            params[name] = trial.suggest_categorical(name, spec["choices"])
    return params


def objective_for(task: Task, seed: int) -> Any:
    def objective(trial: optuna.Trial) -> float:
        params = suggest(trial, task.parameters)
        error, seconds = task.run(params, int(suggest_fidelity(trial)), seed)
        trial.set_user_attr("seconds", seconds)
        return error

    return objective


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="mlp_digits")
    parser.add_argument("--budget", type=float, default=12.0)
    parser.add_argument("--n-trials", type=int, default=200, help="upper bound; the budget ends the study first")
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--storage", default=None, help="an Optuna storage URL, e.g. sqlite:///optuna.db")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    task = TASKS[args.task]
    cheap, full = task.levels
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    sampler = MfoptSampler(task.parameters, fidelities(task), budget=args.budget, seed=args.seed)
    study = optuna.create_study(sampler=sampler, storage=args.storage)
    objective = objective_for(task, args.seed)
    study.optimize(objective, n_trials=args.n_trials, n_jobs=args.n_jobs, callbacks=[sampler.stop_when_finished])
    best = sampler.best_trial(study)
    assert best is not None
    spent = sampler.cost_by_fidelity()
    done = study.get_trials(states=(optuna.trial.TrialState.COMPLETE,))
    seconds = Counter[str]()
    for t in done:
        seconds[t.user_attrs["mfopt_fidelity"]] += t.user_attrs["seconds"]
    decisions = [d for t in done for d in t.user_attrs["mfopt_decisions"]]
    top = {"value": best.value, "params": best.params, "trial": best.number}
    report(task.name, top, spent, seconds, decisions, [cheap, full])
    return {"best": best, "spent": spent, "decisions": decisions, "trials": done}


if __name__ == "__main__":
    main()
