"""The per-instance surrogate protocol of Andrés-Thió, Muñoz & Smith-Miles (2024,
arXiv:2403.08118), over registries only.

For each repetition ``r = 1..R`` (seed ``seed + r``): a nested maximin design (``X_h ⊆ X_l``), the
problem's LF/HF values there, a test set of ``1000·d`` Latin-hypercube points; every named surrogate
is fitted on the same data (one batched ``fit_batch`` call over the repetitions, and over the
problems of one budget that a task runs together, so surrogates that batch fit them all at once)
and scored by the Pearson correlation (not squared) and the RRMSE
``sqrt(mean((ŷ - f_h)²)) / (max f_h - min f_h)`` on the test set; every detector judges the
repetition's sample (:mod:`mfopt.benchmark.decisions`). The core knows no surrogate by name:
models come from ``pm.surrogates``.

The unit-cube designs depend only on ``(d, n_l, n_h, seed)``, not on the function pair, so they
are cached per process (:func:`unit_design`): instances of one dimension and budget share them
(the study runner puts such instances in one task, :func:`mfopt.benchmark.runner.plan`). The
costly part, the maximin Latin hypercube of the ``n_l`` cheap points, does not depend on ``n_h``
either: it is cached per ``(d, n_l, seed)`` (:func:`cheap_level`), so the paper's 2 to 10 ``n_h``
values of one ``n_l`` share it, and only the (cheap) maximin subset is drawn per budget. A study
run computes each cheap level once on its executor (:func:`cheap_levels`), keeps it in the results
file and hands it to the workers with their tasks (:func:`provide_designs`), so workers do not
each compute the designs of the ``(d, n_l)`` they meet.
"""

from __future__ import annotations

import functools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from mfopt.benchmark.decisions import DetectorSpec, SampleVerdicts, assess_sample, detector_specs
from mfopt.benchmark.problems import load_problem
from mfopt.data import DTYPE, Dataset, Observation
from mfopt.design import lhs, maximin_subset, nested_design, scale
from mfopt.errors import ModelFittingError
from mfopt.plugin.manager import PluginManager
from mfopt.problem import Problem
from mfopt.surrogate import FittedSurrogate, Surrogate

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


@functools.lru_cache(maxsize=2048)
def cheap_level(dim: int, n_low: int, seed: int) -> Tensor:
    """The cheap level of the nested maximin design of ``seed`` in ``[0, 1]^dim``: the first level of
    :func:`~mfopt.design.nested_design`, whatever the later sizes (cached; at most 2048 designs of at
    most ``20 d x d`` points)."""
    unit = torch.stack([torch.zeros(dim, dtype=DTYPE), torch.ones(dim, dtype=DTYPE)])
    (X_l,) = nested_design(unit, [n_low], seed=seed)
    return X_l


#: A design's key: ``(dim, n_low, seed)``.
DesignKey = tuple[int, int, int]
#: Cheap levels handed to this process with its tasks (:func:`provide_designs`), by key.
_GIVEN: dict[DesignKey, np.ndarray] = {}


def cheap_levels(keys: Sequence[DesignKey]) -> list[np.ndarray]:
    """The cheap levels of ``keys`` as arrays (``n_low x dim``), computed here without caching them: the
    job a study run gives its executor to compute each design once (a top-level function, picklable)."""
    return [cheap_level.__wrapped__(*key).numpy() for key in keys]


def provide_designs(designs: dict[DesignKey, np.ndarray]) -> None:
    """Make ``designs`` (from :func:`cheap_levels`, bit for bit) the cheap levels this process uses for
    their keys, replacing the ones given before (so a worker holds only its current tasks' designs)."""
    _GIVEN.clear()
    _GIVEN.update(designs)


def level_of(dim: int, n_low: int, seed: int) -> Tensor:
    """The cheap level of ``(dim, n_low, seed)``: the one given (:func:`provide_designs`), else
    :func:`cheap_level` (computed here)."""
    given = _GIVEN.get((dim, n_low, seed))
    return cheap_level(dim, n_low, seed) if given is None else torch.tensor(given, dtype=DTYPE)


