"""GPU checks and timings (issues 12 and 13), for a machine with a CUDA device; one short run.

    PYTHONUNBUFFERED=1 python benchmarks/gpu.py [--sections batched,study,loop] [--reps 40]

Sections:

- ``batched``: 40 repetitions of the study protocol's data (Andrés-Thió et al. 2024 nested maximin
  designs) fitted as ONE batch on the GPU, against the same members fitted one by one on the GPU and
  on the CPU (one thread). Sequential fits take long, so ``--sequential K`` members (default 8) are
  fitted one by one and their time is scaled to 40; the largest likelihood deficit of a batched member
  against its own sequential fit is printed for those K. GPU times are wall clock after
  ``torch.cuda.synchronize()``; CPU times are ``time.process_time`` at one thread.
- ``study``: the study engine's task panel of ``benchmarks/study_speed.py`` (two pairs per task,
  d = 1..10) run serially with ``device="cuda"``: wall seconds per task, the measured instances per
  minute, and the ``paper-literature`` suite's 4380 instances at that rate (one process, one GPU).
  The panel is lighter than the suite (d <= 10 and n_l <= 80; the suite reaches d = 20 and
  n_l = 400), so the estimate is a lower bound; the study's real rate on the suite's mix is
  what ``mfopt benchmark run --time-limit`` prints on a slice of ``benchmarks/literature_sample.txt``.
- ``loop``: ``mfopt optimize examples/forrester.toml`` in a subprocess (``[run] device = "auto"`` picks
  the GPU): the whole loop trained and proposed on CUDA.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import torch

warnings.filterwarnings("ignore")
HERE = Path(__file__).resolve().parent


def wall_cuda(fn: Callable[[], Any]) -> tuple[Any, float]:
    torch.cuda.synchronize()
    start = time.perf_counter()
    out = fn()
    torch.cuda.synchronize()
    return out, time.perf_counter() - start


def cpu_time(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def _each(surrogate: Any, datasets: list[Any]) -> list[Any]:
    return [surrogate.fit(d) for d in datasets]


def _nll(info: dict[str, Any]) -> float:
    value = info["neg_log_likelihood"]
    return float(sum(value)) if isinstance(value, list) else float(value)


def section_batched(n_batch: int, k_seq: int) -> None:
    from mfopt_surrogates.cokriging import CoKriging
    from mfopt_surrogates.kriging import Kriging

    from mfopt import get_plugin_manager
    from mfopt.benchmark.protocol import repetition_data

    pm = get_plugin_manager()
    print(f"\nbatched: {n_batch} repetitions as one batch on the GPU (wall s) vs one by one "
          f"({k_seq} fitted, scaled to {n_batch}); worst deficit over those {k_seq}")  # fmt: skip
    print(f"{'case':34s} {'GPU batch':>9} {'GPU seq':>9} {'CPU seq':>9} {'vs GPU seq':>10} {'vs CPU seq':>10} "
          f"{'deficit':>9}")  # fmt: skip
    scale = n_batch / k_seq
    for name, nh, nl in (("ToalBranin0.50", 10, 20), ("LiuStyblinskiTang", 20, 40)):
        prob = pm.problems.create(name)
        datasets = [repetition_data(prob, nh, nl, rep)[0] for rep in range(1, n_batch + 1)]
        for cls in (Kriging, CoKriging):
            gpu, host = cls(device="cuda"), cls(device="cpu")
            gpu.fit_batch(datasets[:2])  # warm-up: CUDA context, kernels
            batched, tb = wall_cuda(partial(gpu.fit_batch, datasets))
            _, tg = wall_cuda(partial(_each, gpu, datasets[:k_seq]))
            torch.set_num_threads(1)
            alone_cpu, tc = cpu_time(partial(_each, host, datasets[:k_seq]))
            torch.set_num_threads(os.cpu_count() or 1)
            deficit = max(_nll(b.info) - _nll(a.info) for b, a in zip(batched, alone_cpu, strict=False))
            tg, tc = tg * scale, tc * scale
            label = f"{cls.__name__} {name} d={prob.dim} {nh}/{nl}"
            print(f"{label:34s} {tb:>9.2f} {tg:>9.2f} {tc:>9.2f} {tg / tb:>9.1f}x {tc / tb:>9.1f}x {deficit:>9.1e}",
                  flush=True)  # fmt: skip


def section_study(reps: int) -> None:
    sys.path.insert(0, str(HERE))
    import study_speed

    from mfopt.benchmark.task import TaskSpec, run_task

    run_task(TaskSpec(("ShiCurrinSin",), 2, 4, 1, (1, 2), study_speed.MODELS, 0, "cuda"))  # warm-up
    print(f"\nstudy: study_speed's panel, {reps} repetitions, device cuda, serial (wall s)")
    walls = []
    n = 0
    for pairs, nh, nl, d in study_speed.PANEL:
        spec = TaskSpec(pairs, nh, nl, d, tuple(range(1, reps + 1)), study_speed.MODELS, 0, "cuda")
        _, t = wall_cuda(partial(run_task, spec))
        walls.append(t)
        n += len(pairs)
        print(f"  {'+'.join(pairs):<40} d={d:<2} nh={nh:<3} nl={nl:<3} {t:7.2f} s", flush=True)
    total = sum(walls)
    rate = n / total * 60
    rate40 = rate * reps / 40  # the work of an instance grows linearly with its repetitions
    print(f"panel: {n} instances in {total:.1f} s wall -> {rate:.2f} instances/min at {reps} repetitions "
          f"({rate40:.2f} at 40)")  # fmt: skip
    print(f"paper-literature suite (4380 instances, 40 repetitions) at the panel's rate: {4380 / rate40:.0f} min "
          "on one GPU, one process (a lower bound: the panel has d <= 10, n_l <= 80)")  # fmt: skip


def section_loop() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "mfopt", "optimize", "examples/forrester.toml", "--run-dir", f"{tmp}/run"]
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parent)
        print(f"\nloop: {' '.join(cmd[1:])} -> rc {out.returncode} in {time.perf_counter() - start:.1f} s wall")
        print(out.stdout[-1500:], out.stderr[-1500:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sections", default="batched,study,loop")
    parser.add_argument("--reps", type=int, default=40, help="study repetitions per instance")
    parser.add_argument("--sequential", type=int, default=8, help="members fitted one by one in 'batched'")
    args = parser.parse_args()
    if not torch.cuda.is_available():
        sys.exit("no CUDA device: this script measures on a GPU")
    print(f"torch {torch.__version__}, {torch.cuda.get_device_name()}, {os.cpu_count()} CPU cores")
    sections = {
        "batched": lambda: section_batched(40, args.sequential),
        "study": lambda: section_study(args.reps),
        "loop": section_loop,
    }
    for name in args.sections.split(","):
        start = time.perf_counter()
        sections[name.strip()]()
        print(f"[{name} took {time.perf_counter() - start:.0f} s]", flush=True)


if __name__ == "__main__":
    main()
