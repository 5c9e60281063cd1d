"""Entry point of the first-party acquisitions plugin (``[project.entry-points.mfopt] acquisitions``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl
from mfopt_acquisitions.augmented_ei import AugmentedEI
from mfopt_acquisitions.cost_aware import MultiFidelityKG, MultiFidelityMES
from mfopt_acquisitions.single_fidelity import LCB, LogEI


@hookimpl
def mfopt_register_acquisitions(registry: Registry) -> None:
    registry.register("logei", LogEI, description="log expected improvement on the high-fidelity posterior")
    registry.register("lcb", LCB, description="lower confidence bound on the high-fidelity posterior")
    registry.register(
        "augmented-ei",
        AugmentedEI,
        description="augmented EI (Huang 2006): HF EI x corr(fidelity, HF) x cost ratio; default multi-fidelity choice",
    )
    registry.register(
        "mf-kg",
        MultiFidelityKG,
        description="cost-aware multi-fidelity knowledge gradient (BoTorch qMultiFidelityKnowledgeGradient)",
    )
    registry.register(
        "mf-mes",
        MultiFidelityMES,
        description="cost-aware multi-fidelity max-value entropy search (BoTorch qMultiFidelityMaxValueEntropy)",
    )
