"""Does the gate pay off? HF-only vs always-fuse vs gated multi-fidelity BO vs BoTorch's own loops.

    python benchmarks/optimisation.py [--quick] [--seeds N] [--workers W] [--pairs P,..] [--strategies S,..]

Strategies (same problem, costs, budget and design seed per (pair, seed)):
- ``hf-only``: Kriging + LogEI on the target only;
- ``always``: Co-Kriging + augmented EI, detector ``always`` (the cheap source always used);
- ``gated``: Co-Kriging + augmented EI behind the ``guideline`` detector;
- ``botorch-logei``: BoTorch's SingleTaskGP + qLogEI at the target (``benchmarks/peers.py``), from
  the same HF design as ``hf-only``;
- ``botorch-mfkg``: BoTorch's discrete MF-KG tutorial loop (``benchmarks/peers.py``), from the same
  nested design as ``always``/``gated``; its row also keeps ``recommended``, the true HF value at the
  maximiser of its posterior mean at the target (the tutorial's answer), printed as ``mfkg rec``.

The pair's group (``helps`` / ``hurts``) is measured in the run: ``helps`` when the median final
value of ``always`` is below that of ``hf-only`` (``?`` when either was not run).

Per pair it prints the median (over seeds) best HF value reached and the median cost at which a
run first reached the pair's *target*: the 25% quantile of all final best values of that pair over
every strategy and seed in this run (so "reached" is relative to what this run achieved; runs that
never reach it count as the full budget). Ratios gated/hf-only and gated/always are computed on
those medians from this run only. Jobs (pair, seed, strategy) run in a process pool.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import Progress

#: The panel, by the expected effect of the cheap source (the printed group is measured, see above).
HELPS = [
    "SongToalForretal0.00",
    "ToalBranin0.00",
    "RajnarayanHartmannH3",
    "XiongParkFirst",
    "MFHartmann3-good",
    "AugmentedHartmannH6",
]
HURTS = [
    "ToalBranin1.00", "MikkolaCurrinNegated", "MarchWillcoxRosenbrock5",
    "COCOfunction1-dim2-seed1-dists2-centres3-radius0.1-freq2-amp2", "MikkolaRosenbrockSinus", "MikkolaBraninAckley",
    "MFHartmann3-terrible", "MFHartmann6-bad", "MikkolaHartmannRosenbrock",
]  # fmt: skip
STRATEGIES = ("hf-only", "always", "gated", "botorch-logei", "botorch-mfkg")
#: The cost of an HF evaluation; the cheap source's is ``--low-cost`` (default 0.1).
HIGH_COST = 1.0


def design_and_budget(dim: int, quick: bool) -> tuple[int, float]:
    """Initial HF points (the MF design adds twice as many LF ones) and the total budget."""
    n_high = max(3, 2 * dim)
    return n_high, n_high * 1.1 * 2 + (5 if quick else 10 + 2 * dim)  # design (both fidelities) + search


def costs(low_cost: float) -> dict[str, float]:
    return {"low": low_cost, "high": HIGH_COST}


def config(pair: str, strategy: str, seed: int, dim: int, quick: bool, low_cost: float = 0.1) -> dict[str, Any]:
    n_high, total = design_and_budget(dim, quick)
    fast = {"n_starts": 2 if quick else 4}
    acq = {"num_restarts": 2 if quick else 4, "raw_samples": 32 if quick else 128}
    cfg: dict[str, Any] = {
        "problem": {"name": pair, "costs": costs(low_cost)},
        "budget": {"total": total},
        "design": {"samples": {"high": n_high}, "seed": seed},
        "surrogate": {"name": "kriging", **fast},
        "acquisition": {"name": "logei", **acq},
        "run": {"seed": seed, "device": "cpu"},
    }
    if strategy != "hf-only":
        cfg["design"]["samples"]["low"] = 2 * n_high
        cfg["multi_surrogate"] = {"name": "cokriging", **fast}
        cfg["detector"] = {"name": "always" if strategy == "always" else "guideline"}
        cfg["acquisition"] = {"name": "augmented-ei", **acq}
    return cfg


def run_peer(pair: str, strategy: str, seed: int, quick: bool, low_cost: float) -> dict[str, Any]:
    """One run of a BoTorch peer with the design sizes, costs and budget of :func:`config`."""
    import peers

    problem = peers.make_problem(pair, costs(low_cost))
    n_high, total = design_and_budget(problem.dim, quick)
    if strategy == "botorch-logei":
        settings = {"num_restarts": 2, "raw_samples": 32} if quick else {}
        row = peers.botorch_logei(problem, n_high, total, seed, **settings)
    else:
        settings = (
            {"num_fantasies": 8, "num_restarts": 2, "raw_samples": 32, "maxiter": 30, "mean_restarts": 2,
             "mean_raw_samples": 128}
            if quick
            else {}
        )  # fmt: skip
        row = peers.botorch_mfkg(problem, [2 * n_high, n_high], total, seed, **settings)
    return {"pair": pair, **row}


def run_job(job: tuple[str, str, int, bool, float]) -> dict[str, Any]:
    import torch

    from mfopt import Study, get_plugin_manager

    torch.set_num_threads(1)
    pair, strategy, seed, quick, low_cost = job
    if strategy.startswith("botorch"):
        return {**run_peer(pair, strategy, seed, quick, low_cost), "low_cost": low_cost}
    dim = get_plugin_manager().problems.create(pair, "benchmark").dim
    start = time.perf_counter()
    with Study(config(pair, strategy, seed, dim, quick, low_cost)) as study:
        result = study.run()
        trace, spent, best = [], 0.0, float("inf")
        for o in sorted(study.dataset.observations, key=lambda o: o.id or 0):
            spent += o.cost
            if o.fidelity == study.target.name and o.value is not None:
                best = min(best, o.value)
                trace.append((spent, best))
        budget = study.config.budget.total
    final = result.best.value if result.best and result.best.value is not None else float("inf")
    return {
        "pair": pair,
        "strategy": strategy,
        "seed": seed,
        "best": final,
        "trace": trace,
        "budget": budget,
        "seconds": time.perf_counter() - start,
        "low_cost": low_cost,
    }


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Runs already recorded in a JSON-lines file (none if it does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def cost_to_reach(trace: list[tuple[float, float]], target: float, budget: float) -> float:
    return next((c for c, b in trace if b <= target), budget)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 pairs per group, small budgets and optimiser settings")
    parser.add_argument(
        "--seeds", type=int, default=None, help="seeds per (pair, strategy); default 10 (3 with --quick)"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--out", type=Path, default=None, help="append each finished run as a JSON line here (kept if interrupted)"
    )
    parser.add_argument("--resume", action="store_true", help="skip the runs already in --out")
    parser.add_argument("--pairs", default=None, help="comma-separated pairs (default: the panel; --quick: 2+2)")
    parser.add_argument("--low-cost", type=float, default=0.1, help="cost of a cheap evaluation (an HF one costs 1)")
    parser.add_argument("--strategies", default=",".join(STRATEGIES), help="comma-separated subset of the strategies")
    args = parser.parse_args()
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        parser.error(f"unknown strategies {sorted(unknown)} (choose from {', '.join(STRATEGIES)})")
    seeds = args.seeds or (3 if args.quick else 10)
    if args.pairs:
        pairs = [p.strip() for p in args.pairs.split(",") if p.strip()]
    else:
        pairs = HELPS[:2] + HURTS[:2] if args.quick else HELPS + HURTS
    jobs = [(p, s, k, args.quick, args.low_cost) for p in pairs for k in range(seeds) for s in strategies]
    rows = load_rows(args.out) if args.resume and args.out else []
    rows = [r for r in rows if r.get("low_cost", 0.1) == args.low_cost]  # runs at other costs are not resumed
    done = {(r["pair"], r["strategy"], r["seed"]) for r in rows}
    todo = [job for job in jobs if job[:3] not in done]
    start = time.perf_counter()
    with ProcessPoolExecutor(args.workers) as pool, Progress(console=Console(stderr=True)) as progress:
        task = progress.add_task("runs", total=len(jobs), completed=len(jobs) - len(todo))
        for future in as_completed([pool.submit(run_job, job) for job in todo]):
            row = future.result()
            rows.append(row)
            if args.out:
                with args.out.open("a", encoding="utf-8") as sink:
                    sink.write(json.dumps(row) + "\n")
            progress.advance(task)
    seconds = time.perf_counter() - start
    print(f"{len(todo)} runs in {seconds:.0f} s ({seeds} seeds, quick={args.quick}, low cost {args.low_cost:g})")
    print(table(rows, pairs, strategies))


def ratio(med: dict[str, tuple[float, float]], a: str, b: str) -> str:
    """``a``'s median cost to reach the target over ``b``'s, or ``-`` when either was not run."""
    return f"{med[a][1] / med[b][1]:9.2f}" if a in med and b in med else f"{'-':>9s}"


def table(rows: list[dict[str, Any]], pairs: list[str], strategies: list[str]) -> str:
    """Per pair: median final best HF value and median cost to reach the pair's target per strategy,
    the measured group, the ratios gated/hf-only and gated/always of the cost medians, and the
    median true HF value at BoTorch MF-KG's recommendation."""
    lines = [
        f"{'pair':40s} {'group':5s} "
        + " ".join(f"{s + ' best':>18s} {'cost':>6s}" for s in strategies)
        + f" {'cost g/hf':>9s} {'cost g/al':>9s} {'mfkg rec':>9s}"
    ]
    for pair in pairs:
        mine = [r for r in rows if r["pair"] == pair and r["strategy"] in strategies]
        if len(mine) < 2:
            continue
        target = statistics.quantiles([r["best"] for r in mine], n=4)[0]
        med: dict[str, tuple[float, float]] = {}
        for s in strategies:
            rs = [r for r in mine if r["strategy"] == s]
            if rs:
                med[s] = (
                    statistics.median(r["best"] for r in rs),
                    statistics.median(cost_to_reach(r["trace"], target, r["budget"]) for r in rs),
                )
        cells = " ".join(
            f"{med[s][0]:18.5g} {med[s][1]:6.3g}" if s in med else f"{'-':>18s} {'-':>6s}" for s in strategies
        )
        group = (
            "?"
            if not {"always", "hf-only"} <= set(med)
            else ("helps" if med["always"][0] < med["hf-only"][0] else "hurts")
        )

        recs = [r["recommended"] for r in mine if r["strategy"] == "botorch-mfkg"]
        rec = f"{statistics.median(recs):9.5g}" if recs else f"{'-':>9s}"
        lines.append(
            f"{pair[:40]:40s} {group:5s} {cells} {ratio(med, 'gated', 'hf-only')} {ratio(med, 'gated', 'always')} {rec}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    main()
