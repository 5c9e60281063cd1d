"""The paper's per-instance surrogate protocol (REFERENCE §3), over registries only.

For each repetition ``r = 1..R`` (seed ``seed + r``): a nested maximin design (``X_h ⊆ X_l``), the
problem's LF/HF values there, a test set of ``1000·d`` Latin-hypercube points; every named surrogate
is fitted on the same data (one batched ``fit_batch`` call over the repetitions, so surrogates that
batch fit all R at once) and scored by the Pearson correlation (not squared) and the RRMSE
``sqrt(mean((ŷ - f_h)²)) / (max f_h - min f_h)`` on the test set. The core knows no surrogate by
name: models come from ``pm.surrogates``.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import Tensor

from mfopt.data import Dataset, Observation
from mfopt.design import lhs, nested_design
from mfopt.plugin.manager import PluginManager
from mfopt.problem import Problem
from mfopt.surrogate import FittedSurrogate

CHUNK = 500


@dataclass
class ModelScores:
    """Per-repetition scores of one surrogate."""

    correlations: list[float] = field(default_factory=list)
    rrmse: list[float] = field(default_factory=list)
    fit_seconds: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        return {
            "correlations": self.correlations,
            "rrmse": self.rrmse,
            "median_correlation": statistics.median(self.correlations),
            "median_rrmse": statistics.median(self.rrmse),
            "mean_fit_seconds": statistics.fmean(self.fit_seconds),
        }


def repetition_data(problem: Problem, n_high: int, n_low: int, seed: int) -> tuple[Dataset, Tensor, Tensor]:
    """One repetition: the bi-fidelity dataset (cheapest source and target), test inputs and HF truth."""
    low, high = problem.fidelities[0], problem.target
    X_l, X_h = nested_design(problem.bounds, [n_low, n_high], seed=seed)
    obs = [
        Observation(tuple(x.tolist()), fid.name, float(v))
        for fid, X in ((low, X_l), (high, X_h))
        for x, v in zip(X, problem.evaluate(X, fid.name), strict=True)
    ]
    X_test = lhs(1000 * problem.dim, problem.bounds, seed=seed)
    return Dataset(problem.bounds, (low, high), obs), X_test, problem.evaluate(X_test, high.name)


def score(fitted: FittedSurrogate, X_test: Tensor, y_test: Tensor) -> tuple[float, float]:
    """Pearson correlation and RRMSE of the HF prediction on the test set (predicted in chunks)."""
    pred = torch.cat([fitted.predict(X_test[i : i + CHUNK])[0] for i in range(0, len(X_test), CHUNK)])
    pred, truth = pred.to(y_test), y_test
    corr = float(torch.corrcoef(torch.stack([pred, truth]))[0, 1])
    rrmse = float(((pred - truth) ** 2).mean().sqrt() / (truth.max() - truth.min()))
    return corr, rrmse


def compare(
    pm: PluginManager,
    problem: str,
    n_high: int,
    n_low: int,
    reps: int,
    models: Sequence[str] = ("kriging", "cokriging"),
    seed: int = 0,
    device: str = "auto",
) -> dict[str, Any]:
    """Run the protocol on one instance; returns ``{problem, nh, nl, reps, models: {name: summary}}``."""
    if not 1 <= n_high <= n_low:
        raise ValueError(f"need 1 <= nh <= nl, got nh={n_high}, nl={n_low}")
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    prob = pm.problems.create(problem, where="compare")
    if len(prob.fidelities) < 2:
        raise ValueError(f"problem {problem!r} has a single fidelity; the protocol compares bi-fidelity models")
    instances = [repetition_data(prob, n_high, n_low, seed + r) for r in range(1, reps + 1)]
    datasets = [data for data, _, _ in instances]
    results: dict[str, Any] = {}
    for name in models:
        surrogate = pm.surrogates.create(name, where="compare", device=device, seed=seed)
        scores = ModelScores()
        for fitted, (_, X_test, y_test) in zip(surrogate.fit_batch(datasets), instances, strict=True):
            corr, rrmse = score(fitted, X_test, y_test)
            scores.correlations.append(corr)
            scores.rrmse.append(rrmse)
            scores.fit_seconds.append(float(fitted.info.get("fit_seconds", float("nan"))))
        results[name] = scores.summary()
    return {"problem": problem, "nh": n_high, "nl": n_low, "reps": reps, "seed": seed, "models": results}
