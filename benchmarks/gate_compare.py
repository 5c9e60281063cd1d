"""The ``robust`` strategy against its high-fidelity-only twin, from the same run.

    python benchmarks/gate_compare.py forrester [--seeds 10] [--workers 2]
    python benchmarks/gate_compare.py panel --pairs SongToalForretal0.00,MikkolaCurrinNegated --seeds 5 [--workers 2]

``forrester``: ``examples/forrester.toml`` (its own ``[strategy]``) and its twin (Kriging +
LogEI, the same pair, budget, target, HF design and seed); prints the target cost each spent until
its best target value first reached the example's target (-6.02), and the cheap cost; with
``--seeds N`` both run at seeds 1..N (run and design seed) and the wins / ties / losses of the
example's strategy on that target cost are counted (never reaching the target loses).

``panel``: the quick settings of ``benchmarks/optimisation.py`` (budgets, designs, optimiser
settings), strategies ``hf-only`` and ``robust`` (Co-Kriging + augmented EI behind the robust
gate, paired-probe design); per pair the median final best target value of each, their ratio of
median final regrets (the pair's optimum from the problem), robust's median share of the
cost spent on the cheap source, the two-sided paired Wilcoxon p-value of the final best values
(scipy; below 5 seeds it cannot reach 0.05) and on how many seeds robust ended better / worse.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import tomllib
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def run(config: dict[str, Any]) -> dict[str, Any]:
    """One in-memory study: its observations in order, as (fidelity, cost, value)."""
    import torch

    from mfopt import Study

    torch.set_num_threads(1)
    start = time.process_time()
    with Study(config) as study:
        study.run()
        obs = [(o.fidelity, o.cost, o.value) for o in sorted(study.dataset.observations, key=lambda o: o.id or 0)]
        optimum = study.problem.optimum
        target = study.target.name
    return {"obs": obs, "optimum": optimum, "target": target, "cpu": time.process_time() - start}


def forrester_configs(seed: int | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """``examples/forrester.toml`` (its own strategy) and its high-fidelity-only twin; with
    ``seed``, both take it as run seed and design seed."""
    base = tomllib.loads((ROOT / "examples" / "forrester.toml").read_text(encoding="utf-8"))
    if seed is not None:
        base["run"] = {**base["run"], "seed": seed}
        base["design"] = {**base["design"], "seed": seed}
    twin = {
        "problem": base["problem"],
        "budget": base["budget"],
        "design": {"samples": {"high": base["design"]["samples"]["high"]}, "seed": base["design"]["seed"]},
        "surrogate": {"name": "kriging"},
        "acquisition": {"name": "logei"},
        "run": base["run"],
    }
    return base, twin


def summary(out: dict[str, Any], goal: float) -> tuple[float, float | None, float, float]:
    """Best target value, the target cost spent when it first reached ``goal`` (None: never),
    total target cost and cheap cost."""
    hf = cheap = 0.0
    reached = None
    for fidelity, cost, value in out["obs"]:
        if fidelity == out["target"]:
            hf += cost
            if value is not None and value <= goal and reached is None:
                reached = hf
        else:
            cheap += cost
    best = min(v for f, _, v in out["obs"] if f == out["target"] and v is not None)
    return best, reached, hf, cheap


def forrester(seeds: int, workers: int) -> None:
    """The example and its twin at seed 1 (the example's), or at seeds 1..``seeds``."""
    base, _ = forrester_configs()
    goal = base["budget"]["target"]
    strategy = base.get("strategy", {}).get("name", "gated")
    seed_list = list(range(1, seeds + 1))
    jobs = [c for s in seed_list for c in forrester_configs(s)]
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(run, jobs))
    tally = {"wins": 0, "ties": 0, "losses": 0}
    for i, seed in enumerate(seed_list):
        rows = [(strategy, results[2 * i]), ("hf-only twin", results[2 * i + 1])]
        reach = []
        for name, out in rows:
            best, reached, hf, cheap = summary(out, goal)
            reach.append(reached)
            print(
                f"seed {seed:2d} {name:14s} best {best:.5f}  target cost to reach {goal}: {reached}  "
                f"target cost {hf:g}  cheap cost {cheap:g}  cpu {out['cpu']:.1f} s"
            )
        mine, twin = (r if r is not None else float("inf") for r in reach)
        tally["wins" if mine < twin else "ties" if mine == twin else "losses"] += 1
    print(
        f"{strategy} vs its hf-only twin over {len(seed_list)} seeds (target cost to reach {goal}, lower wins): "
        f"{tally['wins']} wins, {tally['ties']} ties, {tally['losses']} losses"
    )


def panel(pairs: list[str], seeds: int, workers: int) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import optimisation

    from mfopt import get_plugin_manager

    jobs = []
    for pair in pairs:
        dim = get_plugin_manager().problems.create(pair, "benchmark").dim
        for seed in range(seeds):
            jobs.append((pair, "hf-only", optimisation.config(pair, "hf-only", seed, dim, True)))
            cfg = optimisation.config(pair, "gated", seed, dim, True)
            cfg["strategy"] = {"name": "robust"}
            jobs.append((pair, "robust", cfg))
    with ProcessPoolExecutor(workers) as pool:
        results = list(pool.map(run, [j[2] for j in jobs]))
    from scipy.stats import wilcoxon

    print(
        f"{'pair':34s} {'hf-only best':>13s} {'robust best':>12s} {'regret ratio':>12s} {'cheap share':>11s} "
        f"{'wilcoxon p':>10s} {'robust better/worse':>19s}"
    )
    for pair in pairs:
        best: dict[str, list[float]] = {"hf-only": [], "robust": []}
        share: list[float] = []
        optimum = None
        for (p, strategy, _), out in zip(jobs, results, strict=True):
            if p != pair:
                continue
            optimum = out["optimum"]
            values = [v for f, _, v in out["obs"] if f == out["target"] and v is not None]
            best[strategy].append(min(values))
            if strategy == "robust":
                total = sum(c for _, c, _ in out["obs"])
                share.append(sum(c for f, c, _ in out["obs"] if f != out["target"]) / total)
        med = {s: statistics.median(v) for s, v in best.items()}
        ratio = (med["robust"] - optimum) / (med["hf-only"] - optimum) if optimum is not None else float("nan")
        cheap = statistics.median(share)
        pairs_ = list(zip(best["robust"], best["hf-only"], strict=True))
        diffs = [a - b for a, b in pairs_ if a != b]
        p = float(wilcoxon([a for a, _ in pairs_], [b for _, b in pairs_]).pvalue) if diffs else 1.0
        better = sum(1 for a, b in pairs_ if a < b)
        worse = sum(1 for a, b in pairs_ if a > b)
        print(
            f"{pair[:34]:34s} {med['hf-only']:13.5g} {med['robust']:12.5g} {ratio:12.3g} {cheap:11.2f} "
            f"{p:10.3g} {better:>9d}/{worse:<9d}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("forrester", "panel"))
    parser.add_argument("--pairs", default="SongToalForretal0.00,MikkolaCurrinNegated")
    parser.add_argument("--seeds", type=int, default=None, help="seeds 1..N (forrester default 1, panel 5)")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.what == "forrester":
        forrester(args.seeds or 1, args.workers)
    else:
        panel([p.strip() for p in args.pairs.split(",") if p.strip()], args.seeds or 5, args.workers)


if __name__ == "__main__":
    main()
