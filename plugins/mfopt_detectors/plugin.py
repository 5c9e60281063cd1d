"""Entry point of the first-party detectors plugin (``[project.entry-points.mfopt] detectors``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl
from mfopt_detectors import detectors, learned


@hookimpl
def mfopt_register_detectors(registry: Registry) -> None:
    """Registers ``guideline`` (the default), ``guideline-code``, ``toal-cc``, ``learned``, ``always`` and ``never``."""
    registry.register(
        "guideline",
        detectors.guideline,
        description="Andrés-Thió et al. 2024 §3.4 rules on sample features (default)",
    )
    registry.register(
        "guideline-code",
        detectors.guideline_code,
        description="the reference code's AdaptiveCoKriging rule thresholds",
    )
    registry.register("toal-cc", detectors.toal_cc, description="Toal 2015: use the source iff CC >= threshold (0.7)")
    registry.register("always", detectors.always, description="baseline: always use the cheap source")
    registry.register("never", detectors.never, description="baseline: never use the cheap source")
    registry.register(
        "learned",
        learned.learned,
        description="logistic regression trained on the study's labels (option: path of a detector JSON)",
    )
