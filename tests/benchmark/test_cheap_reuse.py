"""Co-Kriging's cheap level is fitted once for the budgets of one n_l (same rows as fitting it afresh)."""

from __future__ import annotations

from pathlib import Path

from mfopt.benchmark import protocol
from mfopt.benchmark.results import ResultsStore
from mfopt.benchmark.runner import plan
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
