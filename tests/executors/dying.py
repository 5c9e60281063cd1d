"""Objectives that kill their own process (module-level, so spawned workers can import them)."""

from __future__ import annotations

import os
import signal
import sys
import time

import torch
from torch import Tensor

from tests.core.helpers import forrester


def value_or_death(x: float) -> float:
    """``x`` back, but the process dies (``os._exit``) for x < 0 and kills itself (SIGKILL) for x > 100."""
    if x < 0:
        os._exit(3)
    if x > 100:
        os.kill(os.getpid(), signal.SIGKILL)
    time.sleep(0.2)
    return x


def exits_above(X: Tensor) -> Tensor:
    """Forrester, but ``sys.exit(3)`` above x = 0.8."""
    if bool((X[..., 0] > 0.8).any()):
        sys.exit(3)
    return forrester(X)


def dies_above(X: Tensor) -> Tensor:
    """Forrester, but the worker process dies (``os._exit``) above x = 0.8."""
    if bool((X[..., 0] > 0.8).any()):
        os._exit(1)
    time.sleep(0.05)
    return forrester(X)


def threads(_: object = None) -> int:
    return torch.get_num_threads()
