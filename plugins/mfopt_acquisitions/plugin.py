"""Entry point of the first-party acquisitions plugin (``[project.entry-points.mfopt] acquisitions``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl


@hookimpl
def mfopt_register_acquisitions(registry: Registry) -> None:
    registry.register(
        "logei",
        "mfopt_acquisitions.single_fidelity:LogEI",
        description="log expected improvement on the high-fidelity posterior",
    )
    registry.register(
        "lcb",
        "mfopt_acquisitions.single_fidelity:LCB",
        description="lower confidence bound on the high-fidelity posterior",
    )
    registry.register(
        "augmented-ei",
        "mfopt_acquisitions.augmented_ei:AugmentedEI",
        description="augmented EI (Huang 2006): HF EI x corr(fidelity, HF) x cost ratio; default multi-fidelity choice",
    )
    registry.register(
        "mf-kg",
        "mfopt_acquisitions.cost_aware:MultiFidelityKG",
        description="cost-aware multi-fidelity knowledge gradient (BoTorch qMultiFidelityKnowledgeGradient)",
    )
    registry.register(
        "mf-mes",
        "mfopt_acquisitions.cost_aware:MultiFidelityMES",
        description="cost-aware multi-fidelity max-value entropy search (BoTorch qMultiFidelityMaxValueEntropy)",
    )
