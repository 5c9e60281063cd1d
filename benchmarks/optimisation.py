"""Does the gate pay? HF-only vs always-fuse vs the guideline gate vs the robust gate vs BoTorch's loops.

    python benchmarks/optimisation.py [--pairs P,..] [--seeds N] [--strategies S,..] [--workers W]
        [--budget-per-dim B] [--quick] [--out benchmarks/results/gate/panel.jsonl.gz] [--plots DIR]
        [--stop-after S] [--any-code]

Strategies (same problem, costs, total budget and design seed per (pair, seed)):

- ``hf-only``: Kriging + LogEI on the target only (design: ``max(3, 2d)`` HF points);
- ``always``: Co-Kriging + augmented EI, detector ``always`` (the cheap sources always used);
- ``gated``: Co-Kriging + augmented EI behind the ``guideline`` detector (the old gate);
- ``robust``: the ``robust`` strategy (evidence gate, spending control, HF-only shadow; paired-probe
  design with the same HF points as ``hf-only``);
- ``botorch-logei``: BoTorch's SingleTaskGP + qLogEI at the target (``benchmarks/peers.py``), from
  the same HF design as ``hf-only``;
- ``botorch-mfkg``: BoTorch's discrete MF-KG tutorial loop (``benchmarks/peers.py``), from the same
  nested design as ``always``/``gated``; its row keeps ``recommended`` (true HF value at the maximiser
  of its posterior mean at the target, the tutorial's answer), printed as ``mfkg rec``.

Budget: the multi-fidelity design (``n_h = max(3, 2d)`` HF points, each cheap source
``max(n_h, round(0.2 n_h / cost))`` points: ``2 n_h`` at cost 0.1) plus ``--budget-per-dim`` x d HF-cost
units (default 10, the issue's paper-like budget); every strategy gets the same total (HF-only spends
the cheap design's cost on HF points). Costs: HF 1, cheap ``--low-cost`` (0.1); the three-fidelity
Augmented Hartmann 6 (``AugmentedHartmannH6-3fid``) keeps BoTorch's costs 5 + s, divided by 6.

Each finished run is appended to ``--out`` (JSON lines) at once; running the same command again
skips the runs already there with the same settings (pair, strategy, seed, budget per dimension, low
cost, quick) and the same code identity (:func:`code_identity`: a hash of the code the strategy
runs, so a commit that only adds results resumes, a change to the models or the gate reruns), so an
interrupted benchmark continues where it stopped. The default ``--out`` is the committed
``benchmarks/results/gate/panel.jsonl.gz`` (gzip, one member per row; a name without ``.gz`` is
plain text): commit it as it grows and the next session resumes from it. Runs go seed by seed (seed
0 of every pair and strategy first; within a seed the cheapest strategies first, :data:`COST_ORDER`,
BoTorch's MF-KG last); ``--stop-after S`` starts no run after S seconds, so a session ends with its
rows written and analysed. Every number below is computed from the rows of that file for the chosen
pairs and strategies, over the seeds (below ``--seeds``) that every chosen strategy finished for the
pair (``n``), so medians and paired tests compare the same seeds (ratios from the same run, never
remembered).

Per pair (:func:`analyse`): the simple regret of a run is its best HF value evaluated minus the
optimum (the problem's, or for a pair without a known optimum the lowest of a 64-start L-BFGS-B
search and every value the runs found; printed as ``opt*``). Printed: the measured group (``helps``
when ``always``'s median final regret is below ``hf-only``'s, ``hurts`` when above, ``tie``; over every
seed of the file where both ran, even when ``always`` is not among ``--strategies``; printed as
``group:seeds``), per
strategy the median final regret, the two-sided paired Wilcoxon p-value against ``hf-only`` over the
seeds both ran (``scipy.stats.wilcoxon(x, y)``; ``+`` worse / ``-`` better when p < 0.05), the
cost-saving ratio Δ = (C_hf-only − C_s) / C_hf-only (Sabanza-Gil et al. 2024), where C_s is the cost
(design included) by which half the runs of ``s`` had first reached ``hf-only``'s median final
regret (``n.r.`` when fewer than half did), and the median share of the cost spent on cheap sources.
A regret-vs-cost plot per pair (median and quartiles over seeds) is written to ``--plots``.
With ``--reach``, per pair and strategy where Δ comes from (:func:`reach`): the cost by which a
quarter, half and three quarters of the runs first had ``hf-only``'s median final regret, and the
target evaluations and cheap cost they had spent by then, and the median cost and regret after each
of the first five target evaluations that follow the design.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import inspect
import json
import math
import os
import statistics
import subprocess
import time
import zlib
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

#: The default panel: d from 1 to 8, cheap sources expected to help or hurt (the group printed is measured).
PANEL = [
    "SongToalForretal0.00",  # d=1
    "ToalBranin0.00",  # 2
    "ToalBranin1.00",  # 2
    "MikkolaCurrinNegated",  # 2
    "MikkolaRosenbrockSinus",  # 2
    "MikkolaBraninAckley",  # 2
    "RajnarayanHartmannH3",  # 3
    "MFHartmann3-good",  # 3
    "MFHartmann3-terrible",  # 3
    "MFHartmann6-good",  # 6
    "MFHartmann6-bad",  # 6
    "MikkolaHartmannRosenbrock",  # 6
    "AugmentedHartmannH6-3fid",  # 6, three fidelities
    "Borehole",  # 8
]
STRATEGIES = ("hf-only", "always", "gated", "robust", "botorch-logei", "botorch-mfkg")
MF_STRATEGIES = ("always", "gated", "robust")
#: The cost of an HF evaluation; a cheap source's is ``--low-cost`` (default 0.1).
HIGH_COST = 1.0
#: Committed results (``benchmarks/results/gate``): a later session resumes from them.
DEFAULT_OUT = Path(__file__).resolve().parent / "results" / "gate" / "panel.jsonl.gz"
#: Within a seed, the strategies cheapest first (measured CPU per run), so an interrupted run has the
#: HF-only / gate / qLogEI rows of every pair before the slow always-fuse and MF-KG ones.
COST_ORDER = ("hf-only", "gated", "robust", "botorch-logei", "always", "botorch-mfkg")
#: What a run of each kind of strategy depends on (tracked files; hashed by :func:`code_identity`).
PEER_PATHS = ("benchmarks/peers.py", "plugins/mfopt_problems")
MFOPT_PATHS = ("mfopt", "plugins", "benchmarks/peers.py")
#: Tracked paths under ``MFOPT_PATHS`` that no run executes (the study runner, CLI, executors).
IGNORED_PATHS = ("mfopt/benchmark/", "mfopt/cli/", "plugins/mfopt_executors/")
#: Files only the ``robust`` strategy imports: a change to them reruns ``robust`` alone.
ROBUST_ONLY = ("plugins/mfopt_strategies/robust.py", "plugins/mfopt_strategies/evidence.py")


@dataclass(frozen=True)
class Settings:
    """What makes two runs of the same (pair, strategy, seed) the same run (the resume key)."""

    budget_per_dim: float = 10.0
    low_cost: float = 0.1
    quick: bool = False

    def key(self) -> str:
        return f"b{self.budget_per_dim:g}-c{self.low_cost:g}-{'quick' if self.quick else 'full'}"


def costs(low_cost: float) -> dict[str, float]:
    """Cost overrides for a two-fidelity pair (a three-fidelity problem keeps its own)."""
    return {"low": low_cost, "high": HIGH_COST}


def make_problem(pair: str, low_cost: float) -> Any:
    import peers

    return peers.make_problem(pair, costs(low_cost))


def design_sizes(problem: Any) -> dict[str, int]:
    """Initial points per fidelity (cheapest first): ``n_h = max(3, 2d)`` at the target, and for each
    cheap source ``max(n_h, round(0.2 n_h / cost))`` (twice ``n_h`` at cost 0.1)."""
    n_high = max(3, 2 * problem.dim)
    sizes = {f.name: max(n_high, round(0.2 * n_high / f.cost)) for f in problem.fidelities[:-1]}
    return {**sizes, problem.target.name: n_high}


def total_budget(problem: Any, budget_per_dim: float) -> float:
    """The multi-fidelity design's cost plus ``budget_per_dim`` x d HF-cost units."""
    design = sum(n * problem.fidelity(name).cost for name, n in design_sizes(problem).items())
    return design + budget_per_dim * problem.dim * problem.target.cost


