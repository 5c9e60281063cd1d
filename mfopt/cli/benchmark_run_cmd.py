"""``mfopt benchmark run``: the Kriging vs Co-Kriging study over a suite, resumable, on any executor."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import typer

from mfopt.cli.benchmark_cmd import benchmark_app
from mfopt.errors import ConfigError

EXECUTORS = ("serial", "process", "dask")


@benchmark_app.command("run")
def run_command(
    suite: str = typer.Option(
        ..., "--suite", help="smoke | paper-literature | paper-solar | a file with one pair name per line."
    ),
    out: Path = typer.Option(..., "--out", help="SQLite results file (created, or resumed when it exists)."),
    reps: int = typer.Option(40, "--reps", help="Repetitions per instance (seeds seed+1 .. seed+reps)."),
    budgets: str = typer.Option("paper", "--budgets", help="paper (30 per pair) | small (4 per pair)."),
    models: str = typer.Option("kriging,cokriging", "--models", help="Comma-separated surrogate names."),
    executor: str = typer.Option("serial", "--executor", help="serial | process | dask"),
    address: str | None = typer.Option(None, "--address", help="Dask scheduler (tcp://host:8786); default: local."),
    workers: int = typer.Option(2, "--workers", help="Processes for process / a local Dask cluster."),
    seed: int = typer.Option(0, "--seed", help="Seed offset of the repetitions."),
    device: str = typer.Option("auto", "--device", help="auto | cpu | cuda (where each task fits its models)."),
    group: int = typer.Option(
        8, "--group", help="Instances of one dimension and budget per task (shared designs, one batched fit)."
    ),
    time_limit: float | None = typer.Option(
        None,
        "--time-limit",
        help="Minutes: start no task after this, then stop, abandoning the tasks in flight (re-run to resume).",
    ),
    resume_from: list[Path] = typer.Option(
        [],
        "--resume-from",
        help="Exports (`mfopt benchmark export`) whose rows are imported into --out first, so their instances "
        "are skipped (repeatable).",
    ),
) -> None:
    """Fit every model on every instance and repetition of SUITE; store one row per (instance, rep, model)."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from mfopt.benchmark.problems import load_problem, portable_spec
    from mfopt.benchmark.results import ResultsStore
    from mfopt.benchmark.runner import timed_run
    from mfopt.benchmark.suites import expand, suite_pairs
    from mfopt.plugin.manager import get_plugin_manager

    names = [m.strip() for m in models.split(",") if m.strip()]
    if not names:
        raise ConfigError("--models: give at least one surrogate name")
    if reps < 1:
        raise ConfigError(f"--reps must be at least 1, got {reps}")
    if group < 1:
        raise ConfigError(f"--group must be at least 1, got {group}")
    if time_limit is not None and time_limit <= 0:
        raise ConfigError(f"--time-limit must be positive (minutes), got {time_limit}")
    if executor not in EXECUTORS:
        raise ConfigError(f"--executor: expected one of {', '.join(EXECUTORS)}, got {executor!r}")
    if address is not None and executor != "dask":
        raise ConfigError("--address applies to --executor dask only")
    pm = get_plugin_manager()
    for name in names:
        pm.surrogates.get(name)
    pairs = [(portable_spec(p), kind) for p, kind in suite_pairs(suite)]
    dims = {pair: load_problem(pm, pair).dim for pair in dict.fromkeys(p for p, _ in pairs)}
    instances = expand(pairs, dims, budgets)
    options: dict[str, Any] = {}
    if executor == "process":
        options = {"workers": workers}
    elif executor == "dask":
        options = {"address": address, "workers": workers}
    console = Console(stderr=True)
    with ResultsStore(out) as store:
        store.check_meta({"seed": str(seed)})
        if resume_from:
            from mfopt.benchmark.export import import_exports

            added = import_exports(store, resume_from, {"seed": str(seed)})
            console.print(f"imported {added} rows from {len(resume_from)} export(s) into {out}")
        progress = Progress(
            TextColumn("[bold]instances"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TextColumn("left"),
            TimeRemainingColumn(),
            console=console,
        )
        task_id = progress.add_task("run", total=None, rate="")
        start = time.perf_counter()

        def on_plan(n: int) -> None:
            console.print(f"{len(instances)} instances in the suite, {len(instances) - n} already stored, {n} to run")
            progress.update(task_id, total=n)

        def on_designs(stored: int, to_compute: int) -> None:
            if to_compute:
                console.print(f"designs: {stored} stored, {to_compute} to compute first (one job each on the executor)")

        def on_progress(done: int, total: int) -> None:
            rate = done / max(time.perf_counter() - start, 1e-9) * 60.0
            progress.update(task_id, completed=done, rate=f"{rate:.2f}/min")

        pool = pm.executors.create(executor, where="--executor", **options)
        limit = None if time_limit is None else time_limit * 60.0
        finished = False
        try:
            with progress:
                summary = timed_run(
                    instances, store, pool, reps, names, seed, device, window=max(1, workers) if executor != "serial"
                    else 1, progress=on_progress, on_plan=on_plan, group=group, time_limit=limit, on_designs=on_designs,
                )  # fmt: skip
            finished = summary.abandoned == 0
        finally:
            # at the time limit, the workers are terminated: their tasks are run again on resume
            pool.shutdown(wait=finished, cancel_futures=True)
        total_rows = store.count()
    rate = summary.completed / summary.seconds * 60.0 if summary.seconds > 0 else 0.0
    if summary.abandoned:
        typer.echo(f"time limit reached: {summary.abandoned} instances not finished (re-run the command to resume)")
    typer.echo(
        f"{summary.completed} instances run ({summary.rows} rows) in {summary.seconds:.1f} s "
        f"({rate:.2f} instances/min); {summary.skipped} skipped as already stored; {total_rows} rows in {out}"
    )


@benchmark_app.command("export")
def export_command(
    results: list[Path] = typer.Argument(..., help="Results files (SQLite or exports), pooled."),
    out: Path = typer.Option(..., "--out", help="The export to write: FILE.jsonl.gz (or FILE.jsonl)."),
    code: str = typer.Option(
        "unrecorded",
        "--code",
        help="Identity of the code that computed the rows (e.g. a git commit), kept in the header.",
    ),
    exclude: list[Path] = typer.Option(
        [],
        "--exclude",
        help="Results files whose rows are left out: the new rows only (repeatable: --exclude A --exclude B); a "
        "folder stands for every export in it (e.g. the committed parts), --out excepted.",
    ),
) -> None:
    """Write the rows of RESULTS (no designs) to a compact file that analyse, train-detector and
    run --resume-from read; with --exclude, only the rows those files do not hold (a new part)."""
    from mfopt.benchmark.export import is_export, read_header, read_rows, write_export
    from mfopt.benchmark.results import ResultsStore

    if out.resolve() in {p.resolve() for p in results}:
        raise ConfigError(f"--out {out} is one of the results files read")
    meta: dict[str, str] = {}
    for path in results:
        if not path.is_file():
            raise ConfigError(f"{path}: no such results file (write one with `mfopt benchmark run`)")
        if is_export(path):
            theirs = read_header(path).get("meta", {})
        else:
            with ResultsStore(path) as store:
                theirs = store.meta()
        for key, value in theirs.items():
            if meta.setdefault(key, value) != value:
                raise ConfigError(f"{path}: written with {key} = {value}, the others with {meta[key]}")
    left_out: list[Path] = []
    for path in exclude:
        if path.is_dir():
            left_out += sorted(p for p in path.iterdir() if is_export(p) and p.resolve() != out.resolve())
        else:
            left_out.append(path)
    have = {(r.pair, r.n_high, r.n_low, r.rep, r.model) for r in read_rows(left_out)}
    rows = []
    for row in read_rows(results):  # a row stored in several inputs is written once (the first met)
        key = (row.pair, row.n_high, row.n_low, row.rep, row.model)
        if key not in have:
            have.add(key)
            rows.append(row)
    rows.sort(key=lambda r: (r.dim, r.pair, r.n_high, r.n_low, r.rep, r.model))
    counts = write_export(rows, out, meta, code)
    size = out.stat().st_size
    per = size / counts["instances"] / 1e3 if counts["instances"] else 0.0
    typer.echo(
        f"{counts['rows']} rows of {counts['instances']} instances -> {out} "
        f"({size / 1e6:.2f} MB, {per:.1f} kB per instance)"
    )
