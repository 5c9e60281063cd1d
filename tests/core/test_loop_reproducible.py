"""Same config and seed, same run: the bundled example run in two processes and once in this one (all with
one torch thread) gives identical stores (every x to the last digit, every value, the same number of
evaluations and the same result).

With a different thread count the run is the same decision for decision, but floating-point reductions
split across threads may move the last digits of a proposal: docs/gate.md ("Known gap") records it, and
the second test bounds it (same fidelities in the same order, x and values within 1e-3)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from mfopt import Study, load_config
from tests.conftest import EXAMPLES

EXAMPLE = EXAMPLES / "forrester.toml"


def _evaluations(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT iteration, fidelity, x, status, value FROM evaluations ORDER BY id").fetchall()


def _run(run_dir: Path, threads: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "mfopt", "optimize", str(EXAMPLE), "--run-dir", str(run_dir), "--json"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads},
    )
    assert out.returncode == 0, out.stderr
    result: dict = json.loads(out.stdout)
    result.pop("run_dir")
    return result


@pytest.fixture(scope="module")
def one_thread_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    run_dir = tmp_path_factory.mktemp("repro") / "a"
    return run_dir, _run(run_dir, "1")


def test_same_seed_gives_identical_runs_in_two_processes_and_in_this_one(
    one_thread_run: tuple[Path, dict], tmp_path: Path
) -> None:
    first_dir, first_result = one_thread_run
    assert _run(tmp_path / "b", "1") == first_result
    first = _evaluations(first_dir / "run.sqlite")
    assert len(first) > 8 and _evaluations(tmp_path / "b" / "run.sqlite") == first  # x as JSON text: to the last digit
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        with Study(load_config(EXAMPLE), run_dir=tmp_path / "c", source=str(EXAMPLE)) as study:
            study.run()
    finally:
        torch.set_num_threads(threads)
    assert _evaluations(tmp_path / "c" / "run.sqlite") == first


def test_another_thread_count_makes_the_same_decisions(one_thread_run: tuple[Path, dict], tmp_path: Path) -> None:
    first_dir, first_result = one_thread_run
    second_result = _run(tmp_path / "b", "2")
    first, second = _evaluations(first_dir / "run.sqlite"), _evaluations(tmp_path / "b" / "run.sqlite")
    assert [(i, f, s) for i, f, _, s, _ in first] == [(i, f, s) for i, f, _, s, _ in second]
    for (*_, x1, _, v1), (*_, x2, _, v2) in zip(first, second, strict=True):
        assert json.loads(x1) == pytest.approx(json.loads(x2), abs=1e-3)
        assert v1 == pytest.approx(v2, abs=1e-3)
    assert second_result["best"]["value"] == pytest.approx(first_result["best"]["value"], abs=1e-3)