def design_and_budget(dim: int, quick: bool) -> tuple[int, float]:
    """Initial HF points and total budget of a two-fidelity pair at cost 0.1 (``gate_compare.py``'s
    quick settings: 5 cost units after the design with ``quick``, else 10 + 2d)."""
    n_high = max(3, 2 * dim)
    return n_high, n_high * 1.1 * 2 + (5 if quick else 10 + 2 * dim)


def config(
    pair: str,
    strategy: str,
    seed: int,
    dim: int,
    quick: bool,
    low_cost: float = 0.1,
    problem: Any = None,
    budget_per_dim: float | None = None,
) -> dict[str, Any]:
    """The study configuration of one run. Without ``problem`` / ``budget_per_dim`` the two-fidelity
    sizes and budget of :func:`design_and_budget` (kept for ``gate_compare.py``)."""
    if problem is None or budget_per_dim is None:
        n_high, total = design_and_budget(dim, quick)
        sizes = {"low": 2 * n_high, "high": n_high}
        problem_section: dict[str, Any] = {"name": pair, "costs": costs(low_cost)}
    else:
        sizes, total = design_sizes(problem), total_budget(problem, budget_per_dim)
        problem_section = {"name": pair}
    target = list(sizes)[-1]
    fast = {"n_starts": 2 if quick else 4}
    acq = {"num_restarts": 2 if quick else 4, "raw_samples": 32 if quick else 128}
    cfg: dict[str, Any] = {
        "problem": problem_section,
        "budget": {"total": total},
        "design": {"samples": {target: sizes[target]}, "seed": seed},
        "surrogate": {"name": "kriging", **fast},
        "acquisition": {"name": "logei", **acq},
        "run": {"seed": seed, "device": "cpu"},
    }
    if strategy != "hf-only":
        cfg["design"]["samples"] = dict(sizes)
        cfg["multi_surrogate"] = {"name": "cokriging", **fast}
        cfg["detector"] = {"name": "always" if strategy == "always" else "guideline"}
        cfg["acquisition"] = {"name": "augmented-ei", **acq}
    if strategy == "robust":
        cfg["strategy"] = {"name": "robust"}
    return cfg


