"""examples/solar3.toml (SOLAR at fidelities 0.1, 0.5 and 1.0, robust strategy) validated and run
end to end against tests/problems/fake_solar, a stand-in speaking SOLAR's command-line protocol
(no real SOLAR executable here: this checks the configuration and the three-level plumbing, not
SOLAR results)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from mfopt import get_plugin_manager, load_config
from mfopt.strategy import build_strategy
from mfopt.testing import make_state
from tests.conftest import EXAMPLES, ROOT

FAKE = str(ROOT / "tests" / "problems" / "fake_solar")


def test_the_three_level_solar_example_validates_and_builds_a_three_fidelity_robust_strategy() -> None:
    config = load_config(EXAMPLES / "solar3.toml")
    assert config.problem is not None and config.problem.options["low_fidelity"] == [0.1, 0.5]
    problem = get_plugin_manager().problems.create(
        "solar", executable=FAKE, **{k: v for k, v in config.problem.options.items() if k != "executable"}
    )
    assert [(f.name, f.level) for f in problem.fidelities] == [("fid0.1", 0.1), ("fid0.5", 0.5), ("high", 1.0)]
    strategy = build_strategy(config, problem, get_plugin_manager(), str(EXAMPLES / "solar3.toml"))
    assert [f.name for f in strategy.fidelities] == ["fid0.1", "fid0.5", "high"]
    design = strategy.design(make_state(problem, strategy, config=config, iteration=0))
    points = {name: sorted(c.x for c in design if c.fidelity == name) for name in ("fid0.1", "fid0.5", "high")}
    assert len(points["high"]) == 10 and points["fid0.1"] == points["fid0.5"] == points["high"]


def test_the_three_level_solar_example_runs_against_the_fake_simulator(tmp_path: Path) -> None:
    config = tmp_path / "solar3.toml"
    text = (EXAMPLES / "solar3.toml").read_text(encoding="utf-8")
    config.write_text(text.replace("total = 60.0", "total = 20.0"), encoding="utf-8")
    cmd = [sys.executable, "-m", "mfopt", "optimize", str(config), "--run-dir", str(tmp_path / "run"), "--json"]
    out = subprocess.run(
        cmd, capture_output=True, text=True, timeout=600, env={**os.environ, "MFOPT_SOLAR": FAKE}, check=False
    )
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["cost_spent"] <= 20.0 and result["best"]["fidelity"] == "high"
    assert set(result["per_fidelity"]) == {"fid0.1", "fid0.5", "high"}
    counts = {name: row["ok"] + row["failed"] for name, row in result["per_fidelity"].items()}
    assert counts["fid0.1"] >= 10 and counts["fid0.5"] >= 10 and counts["high"] >= 10  # the paired probe
