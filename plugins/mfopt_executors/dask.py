"""A Dask executor: evaluations on a ``distributed`` cluster (a local one by default).

``distributed.Client.get_executor()`` already implements :class:`concurrent.futures.Executor`;
this module only owns the client's (and a local cluster's) life cycle.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from typing import Any, TypeVar

T = TypeVar("T")


class DaskExecutor(Executor):
    """Submits to a Dask cluster; shuts down the client and any cluster it started."""

    def __init__(self, address: str | None = None, workers: int = 2, threads_per_worker: int = 1) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # optional dependency
            raise ValueError("the dask executor needs dask.distributed: pip install 'mfopt[dask]'") from exc
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        self._cluster = None
        if address is None:
            self._cluster = LocalCluster(
                n_workers=workers,
                threads_per_worker=threads_per_worker,
                processes=True,
                host="127.0.0.1",
                dashboard_address=None,
            )
            address = self._cluster.scheduler_address
        self.client = Client(address)
        self._executor = self.client.get_executor()
        #: evaluations the cluster runs at once (its worker threads), so the study keeps them busy
        self.max_workers = max(1, sum(self.client.nthreads().values()))

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        return self._executor.submit(fn, *args, **kwargs)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        self._executor.shutdown(wait=wait)
        self.client.close()
        if self._cluster is not None:
            self._cluster.close()


def make_dask(address: str | None = None, workers: int = 2, threads_per_worker: int = 1) -> DaskExecutor:
    """``address`` of a running scheduler (``tcp://host:8786``), or None for a local cluster of
    ``workers`` processes on loopback."""
    return DaskExecutor(address, workers, threads_per_worker)
