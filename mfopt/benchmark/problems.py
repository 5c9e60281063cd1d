"""Problems of the study commands: a registered name, or a ``module:function`` / ``file.py:function`` factory.

The factory form names a callable that takes no argument and returns a bi-fidelity
:class:`~mfopt.problem.Problem` (cheapest fidelity first, target last), e.g. ``mypkg.pairs:make_pair``
or ``examples/my_pair.py:make_pair`` (a path relative to the working directory). A registered name
always wins, so names never need quoting. Specs travel to worker processes as strings; a ``.py``
path is made absolute first (:func:`portable_spec`) so workers started elsewhere find the file.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from mfopt.errors import ConfigError, RegistryError
from mfopt.plugin.manager import PluginManager
from mfopt.problem import Problem


def is_factory_spec(spec: str) -> bool:
    """Whether ``spec`` looks like ``module:function`` (exactly one colon, both parts non-empty)."""
    module, _, attr = spec.partition(":")
    return spec.count(":") == 1 and bool(module) and bool(attr)


def portable_spec(spec: str) -> str:
    """``spec`` with a ``.py`` module path made absolute (other specs unchanged)."""
    if is_factory_spec(spec):
        module, attr = spec.split(":")
        if module.endswith(".py"):
            return f"{Path(module).resolve()}:{attr}"
    return spec


def _import(module_name: str, spec: str) -> Any:
    if module_name.endswith(".py"):
        path = Path(module_name).resolve()
        if not path.is_file():
            raise ConfigError(f"problem {spec!r}: no file {path}")
        name = f"mfopt_study_problem_{abs(hash(str(path)))}"
        if name in sys.modules:
            return sys.modules[name]
        loader_spec = importlib.util.spec_from_file_location(name, path)
        if loader_spec is None or loader_spec.loader is None:
            raise ConfigError(f"problem {spec!r}: cannot load {path} as a Python module")
        module = importlib.util.module_from_spec(loader_spec)
        sys.modules[name] = module
        try:
            loader_spec.loader.exec_module(module)
        except Exception as exc:
            del sys.modules[name]
            raise ConfigError(f"problem {spec!r}: importing {path} failed: {type(exc).__name__}: {exc}") from exc
        return module
    try:
        return importlib.import_module(module_name)
    except ImportError as exc:
        raise ConfigError(f"problem {spec!r}: cannot import module {module_name!r} ({exc})") from None


def load_problem(pm: PluginManager, spec: str) -> Problem:
    """The bi-fidelity problem named by ``spec`` (registered name first, then ``module:function``)."""
    if spec in pm.problems or not is_factory_spec(spec):
        try:
            problem = pm.problems.create(spec, where="problem")
        except RegistryError as exc:
            raise ConfigError(f"{exc}; or give a factory as 'package.module:function' / 'file.py:function'") from None
    else:
        module_name, attr = spec.split(":")
        factory = getattr(_import(module_name, spec), attr, None)
        if not callable(factory):
            raise ConfigError(f"problem {spec!r}: {module_name!r} has no callable {attr!r}")
        try:
            problem = factory()
        except Exception as exc:
            raise ConfigError(f"problem {spec!r}: the factory failed: {type(exc).__name__}: {exc}") from exc
    if not isinstance(problem, Problem):
        raise ConfigError(f"problem {spec!r}: expected an mfopt Problem, got {type(problem).__name__}")
    if len(problem.fidelities) < 2:
        raise ConfigError(f"problem {spec!r} has a single fidelity; the study compares bi-fidelity models")
    return problem
