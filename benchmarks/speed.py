"""Speed of the Kriging / Co-Kriging surrogates against BoTorch and SMT, measured in ONE run (issue 13).

    OMP_NUM_THREADS=1 python benchmarks/speed.py [--quick]

Every time is CPU time (``time.process_time``) on one thread, measured in this run on the same data
for every model. Sections:

1. Kriging fit at d = 5 (LiuStyblinskiTang's HF function) vs BoTorch ``SingleTaskGP`` +
   ``fit_gpytorch_mll`` at n = 25, 100, 400, 800, with the Pearson correlation on 5000 test points.
2. Peak memory (``ru_maxrss`` of a fresh subprocess per case): Kriging n = 800 and Co-Kriging
   n_l = 1600, n_h = 400, d = 5.
3. Co-Kriging vs SMT ``MFK`` on identical nested designs (Andrés-Thió et al. 2024 protocol) at d = 1, 2, 5, 10.
4. 40 repetitions fitted as one batch vs one by one, Kriging and Co-Kriging, d = 2 and d = 5, with the
   largest likelihood deficit of a batched member against its own sequential fit.
5. Prediction of 5000 points from a Kriging model with n = 100, d = 5.
6. One loop iteration (fit + proposal through the registries) at n_h = 100 (n_l = 200), d = 5.

``--quick`` uses fewer repetitions (and n up to 400 in section 1); the full run takes about half an
hour on one core.
"""

from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse
import math
import resource
import statistics
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from functools import partial
from typing import Any

import torch

warnings.filterwarnings("ignore")
torch.set_num_threads(1)

RESULTS: list[tuple[str, str, bool]] = []


def cpu(fn: Callable[[], Any]) -> tuple[Any, float]:
    start = time.process_time()
    out = fn()
    return out, time.process_time() - start


def corr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.corrcoef(torch.stack([a.reshape(-1).to(b), b.reshape(-1)]))[0, 1])


def record(what: str, value: str, ok: bool) -> None:
    RESULTS.append((what, value, ok))


def problem(name: str):
    from mfopt import get_plugin_manager

    return get_plugin_manager().problems.create(name)


def single_data(name: str, n: int, seed: int):
    """HF-only dataset of ``n`` maximin points plus 5000 test points (inputs, truth)."""
    from mfopt import Dataset, Observation, lhs, nested_design

    prob = problem(name)
    (X,) = nested_design(prob.bounds, [n], seed=seed)
    target = prob.target
    obs = [
        Observation(tuple(x.tolist()), target.name, float(v))
        for x, v in zip(X, prob.evaluate(X, target.name), strict=True)
    ]
    X_test = lhs(5000, prob.bounds, seed=seed + 1000)
    return Dataset(prob.bounds, (target,), obs), X_test, prob.evaluate(X_test, target.name)


def botorch_fit(data):
    from botorch.fit import fit_gpytorch_mll
    from botorch.models import SingleTaskGP
    from gpytorch.mlls import ExactMarginalLogLikelihood

    X, y = data.tensors(data.target.name)
    lb, ub = data.bounds
    model = SingleTaskGP((X - lb) / (ub - lb), y.unsqueeze(-1))
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    return lambda Xt: model.posterior(((Xt - lb) / (ub - lb)).unsqueeze(-2)).mean.reshape(-1)


def section_kriging(ns: list[int], reps: int) -> None:
    from mfopt_surrogates.kriging import Kriging

    print("\n1. Kriging fit, d = 5 (LiuStyblinskiTang HF), CPU s per fit (mean over reps), corr on 5000 points")
    print(f"{'n':>5} {'mfopt s':>9} {'BoTorch s':>10} {'ratio':>7} {'corr mfopt':>11} {'corr BoTorch':>13}")
    warm, _, _ = single_data("LiuStyblinskiTang", 10, 0)
    Kriging(device="cpu").fit(warm)
    botorch_fit(warm)
    for n in ns:
        ours_t, bo_t, ours_c, bo_c = [], [], [], []
        for rep in range(reps if n < 800 else 1):
            data, X_test, y_test = single_data("LiuStyblinskiTang", n, rep)
            fitted, t = cpu(partial(Kriging(device="cpu").fit, data))
            ours_t.append(t)
            with torch.no_grad():
                ours_c.append(corr(fitted.predict(X_test)[0], y_test))
            predict, t = cpu(partial(botorch_fit, data))
            bo_t.append(t)
            with torch.no_grad():
                bo_c.append(corr(predict(X_test), y_test))
        a, b = statistics.fmean(ours_t), statistics.fmean(bo_t)
        ca, cb = statistics.median(ours_c), statistics.median(bo_c)
        print(f"{n:>5} {a:>9.3f} {b:>10.3f} {a / b:>7.2f} {ca:>11.5f} {cb:>13.5f}", flush=True)
        record(
            f"Kriging fit n={n}: mfopt/BoTorch time <= 1.5, corr >= BoTorch's",
            f"{a / b:.2f}, {ca:.4f} vs {cb:.4f}",
            a / b <= 1.5 and ca >= cb - 1e-4,
        )


