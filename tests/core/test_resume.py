"""Killing `mfopt optimize` (SIGKILL) mid-run and resuming keeps every completed evaluation exactly
once and re-runs the one that was in flight (a real subprocess, a real SQLite file)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

OBJECTIVE = """
import math, time

def f(x, fidelity):
    time.sleep(0.3)
    return (6 * x[0] - 2) ** 2 * math.sin(12 * x[0] - 4)
"""

CONFIG = """
[problem]
python = "slow_objective.py:f"
lower = [0.0]
upper = [1.0]

[budget]
max_evaluations = 12

[design]
samples = { high = 4 }

[acquisition]
name = "logei"
num_restarts = 2
raw_samples = 64
"""


def _rows(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT id, x, status, value, attempts FROM evaluations ORDER BY id").fetchall()


def test_sigkill_then_resume_keeps_every_completed_evaluation_once(tmp_path: Path) -> None:
    (tmp_path / "slow_objective.py").write_text(textwrap.dedent(OBJECTIVE))
    (tmp_path / "problem.toml").write_text(CONFIG)
    db_path = tmp_path / "runs" / "problem" / "run.sqlite"
    cmd = [sys.executable, "-m", "mfopt", "optimize", "problem.toml", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    before: list[tuple] = []
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if db_path.exists():
                try:
                    rows = _rows(db_path)
                except sqlite3.OperationalError:
                    rows = []
                done = [r for r in rows if r[2] != "pending"]
                if len(done) >= 6 and any(r[2] == "pending" for r in rows):
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait(timeout=30)
                    before = _rows(db_path)
                    break
            time.sleep(0.02)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL, "the run was not killed mid-way"
    completed_before = [r for r in before if r[2] != "pending"]
    in_flight = [r for r in before if r[2] == "pending"]
    assert completed_before and in_flight

    resumed = subprocess.run(
        [*cmd, "--resume", "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    after = _rows(db_path)
    by_id = {r[0]: r for r in after}
    for row in completed_before:  # kept, unchanged, evaluated once
        assert by_id[row[0]] == row
    for row in in_flight:  # the evaluation in flight at the kill was run again, once
        assert by_id[row[0]][2] == "ok" and by_id[row[0]][4] == 1
    assert len(after) == 12 == result["evaluations"]
    assert all(r[2] == "ok" and r[4] == 1 for r in after)
    assert len({r[0] for r in after}) == len(after)
    assert result["best"]["value"] == min(r[3] for r in after)
