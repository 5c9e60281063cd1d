"""Runs a study: submits tasks of unfinished instances to an executor and stores rows as tasks finish.

A task holds up to ``group`` instances of one dimension and budget with the same missing
repetitions (they share designs and one batched fit; fewer when their models would be large,
:data:`GROUP_ELEMENTS`); tasks run in the order their first instance appears in the suite, except
that the tasks of one set of pairs at one ``n_l`` (other ``n_h``) follow each other (:func:`plan`).
Such consecutive tasks form a *run* (:func:`runs`), and a run goes to one worker as one unit
(:func:`~mfopt.benchmark.task.run_tasks`), so that Co-Kriging's first stage, which depends only on
the cheap samples, is fitted once per run whichever executor runs it. At most ``window`` runs are
in flight (a killed run loses only those; the progress bar moves as each ends); the parent
process alone writes the results file. Instances whose repetitions and models are all
stored are skipped; a partly stored instance runs only its missing repetitions.

Before the first task, the cheap levels of every nested design the tasks need (one per
dimension, ``n_l`` and repetition seed: the costly maximin hypercube) are computed on the executor,
one job per design, and stored in the results file (:func:`prepare_designs`); each run is handed
its designs, so the designs of a ``(d, n_l)`` are computed once per study, in parallel, instead of
once in every worker that meets it (at ``d = 20``, ``n_l = 400``: 40 designs of about 5 CPU s each).
The rows are the same bit for bit (the workers would compute the same arrays).

A run may be given a time limit (a lent machine, a batch job's wall time): no task is submitted
after it, and at the limit the run stops waiting for the tasks in flight; they are abandoned (the
caller shuts the executor down without waiting) and run again on resume.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass

import numpy as np

from mfopt.benchmark.protocol import DesignKey, cheap_levels
from mfopt.benchmark.results import ResultsStore
from mfopt.benchmark.suites import Instance
from mfopt.benchmark.task import TaskSpec, run_tasks


@dataclass
class RunSummary:
    """What a run did: instances in the suite, skipped (already stored), run now, rows stored, seconds."""

    instances: int
    skipped: int
    completed: int
    rows: int
    seconds: float
    abandoned: int = 0  # instances in flight (or not started) when the time limit was reached


#: Called after every finished run of tasks with (instances done this run, instances to do this run).
ProgressCallback = Callable[[int, int], None]
#: Instances per task (same dimension, budget and missing repetitions).
GROUP = 8
#: Upper bound on ``instances x repetitions x (n_l + n_h)²`` in one task: the joint covariance
#: factors of a batched Co-Kriging fit are held for every member (2·10⁷ doubles = 160 MB).
GROUP_ELEMENTS = 20_000_000


def group_size(n_high: int, n_low: int, reps: int, group: int = GROUP) -> int:
    """How many instances of budget ``(n_high, n_low)`` with ``reps`` repetitions share one task."""
    return max(1, min(group, GROUP_ELEMENTS // max(1, reps * (n_low + n_high) ** 2)))


def plan(
    instances: Sequence[Instance],
    store: ResultsStore,
    reps: int,
    models: Sequence[str],
    seed: int,
    device: str,
    group: int = GROUP,
) -> list[TaskSpec]:
    """Tasks for every instance with missing (repetition, model) rows, grouped by dimension, budget
    and missing repetitions (see the module docstring). Tasks with the same pairs, dimension, ``n_l``
    and repetitions run one after the other, whatever their ``n_h`` (their cheap samples are equal,
    so they form one run, :func:`runs`, and one worker fits Co-Kriging's first stage once for them,
    :func:`mfopt.benchmark.protocol.fit_model`);
    otherwise in order of first appearance. The grouping itself is unchanged by this order, so
    the rows are too."""
    done = store.done()
    groups: dict[tuple[int, int, int, tuple[int, ...]], list[str]] = {}
    for inst in instances:
        have = done.get(inst.key, set())
        missing = tuple(r for r in range(1, reps + 1) if any((r, m) not in have for m in models))
        if missing:
            groups.setdefault((inst.dim, inst.n_high, inst.n_low, missing), []).append(inst.pair)
    tasks: dict[tuple[int, int, tuple[int, ...]], dict[tuple[str, ...], list[TaskSpec]]] = {}
    for (dim, n_high, n_low, missing), pairs in groups.items():
        size = group_size(n_high, n_low, len(missing), group)
        for i in range(0, len(pairs), size):
            chunk = tuple(pairs[i : i + size])
            spec = TaskSpec(chunk, n_high, n_low, dim, missing, tuple(models), seed, device)
            tasks.setdefault((dim, n_low, missing), {}).setdefault(chunk, []).append(spec)
    return [spec for by_pairs in tasks.values() for specs in by_pairs.values() for spec in specs]


def runs(tasks: Sequence[TaskSpec]) -> list[tuple[TaskSpec, ...]]:
    """``tasks`` cut into runs: maximal stretches of consecutive tasks with the same pairs, dimension,
    ``n_l`` and repetitions (equal cheap samples, so one first-stage fit), in order."""
    out: list[list[TaskSpec]] = []
    for spec in tasks:
        last = out[-1][-1] if out else None
        if last is not None and (last.pairs, last.dim, last.n_low, last.reps) == (
            spec.pairs, spec.dim, spec.n_low, spec.reps
        ):  # fmt: skip
            out[-1].append(spec)
        else:
            out.append([spec])
    return [tuple(run) for run in out]


def design_keys(tasks: Sequence[TaskSpec]) -> list[DesignKey]:
    """The cheap levels ``(dim, n_low, seed)`` that ``tasks`` use, in the order they first need them."""
    return list(dict.fromkeys((spec.dim, spec.n_low, spec.seed + r) for spec in tasks for r in spec.reps))


def prepare_designs(
    tasks: Sequence[TaskSpec],
    store: ResultsStore,
    executor: Executor,
    deadline: float | None = None,
    on_designs: Callable[[int, int], None] | None = None,
) -> dict[DesignKey, np.ndarray] | None:
    """The cheap levels of ``tasks``: those stored in ``store``, the others computed on ``executor``
    (one job per design, :func:`mfopt.benchmark.protocol.cheap_levels`) and stored as they finish;
    ``on_designs(stored, to_compute)`` is called first.

    None when ``deadline`` (a ``time.perf_counter()`` value) passes first (the designs finished by
    then are stored; the others are cancelled where they have not started).
    """
    keys = design_keys(tasks)
    have = store.designs()
    designs = {key: have[key] for key in keys if key in have}
    if on_designs is not None:
        on_designs(len(designs), len(keys) - len(designs))
    jobs: dict[Future, DesignKey] = {}
    try:
        for key in keys:  # the deadline is checked between submissions: a serial executor runs each at once
            if deadline is not None and time.perf_counter() >= deadline:
                return None
            if key not in designs:
                jobs[executor.submit(cheap_levels, [key])] = key
        while jobs:
            left = None if deadline is None else deadline - time.perf_counter()
            if left is not None and left <= 0:
                return None
            finished, _ = wait(jobs, timeout=left, return_when=FIRST_COMPLETED)
            new = {jobs.pop(future): future.result()[0] for future in finished}
            store.add_designs(new)
            designs.update(new)
    finally:
        for future in jobs:
            future.cancel()
    return designs


def run_study(
    tasks: Sequence[TaskSpec],
    store: ResultsStore,
    executor: Executor,
    window: int = 2,
    progress: ProgressCallback | None = None,
    deadline: float | None = None,
    designs: dict[DesignKey, np.ndarray] | None = None,
) -> tuple[int, int]:
    """Run ``tasks`` on ``executor``, one run (:func:`runs`) per submission with ``window`` in flight,
    storing each run's rows as it finishes.

    Returns ``(instances completed, rows stored)``. A task's failure stops the run after storing what
    finished (the exception propagates; re-running resumes). ``deadline`` (a ``time.perf_counter()``
    value): no run is submitted after it, and the study returns at it, leaving the runs in flight
    (cancelled where they have not started). ``designs`` (:func:`prepare_designs`): the cheap levels
    handed to each run with its tasks; None: the workers compute them.
    """
    pending = list(reversed(runs(tasks)))
    running: dict[Future, tuple[TaskSpec, ...]] = {}
    total = sum(len(t.pairs) for t in tasks)
    completed = rows = 0
    try:
        while pending or running:
            left = None if deadline is None else deadline - time.perf_counter()
            if left is not None and left <= 0:
                break
            while pending and len(running) < max(1, window):
                run = pending.pop()
                given = None if designs is None else {key: designs[key] for key in design_keys(run)}
                running[executor.submit(run_tasks, run, given)] = run
            finished, _ = wait(running, timeout=left, return_when=FIRST_COMPLETED)
            for future in finished:
                rows += store.add(future.result())
                completed += sum(len(spec.pairs) for spec in running.pop(future))
                if progress is not None:
                    progress(completed, total)
    finally:
        for future in running:
            future.cancel()
    return completed, rows


def timed_run(
    instances: Sequence[Instance],
    store: ResultsStore,
    executor: Executor,
    reps: int,
    models: Sequence[str],
    seed: int = 0,
    device: str = "auto",
    window: int = 2,
    progress: ProgressCallback | None = None,
    on_plan: Callable[[int], None] | None = None,
    group: int = GROUP,
    time_limit: float | None = None,
    on_designs: Callable[[int, int], None] | None = None,
) -> RunSummary:
    """Plan, run and summarise; ``on_plan(n_instances_to_run)`` is called before the first task starts,
    ``on_designs(stored, to_compute)`` before the designs are computed (:func:`prepare_designs`);
    ``time_limit``: seconds from the start after which the run stops (see the module docstring)."""
    start = time.perf_counter()
    tasks = plan(instances, store, reps, models, seed, device, group)
    todo = sum(len(t.pairs) for t in tasks)
    if on_plan is not None:
        on_plan(todo)
    deadline = None if time_limit is None else start + time_limit
    designs = prepare_designs(tasks, store, executor, deadline, on_designs)
    if designs is None:  # the time limit passed while the designs were computed
        completed = rows = 0
    else:
        completed, rows = run_study(tasks, store, executor, window, progress, deadline, designs)
    return RunSummary(
        len(instances), len(instances) - todo, completed, rows, time.perf_counter() - start, todo - completed
    )
