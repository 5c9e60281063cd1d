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


COUNTER_CHECK = """
import sys
sys.path.insert(0, {benchmarks!r})
import speed
from mfopt_surrogates import _likelihood, _optim
from mfopt_surrogates.kriging import Kriging
from mfopt.benchmark.protocol import repetition_data

saved = (_optim._evaluate, _likelihood.Problem.screen)
prob = speed.problem("ToalBranin0.50")
datasets = [repetition_data(prob, 6, 12, rep)[0] for rep in (1, 2, 3)]
with speed.SearchCounter() as batched:
    together = Kriging(device="cpu").fit_batch(datasets)
with speed.SearchCounter() as alone:
    apart = [Kriging(device="cpu").fit(data) for data in datasets]
assert (_optim._evaluate, _likelihood.Problem.screen) == saved
print(batched.calls, batched.rows, alone.calls, alone.rows, batched.screen_seconds > 0, alone.seconds > 0)
print(max(abs(a.info["neg_log_likelihood"] - b.info["neg_log_likelihood"]) for a, b in zip(together, apart)))
"""


def test_search_counter_counts_the_same_rows_batched_and_alone() -> None:
    """``--count-calls``' counter: a batch and the same fits one by one evaluate the same likelihood rows
    (each member follows its own path) in fewer calls, and the counter restores what it wrapped."""
    code = COUNTER_CHECK.format(benchmarks=str(SCRIPT.parent))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=600).stdout
    counts, deficit = out.strip().splitlines()
    b_calls, b_rows, a_calls, a_rows, screened, timed = counts.split()
    assert int(b_rows) == int(a_rows) > int(a_calls) > int(b_calls) > 0
    assert screened == timed == "True"
    assert float(deficit) < 1e-8
