"""mfopt: multi-fidelity Bayesian optimisation that uses a cheap source only while it helps.

The public API. Plugin packages import contracts from here (and ``mfopt.plugin`` for
``hookimpl``, ``mfopt.testing`` for the contract suites).
"""

from mfopt.acquisition import Acquisition, ProposalContext
from mfopt.config import StudyConfig, load_config, parse_config
from mfopt.data import DTYPE, Candidate, Dataset, Decision, Fidelity, Observation, Status, order_fidelities
from mfopt.design import lhs, maximin_lhs, maximin_subset, nested_design, scale, unscale
from mfopt.detector import HarmDetector
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
from mfopt.loop import Study
from mfopt.plugin.manager import PluginManager, get_plugin_manager
from mfopt.plugin.registry import Registry
from mfopt.problem import FunctionProblem, Problem
from mfopt.result import StudyResult
from mfopt.surrogate import FittedSurrogate, Surrogate

__version__ = "0.1.0"


def optimize(config_file: str, run_dir: str | None = None, resume: bool = False) -> StudyResult:
    """Run the study described by ``config_file`` (a problem.toml) and return its result."""
    with Study(load_config(config_file), run_dir=run_dir, resume=resume, source=str(config_file)) as study:
        return study.run()


__all__ = [
    "DTYPE",
    "Acquisition",
    "Candidate",
    "ConfigError",
    "Dataset",
    "Decision",
    "EvaluationError",
    "Fidelity",
    "FittedSurrogate",
    "FunctionProblem",
    "HarmDetector",
    "MfoptError",
    "ModelFittingError",
    "Observation",
    "PluginError",
    "PluginManager",
    "Problem",
    "ProposalContext",
    "Registry",
    "RegistryError",
    "Status",
    "StoreError",
    "Study",
    "StudyConfig",
    "StudyResult",
    "Surrogate",
    "UnknownNameError",
    "__version__",
    "get_plugin_manager",
    "lhs",
    "load_config",
    "maximin_lhs",
    "maximin_subset",
    "nested_design",
    "optimize",
    "order_fidelities",
    "parse_config",
    "scale",
    "unscale",
]