@functools.lru_cache(maxsize=256)
def unit_design(dim: int, n_low: int, n_high: int, seed: int) -> tuple[Tensor, Tensor]:
    """The nested maximin design of ``seed`` in ``[0, 1]^dim`` (cached: it is the same for every pair);
    equal to ``nested_design(unit cube, [n_low, n_high], seed)`` (test_protocol_designs.py)."""
    X_l = level_of(dim, n_low, seed)
    rng = np.random.default_rng(seed)
    rng.integers(2**31)  # nested_design's first draw seeds the cheap level, its second the subset
    idx = maximin_subset(X_l.numpy(), n_high, seed=int(rng.integers(2**31)))
    return X_l, X_l[torch.as_tensor(idx)]


def training_data(problem: Problem, n_high: int, n_low: int, seed: int) -> Dataset:
    """One repetition's bi-fidelity training sample (cheapest source and target) on the nested design."""
    low, high = problem.fidelities[0], problem.target
    U_l, U_h = unit_design(problem.dim, n_low, n_high, seed)
    X_l, X_h = scale(U_l, problem.bounds), scale(U_h, problem.bounds)
    obs = [
        Observation(tuple(x.tolist()), fid.name, float(v))
        for fid, X in ((low, X_l), (high, X_h))
        for x, v in zip(X, problem.evaluate(X, fid.name), strict=True)
    ]
    return Dataset(problem.bounds, (low, high), obs)


def holdout_set(problem: Problem, seed: int) -> tuple[Tensor, Tensor]:
    """One repetition's ``1000·d`` Latin-hypercube test inputs and the target's values there."""
    X_test = lhs(1000 * problem.dim, problem.bounds, seed=seed)
    return X_test, problem.evaluate(X_test, problem.target.name)


def repetition_data(problem: Problem, n_high: int, n_low: int, seed: int) -> tuple[Dataset, Tensor, Tensor]:
    """One repetition: the bi-fidelity dataset (cheapest source and target), test inputs and HF truth."""
    return training_data(problem, n_high, n_low, seed), *holdout_set(problem, seed)


def predict_mean(fitted: FittedSurrogate, X: Tensor) -> Tensor:
    """The HF posterior mean at ``X`` (in chunks; the variance is not needed for the scores).

    A model with a ``mean(X)`` method (mfopt's Kriging and Co-Kriging) is asked for the mean alone,
    which forms no covariance; any other BoTorch model goes through ``posterior``.
    """
    mean_only = getattr(fitted.model, "mean", None)
    means = []
    with torch.no_grad():
        for i in range(0, len(X), CHUNK):
            inputs = fitted.inputs(X[i : i + CHUNK])
            if callable(mean_only):
                means.append(mean_only(inputs).reshape(-1))
            else:
                posterior: Any = fitted.model.posterior(inputs)
                means.append(posterior.mean.reshape(-1))
    return torch.cat(means)


def score(fitted: FittedSurrogate, X_test: Tensor, y_test: Tensor) -> tuple[float, float]:
    """Pearson correlation and RRMSE of the HF prediction on the test set (predicted in chunks)."""
    return scores(predict_mean(fitted, X_test), y_test)


def scores(pred: Tensor, y_test: Tensor) -> tuple[float, float]:
    """Pearson correlation and RRMSE of the predictions ``pred`` of the HF values ``y_test``."""
    pred, truth = pred.to(y_test), y_test
    corr = float(torch.corrcoef(torch.stack([pred, truth]))[0, 1])
    rrmse = float(((pred - truth) ** 2).mean().sqrt() / (truth.max() - truth.min()))
    return corr, rrmse


#: The last cheap-level (first-stage) fit per model name: ``(fingerprints of its batch, the fit)``.
_CHEAP_LEVELS: dict[str, tuple[tuple[str, ...], Any]] = {}


