"""Speed of ``mfopt benchmark run``: instances per minute on 2 cores, and an extrapolation to the full
``paper-literature`` suite (146 pairs x 30 budgets x 40 repetitions).

The panel is a set of study tasks as the runner makes them (:func:`mfopt.benchmark.runner.plan`):
two function pairs of one dimension sharing a budget (dimensions 1 to 10, small and medium
budgets), after an untimed warm-up task. Each task runs in this process; its CPU seconds
(``time.process_time``, so the numbers hold on a busy machine) are split into the nested designs
(computed once per task, shared by its pairs) and the rest (data, detectors, batched fits,
test-set scores), per instance. With ``--pool`` the panel also runs on a 2-process pool and the
wall-clock rate is printed.

The full-suite estimate fits ``cpu = c · d^a · n_l^b`` (least squares in logs) separately to the
designs' and to the rest's CPU seconds (scaled to 40 repetitions) and sums over the suite's 4380
instances: the rest per instance; the designs once per dimension and ``n_l`` in each of the 2
worker processes (a design's maximin hypercube is cached per ``(d, n_l, seed)`` and shared by the
budgets of that ``n_l``, :func:`mfopt.benchmark.protocol.cheap_level`; its subset per ``n_h`` is
cheap), divided by 2 cores: an extrapolation far outside the panel for d > 10 and n_l > 80.

    OMP_NUM_THREADS=1 python benchmarks/study_speed.py --reps 10
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections import Counter
from pathlib import Path

import numpy as np

from mfopt.benchmark.problems import load_problem
from mfopt.benchmark.protocol import cheap_level, unit_design
from mfopt.benchmark.results import ResultsStore
from mfopt.benchmark.runner import run_study
from mfopt.benchmark.suites import LITERATURE_PAIRS, budgets
from mfopt.benchmark.task import TaskSpec, run_task
from mfopt.plugin.manager import get_plugin_manager

MODELS = ("kriging", "cokriging")
#: Worker processes of the 2-core estimate (each computes a design's cheap level once).
WORKERS = 2
#: (pairs of one dimension, n_h, n_l, d)
PANEL: tuple[tuple[tuple[str, ...], int, int, int], ...] = (
    (("SongToalForretal0.50", "ShiCurrinSin"), 2, 4, 1),
    (("SongToalForretal0.50", "ShiCurrinSin"), 10, 20, 1),
    (("ToalBranin0.50", "ShiBranin"), 4, 8, 2),
    (("ToalBranin0.50", "ShiBranin"), 16, 32, 2),
    (("ShiHartmannH3", "ToalHartmannH30.50"), 6, 12, 3),
    (("ShiHartmannH3", "ToalHartmannH30.50"), 18, 36, 3),
    (("XiongParkSecond", "XiongParkFirst"), 8, 16, 4),
    (("ShiHartmannH6", "ParkHartmannH6"), 24, 48, 6),
    (("ToalTrid0.50", "LiuAckley10"), 20, 80, 10),
)
#: Run first, untimed: imports and torch's one-off compilation would otherwise count in the first task.
WARM_UP = TaskSpec(("ShiCurrinSin",), 2, 4, 1, (1, 2), MODELS, 0, "cpu")


def tasks(reps: int) -> list[TaskSpec]:
    return [TaskSpec(pairs, nh, nl, d, tuple(range(1, reps + 1)), MODELS, 0, "cpu") for pairs, nh, nl, d in PANEL]


def serial_cpu(reps: int) -> tuple[list[float], list[float], float]:
    """Per task: CPU seconds of its designs and of the rest; and the panel's wall time."""
    run_task(WARM_UP)
    designs, rest = [], []
    start = time.perf_counter()
    for spec in tasks(reps):
        unit_design.cache_clear()
        cheap_level.cache_clear()
        cpu = time.process_time()
        for r in spec.reps:
            unit_design(spec.dim, spec.n_low, spec.n_high, spec.seed + r)
        mid = time.process_time()
        run_task(spec)
        designs.append(mid - cpu)
        rest.append(time.process_time() - mid)
    return designs, rest, time.perf_counter() - start


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_run(reps: int, folder: Path) -> tuple[float, float]:
    """Wall and workers' CPU seconds of the panel on a 2-process pool."""
    pool = get_plugin_manager().executors.create("process", workers=2)
    before, start = children_cpu(), time.perf_counter()
    with ResultsStore(folder / "process.sqlite") as store:
        run_study(tasks(reps), store, pool, window=2)
    pool.shutdown(wait=True)
    return time.perf_counter() - start, children_cpu() - before


