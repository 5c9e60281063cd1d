"""Results out: `mfopt export` (CSV, JSON) and `to_dataframe` on a real run with named parameters,
two fidelities and failed evaluations."""

from __future__ import annotations

import csv
import json
import math
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

from mfopt.cli import main
from mfopt.export import rows, to_dataframe
from mfopt.store import RunStore

OBJECTIVE = textwrap.dedent(
    """\
    import math

    def loss(params, fidelity):
        if params["activation"] == "tanh":
            raise RuntimeError("training diverged")
        return (math.log10(params["lr"]) + 2) ** 2 + (params["layers"] - 2) ** 2 + 3 / fidelity.level
    """
)

CONFIG = textwrap.dedent(
    """\
    [problem]
    python = "objective.py:loss"
    fidelities = [{ name = "e3", level = 3, cost = 0.1 }, { name = "e27", level = 27, cost = 1.0 }]

    [parameters]
    lr = { type = "float", low = 1e-4, high = 1e-1, log = true }
    layers = { type = "int", low = 1, high = 4 }
    activation = { type = "categorical", choices = ["relu", "tanh"] }

    [budget]
    total = 6.5

    [design]
    samples = { e3 = 10, e27 = 5 }
    seed = 3

    [multi_surrogate]
    name = "cokriging"

    [run]
    seed = 3
    """
)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A finished run (a real `mfopt optimize` subprocess) with failures at both fidelities."""
    work = tmp_path_factory.mktemp("export")
    (work / "objective.py").write_text(OBJECTIVE)
    (work / "problem.toml").write_text(CONFIG)
    cmd = [sys.executable, "-m", "mfopt", "optimize", "problem.toml", "--run-dir", "run", "--json"]
    done = subprocess.run(cmd, cwd=work, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return work / "run"


def test_rows_hold_every_evaluation_with_named_parameters(run_dir: Path) -> None:
    table = rows(run_dir)
    store = RunStore.open(run_dir, lock=False)
    observations = store.observations(include_pending=True)
    store.close()
    assert [r["id"] for r in table] == [o.id for o in observations]
    assert {r["fidelity"] for r in table} == {"e3", "e27"}
    failed = [r for r in table if r["status"] == "failed"]
    ok = [r for r in table if r["status"] == "ok"]
    assert failed and ok and len(failed) + len(ok) == len(table)
    assert {r["fidelity"] for r in failed} == {"e3", "e27"}
    for r in failed:
        assert r["params_activation"] == "tanh" and r["value"] is None and "training diverged" in r["error"]
    for r in ok:
        assert r["params_activation"] == "relu" and r["error"] is None
        level = 3 if r["fidelity"] == "e3" else 27
        expected = (math.log10(r["params_lr"]) + 2) ** 2 + (r["params_layers"] - 2) ** 2 + 3 / level
        assert r["value"] == pytest.approx(expected, rel=1e-12)  # the named values are what was evaluated
    for r in table:
        assert isinstance(r["params_lr"], float) and 1e-4 <= r["params_lr"] <= 1e-1
        assert isinstance(r["params_layers"], int) and 1 <= r["params_layers"] <= 4
        assert r["cost"] == (0.1 if r["fidelity"] == "e3" else 1.0) and r["attempts"] == 1
        assert r["duration"] >= 0 and r["finished_at"] >= r["proposed_at"]


def test_to_dataframe_matches_the_rows(run_dir: Path) -> None:
    frame = to_dataframe(run_dir)
    table = rows(run_dir)
    assert list(frame.columns) == [
        "id", "iteration", "fidelity", "status", "value", "cost", "error",
        "params_lr", "params_layers", "params_activation", "proposed_at", "finished_at", "duration", "attempts",
    ]  # fmt: skip
    assert len(frame) == len(table)
    for key in ("proposed_at", "finished_at"):
        assert isinstance(frame[key].dtype, pd.DatetimeTZDtype) and str(frame[key].dtype.tz) == "UTC"
    assert frame["params_layers"].tolist() == [r["params_layers"] for r in table]
    failed = frame[frame["status"] == "failed"]
    assert failed["value"].isna().all() and (failed["params_activation"] == "tanh").all()
    per_fidelity = frame.groupby("fidelity")["cost"].sum()
    assert per_fidelity.sum() == pytest.approx(sum(r["cost"] for r in table))


def test_export_command_writes_csv_and_json(run_dir: Path, tmp_path: Path) -> None:
    csv_file, json_file = tmp_path / "trials.csv", tmp_path / "trials.json"
    assert main(["export", str(run_dir), "--csv", str(csv_file), "--json", str(json_file)]) == 0
    table = rows(run_dir)
    with csv_file.open(newline="") as f:
        read = list(csv.DictReader(f))
    assert len(read) == len(table) and read[0].keys() == table[0].keys()
    for line, row in zip(read, table, strict=True):
        assert line["status"] == row["status"] and line["params_activation"] == row["params_activation"]
        assert int(line["params_layers"]) == row["params_layers"]
        assert (line["value"] == "") if row["value"] is None else float(line["value"]) == row["value"]
    assert json.loads(json_file.read_text()) == table
    frame = pd.read_csv(csv_file)
    assert frame["params_lr"].tolist() == [r["params_lr"] for r in table]


def test_export_of_a_missing_run_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["export", str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: ") and "holds no run" in err and "\n" not in err
