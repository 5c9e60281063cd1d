"""The ``robust`` strategy against its high-fidelity-only twin, from the same run.

    python benchmarks/gate_compare.py forrester
    python benchmarks/gate_compare.py panel --pairs SongToalForretal0.00,MikkolaCurrinNegated --seeds 5 [--workers 2]

``forrester``: ``examples/forrester.toml`` with ``[strategy] name = "robust"`` and its twin
(Kriging + LogEI, the same pair, budget, target, HF design size and seed); prints the target
cost each spent until its best target value first reached the example's target (-6.02), and the
cheap cost.

``panel``: the quick settings of ``benchmarks/optimisation.py`` (budgets, designs, optimiser
settings), strategies ``hf-only`` and ``robust`` (Co-Kriging + augmented EI behind the robust
gate, paired-probe design); per pair the median final best target value of each, their ratio of
median final regrets (the pair's optimum from the problem), and robust's median share of the
cost spent on the cheap source.
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


def forrester() -> None:
    base = tomllib.loads((ROOT / "examples" / "forrester.toml").read_text(encoding="utf-8"))
    robust = {**base, "strategy": {"name": "robust"}}
    twin = {
        "problem": base["problem"],
        "budget": base["budget"],
        "design": {"samples": {"high": base["design"]["samples"]["high"]}, "seed": base["design"]["seed"]},
        "surrogate": {"name": "kriging"},
        "acquisition": {"name": "logei"},
        "run": base["run"],
    }
    goal = base["budget"]["target"]
    for name, cfg in (("robust", robust), ("hf-only twin", twin)):
        out = run(cfg)
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
        print(
            f"{name:14s} best {best:.5f}  target cost to reach {goal}: {reached}  target cost {hf:g}  "
            f"cheap cost {cheap:g}  cpu {out['cpu']:.1f} s"
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
    print(f"{'pair':34s} {'hf-only best':>13s} {'robust best':>12s} {'regret ratio':>12s} {'cheap share':>11s}")
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
        print(f"{pair[:34]:34s} {med['hf-only']:13.5g} {med['robust']:12.5g} {ratio:12.3g} {cheap:11.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("forrester", "panel"))
    parser.add_argument("--pairs", default="SongToalForretal0.00,MikkolaCurrinNegated")
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    if args.what == "forrester":
        forrester()
    else:
        panel([p.strip() for p in args.pairs.split(",") if p.strip()], args.seeds, args.workers)


if __name__ == "__main__":
    main()
