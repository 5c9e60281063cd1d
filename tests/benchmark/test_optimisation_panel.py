"""``benchmarks/optimisation.py``: a tiny real run (1-D pair, 2 seeds, 2 HF-cost units after the
design), resumed, and its analysis (regret, paired Wilcoxon, Δ, cheap share) recomputed by hand."""

from __future__ import annotations

import json
import math
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from scipy.stats import wilcoxon

from tests.scripts import load_benchmark

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "benchmarks" / "optimisation.py"
PAIR = "SongToalForretal0.00"
OPTIMUM = -6.020740055767083  # Forrester's minimum (the pair's registered optimum)


optimisation = load_benchmark("optimisation")


def run(out: Path, *extra: str) -> str:
    command = [sys.executable, str(SCRIPT), "--pairs", PAIR, "--seeds", "2", "--strategies", "hf-only,always",
               "--budget-per-dim", "2", "--quick", "--workers", "1", "--out", str(out), *extra]  # fmt: skip
    environment = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=600, env=environment)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    out = tmp_path_factory.mktemp("panel") / "runs.jsonl"
    first = run(out)
    before = out.read_text(encoding="utf-8")
    second = run(out, "--plots", str(out.parent / "plots"))
    assert out.read_text(encoding="utf-8") == before  # nothing re-run, nothing appended
    return out, first, second


def test_each_run_is_written_once_and_a_second_invocation_skips_them(tiny_run: tuple[Path, str, str]) -> None:
    out, first, second = tiny_run
    rows = optimisation.load_rows(out)
    assert sorted((r["strategy"], r["seed"]) for r in rows) == [("always", 0), ("always", 1), ("hf-only", 0),
                                                                 ("hf-only", 1)]  # fmt: skip
    assert {r["settings"] for r in rows} == {"b2-c0.1-quick"}
    assert first.startswith("4 runs now") and second.startswith("0 runs now")
    assert (out.parent / "plots" / f"{PAIR}.png").stat().st_size > 10_000
    for r in rows:  # design 3 HF + 6 cheap points (0.6) + 2 HF-cost units
        assert r["budget"] == pytest.approx(5.6) and r["total_cost"] <= 5.6 + 1e-9
        assert r["best"] == min(b for _, b in r["trace"])
    assert all(r["cheap_cost"] == 0.0 for r in rows if r["strategy"] == "hf-only")
    assert all(r["cheap_cost"] >= 0.6 - 1e-9 for r in rows if r["strategy"] == "always")


def test_analysis_matches_a_recomputation_from_the_rows(tiny_run: tuple[Path, str, str]) -> None:
    out, _, second = tiny_run
    rows = optimisation.load_rows(out)
    result = optimisation.analyse(rows, PAIR, ["hf-only", "always"], OPTIMUM)
    assert result.optimum == pytest.approx(OPTIMUM)
    regret = {(r["strategy"], r["seed"]): r["best"] - OPTIMUM for r in rows}
    for s in ("hf-only", "always"):
        assert result.regrets[s] == {k: pytest.approx(regret[s, k]) for k in (0, 1)}
        assert result.median[s] == pytest.approx((regret[s, 0] + regret[s, 1]) / 2)
        shares = [r["cheap_cost"] / r["total_cost"] for r in rows if r["strategy"] == s]
        assert result.share[s] == pytest.approx(statistics.median(shares))
    assert result.share["hf-only"] == 0.0 and result.share["always"] > 0.1
    a = [regret["always", k] for k in (0, 1)]
    h = [regret["hf-only", k] for k in (0, 1)]
    expected_p = 1.0 if a == h else float(wilcoxon(a, h).pvalue)
    assert result.p_vs_hf["always"] == pytest.approx(expected_p)
    assert result.p_vs_hf["hf-only"] == 1.0
    # Δ: the cost by which the first of the two runs (half of them) reached hf-only's median regret
    goal = result.median["hf-only"]
    reach = {
        s: min(next((c for c, b in r["trace"] if b - OPTIMUM <= goal), math.inf) for r in rows if r["strategy"] == s)
        for s in ("hf-only", "always")
    }
    assert math.isfinite(reach["hf-only"])
    assert result.delta["hf-only"] == 0.0
    assert result.delta["always"] == pytest.approx((reach["hf-only"] - reach["always"]) / reach["hf-only"])
    assert result.group == ("helps" if result.median["always"] < goal else "hurts")
    line = next(line for line in second.splitlines() if line.startswith(PAIR))
    assert f"{result.median['always']:9.3g}" in line and result.group in line


def test_wilcoxon_and_half_reached_values() -> None:
    worse = {k: float(k + 1) for k in range(6)}
    zero = dict.fromkeys(range(6), 0.0)
    assert optimisation.paired_wilcoxon(worse, zero) == pytest.approx(2 / 64)  # exact: all six differences > 0
    assert optimisation.paired_wilcoxon(zero, zero) == 1.0
    assert math.isnan(optimisation.paired_wilcoxon({0: 1.0}, {0: 2.0}))
    assert optimisation.half_reached([3.0, math.inf, 1.0, 2.0]) == 2.0
    assert optimisation.half_reached([1.0, math.inf, math.inf]) == math.inf
    trace = [(1.0, 5.0), (2.0, 3.0), (4.0, 1.0)]
    assert optimisation.first_reach(trace, optimum=0.5, regret=2.5) == 2.0
    assert optimisation.first_reach(trace, optimum=0.5, regret=0.1) == math.inf


def test_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "runs.jsonl"
    path.write_text(json.dumps({"pair": "p", "strategy": "hf-only", "seed": 0}) + '\n{"pair": "p", "str',
                    encoding="utf-8")  # fmt: skip
    assert optimisation.load_rows(path) == [{"pair": "p", "strategy": "hf-only", "seed": 0}]


def test_three_fidelity_hartmann_sizes_costs_and_budget() -> None:
    problem = optimisation.make_problem("AugmentedHartmannH6-3fid", 0.1)
    assert [(f.name, f.level) for f in problem.fidelities] == [("s0.5", 0.5), ("s0.75", 0.75), ("high", 1.0)]
    assert [f.cost for f in problem.fidelities] == pytest.approx([5.5 / 6, 5.75 / 6, 1.0])
    assert optimisation.design_sizes(problem) == {"s0.5": 12, "s0.75": 12, "high": 12}
    assert optimisation.total_budget(problem, 10) == pytest.approx(12 * (5.5 + 5.75 + 6) / 6 + 60)
    pair = optimisation.make_problem(PAIR, 0.1)
    assert optimisation.design_sizes(pair) == {"low": 6, "high": 3}