def run_peer(pair: str, strategy: str, seed: int, settings: Settings) -> dict[str, Any]:
    """One run of a BoTorch peer with the design sizes, costs and budget of the mfopt strategies."""
    import peers

    problem = make_problem(pair, settings.low_cost)
    sizes = design_sizes(problem)
    total = total_budget(problem, settings.budget_per_dim)
    if strategy == "botorch-logei":
        options = {"num_restarts": 2, "raw_samples": 32} if settings.quick else {}
        row = peers.botorch_logei(problem, sizes[problem.target.name], total, seed, **options)
    else:
        options = (
            {"num_fantasies": 8, "num_restarts": 2, "raw_samples": 32, "maxiter": 30, "mean_restarts": 2,
             "mean_raw_samples": 128}
            if settings.quick
            else {}
        )  # fmt: skip
        row = peers.botorch_mfkg(problem, list(sizes.values()), total, seed, **options)
    spent = row.pop("spent")
    return {**row, "total_cost": sum(spent.values()), "cheap_cost": sum(spent.values()) - spent[problem.target.name]}


def run_job(job: tuple[str, str, int, Settings]) -> dict[str, Any]:
    """One (pair, strategy, seed) run; the row written to the results file."""
    import torch

    from mfopt import Study

    torch.set_num_threads(1)
    pair, strategy, seed, settings = job
    start, cpu = time.perf_counter(), time.process_time()
    if strategy.startswith("botorch"):
        row = run_peer(pair, strategy, seed, settings)
    else:
        problem = make_problem(pair, settings.low_cost)
        cfg = config(pair, strategy, seed, problem.dim, settings.quick, settings.low_cost, problem,
                     settings.budget_per_dim)  # fmt: skip
        with Study(cfg, problem=problem) as study:
            result = study.run()
            trace, spent, cheap, best = [], 0.0, 0.0, math.inf
            for o in sorted(study.dataset.observations, key=lambda o: o.id or 0):
                spent += o.cost
                if o.fidelity != study.target.name:
                    cheap += o.cost
                elif o.value is not None and math.isfinite(o.value):
                    best = min(best, o.value)
                    trace.append((spent, best))
            budget = study.config.budget.total
        final = result.best.value if result.best and result.best.value is not None else math.inf
        row = {"best": final, "trace": trace, "budget": budget, "total_cost": spent, "cheap_cost": cheap}
    return {
        **row,
        "pair": pair,
        "strategy": strategy,
        "seed": seed,
        "settings": settings.key(),
        "seconds": time.perf_counter() - start,
        "cpu": time.process_time() - cpu,
    }


def read_text(path: Path) -> str:
    """A results file's text; ``.gz`` files may be several gzip members (one per append), and a member
    torn by a killed run ends the text there."""
    if path.suffix != ".gz":
        return path.read_text(encoding="utf-8")
    data, out = path.read_bytes(), []
    while data:
        z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out.append(z.decompress(data))
        except zlib.error:
            break
        if not z.eof:
            break
        data = z.unused_data
    return b"".join(out).decode("utf-8", errors="replace")


def load_rows(path: Path) -> list[dict[str, Any]]:
    """Runs already recorded in a JSON-lines file, plain or gzipped (none if it does not exist; a
    torn last line from a killed run is ignored)."""
    if not path.exists():
        return []
    rows = []
    for line in read_text(path).splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows


def append_row(path: Path, row: dict[str, Any]) -> None:
    """Append one row (``.gz``: as its own gzip member, so a kill loses at most that row)."""
    line = (json.dumps(row) + "\n").encode("utf-8")
    with path.open("ab") as sink:
        sink.write(gzip.compress(line, mtime=0) if path.suffix == ".gz" else line)


def code_identity(strategy: str, root: Path | None = None) -> str:
    """A short hash of the code a run of ``strategy`` executes: the working-tree content of the tracked
    files under :data:`PEER_PATHS` (BoTorch peers) or :data:`MFOPT_PATHS` (mfopt's strategies; minus
    :data:`IGNORED_PATHS`, and :data:`ROBUST_ONLY` but for ``robust``), plus this script's run
    functions. Rows with another identity are rerun, not resumed, whatever commit recorded them (a
    commit that only adds results keeps the identity). The working tree is what a run imports: an
    uncommitted edit under these paths (in a shared tree, anyone's) changes the identity too."""
    root = root or Path(__file__).resolve().parents[1]
    paths = PEER_PATHS if strategy.startswith("botorch") else MFOPT_PATHS
    files = subprocess.run(["git", "ls-files", "--", *paths], cwd=root, capture_output=True, text=True,
                           check=True).stdout.split()  # fmt: skip
    ignored = IGNORED_PATHS if strategy == "robust" else IGNORED_PATHS + ROBUST_ONLY
    files = sorted(f for f in files if f.endswith(".py") and not f.startswith(ignored) and (root / f).exists())
    digest = hashlib.sha1()
    for f in files:
        digest.update(f.encode() + b"\0" + (root / f).read_bytes() + b"\0")
    for fn in (config, run_peer, run_job, design_sizes, total_budget, make_problem, costs):
        digest.update(inspect.getsource(fn).encode())
    return digest.hexdigest()[:10]


