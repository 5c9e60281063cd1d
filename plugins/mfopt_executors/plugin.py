"""Entry point of the first-party executors plugin (``[project.entry-points.mfopt] executors``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl


@hookimpl
def mfopt_register_executors(registry: Registry) -> None:
    registry.register(
        "serial", "mfopt_executors.serial:make_serial", description="one evaluation at a time, in this process"
    )
    registry.register(
        "process", "mfopt_executors.process:make_process_pool", description="a local process pool (options: workers)"
    )
    registry.register(
        "dask", "mfopt_executors.dask:make_dask", description="a Dask cluster (options: address, workers)"
    )
