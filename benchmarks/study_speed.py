"""Speed of ``mfopt benchmark run``: instances per minute on 2 cores, and an extrapolation to the full
``paper-literature`` suite (146 pairs x 30 budgets x 40 repetitions).

The panel is a set of study tasks as the runner makes them (:func:`mfopt.benchmark.runner.plan`):
two function pairs of one dimension sharing a budget (dimensions 1 to 10, small and medium
budgets) and, since 2026-11-27 17:20, one heavy instance (``LiuAckley20`` at ``(40, 160)``, d = 20:
the sample's unfinished instances are d = 10 and 20 with ``n_l`` = 160 to 400, where the fits'
costs change with the sample size in ways the smaller tasks never showed), after an untimed
warm-up task. Each task runs in this process; its CPU seconds
(``time.process_time``, so the numbers hold on a busy machine) are split into the nested designs
(computed once per task, shared by its pairs) and the rest (data, detectors, batched fits,
test-set scores), per instance. With ``--pool`` the panel also runs on a 2-process pool and the
wall-clock rate is printed. ``--fits REPEAT`` times only the two fits below per task, the least
of REPEAT timings (to compare surrogate changes on a busy machine).

Kriging's share (its batched fit over one pair's repetitions and its predictions on their test
sets) is timed on its own per task: a task computes it once per distinct target sample
(:func:`mfopt.benchmark.protocol.distinct_fits`: pairs with the same target function share it).
So is Co-Kriging's first stage (its cheap level, ``fit_cheap_level`` on the task's samples): a
worker fits it once for the tasks of one set of pairs and ``n_l`` that it runs one after the
other (:func:`mfopt.benchmark.protocol.fit_model`; the other ``n_h`` of that ``n_l``).

The full-suite estimate fits ``cpu = c · d^a · n^b`` (least squares in logs) separately to the
designs (``n = n_l``), to the rest without Kriging (per instance, ``n = n_l``) and to Kriging (per
distinct target in a task, ``n = n_h``) and to Co-Kriging's first stage (per instance, ``n = n_l``),
all scaled to 40 repetitions, and sums over the tasks the runner plans for the suite's 4380
instances (:func:`mfopt.benchmark.runner.plan`, groups of 8): the rest per instance, Kriging once
per distinct target of a task (targets told apart by their values at 7 points), the first stage
once per run of consecutive tasks of one set of pairs and ``n_l`` (:func:`mfopt.benchmark.runner.runs`:
one worker runs the whole run), the designs once per dimension and ``n_l`` (a design's maximin
hypercube is computed once per study and ``(d, n_l, seed)``, :func:`mfopt.benchmark.runner.prepare_designs`,
and shared by the budgets of that ``n_l``; its subset per ``n_h`` is cheap), divided by
2 cores: an extrapolation outside the panel for n_l > 160. It also prints the
estimate without the shared Kriging fits and first stages (every task its own), for comparison.

    OMP_NUM_THREADS=1 python benchmarks/study_speed.py --reps 10

With ``--run-check`` it instead runs two runs (:data:`RUNS`: two pairs at one ``n_l``, six and four ``n_h``) through
:func:`mfopt.benchmark.runner.run_study` on a 2-process pool and prints the workers' CPU seconds and
the wall time: the cost of the runner's dispatch itself, comparable between code states (run this
file with the older package first on ``PYTHONPATH``; it uses only ``run_study``, which exists in both).
With ``--design-check`` it instead runs :data:`SAME_DESIGNS` (three pairs at one heavy budget, one task
each: three runs, so both workers of a 2-process pool meet the same ``(d, n_l)``) through
:func:`mfopt.benchmark.runner.timed_run` and prints the workers' CPU seconds and the wall time: before
the designs were computed once per study (:func:`mfopt.benchmark.runner.prepare_designs`), each
worker computed the designs of every ``(d, n_l)`` it met (comparable between code states the same way).
With ``--design-cost`` it instead prints the CPU seconds of one design's cheap level
(:func:`mfopt.benchmark.protocol.cheap_levels`, the mean of seeds 1 and 2) for every ``(d, n_l)`` of the
suite with ``d >= 4``, and of the 40 a study needs per ``(d, n_l)``.
With ``--observed RESULTS ...`` (results files or exports of a run with ONE worker, e.g. the committed
``benchmarks/results/study/sample_*.jsonl.gz``) it instead reads what a real run took: a run's rows are
stored in one transaction with one ``finished_at``, so with one worker the time between two stores is
the wall time of the later run (the first store after a start, or after a gap of more than an hour, a
new session, is left out). It prints the instances per minute overall and per ``(d, n_l)``, and, with
``--sample FILE``, the wall time the sample's unfinished instances would take at those rates
(``(d, n_l)`` not observed: ``s = c · d^a · n_l^b`` fitted in logs to the observed ones with ``d >= 4``;
an extrapolation), and the sessions that makes at ``--session-minutes`` of run time each.
With ``--profile PAIR N_H N_L REPS`` it instead runs one task of that instance (its designs computed
first, as a study does, after an untimed warm-up task) under cProfile and prints its CPU seconds by part:
Co-Kriging's first stage, Kriging's fit, the test-set predictions, the detectors, and the top functions.
With ``--batch-check PAIR OTHER N_H N_L REPS`` it instead fits Co-Kriging's first stage on PAIR's
repetitions alone and batched with OTHER's (the runner batches the pairs of a task), and prints how far
PAIR's fits differ (log10 θ, negative log-likelihood per repetition) and its test-set correlations
with each: whether an instance's rows depend on the pairs that share its task.
With ``--stage1-plan SAMPLE`` it instead plans a suite file's instances as the runner does (40 repetitions,
nothing stored) and prints per dimension how many pair-datasets Co-Kriging's first stage is fitted on
(one fit per run of tasks, :func:`mfopt.benchmark.runner.runs`, on the run's pairs) against the distinct
``(pair, n_l)`` there are (what one fit per pair and ``n_l`` for all ``n_h`` would need).
With ``--detectors`` it instead times every registered detector (and variant) judging each
repetition's sample of the panel (:func:`mfopt.benchmark.decisions.assess_sample`, CPU ms per
sample; comparable between code states the same way).
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from mfopt.benchmark import protocol
from mfopt.benchmark.decisions import assess_sample, detector_specs
from mfopt.benchmark.problems import load_problem
from mfopt.benchmark.protocol import cheap_level, holdout_set, predict_mean, training_data, unit_design
from mfopt.benchmark.results import ResultsStore
from mfopt.benchmark.runner import plan, run_study, timed_run
from mfopt.benchmark.suites import LITERATURE_PAIRS, Instance, budgets, expand, suite_pairs
from mfopt.benchmark.task import TaskSpec, run_task
from mfopt.design import lhs
from mfopt.plugin.manager import PluginManager, get_plugin_manager

MODELS = ("kriging", "cokriging")
#: (pairs of one dimension, n_h, n_l, d)
PANEL: tuple[tuple[tuple[str, ...], int, int, int], ...] = (
    (("SongToalForretal0.50", "ShiCurrinSin"), 2, 4, 1),
    (("SongToalForretal0.50", "ShiCurrinSin"), 10, 20, 1),
    (("ToalBranin0.50", "ShiBranin"), 4, 8, 2),
    (("ToalBranin0.50", "ShiBranin"), 16, 32, 2),
    (("ShiHartmannH3", "ToalHartmannH30.50"), 6, 12, 3),
    (("ShiHartmannH3", "ToalHartmannH30.50"), 18, 36, 3),
    (("XiongParkSecond", "XiongParkFirst"), 8, 16, 4),
    (("ShiHartmannH6", "ParkHartmannH6"), 24, 48, 6),
    (("ToalTrid0.50", "LiuAckley10"), 20, 80, 10),
    (("LiuAckley20",), 40, 160, 20),
)
#: Two runs for ``--run-check`` (pairs, the ``n_h`` of one ``n_l``, ``n_l``, d): two, so that both
#: workers of the pool start and work whichever way the runner hands out the tasks.
RUNS: tuple[tuple[tuple[str, ...], tuple[int, ...], int, int], ...] = (
    (("ShiHartmannH3", "ToalHartmannH30.50"), (6, 12, 18, 24, 30, 36), 36, 3),
    (("ShiHartmannH3", "ToalHartmannH30.50"), (6, 12, 18, 24), 24, 3),
)
#: ``--design-check``: three pairs of one dimension at one budget ``(n_h, n_l)``, one task each (``group=1``).
SAME_DESIGNS: tuple[tuple[str, ...], int, int, int] = (("LiuAckley20", "LiuEllipsoid", "LiuDixonPrice"), 40, 160, 20)
#: Run first, untimed: imports and torch's one-off compilation would otherwise count in the first task.
WARM_UP = TaskSpec(("ShiCurrinSin",), 2, 4, 1, (1, 2), MODELS, 0, "cpu")


def tasks(reps: int) -> list[TaskSpec]:
    return [TaskSpec(pairs, nh, nl, d, tuple(range(1, reps + 1)), MODELS, 0, "cpu") for pairs, nh, nl, d in PANEL]


@dataclass
class PanelCPU:
    """CPU seconds per panel task: designs, the rest (both models), Kriging on one pair's repetitions
    and Co-Kriging's first stage on the task's samples."""

    designs: list[float]
    rest: list[float]
    kriging: list[float]
    wall: float
    cheap: list[float]


def kriging_cpu(pm: PluginManager, spec: TaskSpec) -> float:
    """CPU seconds of Kriging's batched fit on the repetitions of the task's first pair and its
    predictions on their test sets (the work a task does once per distinct target)."""
    problem = load_problem(pm, spec.pairs[0])
    data = [training_data(problem, spec.n_high, spec.n_low, spec.seed + r) for r in spec.reps]
    tests = [holdout_set(problem, spec.seed + r)[0] for r in spec.reps]
    cpu = time.process_time()
    fits = pm.surrogates.create("kriging", where="compare", device="cpu", seed=spec.seed).fit_batch(data)
    for fitted, X_test in zip(fits, tests, strict=True):
        predict_mean(fitted, X_test)
    return time.process_time() - cpu


def cheap_cpu(pm: PluginManager, spec: TaskSpec) -> float:
    """CPU seconds of Co-Kriging's first stage (``fit_cheap_level``) on every sample of the task (the
    work a worker does once for consecutive tasks of these pairs and ``n_l``)."""
    problems = [load_problem(pm, pair) for pair in spec.pairs]
    data = [training_data(p, spec.n_high, spec.n_low, spec.seed + r) for p in problems for r in spec.reps]
    cokriging = pm.surrogates.create("cokriging", where="compare", device="cpu", seed=spec.seed)
    cpu = time.process_time()
    cokriging.fit_cheap_level(data)  # type: ignore[attr-defined]
    return time.process_time() - cpu


def fits_cpu(reps: int, repeat: int) -> list[tuple[str, float, float]]:
    """Per panel task: the least CPU seconds over ``repeat`` timings of Kriging's share
    (:func:`kriging_cpu`) and of Co-Kriging's first stage (:func:`cheap_cpu`), after the warm-up
    task; the least of several is the cost with the least interference from a busy machine."""
    pm = get_plugin_manager()
    kriging_cpu(pm, WARM_UP)
    cheap_cpu(pm, WARM_UP)
    out = []
    for spec in tasks(reps):
        k = min(kriging_cpu(pm, spec) for _ in range(repeat))
        c = min(cheap_cpu(pm, spec) for _ in range(repeat))
        out.append((f"{'+'.join(spec.pairs)} nh={spec.n_high} nl={spec.n_low}", k, c))
    return out


def serial_cpu(reps: int) -> PanelCPU:
    """Run the panel serially, timing each task's CPU, then Kriging's part of each task on its own."""
    run_task(WARM_UP)
    out = PanelCPU([], [], [], 0.0, [])
    start = time.perf_counter()
    for spec in tasks(reps):
        unit_design.cache_clear()
        cheap_level.cache_clear()
        protocol._CHEAP_LEVELS.clear()  # every panel task fits its first stage
        cpu = time.process_time()
        for r in spec.reps:
            unit_design(spec.dim, spec.n_low, spec.n_high, spec.seed + r)
        mid = time.process_time()
        run_task(spec)
        out.designs.append(mid - cpu)
        out.rest.append(time.process_time() - mid)
    out.wall = time.perf_counter() - start
    pm = get_plugin_manager()
    out.kriging = [kriging_cpu(pm, spec) for spec in tasks(reps)]
    out.cheap = [cheap_cpu(pm, spec) for spec in tasks(reps)]
    return out


def detectors_cpu(reps: int) -> None:
    """Print the CPU milliseconds of every detector judging one sample, per panel task (and in all)."""
    pm = get_plugin_manager()
    specs = detector_specs(pm)
    run_task(WARM_UP)  # imports (scikit-learn's among them) outside the timing
    total = count = 0.0
    for spec in tasks(reps):
        samples = [
            training_data(load_problem(pm, pair), spec.n_high, spec.n_low, spec.seed + r)
            for pair in spec.pairs
            for r in spec.reps
        ]
        cpu = time.process_time()
        for data in samples:
            assess_sample(pm, data, specs)
        spent = time.process_time() - cpu
        total, count = total + spent, count + len(samples)
        print(
            f"  {'+'.join(spec.pairs):<36} nh={spec.n_high:<3} nl={spec.n_low:<3} {spent / len(samples) * 1e3:6.1f} ms"
        )
    print(f"detectors ({len(specs)}: {', '.join(s.label for s in specs)}): {total / count * 1e3:.1f} CPU ms per sample")


def target_id(pm: PluginManager, pair: str) -> tuple[int, bytes, bytes]:
    """Tells targets apart: dimension, bounds and the target's values at 7 fixed points."""
    problem = load_problem(pm, pair)
    values = problem.evaluate(lhs(7, problem.bounds, seed=3), problem.target.name)
    return problem.dim, problem.bounds.numpy().tobytes(), values.numpy().tobytes()


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def process_run(specs: list[TaskSpec], folder: Path) -> tuple[float, float]:
    """Wall and workers' CPU seconds of ``specs`` through the runner on a 2-process pool."""
    pool = get_plugin_manager().executors.create("process", workers=2)
    before, start = children_cpu(), time.perf_counter()
    with ResultsStore(folder / "process.sqlite") as store:
        run_study(specs, store, pool, window=2)
    pool.shutdown(wait=True)
    return time.perf_counter() - start, children_cpu() - before


