"""``mfopt compare``: the surrogate protocol of Andrés-Thió et al. (2024) on one instance."""

from __future__ import annotations

import typer

from mfopt.cli import app
from mfopt.cli.output import print_json, print_table
from mfopt.errors import ConfigError


@app.command("compare")
def compare_command(
    problem: str = typer.Option(
        ...,
        "--problem",
        help="A registered bi-fidelity problem (see `mfopt problems`), or a factory 'module:function' / "
        "'file.py:function' returning an mfopt Problem.",
    ),
    nh: int = typer.Option(..., "--nh", help="High-fidelity sample size."),
    nl: int = typer.Option(..., "--nl", help="Low-fidelity sample size (nested: nh <= nl)."),
    reps: int = typer.Option(40, "--reps", help="Repetitions (seeds seed+1 .. seed+reps)."),
    models: str = typer.Option("kriging,cokriging", "--models", help="Comma-separated surrogate names."),
    seed: int = typer.Option(0, "--seed", help="Seed offset of the repetitions."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda"),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable results."),
) -> None:
    """Fit each model on the same nested designs and score it on 1000·d test points."""
    from mfopt.benchmark.protocol import compare
    from mfopt.plugin.manager import get_plugin_manager

    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise ConfigError("--models: give at least one surrogate name")
    try:
        result = compare(get_plugin_manager(), problem, nh, nl, reps, names, seed, device)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    if as_json:
        print_json(result)
        return
    rows = [[rep + 1, *(result["models"][n]["correlations"][rep] for n in names)] for rep in range(reps)]
    print_table(f"{problem} nh={nh} nl={nl}: test correlation per repetition", ["rep", *names], rows)
    print_table(
        "summary",
        ["model", "median correlation", "median RRMSE", "mean fit seconds"],
        [[n, s["median_correlation"], s["median_rrmse"], s["mean_fit_seconds"]] for n, s in result["models"].items()],
    )
