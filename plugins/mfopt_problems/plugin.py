"""Entry point of the first-party problems plugin (``[project.entry-points.mfopt] problems``).

Registers the literature pairs (and the Wang-Rastrigin resolver), the mf-prior-bench multi-fidelity
Hartmann pairs, the harmful pairs of robust MF-BO (Mikkola et al. 2023), the disturbance-based and BBOB-based
generated pairs (enumerated names plus a resolver for every name of the grammar), SOLAR, and the
``python`` / ``command`` user problems. Nothing torch-defined is imported here: the names come from
:mod:`mfopt_problems.catalog`'s table and each module is imported when one of its names is first used.
"""

from __future__ import annotations

from mfopt.plugin import hookimpl
from mfopt.plugin.registry import ScopedRegistry
from mfopt_problems import catalog


@hookimpl
def mfopt_register_problems(registry: ScopedRegistry) -> None:
    catalog.register(registry)
    registry.register(
        "python",
        "mfopt_problems.python_problem:PythonProblem",
        description="a user Python function: python = 'package.module:function', lower, upper, [fidelities]",
        key="python",
        options="mfopt_problems.options:PythonOptions",
    )
    registry.register(
        "command",
        "mfopt_problems.command_problem:CommandProblem",
        description="an external program: command = ['./sim', '{input}', '{fidelity}'], lower, upper, [fidelities]",
        key="command",
        options="mfopt_problems.options:CommandOptions",
    )
