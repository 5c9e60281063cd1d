"""Entry point of the first-party acquisitions plugin (``[project.entry-points.mfopt] acquisitions``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl


@hookimpl
def mfopt_register_acquisitions(registry: Registry) -> None:
    registry.register(
        "logei",
        "mfopt_acquisitions.single_fidelity:LogEI",
        options="mfopt_acquisitions.options:LogEIOptions",
        default=True,
        description="log expected improvement on the high-fidelity posterior",
    )
    registry.register(
        "lcb",
        "mfopt_acquisitions.single_fidelity:LCB",
        options="mfopt_acquisitions.options:LCBOptions",
        description="lower confidence bound on the high-fidelity posterior",
    )
    registry.register(
        "augmented-ei",
        "mfopt_acquisitions.augmented_ei:AugmentedEI",
        options="mfopt_acquisitions.options:AugmentedEIOptions",
        description="augmented EI (Huang 2006): HF EI x corr(fidelity, HF) x cost ratio; default multi-fidelity choice",
    )
    registry.register(
        "mf-kg",
        "mfopt_acquisitions.cost_aware:MultiFidelityKG",
        options="mfopt_acquisitions.options:MultiFidelityKGOptions",
        description="cost-aware multi-fidelity knowledge gradient (BoTorch qMultiFidelityKnowledgeGradient)",
    )
    registry.register(
        "mf-mes",
        "mfopt_acquisitions.cost_aware:MultiFidelityMES",
        options="mfopt_acquisitions.options:MultiFidelityMESOptions",
        description="cost-aware multi-fidelity max-value entropy search (BoTorch qMultiFidelityMaxValueEntropy)",
    )
