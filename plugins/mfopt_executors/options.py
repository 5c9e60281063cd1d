"""The options of the first-party executors (``[executor]`` keys besides ``name`` and the core's
``asynchronous``), validated by mfopt's registry before a study creates its run store."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ProcessOptions(_Options):
    workers: int | None = Field(None, ge=1, description="worker processes (default: the CPU count)")
    start_method: str = Field("spawn", description="a multiprocessing start method")


class DaskOptions(_Options):
    address: str | None = Field(None, description="a scheduler address (default: a LocalCluster)")
    workers: int = Field(2, ge=1, description="LocalCluster workers")
    threads_per_worker: int = Field(1, ge=1)
