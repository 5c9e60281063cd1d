"""Surrogate benchmark: our Kriging / Co-Kriging against BoTorch's GPs (and SMT when installed).

    python benchmarks/surrogates.py [--quick]

Same data, same run: for each instance and repetition, every model is fitted on the same nested
design and scored (Pearson correlation on 1000·d test points); fit times and ratios are measured
in this run. Then 40 Kriging fits batched (one model, one optimiser run) against 40 sequential fits.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from collections.abc import Callable

import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP, SingleTaskMultiFidelityGP
from gpytorch.mlls import ExactMarginalLogLikelihood
from mfopt_surrogates.cokriging import CoKriging
from mfopt_surrogates.kriging import Kriging

from mfopt import get_plugin_manager
from mfopt.benchmark.protocol import repetition_data

warnings.filterwarnings("ignore")
Predictor = Callable[[torch.Tensor], torch.Tensor]


def _unit(X: torch.Tensor, bounds: torch.Tensor) -> torch.Tensor:
    return (X - bounds[0]) / (bounds[1] - bounds[0])


def botorch_single(data, X_test):
    X, y = data.tensors(data.target.name)
    model = SingleTaskGP(_unit(X, data.bounds), y.unsqueeze(-1))
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    with torch.no_grad():
        return model.posterior(_unit(X_test, data.bounds)).mean.squeeze(-1)


def botorch_multi(data, X_test):
    parts = [(*data.tensors(f.name), f.level) for f in data.fidelities]
    X = torch.cat(
        [torch.cat([_unit(x, data.bounds), torch.full((len(x), 1), lv, dtype=x.dtype)], -1) for x, _, lv in parts]
    )
    y = torch.cat([y for _, y, _ in parts]).unsqueeze(-1)
    model = SingleTaskMultiFidelityGP(X, y, data_fidelities=[X.shape[-1] - 1])
    fit_gpytorch_mll(ExactMarginalLogLikelihood(model.likelihood, model))
    Xt = torch.cat([_unit(X_test, data.bounds), torch.ones(len(X_test), 1, dtype=X.dtype)], -1)
    with torch.no_grad():
        return model.posterior(Xt).mean.squeeze(-1)


def smt_models():
    try:
        from smt.applications import MFK
        from smt.surrogate_models import KRG
    except ImportError:
        return {}

    def krg(data, X_test):
        X, y = data.tensors(data.target.name)
        sm = KRG(print_global=False)
        sm.set_training_values(X.numpy(), y.numpy())
        sm.train()
        return torch.as_tensor(sm.predict_values(X_test.numpy())).reshape(-1)

    def mfk(data, X_test):
        sm = MFK(print_global=False)
        for i, f in enumerate(data.fidelities):
            X, y = data.tensors(f.name)
            sm.set_training_values(X.numpy(), y.numpy(), name=None if i == len(data.fidelities) - 1 else i)
        sm.train()
        return torch.as_tensor(sm.predict_values(X_test.numpy())).reshape(-1)

    return {"SMT KRG": krg, "SMT MFK": mfk}


def ours(surrogate):
    def run(data, X_test):
        return surrogate.fit(data).predict(X_test)[0]

    return run


def corr(a: torch.Tensor, b: torch.Tensor) -> float:
    return float(torch.corrcoef(torch.stack([a.to(b), b]))[0, 1])


def accuracy_table(instances, reps: int) -> None:
    pm = get_plugin_manager()
    models = {
        "mfopt kriging": ours(Kriging(device="cpu")),
        "BoTorch SingleTaskGP": botorch_single,
        "mfopt cokriging": ours(CoKriging(device="cpu")),
        "BoTorch SingleTaskMultiFidelityGP": botorch_multi,
        **smt_models(),
    }
    for name, nh, nl in instances:
        problem = pm.problems.create(name)
        scores = {m: ([], []) for m in models}
        for rep in range(1, reps + 1):
            data, X_test, y_test = repetition_data(problem, nh, nl, rep)
            for m, fn in models.items():
                start = time.perf_counter()
                pred = fn(data, X_test)
                scores[m][1].append(time.perf_counter() - start)
                scores[m][0].append(corr(pred, y_test))
        base = statistics.fmean(scores["mfopt kriging"][1])
        print(f"\n{name}  nh={nh} nl={nl}  reps={reps}")
        print(f"{'model':36s} {'median corr':>12s} {'mean s/fit':>11s} {'time / mfopt kriging':>21s}")
        for m, (c, t) in scores.items():
            print(
                f"{m:36s} {statistics.median(c):12.4f} {statistics.fmean(t):11.4f} {statistics.fmean(t) / base:21.2f}"
            )


def batched_ratio(n: int) -> None:
    problem = get_plugin_manager().problems.create("SongToalForretal0.50")
    datasets = [repetition_data(problem, 6, 12, rep)[0] for rep in range(1, n + 1)]
    for cls in (Kriging, CoKriging):
        surrogate = cls(device="cpu")
        start = time.perf_counter()
        surrogate.fit_batch(datasets)
        batched = time.perf_counter() - start
        start = time.perf_counter()
        for d in datasets:
            surrogate.fit(d)
        sequential = time.perf_counter() - start
        print(
            f"{cls.__name__}: {n} fits batched {batched:.2f} s, sequential {sequential:.2f} s, "
            f"ratio sequential/batched = {sequential / batched:.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and instances")
    args = parser.parse_args()
    instances = [("SongToalForretal0.50", 4, 8), ("MarchWillcoxRosenbrock5", 10, 20)]
    accuracy_table(instances[:1] if args.quick else instances, 3 if args.quick else 10)
    print()
    batched_ratio(40)


if __name__ == "__main__":
    main()
