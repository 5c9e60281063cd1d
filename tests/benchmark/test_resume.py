"""A run killed with SIGKILL resumes without redoing the instances it had stored.

The six instances share one budget, so ``--group 2`` makes three tasks of two instances each; 10
repetitions make a task last long enough (a few tenths of a second) for the kill to land between tasks
(with 3, the fits got fast enough that a run could store every task before the next poll).
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

REPS = 10
TASK_ROWS = 2 * REPS * 2  # 2 pairs x REPS repetitions x 2 models
ALL_ROWS = 3 * TASK_ROWS
SUITE = "\n".join(f"SongToalForretal0.{a}0 2 4" for a in range(1, 7)) + "\n"


def _stored(db: Path) -> dict[tuple[str, int, str], float]:
    if not db.exists():
        return {}
    with sqlite3.connect(db, timeout=30) as con:
        try:
            rows = con.execute("SELECT pair, rep, model, finished_at FROM rows").fetchall()
        except sqlite3.OperationalError:  # table not created yet
            return {}
    return {(p, r, m): t for p, r, m, t in rows}


def _command(suite: Path, db: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mfopt",
        "benchmark",
        "run",
        "--suite",
        str(suite),
        "--out",
        str(db),
        "--reps",
        str(REPS),
        "--group",
        "2",
    ]


def test_killed_run_resumes_without_redoing_finished_rows(tmp_path: Path) -> None:
    suite = tmp_path / "suite.txt"
    suite.write_text(SUITE)
    db = tmp_path / "results.sqlite"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(_command(suite, db), env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 300
    while len(_stored(db)) < TASK_ROWS and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _stored(db)
    assert TASK_ROWS <= len(before) < ALL_ROWS, f"expected a part of the rows before the kill, got {len(before)}"
    assert len(before) % TASK_ROWS == 0  # a task's rows are stored in one transaction
    done = subprocess.run(_command(suite, db), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    after = _stored(db)
    assert len(after) == ALL_ROWS
    assert {k: after[k] for k in before} == before  # finished rows untouched (same finished_at)
    skipped = len(before) // (2 * REPS)
    assert f"{skipped} skipped as already stored" in done.stdout
    assert f"{6 - skipped} instances run" in done.stdout


def test_time_limit_stops_the_run_and_a_rerun_finishes_it(tmp_path: Path) -> None:
    """``--time-limit``: no task starts after the limit, the command exits 0 with what it stored, and
    the same command without the limit runs only the rest."""
    suite = tmp_path / "suite.txt"
    suite.write_text(SUITE)
    db = tmp_path / "results.sqlite"
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    limited = subprocess.run(
        [*_command(suite, db), "--time-limit", "0.001"], env=env, capture_output=True, text=True, timeout=600
    )
    assert limited.returncode == 0, limited.stdout + limited.stderr
    before = _stored(db)
    assert len(before) < ALL_ROWS and len(before) % TASK_ROWS == 0
    assert f"time limit reached: {6 - len(before) // (2 * REPS)} instances not finished" in limited.stdout
    done = subprocess.run(_command(suite, db), env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    after = _stored(db)
    assert len(after) == ALL_ROWS
    assert {k: after[k] for k in before} == before
