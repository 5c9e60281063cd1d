"""Entry point of the first-party executors plugin (``[project.entry-points.mfopt] executors``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl


@hookimpl
def mfopt_register_executors(registry: Registry) -> None:
    """Registers nothing yet: filled in as the family's modules land."""
