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
from hpo_report import fidelities, report
from tasks import TASKS

import mfopt


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--task", choices=sorted(TASKS), default="mlp_digits")
    parser.add_argument("--budget", type=float, default=12.0)
    parser.add_argument("--storage", default=None, help="run directory (reopened if it exists)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    task = TASKS[args.task]
    cheap, full = task.levels
    seconds: Counter[str] = Counter()
    with mfopt.create_study(
        task.parameters, fidelities(task), budget=args.budget, storage=args.storage, seed=args.seed
    ) as study:
        while (trial := study.ask()) is not None:
            error, elapsed = task.run(trial.params, int(trial.level), args.seed)
            seconds[trial.fidelity] += elapsed
            study.tell(trial, error, duration=elapsed)
        best, spent, decisions = study.best, study.cost_by_fidelity(), study.decisions
    report(task.name, best, spent, seconds, decisions, [cheap, full])
    return {"best": best, "spent": spent, "decisions": decisions}


if __name__ == "__main__":
    main()
