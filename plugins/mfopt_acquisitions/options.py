"""The options of the first-party acquisitions (``[acquisition]`` keys besides ``name`` and the
core's ``q``), validated by mfopt's registry before a study creates its run store. Torch-free."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


_RAW = "random points that seed the starts (default: sized to the dimension)"


class LogEIOptions(_Options):
    num_restarts: int = Field(4, ge=1, description="starts of the acquisition optimiser")
    raw_samples: int | None = Field(None, ge=1, description=_RAW)


class LCBOptions(LogEIOptions):
    beta: float = Field(4.0, gt=0.0, allow_inf_nan=False, description="exploration weight")


class AugmentedEIOptions(_Options):
    nugget: float = Field(1e-3, ge=0.0, allow_inf_nan=False, description="noise-to-signal ratio of Huang's EI")
    num_restarts: int = Field(4, ge=1, description="starts of the acquisition optimiser")
    raw_samples: int | None = Field(None, ge=1, description=_RAW)


class MultiFidelityKGOptions(_Options):
    num_fantasies: int = Field(4, ge=1)
    num_restarts: int = Field(4, ge=1)
    raw_samples: int = Field(64, ge=1)
    maxiter: int = Field(30, ge=1)


class MultiFidelityMESOptions(_Options):
    candidates: int = Field(500, ge=1)
    num_mv_samples: int = Field(10, ge=1)
    num_y_samples: int = Field(64, ge=1)
    num_fantasies: int = Field(8, ge=1)
    num_restarts: int = Field(4, ge=1)
    raw_samples: int = Field(64, ge=1)
    maxiter: int = Field(50, ge=1)
