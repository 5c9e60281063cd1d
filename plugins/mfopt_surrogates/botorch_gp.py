"""BoTorch's own Gaussian processes as mfopt surrogates: ``botorch-gp`` and ``botorch-mf-gp``.

Kriging (:mod:`mfopt_surrogates.kriging`) is the paper's model and stays the default; these wrap
the field's reference models unchanged, so that a loop can run on the same model BoTorch's own
loops use (issue 11: on Augmented Hartmann 6, from 16 points, Kriging + LogEI ends far behind
BoTorch's SingleTaskGP + qLogEI while mfopt's LogEI on BoTorch's model does not, see
docs/acquisitions.md):

- ``botorch-gp`` (single fidelity): :class:`~botorch.models.SingleTaskGP` with BoTorch's default
  kernel and priors (BoTorch >= 0.12: an ARD squared-exponential kernel whose length scales have
  the dimension-scaled log-normal prior of Hvarfner et al. 2024; ``kernel = "matern-5/2"`` swaps in
  a Matérn-5/2 kernel with the same prior), a constant mean, inputs normalised to the unit cube
  with the problem's bounds (``Normalize``), outputs standardised (``Standardize``), fitted by
  ``fit_gpytorch_mll`` (maximum a posteriori).
- ``botorch-mf-gp`` (multi-fidelity, for ``[multi_surrogate]``):
  :class:`~botorch.models.SingleTaskMultiFidelityGP` with the fidelity level as its last input
  (``data_fidelities``, the linear-truncated fidelity kernel of BoTorch's multi-fidelity
  tutorials), the level column normalised from the lowest level in the data to the target's.

Noise (``noise``): ``"learn"`` (the default, BoTorch's: a homoscedastic noise variance with a
LogNormal(-4, 1) prior on standardised outputs, at least 1e-4), ``"none"`` (a fixed noise variance
of 1e-6 on standardised outputs: near-interpolation for deterministic objectives, the tiny floor
keeps the Cholesky factorisation stable) or a number > 0 (a fixed noise variance, objective units).

Determinism: the fit starts from BoTorch's initial values (the priors' modes); the random restarts
``fit_gpytorch_mll`` draws when an optimisation fails come from torch's generator seeded with the
surrogate's seed (and the global generator is left as it was), so one seed gives one model.

The fitted models are BoTorch models in the objective's units (the loop minimises; the model fits
the values as they are), so every acquisition applies, pending points included
(``condition_on_observations``). They expose none of Kriging's closed-form leave-one-out terms,
so strategies that use them (``robust``'s LOO evidence) fall back to their other evidence.
"""

from __future__ import annotations

import math
import time
import warnings
from typing import Annotated, Any, Literal

import torch
from botorch.fit import fit_gpytorch_mll
from botorch.models import SingleTaskGP, SingleTaskMultiFidelityGP
from botorch.models.transforms import Normalize, Standardize
from botorch.models.utils.gpytorch_modules import get_covar_module_with_dim_scaled_prior
from gpytorch.mlls import ExactMarginalLogLikelihood
from pydantic import BaseModel, ConfigDict, Field
from torch import Tensor

from mfopt import Dataset, FittedSurrogate, ModelFittingError, Surrogate
from mfopt_surrogates._kriging_core import DTYPE, resolve_device
from mfopt_surrogates.kriging import check_data

#: The fixed noise variance of ``noise = "none"``, on standardised outputs (variance 1).
TINY_NOISE = 1e-6
KERNELS = ("rbf", "matern-5/2")

_NOISE = "'learn' (BoTorch's prior), 'none' (fixed 1e-6 on standardised outputs) or a fixed variance > 0"


class BoTorchGPOptions(BaseModel):
    """Options of ``botorch-gp`` (``[surrogate]`` keys besides ``name``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    kernel: Literal["rbf", "matern-5/2"] = Field("rbf", description="'rbf' (BoTorch's default) or 'matern-5/2'")
    noise: Literal["none", "learn"] | Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = Field(
        "learn", description=_NOISE
    )


class BoTorchMFGPOptions(BaseModel):
    """Options of ``botorch-mf-gp`` (``[multi_surrogate]`` keys besides ``name``)."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    noise: Literal["none", "learn"] | Annotated[float, Field(gt=0.0, allow_inf_nan=False)] = Field(
        "learn", description=_NOISE
    )


