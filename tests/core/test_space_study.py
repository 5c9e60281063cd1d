"""Named parameters end to end: the python problem with [parameters], fidelities named by epoch
counts, each parameter kind through ask/tell and the run store, and the bundled example."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
import torch

from mfopt import ConfigError, Fidelity, FunctionProblem, Study, get_plugin_manager, load_config
from mfopt.space import Categorical, Float, Int, SearchSpace
from mfopt.store import RunStore
from tests.conftest import EXAMPLES

PARAMETERS = {
    "lr": {"type": "float", "low": 1e-5, "high": 1e-1, "log": True},
    "momentum": {"type": "float", "low": 0.0, "high": 0.99},
    "layers": {"type": "int", "low": 1, "high": 4},
    "width": {"type": "int", "low": 8, "high": 256, "log": True},
    "kind": {"type": "categorical", "choices": ["a", "b", "c"]},
    "bias": {"type": "categorical", "choices": [True, False]},
}
SPACE = SearchSpace.from_config(PARAMETERS)
FIDELITIES = [{"name": "e3", "level": 3, "cost": 0.1}, {"name": "e27", "level": 27, "cost": 1.0}]


def _objective_file(directory: Path) -> Path:
    path = directory / "objective.py"
    path.write_text(
        textwrap.dedent(
            """\
            import math

            def loss(params, fidelity):
                return (math.log10(params["lr"]) + 2) ** 2 + params["layers"] + 3 / fidelity.level
            """
        )
    )
    return path


def _config(objective: Path, **budget: Any) -> dict[str, Any]:
    return {
        "problem": {"python": f"{objective}:loss", "fidelities": FIDELITIES},
        "parameters": PARAMETERS,
        "budget": budget or {"total": 100.0},
        "design": {"samples": {"e3": 8, "e27": 4}},
        "multi_surrogate": {"name": "cokriging"},
    }


def test_python_problem_decodes_named_parameters_and_passes_the_declared_fidelity(tmp_path: Path) -> None:
    module = tmp_path / "probe.py"
    module.write_text(
        "def f(params, fidelity):\n"
        "    assert isinstance(params['layers'], int) and isinstance(params['bias'], bool)\n"
        "    return params['layers'] + 10 * fidelity.level + (0.5 if (params['kind'], params['bias']) == ('c', False)"
        " else 0.0) + params['lr']\n"
    )
    problem = get_plugin_manager().problems.create(
        "python", python=f"{module}:f", parameters=PARAMETERS, fidelities=FIDELITIES
    )
    assert problem.space == SPACE and torch.equal(problem.bounds, SPACE.bounds)
    assert [(f.name, f.level) for f in problem.fidelities] == [("e3", 3.0), ("e27", 27.0)]
    params = {"lr": 0.001, "momentum": 0.9, "layers": 2, "width": 64, "kind": "c", "bias": False}
    assert problem.evaluate(SPACE.encode(params).unsqueeze(0), "e3").tolist() == [2 + 30 + 0.5 + 0.001]
    assert problem.evaluate(SPACE.encode(params).unsqueeze(0), "e27").tolist() == [2 + 270 + 0.5 + 0.001]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"lower": [0], "upper": [1], "parameters": PARAMETERS}, "either parameters or lower/upper"),
        ({"parameters": PARAMETERS, "gradient": "math:sqrt"}, "gradient: not available with named parameters"),
        ({}, "give lower and upper"),
        ({"parameters": {"lr": {"type": "float", "low": 1}}}, "parameters.lr: a float parameter needs"),
    ],
)
def test_python_problem_option_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        get_plugin_manager().problems.create("python", where="p.toml: [problem]", python="math:sqrt", **options)


def test_each_parameter_kind_round_trips_through_ask_tell_and_the_store(tmp_path: Path) -> None:
    objective = _objective_file(tmp_path)
    asked: dict[int, dict[str, Any]] = {}
    with Study(_config(objective), run_dir=tmp_path / "run") as study:
        for _ in range(3):  # the initial design, then model-based proposals
            for candidate in study.ask():
                assert candidate.params is not None and candidate.id is not None
                assert list(candidate.params) == list(PARAMETERS)
                assert candidate.x == tuple(SPACE.encode(candidate.params).tolist())  # the canonical point
                asked[candidate.id] = dict(candidate.params)
                study.tell(candidate, (candidate.params["layers"] + 0.5) / 10)
        best = study.best()
        assert best is not None and best.params == asked[best.id or 0]
    kinds = {name: {type(p[name]) for p in asked.values()} for name in PARAMETERS}
    assert kinds == {
        "lr": {float}, "momentum": {float}, "layers": {int}, "width": {int}, "kind": {str}, "bias": {bool}
    }  # fmt: skip
    assert {p["kind"] for p in asked.values()} == {"a", "b", "c"} and {p["bias"] for p in asked.values()} == {
        True,
        False,
    }
    store = RunStore.open(tmp_path / "run", lock=False)
    records = store.records()
    store.close()
    assert len(records) == len(asked) > 12
    for r in records:
        assert r["params"] == asked[r["id"]]
        assert [type(v) for v in r["params"].values()] == [type(v) for v in asked[r["id"]].values()]
        assert r["value"] == (asked[r["id"]]["layers"] + 0.5) / 10


def test_models_see_levels_divided_by_the_highest(tmp_path: Path) -> None:
    objective = _objective_file(tmp_path)
    with Study(_config(objective), run_dir=None) as study:
        assert [f.level for f in study.fidelities] == [pytest.approx(3 / 27), 1.0]
        assert [f.level for f in study.problem.fidelities] == [3.0, 27.0]  # the declared levels


def test_named_parameters_example_runs_end_to_end(tmp_path: Path) -> None:
    example = tmp_path / "named_parameters"
    shutil.copytree(EXAMPLES / "named_parameters", example)
    config = example / "problem.toml"
    config.write_text(config.read_text().replace("total = 16.0", "total = 13.0"))  # the design and one proposal
    assert load_config(config).problem is not None
    cmd = [sys.executable, "-m", "mfopt", "optimize", "problem.toml", "--run-dir", "run", "--json"]
    done = subprocess.run(cmd, cwd=example, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["stop_reason"] == "budget" and result["cost_spent"] <= 13.0 + 1e-9
    assert result["per_fidelity"]["e27"]["ok"] == 11 and result["per_fidelity"]["e3"]["ok"] == 20
    assert result["best"]["value"] < 0.3  # the design's best is 0.50; the attainable minimum is 0.25
    assert list(result["best"]["params"]) == ["lr", "layers", "activation"]  # the result names them
    store = RunStore.open(example / "run", lock=False)
    records = store.records()
    store.close()
    space = SearchSpace(
        {"lr": Float(1e-5, 1e-1, True), "layers": Int(1, 4), "activation": Categorical(("relu", "gelu", "tanh"))}
    )
    for r in records:
        assert r["params"] is not None and space.decode(r["x"]) == r["params"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            '[problem]\npython = "o.py:f"\n[parameters]\nlr = { type = "float", low = 0.0, high = 1.0, log = true }\n',
            "problem.toml: [problem].parameters: lr: a log-scale float needs low > 0, got 0.0",
        ),
        (
            '[problem]\npython = "o.py:f"\n[problem.parameters]\nk = { type = "categorical", choices = [] }\n',
            "problem.toml: [problem].parameters: k: choices must be a non-empty array, got []",
        ),
        (
            '[problem]\npython = "o.py:f"\nparameters = { a = { type = "int", low = 0, high = 1 } }\n'
            '[parameters]\nb = { type = "int", low = 0, high = 1 }\n',
            "give the parameters once: [parameters] or [problem.parameters], not both",
        ),
    ],
)
def test_parameter_mistakes_in_problem_toml_are_one_line(tmp_path: Path, text: str, message: str) -> None:
    (tmp_path / "problem.toml").write_text(text + "[budget]\ntotal = 3\n")
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "problem.toml")
    assert str(caught.value).endswith(message) and "\n" not in str(caught.value)


def _decoded_objective(X: torch.Tensor) -> torch.Tensor:
    """A FunctionProblem function over encoded rows: it names them with the space."""
    values = []
    for row in X:
        p = SPACE.decode(row)
        values.append((p["layers"] - 2) ** 2 + (0.0 if p["kind"] == "b" else 1.0) + abs(p["momentum"] - 0.9))
    return torch.tensor(values, dtype=torch.float64)


def test_a_python_space_drives_a_function_problem(tmp_path: Path) -> None:
    functions = {"high": _decoded_objective}
    problem = FunctionProblem("named", SPACE, functions, [Fidelity("high", 1.0)], differentiable=False)
    assert problem.space is SPACE and problem.dim == SPACE.dim
    config = {"budget": {"max_evaluations": 16}, "design": {"samples": {"high": 10}}, "run": {"seed": 1}}
    with Study(config, problem=problem, run_dir=tmp_path / "r") as study:
        result = study.run()
        frame = study.to_dataframe()
    assert result.evaluations == 16 and result.best is not None and result.best.params is not None
    assert [c for c in frame.columns if c.startswith("params_")] == [f"params_{n}" for n in PARAMETERS]
    best = frame.loc[frame["value"].idxmin()]
    assert best["value"] == pytest.approx(result.best.value)
    assert frame["params_layers"].isin([1, 2, 3, 4]).all() and frame["params_kind"].isin(["a", "b", "c"]).all()
