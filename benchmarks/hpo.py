"""Tuning benchmark: mfopt (gated multi-fidelity) vs Optuna TPE + HyperbandPruner, DEHB and random search.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/hpo.py run --seeds 10 --budget 20
    python benchmarks/hpo.py table                 # the table and plots from the stored rows only
    python benchmarks/hpo.py breakdown             # per seed: where mfopt's budget went, first hits

Tasks: ``examples/hpo/tasks.py`` (an MLP on digits, histogram gradient boosting on breast
cancer), trained with seed 0 everywhere, so a configuration at a level always has the same
validation error and the methods tune the same deterministic function; a method's ``seed`` seeds
the method only.

Cost is deterministic: an evaluation at level ``l`` (epochs, boosting rounds) costs ``l / L``
with ``L`` the full training's level (a full training costs 1). Wall time would be the natural
currency, but on a loaded shared machine the same run costs a different number of seconds each
time, so budgets and the cost-to-target would not be reproducible; measured training seconds
scale roughly with the level for the MLP (0.1 s for 4 epochs, 0.8 s for 32) and less so for
boosting. TPE + Hyperband trains a trial through its rungs as one resumed run (a checkpoint
continues), so a trial pruned at level ``l`` costs ``l / L`` in total; DEHB and mfopt evaluate
each (configuration, level) as a fresh training and pay its full level. Random search evaluates
at the full level only. Every method gets the same total budget ``--budget`` (in full trainings).

Each ``(task, method, seed, budget)`` result is written to the results SQLite file the moment it
completes; running the same command again skips finished ones. ``table`` prints, per task and
method, the median (over seeds) best full-training validation error at 25 %, 50 % and 100 % of
the budget, and the cost at which each method's median curve first reaches a common target: the
worst of the methods' median final errors (so that every method reaches it), with the ratios
mfopt / best of (TPE + Hyperband, DEHB) and mfopt / random from the same rows. A plot per task:
median best error vs cost with the interquartile band.

mfopt variants: ``--methods mfopt/transform=log/promote=0.5`` runs :func:`mfopt.create_study`
with those keyword arguments; a variant is stored and tabulated under its own name, measured
against the common target of the four methods (a variant does not move it).
"""

from __future__ import annotations

import argparse
import json
import math
import sqlite3
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples" / "hpo"))
from tasks import TASKS, Task  # noqa: E402

METHODS = ("mfopt", "tpe-hyperband", "dehb", "random")
ETA = 2  # Hyperband's and DEHB's reduction factor: rungs 4, 8, 16, 32 epochs on mlp_digits
TRAINING_SEED = 0
#: mfopt's settings for these tasks: the objective is a validation error (> 0, heavy-tailed: diverged
#: trainings at 0.3-0.9 beside good ones at 0.02-0.05), so the models see its log (docs/hpo.md)
MFOPT_OPTIONS: dict[str, Any] = {"transform": "log"}

# one evaluation in a trace: [cumulative cost after it, its level, validation error]
Trace = list[tuple[float, float, float]]


class _Ledger:
    """The cost spent so far and the trace; ``pay`` refuses what the budget cannot pay."""

    def __init__(self, budget: float) -> None:
        self.budget, self.spent, self.trace = budget, 0.0, []  # type: tuple[float, float, Trace]

    def pay(self, cost: float) -> bool:
        if self.spent + cost > self.budget + 1e-9:
            return False
        self.spent += cost
        return True

    def record(self, level: float, value: float) -> None:
        self.trace.append((round(self.spent, 9), float(level), float(value)))


def _levels(task: Task) -> tuple[int, int]:
    (_, low), (_, high) = task.levels.items()
    return low, high