def memory_case(kind: str) -> None:
    """Run in a subprocess: fit one case and print its peak resident memory in MB."""
    from mfopt_surrogates.cokriging import CoKriging
    from mfopt_surrogates.kriging import Kriging

    from mfopt.benchmark.protocol import repetition_data

    if kind == "kriging800":
        data, _, _ = single_data("LiuStyblinskiTang", 800, 0)
        fitted = Kriging(device="cpu").fit(data)
    else:
        data, _, _ = repetition_data(problem("LiuStyblinskiTang"), 400, 1600, 1)
        fitted = CoKriging(device="cpu").fit(data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{peak:.0f} {fitted.info['fit_seconds']:.1f}")


def section_memory() -> None:
    print("\n2. Peak memory (ru_maxrss of a fresh process: imports + data + fit)")
    for kind, label in (("kriging800", "Kriging n=800, d=5"), ("cokriging1600", "Co-Kriging n_l=1600, n_h=400, d=5")):
        out = subprocess.run(
            [sys.executable, __file__, "--memory-case", kind], capture_output=True, text=True, check=False
        )
        if out.returncode != 0:
            print(f"{label}: FAILED\n{out.stderr[-2000:]}")
            record(f"{label} fits, peak < 1 GB", "failed", False)
            continue
        peak, wall = (float(v) for v in out.stdout.split())
        print(f"{label}: peak {peak:.0f} MB, fit {wall:.1f} s wall", flush=True)
        record(f"{label} fits, peak memory < 1 GB", f"{peak:.0f} MB", peak < 1024)


MFK_CASES = [
    ("SongToalForretal0.50", 6, 12),
    ("ToalBranin0.50", 10, 20),
    ("LiuStyblinskiTang", 25, 50),
    ("ToalTrid0.50", 40, 80),
]


def smt_mfk(data, X_test):
    from smt.applications import MFK

    sm = MFK(print_global=False)
    low, high = data.fidelities
    Xl, yl = data.tensors(low.name)
    Xh, yh = data.tensors(high.name)
    sm.set_training_values(Xl.numpy(), yl.numpy(), name=0)
    sm.set_training_values(Xh.numpy(), yh.numpy())
    sm.train()
    return torch.as_tensor(sm.predict_values(X_test.numpy())).reshape(-1)


def section_mfk(reps: int) -> None:
    from mfopt_surrogates.cokriging import CoKriging

    from mfopt.benchmark.protocol import repetition_data

    print(f"\n3. Co-Kriging vs SMT MFK, same nested designs, {reps} reps: mean CPU s per fit, median corr")
    print(f"{'instance':28s} {'d':>3} {'mfopt s':>9} {'SMT s':>8} {'SMT/mfopt':>10} {'corr mfopt':>11} {'corr SMT':>9}")
    for name, nh, nl in MFK_CASES:
        prob = problem(name)
        ours_t, smt_t, ours_c, smt_c = [], [], [], []
        for rep in range(1, reps + 1):
            data, X_test, y_test = repetition_data(prob, nh, nl, rep)
            fitted, t = cpu(partial(CoKriging(device="cpu").fit, data))
            ours_t.append(t)
            ours_c.append(corr(fitted.predict(X_test)[0], y_test))
            pred, t = cpu(partial(smt_mfk, data, X_test))
            smt_t.append(t)
            smt_c.append(corr(pred, y_test))
        a, b = statistics.fmean(ours_t), statistics.fmean(smt_t)
        ca, cb = statistics.median(ours_c), statistics.median(smt_c)
        label = f"{name} {nh}/{nl}"
        print(f"{label:28s} {prob.dim:>3} {a:>9.3f} {b:>8.3f} {b / a:>10.1f} {ca:>11.4f} {cb:>9.4f}", flush=True)
        record(
            f"Co-Kriging vs SMT MFK {label}: >= 5x faster, corr >= SMT - 0.01",
            f"{b / a:.1f}x, {ca:.4f} vs {cb:.4f}",
            b / a >= 5 and ca >= cb - 0.01,
        )


def _nll(info: dict[str, Any]) -> float:
    value = info["neg_log_likelihood"]
    return float(sum(value)) if isinstance(value, list) else float(value)


def section_batched(n_batch: int) -> None:
    from mfopt_surrogates.cokriging import CoKriging
    from mfopt_surrogates.kriging import Kriging

    from mfopt.benchmark.protocol import repetition_data

    print(f"\n4. {n_batch} repetitions as one batch vs one by one (CPU s); worst member nll(batched) - nll(alone)")
    print(f"{'case':36s} {'batched s':>10} {'sequential s':>13} {'speed-up':>9} {'worst deficit':>14}")
    for name, nh, nl in (("ToalBranin0.50", 10, 20), ("LiuStyblinskiTang", 20, 40)):
        prob = problem(name)
        datasets = [repetition_data(prob, nh, nl, rep)[0] for rep in range(1, n_batch + 1)]
        for cls in (Kriging, CoKriging):
            surrogate = cls(device="cpu")
            batched, tb = cpu(partial(surrogate.fit_batch, datasets))
            alone, ts = cpu(partial(list, map(surrogate.fit, datasets)))
            deficit = max(_nll(b.info) - _nll(a.info) for b, a in zip(batched, alone, strict=True))
            label = f"{cls.__name__} {name} d={prob.dim} {nh}/{nl}"
            print(f"{label:36s} {tb:>10.2f} {ts:>13.2f} {ts / tb:>9.1f} {deficit:>14.2e}", flush=True)
            record(
                f"batched {label}: >= 4x, deficit <= 1e-3",
                f"{ts / tb:.1f}x, {deficit:.1e}",
                ts / tb >= 4 and deficit <= 1e-3,
            )


def section_predict() -> None:
    from mfopt_surrogates.kriging import Kriging

    print("\n5. Prediction of 5000 points, Kriging n = 100, d = 5 (best of 3, CPU s)")
    data, X_test, _ = single_data("LiuStyblinskiTang", 100, 0)
    fitted = Kriging(device="cpu").fit(data)
    best = min(cpu(lambda: fitted.predict(X_test))[1] for _ in range(3))
    print(f"mean + variance: {best:.4f} s", flush=True)
    record("predict 5000 points, n=100: < 0.1 s", f"{best:.4f} s", best < 0.1)


def section_loop() -> None:
    from mfopt import ProposalContext, get_plugin_manager
    from mfopt.benchmark.protocol import repetition_data

    pm = get_plugin_manager()
    prob = problem("LiuStyblinskiTang")
    data, _, _ = repetition_data(prob, 100, 200, 1)
    print("\n6. One loop iteration, n_h = 100 (n_l = 200), d = 5: fit + proposal (CPU s)")
    cases = (("kriging", "logei", 0.3), ("cokriging", "augmented-ei", 1.5), ("cokriging", "mf-kg", 15.0))
    for surrogate, acquisition, limit in cases:
        context = ProposalContext(prob.bounds, data.fidelities, 1, math.inf, 0, 0)
        s = pm.surrogates.create(surrogate, device="cpu", seed=0)
        fitted, t_fit = cpu(partial(s.fit, data if s.multi_fidelity else data.restrict([data.target.name])))
        acq = pm.acquisitions.create(acquisition)
        _, t_acq = cpu(partial(acq.propose, fitted, data, context))
        total = t_fit + t_acq
        print(f"{surrogate} + {acquisition}: fit {t_fit:.2f} + propose {t_acq:.2f} = {total:.2f} s", flush=True)
        record(f"loop iteration {surrogate} + {acquisition}: < {limit} s", f"{total:.2f} s", total < limit)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions, n <= 400 in section 1")
    parser.add_argument(
        "--sections", default="1,2,3,4,5,6", help="comma-separated section numbers to run (default: all)"
    )
    parser.add_argument("--memory-case", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_case:
        memory_case(args.memory_case)
        return
    start = time.perf_counter()
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, {'quick' if args.quick else 'full'} mode")
    sections: dict[str, Callable[[], None]] = {
        "1": lambda: section_kriging([25, 100, 400] if args.quick else [25, 100, 400, 800], 1 if args.quick else 3),
        "2": section_memory,
        "3": lambda: section_mfk(3 if args.quick else 10),
        "4": lambda: section_batched(40),
        "5": section_predict,
        "6": section_loop,
    }
    chosen = [s.strip() for s in args.sections.split(",") if s.strip()]
    unknown = sorted(set(chosen) - set(sections))
    if unknown:
        parser.error(f"unknown section(s) {', '.join(unknown)}; choose from 1-6")
    for number in chosen:
        sections[number]()
    print(f"\nSummary (wall {time.perf_counter() - start:.0f} s)")
    for what, value, ok in RESULTS:
        print(f"{'met    ' if ok else 'NOT MET'}  {what}: {value}")


if __name__ == "__main__":
    main()
