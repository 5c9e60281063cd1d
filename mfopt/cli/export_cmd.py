"""``mfopt export RUN_DIR``: every evaluation of a run as CSV or JSON (one row per evaluation)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import typer

from mfopt.cli import app
from mfopt.errors import ConfigError, StoreError


def _write(target: Path, table: Sequence[Mapping[str, Any]], writer: Callable[..., None]) -> None:
    if str(target) == "-":
        writer(table, sys.stdout)
        return
    try:
        out: IO[str]
        with target.open("w", encoding="utf-8", newline="") as out:
            writer(table, out)
    except OSError as exc:
        raise ConfigError(f"cannot write {target}: {exc.strerror}") from exc


@app.command("export")
def export_command(
    run_dir: Path = typer.Argument(..., help="A run directory written by `mfopt optimize`."),
    csv_file: Path | None = typer.Option(None, "--csv", help="Write CSV to this file ('-': standard output)."),
    json_file: Path | None = typer.Option(None, "--json", help="Write a JSON array to this file ('-': stdout)."),
) -> None:
    """Export every evaluation (named parameters, fidelity, value, status, cost, error, timings).

    Without --csv or --json, CSV goes to standard output.
    """
    from mfopt.export import rows, write_csv, write_json

    try:
        table = rows(run_dir)
    except StoreError as exc:
        raise ConfigError(str(exc)) from exc
    if csv_file is None and json_file is None:
        csv_file = Path("-")
    if csv_file is not None:
        _write(csv_file, table, write_csv)
    if json_file is not None:
        _write(json_file, table, write_json)
    written = [str(p) for p in (csv_file, json_file) if p is not None and str(p) != "-"]
    if written:
        typer.echo(f"{len(table)} evaluations -> {', '.join(written)}", err=True)
