"""Entry point of the first-party executors plugin (``[project.entry-points.mfopt] executors``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl


@hookimpl
def mfopt_register_executors(registry: Registry) -> None:
    """Registers ``serial`` (the default), ``process`` and ``dask``."""
    registry.register(
        "serial",
        "mfopt_executors.serial:make_serial",
        description="one evaluation at a time, in this process (default)",
        default=True,
    )
    registry.register(
        "process",
        "mfopt_executors.process:make_process_pool",
        description="a local process pool (options: workers, start_method)",
        options="mfopt_executors.options:ProcessOptions",
    )
    registry.register(
        "dask",
        "mfopt_executors.dask:make_dask",
        description="a Dask cluster (options: address, workers, threads_per_worker)",
        options="mfopt_executors.options:DaskOptions",
    )
