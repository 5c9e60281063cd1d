"""The command index: each sub-command's name, one-line summary and the modules that define it.

This module imports nothing but the standard library, so ``mfopt --help`` can list the commands
(:mod:`mfopt.cli.root_help`) without importing typer or any command module, and a run of one
command imports only that command's modules (each adds itself to the typer app when imported).
``tests/core/test_cli_startup.py`` checks that this index matches what the modules register.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

#: The root command's description and its one option (used by the typer app and the fast help).
APP_HELP = "Multi-fidelity Bayesian optimisation that uses a cheap source only while it helps."
DEBUG_HELP = "Show tracebacks for errors."


@dataclass(frozen=True)
class Command:
    """A sub-command: its summary (the first paragraph of its help) and the modules defining it."""

    summary: str
    modules: tuple[str, ...]


#: In the order typer lists them (commands, then command groups).
COMMANDS: dict[str, Command] = {
    "compare": Command(
        "Fit each model on the same nested designs and score it on 1000·d test points.",
        ("mfopt.cli.compare_cmd",),
    ),
    "export": Command(
        "Export every evaluation (named parameters, fidelity, value, status, cost, error, timings).",
        ("mfopt.cli.export_cmd",),
    ),
    "features": Command(
        "Sample features (CC, RRMSE, LCC, adjusted R2, budgets) and every detector's decision.",
        ("mfopt.cli.features_cmd",),
    ),
    "optimize": Command(
        "Run the optimisation described by CONFIG_FILE and print the best high-fidelity point.",
        ("mfopt.cli.optimize_cmd",),
    ),
    "plugins": Command(
        "List plugin families, their registered names and the distribution providing each; broken plugins"
        " (failed to import, or an entry-point name clash) with their distribution and error.",
        ("mfopt.cli.plugins_cmd",),
    ),
    "problems": Command(
        "List registered problems (name, dimension, domain, description) and parametric name families.",
        ("mfopt.cli.problems_cmd",),
    ),
    "report": Command(
        "Report a run: best high-fidelity point, evaluations and cost per fidelity, gate decisions.",
        ("mfopt.cli.report_cmd",),
    ),
    "benchmark": Command(
        "The paper's Kriging vs Co-Kriging study at scale: run, analyse, train a detector.",
        (
            "mfopt.cli.benchmark_cmd",
            "mfopt.cli.benchmark_run_cmd",
            "mfopt.cli.benchmark_analyse_cmd",
            "mfopt.cli.benchmark_gradient_cmd",
        ),
    ),
}


def register(name: str | None = None) -> None:
    """Import the modules of command ``name`` (all commands when ``name`` is None or unknown)."""
    chosen = [COMMANDS[name]] if name in COMMANDS else list(COMMANDS.values())
    for command in chosen:
        for module in command.modules:
            importlib.import_module(module)