def design_check(reps: int, folder: Path) -> tuple[float, float]:
    """Wall and workers' CPU seconds of :data:`SAME_DESIGNS` through ``timed_run`` on a 2-process pool."""
    pairs, n_high, n_low, dim = SAME_DESIGNS
    instances = [Instance(pair, n_high, n_low, dim) for pair in pairs]
    pool = get_plugin_manager().executors.create("process", workers=2)
    before, start = children_cpu(), time.perf_counter()
    with ResultsStore(folder / "designs.sqlite") as store:
        timed_run(instances, store, pool, reps, MODELS, window=2, group=1)
    pool.shutdown(wait=True)
    return time.perf_counter() - start, children_cpu() - before


def design_cost() -> None:
    """Print the CPU seconds of a cheap level per ``(d, n_l)`` of the suite with ``d >= 4`` (module docstring)."""
    pm = get_plugin_manager()
    dims = sorted({load_problem(pm, pair).dim for pair in LITERATURE_PAIRS} - set(range(4)))
    total = 0.0
    for d in dims:
        for n_low in sorted({nl for _, nl in budgets(d, "paper")}):
            cpu = time.process_time()
            protocol.cheap_levels([(d, n_low, 1), (d, n_low, 2)])
            each = (time.process_time() - cpu) / 2
            total += 40 * each
            print(
                f"  d = {d:2d}, n_l = {n_low:3d}: {each:5.2f} CPU s per design, {40 * each:6.1f} per 40 seeds",
                flush=True,
            )
    print(f"designs of the suite's (d, n_l) with d >= 4, 40 seeds each: {total:.0f} CPU s")