def complete_seeds(rows: list[dict[str, Any]], pairs: Sequence[str], strategies: Sequence[str]) -> list[dict[str, Any]]:
    """The rows of ``pairs`` x ``strategies`` whose (pair, seed) every strategy has finished, so that
    every median and paired test of a pair is over the same seeds."""
    have: dict[tuple[str, int], set[str]] = {}
    for r in rows:
        have.setdefault((r["pair"], r["seed"]), set()).add(r["strategy"])
    full = {key for key, done in have.items() if set(strategies) <= done}
    return [r for r in rows if r["pair"] in pairs and r["strategy"] in strategies and (r["pair"], r["seed"]) in full]


def reference_optimum(problem: Any, starts: int = 64, seed: int = 0) -> float:
    """The problem's optimum, or the lowest target value found by L-BFGS-B from the ``starts`` best
    of 4096 Latin-hypercube points (for pairs without a known optimum)."""
    if problem.optimum is not None:
        return float(problem.optimum)
    import numpy as np
    import torch
    from scipy.optimize import minimize

    from mfopt import lhs

    target = problem.target.name
    X = lhs(4096, problem.bounds, seed=seed)
    values = problem.evaluate(X, target)
    bounds = problem.bounds.T.tolist()
    best = float(values.min())
    for x0 in X[torch.argsort(values)[:starts]]:

        def f(x: Any) -> float:
            return float(problem.evaluate(torch.as_tensor(np.asarray(x)).unsqueeze(0), target)[0])

        best = min(best, float(minimize(f, x0.numpy(), method="L-BFGS-B", bounds=bounds).fun))
    return best


# analysis ------------------------------------------------------------------------------------------


@dataclass
class PairResult:
    """The analysis of one pair: per strategy the final regrets by seed, and the derived numbers."""

    pair: str
    optimum: float
    regrets: dict[str, dict[int, float]]
    median: dict[str, float] = field(default_factory=dict)
    p_vs_hf: dict[str, float] = field(default_factory=dict)
    delta: dict[str, float] = field(default_factory=dict)
    share: dict[str, float] = field(default_factory=dict)
    group: str = "?"
    label_seeds: int = 0
    recommended: float | None = None


def paired_wilcoxon(a: dict[int, float], b: dict[int, float]) -> float:
    """Two-sided p-value of ``scipy.stats.wilcoxon`` on the seeds both ran (1.0 when every pair of
    values is equal, NaN with fewer than two common seeds)."""
    from scipy.stats import wilcoxon

    seeds = sorted(set(a) & set(b))
    x, y = [a[s] for s in seeds], [b[s] for s in seeds]
    if len(seeds) < 2:
        return math.nan
    if all(u == v for u, v in zip(x, y, strict=True)):
        return 1.0
    return float(wilcoxon(x, y).pvalue)


def first_reach(trace: Sequence[Sequence[float]], optimum: float, regret: float) -> float:
    """The cost at which a run's best HF value first had ``regret`` or less (inf if never)."""
    return next((c for c, b in trace if b - optimum <= regret), math.inf)


def half_reached(costs_by_run: Sequence[float]) -> float:
    """The cost by which half of the runs (rounded up) had reached the level (inf if fewer did)."""
    ordered = sorted(costs_by_run)
    return ordered[math.ceil(len(ordered) / 2) - 1]


