"""The typer application of the ``mfopt`` command; each command module adds itself to :data:`app`.

Imported only when a command runs (``mfopt --help`` is answered by :mod:`mfopt.cli.root_help`).
Typer (pinned to 0.29.x) vendors its own click, so usage errors are caught as
:class:`typer.TyperException`, never through ``click``.
"""

from __future__ import annotations

from typing import Any

import typer
from typer.core import TyperGroup

from mfopt.cli.commands import APP_HELP, COMMANDS, DEBUG_HELP


class _IndexOrder(TyperGroup):
    """Lists the commands in the index's order, whichever command module was imported first."""

    def list_commands(self, ctx: Any) -> list[str]:
        order = list(COMMANDS)
        return sorted(super().list_commands(ctx), key=lambda n: order.index(n) if n in order else len(order))


app = typer.Typer(
    name="mfopt",
    cls=_IndexOrder,
    help=APP_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: typer's rich help renderer alone costs ~0.3 s of imports
)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help=DEBUG_HELP)) -> None:
    """mfopt: multi-fidelity Bayesian optimisation with a low-fidelity-harm gate."""
