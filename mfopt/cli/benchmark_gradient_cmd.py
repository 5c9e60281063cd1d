"""``mfopt benchmark gradient-only``: the seed's definiteness claim under three readings (docs/gradient_only.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from mfopt.cli.benchmark_cmd import benchmark_app
from mfopt.cli.output import console, print_json, print_table
from mfopt.errors import ConfigError


@benchmark_app.command("gradient-only")
def gradient_only_command(
    trials: int = typer.Option(200, "--trials", help="Trials per batch size (batch and ε drawn per trial)."),
    seed: int = typer.Option(0, "--seed", help="Seed (>= 0); the same seed gives the same table."),
    plots: Path | None = typer.Option(None, "--plots", help="Write loss-surface PNGs into this directory."),
    as_json: bool = typer.Option(False, "--json", help="Print settings, summary rows and every trial as JSON."),
) -> None:
    """The seed's gradient-only definiteness claim under three readings (docs/gradient_only.md).

    Fractions of convex / concave / indefinite / degenerate results of the 'f', 'f-g' and 'g'
    least-squares RBF fits of f = x² for mini-batches of 3, 30 and all 121 points, under readings
    a (surrogate curvature at the batch), b (static MSE loss surface over (w1, w2)) and c (loss on a
    fresh mini-batch at every grid point; c-signs: the quadratic fit's signs without a significance test)."""
    from mfopt.benchmark.gradient_only import Settings, plot_surfaces, run

    try:
        settings = Settings(trials=trials, seed=seed)
    except ValueError as exc:
        raise ConfigError(f"--trials/--seed: {exc}") from exc
    result = run(settings)
    result["plots"] = [str(p) for p in plot_surfaces(settings, plots)] if plots is not None else []
    if as_json:
        print_json(result)
        return
    print_table(
        f"gradient-only: f = x², {trials} trials per batch size, seed {seed}",
        ["reading", "batch", "method", "convex", "concave", "indef.", "degen.", "med. R²"],
        [
            [r["reading"], "full" if r["batch"] == 121 else r["batch"], r["method"]]
            + [f"{r[c]:.3f}" for c in ("convex", "concave", "indefinite", "degenerate")]
            + ["-" if r["median_r2"] is None else f"{r['median_r2']:.3f}"]
            for r in result["rows"]
        ],
    )
    for path in result["plots"]:
        console.print(f"plot: {path}")