def power_law(seconds: list[float], sizes: list[int]) -> np.ndarray:
    """``log c, a, b`` of ``seconds = c · d^a · size^b`` over the panel (least squares in logs)."""
    A = np.array([[1.0, np.log(d), np.log(n)] for (_, _, _, d), n in zip(PANEL, sizes, strict=True)])
    coef, *_ = np.linalg.lstsq(A, np.log(np.maximum(seconds, 1e-6)), rcond=None)
    return coef


def law(coef: np.ndarray, d: int, n: int) -> float:
    return float(np.exp(coef @ np.array([1.0, np.log(d), np.log(n)])))


@dataclass
class Estimate:
    """CPU hours of the suite (with and without shared Kriging fits) and the three fitted laws."""

    hours: float
    hours_unshared: float
    designs: np.ndarray
    other: np.ndarray
    kriging: np.ndarray
    pairs_per_distinct: float
    cheap: np.ndarray
    first_stages: tuple[int, int]  # first-stage fits per instance's worth, (reused, one per task)
    parts: dict[str, float]  # CPU hours of the shared estimate by part: designs, rest, kriging, stage 1


def extrapolate(design40: list[float], other40: list[float], kriging40: list[float], cheap40: list[float]) -> Estimate:
    """CPU hours of the full literature suite, planned as the runner plans it (see the module docstring).

    ``other40``: the rest without Kriging and Co-Kriging's first stage per instance; ``kriging40``:
    Kriging per distinct target; ``cheap40``: the first stage per instance."""
    cd = power_law(design40, [nl for *_, nl, _ in PANEL])
    co = power_law(other40, [nl for *_, nl, _ in PANEL])
    ck = power_law(kriging40, [nh for _, nh, _, _ in PANEL])
    cc = power_law(cheap40, [nl for *_, nl, _ in PANEL])
    pm = get_plugin_manager()
    dims = {pair: load_problem(pm, pair).dim for pair in LITERATURE_PAIRS}
    targets = {pair: target_id(pm, pair) for pair in LITERATURE_PAIRS}
    instances = expand(suite_pairs("paper-literature"), dims, "paper")
    with tempfile.TemporaryDirectory() as tmp, ResultsStore(Path(tmp) / "plan.sqlite") as store:
        planned = plan(instances, store, 40, MODELS, 0, "cpu")
    designs = sum(law(cd, d, nl) for d in set(dims.values()) for nl in {nl for _, nl in budgets(d, "paper")})
    shared = unshared = designs
    parts = dict.fromkeys(("designs", "rest", "kriging", "stage 1"), 0.0)
    parts["designs"] = designs
    distinct = 0
    runs: list[list[TaskSpec]] = []  # consecutive tasks of one set of pairs and n_l
    for spec in planned:
        other = len(spec.pairs) * law(co, spec.dim, spec.n_low)
        kriging = law(ck, spec.dim, spec.n_high)
        n_targets = len({targets[pair] for pair in spec.pairs})
        distinct += n_targets
        shared += other + n_targets * kriging
        parts["rest"] += other
        parts["kriging"] += n_targets * kriging
        unshared += other + len(spec.pairs) * kriging + len(spec.pairs) * law(cc, spec.dim, spec.n_low)
        last = runs[-1][-1] if runs else None
        if last is not None and (last.pairs, last.n_low, last.reps) == (spec.pairs, spec.n_low, spec.reps):
            runs[-1].append(spec)
        else:
            runs.append([spec])
    fits = len(runs)
    for run in runs:
        stage1 = len(run[0].pairs) * law(cc, run[0].dim, run[0].n_low)
        shared += stage1
        parts["stage 1"] += stage1
    hours = {k: v / 3600 for k, v in parts.items()}
    return Estimate(
        shared / 3600, unshared / 3600, cd, co, ck, len(instances) / distinct, cc, (fits, len(planned)), hours
    )


