"""Entry point of the first-party surrogates plugin (``[project.entry-points.mfopt] surrogates``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl


@hookimpl
def mfopt_register_surrogates(registry: Registry) -> None:
    """Registers nothing yet: filled in as the family's modules land."""
