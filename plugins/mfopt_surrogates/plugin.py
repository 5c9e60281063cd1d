"""Entry point of the first-party surrogates plugin (``[project.entry-points.mfopt] surrogates``)."""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl


@hookimpl
def mfopt_register_surrogates(registry: Registry) -> None:
    registry.register(
        "kriging",
        "mfopt_surrogates.kriging:Kriging",
        options="mfopt_surrogates.options:KrigingOptions",
        default=True,
        description="Ordinary Kriging on the target fidelity (power-exponential correlation, concentrated likelihood)",
        multi_fidelity=False,
    )
    registry.register(
        "cokriging",
        "mfopt_surrogates.cokriging:CoKriging",
        options="mfopt_surrogates.options:CoKrigingOptions",
        description="AR1 Co-Kriging over all fidelities (K >= 2 levels) as one GP over (x, level)",
        multi_fidelity=True,
    )
    registry.register(
        "gradient-rbf",
        "mfopt_surrogates.gradient_rbf:GradientRBF",
        options="mfopt_surrogates.options:GradientRBFOptions",
        description="Gradient-only Gaussian-RBF GP (mode g | f-g | f): gradients of every source, HF values as anchors",
        multi_fidelity=True,
    )
    registry.register(
        "botorch-gp",
        "mfopt_surrogates.botorch_gp:BoTorchGP",
        options="mfopt_surrogates.botorch_gp:BoTorchGPOptions",
        description="BoTorch's SingleTaskGP on the target fidelity (default kernel and priors, MAP fit)",
        multi_fidelity=False,
    )
    registry.register(
        "botorch-mf-gp",
        "mfopt_surrogates.botorch_gp:BoTorchMFGP",
        options="mfopt_surrogates.botorch_gp:BoTorchMFGPOptions",
        description="BoTorch's SingleTaskMultiFidelityGP over (x, level): the fidelity level as a feature",
        multi_fidelity=True,
    )
