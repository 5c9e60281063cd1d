"""A process-pool executor for CPU-bound objectives on one machine, that survives dead workers.

The standard library's :class:`~concurrent.futures.ProcessPoolExecutor` breaks for good when one
worker dies (``os._exit`` in an objective, a segfault, the OOM killer): every evaluation in flight
fails with ``BrokenProcessPool`` and nothing more can be submitted. :class:`ProcessExecutor`
wraps it: when the pool breaks it starts a new one and finds the culprit. An evaluation that was
alone in the pool when it broke is the culprit: its future fails with :class:`WorkerDied`.
When several were in flight, each is run again alone, one after the other (new submissions wait),
so only the evaluation that kills its worker again fails; the others get their results.

Each worker limits torch to ``max(1, cores // workers)`` threads, so ``workers`` processes do
not oversubscribe the machine.
"""

from __future__ import annotations

import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any


class WorkerDied(RuntimeError):
    """The worker process running an evaluation died (it exited or was killed)."""


def limit_threads(threads: int) -> None:
    """Worker initializer: torch's intra-op thread count."""
    import torch

    torch.set_num_threads(threads)


@dataclass(eq=False)
class _Task:
    fn: Callable[..., Any]
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    future: Future[Any] = field(default_factory=Future)
    generation: int = -1


class ProcessExecutor(Executor):
    """A process pool of ``workers`` processes that is rebuilt when a worker dies.

    ``max_workers`` tells the study how many evaluations to keep in flight.
    """

    def __init__(self, workers: int, start_method: str = "spawn") -> None:
        self.max_workers = workers
        self.threads_per_worker = max(1, (os.cpu_count() or 1) // workers)
        self._context = multiprocessing.get_context(start_method)
        self._lock = threading.RLock()
        self._generation = 0
        self._pool = self._new_pool()
        self._running: dict[Future[Any], _Task] = {}
        self._isolate: deque[_Task] = deque()  # suspects of a broken pool, re-run one at a time
        self._waiting: deque[_Task] = deque()  # submitted while suspects are being isolated
        self._alone: _Task | None = None
        self._closed = False

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.max_workers,
            mp_context=self._context,
            initializer=limit_threads,
            initargs=(self.threads_per_worker,),
        )

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        task = _Task(fn, args, kwargs)
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot submit to a process executor after shutdown")
            if self._isolate or self._alone is not None:
                self._waiting.append(task)
            else:
                self._start(task)
        return task.future

    def _start(self, task: _Task) -> None:
        if not task.future.running() and not task.future.set_running_or_notify_cancel():
            return  # cancelled before it started
        task.generation = self._generation
        try:
            inner = self._pool.submit(task.fn, *task.args, **task.kwargs)
        except BrokenProcessPool:
            self._replace_pool()
            inner = self._pool.submit(task.fn, *task.args, **task.kwargs)
        self._running[inner] = task
        inner.add_done_callback(self._done)

    def _replace_pool(self) -> None:
        self._generation += 1
        self._pool = self._new_pool()

    def _done(self, inner: Future[Any]) -> None:
        with self._lock:
            task = self._running.pop(inner, None)
            if task is None:  # moved to isolation when its pool broke
                return
            error = None if inner.cancelled() else inner.exception()
            if isinstance(error, BrokenProcessPool):
                self._broken(task)
            elif inner.cancelled():
                task.future.cancel()
            elif error is not None:
                task.future.set_exception(error)
            else:
                task.future.set_result(inner.result())
            if task is self._alone:
                self._alone = None
            self._next()

    def _broken(self, task: _Task) -> None:
        """The pool of ``task`` broke: blame it if it ran alone, else isolate every suspect."""
        others = [t for t in self._running.values() if t.generation == task.generation]
        if task.generation == self._generation:
            self._replace_pool()
        if not others:
            task.future.set_exception(
                WorkerDied("the evaluator died: its worker process exited or was killed during the evaluation")
            )
            return
        for inner, t in list(self._running.items()):
            if t.generation == task.generation:
                del self._running[inner]
        self._isolate.extend([task, *others])

    def _next(self) -> None:
        """Start the next suspect alone, or, once none is left, the submissions that waited."""
        if self._alone is not None or self._closed:
            return
        if self._isolate:
            self._alone = self._isolate.popleft()
            self._start(self._alone)
            return
        while self._waiting:
            self._start(self._waiting.popleft())

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """Shut the pool down. ``wait=False`` (an interrupted run) also stops the workers
        (:func:`stop_workers`: SIGTERM, then SIGKILL after :data:`TERMINATE_GRACE` seconds): their
        evaluations are abandoned (pending in the run store, run again on resume)."""
        with self._lock:
            self._closed = True
            pool = self._pool
            abandoned = [*self._isolate, *self._waiting]
            self._isolate.clear()
            self._waiting.clear()
        if cancel_futures:
            for task in abandoned:
                task.future.cancel()
        if not wait:
            stop_workers(list((getattr(pool, "_processes", None) or {}).values()))
        pool.shutdown(wait=wait, cancel_futures=cancel_futures)


#: Seconds the workers of an interrupted run get to end after SIGTERM before they are killed.
TERMINATE_GRACE = 2.0


def stop_workers(processes: list[multiprocessing.process.BaseProcess], grace: float = TERMINATE_GRACE) -> None:
    """Terminate ``processes``, wait up to ``grace`` seconds in all for them to end, then kill those
    still alive, and reap them: the pool's own shutdown (and the interpreter's exit, which joins the
    pool's threads) then finds no worker still running an abandoned evaluation."""
    for process in processes:
        process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        process.join(max(0.0, deadline - time.monotonic()))
    for process in processes:
        if process.is_alive():
            process.kill()
            process.join(grace)


def make_process_pool(workers: int | None = None, start_method: str = "spawn") -> ProcessExecutor:
    """``workers`` processes (default: the CPU count); ``start_method`` spawn (default, safe with
    torch threads), forkserver or fork."""
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    if start_method not in multiprocessing.get_all_start_methods():
        raise ValueError(f"start_method must be one of {multiprocessing.get_all_start_methods()}, got {start_method!r}")
    return ProcessExecutor(workers or os.cpu_count() or 1, start_method)
