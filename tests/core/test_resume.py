"""Killing `mfopt optimize` (SIGKILL, SIGTERM, SIGINT) during the initial design and during a
q = 4 batch, then resuming: every evaluation that finished before the kill is recorded exactly
once and not run again; those in flight are run again (a real subprocess, a real SQLite file, and
a log the objective itself writes, to count how often each point ran)."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

# the objective logs each start and end; its duration grows with x, so a batch finishes piecemeal
OBJECTIVE = """
import math, time
from pathlib import Path

LOG = Path(__file__).with_name("evaluations.log")

def f(x, fidelity):
    with LOG.open("a") as fh:
        fh.write(f"start {float(x[0])!r} {time.time()!r}\\n")
    time.sleep(0.3 + 1.2 * x[0])
    y = (6 * x[0] - 2) ** 2 * math.sin(12 * x[0] - 4)
    with LOG.open("a") as fh:
        fh.write(f"end {float(x[0])!r} {time.time()!r}\\n")
    return y
"""

CONFIG = """
[problem]
python = "slow_objective.py:f"
lower = [0.0]
upper = [1.0]

[budget]
max_evaluations = {evaluations}

[design]
samples = {{ high = {design} }}

[acquisition]
name = "logei"
q = {q}
num_restarts = 2
raw_samples = 64

[surrogate]
name = "kriging"
n_starts = 2

[executor]
{executor}
"""

SERIAL = 'name = "serial"'
BATCH = 'name = "process"\nworkers = 4\nasynchronous = false'


def _rows(db_path: Path) -> list[tuple]:
    with sqlite3.connect(db_path) as db:
        return db.execute("SELECT id, iteration, x, status, value FROM evaluations ORDER BY id").fetchall()


def _log(path: Path) -> list[tuple[str, float, float]]:
    if not path.exists():
        return []
    lines = [line.split() for line in path.read_text().splitlines()]
    return [(kind, float(x), float(t)) for kind, x, t in (parts for parts in lines if len(parts) == 3)]


def _ready_to_kill(db_path: Path, log_path: Path, phase: str) -> bool:
    """Some evaluations of the phase have finished and are recorded, some are in flight, and
    none of those in flight will finish within the next 0.25 s (so the kill lands between)."""
    if not db_path.exists():
        return False
    try:
        rows = _rows(db_path)
    except sqlite3.OperationalError:
        return False
    log = _log(log_path)
    ended = Counter(x for kind, x, _ in log if kind == "end")
    started = {x: t for kind, x, t in log if kind == "start"}
    in_flight = {x: t for x, t in started.items() if x not in ended}
    done = [r for r in rows if r[3] != "pending"]
    if len(done) != sum(ended.values()) or not in_flight:
        return False
    phase_done = [r for r in done if (r[1] == 0) == (phase == "design")]
    now = time.time()
    calm = all(t + 0.3 + 1.2 * x - now > 0.25 for x, t in in_flight.items())
    return len(phase_done) >= 1 and calm


def _run_killed(tmp_path: Path, sig: signal.Signals, phase: str) -> tuple[list[tuple], list[tuple[str, float, float]]]:
    db_path = tmp_path / "runs" / "problem" / "run.sqlite"
    log_path = tmp_path / "evaluations.log"
    cmd = [sys.executable, "-m", "mfopt", "optimize", "problem.toml", "--quiet"]
    # a background job (`cmd &` without job control) inherits SIGINT ignored, and Python keeps it ignored;
    # give the run the default disposition, as in a terminal, so the SIGINT case means the same wherever it runs
    proc = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),  # no threads in this test
    )
    deadline = time.monotonic() + 300
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if _ready_to_kill(db_path, log_path, phase):
                os.killpg(proc.pid, sig)
                proc.wait(timeout=60)
                return _rows(db_path), _log(log_path)
            time.sleep(0.01)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=30)
    raise AssertionError(f"the run ended before it could be killed: {proc.returncode} {proc.stderr.read()!r}")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGTERM, signal.SIGINT], ids=lambda s: s.name)
@pytest.mark.parametrize("phase", ["design", "batch"])
def test_kill_then_resume_keeps_every_finished_evaluation_once(tmp_path: Path, sig: signal.Signals, phase: str) -> None:
    (tmp_path / "slow_objective.py").write_text(textwrap.dedent(OBJECTIVE))
    if phase == "design":
        config = CONFIG.format(evaluations=7, design=5, q=1, executor=SERIAL)
    else:
        config = CONFIG.format(evaluations=12, design=4, q=4, executor=BATCH)
    (tmp_path / "problem.toml").write_text(config)
    before, log_before = _run_killed(tmp_path, sig, phase)
    finished_before = [r for r in before if r[3] != "pending"]
    ended_before = Counter(x for kind, x, _ in log_before if kind == "end")
    assert finished_before and any(r[3] == "pending" for r in before)
    assert Counter(json.loads(r[2])[0] for r in finished_before) == ended_before  # nothing finished unrecorded

    cmd = [sys.executable, "-m", "mfopt", "optimize", "problem.toml", "--resume", "--json", "--quiet"]
    resumed = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    result = json.loads(resumed.stdout)
    after = _rows(tmp_path / "runs" / "problem" / "run.sqlite")
    by_id = {r[0]: r for r in after}
    for row in finished_before:  # kept unchanged
        assert by_id[row[0]] == row
    runs = Counter(x for kind, x, _ in _log(tmp_path / "evaluations.log") if kind == "end")
    for x in ended_before:  # finished before the kill: never run again
        assert runs[x] == 1, f"x = {x} ran {runs[x]} times"
    evaluations = 7 if phase == "design" else 12
    assert len(after) == evaluations == result["evaluations"]
    assert all(r[3] == "ok" for r in after)
    assert Counter(json.loads(r[2])[0] for r in after) == runs  # each recorded point ran exactly once to its end
