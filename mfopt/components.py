"""Builds a study's plugins from its config, through the registries only.

Unknown names and bad options become :class:`~mfopt.errors.ConfigError` lines naming the file and
the key (``problem.toml: [surrogate].name: unknown surrogate 'krig' ...``). Building the components
validates the whole configuration (plugins and their options, the executor's name and options,
the device, which model goes in which section), so :class:`~mfopt.Study` raises every
configuration error before it creates a run store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import torch

from mfopt.acquisition import Acquisition
from mfopt.config import StudyConfig
from mfopt.detector import HarmDetector
from mfopt.errors import ConfigError, RegistryError
from mfopt.plugin.manager import PluginManager
from mfopt.plugin.registry import Registry
from mfopt.problem import Problem
from mfopt.surrogate import Surrogate


@dataclass
class Components:
    problem: Problem
    surrogate: Surrogate
    multi_surrogate: Surrogate | None
    detector: HarmDetector | None
    acquisition: Acquisition


def _create(registry: Registry, name: str, where: str, **options: Any) -> Any:
    try:
        registry.get(name)
    except RegistryError as exc:
        raise ConfigError(f"{where}.name: {exc}") from None
    return registry.create(name, where=where, **options)


def _noise_default(registry: Registry, name: str, options: dict[str, Any], noisy: bool) -> dict[str, Any]:
    """``options`` with ``noise = "learn"`` when the problem is declared noisy (``[problem] noisy =
    true``), the surrogate's option model declares a ``noise`` option and the section does not set it.
    The core names no plugin: the capability is the option the plugin declares."""
    if not noisy or "noise" in options or name not in registry:
        return options
    model = registry.get(name).options_model()
    return {**options, "noise": "learn"} if model is not None and "noise" in model.model_fields else options


def build_problem(config: StudyConfig, pm: PluginManager, source: str) -> Problem:
    section = config.problem
    where = f"{source}: [problem]"
    if section is None:
        raise ConfigError(f"{where}: required key is missing")
    options = section.options
    if section.name is not None:
        problem = _create(pm.problems, section.name, where, **options)
    else:
        entry = next((pm.problems.by_key(k) for k in options if pm.problems.by_key(k) is not None), None)
        if entry is None:
            keys = sorted(e.key for e in pm.problems if e.key)
            raise ConfigError(f"{where}: give 'name' (see `mfopt problems`) or one of the keys {keys}")
        problem = pm.problems.create(entry.name, where=where, **options)
    if not isinstance(problem, Problem):
        raise ConfigError(f"{where}: the factory returned {type(problem).__name__}, not a Problem")
    if section.costs:
        try:
            problem = problem.with_costs(section.costs)
        except KeyError as exc:
            raise ConfigError(f"{where}.costs: {exc.args[0]}") from None
    return problem


def build_components(config: StudyConfig, pm: PluginManager, source: str, problem: Problem | None = None) -> Components:
    """Problem (unless given), surrogates, detector and acquisition for ``config``."""
    check_study(config, pm, source)
    problem = problem if problem is not None else build_problem(config, pm, source)
    seed = config.run.seed
    device = config.run.device
    s = config.surrogate
    noisy = config.problem is not None and config.problem.noisy
    surrogate = _create(pm.surrogates, s.name, f"{source}: [surrogate]", device=device, seed=seed,
                        **_noise_default(pm.surrogates, s.name, s.options, noisy))  # fmt: skip
    if getattr(surrogate, "multi_fidelity", False) and config.multi_surrogate is None and len(problem.fidelities) > 1:
        raise ConfigError(
            f"{source}: [surrogate].name: {s.name!r} is a multi-fidelity model, but without [multi_surrogate] the "
            "study is high-fidelity only and it would see the target alone; put it under [multi_surrogate]"
        )
    multi = detector = None
    if config.multi_surrogate is not None:
        if len(problem.fidelities) < 2:
            raise ConfigError(
                f"{source}: [multi_surrogate]: problem {problem.name!r} has a single fidelity; remove this section"
            )
        m = config.multi_surrogate
        multi = _create(pm.surrogates, m.name, f"{source}: [multi_surrogate]", device=device, seed=seed,
                        **_noise_default(pm.surrogates, m.name, m.options, noisy))  # fmt: skip
        if not getattr(multi, "multi_fidelity", False):
            raise ConfigError(f"{source}: [multi_surrogate].name: surrogate {m.name!r} is single-fidelity")
        d = config.detector
        detector = _create(pm.detectors, d.name, f"{source}: [detector]", **d.options)
    a = config.acquisition
    acquisition = _create(pm.acquisitions, a.name, f"{source}: [acquisition]", **a.options)
    return Components(problem, surrogate, multi, detector, acquisition)


def check_study(config: StudyConfig, pm: PluginManager, source: str) -> None:
    """The checks that need no problem or model: the device and the executor (name and options).
    :class:`~mfopt.Study` should call this before it creates a run store, whatever the strategy."""
    check_device(config, source)
    check_executor(config, pm, source)


def check_device(config: StudyConfig, source: str) -> None:
    """``device = "cuda"`` on a machine without CUDA is an error, not a silent fall-back to the CPU."""
    if config.run.device == "cuda" and not torch.cuda.is_available():
        raise ConfigError(
            f"{source}: [run].device: 'cuda' but CUDA is not available here (torch {torch.__version__}); "
            "use 'auto' (CUDA when available) or 'cpu'"
        )


def check_executor(config: StudyConfig, pm: PluginManager, source: str) -> None:
    """The executor's name and options, checked without starting it (a Dask executor would start a
    cluster) by the executor's option model (or its factory's signature when it declares none)."""
    e = config.executor
    where = f"{source}: [executor]"
    try:
        pm.executors.get(e.name)
    except RegistryError as exc:
        raise ConfigError(f"{where}.name: {exc}") from None
    pm.executors.validate(e.name, e.options, where)


def build_executor(config: StudyConfig, pm: PluginManager, source: str) -> Any:
    e = config.executor
    return _create(pm.executors, e.name, f"{source}: [executor]", **e.options)
