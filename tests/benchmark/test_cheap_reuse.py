"""Co-Kriging's cheap level is fitted once for the budgets of one n_l (same rows as fitting it afresh), and
the runner hands such a run of tasks to one worker as one submission."""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from mfopt.benchmark import protocol
from mfopt.benchmark.results import ResultsStore
from mfopt.benchmark.runner import plan, run_study, runs
from mfopt.benchmark.suites import Instance
from mfopt.benchmark.task import TaskSpec, run_task

MODELS = ("kriging", "cokriging")
PAIRS = ("ShiHartmannH3", "ToalHartmannH30.50")


def _fields(rows: list) -> list[tuple]:
    return [(r.pair, r.n_high, r.n_low, r.rep, r.model, r.correlation, r.rrmse, r.features, r.decisions) for r in rows]


def test_tasks_of_one_n_low_reuse_the_cheap_level_with_identical_rows() -> None:
    specs = [TaskSpec(PAIRS, nh, 12, 3, (1, 2, 3), MODELS, 0, "cpu") for nh in (6, 3)]
    protocol._CHEAP_LEVELS.clear()
    first = run_task(specs[0])
    keys, level = protocol._CHEAP_LEVELS["cokriging"]
    assert len(keys) == 6  # 2 pairs x 3 repetitions, one fingerprint each
    reused = run_task(specs[1])
    assert protocol._CHEAP_LEVELS["cokriging"][1] is level  # not fitted again for n_h = 3
    protocol._CHEAP_LEVELS.clear()
    fresh = run_task(specs[1])
    assert protocol._CHEAP_LEVELS["cokriging"][1] is not level
    assert _fields(reused) == _fields(fresh)
    assert _fields(first) != _fields(fresh)  # another budget: other rows


def test_another_batch_fits_its_own_cheap_level() -> None:
    protocol._CHEAP_LEVELS.clear()
    run_task(TaskSpec(PAIRS, 6, 12, 3, (1, 2), MODELS, 0, "cpu"))
    _, level = protocol._CHEAP_LEVELS["cokriging"]
    run_task(TaskSpec(PAIRS[:1], 3, 12, 3, (1, 2), MODELS, 0, "cpu"))  # a subset: the batch's fit is not reused
    assert protocol._CHEAP_LEVELS["cokriging"][1] is not level
    assert len(protocol._CHEAP_LEVELS["cokriging"][0]) == 2


def test_plan_runs_the_budgets_of_one_n_low_one_after_the_other(tmp_path: Path) -> None:
    instances = [
        Instance("A", 2, 8, 1),
        Instance("B", 2, 8, 1),
        Instance("A", 2, 4, 1),
        Instance("A", 4, 8, 1),
        Instance("B", 4, 8, 1),
        Instance("A", 8, 8, 1),
    ]
    with ResultsStore(tmp_path / "r.sqlite") as store:
        tasks = plan(instances, store, 2, MODELS, 0, "cpu", group=8)
    assert [(t.pairs, t.n_high, t.n_low) for t in tasks] == [
        (("A", "B"), 2, 8),
        (("A", "B"), 4, 8),
        (("A",), 8, 8),
        (("A",), 2, 4),
    ]


def test_runs_are_the_consecutive_tasks_of_one_set_of_pairs_and_n_low() -> None:
    a = [TaskSpec(("A", "B"), nh, 8, 1, (1, 2), MODELS) for nh in (2, 4)]
    other_reps = TaskSpec(("A", "B"), 6, 8, 1, (2,), MODELS)
    b = [TaskSpec(("A",), nh, 8, 1, (1, 2), MODELS) for nh in (8, 2)]
    later = TaskSpec(("A", "B"), 8, 8, 1, (1, 2), MODELS)  # same pairs and n_l, not consecutive
    assert runs([*a, other_reps, *b, later]) == [tuple(a), (other_reps,), tuple(b), (later,)]


class RecordingPool(ThreadPoolExecutor):
    """A real one-thread pool that records what each submission carries."""

    def __init__(self) -> None:
        super().__init__(max_workers=1)
        self.submitted: list[tuple[Any, ...]] = []

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future:
        self.submitted.append((fn.__name__, *args))
        return super().submit(fn, *args, **kwargs)


def test_each_run_goes_to_one_worker_as_one_submission(tmp_path: Path) -> None:
    instances = [Instance(p, nh, 8, 1) for nh in (2, 4, 6) for p in ("SongToalForretal0.50", "ShiCurrinSin")]
    instances.append(Instance("ShiCurrinSin", 2, 4, 1))
    with ResultsStore(tmp_path / "r.sqlite") as store, RecordingPool() as pool:
        tasks = plan(instances, store, 2, MODELS, 0, "cpu", group=8)
        assert run_study(tasks, store, pool, window=2) == (7, 28)
    assert [(name, [(t.pairs, t.n_high, t.n_low) for t in run]) for name, run, *_ in pool.submitted] == [
        ("run_tasks", [(("SongToalForretal0.50", "ShiCurrinSin"), nh, 8) for nh in (2, 4, 6)]),
        ("run_tasks", [(("ShiCurrinSin",), 2, 4)]),
    ]
