"""The executor loop of :meth:`mfopt.Study.run`: keeps every worker busy and records each
evaluation the moment it completes.

- As soon as one evaluation finishes it is recorded in the store and the next point goes out.
  With several workers the study proposes one point ahead while all are busy, conditioned on
  every pending one, so a worker that frees gets it at once and two workers are idle together
  only when two evaluations finish within one proposal's time. (With ``[executor] asynchronous =
  false`` it waits for every evaluation of a proposal instead.) Points proposed ahead are
  evaluated even when a stopping condition holds meanwhile: they are already recorded and paid for.
- An executor that fails an evaluation itself (pickling, a dead worker) fails that point only.
- KeyboardInterrupt and SIGTERM mark the run ``interrupted`` (resumable) and propagate.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from mfopt.components import build_executor
from mfopt.data import Candidate, Observation
from mfopt.evaluation import evaluate_candidate
from mfopt.result import StudyResult

if TYPE_CHECKING:
    from mfopt.loop import Study


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM ends the run like Ctrl-C (status ``interrupted``, resumable) while inside."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run_study(study: Study, executor: Executor | None = None) -> StudyResult:
    """Run ``study`` to a stopping condition on ``executor`` (default: its ``[executor]``, shut
    down at the end; a given one stays open for its owner) and return the result."""
    study.store.set_meta({"status": "running"})
    study.pm.study_start(study.snapshot())
    owned = executor is None
    if executor is None:
        executor = build_executor(study.config, study.pm, study.source)
    workers = max(1, int(getattr(executor, "max_workers", 1) or 1))
    asynchronous = study.config.executor.asynchronous
    lookahead = asynchronous and workers > 1
    needs_gradients = study.strategy.needs_gradients
    in_flight: dict[Future[Observation], Candidate] = {}
    status = "interrupted"
    try:
        with _terminate_as_interrupt():
            while True:
                while len(in_flight) < workers:
                    candidate = study.take(propose=asynchronous or not in_flight)
                    if candidate is None:
                        break
                    future = executor.submit(evaluate_candidate, study.problem, candidate, needs_gradients)
                    in_flight[future] = candidate
                if not in_flight:
                    break
                if lookahead:
                    study.propose_ahead()  # ready for the next free worker
                done, _ = wait(in_flight, return_when=FIRST_COMPLETED)
                for future in sorted(done, key=lambda f: in_flight[f].id or 0):
                    candidate = in_flight.pop(future)
                    study.record([_outcome(study, future, candidate)])
        status = "finished"
    finally:
        if owned:
            executor.shutdown(wait=status == "finished", cancel_futures=True)
        else:
            for future in in_flight:
                future.cancel()
        study.close_run(status)
    result = study.result()
    study.pm.study_end(study.snapshot(), result)
    return result


def _outcome(study: Study, future: Future[Observation], candidate: Candidate) -> Observation:
    try:
        return future.result()
    except Exception as exc:  # the executor itself failed (pickling, a dead worker)
        return study.failed(candidate, f"executor: {type(exc).__name__}: {exc}")
