"""Entry point of the first-party detectors plugin (``[project.entry-points.mfopt] detectors``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl


@hookimpl
def mfopt_register_detectors(registry: Registry) -> None:
    """Registers nothing yet: filled in as the family's modules land."""
