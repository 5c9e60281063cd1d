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
