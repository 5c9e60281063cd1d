"""An external scheduler: one process asks, another reopens the study from its store and tells the
results by candidate id, a third goes on with model-based proposals (three real subprocesses)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mfopt import MfoptError, Study
from mfopt.store import RunStore
from tests.conftest import ROOT

OBJECTIVE = textwrap.dedent(
    """\
    import math

    def loss(params, fidelity):
        penalty = 0.0 if params["optimizer"] == "adam" else 0.3
        return (math.log10(params["lr"]) + 2) ** 2 + 0.1 * (params["layers"] - 2) ** 2 + penalty + 1 / fidelity.level
    """
)
CONFIG = textwrap.dedent(
    """\
    [problem]
    python = "objective.py:loss"
    fidelities = [{ name = "e2", level = 2, cost = 0.2 }, { name = "e20", level = 20, cost = 1.0 }]

    [parameters]
    lr = { type = "float", low = 1e-4, high = 1.0, log = true }
    layers = { type = "int", low = 1, high = 5 }
    optimizer = { type = "categorical", choices = ["adam", "sgd"] }

    [budget]
    total = 20

    [design]
    samples = { e2 = 8, e20 = 4 }

    [multi_surrogate]
    name = "cokriging"
    """
)

ASK = textwrap.dedent(
    """\
    import json
    from mfopt import Study, load_config

    study = Study(load_config("problem.toml"), run_dir="run")
    batch = study.ask()
    json.dump([{"id": c.id, "params": c.params, "fidelity": c.fidelity} for c in batch], open("asked.json", "w"))
    study.close()
    """
)
TELL = textwrap.dedent(
    """\
    import json
    import objective
    from mfopt import Study

    study = Study.open("run")
    asked = json.load(open("asked.json"))
    levels = {f.name: f for f in study.problem.fidelities}
    for item in asked[1:]:  # an external worker's results, told by id
        study.tell(item["id"], objective.loss(item["params"], levels[item["fidelity"]]))
    study.tell(asked[0]["id"], error="worker lost: out of memory")
    study.close()
    """
)
CONTINUE = textwrap.dedent(
    """\
    import json
    import objective
    from mfopt import Study

    study = Study.open("run")
    batch = study.ask()
    levels = {f.name: f for f in study.problem.fidelities}
    for c in batch:
        study.tell(c.id, objective.loss(c.params, levels[c.fidelity]))
    json.dump([{"id": c.id, "iteration": c.iteration} for c in batch], open("continued.json", "w"))
    study.close()
    """
)


def _run(script: str, cwd: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONPATH": f"{cwd}{os.pathsep}{ROOT}", "OMP_NUM_THREADS": "1"},
    )
    assert done.returncode == 0, done.stderr


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("scheduler")
    (work / "objective.py").write_text(OBJECTIVE)
    (work / "problem.toml").write_text(CONFIG)
    _run(ASK, work)
    _run(TELL, work)
    _run(CONTINUE, work)
    return work


def test_results_told_by_id_in_another_process_are_in_the_store(work: Path) -> None:
    asked = json.loads((work / "asked.json").read_text())
    assert len(asked) == 12 and {a["fidelity"] for a in asked} == {"e2", "e20"}
    store = RunStore.open(work / "run", lock=False)
    records = {r["id"]: r for r in store.records()}
    store.close()
    first = records[asked[0]["id"]]
    assert first["status"] == "failed" and first["error"] == "worker lost: out of memory"
    for item in asked[1:]:
        r = records[item["id"]]
        assert r["status"] == "ok" and r["params"] == item["params"] and r["attempts"] == 1
        penalty = 0.0 if item["params"]["optimizer"] == "adam" else 0.3
        level = 2 if item["fidelity"] == "e2" else 20
        lr, layers = item["params"]["lr"], item["params"]["layers"]
        assert r["value"] == pytest.approx((math.log10(lr) + 2) ** 2 + 0.1 * (layers - 2) ** 2 + penalty + 1 / level)


def test_a_third_process_continues_with_model_based_proposals(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(work)  # the stored [problem] names objective.py relative to the working directory
    continued = json.loads((work / "continued.json").read_text())
    asked_ids = {a["id"] for a in json.loads((work / "asked.json").read_text())}
    assert continued and all(c["iteration"] >= 1 and c["id"] not in asked_ids for c in continued)
    with Study.open(work / "run") as study:
        frame = study.to_dataframe()
        assert len(frame) == 12 + len(continued) and (frame["status"] != "pending").all()
        with pytest.raises(MfoptError, match="not pending"):
            study.tell(continued[0]["id"], 1.0)  # already told by the other process
        with pytest.raises(MfoptError, match="not pending"):
            study.tell(10_000, 1.0)
