"""``--time-limit`` stops promptly: a task still in flight at the limit (its test set takes five
minutes to evaluate) is abandoned, its worker stopped, and the command exits within seconds of
saying so (a pool left waiting on it would hold the exit for minutes).

Slow (about two minutes: the limit must outlast a worker's start-up for a task to be in flight);
the worker stop itself is checked in seconds by ``tests/executors/test_interrupted_shutdown.py``."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

PAIRS = Path(__file__).with_name("pairs.py")
MESSAGE = "time limit reached"


@pytest.mark.slow
def test_a_task_in_flight_at_the_time_limit_does_not_hold_the_exit(tmp_path: Path) -> None:
    suite = tmp_path / "suite.txt"
    suite.write_text(f"{PAIRS}:make_slow_pair 2 4\n")
    command = [
        sys.executable, "-m", "mfopt", "benchmark", "run", "--suite", str(suite), "--out", str(tmp_path / "r.sqlite"),
        "--reps", "2", "--executor", "process", "--workers", "1", "--time-limit", "1.5",
    ]  # fmt: skip
    marker, log = tmp_path / "in-flight", tmp_path / "out.txt"
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MFOPT_TEST_SLOW_MARKER": str(marker)}
    with log.open("w") as out:
        # its own session, so that a failure can stop the command and its workers together
        proc = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 300.0
        while MESSAGE not in log.read_text() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        said = time.monotonic()
        assert MESSAGE in log.read_text(), log.read_text()
        assert marker.exists(), "no task was in flight at the time limit:\n" + log.read_text()
        proc.wait(timeout=15.0)  # TimeoutExpired: the exit waited on the abandoned task
        exited = time.monotonic()
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    output = log.read_text()
    assert proc.returncode == 0, output
    assert "1 instances not finished" in output, output
    assert exited - said < 15.0