def profile(pair: str, n_high: int, n_low: int, reps: int) -> None:
    """One task of ``(pair, n_high, n_low)`` under cProfile (see the module docstring)."""
    import cProfile
    import io
    import pstats

    import torch

    from mfopt.benchmark.task import run_tasks

    torch.set_num_threads(1)
    dim = load_problem(get_plugin_manager(), pair).dim
    spec = TaskSpec((pair,), n_high, n_low, dim, tuple(range(1, reps + 1)), MODELS, 0, "cpu")
    start = time.process_time()
    keys = [(dim, n_low, r) for r in spec.reps]
    designs = dict(zip(keys, protocol.cheap_levels(keys), strict=True))
    design_s = time.process_time() - start
    run_tasks([TaskSpec((pair,), 2 * dim, 4 * dim, dim, (1,), MODELS, 0, "cpu")])  # warm-up: imports, caches
    protocol._CHEAP_LEVELS.clear()
    prof = cProfile.Profile()
    start = time.process_time()
    prof.enable()
    run_tasks([spec], designs)
    prof.disable()
    total = time.process_time() - start
    stats = pstats.Stats(prof)
    cum = {f"{Path(k[0]).name}:{k[2]}": v[3] for k, v in stats.stats.items()}  # type: ignore[attr-defined]
    parts = {
        "Co-Kriging stage 1": cum.get("cokriging.py:_stage_one", 0.0),
        "Kriging fit": cum.get("kriging.py:fit_batch", 0.0),
        "test-set predictions": cum.get("protocol.py:predict_mean", 0.0),
        "detectors": cum.get("decisions.py:assess_sample", 0.0),
    }
    print(
        f"{pair} (n_h, n_l) = ({n_high}, {n_low}), d = {dim}, {reps} repetitions: task {total:.2f} CPU s "
        f"(designs before it {design_s:.2f}): " + ", ".join(f"{k} {v:.2f}" for k, v in parts.items())
    )
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(12)
    print(out.getvalue().split("\n   ncalls", 1)[-1].join(["   ncalls", ""]))


