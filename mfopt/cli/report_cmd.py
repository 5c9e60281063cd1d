"""``mfopt report RUN_DIR``: the best point, spending per fidelity and the gate's decisions."""

from __future__ import annotations

from pathlib import Path

import typer

from mfopt.cli import app
from mfopt.cli.optimize_cmd import show_result
from mfopt.cli.output import print_json, print_table
from mfopt.errors import ConfigError, StoreError


@app.command("report")
def report_command(
    run_dir: Path = typer.Argument(..., help="A run directory written by `mfopt optimize`."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    plot: bool = typer.Option(False, "--plot", help="Also write PNG plots (best vs cost, cost per fidelity, gate)."),
    plot_dir: Path | None = typer.Option(None, "--plot-dir", help="Where --plot writes its PNGs (default: RUN_DIR)."),
) -> None:
    """Report a run: best high-fidelity point, evaluations and cost per fidelity, gate decisions."""
    from mfopt.report import decision_rows, load_run

    try:
        result, store = load_run(run_dir)
    except StoreError as exc:
        raise ConfigError(str(exc)) from exc
    try:
        decisions = decision_rows(store)
        status = store.meta().get("status", "unknown")
    finally:
        store.close()
    if plot or plot_dir is not None:
        from mfopt.plots import write_plots

        written = write_plots(run_dir, plot_dir)
        if not as_json:
            typer.echo("plots: " + ", ".join(str(p) for p in written))
    if as_json:
        print_json({**result.to_dict(), "status": status, "decisions": decisions})
        return
    show_result(result)
    if decisions:
        print_table(
            "Low-fidelity gate decisions",
            ["iter", "source", "use", "rule", "reason"],
            [
                [d["iteration"], d["source"], "yes" if d["use_low"] else "no", d["rule"].split(":")[0], d["reason"]]
                for d in decisions
            ],
        )
