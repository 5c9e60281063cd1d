"""``mfopt features``: the low-fidelity harm features of a sample and every detector's verdict.

The sample comes either from a problem, registered or a ``module:function`` / ``file.py:function``
factory (:mod:`mfopt.benchmark.problems`) (a seeded nested maximin design: the cheapest
fidelity on ``--nl`` points, the target on a ``--nh``-point subset) or from a CSV file. Problems and
detectors are reached only through the plugin manager's registries; the features are read from
the decisions (the ``guideline`` detector reports the full feature mapping). Torch and the data
model are imported inside the functions, so ``mfopt --help`` does not load them.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from mfopt.cli import app
from mfopt.cli.output import print_json, print_table
from mfopt.errors import ConfigError

if TYPE_CHECKING:
    from mfopt.data import Dataset, Decision
    from mfopt.plugin.manager import PluginManager


def _problem_sample(pm: PluginManager, name: str, nh: int, nl: int, seed: int) -> Dataset:
    """Evaluate the cheapest fidelity of ``name`` on ``nl`` points and its target on ``nh`` of them."""
    from mfopt.benchmark.problems import load_problem
    from mfopt.data import Dataset, Observation, Status
    from mfopt.design import nested_design

    if nh < 1 or nl < nh:
        raise ConfigError(f"--nh/--nl: need 1 <= nh <= nl for a nested design, got nh={nh}, nl={nl}")
    try:
        problem = load_problem(pm, name)
    except ConfigError as exc:
        raise ConfigError(f"--problem: {exc}") from None
    cheap, target = problem.fidelities[0], problem.fidelities[-1]
    X_low, X_high = nested_design(problem.bounds, [nl, nh], seed=seed)
    observations: list[Observation] = []
    for fidelity, X in ((cheap, X_low), (target, X_high)):
        values = problem.evaluate(X, fidelity.name)
        for x, v in zip(X.tolist(), values.tolist(), strict=True):
            ok = math.isfinite(v)
            status = Status.OK if ok else Status.FAILED
            observations.append(Observation(tuple(x), fidelity.name, v if ok else None, status))
    return Dataset(problem.bounds, (cheap, target), observations)


def _csv_sample(path: Path, lower: str | None, upper: str | None) -> Dataset:
    import torch

    from mfopt.cli.features_csv import read_samples
    from mfopt.data import DTYPE, Dataset, Fidelity, Observation

    X, y_high, y_low, bounds = read_samples(path, lower, upper)
    observations = [Observation(tuple(x), "low", v) for x, v in zip(X.tolist(), y_low, strict=True)]
    observations += [Observation(tuple(x), "high", v) for x, v in zip(X.tolist(), y_high, strict=True) if v is not None]
    fidelities = (Fidelity("low", 0.5), Fidelity("high", 1.0))
    return Dataset(torch.as_tensor(bounds, dtype=DTYPE), fidelities, observations)


def _decisions(pm: PluginManager, data: Dataset) -> list[dict[str, Any]]:
    """Every registered detector's decision; one needing options or failing is reported, not fatal."""
    rows: list[dict[str, Any]] = []
    for entry in pm.detectors:
        row: dict[str, Any] = {"detector": entry.name, "use_low": None, "rule": "", "reason": "", "features": {}}
        try:
            decision: Decision = pm.detectors.create(entry.name).assess(data)
        except Exception as exc:  # a third-party detector's failure must not hide the others
            row["reason"] = f"error: {exc}"
        else:
            row.update(use_low=decision.use_low, rule=decision.rule, reason=decision.reason)
            row["features"] = {k: float(v) for k, v in decision.features.items()}
        rows.append(row)
    return rows


@app.command("features")
def features_command(
    problem: str | None = typer.Option(
        None, "--problem", help="A registered problem (see `mfopt problems`) or a module:function factory."
    ),
    nh: int | None = typer.Option(None, "--nh", help="High-fidelity points (with --problem)."),
    nl: int | None = typer.Option(None, "--nl", help="Low-fidelity points, a superset of the HF ones."),
    seed: int = typer.Option(0, "--seed", help="Seed of the nested maximin design."),
    data: Path | None = typer.Option(None, "--data", help="CSV with columns x1..xd, y_high, y_low."),
    lower: str | None = typer.Option(None, "--lower", help="CSV box lower bounds, comma-separated (default: min)."),
    upper: str | None = typer.Option(None, "--upper", help="CSV box upper bounds, comma-separated (default: max)."),
    as_json: bool = typer.Option(False, "--json", help="Print machine-readable output."),
) -> None:
    """Sample features (CC, RRMSE, LCC, adjusted R2, budgets) and every detector's decision."""
    from mfopt.plugin.manager import get_plugin_manager

    pm = get_plugin_manager()
    if (problem is None) == (data is None):
        raise ConfigError("give exactly one of --problem NAME (with --nh, --nl) or --data FILE.csv")
    if problem is not None:
        if nh is None or nl is None:
            raise ConfigError("--problem needs --nh and --nl")
        dataset = _problem_sample(pm, problem, nh, nl, seed)
    else:
        assert data is not None
        if nh is not None or nl is not None:
            raise ConfigError("--nh/--nl apply to --problem only; a CSV brings its own sample")
        dataset = _csv_sample(data, lower, upper)
    source, target = dataset.fidelities[0].name, dataset.fidelities[-1].name
    counts = dataset.counts()
    decisions = _decisions(pm, dataset)
    features: dict[str, float] = {}
    for row in sorted(decisions, key=lambda r: -len(r["features"])):
        for key, value in row["features"].items():
            features.setdefault(key, value)
    summary = {
        "problem": problem,
        "data": str(data) if data is not None else None,
        "seed": seed if problem is not None else None,
        "source": source,
        "target": target,
        "n_low": counts[source],
        "n_high": counts[target],
        "d": dataset.dim,
    }
    if as_json:
        listing = [{k: v for k, v in row.items() if k != "features"} for row in decisions]
        print_json({**summary, "features": features, "decisions": listing})
        return
    where = f"problem {problem} (seed {seed})" if problem is not None else f"data {data}"
    sizes = f"source {source!r} n_l = {counts[source]}, target {target!r} n_h = {counts[target]}"
    typer.echo(f"{where}: {sizes}, d = {dataset.dim}")
    print_table("Sample features", ["feature", "value"], [[k, v] for k, v in features.items()])
    typer.echo("Decisions:")
    for r in decisions:
        verdict = {True: "use low", False: "ignore low", None: "no decision"}[r["use_low"]]
        typer.echo(f"  {r['detector']:<16}{verdict:<12}{r['rule']}")
        typer.echo(f"  {'':<16}{r['reason']}")
