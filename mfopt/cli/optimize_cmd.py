"""``mfopt optimize problem.toml``: run (or resume) a study and print the best point found."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import typer

from mfopt.cli import app
from mfopt.cli.output import console, err_console, print_json, print_table
from mfopt.cli.progress import ProgressObserver
from mfopt.config import load_config
from mfopt.errors import ConfigError
from mfopt.loop import Study
from mfopt.plugin.manager import get_plugin_manager
from mfopt.result import StudyResult
from mfopt.store import RunStore


def default_run_dir(config_path: Path, configured: str | None) -> Path:
    """``[run].dir`` if set, else ``runs/<config file stem>`` (relative to the working directory)."""
    return Path(configured) if configured else Path("runs") / config_path.stem


@app.command("optimize")
def optimize_command(
    config_file: Path = typer.Argument(..., help="The problem.toml describing the study."),
    run_dir: Path | None = typer.Option(None, "--run-dir", help="Where the run store goes (default runs/<name>)."),
    resume: bool = typer.Option(False, "--resume", help="Continue the run already in the run directory."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Delete an existing run in the run directory first."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Run the optimisation described by CONFIG_FILE and print the best high-fidelity point."""
    config = load_config(config_file)
    directory = run_dir or default_run_dir(config_file, config.run.dir)
    if resume and overwrite:
        raise ConfigError("--resume and --overwrite contradict each other")
    if resume and not RunStore.exists(directory):
        raise ConfigError(f"--resume: {directory} holds no run to continue")
    if overwrite and RunStore.exists(directory):
        shutil.rmtree(directory)
    pm = get_plugin_manager()
    study = Study(config, run_dir=directory, resume=resume, source=str(config_file), plugin_manager=pm)
    progress = None
    if not quiet and not as_json and sys.stderr.isatty():
        progress = ProgressObserver(err_console)
        pm.add("progress", progress)
    try:
        result = study.run()
    except KeyboardInterrupt:
        err_console.print(f"interrupted: continue with `mfopt optimize {config_file} --resume`")
        raise
    finally:
        if progress is not None:
            progress.stop()
            pm.remove("progress")
        study.close()
    if as_json:
        print_json(result.to_dict())
    else:
        show_result(result)


def show_result(result: StudyResult) -> None:
    best = result.best
    if best is None:
        console.print(f"[bold red]No successful high-fidelity evaluation[/] (stopped: {result.stop_reason})")
    else:
        x = ", ".join(f"{v:.6g}" for v in best.x)
        console.print(f"[bold]Best high-fidelity point[/] ({result.target}): x = [{x}]  f = {best.value:.6g}")
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
