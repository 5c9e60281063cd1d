"""The command line end to end: the bundled example, report, JSON output, help."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from mfopt.cli import main
from tests.conftest import EXAMPLES


def test_forrester_example_finishes_and_reports(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = in_tmp / "forrester.toml"
    shutil.copy(EXAMPLES / "forrester.toml", config)
    assert main(["optimize", str(config), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["run_dir"] == "runs/forrester"
    assert result["best"]["fidelity"] == "high" and result["best"]["value"] < -5.0
    assert result["cost_spent"] <= result["budget"]

    assert main(["report", "runs/forrester", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["best"] == result["best"] and report["status"] == "finished"
    assert report["decisions"] and all(d["reason"] and d["detector"] == "robust" for d in report["decisions"])

    assert main(["report", "runs/forrester"]) == 0
    assert "Best high-fidelity point (high)" in capsys.readouterr().out

    assert main(["optimize", str(config), "--quiet"]) == 2
    assert "already holds a run" in capsys.readouterr().err
    assert main(["optimize", str(config), "--resume", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["evaluations"] == result["evaluations"]


def test_report_of_a_missing_run_is_a_usage_error(in_tmp: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["report", "nowhere"]) == 2
    assert "holds no run" in capsys.readouterr().err


@pytest.mark.parametrize("command", ["optimize", "report", "plugins", "problems", "features"])
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([command, "--help"]) == 0
    assert "Usage" in capsys.readouterr().out
