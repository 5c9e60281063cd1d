"""A user bi-fidelity pair given as a factory, for the ``module:function`` / ``file.py:function`` specs."""

from __future__ import annotations

import os
import time
from pathlib import Path

import torch
from torch import Tensor

from mfopt import Fidelity, FunctionProblem


def _high(X: Tensor) -> Tensor:
    x = X[..., 0]
    return (6 * x - 2) ** 2 * torch.sin(12 * x - 4)


def _low(X: Tensor) -> Tensor:
    return 0.5 * _high(X) + 10 * (X[..., 0] - 0.5) - 5


def make_pair() -> FunctionProblem:
    """The Forrester pair with the classic cheap source (HF = target)."""
    return FunctionProblem(
        "user-forrester",
        [[0.0], [1.0]],
        {"low": _low, "high": _high},
        [Fidelity("low", 0.5, 0.1), Fidelity("high", 1.0)],
    )


def not_a_problem() -> int:
    return 3


def _slow_high(X: Tensor) -> Tensor:
    """The target, but evaluating a test set (more than 100 points) takes five minutes, after touching
    the file named by ``MFOPT_TEST_SLOW_MARKER`` (when set: the test's evidence that a task is in flight)."""
    if X.shape[0] > 100:
        marker = os.environ.get("MFOPT_TEST_SLOW_MARKER")
        if marker:
            Path(marker).touch()
        time.sleep(300)
    return _high(X)


def make_slow_pair() -> FunctionProblem:
    """The Forrester pair whose test-set evaluation outlasts any short ``--time-limit`` (a task in flight)."""
    return FunctionProblem(
        "user-slow-forrester",
        [[0.0], [1.0]],
        {"low": _low, "high": _slow_high},
        [Fidelity("low", 0.5, 0.1), Fidelity("high", 1.0)],
    )