def batch_check(pair: str, other: str, n_high: int, n_low: int, reps: int) -> None:
    """Co-Kriging's first stage of ``pair`` alone and batched with ``other`` (see the module docstring)."""
    import torch

    torch.set_num_threads(1)
    pm = get_plugin_manager()
    prob, prob2 = load_problem(pm, pair), load_problem(pm, other)
    seeds = range(1, reps + 1)
    mine = [training_data(prob, n_high, n_low, r) for r in seeds]
    theirs = [training_data(prob2, n_high, n_low, r) for r in seeds]
    ck = pm.surrogates.create("cokriging", where="batch-check", device="cpu", seed=0)
    start = time.process_time()
    alone = ck.fit_cheap_level(mine)
    alone_s = time.process_time() - start
    start = time.process_time()
    both = ck.fit_cheap_level(mine + theirs)
    both_s = time.process_time() - start
    batched = both.take(ck.cheap_keys(mine))
    dh = (alone.stage.h - batched.stage.h).abs().amax(dim=-1)
    print(
        f"{pair} (n_h, n_l) = ({n_high}, {n_low}), d = {prob.dim}, {reps} repetitions, Co-Kriging stage 1 alone "
        f"{alone_s:.1f} CPU s, batched with {other} {both_s:.1f} CPU s (both pairs)"
    )
    fits = (ck.fit_batch(mine, cheap=alone), ck.fit_batch(mine, cheap=batched))
    for i, r in enumerate(seeds):
        X = lhs(1000 * prob.dim, prob.bounds, seed=r)
        y = prob.evaluate(X, prob.target.name)
        corr = [protocol.scores(predict_mean(f[i], X), y)[0] for f in fits]
        print(
            f"  rep {r}: stage-1 nll alone {float(alone.stage.nll[i]):.6f} batched {float(batched.stage.nll[i]):.6f}, "
            f"max |log10 θ diff| {float(dh[i]):.3g}; test correlation alone {corr[0]:.10f} batched {corr[1]:.10f}"
        )


