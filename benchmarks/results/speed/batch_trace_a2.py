"""Trace of one Co-Kriging stage-1 search (LiuAckley20 rep 2, (80, 240), d = 20) fitted on its own, with
3 and 5 repetitions of its pair and with LiuDixonPrice's 5 too: per call of the screen and of the batched
L-BFGS (``_likelihood._local``, wrapped), how far the rep's starts, ends and values differ from the lone
fit (A2, coord10 request from F; results in batch_independence_a2.txt).

    OMP_NUM_THREADS=1 nice -n 5 python benchmarks/results/speed/batch_trace_a2.py
"""

from __future__ import annotations

import time

import mfopt_surrogates._likelihood as likelihood
import torch

from mfopt.benchmark.problems import load_problem
from mfopt.benchmark.protocol import training_data
from mfopt.plugin.manager import get_plugin_manager


def main() -> None:
    torch.set_num_threads(1)
    pm = get_plugin_manager()
    p1, p2 = load_problem(pm, "LiuAckley20"), load_problem(pm, "LiuDixonPrice")
    mine = [training_data(p1, 80, 240, r) for r in range(1, 6)]
    theirs = [training_data(p2, 80, 240, r) for r in range(1, 6)]
    ck = pm.surrogates.create("cokriging", where="trace", device="cpu", seed=0)
    orig_local, orig_screen = likelihood._local, likelihood.Problem.screen
    state: dict = {"pos": 0, "rec": []}

    def local(problem, starts, lower, upper, maxiter):  # type: ignore[no-untyped-def]
        e, v = orig_local(problem, starts, lower, upper, maxiter)
        b = state["pos"]
        state["rec"].append(("local", starts[:, b].clone(), e[:, b].clone(), v[:, b].clone()))
        return e, v

    def screen(self, cand):  # type: ignore[no-untyped-def]
        s = orig_screen(self, cand)
        state["rec"].append(("screen", s[:, state["pos"]].clone()))
        return s

    likelihood._local, likelihood.Problem.screen = local, screen
    runs = {}
    cases = [("alone", [mine[1]], 0), ("3 reps", mine[:3], 1), ("5 reps", mine, 1), ("both 10", mine + theirs, 1)]
    for name, ds, pos in cases:
        state["pos"], state["rec"] = pos, []
        t = time.process_time()
        c = ck.fit_cheap_level(ds)
        print(f"{name}: {time.process_time() - t:.2f} CPU s, stage-1 nll of rep 2 {float(c.stage.nll[pos]):.10f}")
        runs[name] = state["rec"]
    ref = runs["alone"]
    for name, rec in runs.items():
        print("==", name, "vs alone")
        for a, b in zip(ref, rec, strict=True):
            if a[0] == "screen":
                same = bool((a[1].argsort(stable=True) == b[1].argsort(stable=True)).all())
                print(f"  screen: max diff {float((a[1] - b[1]).abs().max()):.3g}, same order {same}")
                continue
            k = min(a[1].shape[0], b[1].shape[0])
            diffs = " ".join(f"{x:.2g}" for x in (b[3][:k] - a[3][:k]).tolist())
            print(
                f"  local search, {k} starts: start diff {float((a[1][:k] - b[1][:k]).abs().max()):.3g}, "
                f"end diff {float((a[2][:k] - b[2][:k]).abs().max()):.3g}; nll diff per start {diffs}"
            )
            print("    nll per start " + " ".join(f"{x:.4f}" for x in b[3].tolist()))


if __name__ == "__main__":
    main()