def analyse(
    rows: list[dict[str, Any]],
    pair: str,
    strategies: Sequence[str],
    optimum: float,
    label_rows: Sequence[dict[str, Any]] = (),
) -> PairResult:
    """Regrets, medians, Wilcoxon vs ``hf-only``, Δ, cheap share and group of ``pair`` from ``rows``.

    The group is measured on ``label_rows`` (``always`` and ``hf-only`` rows of the seeds both
    finished, see :func:`complete_seeds`) when given, else on ``rows``: always-fuse, the most
    expensive strategy, may have run on fewer seeds than the others."""
    mine = [r for r in rows if r["pair"] == pair and r["strategy"] in strategies]
    labels = [r for r in label_rows if r["pair"] == pair and r["strategy"] in ("always", "hf-only")]
    optimum = min([optimum, *(r["best"] for r in [*mine, *labels])])
    regrets = {s: {r["seed"]: r["best"] - optimum for r in mine if r["strategy"] == s} for s in strategies}
    regrets = {s: v for s, v in regrets.items() if v}
    out = PairResult(pair, optimum, regrets)
    for s, by_seed in regrets.items():
        out.median[s] = statistics.median(by_seed.values())
        runs = [r for r in mine if r["strategy"] == s]
        out.share[s] = statistics.median(r["cheap_cost"] / r["total_cost"] for r in runs)
    if "hf-only" in regrets:
        goal = out.median["hf-only"]
        reach = {
            s: half_reached([first_reach(r["trace"], optimum, goal) for r in mine if r["strategy"] == s])
            for s in regrets
        }
        for s in regrets:
            out.p_vs_hf[s] = paired_wilcoxon(regrets[s], regrets["hf-only"])
            out.delta[s] = (reach["hf-only"] - reach[s]) / reach["hf-only"]
    by = {k: [r["best"] - optimum for r in (labels or mine) if r["strategy"] == k] for k in ("always", "hf-only")}
    if by["always"] and by["hf-only"]:
        a, h = statistics.median(by["always"]), statistics.median(by["hf-only"])
        out.group = "helps" if a < h else "hurts" if a > h else "tie"
        out.label_seeds = len(by["always"])
    recs = [r["recommended"] - optimum for r in mine if r["strategy"] == "botorch-mfkg" and "recommended" in r]
    out.recommended = statistics.median(recs) if recs else None
    return out


@dataclass(frozen=True)
class Reach:
    """When a strategy's runs first reached ``hf-only``'s median final regret (the level of Δ)."""

    #: the cost (design included) by which a quarter, half and three quarters of the runs (rounded
    #: up) had first reached it (inf: fewer did); the half is Δ's C_s
    quartiles: tuple[float, float, float]
    never: int
    #: median over the runs that reached it: target evaluations, and cost spent on cheap sources, by then
    target_evaluations: float
    cheap_cost: float


def reach(rows: list[dict[str, Any]], result: PairResult, strategy: str, target_cost: float) -> Reach | None:
    """Where ``strategy``'s cost went before its runs of ``result.pair`` reached ``hf-only``'s median
    final regret (each trace entry is one target evaluation with the cost spent by then); None
    without ``hf-only`` or ``strategy`` runs."""
    if "hf-only" not in result.median or strategy not in result.regrets:
        return None
    goal = result.median["hf-only"]
    runs = [r for r in rows if r["pair"] == result.pair and r["strategy"] == strategy]
    costs, evaluations, cheap = [], [], []
    for r in runs:
        hit = next((i for i, (_, b) in enumerate(r["trace"]) if b - result.optimum <= goal), None)
        if hit is None:
            costs.append(math.inf)
            continue
        cost = r["trace"][hit][0]
        costs.append(cost)
        evaluations.append(hit + 1)
        cheap.append(cost - (hit + 1) * target_cost)
    ordered = sorted(costs)
    quartiles = tuple(ordered[math.ceil(q * len(ordered)) - 1] for q in (0.25, 0.5, 0.75))
    nan = math.nan
    return Reach(
        (quartiles[0], quartiles[1], quartiles[2]),
        sum(1 for c in costs if math.isinf(c)),
        statistics.median(evaluations) if evaluations else nan,
        statistics.median(cheap) if cheap else nan,
    )


def after_design(rows: list[dict[str, Any]], result: PairResult, strategy: str, n_design: int,
                 count: int) -> list[tuple[float, float]]:  # fmt: skip
    """Median cost and median regret (over ``strategy``'s runs of ``result.pair`` that made it) after
    each of the first ``count`` target evaluations following the ``n_design`` of the design."""
    runs = [r["trace"] for r in rows if r["pair"] == result.pair and r["strategy"] == strategy]
    out = []
    for k in range(n_design, n_design + count):
        entries = [t[k] for t in runs if len(t) > k]
        if not entries:
            break
        out.append(
            (statistics.median(c for c, _ in entries), statistics.median(b - result.optimum for _, b in entries))
        )
    return out


def reach_table(rows: list[dict[str, Any]], results: list[PairResult], strategies: Sequence[str],
                target_costs: dict[str, float], n_design: dict[str, int] | None = None) -> str:  # fmt: skip
    """``--reach``: per pair and strategy, :class:`Reach` (where a strategy's Δ comes from) and, given
    the pairs' target design sizes, :func:`after_design` for the first five target evaluations."""
    lines = [
        "reach: when the runs first had hf-only's median final regret (Δ's level): the cost by which 1/4, 1/2 (Δ's C), "
        "3/4 of the runs had it, runs that never did; median over the runs that did: target evaluations and cheap "
        "cost by then",
        f"{'pair':26s} {'strategy':14s} {'q1':>6s} {'half':>6s} {'q3':>6s} {'never':>5s} {'target':>6s} {'cheap':>6s}",
    ]
    for result in results:
        for s in strategies:
            r = reach(rows, result, s, target_costs[result.pair])
            if r is None:
                continue
            q1, half, q3 = (f"{c:6.1f}" for c in r.quartiles)
            lines.append(f"{result.pair[:26]:26s} {s:14s} {q1} {half} {q3} {r.never:5d} "
                         f"{r.target_evaluations:6.1f} {r.cheap_cost:6.2f}")  # fmt: skip
    if n_design is None:
        return "\n".join(lines)
    lines.append("after the design: median cost / median regret after the 1st..5th target evaluation that follows it")
    for result in results:
        for s in strategies:
            steps = after_design(rows, result, s, n_design[result.pair], 5)
            if steps:
                cells = " ".join(f"{c:5.1f}/{g:<8.2g}" for c, g in steps)
                lines.append(f"{result.pair[:26]:26s} {s:14s} {cells}".rstrip())
    return "\n".join(lines)


