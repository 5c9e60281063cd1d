"""Kriging's hyperparameters chosen by likelihood or by leave-one-out, against BoTorch (issues 11, 13).

    OMP_NUM_THREADS=1 python benchmarks/kriging_selection.py [--reps 10] [--tie 0.05] [--no-botorch]
        [--cases PROBLEM:N,N ...] [--held-out PROBLEM:N,N ...]

For each case (problem, n) and repetition (the HF data of ``benchmarks/speed.py`` section 1: ``n``
maximin points, 5000 Latin-hypercube test points), the Pearson correlation on the test points of
mfopt's ``Kriging`` with ``select="likelihood"`` (the default: the maximum-likelihood optimum),
``Kriging`` with ``select="loo"`` (the local optimum of smallest leave-one-out error, see
:mod:`mfopt_surrogates._loo`) and BoTorch's ``SingleTaskGP`` + ``fit_gpytorch_mll`` (its defaults).
Prints per case the median correlation (and the mean), the mean likelihood deficit of the LOO
choice against the default's optimum (nats), on how many repetitions LOO chose another optimum
(``log10 θ`` apart by more than ``DISTINCT`` in some dimension) and the CPU time of each Kriging
fit. ``--tie``: the relative margin within which leave-one-out errors are ties
(:data:`mfopt_surrogates._loo.LOO_TIE`, set for this run), to compare margins. The ``--cases``
(default :data:`CASES`) are those the option was designed on; the ``--held-out`` ones (default
:data:`HELD_OUT`) were not looked at while choosing it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import speed

#: The cases on which the option was designed and ``LOO_TIE`` chosen.
CASES = ["AugmentedHartmannH6:16,50,100", "LiuStyblinskiTang:25,100"]
#: Cases not looked at while choosing it (printed as "held out").
HELD_OUT = [
    "ShiHartmannH6:30,60",
    "RajnarayanHartmannH3:20",
    "ToalTrid0.50:50",
    "LiuAckley10:50",
    "ToalBranin0.50:10",
]


def main() -> None:
    from mfopt_surrogates import _loo
    from mfopt_surrogates._likelihood import DISTINCT
    from mfopt_surrogates.kriging import Kriging

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--cases", nargs="*", default=CASES, metavar="PROBLEM:N,N")
    parser.add_argument("--held-out", nargs="*", default=HELD_OUT, metavar="PROBLEM:N,N")
    parser.add_argument("--tie", type=float, default=_loo.LOO_TIE, help="leave-one-out tie margin (relative)")
    parser.add_argument("--no-botorch", action="store_true", help="skip the BoTorch column (shown as nan)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    _loo.LOO_TIE = args.tie
    print(f"tie margin {args.tie}, {args.reps} repetitions")
    print(f"{'case':35s} {'likelihood':>17s} {'loo':>17s} {'botorch':>17s}  (median / mean test corr)")
    for spec, held_out in [(c, False) for c in args.cases] + [(c, True) for c in args.held_out]:
        name, _, sizes = spec.partition(":")
        for n in (int(s) for s in sizes.split(",")):
            corr: dict[str, list[float]] = {"likelihood": [], "loo": [], "botorch": []}
            seconds: dict[str, float] = {"likelihood": 0.0, "loo": 0.0}
            deficit, moved = [], 0
            for rep in range(args.reps):
                data, X_test, y_test = speed.single_data(name, n, rep)
                fits = {}
                for select in ("likelihood", "loo"):
                    start = time.process_time()
                    fits[select] = Kriging(device="cpu", select=select).fit(data)
                    seconds[select] += time.process_time() - start
                    with torch.no_grad():
                        corr[select].append(speed.corr(fits[select].predict(X_test)[0], y_test))
                if args.no_botorch:
                    corr["botorch"].append(float("nan"))
                else:
                    predict = speed.botorch_fit(data)
                    with torch.no_grad():
                        corr["botorch"].append(speed.corr(predict(X_test), y_test))
                gap = fits["loo"].info["neg_log_likelihood"] - fits["likelihood"].info["neg_log_likelihood"]
                deficit.append(gap)
                h = [torch.tensor(fits[s].info["theta"]).log10() for s in ("likelihood", "loo")]
                moved += float((h[0] - h[1]).abs().max()) > DISTINCT
            label = f"{name} n={n}" + (" held out" if held_out else "")
            cells = "".join(f" {statistics.median(v):8.4f} /{statistics.fmean(v):7.4f}" for v in corr.values())
            print(
                f"{label:35s}{cells}  loo: other optimum {moved}/{args.reps}, "
                f"deficit {statistics.fmean(deficit):.2f} nats; cpu s/fit {seconds['likelihood'] / args.reps:.2f} "
                f"vs {seconds['loo'] / args.reps:.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
