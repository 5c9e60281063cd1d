"""The :class:`Surrogate` contract: fit a dataset, get a BoTorch model.

A fitted surrogate wraps a BoTorch :class:`~botorch.models.model.Model` whose inputs are in the
problem's original units. Single-fidelity models take ``d`` inputs; multi-fidelity models take
``d + 1``, the last column holding the fidelity *level* (see :class:`~mfopt.data.Fidelity`), so
that the posterior at the target's level is the high-fidelity prediction and any BoTorch
acquisition (including the cost-aware multi-fidelity ones) applies unchanged.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from botorch.models.model import Model
from torch import Tensor

from mfopt.data import DTYPE, Dataset


@dataclass
class FittedSurrogate:
    """A trained model and what the loop needs to know about it.

    ``fidelity_column``: whether the model's last input column is the fidelity level.
    ``levels``: fidelity name -> level, for the fidelities the model was trained on.
    ``info``: fit diagnostics (``fit_seconds``, ``jitter``, hyperparameters, ...), JSON-serialisable.
    """

    model: Model
    target: str
    levels: dict[str, float]
    fidelity_column: bool
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def target_level(self) -> float:
        return self.levels[self.target]

    def inputs(self, X: Tensor, fidelity: str | None = None) -> Tensor:
        """Model inputs for ``X`` (``... x d``) at ``fidelity`` (default: the target)."""
        X = torch.as_tensor(X, dtype=DTYPE)
        if not self.fidelity_column:
            if fidelity not in (None, self.target):
                raise ValueError(f"this model predicts only the target fidelity {self.target!r}")
            return X
        level = self.levels[fidelity or self.target]
        column = torch.full((*X.shape[:-1], 1), level, dtype=X.dtype, device=X.device)
        return torch.cat([X, column], dim=-1)

    def predict(self, X: Tensor, fidelity: str | None = None) -> tuple[Tensor, Tensor]:
        """Posterior mean and variance (original units), each of shape ``n``, at ``X`` (``n x d``).

        The points are passed as ``n`` batches of one (``n x 1 x d``): only marginal variances are
        needed, so no model is asked for the ``n x n`` joint covariance.
        """
        with torch.no_grad():
            posterior: Any = self.model.posterior(self.inputs(X, fidelity).unsqueeze(-2))
            return posterior.mean.reshape(-1), posterior.variance.reshape(-1)


class Surrogate(ABC):
    """Builds a :class:`FittedSurrogate` from a :class:`~mfopt.data.Dataset`.

    ``multi_fidelity`` tells the loop whether the surrogate uses the cheap sources (it is then
    given the target plus every source the gate lets through) or only the target's data.
    Constructors only store options; all learned state lives in the returned object.
    """

    multi_fidelity: ClassVar[bool] = False
    #: True when :meth:`fit` needs a gradient at every observation (then the loop does not impute
    #: failed points, which have none, into the training data).
    needs_gradients: bool = False

    @abstractmethod
    def fit(self, data: Dataset) -> FittedSurrogate:
        """Train on ``data`` (float64, on the surrogate's device) and return the fitted model."""

    def refit(self, data: Dataset) -> FittedSurrogate:
        """An optimisation loop's fit: ``data`` usually extends, by a few rows at the end, data this
        surrogate fitted before. A surrogate may reuse that work (e.g. warm-start its likelihood
        search), but the model must depend on ``data`` only: a fresh instance, a resumed study or a
        second call gives the same model. The default is :meth:`fit`."""
        return self.fit(data)

    def fit_batch(self, datasets: Sequence[Dataset]) -> list[FittedSurrogate]:
        """Fit several independent datasets; surrogates that batch (one model, ``batch_shape``)
        override this. The default fits one after the other."""
        return [self.fit(d) for d in datasets]