def stage1_plan(sample: Path) -> None:
    """First-stage fits of the planned runs against distinct (pair, n_l) (see the module docstring)."""
    from collections import defaultdict

    from mfopt.benchmark.runner import runs

    pm = get_plugin_manager()
    entries = suite_pairs(str(sample))
    dims = {pair: load_problem(pm, pair).dim for pair, _ in entries}
    instances = expand(entries, dims, "paper")
    with tempfile.TemporaryDirectory() as tmp, ResultsStore(Path(tmp) / "plan.sqlite") as store:
        planned = plan(instances, store, 40, MODELS, 0, "cpu")
    fitted: dict[int, int] = defaultdict(int)
    for run in runs(planned):
        fitted[run[0].dim] += len(run[0].pairs)
    distinct: dict[int, set[tuple[str, int]]] = defaultdict(set)
    for inst in instances:
        distinct[inst.dim].add((inst.pair, inst.n_low))
    print(f"{len(instances)} instances, {len(planned)} tasks: first-stage pair-datasets fitted / distinct (pair, n_l)")
    for d in sorted(distinct):
        print(f"  d = {d:2d}: {fitted[d]:4d} / {len(distinct[d]):4d}")


#: A gap between two stores longer than this (seconds) is a break between sessions, not a run's time.
GAP = 3600.0