def fit_model(surrogate: Surrogate, datasets: Sequence[Dataset], name: str = "") -> list[FittedSurrogate]:
    """``surrogate.fit_batch(datasets)``, reusing the cheap level's fit of the previous call when the
    batch's cheap samples are the same.

    A multi-fidelity surrogate that can fit its cheapest level apart (``fit_cheap_level(datasets)``
    and ``cheap_keys(datasets)``, as mfopt's Co-Kriging) takes it as ``fit_batch(datasets,
    cheap=...)`` with the same bits as a fresh fit. The tasks of one set of pairs at one ``n_l``
    differ only in ``n_h`` and have equal cheap samples (:func:`cheap_level`), so the last one per
    ``name`` is kept in this process and reused when the fingerprints of the whole batch, in order,
    are equal (a batched fit is the batch's: it is reused only for the same batch). A surrogate
    without those methods, or cheap levels that cannot be batched, gets a plain ``fit_batch``.
    """
    fit_cheap, keys_of = getattr(surrogate, "fit_cheap_level", None), getattr(surrogate, "cheap_keys", None)
    if not surrogate.multi_fidelity or not callable(fit_cheap) or not callable(keys_of):
        return surrogate.fit_batch(datasets)
    keys = tuple(keys_of(datasets))
    cached = _CHEAP_LEVELS.get(name)
    if cached is None or cached[0] != keys:
        try:
            cached = (keys, fit_cheap(datasets))
        except ModelFittingError:
            return surrogate.fit_batch(datasets)
        _CHEAP_LEVELS[name] = cached
    fit_batch: Any = surrogate.fit_batch
    return list(fit_batch(datasets, cheap=cached[1]))


def distinct_fits(
    surrogate: Surrogate, datasets: Sequence[Dataset], name: str = ""
) -> tuple[list[FittedSurrogate], list[int]]:
    """``surrogate.fit_batch`` on the distinct datasets it sees, and the fit of each of ``datasets``.

    A single-fidelity surrogate (``multi_fidelity = False``) sees only the target's data, by the
    :class:`~mfopt.surrogate.Surrogate` contract. Many literature pairs share their target function
    (the ``ToalBranin0.00`` to ``1.00`` family, 23 pairs with Branin as target: 146 pairs, 43 distinct
    targets), so in a task their repetitions have equal target samples and are fitted once: a
    dataset's fit is the same alone or in a batch (``tests/benchmark/test_protocol_shared.py``).
    A multi-fidelity surrogate fits every dataset (:func:`fit_model`; ``name`` keys its cheap-level reuse).
    """
    if surrogate.multi_fidelity:
        return fit_model(surrogate, datasets, name), list(range(len(datasets)))
    keys: dict[tuple[Any, ...], int] = {}
    index = [keys.setdefault(_target_key(d), len(keys)) for d in datasets]
    first: dict[int, Dataset] = {}
    for d, j in zip(datasets, index, strict=True):
        first.setdefault(j, d)
    return surrogate.fit_batch([first[j] for j in range(len(keys))]), index


def _target_key(data: Dataset) -> tuple[Any, ...]:
    """What a single-fidelity surrogate sees of ``data``: bounds, the target's name, level and observations."""
    target = data.target
    return (data.bounds.numpy().tobytes(), target.name, target.level, tuple(data.successful(target.name)))


@dataclass
class Repetition:
    """One repetition of an instance: its seed, training sample, detectors' verdicts and model scores."""

    rep: int
    seed: int
    data: Dataset
    verdicts: SampleVerdicts
    scores: dict[str, tuple[float, float, float]] = field(default_factory=dict)  # model -> corr, rrmse, fit s

    def sample(self) -> dict[str, list[Any]]:
        """The training sample as lists: ``X_low, y_low, X_high, y_high`` (original units)."""
        out: dict[str, list[Any]] = {}
        for fid, tag in ((self.data.fidelities[0], "low"), (self.data.fidelities[-1], "high")):
            obs = self.data.successful(fid.name)
            out[f"X_{tag}"] = [list(o.x) for o in obs]
            out[f"y_{tag}"] = [o.value for o in obs]
        return out