def parse_noise(noise: str | float) -> str | float:
    """``"learn"``, ``"none"`` or a finite fixed variance > 0 (a float); anything else a ValueError."""
    if isinstance(noise, str):
        if noise not in ("none", "learn"):
            raise ValueError(f"noise must be 'learn', 'none' or a variance > 0, got {noise!r}")
        return noise
    if isinstance(noise, bool) or not (0.0 < float(noise) < float("inf")):
        raise ValueError(f"noise must be 'learn', 'none' or a finite variance > 0, got {noise!r}")
    return float(noise)


def fixed_variances(noise: str | float, y: Tensor) -> Tensor | None:
    """``train_Yvar`` (``n x 1``, objective units) for a fixed ``noise``; None when it is learned."""
    if noise == "learn":
        return None
    if noise == "none":
        std = float(y.std()) if y.numel() > 1 and float(y.std()) > 0 else 1.0
        return torch.full((y.shape[0], 1), TINY_NOISE * std**2, dtype=y.dtype, device=y.device)
    return torch.full((y.shape[0], 1), float(noise), dtype=y.dtype, device=y.device)


def fit_map(model: Any, seed: int) -> float:
    """Fit ``model``'s hyperparameters by ``fit_gpytorch_mll`` with torch's generator seeded by
    ``seed`` (restored afterwards); returns the fitted log marginal likelihood per point (with the
    priors). A failure is a :class:`ModelFittingError` naming the cause."""
    mll = ExactMarginalLogLikelihood(model.likelihood, model)
    devices = [model.train_targets.device] if model.train_targets.is_cuda else []
    with torch.random.fork_rng(devices=devices), warnings.catch_warnings():
        torch.manual_seed(seed)
        warnings.simplefilter("ignore")  # input-scaling and optimiser warnings: the fit is checked below
        try:
            fit_gpytorch_mll(mll)
        except Exception as exc:
            raise ModelFittingError(f"fit_gpytorch_mll failed: {type(exc).__name__}: {exc}") from exc
    with torch.no_grad():  # BoTorch's own loss: train mode, the model's stored training inputs
        mll.train()
        value = float(mll(model(*model.train_inputs), model.train_targets).sum())
    model.eval()
    if not math.isfinite(value):
        raise ModelFittingError(f"the fitted model's log marginal likelihood is {value}")
    return value


def hyperparameters(model: Any, span: Tensor, std: float) -> dict[str, Any]:
    """The fitted hyperparameters in objective units: each kernel's length scales (normalised
    length x the box's span per dimension; ``lengthscale[<kernel>]`` for the kernels inside a
    composite one), the output scale where the kernel has one, and the noise variance."""
    info: dict[str, Any] = {}
    spans = span.reshape(-1)
    for name, module in model.covar_module.named_modules():
        if "raw_lengthscale" not in dict(module.named_parameters(recurse=False)):
            continue
        lengths = module.lengthscale.detach().reshape(-1)[: spans.numel()]
        key = f"lengthscale[{name.rsplit('.', 1)[-1]}]" if name else "lengthscale"
        info[key] = (lengths * spans[: lengths.numel()]).tolist()
    if hasattr(model.covar_module, "outputscale"):
        info["outputscale"] = float(model.covar_module.outputscale.detach()) * std**2
    info["noise_variance"] = float(model.likelihood.noise.detach().reshape(-1).mean()) * std**2
    return info


