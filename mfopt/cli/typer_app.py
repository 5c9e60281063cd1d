"""The typer application of the ``mfopt`` command; each command module adds itself to :data:`app`.

Imported only when a command runs (``mfopt --help`` is answered by :mod:`mfopt.cli.root_help`).
Typer (pinned to 0.29.x) vendors its own click, so usage errors are caught as
:class:`typer.TyperException`, never through ``click``.
"""

from __future__ import annotations

import typer

from mfopt.cli.commands import APP_HELP, DEBUG_HELP

app = typer.Typer(
    name="mfopt",
    help=APP_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: typer's rich help renderer alone costs ~0.3 s of imports
)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help=DEBUG_HELP)) -> None:
    """mfopt: multi-fidelity Bayesian optimisation with a low-fidelity-harm gate."""
