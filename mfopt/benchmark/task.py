"""The units of work of a study run: a task (the missing repetitions of the instances of one budget,
every model) and a run of tasks that share Co-Kriging's first stage.

:func:`run_task` and :func:`run_tasks` are top-level functions of plain, picklable arguments so that any
:class:`concurrent.futures.Executor` (serial, a process pool, a Dask cluster) can run it; the
worker builds its own plugin manager and problems, and returns :class:`~mfopt.benchmark.results.Row`
objects for the parent to store. A task holds several function pairs of one dimension and one
budget ``(n_h, n_l)``: they share the nested designs (computed once) and are fitted in one batch.
Torch uses one thread per task: parallelism comes from the executor, and a fixed thread count
keeps results identical whichever executor runs the task. The runner hands a worker a whole run
(:func:`run_tasks`: the tasks of one set of pairs at one ``n_l``, other ``n_h``), so that the
worker fits their common first stage once (:func:`mfopt.benchmark.protocol.fit_model`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from mfopt.benchmark.results import Row


@dataclass(frozen=True)
class TaskSpec:
    """What a worker needs: the pairs (one dimension), the budget, the repetitions to run, the models,
    seed offset and device."""

    pairs: tuple[str, ...]
    n_high: int
    n_low: int
    dim: int
    reps: tuple[int, ...]
    models: tuple[str, ...]
    seed: int = 0
    device: str = "auto"


def run_task(spec: TaskSpec) -> list[Row]:
    """Run the repetitions of ``spec`` and return one row per (pair, repetition, model)."""
    import torch

    from mfopt.benchmark.problems import load_problem
    from mfopt.benchmark.protocol import run_instances
    from mfopt.plugin.manager import get_plugin_manager

    torch.set_num_threads(1)
    pm = get_plugin_manager()
    problems = [load_problem(pm, pair) for pair in spec.pairs]
    done = run_instances(pm, problems, spec.n_high, spec.n_low, spec.reps, spec.models, spec.seed, spec.device)
    return [
        Row(
            pair, spec.n_high, spec.n_low, spec.dim, rep.rep, rep.seed, model,
            *rep.scores[model], rep.verdicts.features, rep.verdicts.decisions, rules=rep.verdicts.rules,
        )
        for pair, repetitions in zip(spec.pairs, done, strict=True)
        for rep in repetitions
        for model in spec.models
    ]  # fmt: skip


def run_tasks(specs: Sequence[TaskSpec], designs: dict[tuple[int, int, int], np.ndarray] | None = None) -> list[Row]:
    """Run ``specs`` one after the other in this process (:func:`run_task`) and return all their rows.

    ``designs``: their cheap levels by ``(dim, n_low, seed)``, computed once for the whole study
    (:func:`mfopt.benchmark.protocol.cheap_levels`); the tasks then use them instead of computing them.
    """
    if designs is not None:
        from mfopt.benchmark.protocol import provide_designs

        provide_designs(designs)
    return [row for spec in specs for row in run_task(spec)]