def run_mfopt(task: Task, seed: int, budget: float, **options: Any) -> Trace:
    """``options``: keyword arguments of :func:`mfopt.create_study` over ``MFOPT_OPTIONS`` (a
    variant ``mfopt/k=v/...``; ``mfopt/transform=none`` is the plain default)."""
    import mfopt

    low, high = _levels(task)
    (cheap, _), (full, _) = task.levels.items()
    fidelities = [{"name": cheap, "level": low, "cost": low / high}, {"name": full, "level": high, "cost": 1.0}]
    ledger = _Ledger(budget)
    with mfopt.create_study(
        task.parameters, fidelities, budget=budget, seed=seed, **(MFOPT_OPTIONS | options)
    ) as study:
        while (trial := study.ask()) is not None:
            if not ledger.pay(trial.level / high):
                break
            error, seconds = task.run(trial.params, int(trial.level), TRAINING_SEED)
            study.tell(trial, error, duration=seconds)
            ledger.record(trial.level, error)
    return ledger.trace


def _suggest(trial: Any, parameters: dict[str, dict[str, Any]]) -> dict[str, Any]:
    from with_optuna import suggest

    return suggest(trial, parameters)


def run_tpe_hyperband(task: Task, seed: int, budget: float) -> Trace:
    import optuna

    low, high = _levels(task)
    rungs = [low * ETA**k for k in range(64) if low * ETA**k < high] + [high]
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(
        sampler=optuna.samplers.TPESampler(seed=seed),
        pruner=optuna.pruners.HyperbandPruner(min_resource=low, max_resource=high, reduction_factor=ETA),
    )
    ledger = _Ledger(budget)
    while True:
        trial = study.ask()
        params = _suggest(trial, task.parameters)
        trained = 0
        for level in rungs:
            if not ledger.pay((level - trained) / high):  # the run resumes from its last rung
                return ledger.trace
            trained = level
            error, _ = task.run(params, level, TRAINING_SEED)
            ledger.record(level, error)
            if level == high:
                study.tell(trial, error)
                break
            trial.report(error, level)
            if trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                break


def run_dehb(task: Task, seed: int, budget: float) -> Trace:
    import ConfigSpace as CS
    from dehb import DEHB

    low, high = _levels(task)
    space = CS.ConfigurationSpace(seed=seed)
    for name, spec in task.parameters.items():
        if spec["type"] == "float":
            space.add(CS.Float(name, (spec["low"], spec["high"]), log=spec.get("log", False)))
        elif spec["type"] == "int":
            space.add(CS.Integer(name, (spec["low"], spec["high"]), log=spec.get("log", False)))
        else:
            space.add(CS.Categorical(name, spec["choices"]))
    ledger = _Ledger(budget)
    with tempfile.TemporaryDirectory() as out:
        dehb = DEHB(
            cs=space, dimensions=len(task.parameters), min_fidelity=low, max_fidelity=high, eta=ETA,
            n_workers=1, output_path=out, seed=seed, log_level="ERROR",
        )  # fmt: skip
        while True:
            job = dehb.ask()
            level = round(float(job["fidelity"]))
            if not ledger.pay(level / high):
                return ledger.trace
            error, _ = task.run(dict(job["config"]), level, TRAINING_SEED)
            ledger.record(level, error)
            dehb.tell(job, {"fitness": error, "cost": level / high})


def run_random(task: Task, seed: int, budget: float) -> Trace:
    import optuna

    _, high = _levels(task)
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=seed))
    ledger = _Ledger(budget)
    while ledger.pay(1.0):
        trial = study.ask()
        error, _ = task.run(_suggest(trial, task.parameters), high, TRAINING_SEED)
        ledger.record(high, error)
        study.tell(trial, error)
    return ledger.trace


RUNNERS: dict[str, Callable[[Task, int, float], Trace]] = {
    "mfopt": run_mfopt, "tpe-hyperband": run_tpe_hyperband, "dehb": run_dehb, "random": run_random,
}  # fmt: skip