def observed(paths: list[Path], sample: Path | None, session_minutes: float) -> None:
    """Rates of a real one-worker run from its rows' ``finished_at`` (see the module docstring)."""
    from collections import defaultdict

    from mfopt.benchmark.export import read_rows

    runs: dict[float, set[tuple[str, int, int, int]]] = defaultdict(set)
    for row in read_rows(paths):
        runs[row.finished_at].add((row.pair, row.n_high, row.n_low, row.dim))
    by: dict[tuple[int, int], list[float]] = defaultdict(lambda: [0.0, 0.0])  # (d, n_l) -> instances, seconds
    prev = None
    counted = total_s = 0.0
    for stamp in sorted(runs):
        if prev is not None and stamp - prev <= GAP:
            insts = runs[stamp]
            for _, _, n_low, dim in insts:
                by[(dim, n_low)][0] += 1
                by[(dim, n_low)][1] += (stamp - prev) / len(insts)
            counted += len(insts)
            total_s += stamp - prev
        prev = stamp
    stored = {inst for insts in runs.values() for inst in insts}
    print(
        f"{len(stored)} instances stored in {len(runs)} runs; {counted:.0f} timed (one worker: the time between "
        f"stores) in {total_s / 60:.1f} min: {counted / max(total_s, 1e-9) * 60:.2f} instances/min"
    )
    for (d, n_low), (n, secs) in sorted(by.items()):
        print(f"  d = {d:2d}, n_l = {n_low:3d}: {n:4.0f} instances, {secs / n:7.1f} s each ({60 * n / secs:6.2f}/min)")
    if sample is None:
        return
    heavy = {k: v for k, v in by.items() if k[0] >= 4}  # the regime of the unfinished instances
    fit = heavy if len(heavy) >= 3 else by
    A = np.array([[1.0, np.log(d), np.log(n_low)] for d, n_low in fit])
    coef, *_ = np.linalg.lstsq(A, np.log([secs / n for n, secs in fit.values()]), rcond=None)
    pm = get_plugin_manager()
    lines = [ln.split() for ln in sample.read_text().splitlines() if ln.strip() and not ln.startswith("#")]
    dims = {pair: load_problem(pm, pair).dim for pair in {p for p, _, _ in lines}}
    done = {(p, nh, nl) for p, nh, nl, _ in stored}
    todo = [(p, int(nh), int(nl)) for p, nh, nl in lines if (p, int(nh), int(nl)) not in done]
    seen = unseen = 0.0
    for p, _, n_low in todo:
        key = (dims[p], n_low)
        if key in by:
            seen += by[key][1] / by[key][0]
        else:
            unseen += law(coef, *key)
    hours = (seen + unseen) / 3600
    print(
        f"{len(lines) - len(todo)} of {len(lines)} sample instances stored, {len(todo)} to run: "
        f"{hours:.1f} h ({hours * 60:.1f} min) on one worker ({seen / 3600:.1f} h at observed (d, n_l) rates, "
        f"{unseen / 3600:.1f} h extrapolated with {fmt_law(coef, 'n_l')} s per instance) "
        f"= {hours * 60 / session_minutes:.1f} sessions of {session_minutes:.0f} min"
    )


