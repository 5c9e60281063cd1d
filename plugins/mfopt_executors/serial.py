"""The serial executor: runs each call at submission, in this process."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")


class SerialExecutor(Executor):
    """A :class:`concurrent.futures.Executor` that runs every call immediately, in order.

    The standard library has no in-process executor; this one keeps debugging simple (breakpoints
    and tracebacks in the objective work as usual) and costs nothing to start.
    """

    #: one evaluation at a time
    max_workers = 1

    def __init__(self) -> None:
        self._closed = False

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        if self._closed:
            raise RuntimeError("cannot submit to a serial executor after shutdown")
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:
            future.set_exception(exc)
        return future

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._closed = True


def make_serial() -> SerialExecutor:
    return SerialExecutor()
