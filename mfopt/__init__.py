"""mfopt: multi-fidelity Bayesian optimisation that uses a cheap source only while it helps.

The public API. Plugin packages import contracts from here (and ``mfopt.plugin`` for
``hookimpl``, ``mfopt.testing`` for the contract suites).

Names are imported on first access (PEP 562 ``__getattr__``): ``import mfopt`` and the ``mfopt``
command's start-up do not load torch or BoTorch; ``from mfopt import Study`` loads what ``Study``
needs. The errors are light and imported at once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from mfopt.errors import (
    ConfigError,
    EvaluationError,
    MfoptError,
    ModelFittingError,
    PluginError,
    RegistryError,
    StoreError,
    UnknownNameError,
)

if TYPE_CHECKING:
    from mfopt.acquisition import Acquisition, ProposalContext
    from mfopt.config import StudyConfig, load_config, parse_config
    from mfopt.data import (
        DTYPE,
        Candidate,
        Dataset,
        Decision,
        Fidelity,
        Observation,
        Status,
        normalise_levels,
        order_fidelities,
    )
    from mfopt.design import lhs, maximin_lhs, maximin_subset, nested_design, scale, unscale
    from mfopt.detector import HarmDetector
    from mfopt.hpo import HPOStudy, Trial, create_study
    from mfopt.loop import Study
    from mfopt.plugin.manager import PluginManager, get_plugin_manager
    from mfopt.plugin.registry import Registry
    from mfopt.problem import FunctionProblem, Problem
    from mfopt.result import StudyResult
    from mfopt.space import Categorical, Float, Int, SearchSpace
    from mfopt.surrogate import FittedSurrogate, Surrogate

__version__ = "0.1.0"

#: public name -> the module that defines it (imported on first access)
_LAZY: dict[str, str] = {
    "Acquisition": "mfopt.acquisition",
    "ProposalContext": "mfopt.acquisition",
    "StudyConfig": "mfopt.config",
    "load_config": "mfopt.config",
    "parse_config": "mfopt.config",
    "DTYPE": "mfopt.data",
    "Candidate": "mfopt.data",
    "Dataset": "mfopt.data",
    "Decision": "mfopt.data",
    "Fidelity": "mfopt.data",
    "Observation": "mfopt.data",
    "Status": "mfopt.data",
    "order_fidelities": "mfopt.data",
    "normalise_levels": "mfopt.data",
    "lhs": "mfopt.design",
    "maximin_lhs": "mfopt.design",
    "maximin_subset": "mfopt.design",
    "nested_design": "mfopt.design",
    "scale": "mfopt.design",
    "unscale": "mfopt.design",
    "HarmDetector": "mfopt.detector",
    "HPOStudy": "mfopt.hpo",
    "Trial": "mfopt.hpo",
    "create_study": "mfopt.hpo",
    "Study": "mfopt.loop",
    "PluginManager": "mfopt.plugin.manager",
    "get_plugin_manager": "mfopt.plugin.manager",
    "Registry": "mfopt.plugin.registry",
    "FunctionProblem": "mfopt.problem",
    "Problem": "mfopt.problem",
    "StudyResult": "mfopt.result",
    "Categorical": "mfopt.space",
    "Float": "mfopt.space",
    "Int": "mfopt.space",
    "SearchSpace": "mfopt.space",
    "FittedSurrogate": "mfopt.surrogate",
    "Surrogate": "mfopt.surrogate",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'mfopt' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later accesses skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})


def optimize(config_file: str, run_dir: str | None = None, resume: bool = False) -> StudyResult:
    """Run the study described by ``config_file`` (a problem.toml) and return its result."""
    from mfopt.config import load_config
    from mfopt.loop import Study

    with Study(load_config(config_file), run_dir=run_dir, resume=resume, source=str(config_file)) as study:
        return study.run()


__all__ = [
    "DTYPE",
    "Acquisition",
    "Candidate",
    "Categorical",
    "ConfigError",
    "Dataset",
    "Decision",
    "EvaluationError",
    "Fidelity",
    "FittedSurrogate",
    "Float",
    "FunctionProblem",
    "HPOStudy",
    "HarmDetector",
    "Int",
    "MfoptError",
    "ModelFittingError",
    "Observation",
    "PluginError",
    "PluginManager",
    "Problem",
    "ProposalContext",
    "Registry",
    "RegistryError",
    "SearchSpace",
    "Status",
    "StoreError",
    "Study",
    "StudyConfig",
    "StudyResult",
    "Surrogate",
    "Trial",
    "UnknownNameError",
    "__version__",
    "create_study",
    "get_plugin_manager",
    "lhs",
    "load_config",
    "maximin_lhs",
    "maximin_subset",
    "nested_design",
    "normalise_levels",
    "optimize",
    "order_fidelities",
    "parse_config",
    "scale",
    "unscale",
]
