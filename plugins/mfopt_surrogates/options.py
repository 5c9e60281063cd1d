"""The options of the first-party surrogates (``[surrogate]`` / ``[multi_surrogate]`` keys besides
``name``), validated by mfopt's registry before a study creates its run store. Torch-free.

``device`` and ``seed`` are not options: the study passes ``[run].device`` and ``[run].seed``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

_P = "a number in [0.1, 2] (2 = Gaussian) or 'learn'"


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class KrigingOptions(_Options):
    p: Annotated[float, Field(ge=0.1, le=2.0)] | Literal["learn"] = Field(2.0, description=_P)
    n_starts: int = Field(8, ge=1, description="optimiser starts")
    maxiter: int = Field(1000, ge=1, description="L-BFGS iterations per start")
    mean_uncertainty: bool = Field(False, description="add Jones' constant-mean term to the variance")
    theta_prior: Literal["none", "dimension-scaled"] = Field("none", description="'none' or 'dimension-scaled'")
    noise: Literal["none", "learn"] | Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = Field(
        "none", description="'none', 'learn' or a fixed noise variance >= 0"
    )
    warm_start: bool = Field(True, description="loop refits start from the cold fit of the data's first rows")
    select: Literal["likelihood", "loo"] = Field(
        "likelihood", description="'likelihood' (the maximiser) or 'loo' (least leave-one-out error)"
    )


class CoKrigingOptions(_Options):
    p: Annotated[float, Field(ge=0.1, le=2.0)] | Literal["learn"] = Field(2.0, description=_P)
    n_starts: int = Field(8, ge=1, description="optimiser starts")
    maxiter: int = Field(1000, ge=1, description="L-BFGS iterations per start")
    mean_uncertainty: bool = Field(False, description="add Jones' constant-mean term to the variance")
    use_prediction: bool = Field(True, description="each level's trend from the cheaper level's prediction")
    noise: Literal["none", "learn"] | Annotated[float, Field(ge=0.0, allow_inf_nan=False)] = Field(
        "none", description="'none', 'learn' (a noise term per level) or a fixed noise variance >= 0 of every level"
    )
    warm_start: bool = Field(
        True, description="loop refits start each stage from the cold fit of the levels' first rows"
    )


class GradientRBFOptions(_Options):
    mode: Literal["g", "f-g", "f"] = Field("g", description="'g', 'f-g' or 'f'")
    n_starts: int = Field(4, ge=1, description="optimiser starts")
    maxiter: int = Field(200, ge=1, description="optimiser iterations per start")
