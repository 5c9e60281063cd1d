"""Entry point of the first-party acquisitions plugin (``[project.entry-points.mfopt] acquisitions``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl


@hookimpl
def mfopt_register_acquisitions(registry: Registry) -> None:
    """Registers nothing yet: filled in as the family's modules land."""
