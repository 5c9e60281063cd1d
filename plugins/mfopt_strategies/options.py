"""The options of the first-party strategies (``[strategy]`` keys besides ``name``), validated by
mfopt's registry before a study creates its run store. Torch-free."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: a fraction of a cost, in [0, 1]
Share = Annotated[float, Field(ge=0.0, le=1.0, allow_inf_nan=False)]


class RobustOptions(BaseModel):
    """``[strategy] name = "robust"`` (docs/gate.md)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    max_cheap_run: int = Field(3, ge=1, description="consecutive cheap-only iterations before a target point")
    hf_share_weak: Share = Field(0.5, description="floor on the target's cost share, weak evidence")
    hf_share_strong: Share = Field(0.25, description="floor on the target's cost share, strong evidence")
    hf_acquisition: str = Field("logei", min_length=1, description="acquisition of the high-fidelity-only model")
    confirm: bool = Field(True, description="the last affordable target evaluation confirms the better model")
    cheap_cap_weak: Share = Field(0.15, description="cap on the cheap share of the post-design budget")
    cheap_cap_strong: Share = Field(0.3, description="the same cap once the evidence is strong and positive")
    steer_after: int = Field(
        1, ge=0, description="prequential points a source needs before its fused model places target points"
    )
    exploit_every: int = Field(
        2, ge=0, description="every k-th target point goes to a proven fused model's mean minimiser (0: never)"
    )
    spend_score: float = Field(
        0.25, allow_inf_nan=False, description="evidence score (nats) a judged source needs for cheap evaluations"
    )
    undersampled_q2: Share = Field(
        0.9, description="a source whose own model's LOO Q² is below this is under-sampled, not harmful (0: off)"
    )
    undersampled_growth: float = Field(
        2.0,
        ge=1.0,
        allow_inf_nan=False,
        description="the under-sampled probation ends once the source holds this multiple of its cheap design's points",
    )

    @model_validator(mode="after")
    def _ordered(self) -> RobustOptions:
        if self.cheap_cap_strong < self.cheap_cap_weak:
            raise ValueError(
                f"cheap_cap_strong ({self.cheap_cap_strong}) is below cheap_cap_weak ({self.cheap_cap_weak}): "
                "strong evidence must not allow less cheap spending than weak evidence"
            )
        return self
