"""Two real tuning tasks on datasets that ship with scikit-learn (nothing is downloaded).

Each task trains a model with named hyperparameters (a log-scale float, an int, a categorical)
for a number of training iterations given by the fidelity, and returns the validation error
(1 - accuracy on a fixed held-out split) and the measured training wall time in seconds. The cheap
fidelity is the same training stopped early; the target fidelity is the full training.

- ``mlp_digits``: a one-hidden-layer MLP on the 8x8 digits (1797 images, 10 classes); fidelity =
  epochs of Adam (``LEVELS = {"e4": 4, "e32": 32}``).
- ``hgb_cancer``: histogram gradient boosting on the breast-cancer set (569 cases, 2 classes);
  fidelity = boosting iterations (``{"i10": 10, "i100": 100}``).

Same parameters, fidelity and seed, same error (scikit-learn's training is seeded by ``seed`` and
runs on one thread; only the wall time varies). Run ``python tasks.py`` to time one evaluation of each.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_limits

Split = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Task:
    """A tuning task: its parameters (problem.toml ``[parameters]`` syntax), its fidelity levels
    (name -> training iterations, the last is the full training) and ``run(params, level, seed)``
    returning ``(validation error, seconds)``."""

    name: str
    parameters: dict[str, dict[str, Any]]
    levels: dict[str, int]
    run: Callable[[dict[str, Any], int, int], tuple[float, float]]


@cache
def _split(dataset: str) -> Split:
    data = load_digits() if dataset == "digits" else load_breast_cancer()
    x_train, x_valid, y_train, y_valid = train_test_split(
        data.data, data.target, test_size=0.3, random_state=0, stratify=data.target
    )
    scaler = StandardScaler().fit(x_train)
    return scaler.transform(x_train), scaler.transform(x_valid), y_train, y_valid


def _score(model: Any, split: Split) -> tuple[float, float]:
    """Fit on one thread: OpenMP reductions combine partial sums in the order threads finish, so a
    multi-threaded histogram gradient boosting fit may differ from run to run in the last bits (and
    its validation error with it) on a many-core machine."""
    x_train, x_valid, y_train, y_valid = split
    start = time.perf_counter()
    with warnings.catch_warnings(), threadpool_limits(limits=1):
        warnings.simplefilter("ignore", ConvergenceWarning)  # a short run stops before converging
        model.fit(x_train, y_train)
        error = 1.0 - float(model.score(x_valid, y_valid))
    return error, time.perf_counter() - start


def run_mlp(params: dict[str, Any], epochs: int, seed: int = 0) -> tuple[float, float]:
    """An MLP on digits trained for ``epochs`` epochs of Adam."""
    model = MLPClassifier(
        hidden_layer_sizes=(int(params["hidden"]),),
        activation=str(params["activation"]),
        learning_rate_init=float(params["lr"]),
        alpha=float(params["alpha"]),
        max_iter=int(epochs),
        n_iter_no_change=int(epochs) + 1,  # train exactly ``epochs`` epochs
        random_state=seed,
    )
    return _score(model, _split("digits"))


def run_hgb(params: dict[str, Any], iterations: int, seed: int = 0) -> tuple[float, float]:
    """Histogram gradient boosting on breast cancer with ``iterations`` boosting rounds."""
    model = HistGradientBoostingClassifier(
        learning_rate=float(params["learning_rate"]),
        max_leaf_nodes=int(params["max_leaf_nodes"]),
        l2_regularization=float(params["l2"]),
        max_depth=None if params["max_depth"] == "none" else int(params["max_depth"]),
        max_iter=int(iterations),
        early_stopping=False,
        random_state=seed,
    )
    return _score(model, _split("cancer"))


MLP_DIGITS = Task(
    "mlp_digits",
    {
        "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
        "alpha": {"type": "float", "low": 1e-6, "high": 1e-1, "log": True},
        "hidden": {"type": "int", "low": 8, "high": 128},
        "activation": {"type": "categorical", "choices": ["relu", "tanh", "logistic"]},
    },
    {"e4": 4, "e32": 32},
    run_mlp,
)

HGB_CANCER = Task(
    "hgb_cancer",
    {
        "learning_rate": {"type": "float", "low": 1e-3, "high": 1.0, "log": True},
        "l2": {"type": "float", "low": 1e-6, "high": 10.0, "log": True},
        "max_leaf_nodes": {"type": "int", "low": 2, "high": 63},
        # not class_weight: "balanced" weights take scikit-learn's weighted-binning path, 10 s a fit here
        "max_depth": {"type": "categorical", "choices": ["none", "3", "8"]},
    },
    {"i10": 10, "i100": 100},
    run_hgb,
)

TASKS = {t.name: t for t in (MLP_DIGITS, HGB_CANCER)}


if __name__ == "__main__":
    examples = {
        "mlp_digits": {"lr": 1e-2, "alpha": 1e-4, "hidden": 64, "activation": "relu"},
        "hgb_cancer": {"learning_rate": 0.1, "l2": 1e-3, "max_leaf_nodes": 31, "max_depth": "none"},
    }
    for name, task in TASKS.items():
        for level, iterations in task.levels.items():
            error, seconds = task.run(examples[name], iterations, 0)
            print(f"{name} {level}: error {error:.4f}  {seconds:.3f} s  params {examples[name]}")
