"""One unit of work of a study run: the missing repetitions of one instance, every model.

:func:`run_task` is a top-level function of plain, picklable arguments so that any
:class:`concurrent.futures.Executor` (serial, a process pool, a Dask cluster) can run it; the
worker builds its own plugin manager and problem, and returns :class:`~mfopt.benchmark.results.Row`
objects for the parent to store. Torch uses one thread per task: parallelism comes from the
executor, and a fixed thread count keeps results identical whichever executor runs the task.
"""

from __future__ import annotations

from dataclasses import dataclass

from mfopt.benchmark.results import Row


@dataclass(frozen=True)
class TaskSpec:
    """What a worker needs: the instance, the repetitions to run, the models, seed offset and device."""

    pair: str
    n_high: int
    n_low: int
    dim: int
    reps: tuple[int, ...]
    models: tuple[str, ...]
    seed: int = 0
    device: str = "auto"


def run_task(spec: TaskSpec) -> list[Row]:
    """Run the repetitions of ``spec`` and return one row per (repetition, model)."""
    import torch

    from mfopt.benchmark.problems import load_problem
    from mfopt.benchmark.protocol import run_repetitions
    from mfopt.plugin.manager import get_plugin_manager

    torch.set_num_threads(1)
    pm = get_plugin_manager()
    problem = load_problem(pm, spec.pair)
    done = run_repetitions(pm, problem, spec.n_high, spec.n_low, spec.reps, spec.models, spec.seed, spec.device)
    return [
        Row(
            spec.pair, spec.n_high, spec.n_low, spec.dim, rep.rep, rep.seed, model,
            *rep.scores[model], rep.verdicts.features, rep.verdicts.decisions,
        )
        for rep in done
        for model in spec.models
    ]  # fmt: skip