def significantly_worse(result: PairResult, a: str, b: str) -> bool:
    """``a``'s final regrets are significantly (Wilcoxon, 0.05) above ``b``'s (median difference > 0)."""
    if a not in result.regrets or b not in result.regrets:
        return False
    p = paired_wilcoxon(result.regrets[a], result.regrets[b])
    seeds = sorted(set(result.regrets[a]) & set(result.regrets[b]))
    diff = statistics.median(result.regrets[a][s] - result.regrets[b][s] for s in seeds)
    return p < 0.05 and diff > 0


def workload(rows: list[dict[str, Any]], pairs: Sequence[str], strategies: Sequence[str], seeds: int) -> str:
    """Per strategy: runs done of ``pairs`` x ``seeds``, the median and largest CPU s of a done run, and
    the CPU hours left if every missing run of a pair cost its pair's median (the strategy's median
    where the pair has none yet; ``?`` where the strategy has no run at all)."""
    lines = ["strategy        done/all   CPU s per run (median, max)   CPU h left (estimate)"]
    total, unknown = 0.0, []
    for s in strategies:
        mine = [r for r in rows if r["strategy"] == s and r["pair"] in pairs and r["seed"] < seeds]
        cpu = [r["cpu"] for r in mine]
        left = 0.0
        for pair in pairs:
            own = [r["cpu"] for r in mine if r["pair"] == pair]
            missing = seeds - len(own)
            if missing and (own or cpu):
                left += missing * statistics.median(own or cpu)
        if cpu:
            total += left
            lines.append(f"{s:15s} {len(mine):4d}/{len(pairs) * seeds:<4d}  {statistics.median(cpu):10.1f} "
                         f"{max(cpu):10.1f}           {left / 3600:8.1f}")  # fmt: skip
        else:
            unknown.append(s)
            lines.append(f"{s:15s} {0:4d}/{len(pairs) * seeds:<4d}  {'?':>10s} {'?':>10s}           {'?':>8s}")
    lines.append(f"CPU h left: {total / 3600:.1f}" + (f" plus the unmeasured {', '.join(unknown)}" if unknown else ""))
    return "\n".join(lines)


def done_when(results: list[PairResult], gate: str = "robust") -> list[str]:
    """The issue's three benchmark criteria for ``gate``, each with the pairs that fail it and why
    (the ratio to ``hf-only``, Δ, or a Wilcoxon p-value against the strategy it is worse than)."""
    lines = []
    hurts = [r for r in results if r.group == "hurts" and gate in r.median]
    helps = [r for r in results if r.group == "helps" and gate in r.median]
    bad = []
    for r in hurts:
        ratio = r.median[gate] / r.median["hf-only"] if r.median["hf-only"] > 0 else math.inf
        if ratio > 1.05 or significantly_worse(r, gate, "hf-only"):
            bad.append(f"{r.pair} {ratio:.3g}x p {r.p_vs_hf.get(gate, math.nan):.2f}")
    lines.append(f"hurts ({len(hurts)} pairs): {gate} median regret <= 1.05 x hf-only and not significantly worse: "
                 f"{len(hurts) - len(bad)}/{len(hurts)}" + (f" (fails: {', '.join(bad)})" if bad else ""))  # fmt: skip
    bad = []
    for r in helps:
        why = []
        if not r.delta.get(gate, -math.inf) >= 0.4:
            why.append(f"Δ {r.delta.get(gate, -math.inf):.2f}")
        if significantly_worse(r, gate, "always"):
            why.append(f"worse than always p {paired_wilcoxon(r.regrets[gate], r.regrets['always']):.2f}")
        if why:
            bad.append(f"{r.pair} {' '.join(why)}")
    unseen = [r.pair for r in helps if "always" not in r.regrets]
    lines.append(f"helps ({len(helps)} pairs): {gate} Δ >= 0.4 and not significantly worse than always: "
                 f"{len(helps) - len(bad)}/{len(helps)}" + (f" (fails: {', '.join(bad)})" if bad else "")
                 + (f" (vs always not tested, not analysed: {', '.join(unseen)})" if unseen else ""))  # fmt: skip
    both = [r for r in results if gate in r.median and {"botorch-logei", "botorch-mfkg"} <= set(r.median)]
    good = [r for r in both if r.median[gate] <= min(r.median["botorch-logei"], r.median["botorch-mfkg"])]
    share = f"{100 * len(good) / len(both):.0f} %" if both else "-"
    lines.append(f"peers: {gate} median regret <= the better BoTorch loop on {len(good)}/{len(both)} pairs "
                 f"({share}; needs >= 75 %)")  # fmt: skip
    bad = [r.pair for r in hurts if significantly_worse(r, gate, "botorch-logei")]
    lines.append(f"hurts: {gate} not significantly worse than botorch-logei: {len(hurts) - len(bad)}/{len(hurts)}"
                 + (f" (fails: {', '.join(bad)})" if bad else ""))  # fmt: skip
    return lines


