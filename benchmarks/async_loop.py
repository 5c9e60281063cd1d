"""Wall time of the asynchronous loop against the batch-synchronous one and a serial run.

A Python objective that sleeps ``--sleep`` seconds (default 1) then returns the Forrester value;
``--evaluations`` evaluations in all (default 16, the initial design of 3 included), ``q = 1``,
``--workers`` workers (default 4): a process pool and a Dask LocalCluster on loopback, each
asynchronous (``[executor] asynchronous = true``, the default) and batch-synchronous
(``asynchronous = false``: every proposal waits for every evaluation in flight), and the serial
executor. Kriging + LogEI with small optimiser settings, so a proposal is cheap next to an
evaluation. The pool (cluster) is started and warmed once per executor and serves both of its
studies (``Study.run(executor)``), so the wall times compare the loops, not the start-up of the
workers (printed separately). "proposal" is the mean time of one model-based proposal (fit and
acquisition) in the main process: the asynchronous loop cannot beat max(N T / W, N p) for N
evaluations of T seconds on W workers with proposals of p seconds. Prints a Markdown table; the
ratios come from the same invocation.

    python benchmarks/async_loop.py [--evaluations 16] [--workers 4] [--sleep 1.0] [--no-dask]
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import Executor, wait
from typing import Any

import torch
from torch import Tensor

from mfopt import Fidelity, FunctionProblem, Study, get_plugin_manager


class SleepyForrester(FunctionProblem):
    """Forrester whose every evaluation sleeps ``sleep`` seconds (picklable for the workers)."""

    def __init__(self, sleep: float) -> None:
        super().__init__("sleepy-forrester", [[0.0], [1.0]], {"high": self._f}, [Fidelity("high", 1.0)], -6.0207)
        self.sleep = sleep

    def _f(self, X: Tensor) -> Tensor:
        time.sleep(self.sleep)
        x = X[..., 0]
        return (6 * x - 2) ** 2 * torch.sin(12 * x - 4)


def run(
    executor: dict[str, Any], evaluations: int, sleep: float, pool: Executor | None
) -> tuple[float, int, float, float]:
    """(wall seconds, evaluations, best value, mean seconds per model-based proposal) of one
    study, on ``pool`` if given."""
    config = {
        "budget": {"max_evaluations": evaluations},
        "design": {"samples": {"high": 3}, "seed": 0},
        "surrogate": {"name": "kriging", "n_starts": 2},
        "acquisition": {"name": "logei", "q": 1, "num_restarts": 2, "raw_samples": 64},
        "run": {"seed": 0, "device": "cpu"},
        "executor": executor,
    }
    start = time.perf_counter()
    with Study(config, problem=SleepyForrester(sleep)) as study:
        result = study.run(pool)
        wall = time.perf_counter() - start
        infos = [it["info"] for it in study.store.iterations() if "propose_seconds" in it["info"]]
    proposal = sum(i["propose_seconds"] + i.get("fit_seconds", 0.0) for i in infos) / max(1, len(infos))
    best = result.best.value if result.best is not None and result.best.value is not None else float("nan")
    return wall, result.evaluations, best, proposal


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--evaluations", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--sleep", type=float, default=1.0)
    parser.add_argument("--no-dask", action="store_true", help="skip the Dask LocalCluster rows")
    args = parser.parse_args()
    torch.set_num_threads(1)
    w = args.workers
    families = [("process", {"name": "process", "workers": w})]
    if not args.no_dask:
        families.append(("dask LocalCluster", {"name": "dask", "workers": w}))
    print(f"{args.evaluations} evaluations of a {args.sleep:g} s objective, q = 1, {w} workers")
    print(f"{os.cpu_count()} CPU cores, load average at the start {os.getloadavg()[0]:.1f}\n")
    print("| loop | wall time (s) | evaluations | best value | proposal (s) | vs batch-synchronous | vs serial |")
    print("|---|---|---|---|---|---|---|")
    serial, _, best, p = run({"name": "serial"}, args.evaluations, args.sleep, None)
    print(f"| serial | {serial:.1f} | {args.evaluations} | {best:.4f} | {p:.2f} |  | 1.00x |", flush=True)
    startup = {}
    for label, executor in families:
        start = time.perf_counter()
        options = {k: v for k, v in executor.items() if k != "name"}
        pool = get_plugin_manager().executors.create(executor["name"], **options)
        wait([pool.submit(time.sleep, 0.5) for _ in range(w)])  # every worker started
        startup[label] = time.perf_counter() - start
        try:
            sync, n, best, p = run({**executor, "asynchronous": False}, args.evaluations, args.sleep, pool)
            row = f"{sync:.1f} | {n} | {best:.4f} | {p:.2f} | 1.00x | {serial / sync:.2f}x"
            print(f"| {label}, batch-synchronous | {row} |", flush=True)
            wall, n, best, p = run({**executor, "asynchronous": True}, args.evaluations, args.sleep, pool)
            row = f"{wall:.1f} | {n} | {best:.4f} | {p:.2f} | {sync / wall:.2f}x | {serial / wall:.2f}x"
            print(f"| {label}, asynchronous | {row} |", flush=True)
        finally:
            pool.shutdown()
    started = ", ".join(f"{k} {v:.1f} s" for k, v in startup.items())
    print(f"\nstarting the workers (not in the wall times above): {started}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
