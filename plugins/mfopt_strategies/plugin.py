"""Entry point of the first-party strategies plugin (``[project.entry-points.mfopt] strategies``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl

ROBUST = "gate re-judged on detector prior + LOO + prequential evidence, capped cheap spending, HF-only shadow"


@hookimpl
def mfopt_register_strategies(registry: Registry) -> None:
    """Registers ``gated`` (the default) and ``robust``."""
    registry.register(
        "gated",
        "mfopt_strategies.gated:make_gated",
        default=True,
        description="detector gate per cheap source -> multi- or single-fidelity surrogate -> acquisition (default)",
    )
    registry.register(
        "robust",
        "mfopt_strategies.robust:RobustStrategy",
        options="mfopt_strategies.options:RobustOptions",
        description=ROBUST,
    )
