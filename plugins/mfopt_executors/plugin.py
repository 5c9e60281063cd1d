"""Entry point of the first-party executors plugin (``[project.entry-points.mfopt] executors``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl
from mfopt_executors.dask import make_dask
from mfopt_executors.process import make_process_pool
from mfopt_executors.serial import make_serial


@hookimpl
def mfopt_register_executors(registry: Registry) -> None:
    registry.register("serial", make_serial, description="one evaluation at a time, in this process")
    registry.register("process", make_process_pool, description="a local process pool (options: workers)")
    registry.register("dask", make_dask, description="a Dask cluster (options: address, workers)")
