"""Speed of ``mfopt benchmark run``: instances per minute on 2 cores (serial vs a 2-process pool), and an
extrapolation to the full ``paper-literature`` suite (146 pairs x 30 budgets x 40 repetitions).

A panel of instances (dimensions 1 to 10, small and medium budgets; after an untimed warm-up
task) runs through the study engine twice, serially (one core) and with the process executor
(2 workers), into throw-away results files.
CPU seconds are measured with ``time.process_time`` (serial) and ``RUSAGE_CHILDREN`` (the pool's
workers, reaped at shutdown), so the numbers hold on a busy machine; wall-clock rates are printed
next to them. The full-suite estimate fits ``cpu = c · d^a · n_l^b`` (least squares in logs) to
the panel's per-instance CPU seconds (scaled to 40 repetitions) and sums it over the suite's 4380
instances, divided by 2 cores: an extrapolation far outside the panel for d > 10 and n_l > 80.

    OMP_NUM_THREADS=1 python benchmarks/study_speed.py --reps 10
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path

import numpy as np

from mfopt.benchmark.problems import load_problem
from mfopt.benchmark.results import ResultsStore
from mfopt.benchmark.runner import plan, run_study
from mfopt.benchmark.suites import LITERATURE_PAIRS, Instance, budgets
from mfopt.benchmark.task import run_task
from mfopt.plugin.manager import get_plugin_manager

PANEL = (
    Instance("SongToalForretal0.50", 2, 4, 1),
    Instance("SongToalForretal0.50", 10, 20, 1),
    Instance("ToalBranin0.50", 4, 8, 2),
    Instance("ToalBranin0.50", 16, 32, 2),
    Instance("ShiHartmannH3", 6, 12, 3),
    Instance("ShiHartmannH3", 18, 36, 3),
    Instance("XiongParkSecond", 8, 16, 4),
    Instance("ShiHartmannH6", 24, 48, 6),
    Instance("ToalTrid0.50", 20, 80, 10),
)
#: Run first, untimed: imports and torch's one-off compilation would otherwise count in the first instance.
WARM_UP = Instance("ShiCurrinSin", 2, 4, 1)
MODELS = ("kriging", "cokriging")


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def serial_cpu(reps: int, folder: Path) -> tuple[list[float], float]:
    """CPU seconds of each panel instance run in this process, and the wall time of the panel."""
    seconds = []
    with ResultsStore(folder / "warm-up.sqlite") as store:
        for spec in plan([WARM_UP], store, 2, MODELS, 0, "cpu"):
            run_task(spec)
    start = time.perf_counter()
    with ResultsStore(folder / "serial.sqlite") as store:
        for spec in plan(PANEL, store, reps, MODELS, 0, "cpu"):
            cpu = time.process_time()
            store.add(run_task(spec))
            seconds.append(time.process_time() - cpu)
    return seconds, time.perf_counter() - start


def process_run(reps: int, folder: Path) -> tuple[float, float]:
    """Wall and workers' CPU seconds of the panel on a 2-process pool."""
    pool = get_plugin_manager().executors.create("process", workers=2)
    before, start = children_cpu(), time.perf_counter()
    with ResultsStore(folder / "process.sqlite") as store:
        run_study(plan(PANEL, store, reps, MODELS, 0, "cpu"), store, pool, window=2)
    pool.shutdown(wait=True)
    return time.perf_counter() - start, children_cpu() - before


def extrapolate(cpu40: list[float]) -> tuple[float, np.ndarray]:
    """CPU hours of the full literature suite from the fitted power law, and the fit's coefficients."""
    A = np.array([[1.0, np.log(i.dim), np.log(i.n_low)] for i in PANEL])
    coef, *_ = np.linalg.lstsq(A, np.log(cpu40), rcond=None)
    pm = get_plugin_manager()
    total = 0.0
    for pair in LITERATURE_PAIRS:
        d = load_problem(pm, pair).dim
        for _, n_low in budgets(d, "paper"):
            total += float(np.exp(coef @ [1.0, np.log(d), np.log(n_low)]))
    return total / 3600.0, coef


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10, help="repetitions per instance (results scaled to 40)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        per_instance, serial_wall = serial_cpu(args.reps, folder)
        pool_wall, pool_cpu = process_run(args.reps, folder)
    n = len(PANEL)
    scale = 40 / args.reps
    cpu40 = [s * scale for s in per_instance]
    print(f"panel: {n} instances (d = 1..10), {args.reps} repetitions each, models {', '.join(MODELS)}")
    for inst, s in zip(PANEL, per_instance, strict=True):
        print(f"  {inst!s:<36} {s:7.1f} CPU s  ({s * scale:7.1f} CPU s at 40 repetitions)")
    serial_cpu_total = sum(per_instance)
    serial_rate, pool_rate = n / serial_wall * 60, n / pool_wall * 60
    print(f"serial : {serial_cpu_total:.1f} CPU s, wall {serial_wall:.1f} s -> {serial_rate:.2f} instances/min (wall)")
    print(f"process: {pool_cpu:.1f} CPU s (2 workers), wall {pool_wall:.1f} s -> {pool_rate:.2f} instances/min (wall)")
    ideal = n / (serial_cpu_total / 2) * 60
    print(f"2 idle cores (CPU-bound, serial CPU / 2): {ideal:.2f} instances/min at {args.reps} repetitions, "
          f"{ideal / scale:.2f} at 40")  # fmt: skip
    hours, coef = extrapolate(cpu40)
    print(
        f"full paper-literature suite (4380 instances, 40 reps): fitted cpu = {np.exp(coef[0]):.3g} d^{coef[1]:.2f} "
        f"n_l^{coef[2]:.2f} s -> {hours:.0f} CPU hours, {hours / 2:.0f} h on 2 cores (extrapolated)"
    )


if __name__ == "__main__":
    main()
