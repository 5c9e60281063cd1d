"""A tiny suite through the serial, process and Dask (LocalCluster on loopback) executors: identical rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mfopt.benchmark.results import ResultsStore, row_dict
from mfopt.benchmark.runner import timed_run
from mfopt.benchmark.suites import Instance
from mfopt.plugin.manager import get_plugin_manager

INSTANCES = [Instance("SongToalForretal0.50", 2, 4, 1), Instance("ShiCurrinSin", 3, 6, 1)]


def _run(tmp_path: Path, executor: str, **options: Any) -> list[dict[str, Any]]:
    pm = get_plugin_manager()
    pool = pm.executors.create(executor, **options)
    try:
        with ResultsStore(tmp_path / f"{executor}.sqlite") as store:
            summary = timed_run(INSTANCES, store, pool, reps=2, models=["kriging", "cokriging"], window=2)
            rows = [row_dict(r) for r in store.rows()]
    finally:
        pool.shutdown(wait=True)
    assert summary.completed == 2 and summary.rows == 8
    for row in rows:
        row.pop("fit_seconds")  # wall time, the only field allowed to differ
    return rows


def test_serial_process_and_dask_store_identical_rows(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    serial = _run(tmp_path, "serial")
    assert len(serial) == 8
    assert {(r["pair"], r["rep"], r["model"]) for r in serial} == {
        (p, rep, m)
        for p in ("SongToalForretal0.50", "ShiCurrinSin")
        for rep in (1, 2)
        for m in ("kriging", "cokriging")
    }
    assert all(-1.0 <= r["correlation"] <= 1.0 for r in serial)
    assert all(set(r["decisions"]) >= {"guideline", "toal-cc", "always", "never"} for r in serial)
    assert _run(tmp_path, "process", workers=2) == serial
    assert _run(tmp_path, "dask", workers=2) == serial
