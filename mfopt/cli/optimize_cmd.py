"""``mfopt optimize problem.toml``: run (or resume) a study and print the best point found.

The run directory is locked for the whole command (one run, one writer). ``--overwrite`` deletes
only the files the run store owns and refuses when the directory holds anything else. The whole
configuration is validated before the store is created; should a configuration error still come
up before the first evaluation is recorded (an executor option value, say), the store this command
created is removed again, so the corrected rerun is not blocked. The engine (torch, BoTorch) is
imported inside the command, so ``mfopt --help`` does not load it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from mfopt.cli import app
from mfopt.cli.output import console, err_console, print_json, print_table
from mfopt.errors import ConfigError

if TYPE_CHECKING:
    from mfopt.config import StudyConfig
    from mfopt.result import StudyResult


def default_run_dir(config_path: Path, configured: str | None) -> Path:
    """``[run].dir`` if set, else ``runs/<config file stem>`` (relative to the working directory);
    ``~`` is expanded."""
    return Path(configured).expanduser() if configured else Path("runs") / config_path.stem


@app.command("optimize")
def optimize_command(
    config_file: Path = typer.Argument(..., help="The problem.toml describing the study."),
    run_dir: Path | None = typer.Option(None, "--run-dir", help="Where the run store goes (default runs/<name>)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run already in the run directory."),
    overwrite: bool = typer.Option(
        False, "--overwrite", help="Delete the run store's files in the run directory first (nothing else)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Run the optimisation described by CONFIG_FILE and print the best high-fidelity point."""
    from mfopt.config import load_config

    config = load_config(config_file)
    directory = run_dir.expanduser() if run_dir is not None else default_run_dir(config_file, config.run.dir)
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite contradict each other")

    from mfopt.store import LOCK_FILE, RunLock, RunStore, remove_run

    if resume and not RunStore.exists(directory):
        raise ConfigError(f"--resume: {directory} holds no run to continue")
    if directory.exists() and not directory.is_dir():
        raise ConfigError(f"--run-dir: {directory} is a file, not a directory")
    made = [d for d in (directory, *directory.parents) if not d.exists()]  # what the lock will create
    lock_made = not (directory / LOCK_FILE).exists()
    try:
        with RunLock(directory):
            if overwrite:
                remove_run(directory)
            result = _run(config_file, config, directory, resume, quiet or as_json)
    except ConfigError:
        if lock_made and not RunStore.exists(directory):
            (directory / LOCK_FILE).unlink(missing_ok=True)
        _unmake(made, LOCK_FILE)
        raise
    if as_json:
        print_json(result.to_dict())
    else:
        show_result(result)


def _unmake(made: list[Path], lock_file: str) -> None:
    """Remove the directories this command created (deepest first) when they hold nothing but the lock."""
    for directory in made:
        if not directory.is_dir() or any(p.name != lock_file for p in directory.iterdir()):
            return
        (directory / lock_file).unlink(missing_ok=True)
        directory.rmdir()


def _run(config_file: Path, config: StudyConfig, directory: Path, resume: bool, quiet: bool) -> StudyResult:
    """Build and run the study; a configuration error before any evaluation removes the store it made."""
    from mfopt.cli.progress import ProgressObserver
    from mfopt.loop import Study
    from mfopt.plugin.manager import get_plugin_manager
    from mfopt.store import RunStore, remove_run

    created = not RunStore.exists(directory)
    pm = get_plugin_manager()
    try:
        study = Study(config, run_dir=directory, resume=resume, source=str(config_file), plugin_manager=pm)
    except ConfigError:
        if created and RunStore.exists(directory):
            remove_run(directory)
        raise
    progress = None
    if not quiet and sys.stderr.isatty():
        from rich.console import Console

        progress = ProgressObserver(Console(stderr=True))
        pm.add("progress", progress)
    try:
        return study.run()
    except KeyboardInterrupt:
        err_console.print(f"interrupted: continue with `mfopt optimize {config_file} --resume`")
        raise
    except ConfigError:
        if created and not study.store.observations():
            study.close()
            remove_run(directory)
        raise
    finally:
        if progress is not None:
            progress.stop()
            pm.remove("progress")
        study.close()


def show_result(result: StudyResult) -> None:
    best = result.best
    if best is None:
        console.print(f"[bold red]No successful high-fidelity evaluation[/] (stopped: {result.stop_reason})")
    else:
        params = dict(best.params or {})
        if params and list(params) != [f"x{i}" for i in range(len(params))]:  # named parameters
            shown = ", ".join(f"{k} = {v:.6g}" if isinstance(v, float) else f"{k} = {v!r}" for k, v in params.items())
        else:
            shown = "x = [" + ", ".join(f"{v:.6g}" for v in best.x) + "]"
        console.print(f"[bold]Best high-fidelity point[/] ({result.target}): {shown}  f = {best.value:.6g}")
    budget = f" of {result.budget:g}" if result.budget is not None else ""
    console.print(
        f"cost spent {result.cost_spent:.4g}{budget}, {result.evaluations} evaluations, "
        f"{result.iterations} iterations, stopped: {result.stop_reason}"
    )
    print_table(
        "Evaluations per fidelity",
        ["fidelity", "ok", "failed", "pending", "cost"],
        [[name, u.ok, u.failed, u.pending, u.cost] for name, u in result.usage.items()],
    )
    if result.run_dir:
        console.print(f"run store: {Path(result.run_dir) / 'run.sqlite'}  (mfopt report {result.run_dir})")
