"""Entry point of the first-party detectors plugin (``[project.entry-points.mfopt] detectors``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl


@hookimpl
def mfopt_register_detectors(registry: Registry) -> None:
    """Registers ``guideline`` (the default), ``guideline-code``, ``toal-cc``, ``learned``, ``always`` and ``never``."""
    registry.register(
        "guideline",
        "mfopt_detectors.detectors:guideline",
        description="Andrés-Thió et al. 2024 §3.4 rules on sample features (default)",
        default=True,
    )
    registry.register(
        "guideline-code",
        "mfopt_detectors.detectors:guideline_code",
        description="the reference code's AdaptiveCoKriging rule thresholds",
    )
    registry.register(
        "toal-cc",
        "mfopt_detectors.detectors:toal_cc",
        description="Toal 2015: use the source iff CC >= threshold (0.7)",
        options="mfopt_detectors.options:ToalCCOptions",
    )
    registry.register("always", "mfopt_detectors.detectors:always", description="baseline: always use the cheap source")
    registry.register("never", "mfopt_detectors.detectors:never", description="baseline: never use the cheap source")
    registry.register(
        "learned",
        "mfopt_detectors.learned:learned",
        description="logistic regression trained on the study's labels (option: path of a detector JSON)",
        options="mfopt_detectors.options:LearnedOptions",
    )
