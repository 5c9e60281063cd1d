"""The ``mfopt`` command. One module per sub-command; each adds itself to :data:`app`.

Errors: a user mistake (:class:`~mfopt.errors.ConfigError`, bad usage) prints one line and exits
2; any other failure exits 1; ``--debug`` (anywhere on the line) shows the traceback.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

import click
import typer

from mfopt.errors import ConfigError, MfoptError

app = typer.Typer(
    name="mfopt",
    help="Multi-fidelity Bayesian optimisation that uses a cheap source only while it helps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors.")) -> None:
    """mfopt: multi-fidelity Bayesian optimisation with a low-fidelity-harm gate."""


def _register_commands() -> None:
    from mfopt.cli import commands  # noqa: F401  (each module adds its command to ``app``)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns (and, as a script, exits with) the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    _register_commands()
    try:
        result = app(args=args, prog_name="mfopt", standalone_mode=False)
        code = result if isinstance(result, int) else 0
    except click.exceptions.Exit as exc:
        code = exc.exit_code
    except click.exceptions.Abort:
        print("aborted", file=sys.stderr)
        code = 130
    except click.ClickException as exc:
        exc.show()
        code = 2
    except ConfigError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        code = 2
    except MfoptError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = 130
    except Exception as exc:  # a bug, not a user mistake: one line, the traceback with --debug
        if debug:
            traceback.print_exc()
        print(f"error: unexpected {type(exc).__name__}: {exc} (run with --debug for the traceback)", file=sys.stderr)
        code = 1
    if argv is None:
        sys.exit(code)
    return code
