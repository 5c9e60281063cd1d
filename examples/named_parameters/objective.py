"""A stand-in for a training run, with the named parameters of a small network.

``validation_loss(params, fidelity)`` returns the validation loss an imaginary model reaches after
``fidelity.level`` epochs (3 or 27 in problem.toml): the loss the hyperparameters allow, plus a
term that shrinks with training (1 / epochs) and a bias that the short run has (it favours a large
learning rate). Synthetic and deterministic, so that the example runs in seconds; replace the body
with a real training loop that reads ``params`` and trains for ``int(fidelity.level)`` epochs.
"""

from __future__ import annotations

import math
from typing import Any

ACTIVATION_PENALTY = {"relu": 0.0, "gelu": 0.05, "tanh": 0.3}


def validation_loss(params: dict[str, Any], fidelity: Any) -> float:
    lr, layers, activation = params["lr"], params["layers"], params["activation"]
    epochs = fidelity.level
    attainable = 0.2 + 0.15 * (math.log10(lr) + 2.5) ** 2 + 0.08 * (layers - 3) ** 2
    attainable += ACTIVATION_PENALTY[activation]
    short_run_bias = 0.1 * (math.log10(lr) + 1.0) / epochs  # few epochs reward a large learning rate
    return attainable + 1.5 / epochs + short_run_bias