class BoTorchGP(Surrogate):
    """BoTorch's ``SingleTaskGP`` on the target fidelity (see the module docstring).

    Options: ``kernel`` (``"rbf"``, BoTorch's default; ``"matern-5/2"``), ``noise`` (``"learn"``,
    ``"none"``, or a fixed variance > 0 in the objective's units).
    """

    multi_fidelity = False

    def __init__(self, device: str = "auto", seed: int = 0, kernel: str = "rbf", noise: str | float = "learn") -> None:
        self.device = resolve_device(device)
        self.seed = int(seed)
        if kernel not in KERNELS:
            raise ValueError(f"kernel must be one of {list(KERNELS)}, got {kernel!r}")
        self.kernel = kernel
        self.noise = parse_noise(noise)

    def fit(self, data: Dataset) -> FittedSurrogate:
        start = time.perf_counter()
        target = data.target
        X, y = data.tensors(target.name, device=self.device)
        check_data(X, y, f"botorch-gp on fidelity {target.name!r}")
        bounds = data.bounds.to(device=self.device, dtype=DTYPE)
        d = X.shape[-1]
        covar = get_covar_module_with_dim_scaled_prior(ard_num_dims=d, use_rbf_kernel=self.kernel == "rbf")
        outcome = Standardize(1)
        model: Any = SingleTaskGP(
            X, y.unsqueeze(-1), train_Yvar=fixed_variances(self.noise, y), covar_module=covar,
            input_transform=Normalize(d, bounds=bounds), outcome_transform=outcome,
        ).to(device=self.device, dtype=DTYPE)  # fmt: skip
        mll = fit_map(model, self.seed)
        std = float(outcome.stdvs.reshape(-1)[0])
        info = {
            "fit_seconds": time.perf_counter() - start,
            "kernel": self.kernel,
            "noise": self.noise,
            "log_marginal_likelihood": mll,
            "mean": float(outcome.means.reshape(-1)[0] + std * model.mean_module.constant.detach()),
            **hyperparameters(model, bounds[1] - bounds[0], std),
            "device": str(self.device),
        }
        return FittedSurrogate(model, target.name, {target.name: target.level}, False, info)


class BoTorchMFGP(Surrogate):
    """BoTorch's ``SingleTaskMultiFidelityGP`` over ``(x, level)`` (see the module docstring).

    Options: ``noise`` (``"learn"``, ``"none"``, or a fixed variance > 0 in the objective's units,
    the same at every level).
    """

    multi_fidelity = True

    def __init__(self, device: str = "auto", seed: int = 0, noise: str | float = "learn") -> None:
        self.device = resolve_device(device)
        self.seed = int(seed)
        self.noise = parse_noise(noise)

    def fit(self, data: Dataset) -> FittedSurrogate:
        start = time.perf_counter()
        fids = data.fidelities
        if len(fids) < 2:
            raise ModelFittingError(f"botorch-mf-gp needs at least two fidelities, got {[f.name for f in fids]}")
        parts = []
        for f in fids:
            X, y = data.tensors(f.name, device=self.device)
            check_data(X, y, f"botorch-mf-gp on fidelity {f.name!r}", minimum=1 if f != data.target else 2)
            parts.append((torch.cat([X, X.new_full((X.shape[0], 1), f.level)], dim=-1), y))
        X = torch.cat([p[0] for p in parts])
        y = torch.cat([p[1] for p in parts])
        d = data.dim
        lowest, top = min(f.level for f in fids), data.target.level
        box = data.bounds.to(device=self.device, dtype=DTYPE)
        column = torch.tensor([[lowest], [top]], dtype=DTYPE, device=self.device)
        bounds = torch.cat([box, column], dim=-1)
        outcome = Standardize(1)
        model: Any = SingleTaskMultiFidelityGP(
            X, y.unsqueeze(-1), train_Yvar=fixed_variances(self.noise, y), data_fidelities=[d],
            input_transform=Normalize(d + 1, bounds=bounds), outcome_transform=outcome,
        ).to(device=self.device, dtype=DTYPE)  # fmt: skip
        mll = fit_map(model, self.seed)
        std = float(outcome.stdvs.reshape(-1)[0])
        info = {
            "fit_seconds": time.perf_counter() - start,
            "noise": self.noise,
            "log_marginal_likelihood": mll,
            **hyperparameters(model, box[1] - box[0], std),
            "device": str(self.device),
        }
        return FittedSurrogate(model, data.target.name, {f.name: f.level for f in fids}, True, info)
