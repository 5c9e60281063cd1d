"""The runner's plan: instances of one dimension, budget and missing repetitions share a task."""

from __future__ import annotations

from pathlib import Path

from mfopt.benchmark.results import ResultsStore, Row
from mfopt.benchmark.runner import GROUP_ELEMENTS, group_size, plan
from mfopt.benchmark.suites import Instance

MODELS = ("kriging", "cokriging")


def _row(pair: str, nh: int, nl: int, rep: int, model: str) -> Row:
    return Row(pair, nh, nl, 1, rep, rep, model, 0.5, 0.1, 0.0, {}, {})


def test_instances_of_one_budget_share_a_task_in_order_of_first_appearance(tmp_path: Path) -> None:
    instances = [
        Instance("A", 2, 4, 1),
        Instance("X", 4, 8, 2),
        Instance("B", 2, 4, 1),
        Instance("C", 4, 8, 1),
        Instance("D", 2, 4, 1),
        Instance("Y", 4, 8, 2),
    ]
    with ResultsStore(tmp_path / "r.sqlite") as store:
        store.add([_row("D", 2, 4, r, m) for r in (1, 2) for m in MODELS])  # D done
        store.add([_row("B", 2, 4, 1, m) for m in MODELS])  # B misses rep 2 only
        tasks = plan(instances, store, 2, MODELS, 0, "cpu", group=8)
    assert [(t.pairs, t.n_high, t.n_low, t.dim, t.reps) for t in tasks] == [
        (("A",), 2, 4, 1, (1, 2)),
        (("X", "Y"), 4, 8, 2, (1, 2)),
        (("B",), 2, 4, 1, (2,)),
        (("C",), 4, 8, 1, (1, 2)),
    ]


def test_group_caps_the_task_size(tmp_path: Path) -> None:
    instances = [Instance(f"P{i}", 2, 4, 1) for i in range(5)]
    with ResultsStore(tmp_path / "r.sqlite") as store:
        tasks = plan(instances, store, 3, MODELS, 0, "cpu", group=2)
    assert [t.pairs for t in tasks] == [("P0", "P1"), ("P2", "P3"), ("P4",)]


def test_large_models_are_not_grouped() -> None:
    assert group_size(4, 8, 40) == 8
    assert group_size(200, 200, 40) == GROUP_ELEMENTS // (40 * 400**2)
    assert group_size(400, 400, 40) == 1
