"""The low-fidelity gate in the loop: on a harmful pair nothing more is spent on the cheap source
while the gate is closed, and the report shows every decision with its rule and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mfopt import Dataset, Decision, HarmDetector, PluginManager, Registry, Study
from mfopt.cli import main
from mfopt.plugin import hookimpl

HARMFUL = """
[problem]
name = "MarchWillcoxRosenbrock5"     # LF = -(x1^2 + x2^2): unrelated to the HF Rosenbrock
costs = { low = 0.1, high = 1.0 }

[budget]
total = 15.0

[design]
samples = { low = 20, high = 10 }
seed = 1

[multi_surrogate]
name = "cokriging"

[detector]
name = "guideline"

[acquisition]
name = "augmented-ei"                # able to choose the cheap source, were the gate open
"""


def test_closed_gate_spends_nothing_on_the_cheap_source(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (in_tmp / "harm.toml").write_text(HARMFUL)
    assert main(["optimize", "harm.toml", "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["per_fidelity"]["low"]["ok"] == 20  # the initial design only

    assert main(["report", "runs/harm", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    decisions = report["decisions"]
    assert decisions, "every iteration records the gate's decision"
    assert all(d["source"] == "low" and d["detector"] == "guideline" for d in decisions)
    assert all(not d["use_low"] and d["rule"].startswith("guideline.") and d["reason"] for d in decisions)
    assert {d["iteration"] for d in decisions} == set(range(1, result["iterations"] + 1))
    assert result["cost_spent"] <= 15.0 and result["best"]["fidelity"] == "high"

    assert main(["report", "runs/harm"]) == 0
    text = capsys.readouterr().out
    assert "Low-fidelity gate decisions" in text and "guideline.1" in text


class _Alternating(HarmDetector):
    """Opens the gate on even-sized samples only: a detector whose verdict we know in advance."""

    def assess(self, data: Dataset) -> Decision:
        use = len(data.observations) % 2 == 0
        return Decision(use, {"n": float(len(data.observations))}, "alternating", f"open={use}")


class _AlternatingPlugin:
    @hookimpl
    def mfopt_register_detectors(self, registry: Registry) -> None:
        registry.register("alternating", _Alternating)


def test_cheap_evaluations_happen_only_in_iterations_where_the_gate_is_open(tmp_path: Path) -> None:
    pm = PluginManager([("alternating-plugin", _AlternatingPlugin())])
    config = {
        "problem": {"name": "SongToalForretal0.00", "costs": {"low": 0.1, "high": 1.0}},
        "budget": {"total": 8.0},
        "design": {"samples": {"low": 8, "high": 4}, "seed": 1},
        "multi_surrogate": {"name": "cokriging"},
        "detector": {"name": "alternating"},
        "acquisition": {"name": "augmented-ei"},
    }
    study = Study(config, plugin_manager=pm, run_dir=tmp_path)
    study.run()
    open_iterations = {r.iteration for r in study.store.decisions() if r.decision.use_low}
    closed_iterations = {r.iteration for r in study.store.decisions() if not r.decision.use_low}
    cheap = [o.iteration for o in study.store.observations() if o.fidelity == "low" and o.iteration > 0]
    assert open_iterations and closed_iterations
    assert cheap, "with the gate open, augmented EI spends on the cheap source"
    assert set(cheap) <= open_iterations
    for it in study.store.iterations():
        expected = "cokriging" if it["iteration"] in open_iterations else "kriging"
        assert it["surrogate"] == expected
