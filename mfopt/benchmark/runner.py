"""Runs a study: submits one task per unfinished instance to an executor and stores rows as tasks finish.

At most ``window`` tasks are in flight (so a killed run loses little and the progress bar moves);
the parent process alone writes the results file. Instances whose repetitions and models are all
stored are skipped; a partly stored instance runs only its missing repetitions.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from dataclasses import dataclass

from mfopt.benchmark.results import ResultsStore
from mfopt.benchmark.suites import Instance
from mfopt.benchmark.task import TaskSpec, run_task


@dataclass
class RunSummary:
    """What a run did: instances in the suite, skipped (already stored), run now, rows stored, seconds."""

    instances: int
    skipped: int
    completed: int
    rows: int
    seconds: float


#: Called after every finished task with (instances done this run, instances to do this run).
ProgressCallback = Callable[[int, int], None]


def plan(
    instances: Sequence[Instance], store: ResultsStore, reps: int, models: Sequence[str], seed: int, device: str
) -> list[TaskSpec]:
    """Tasks for every instance with missing (repetition, model) rows."""
    done = store.done()
    tasks = []
    for inst in instances:
        have = done.get(inst.key, set())
        missing = tuple(r for r in range(1, reps + 1) if any((r, m) not in have for m in models))
        if missing:
            tasks.append(TaskSpec(inst.pair, inst.n_high, inst.n_low, inst.dim, missing, tuple(models), seed, device))
    return tasks


def run_study(
    tasks: Sequence[TaskSpec],
    store: ResultsStore,
    executor: Executor,
    window: int = 2,
    progress: ProgressCallback | None = None,
) -> tuple[int, int]:
    """Run ``tasks`` on ``executor`` (``window`` in flight), storing each task's rows as it finishes.

    Returns ``(tasks completed, rows stored)``. A task's failure stops the run after storing what
    finished (the exception propagates; re-running resumes).
    """
    pending = list(reversed(tasks))
    running: set[Future] = set()
    completed = rows = 0
    try:
        while pending or running:
            while pending and len(running) < max(1, window):
                running.add(executor.submit(run_task, pending.pop()))
            finished, running = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                rows += store.add(future.result())
                completed += 1
                if progress is not None:
                    progress(completed, len(tasks))
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
) -> RunSummary:
    """Plan, run and summarise; ``on_plan(n_tasks)`` is called before the first task starts."""
    start = time.perf_counter()
    tasks = plan(instances, store, reps, models, seed, device)
    if on_plan is not None:
        on_plan(len(tasks))
    completed, rows = run_study(tasks, store, executor, window, progress)
    return RunSummary(len(instances), len(instances) - len(tasks), completed, rows, time.perf_counter() - start)
