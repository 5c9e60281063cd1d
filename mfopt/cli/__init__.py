"""The ``mfopt`` command. One module per sub-command; each adds itself to the typer app.

Errors: a user mistake (:class:`~mfopt.errors.ConfigError`, bad usage: a missing argument, an
unknown option or command, an unreadable file) prints one line and exits 2; a failed run or a
store that cannot be written exits 1; ``--debug`` (anywhere on the line) shows the traceback.

Start-up stays light: ``mfopt --help`` (and a bare ``mfopt``) print the command index of
:mod:`mfopt.cli.commands` without importing typer; any other command imports typer
(:mod:`mfopt.cli.typer_app`) and only the modules of the command named on the line. Command
modules import only typer, rich and mfopt's light modules at import time; torch, BoTorch and the
engine are imported inside the command functions.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from mfopt.errors import ConfigError, MfoptError

if TYPE_CHECKING:
    import typer

#: Exit codes (the README's table): done, the run failed, a usage or configuration error, interrupted.
EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def __getattr__(name: str) -> Any:
    if name == "app":  # ``from mfopt.cli import app`` in command modules: the typer app
        from mfopt.cli.typer_app import app

        return app
    raise AttributeError(f"module 'mfopt.cli' has no attribute {name!r}")


def _command_name(args: list[str]) -> str | None:
    """The sub-command named on the line (the first word after the root's own ``--debug``)."""
    words = [a for a in args if a != "--debug"]
    return words[0] if words and not words[0].startswith("-") else None


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
    if set(args) <= {"--debug", "--help"}:  # ``mfopt --help`` or bare ``mfopt``: no typer needed
        from mfopt.cli.root_help import root_help

        print(root_help(), end="", file=sys.stdout if "--help" in args else sys.stderr)
        code = EXIT_OK if "--help" in args else EXIT_USAGE
    else:
        code = _run(args)
    if argv is None:
        sys.exit(code)
    return code


def _run(args: list[str]) -> int:
    """Run one command through typer; every error becomes one line and an exit code."""
    import sqlite3

    import typer

    from mfopt.cli.commands import register
    from mfopt.cli.typer_app import app

    debug = "--debug" in args
    register(_command_name(args))
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
    return code
