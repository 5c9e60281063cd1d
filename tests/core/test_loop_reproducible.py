"""Same config and seed, same run: the bundled example run in two processes (with 1 and 2 torch
threads) and once in this one gives identical stores (every x to the last digit, every value, the same number of
evaluations and the same result)."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from mfopt import Study, load_config
from tests.conftest import EXAMPLES


def _evaluations(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT iteration, fidelity, x, status, value FROM evaluations ORDER BY id").fetchall()


def test_same_seed_gives_identical_runs_in_two_processes_and_in_this_one(tmp_path: Path) -> None:
    example = EXAMPLES / "forrester.toml"
    results = []
    for name, threads in (("a", "1"), ("b", "2")):  # thread-count-dependent reductions would show
        out = subprocess.run(
            [sys.executable, "-m", "mfopt", "optimize", str(example), "--run-dir", str(tmp_path / name), "--json"],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
            env={**os.environ, "OMP_NUM_THREADS": threads, "MKL_NUM_THREADS": threads},
        )
        assert out.returncode == 0, out.stderr
        results.append(json.loads(out.stdout))
    first, second = (_evaluations(tmp_path / name / "run.sqlite") for name in ("a", "b"))
    assert len(first) > 8 and first == second  # x is stored as JSON text: equal to the last digit
    assert {k: v for k, v in results[0].items() if k != "run_dir"} == {
        k: v for k, v in results[1].items() if k != "run_dir"
    }
    with Study(load_config(example), run_dir=tmp_path / "c", source=str(example)) as study:
        study.run()
    assert _evaluations(tmp_path / "c" / "run.sqlite") == first
