"""Estimates of ``f_min`` and ``f_max`` of a function over its box, computed once and cached.

Disturbance-based pairs scale their disturbance by ``f_max - f_min`` of the HF (Andrés-Thió et al. 2022). Few
functions have a known maximum, so both are estimated by a seeded search: a Latin hypercube of
``min(20000, 2000 d)`` points evaluated in one batch, then L-BFGS-B (SciPy, numerical gradients so any
callable works) from the three best points for each extreme. A known minimum, when given, replaces the
estimate if lower. The search is deterministic (seed 0), so the result is a property of the function.

Caching: an in-process dictionary, and one JSON file per function under the user cache directory
(``$MFOPT_CACHE_DIR``, else ``$XDG_CACHE_HOME/mfopt``, else ``~/.cache/mfopt``), sub-folder ``extrema/``.
Files are written atomically; an unreadable file is recomputed. Bump :data:`VERSION` when the search
changes.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch
from scipy.optimize import minimize
from scipy.stats import qmc
from torch import Tensor

VERSION = 1
_MEMORY: dict[str, tuple[float, float]] = {}
_LOCK = threading.Lock()


def cache_dir() -> Path:
    """The mfopt user cache directory (not created here)."""
    if os.environ.get("MFOPT_CACHE_DIR"):
        return Path(os.environ["MFOPT_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "mfopt"


def _path(key: str) -> Path:
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", key)
    return cache_dir() / "extrema" / f"{safe}.json"


def _read(key: str) -> tuple[float, float] | None:
    try:
        data = json.loads(_path(key).read_text())
        if data.get("key") == key and data.get("version") == VERSION:
            return float(data["fmin"]), float(data["fmax"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return None


def _write(key: str, fmin: float, fmax: float) -> None:
    path = _path(key)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        with os.fdopen(fd, "w") as handle:
            json.dump({"key": key, "version": VERSION, "fmin": fmin, "fmax": fmax}, handle)
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only cache only costs a recomputation next time


def search(fn: Callable[[Tensor], Tensor], bounds: Sequence[Sequence[float]], seed: int = 0) -> tuple[float, float]:
    """Seeded LHS + L-BFGS-B estimate of ``(min, max)`` of ``fn`` (``n x d`` -> ``n``) on ``bounds`` (2 x d)."""
    lb, ub = np.asarray(bounds[0], dtype=float), np.asarray(bounds[1], dtype=float)
    d = lb.size
    n = min(20000, 2000 * d)
    U = qmc.LatinHypercube(d=d, seed=seed).random(n)
    X = lb + U * (ub - lb)
    with torch.no_grad():
        y = fn(torch.as_tensor(X, dtype=torch.float64)).reshape(-1).cpu().numpy()
    ok = np.isfinite(y)
    X, y = X[ok], y[ok]
    if y.size == 0:
        raise ValueError("the function is not finite anywhere on the search sample")

    def scalar(x: np.ndarray, sign: float) -> float:
        with torch.no_grad():
            v = float(fn(torch.as_tensor(x[None, :], dtype=torch.float64)).reshape(-1)[0])
        return sign * v if np.isfinite(v) else np.inf

    best = [float(y.min()), float(y.max())]
    for index, sign in ((0, 1.0), (1, -1.0)):
        for start in np.argsort(sign * y)[:3]:
            res = minimize(scalar, X[start], args=(sign,), method="L-BFGS-B", bounds=list(zip(lb, ub, strict=True)),
                           options={"maxiter": 200})  # fmt: skip
            if np.isfinite(res.fun):
                value = sign * float(res.fun)
                best[index] = min(best[index], value) if index == 0 else max(best[index], value)
    return best[0], best[1]


def extrema(
    key: str,
    fn: Callable[[Tensor], Tensor],
    bounds: Sequence[Sequence[float]],
    known_min: float | None = None,
) -> tuple[float, float]:
    """Cached ``(f_min, f_max)`` of ``fn`` on ``bounds``; ``key`` names the function uniquely."""
    with _LOCK:
        if key in _MEMORY:
            return _MEMORY[key]
    cached = _read(key)
    if cached is None:
        fmin, fmax = search(fn, bounds)
        if known_min is not None:
            fmin = min(fmin, known_min)
        cached = (fmin, fmax)
        _write(key, *cached)
    with _LOCK:
        _MEMORY[key] = cached
    return cached


def clear_memory() -> None:
    """Forget the in-process cache (tests)."""
    with _LOCK:
        _MEMORY.clear()


__all__ = ["VERSION", "cache_dir", "clear_memory", "extrema", "search"]