def _p(p: float, median: float, ref: float) -> str:
    if math.isnan(p):
        return "    -"
    mark = ("+" if median > ref else "-") if p < 0.05 else " "
    return f"{p:4.2f}{mark}"


def table(results: list[PairResult], strategies: Sequence[str], seeds: dict[str, int]) -> str:
    """The printed table: one line per pair, per strategy ``median regret / p / Δ / share``."""
    head = f"{'pair':26s} {'d':>2s} {'n':>3s} {'group':8s} {'opt*':>8s}"
    lines = [head + "".join(f" | {s:^32s}" for s in strategies) + f" | {'mfkg rec':>8s}",
             " " * len(head) + f" | {'regret':>9s} {'p':>5s} {'Δ':>6s} {'cheap':>5s}" * len(strategies)]  # fmt: skip
    for r in results:
        cells = []
        for s in strategies:
            if s not in r.median:
                cells.append(f" | {'-':>9s} {'-':>5s} {'-':>6s} {'-':>5s}")
                continue
            delta = r.delta.get(s, math.nan)
            d = "n.r." if delta == -math.inf else f"{delta:6.2f}"
            p = _p(r.p_vs_hf.get(s, math.nan), r.median[s], r.median.get("hf-only", math.nan))
            cells.append(f" | {r.median[s]:9.3g} {p:>5s} {d:>6s} {r.share[s]:5.2f}")
        rec = f"{r.recommended:8.3g}" if r.recommended is not None else f"{'-':>8s}"
        dim = seeds.get(r.pair + ":dim", 0)
        lines.append(
            f"{r.pair[:26]:26s} {dim:2d} {seeds.get(r.pair, 0):3d} {f'{r.group}:{r.label_seeds}':8s} {r.optimum:8.4g}"
            + "".join(cells)
            + f" | {rec}"
        )
    return "\n".join(lines)


