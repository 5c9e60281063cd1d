"""Tune a scikit-learn model with mfopt's ask/tell API (named parameters, two fidelities).

    python examples/hpo/ask_tell.py --task mlp_digits --budget 12
    python examples/hpo/ask_tell.py --task hgb_cancer --budget 6 --storage runs/hgb   # resumable

The cheap fidelity is the same training stopped early (tasks.py); the budget is in cost units
where a full training costs 1 and the short one 0.1. Prints the best configuration, the cost
spent per fidelity (units and measured seconds) and the gate's decisions.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from tasks import TASKS

import mfopt

CHEAP_COST = 0.1


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="mlp_digits")
    parser.add_argument("--budget", type=float, default=12.0)
    parser.add_argument("--storage", default=None, help="run directory (reopened if it exists)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    task = TASKS[args.task]
    (cheap, low), (full, high) = task.levels.items()
    fidelities = [{"name": cheap, "level": low, "cost": CHEAP_COST}, {"name": full, "level": high, "cost": 1.0}]
    seconds: Counter[str] = Counter()
    with mfopt.create_study(
        task.parameters, fidelities, budget=args.budget, storage=args.storage, seed=args.seed
    ) as study:
        while (trial := study.ask()) is not None:
            error, elapsed = task.run(trial.params, int(trial.level), args.seed)
            seconds[trial.fidelity] += elapsed
            study.tell(trial, error, duration=elapsed)
        best, spent, decisions = study.best, study.cost_by_fidelity(), study.decisions
    print(f"task {task.name}: best validation error {best['value']:.4f} at {full} with {best['params']}")
    for name in (cheap, full):
        print(f"  {name}: {spent[name]:.2f} cost units, {seconds[name]:.2f} s of training this session")
    rules = Counter((d["use_low"], d["rule"]) for d in decisions)
    print(f"  gate: {len(decisions)} decisions")
    for (use_low, rule), n in sorted(rules.items(), key=lambda kv: -kv[1]):
        print(f"    {n} x {'use' if use_low else 'ignore'} {cheap}: {rule}")
    return {"best": best, "spent": spent, "decisions": decisions}


if __name__ == "__main__":
    main()
