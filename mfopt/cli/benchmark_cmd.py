"""``mfopt benchmark``: the command group of the study engine.

Each sub-command lives in its own module and adds itself to :data:`benchmark_app`; heavy
imports (torch, the engine) happen inside the command functions so ``mfopt --help`` stays fast.
"""

from __future__ import annotations

import typer

from mfopt.cli import app

benchmark_app = typer.Typer(
    name="benchmark",
    help="The paper's Kriging vs Co-Kriging study at scale: run, analyse, train a detector.",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(benchmark_app, name="benchmark")
