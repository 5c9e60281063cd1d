"""The issue-13 speed benchmark runs end to end in its quick mode (a real subprocess)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "speed.py"


@pytest.mark.slow
def test_speed_script_quick_mode_prints_every_ratio() -> None:
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick"], capture_output=True, text=True, check=True, timeout=3600
    ).stdout
    summary = out.split("Summary", 1)[1].strip().splitlines()[1:]
    # 3 Kriging sizes, 2 memory cases, 4 SMT cases, 4 batched cases, prediction, 3 proposals vs the stock
    # optimiser, 3 loop iterations (MF-KG's first; Kriging + LogEI and Co-Kriging + augmented EI: the loop's mean)
    assert len(summary) == 20
    assert all(line.startswith(("met", "NOT MET")) for line in summary)
    for section in (
        "1. Kriging fit",
        "2. Peak memory",
        "3. Co-Kriging vs SMT",
        "4. 40 repetitions",
        "5. Prediction",
        "6. One loop",
    ):
        assert section in out


def test_speed_script_names_its_code_and_load() -> None:
    """The first line names the commit (``+modified`` when the measured code differs from it) and the
    load average, and the summary repeats the load: a committed output must say what it measured."""
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--sections", "5"], capture_output=True, text=True, check=True, timeout=600
    ).stdout
    first = out.splitlines()[0]
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=SCRIPT.parents[1], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert f"code {head}" in first
    load = first.split("load average ", 1)[1].split()
    assert len(load) == 3 and all(float(v) >= 0 for v in load)
    summary = out.split("Summary", 1)[1].splitlines()
    assert "load average" in summary[0]
    assert summary[1].startswith(("met", "NOT MET")) and "predict 5000 points" in summary[1]
