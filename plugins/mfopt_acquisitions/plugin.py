"""Entry point of the first-party acquisitions plugin (``[project.entry-points.mfopt] acquisitions``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl
from mfopt_acquisitions.single_fidelity import LCB, LogEI


@hookimpl
def mfopt_register_acquisitions(registry: Registry) -> None:
    registry.register("logei", LogEI, description="log expected improvement on the high-fidelity posterior")
    registry.register("lcb", LCB, description="lower confidence bound on the high-fidelity posterior")
