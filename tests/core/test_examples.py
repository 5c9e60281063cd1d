"""The bundled examples run end to end through the real `mfopt` command (subprocesses)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, ROOT


def _optimize(config: Path, cwd: Path, run_dir: Path, env: dict[str, str] | None = None) -> dict:
    cmd = [sys.executable, "-m", "mfopt", "optimize", str(config), "--run-dir", str(run_dir), "--json"]
    out = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=300, env={**os.environ, **(env or {})})
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_command_problem_example_runs_end_to_end(tmp_path: Path) -> None:
    example = tmp_path / "command_problem"
    shutil.copytree(EXAMPLES / "command_problem", example)
    result = _optimize(example / "problem.toml", example, tmp_path / "run")
    assert result["stop_reason"] == "budget" and result["cost_spent"] <= 8.0
    assert result["per_fidelity"]["high"]["ok"] >= 5 and result["per_fidelity"]["high"]["failed"] == 0
    assert result["best"]["value"] < -3.0  # the script's HF is Forrester (optimum -6.02)


def test_solar_example_runs_against_the_fake_simulator(tmp_path: Path) -> None:
    config = tmp_path / "solar.toml"
    text = (EXAMPLES / "solar.toml").read_text()
    config.write_text(text.replace("total = 30.0", "total = 11.0"))
    fake = ROOT / "tests" / "problems" / "fake_solar"
    result = _optimize(config, tmp_path, tmp_path / "run", env={"MFOPT_SOLAR": str(fake)})
    assert result["cost_spent"] <= 11.0
    assert result["best"] is not None and result["best"]["fidelity"] == "high"
