"""The ``mfopt`` command. One module per sub-command; each adds itself to :data:`app`.

Errors: a user mistake (:class:`~mfopt.errors.ConfigError`, bad usage: a missing argument, an
unknown option or command, an unreadable file) prints one line and exits 2; a failed run or a
store that cannot be written exits 1; ``--debug`` (anywhere on the line) shows the traceback.

Start-up stays light: this module and the command modules import only typer, rich and mfopt's
light modules at import time; torch, BoTorch and the engine are imported inside the command
functions, so ``mfopt --help`` does not load them. Typer (pinned to 0.29.x) vendors its own
click, so usage errors are caught as :class:`typer.TyperException`, never through ``click``.
"""

from __future__ import annotations

import sqlite3
import sys
import traceback
from collections.abc import Sequence

import typer

from mfopt.errors import ConfigError, MfoptError

app = typer.Typer(
    name="mfopt",
    help="Multi-fidelity Bayesian optimisation that uses a cheap source only while it helps.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # plain help: typer's rich help renderer alone costs ~0.3 s of imports
)

#: Exit codes (the README's table): done, the run failed, a usage or configuration error, interrupted.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


@app.callback()
def _root(debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors.")) -> None:
    """mfopt: multi-fidelity Bayesian optimisation with a low-fidelity-harm gate."""


def _register_commands() -> None:
    from mfopt.cli import commands  # noqa: F401  (each module adds its command to ``app``)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


def _usage_error(exc: typer.TyperException) -> int:
    """A typer (click) usage error as one line: ``error: mfopt optimize: Missing argument ...``."""
    ctx = getattr(exc, "ctx", None)
    if type(exc).__name__ == "NoArgsIsHelpError":  # bare ``mfopt`` or a bare group: the help text
        print(exc.format_message(), file=sys.stderr)
        return EXIT_USAGE
    where = f"{ctx.command_path}: " if ctx is not None else ""
    hint = f" (see `{ctx.command_path} --help`)" if ctx is not None else ""
    print(f"error: {where}{_one_line(exc.format_message())}{hint}", file=sys.stderr)
    return exc.exit_code if exc.exit_code in (EXIT_FAILED, EXIT_USAGE) else EXIT_USAGE


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns (and, as a script, exits with) the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    _register_commands()
    try:
        result = app(args=args, prog_name="mfopt", standalone_mode=False)
        code = result if isinstance(result, int) else EXIT_OK
    except typer.Exit as exc:
        code = exc.exit_code
    except typer.Abort:
        print("aborted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except typer.TyperException as exc:
        code = _usage_error(exc)
    except MfoptError as exc:
        if debug:
            traceback.print_exc()
        print(f"error: {_one_line(str(exc))}", file=sys.stderr)
        code = EXIT_USAGE if isinstance(exc, ConfigError) else EXIT_FAILED
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        code = EXIT_INTERRUPTED
    except sqlite3.Error as exc:  # the run store's own errors name it; this is the backstop
        if debug:
            traceback.print_exc()
        hint = "free some space, then continue with --resume" if "full" in str(exc) else "see --debug"
        print(f"error: the run store failed: {type(exc).__name__}: {_one_line(str(exc))} ({hint})", file=sys.stderr)
        code = EXIT_FAILED
    except Exception as exc:  # a bug, not a user mistake: one line, the traceback with --debug
        if debug:
            traceback.print_exc()
        message = _one_line(f"unexpected {type(exc).__name__}: {exc}")
        print(f"error: {message} (run with --debug for the traceback)", file=sys.stderr)
        code = EXIT_FAILED
    if argv is None:
        sys.exit(code)
    return code
