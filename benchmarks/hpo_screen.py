"""How well do short trainings rank full ones? The evidence behind mfopt's HPO screening (docs/hpo.md).

    OMP_NUM_THREADS=1 python benchmarks/hpo_screen.py --seeds 10 --first-seed 10 --sizes 14,26

For each task of ``examples/hpo/tasks.py`` and seed, the cheap initial design that
:func:`mfopt.create_study` draws (``n`` points, nested maximin LHS; ``--sizes``) is trained at every
level of ``--levels`` (default: the task's cheap and full levels) with the benchmark's training
seed. Printed per task, design size and cheap level: the median Spearman rank correlation between
the cheap and the full errors over the design, and for ``k = 1..4`` how many seeds have a point
at or below the target (``benchmarks/hpo.py``'s common target) among the ``k`` best-ranked cheap
runs, and the median cost (in full trainings, cost ``l / L`` per run) at which screening the
design's cheap runs then their best ``k`` one by one first reaches it ("-" when the median seed
does not within ``k``). "design point" is the same for the point a space-filling design would
send to the full training first (the design's first target point, chosen before any value).

Every training is cached in ``--cache`` (SQLite: task, parameters, level -> error), so a re-run
or another design size trains only what is new.
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "hpo"))
from tasks import TASKS, Task  # noqa: E402

TRAINING_SEED = 0  # as benchmarks/hpo.py
#: benchmarks/hpo.py's common targets (the v5 table: the worst median final error of the four methods)
TARGETS = {"mlp_digits": 0.0204, "hgb_cancer": 0.0380}


class Cache:
    """Trainings of a task at a level, keyed by their parameters (trainings are deterministic)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path)
        self.db.execute(
            "CREATE TABLE IF NOT EXISTS runs (task TEXT, params TEXT, level INTEGER, error REAL,"
            " PRIMARY KEY (task, params, level))"
        )

    def error(self, task: Task, params: dict[str, Any], level: int) -> float:
        key = json.dumps(params, sort_keys=True)
        row = self.db.execute(
            "SELECT error FROM runs WHERE task = ? AND params = ? AND level = ?", (task.name, key, level)
        ).fetchone()
        if row is not None:
            return float(row[0])
        error, _ = task.run(params, level, TRAINING_SEED)
        with self.db:
            self.db.execute("INSERT INTO runs VALUES (?, ?, ?, ?)", (task.name, key, level, error))
        return error


def design(task: Task, seed: int, size: int) -> tuple[list[dict[str, Any]], int]:
    """The ``size`` cheap design points of ``create_study(seed=seed)`` and the index of the one its
    design sends to the full training (the nested design's target point)."""
    import mfopt

    (cheap, low), (full, high) = task.levels.items()
    fidelities = [{"name": cheap, "level": low, "cost": low / high}, {"name": full, "level": high, "cost": 1.0}]
    with mfopt.create_study(task.parameters, fidelities, budget=1e6, seed=seed, design={cheap: size, full: 1}) as study:
        trials = [study.ask() for _ in range(size + 1)]
    points = [t.params for t in trials if t is not None and t.fidelity == cheap]
    target = next(t.params for t in trials if t is not None and t.fidelity == full)
    return points, points.index(target)


def _spearman(a: Sequence[float], b: Sequence[float]) -> float:
    ra = np.argsort(np.argsort(a, kind="stable"), kind="stable")
    rb = np.argsort(np.argsort(b, kind="stable"), kind="stable")
    return float(np.corrcoef(ra, rb)[0, 1])


def report(task: Task, seeds: Sequence[int], sizes: Sequence[int], levels: Sequence[int], cache: Cache) -> str:
    full = list(task.levels.values())[-1]
    target = TARGETS[task.name]
    lines = [f"task {task.name}: target {target:.4f}, seeds {seeds[0]}-{seeds[-1]}"]
    for size in sizes:
        rows = []
        for seed in seeds:
            points, at = design(task, seed, size)
            errors = {lv: [cache.error(task, p, lv) for p in points] for lv in sorted({*levels, full})}
            rows.append((errors, at))
        for level in [lv for lv in levels if lv != full]:
            rho = [_spearman(e[level], e[full]) for e, _ in rows]
            spent = size * level / full
            corr = float(np.median(rho))
            lines.append(f"  design {size} cheap at level {level} (cost {spent:.2f}): median rank corr {corr:.2f}")
            for k in (1, 2, 3, 4):
                hits, costs = 0, []
                for e, _ in rows:
                    order = np.argsort(e[level], kind="stable")[:k]
                    rank = next((i for i, j in enumerate(order) if e[full][j] <= target + 1e-12), None)
                    hits += rank is not None
                    costs.append(spent + rank + 1 if rank is not None else math.inf)
                med = float(np.median(costs))
                shown = f"{med:.2f}" if math.isfinite(med) else "-"
                lines.append(f"    top {k}: {hits}/{len(rows)} seeds reach the target, median cost {shown}")
        design_hits = sum(e[full][at] <= target + 1e-12 for e, at in rows)
        any_hits = sum(min(e[full]) <= target + 1e-12 for e, _ in rows)
        lines.append(f"    design point: {design_hits}/{len(rows)} seeds; any design point: {any_hits}/{len(rows)}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--first-seed", type=int, default=10, help="10 by default: not the benchmark's seeds 0-9")
    parser.add_argument("--sizes", default="14", help="cheap design sizes (14 = create_study's 2 d + 2 for d = 6)")
    parser.add_argument("--levels", default="", help="task:level,... extra cheap levels (e.g. hgb_cancer:30)")
    parser.add_argument("--cache", type=Path, default=ROOT / "benchmarks" / "results" / "hpo_screen.sqlite")
    args = parser.parse_args(argv)
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    sizes = [int(s) for s in args.sizes.split(",")]
    extra: dict[str, list[int]] = {}
    for item in filter(None, args.levels.split(",")):
        name, level = item.split(":")
        extra.setdefault(name, []).append(int(level))
    cache = Cache(args.cache)
    texts = []
    for name in args.tasks.split(","):
        task = TASKS[name]
        levels = sorted({next(iter(task.levels.values())), *extra.get(name, [])})
        texts.append(report(task, seeds, sizes, levels, cache))
        print(texts[-1], flush=True)
    return "\n".join(texts)


if __name__ == "__main__":
    main()
