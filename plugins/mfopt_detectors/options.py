"""The options of the first-party detectors that take any (``[detector]`` keys besides ``name``),
validated by mfopt's registry before a study creates its run store."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class ToalCCOptions(_Options):
    threshold: float = Field(0.7, ge=0.0, le=1.0, description="CC (a squared correlation) in [0, 1]")


class LearnedOptions(_Options):
    path: str | None = Field(None, description="a detector JSON (default: the shipped model)")