def plot(rows: list[dict[str, Any]], result: PairResult, strategies: Sequence[str], path: Path) -> None:
    """Regret of the best HF value so far vs cost spent: median and quartiles over seeds per strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    mine = [r for r in rows if r["pair"] == result.pair]
    budget = max(r["budget"] for r in mine)
    grid = np.linspace(0.0, budget, 300)
    fig, ax = plt.subplots(figsize=(6.4, 4.2))
    for s in strategies:
        runs = [r for r in mine if r["strategy"] == s]
        if not runs:
            continue
        curves = np.full((len(runs), grid.size), np.nan)
        for i, r in enumerate(runs):
            for c, b in r["trace"]:
                curves[i, grid >= c] = max(b - result.optimum, 1e-12)
        ok = ~np.isnan(curves).any(axis=0)
        q1, med, q3 = np.percentile(curves[:, ok], [25, 50, 75], axis=0) if ok.any() else ([], [], [])
        line = ax.plot(grid[ok], med, label=s)[0]
        ax.fill_between(grid[ok], q1, q3, color=line.get_color(), alpha=0.15)
    ax.set_yscale("log")
    ax.set_xlabel("cost spent (HF evaluation = 1)")
    ax.set_ylabel("simple regret of the best HF point")
    ax.set_title(f"{result.pair} ({result.group}; median and quartiles, {len(mine)} runs)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def git_head() -> str:
    """The commit the benchmark runs (``+dirty`` when the working tree differs from it); outside a git
    checkout (a ``git archive`` copy) the environment variable ``BENCHMARK_COMMIT``."""
    root = Path(__file__).resolve().parents[1]
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=root, capture_output=True, text=True,
                              check=True).stdout.strip()  # fmt: skip
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=root,
                               capture_output=True, text=True, check=True).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return os.environ.get("BENCHMARK_COMMIT", "unknown")
    return head + ("+dirty" if dirty else "")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", default=",".join(PANEL), help="comma-separated pairs (default: the panel)")
    parser.add_argument("--seeds", type=int, default=20, help="seeds 0..N-1 per (pair, strategy)")
    parser.add_argument("--strategies", default=",".join(STRATEGIES), help="comma-separated subset")
    parser.add_argument("--workers", type=int, default=2, help="worker processes")
    parser.add_argument("--budget-per-dim", type=float, default=10.0, help="HF-cost units per dimension after design")
    parser.add_argument("--low-cost", type=float, default=0.1, help="cost of a cheap evaluation (an HF one costs 1)")
    parser.add_argument("--quick", action="store_true", help="small optimiser settings (model and acquisition)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="JSON-lines results (appended, resumed)")
    parser.add_argument("--plots", type=Path, default=None, help="folder for one regret-vs-cost PNG per pair")
    parser.add_argument("--analyse-only", action="store_true", help="run nothing; analyse what --out holds")
    parser.add_argument(
        "--any-code",
        action="store_true",
        help="resume and analyse rows of any code identity (default: only the current code's)",
    )
    parser.add_argument(
        "--stop-after",
        type=float,
        default=None,
        help="start no new run after this many seconds (finished runs are all written)",
    )
    parser.add_argument("--reach", action="store_true", help="also print where each strategy's Δ comes from")
    args = parser.parse_args(argv)
    strategies = [s.strip() for s in args.strategies.split(",") if s.strip()]
    unknown = set(strategies) - set(STRATEGIES)
    if unknown:
        parser.error(f"unknown strategies {sorted(unknown)} (choose from {', '.join(STRATEGIES)})")
    pairs = [p.strip() for p in args.pairs.split(",") if p.strip()]
    settings = Settings(args.budget_per_dim, args.low_cost, args.quick)
    problems = {}
    for pair in pairs:
        try:
            problems[pair] = make_problem(pair, args.low_cost)
        except Exception as exc:
            parser.error(f"pair {pair!r}: {exc}")
    # seed-major, within a seed the cheapest strategies first (COST_ORDER): an interrupted run leaves
    # whole seeds of many pairs (the analysis keeps complete seeds)
    jobs = [
        (p, s, k, settings) for k in range(args.seeds) for s in sorted(strategies, key=COST_ORDER.index) for p in pairs
    ]
    args.out.parent.mkdir(parents=True, exist_ok=True)
    codes = {s: code_identity(s) for s in STRATEGIES}
    rows = [r for r in load_rows(args.out) if r.get("settings") == settings.key()]
    if not args.any_code:  # rows of other code are kept in the file, neither resumed nor analysed
        rows = [r for r in rows if r.get("code") == codes.get(r["strategy"])]
    unique: dict[tuple[str, str, int], dict[str, Any]] = {}
    for r in rows:  # the first row of a run (two processes on one file may both have written it)
        unique.setdefault((r["pair"], r["strategy"], r["seed"]), r)
    rows = list(unique.values())
    done = set(unique)
    todo = [] if args.analyse_only else [job for job in jobs if job[:3] not in done]
    head = git_head()
    start = time.perf_counter()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    console = Console(stderr=True, quiet=args.analyse_only)
    with ProcessPoolExecutor(args.workers) as pool, Progress(*columns, console=console) as progress:
        task = progress.add_task("runs", total=len(jobs), completed=len(jobs) - len(todo))
        queue, running, ran = list(todo), set(), 0
        while queue or running:
            # at most `workers` runs in flight, so --stop-after can stop starting new ones
            while queue and len(running) < args.workers:
                if args.stop_after is not None and time.perf_counter() - start > args.stop_after:
                    queue.clear()
                    break
                running.add(pool.submit(run_job, queue.pop(0)))
            if not running:
                break
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                row = future.result()
                row = {**row, "commit": head, "code": codes[row["strategy"]]}
                rows.append(row)
                append_row(args.out, row)
                ran += 1
                progress.update(task, advance=1, description=f"{row['pair'][:20]} {row['strategy']} {row['seed']}")
    wall = time.perf_counter() - start
    chosen = complete_seeds([r for r in rows if r["seed"] < args.seeds], pairs, strategies)
    labels = complete_seeds([r for r in rows if r["seed"] < args.seeds], pairs, ["always", "hf-only"])
    results, counts = [], {}
    for pair in pairs:
        if not any(r["pair"] == pair for r in chosen):
            continue
        results.append(analyse(chosen, pair, strategies, reference_optimum(problems[pair]), labels))
        counts[pair] = len({r["seed"] for r in chosen if r["pair"] == pair})
        counts[pair + ":dim"] = problems[pair].dim
    cpu = sum(r["cpu"] for r in chosen)
    commits = sorted({str(r.get("commit")) for r in chosen})
    print(f"{ran} runs now in {wall:.0f} s wall ({len(todo) - ran} of this command left); "
          f"{len(chosen)} runs analysed ({cpu:.0f} CPU s in all), "
          f"settings {settings.key()}, commits {', '.join(commits)}, workers {args.workers}, "
          f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', '-')}")  # fmt: skip
    print("per strategy: median final regret | Wilcoxon p vs hf-only (+ worse, - better at 0.05) | "
          "Δ = cost saving vs hf-only | median cheap share; n = seeds")  # fmt: skip
    print(table(results, strategies, counts))
    if "robust" in strategies and "hf-only" in strategies:
        print("\n".join(done_when(results)))
    print(workload(rows, pairs, strategies, args.seeds))
    if args.reach:
        n_design = {p: design_sizes(problems[p])[problems[p].target.name] for p in pairs}
        print(reach_table(chosen, results, strategies, {p: problems[p].target.cost for p in pairs}, n_design))
    if args.plots:
        args.plots.mkdir(parents=True, exist_ok=True)
        for result in results:
            plot(chosen, result, strategies, args.plots / f"{result.pair}.png")
        print(f"plots: {args.plots}/<pair>.png")


if __name__ == "__main__":
    main()
