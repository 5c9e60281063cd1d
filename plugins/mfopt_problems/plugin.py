"""Entry point of the first-party problems plugin (``[project.entry-points.mfopt] problems``).

Registers the literature pairs (and the Wang-Rastrigin resolver), the mf-prior-bench multi-fidelity
Hartmann pairs, the harmful pairs of robust MF-BO (Mikkola et al. 2023), the disturbance-based and BBOB-based
generated pairs (enumerated names plus a resolver for every name of the grammar), SOLAR, and the
``python`` / ``command`` user problems.
"""

from __future__ import annotations

from mfopt import Registry
from mfopt.plugin import hookimpl
from mfopt_problems import command_problem, disturbance, literature, mf_hartmann, python_problem, robust_pairs, solar


@hookimpl
def mfopt_register_problems(registry: Registry) -> None:
    literature.register(registry)
    mf_hartmann.register(registry)
    robust_pairs.register(registry)
    disturbance.register(registry)
    solar.register(registry)
    registry.register(
        "python",
        python_problem.PythonProblem,
        description="a user Python function: python = 'package.module:function', lower, upper, [fidelities]",
        key="python",
    )
    registry.register(
        "command",
        command_problem.CommandProblem,
        description="an external program: command = ['./sim', '{input}', '{fidelity}'], lower, upper, [fidelities]",
        key="command",
    )