def power_law(seconds: list[float]) -> np.ndarray:
    A = np.array([[1.0, np.log(d), np.log(nl)] for _, _, nl, d in PANEL])
    coef, *_ = np.linalg.lstsq(A, np.log(np.maximum(seconds, 1e-6)), rcond=None)
    return coef


def extrapolate(design40: list[float], rest40: list[float]) -> tuple[float, np.ndarray, np.ndarray]:
    """CPU hours of the full literature suite, grouped as the runner groups it, and both fits."""
    cd, cr = power_law(design40), power_law(rest40)
    pm = get_plugin_manager()
    pairs_per_dim = Counter(load_problem(pm, pair).dim for pair in LITERATURE_PAIRS)
    total = 0.0
    for d, m in pairs_per_dim.items():
        for n_low in {nl for _, nl in budgets(d, "paper")}:
            total += WORKERS * float(np.exp(cd @ np.array([1.0, np.log(d), np.log(n_low)])))
        for _, nl in budgets(d, "paper"):
            total += m * float(np.exp(cr @ np.array([1.0, np.log(d), np.log(nl)])))
    return total / 3600.0, cd, cr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10, help="repetitions per instance (results scaled to 40)")
    parser.add_argument("--pool", action="store_true", help="also run the panel on a 2-process pool (wall clock)")
    args = parser.parse_args()
    designs, rest, serial_wall = serial_cpu(args.reps)
    n = sum(len(p) for p, *_ in PANEL)
    scale = 40 / args.reps
    print(
        f"panel: {len(PANEL)} tasks of 2 pairs = {n} instances (d = 1..10), {args.reps} repetitions, "
        f"{', '.join(MODELS)}"
    )
    for (pairs, nh, nl, _), ds, rs in zip(PANEL, designs, rest, strict=True):
        label = f"{'+'.join(pairs)} nh={nh} nl={nl}"
        print(f"  {label:<52} designs {ds:6.2f}  rest {rs:6.2f} CPU s ({rs / len(pairs):6.2f} per instance)")
    total = sum(designs) + sum(rest)
    print(f"serial : {total:.1f} CPU s ({sum(designs):.1f} designs), wall {serial_wall:.1f} s")
    if args.pool:
        with tempfile.TemporaryDirectory() as tmp:
            pool_wall, pool_cpu = process_run(args.reps, Path(tmp))
        print(
            f"process: {pool_cpu:.1f} CPU s (2 workers), wall {pool_wall:.1f} s -> "
            f"{n / pool_wall * 60:.2f} instances/min (wall)"
        )
    ideal = n / (total / 2) * 60
    print(f"2 idle cores (CPU-bound, serial CPU / 2): {ideal:.2f} instances/min at {args.reps} repetitions, "
          f"{ideal / scale:.2f} at 40")  # fmt: skip
    per_pair = [r / len(p) for r, (p, *_) in zip(rest, PANEL, strict=True)]
    hours, cd, cr = extrapolate([s * scale for s in designs], [s * scale for s in per_pair])
    print(
        f"full paper-literature suite (4380 instances, 40 reps): designs "
        f"{np.exp(cd[0]):.3g} d^{cd[1]:.2f} n_l^{cd[2]:.2f} s per (d, n_l) and worker, rest "
        f"{np.exp(cr[0]):.3g} d^{cr[1]:.2f} n_l^{cr[2]:.2f} s per instance -> {hours:.1f} CPU hours,"
        f" {hours / 2:.1f} h on 2 cores (extrapolated)"
    )


if __name__ == "__main__":
    main()
