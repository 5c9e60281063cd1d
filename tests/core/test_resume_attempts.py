"""An objective that kills its evaluator: with the serial executor ``os._exit`` ends mfopt itself
(it cannot be caught in-process), the point stays pending, and after MAX_ATTEMPTS = 2 crashes in a
row ``--resume`` records it as failed ("the evaluator died") and finishes the run."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

from mfopt.loop import MAX_ATTEMPTS

OBJECTIVE = """
import math, os
from pathlib import Path

def f(x, fidelity):
    with Path(__file__).with_name("runs.log").open("a") as fh:
        fh.write(f"{float(x[0])!r}\\n")
    if x[0] > 0.75:
        os._exit(0)
    return (6 * x[0] - 2) ** 2 * math.sin(12 * x[0] - 4)
"""

CONFIG = """
[problem]
python = "deadly.py:f"
lower = [0.0]
upper = [1.0]

[budget]
max_evaluations = 6

[design]
samples = { high = 4 }
seed = 0

[acquisition]
name = "logei"
num_restarts = 2
raw_samples = 64
"""


def test_os_exit_in_a_serial_objective_fails_the_point_after_two_attempts(tmp_path: Path) -> None:
    assert MAX_ATTEMPTS == 2
    (tmp_path / "deadly.py").write_text(OBJECTIVE)
    (tmp_path / "problem.toml").write_text(CONFIG)
    cmd = [sys.executable, "-m", "mfopt", "optimize", "problem.toml", "--json", "--quiet"]
    outputs = []
    for attempt in range(12):
        out = subprocess.run(
            cmd + (["--resume"] if attempt else []), cwd=tmp_path, capture_output=True, text=True, timeout=300
        )
        assert out.returncode == 0, out.stderr  # os._exit(0): mfopt ends "successfully", silently
        outputs.append(out.stdout)
        if out.stdout.strip():
            break
    result = json.loads(outputs[-1])
    assert len(outputs) >= 3  # died at least twice on one point before a resume could finish
    assert result["evaluations"] == 6
    with sqlite3.connect(tmp_path / "runs" / "problem" / "run.sqlite") as db:
        rows = db.execute("SELECT x, status, error, attempts FROM evaluations").fetchall()
    died = [(json.loads(x)[0], n) for x, status, error, n in rows if status == "failed"]
    assert died and all(x > 0.75 and n == MAX_ATTEMPTS for x, n in died)
    assert all("the evaluator died" in error for _, status, error, _ in rows if status == "failed")
    runs = Counter(float(line) for line in (tmp_path / "runs.log").read_text().split())
    assert all(runs[x] == MAX_ATTEMPTS for x, _ in died)  # tried twice, never again
    assert all(runs[json.loads(x)[0]] == 1 for x, status, _, _ in rows if status == "ok")
