"""``shutdown(wait=False)`` (an interrupted run, a study's time limit) stops the workers promptly, even one
that ignores SIGTERM: it is killed after the grace period, so nothing waits on its evaluation."""

from __future__ import annotations

import signal
import time
from pathlib import Path

from mfopt_executors.process import TERMINATE_GRACE, ProcessExecutor


def stubborn(marker: str) -> None:
    """Ignore SIGTERM, say so by creating ``marker``, then sleep five minutes (an evaluation that a
    plain terminate cannot stop)."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    Path(marker).touch()
    time.sleep(300.0)


def test_an_interrupted_shutdown_kills_a_worker_that_ignores_sigterm(tmp_path: Path) -> None:
    executor = ProcessExecutor(1)
    marker = tmp_path / "ignoring"
    executor.submit(stubborn, str(marker))
    deadline = time.monotonic() + 120.0
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), "the worker never started the evaluation"
    processes = list(executor._pool._processes.values())
    start = time.monotonic()
    executor.shutdown(wait=False, cancel_futures=True)
    assert time.monotonic() - start < TERMINATE_GRACE + 5.0
    assert len(processes) == 1 and not processes[0].is_alive()
    assert processes[0].exitcode == -signal.SIGKILL  # SIGTERM was ignored: killed after the grace period