def fmt_law(coef: np.ndarray, size: str) -> str:
    return f"{np.exp(coef[0]):.3g} d^{coef[1]:.2f} {size}^{coef[2]:.2f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=10, help="repetitions per instance (results scaled to 40)")
    parser.add_argument("--pool", action="store_true", help="also run the panel on a 2-process pool (wall clock)")
    parser.add_argument("--run-check", action="store_true", help="only run one run of tasks on a 2-process pool")
    parser.add_argument("--detectors", action="store_true", help="only time the detectors on the panel's samples")
    parser.add_argument("--design-cost", action="store_true", help="only time one design per (d, n_l) with d >= 4")
    parser.add_argument(
        "--design-check", action="store_true", help="only run three tasks of one heavy budget on a 2-process pool"
    )
    parser.add_argument(
        "--fits", type=int, default=0, metavar="REPEAT", help="only time the fits per task, the least of REPEAT timings"
    )
    parser.add_argument("--observed", type=Path, nargs="+", help="results files of a one-worker run: its real rates")
    parser.add_argument("--sample", type=Path, help="with --observed: the sample file whose rest to time")
    parser.add_argument("--session-minutes", type=float, default=90.0, help="with --sample: run time per session")
    parser.add_argument("--profile", nargs=4, metavar=("PAIR", "N_H", "N_L", "REPS"), help="profile one task")
    parser.add_argument(
        "--batch-check", nargs=5, metavar=("PAIR", "OTHER", "N_H", "N_L", "REPS"), help="stage 1 alone vs batched"
    )
    parser.add_argument("--stage1-plan", type=Path, metavar="SAMPLE", help="first-stage fits of a planned suite file")
    args = parser.parse_args()
    if args.stage1_plan:
        stage1_plan(args.stage1_plan)
        return
    if args.profile:
        pair, *numbers = args.profile
        profile(pair, *map(int, numbers))
        return
    if args.batch_check:
        pair, other, *numbers = args.batch_check
        batch_check(pair, other, *map(int, numbers))
        return
    if args.observed:
        observed(args.observed, args.sample, args.session_minutes)
        return
    if args.fits:
        timings = fits_cpu(args.reps, args.fits)
        for label, k, c in timings:
            print(f"  {label:<52} Kriging {k:6.2f}  Co-Kriging stage 1 {c:6.2f} CPU s (least of {args.fits})")
        print(
            f"fits: Kriging {sum(t[1] for t in timings):.2f}, Co-Kriging stage 1 {sum(t[2] for t in timings):.2f} "
            f"CPU s over the panel's {len(timings)} tasks at {args.reps} repetitions"
        )
        return
    if args.detectors:
        detectors_cpu(args.reps)
        return
    if args.design_cost:
        design_cost()
        return
    if args.design_check:
        with tempfile.TemporaryDirectory() as tmp:
            wall, cpu_s = design_check(args.reps, Path(tmp))
        pairs, n_high, n_low, dim = SAME_DESIGNS
        print(
            f"design check: {', '.join(pairs)} at (n_h, n_l) = ({n_high}, {n_low}), d = {dim}, one task each, "
            f"{args.reps} repetitions, 2 processes: workers {cpu_s:.1f} CPU s (imports included), wall {wall:.1f} s"
        )
        return
    if args.run_check:
        reps = tuple(range(1, args.reps + 1))
        specs = [TaskSpec(p, nh, nl, d, reps, MODELS, 0, "cpu") for p, highs, nl, d in RUNS for nh in highs]
        with tempfile.TemporaryDirectory() as tmp:
            wall, cpu_s = process_run(specs, Path(tmp))
        runs = "; ".join(f"{'+'.join(p)} n_l={nl} n_h={','.join(map(str, highs))}" for p, highs, nl, _ in RUNS)
        print(
            f"run check: {runs} ({len(specs)} tasks, {args.reps} repetitions) on 2 processes: "
            f"workers {cpu_s:.1f} CPU s (imports included), wall {wall:.1f} s"
        )
        return
    cpu = serial_cpu(args.reps)
    n = sum(len(p) for p, *_ in PANEL)
    scale = 40 / args.reps
    pm = get_plugin_manager()
    print(
        f"panel: {len(PANEL)} tasks of 1 or 2 pairs = {n} instances (d = 1..20), {args.reps} repetitions, "
        f"{', '.join(MODELS)}"
    )
    kriging, other, cheap = [], [], []
    for (pairs, nh, nl, _), ds, rs, k, c in zip(PANEL, cpu.designs, cpu.rest, cpu.kriging, cpu.cheap, strict=True):
        label = f"{'+'.join(pairs)} nh={nh} nl={nl}"
        n_targets = len({target_id(pm, pair) for pair in pairs})
        kriging.append(k * scale)
        cheap.append(c / len(pairs) * scale)
        other.append(max(rs - n_targets * k - c, 1e-3) / len(pairs) * scale)
        print(
            f"  {label:<52} designs {ds:6.2f}  rest {rs:6.2f} CPU s ({rs / len(pairs):6.2f} per instance; "
            f"Kriging {k:5.2f} per target, {n_targets} target(s); Co-Kriging stage 1 {c:5.2f})"
        )
    total = sum(cpu.designs) + sum(cpu.rest)
    print(f"serial : {total:.1f} CPU s ({sum(cpu.designs):.1f} designs), wall {cpu.wall:.1f} s")
    if args.pool:
        with tempfile.TemporaryDirectory() as tmp:
            pool_wall, pool_cpu = process_run(tasks(args.reps), Path(tmp))
        print(
            f"process: {pool_cpu:.1f} CPU s (2 workers), wall {pool_wall:.1f} s -> "
            f"{n / pool_wall * 60:.2f} instances/min (wall)"
        )
    ideal = n / (total / 2) * 60
    print(f"2 idle cores (CPU-bound, serial CPU / 2): {ideal:.2f} instances/min at {args.reps} repetitions, "
          f"{ideal / scale:.2f} at 40")  # fmt: skip
    est = extrapolate([s * scale for s in cpu.designs], other, kriging, cheap)
    print(
        f"full paper-literature suite (4380 instances, 40 reps, tasks as planned): designs "
        f"{fmt_law(est.designs, 'n_l')} s per (d, n_l), rest without Kriging and Co-Kriging's "
        f"stage 1 {fmt_law(est.other, 'n_l')} s per instance, Kriging {fmt_law(est.kriging, 'n_h')} s per "
        f"distinct target ({est.pairs_per_distinct:.2f} instances per distinct target in a task), Co-Kriging "
        f"stage 1 {fmt_law(est.cheap, 'n_l')} s per instance, fitted {est.first_stages[0]} times for "
        f"{est.first_stages[1]} tasks -> {est.hours:.1f} CPU hours, {est.hours / 2:.1f} h on 2 cores "
        f"(extrapolated; without shared Kriging fits and stage-1 reuse {est.hours_unshared:.1f} CPU hours, "
        f"{est.hours_unshared / 2:.1f} h)"
    )
    print("  CPU hours by part: " + ", ".join(f"{k} {v:.1f}" for k, v in est.parts.items()))


if __name__ == "__main__":
    main()
