"""A study run computes each design's cheap level once on its executor, stores it in the results file
and hands it to the tasks: the rows are those of tasks computing their own designs, and a run into a
file that holds the designs computes none."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mfopt.benchmark import protocol
from mfopt.benchmark.results import ResultsStore, row_dict
from mfopt.benchmark.runner import plan, prepare_designs, run_study, timed_run
from mfopt.benchmark.suites import Instance
from mfopt.plugin.manager import get_plugin_manager

MODELS = ["kriging", "cokriging"]
INSTANCES = [Instance("ToalBranin0.50", 4, 8, 2), Instance("ShiBranin", 4, 8, 2), Instance("ShiBranin", 6, 8, 2)]


def _rows(store: ResultsStore) -> list[dict[str, Any]]:
    rows = [row_dict(r) for r in store.rows()]
    for row in rows:
        row.pop("fit_seconds")  # wall time
    return rows


def _clear_caches() -> None:
    protocol.cheap_level.cache_clear()
    protocol.unit_design.cache_clear()
    protocol.provide_designs({})


def test_designs_are_stored_once_and_give_the_rows_of_tasks_computing_their_own(tmp_path: Path) -> None:
    pool = get_plugin_manager().executors.create("serial")
    _clear_caches()
    with ResultsStore(tmp_path / "shared.sqlite") as store:
        summary = timed_run(INSTANCES, store, pool, reps=2, models=MODELS)
        assert summary.completed == 3
        stored = store.designs()
        shared = _rows(store)
    # one cheap level per (d, n_l, seed), the maximin hypercube of nested_design bit for bit
    assert sorted(stored) == [(2, 8, 1), (2, 8, 2)]
    for (dim, n_low, seed), points in stored.items():
        assert np.array_equal(points, protocol.cheap_level(dim, n_low, seed).numpy())
    _clear_caches()
    with ResultsStore(tmp_path / "own.sqlite") as store:
        run_study(plan(INSTANCES, store, 2, MODELS, 0, "auto"), store, pool)  # no designs: tasks compute them
        assert store.designs() == {}
        assert _rows(store) == shared


def test_a_run_into_a_file_holding_the_designs_computes_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pool = get_plugin_manager().executors.create("serial")
    _clear_caches()
    with ResultsStore(tmp_path / "first.sqlite") as store:
        timed_run(INSTANCES, store, pool, reps=2, models=MODELS)
        designs, first = store.designs(), _rows(store)
    _clear_caches()

    def no_design(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("a design was computed although the results file holds it")

    monkeypatch.setattr(protocol, "nested_design", no_design)
    with ResultsStore(tmp_path / "second.sqlite") as store:
        store.add_designs(designs)
        summary = timed_run(INSTANCES, store, pool, reps=2, models=MODELS)
        assert summary.completed == 3
        assert _rows(store) == first


def test_designs_stop_at_the_deadline(tmp_path: Path) -> None:
    pool = get_plugin_manager().executors.create("serial")
    with ResultsStore(tmp_path / "late.sqlite") as store:
        tasks = plan(INSTANCES, store, 2, MODELS, 0, "auto")
        assert prepare_designs(tasks, store, pool, deadline=time.perf_counter()) is None
        assert store.designs() == {}
        summary = timed_run(INSTANCES, store, pool, reps=2, models=MODELS, time_limit=1e-9)
        assert (summary.completed, summary.abandoned) == (0, 3)
