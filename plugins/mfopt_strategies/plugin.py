"""Entry point of the first-party strategies plugin (``[project.entry-points.mfopt] strategies``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl
from mfopt_strategies.gated import make_gated


@hookimpl
def mfopt_register_strategies(registry: Registry) -> None:
    """Registers ``gated`` (the default)."""
    registry.register(
        "gated",
        make_gated,
        description="detector gate per cheap source -> multi- or single-fidelity surrogate -> acquisition (default)",
    )