def _option(text: str) -> Any:
    if text in ("true", "false"):
        return text == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def runner(method: str) -> Callable[[Task, int, float], Trace]:
    """The runner of ``method``: one of ``METHODS``, or an mfopt variant ``mfopt/key=value/...``
    whose pairs are passed to :func:`mfopt.create_study` (``mfopt/transform=log/promote=0.5``)."""
    if method in RUNNERS:
        return RUNNERS[method]
    head, *pairs = method.split("/")
    if head != "mfopt" or not pairs or not all("=" in p for p in pairs):
        raise ValueError(f"unknown method {method!r}; choose from {', '.join(METHODS)} or mfopt/key=value/...")
    options = {k: _option(v) for k, v in (p.split("=", 1) for p in pairs)}
    return lambda task, seed, budget: run_mfopt(task, seed, budget, **options)


# --- results store ---------------------------------------------------------------------------


def _connect(path: Path) -> sqlite3.Connection:
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path)
    db.execute(
        "CREATE TABLE IF NOT EXISTS results (task TEXT, method TEXT, seed INTEGER, budget REAL, trace TEXT,"
        " cpu_seconds REAL, wall_seconds REAL, PRIMARY KEY (task, method, seed, budget))"
    )
    return db


def run_all(
    tasks: Sequence[Task], methods: Sequence[str], seeds: Sequence[int], budget: float, results: Path,
    *, progress: bool = True,
) -> int:  # fmt: skip
    """Run every missing ``(task, method, seed)`` at ``budget``; returns how many were run."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    db = _connect(results)
    done = {tuple(r) for r in db.execute("SELECT task, method, seed FROM results WHERE budget = ?", (budget,))}
    todo = [(t, m, s) for s in seeds for t in tasks for m in methods if (t.name, m, s) not in done]
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, disable=not progress) as bar:
        job = bar.add_task("hpo benchmark", total=len(todo))
        for task, method, seed in todo:
            bar.update(job, description=f"{task.name} {method} seed {seed}")
            cpu, wall = time.process_time(), time.perf_counter()
            trace = runner(method)(task, seed, budget)
            row = (task.name, method, seed, budget, json.dumps(trace), time.process_time() - cpu,
                   time.perf_counter() - wall)  # fmt: skip
            with db:
                db.execute("INSERT INTO results VALUES (?, ?, ?, ?, ?, ?, ?)", row)
            bar.advance(job)
    db.close()
    return len(todo)


def load(results: Path, budget: float, seeds: Sequence[int] | None = None) -> dict[str, dict[str, list[Trace]]]:
    """task -> method -> one trace per seed (ordered by seed); only ``seeds`` when given."""
    db = _connect(results)
    rows = db.execute(
        "SELECT task, method, seed, trace FROM results WHERE budget = ? ORDER BY task, method, seed", (budget,)
    ).fetchall()
    db.close()
    out: dict[str, dict[str, list[Trace]]] = {}
    for task, method, seed, trace in rows:
        if seeds is None or seed in seeds:
            out.setdefault(task, {}).setdefault(method, []).append([tuple(e) for e in json.loads(trace)])
    return out


# --- analysis --------------------------------------------------------------------------------


def best_curve(trace: Trace, full_level: float, grid: np.ndarray) -> np.ndarray:
    """Best full-training error found by each cost of ``grid`` (inf before the first one)."""
    curve = np.full(len(grid), math.inf)
    for cost, level, value in trace:
        if level == full_level:
            at = grid >= cost - 1e-9
            curve[at] = np.minimum(curve[at], value)
    return curve


def summarise(traces: dict[str, list[Trace]], full_level: float, budget: float) -> dict[str, Any]:
    """Median curves, the common target and each method's cost to reach it. The target is the
    worst median final error of the methods of ``METHODS`` present (of all when none is), so that
    mfopt variants are measured against the same target without moving it."""
    grid = np.round(np.linspace(0.0, budget, round(budget * 40) + 1), 9)
    curves = {m: np.array([best_curve(t, full_level, grid) for t in ts]) for m, ts in traces.items()}
    median = {m: np.median(c, axis=0) for m, c in curves.items()}
    main = [m for m in median if m in METHODS] or list(median)
    target = max(float(median[m][-1]) for m in main)
    reach = {}
    for m, med in median.items():
        hit = np.nonzero(med <= target + 1e-12)[0]
        reach[m] = float(grid[hit[0]]) if len(hit) else math.inf
    return {"grid": grid, "curves": curves, "median": median, "target": target, "reach": reach}


def _at(grid: np.ndarray, curve: np.ndarray, cost: float) -> float:
    return float(curve[np.searchsorted(grid, cost - 1e-9)])


def table(data: dict[str, dict[str, list[Trace]]], budget: float) -> tuple[str, dict[str, dict[str, Any]]]:
    """The printed table and, per task, its summary (as computed from the stored traces)."""
    lines, summaries = [], {}
    for name in sorted(data):
        full = (
            float(_levels(TASKS[name])[1])
            if name in TASKS
            else max(e[1] for ts in data[name].values() for t in ts for e in t)
        )
        s = summarise(data[name], full, budget)
        summaries[name] = s
        seeds = {m: len(ts) for m, ts in data[name].items()}
        lines.append(f"task {name}: budget {budget:g} full trainings, common target {s['target']:.4f}")
        lines.append(f"  {'method':<14} {'seeds':>5} {'@25%':>8} {'@50%':>8} {'@100%':>8} {'cost to target':>15}")
        for m in [m for m in METHODS if m in data[name]] + sorted(set(data[name]) - set(METHODS)):
            med = s["median"][m]
            cells = [_at(s["grid"], med, budget * f) for f in (0.25, 0.5, 1.0)]
            lines.append(
                f"  {m:<14} {seeds[m]:>5} " + " ".join(f"{c:>8.4f}" for c in cells) + f" {s['reach'][m]:>15.3f}"
            )
        reach = s["reach"]
        peers = [reach[m] for m in ("tpe-hyperband", "dehb") if m in reach]
        if "mfopt" in reach and peers:
            s["ratio_peers"] = reach["mfopt"] / min(peers) if min(peers) > 0 else math.inf
            lines.append(f"  mfopt / best of (tpe-hyperband, dehb) cost to target: {s['ratio_peers']:.2f}")
        if "mfopt" in reach and "random" in reach:
            s["ratio_random"] = reach["mfopt"] / reach["random"] if reach["random"] > 0 else math.inf
            lines.append(f"  mfopt / random cost to target: {s['ratio_random']:.2f}")
    return "\n".join(lines), summaries


def plot(summaries: dict[str, dict[str, Any]], budget: float, out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, s in summaries.items():
        fig, ax = plt.subplots(figsize=(6, 4))
        for m, c in s["curves"].items():
            finite = np.where(np.isfinite(c), c, np.nan)
            (line,) = ax.step(s["grid"], s["median"][m], where="post", label=f"{m} ({len(c)} seeds)")
            with warnings.catch_warnings():  # columns before any full training are all NaN: no band there
                warnings.simplefilter("ignore", RuntimeWarning)
                lo, hi = np.nanpercentile(finite, 25, axis=0), np.nanpercentile(finite, 75, axis=0)
            ax.fill_between(s["grid"], lo, hi, step="post", alpha=0.15, color=line.get_color())
        ax.axhline(s["target"], color="grey", linestyle=":", label="common target")
        ax.set(xlabel="cost (full trainings)", ylabel="best validation error (median)", title=name, xlim=(0, budget))
        ax.legend(fontsize=8)
        fig.tight_layout()
        path = out / f"hpo_{name}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        paths.append(path)
    return paths


def phases(
    trace: Trace, full_level: float, screen: int = 4, promote: float = 1.0, *, design_first: bool = False
) -> dict[str, Any]:
    """Where an mfopt run's budget went, read from its trace (create_study's phases, docs/hpo.md):
    the design (its cheap runs and its full training: the ``screen``-th, or the first with
    ``design_first``, create_study's order before 2026-11-27 09:30, runs of hpo_v5.sqlite and
    older), the screened full trainings (the others of the first ``screen``), the promoted ones (a
    full training after cheap runs worth ``promote`` full trainings: the HPO layer queues one
    then, before the strategy is asked), the strategy's full trainings (the rest) and its cheap
    runs (every cheap run after the design); ``first``: the phase and cost of each full training,
    in order."""
    out: dict[str, Any] = {"design": 0.0, "screen": 0, "promoted": 0, "strategy": 0, "cheap": 0.0, "first": []}
    before, since, n_full = 0.0, 0.0, 0
    for cost, level, value in trace:
        step, before = cost - before, cost
        if level != full_level:
            since += step
            out["design" if n_full == 0 else "cheap"] += step
            continue
        if n_full == (0 if design_first else screen - 1):
            phase = "design"
        elif n_full < screen:
            phase = "screen"
        else:
            phase = "promoted" if since >= promote - 1e-9 else "strategy"
        if phase != "design":
            out[phase] += 1
        n_full, since = n_full + 1, 0.0
        out["first"].append((phase, cost, value))
    return out


def breakdown(
    data: dict[str, dict[str, list[Trace]]], method: str, targets: dict[str, float], seeds: Sequence[int],
    *, screen: int = 4, design_first: bool = False,
) -> str:  # fmt: skip
    """Per task and seed: where ``method``'s budget went (:func:`phases`), when it first reached
    the task's target (and in which phase), and when random search did (same seed)."""
    lines = []
    for name in sorted(data):
        full = float(_levels(TASKS[name])[1])
        lines.append(f"task {name}: {method}, target {targets[name]:.4f}")
        lines.append("  seed  design  screened  promoted  strategy(full)  strategy(cheap)  first hit        random hit")
        runs = data[name].get(method, [])
        randoms = data[name].get("random", [])
        for i, (seed, trace) in enumerate(zip(seeds, runs, strict=False)):
            p = phases(trace, full, screen, design_first=design_first)
            hit = next(((ph, c) for ph, c, v in p["first"] if v <= targets[name] + 1e-12), None)
            rand = next((c for c, _, v in randoms[i] if v <= targets[name] + 1e-12), None) if i < len(randoms) else None
            hit_text = f"{hit[1]:6.2f} ({hit[0]})" if hit else "     -"
            rand_text = f"{rand:6.2f}" if rand is not None else "     -"
            lines.append(
                f"  {seed:>4}  {p['design']:4.2f}+1  {p['screen']:>8}  {p['promoted']:>8}  {p['strategy']:>14}"
                f"  {p['cheap']:>15.2f}  {hit_text:<16} {rand_text}"
            )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=("run", "table", "breakdown"))
    parser.add_argument("--tasks", default=",".join(TASKS))
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--seeds", type=int, default=10, help="seeds first .. first + N - 1 (run and table)")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=float, default=20.0, help="in full trainings")
    parser.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results" / "hpo.sqlite")
    parser.add_argument("--plots", type=Path, default=ROOT / "docs" / "hpo")
    parser.add_argument("--breakdown", default="mfopt", help="the method whose phases `breakdown` prints")
    parser.add_argument("--screen", type=int, default=4, help="`breakdown`: full trainings of the initial phase")
    parser.add_argument(
        "--design-first", action="store_true", help="`breakdown` of runs with the design point first (hpo_v5, older)"
    )
    args = parser.parse_args(argv)
    methods = args.methods.split(",")
    for method in methods:
        try:
            runner(method)
        except ValueError as exc:
            parser.error(str(exc))
    seeds = list(range(args.first_seed, args.first_seed + args.seeds))
    if args.command == "run":
        tasks = [TASKS[t] for t in args.tasks.split(",")]
        run_all(tasks, methods, seeds, args.budget, args.results, progress=sys.stderr.isatty())
    data = load(args.results, args.budget, seeds)
    text, summaries = table(data, args.budget)
    if args.command == "breakdown":
        targets = {name: s["target"] for name, s in summaries.items()}
        text = breakdown(data, args.breakdown, targets, seeds, screen=args.screen, design_first=args.design_first)
        print(text)
        return text
    print(text)
    for path in plot(summaries, args.budget, args.plots):
        print(f"plot: {path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
    return text


if __name__ == "__main__":
    main()