def run_instances(
    pm: PluginManager,
    problems: Sequence[Problem],
    n_high: int,
    n_low: int,
    reps: Sequence[int],
    models: Sequence[str],
    seed: int = 0,
    device: str = "auto",
    specs: list[DetectorSpec] | None = None,
) -> list[list[Repetition]]:
    """Repetitions ``reps`` (seeds ``seed + r``) of the instances ``(problem, n_high, n_low)`` of one
    budget: data and detectors' verdicts per repetition, then every model fitted on the samples of
    all problems and repetitions at once (one ``fit_batch`` call per model: the problems share the
    designs and the sample sizes; a single-fidelity model fits each distinct target sample once,
    :func:`distinct_fits`) and scored on each repetition's test set. One list per problem.

    Test sets are drawn and scored one repetition at a time, so the memory held is the fitted
    models, not ``len(problems) x len(reps)`` test sets; problems with the same bounds share the
    repetition's test inputs, and a shared fit predicts there once.
    """
    if not 1 <= n_high <= n_low:
        raise ValueError(f"need 1 <= nh <= nl, got nh={n_high}, nl={n_low}")
    specs = detector_specs(pm) if specs is None else specs
    out: list[list[Repetition]] = []
    for problem in problems:
        repetitions = []
        for r in reps:
            data = training_data(problem, n_high, n_low, seed + r)
            repetitions.append(Repetition(r, seed + r, data, assess_sample(pm, data, specs)))
        out.append(repetitions)
    fitted: dict[str, tuple[list[FittedSurrogate], list[int]]] = {}
    for name in models:
        surrogate = pm.surrogates.create(name, where="compare", device=device, seed=seed)
        fitted[name] = distinct_fits(surrogate, [rep.data for repetitions in out for rep in repetitions], name)
    # repetition-major: the problems of one repetition share its seed, so a fit shared by several of
    # them predicts on their (equal) test inputs once; only one repetition's predictions are held
    for k in range(len(reps)):
        predictions: dict[tuple[str, int], Tensor] = {}
        inputs: dict[bytes, Tensor] = {}
        for i, problem in enumerate(problems):
            rep = out[i][k]
            key = problem.bounds.numpy().tobytes()
            if key not in inputs:
                inputs[key] = lhs(1000 * problem.dim, problem.bounds, seed=rep.seed)
            X_test = inputs[key]
            y_test = problem.evaluate(X_test, problem.target.name)
            for name in models:
                fits, index = fitted[name]
                j = index[i * len(reps) + k]
                if (name, j) not in predictions:
                    predictions[name, j] = predict_mean(fits[j], X_test)
                corr, rrmse = scores(predictions[name, j], y_test)
                rep.scores[name] = (corr, rrmse, float(fits[j].info.get("fit_seconds", float("nan"))))
    return out


def run_repetitions(
    pm: PluginManager,
    problem: Problem,
    n_high: int,
    n_low: int,
    reps: Sequence[int],
    models: Sequence[str],
    seed: int = 0,
    device: str = "auto",
    specs: list[DetectorSpec] | None = None,
) -> list[Repetition]:
    """Repetitions ``reps`` (seeds ``seed + r``) of one instance (:func:`run_instances` of one problem)."""
    return run_instances(pm, [problem], n_high, n_low, reps, models, seed, device, specs)[0]


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
    """Run the protocol on one instance; returns ``{problem, nh, nl, reps, seed, models: {name: summary},
    repetitions: [{rep, seed, features, decisions, sample}]}``. ``problem`` is a registered name or
    a ``module:function`` / ``file.py:function`` factory (:mod:`mfopt.benchmark.problems`)."""
    if reps < 1:
        raise ValueError(f"reps must be at least 1, got {reps}")
    prob = load_problem(pm, problem)
    done = run_repetitions(pm, prob, n_high, n_low, range(1, reps + 1), models, seed, device)
    results: dict[str, Any] = {}
    for name in models:
        scores = ModelScores()
        for rep in done:
            corr, rrmse, seconds = rep.scores[name]
            scores.correlations.append(corr)
            scores.rrmse.append(rrmse)
            scores.fit_seconds.append(seconds)
        results[name] = scores.summary()
    repetitions = [
        {
            "rep": rep.rep,
            "seed": rep.seed,
            "features": rep.verdicts.features,
            "decisions": rep.verdicts.decisions,
            "sample": rep.sample(),
        }
        for rep in done
    ]
    return {
        "problem": problem,
        "nh": n_high,
        "nl": n_low,
        "reps": reps,
        "seed": seed,
        "models": results,
        "repetitions": repetitions,
    }
