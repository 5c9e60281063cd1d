"""Does the Kriging multi-start search find the best maximum-likelihood optimum? (issue 13)

    OMP_NUM_THREADS=1 python benchmarks/kriging_optimum.py [--n 100] [--reps 10] [--problem LiuStyblinskiTang]

For each repetition (the HF data of ``benchmarks/speed.py`` section 1), the negative log-likelihood
(p = 2, no prior, no nugget) reached by the search with its Latin-hypercube candidates drawn in the
whole box ``log10 θ ∈ [-6, 5]^d`` (the search before this session) and in the focused
:func:`~mfopt_surrogates.kriging.start_box` (what ``Kriging`` uses), against a reference: the best
end of 192 batched L-BFGS runs (96 starts uniform in ``[-2.5, 3.5]^d``, 96 in the whole box).
Prints each deficit (search minus reference, nats) and the CPU time per search.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import speed


def main() -> None:
    from mfopt_surrogates import _likelihood as lk
    from mfopt_surrogates.kriging import H_BOUNDS, Scaling, hp_box, start_box

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100)
    parser.add_argument("--reps", type=int, default=10)
    parser.add_argument("--problem", default="LiuStyblinskiTang")
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows = []
    for rep in range(args.reps):
        data, _, _ = speed.single_data(args.problem, args.n, rep)
        X, y = data.tensors(data.target.name)
        d = X.shape[1]
        scaling = Scaling.of([data], torch.device("cpu"))
        Xs = scaling.inputs(X.unsqueeze(0))
        ys = scaling.outputs(y.unsqueeze(0))
        problem = lk.Problem(lk.Distances.of(Xs, 2.0), ys, ys.new_ones(1, args.n, 1), d)
        lower, upper = hp_box(d, False, H_BOUNDS, torch.device("cpu"))
        generator = torch.Generator().manual_seed(1)
        starts = torch.cat([
            torch.rand(96, d, dtype=torch.float64, generator=generator) * 6.0 - 2.5,
            lower + torch.rand(96, d, dtype=torch.float64, generator=generator) * (upper - lower),
        ])  # fmt: skip
        _, values = lk._local(problem, starts.unsqueeze(1), lower, upper, 1000)
        reference = float(values.min())
        row = [reference]
        for box in (None, start_box(args.n, d, lower, upper)):
            start = time.process_time()
            _, value = lk.maximise(problem, lower, upper, 8, 0, 1000, start_box=box)
            row += [float(value) - reference, time.process_time() - start]
        rows.append(row)
        print(f"rep {rep}: reference nll {row[0]:.3f}; deficit whole box {row[1]:.3f} ({row[2]:.2f} s), "
              f"focused box {row[3]:.3f} ({row[4]:.2f} s)", flush=True)  # fmt: skip
    for label, k in (("whole box", 1), ("focused box", 3)):
        misses = sum(r[k] > 0.01 for r in rows)
        worst = max(r[k] for r in rows)
        seconds = sum(r[k + 1] for r in rows) / len(rows)
        print(f"{label}: missed the reference by > 0.01 nats on {misses} of {len(rows)}, worst {worst:.3f} nats, "
              f"mean {seconds:.2f} CPU s")  # fmt: skip


if __name__ == "__main__":
    main()
