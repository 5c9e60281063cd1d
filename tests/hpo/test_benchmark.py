"""benchmarks/hpo.py on a tiny configuration: rows stored as they finish, resume, the table's values."""

from __future__ import annotations

import json
import math
import sqlite3
import statistics
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT

pytest.importorskip("dehb", reason="mfopt[bench] (dehb) is not installed")
sys.path.insert(0, str(ROOT / "benchmarks"))
import hpo as bench
from tasks import Task  # examples/hpo, put on the path by benchmarks/hpo.py


def _toy(params: dict[str, Any], level: int, seed: int) -> tuple[float, float]:
    """A deterministic 'validation error': a bowl in log10(lr), worse for short training."""
    bowl = (math.log10(params["lr"]) + 2.0) ** 2 / 4.0
    return round(bowl + 0.3 / level, 6), 0.0


TOY = Task("toy", {"lr": {"type": "float", "low": 1e-4, "high": 1.0, "log": True}}, {"l2": 2, "l16": 16}, _toy)
BUDGET = 5.0
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")  # dehb calls ConfigSpace's old names


def _final_best(trace: list[list[float]]) -> float:
    return min((v for _, level, v in trace if level == 16), default=math.inf)


def test_tiny_benchmark_stores_rows_resumes_and_tabulates(tmp_path: Path) -> None:
    results = tmp_path / "hpo.sqlite"
    ran = bench.run_all([TOY], list(bench.METHODS), [0, 1], BUDGET, results, progress=False)
    assert ran == 8
    assert bench.run_all([TOY], list(bench.METHODS), [0, 1], BUDGET, results, progress=False) == 0  # resumed
    db = sqlite3.connect(results)
    db.execute("DELETE FROM results WHERE method = 'dehb' AND seed = 1")
    db.commit()
    assert bench.run_all([TOY], list(bench.METHODS), [0, 1], BUDGET, results, progress=False) == 1  # the missing one
    rows = db.execute("SELECT method, seed, trace FROM results ORDER BY method, seed").fetchall()
    db.close()
    assert len(rows) == 8
    traces: dict[str, list[list[list[float]]]] = {}
    for method, _, trace in rows:
        t = json.loads(trace)
        costs = [c for c, _, _ in t]
        assert costs == sorted(costs) and 0 < costs[-1] <= BUDGET + 1e-9  # cumulative, within the budget
        allowed = {"mfopt": {2, 16}, "random": {16}}.get(method, {2, 4, 8, 16})  # Hyperband/DEHB: eta = 2 rungs
        assert {level for _, level, _ in t} <= allowed
        traces.setdefault(method, []).append(t)
    assert all(level == 16 for t in traces["random"] for _, level, _ in t)
    assert len(traces["random"][0]) == int(BUDGET)  # random search: one full training per cost unit

    text, summaries = bench.table(bench.load(results, BUDGET), BUDGET)
    s = summaries["toy"]
    # the common target is the worst of the methods' median final best errors, from the stored rows
    medians = {m: statistics.median(_final_best(t) for t in ts) for m, ts in traces.items()}
    assert s["target"] == pytest.approx(max(medians.values()))
    for m, ts in traces.items():
        # the cost to target: the first cost at which the median best curve reaches the target
        hits = sorted({c for t in ts for c, level, _ in t if level == 16})
        first = next(c for c in hits if statistics.median(_best_by(t, c) for t in ts) <= s["target"] + 1e-12)
        assert s["reach"][m] == pytest.approx(math.ceil(first * 40 - 1e-6) / 40)
    assert s["ratio_peers"] == pytest.approx(s["reach"]["mfopt"] / min(s["reach"]["tpe-hyperband"], s["reach"]["dehb"]))
    assert s["ratio_random"] == pytest.approx(s["reach"]["mfopt"] / s["reach"]["random"])
    lines = text.splitlines()
    assert lines[0] == f"task toy: budget 5 full trainings, common target {s['target']:.4f}"
    assert [line.split()[0] for line in lines[2:6]] == list(bench.METHODS)
    assert all(line.split()[1] == "2" for line in lines[2:6])  # seeds per method
    assert lines[6].endswith(f"{s['ratio_peers']:.2f}") and lines[7].endswith(f"{s['ratio_random']:.2f}")
    assert [p.name for p in bench.plot(summaries, BUDGET, tmp_path / "plots")] == ["hpo_toy.png"]
    only_seed_1 = bench.load(results, BUDGET, seeds=[1])["toy"]  # the table of a subset of the seeds
    assert {m: [json.loads(json.dumps(t)) for t in ts] for m, ts in only_seed_1.items()} == {
        m: [ts[1]] for m, ts in traces.items()
    }


def _best_by(trace: list[list[float]], cost: float) -> float:
    return min((v for c, level, v in trace if level == 16 and c <= cost + 1e-9), default=math.inf)


def test_an_mfopt_variant_runs_with_its_options_and_does_not_move_the_target(tmp_path: Path) -> None:
    results = tmp_path / "hpo.sqlite"
    variant = "mfopt/transform=none/screen=0"
    assert bench.run_all([TOY], ["random", "mfopt", variant], [0, 1], BUDGET, results, progress=False) == 6
    data = bench.load(results, BUDGET)["toy"]
    # a different create_study gives a different run (no screening: d + 1 design points at the target)
    assert data[variant] != data["mfopt"]
    assert bench.runner(variant) is not bench.RUNNERS["mfopt"]
    text, summaries = bench.table({"toy": data}, BUDGET)
    s = summaries["toy"]
    main = {m: statistics.median(_final_best(t) for t in data[m]) for m in ("random", "mfopt")}
    assert s["target"] == pytest.approx(max(main.values()))  # the variant's rows do not set it
    assert any(line.split()[0] == variant for line in text.splitlines())
    with pytest.raises(ValueError, match="unknown method 'mfopt/transform'"):
        bench.runner("mfopt/transform")
    with pytest.raises(SystemExit):
        bench.main(["table", "--methods", "bohb", "--results", str(results)])


def test_phases_reads_where_an_mfopt_run_spent_its_budget() -> None:
    cheap = [(0.1 * (i + 1), 2.0, 0.5) for i in range(4)]  # design: 4 cheap runs (0.4)
    trace = [*cheap, (1.4, 32.0, 0.3), (2.4, 32.0, 0.2), (3.4, 32.0, 0.25)]  # 1 design + 2 screened full
    trace += [(3.4 + 0.1 * (i + 1), 2.0, 0.4) for i in range(10)]  # 1.0 of cheap runs: the next full is promoted
    trace += [(5.4, 32.0, 0.1), (6.4, 32.0, 0.15), (6.5, 2.0, 0.4), (7.5, 32.0, 0.12)]  # strategy: 2 full, 1 cheap
    trace = [(round(c, 9), lv, v) for c, lv, v in trace]
    p = bench.phases(trace, 32.0, 3, design_first=True)  # the order of hpo_v5 and older
    assert p["design"] == pytest.approx(0.4)
    assert (p["screen"], p["promoted"], p["strategy"]) == (2, 1, 2)
    assert p["cheap"] == pytest.approx(1.1)
    assert [ph for ph, _, _ in p["first"]] == ["design", "screen", "screen", "promoted", "strategy", "strategy"]
    now = bench.phases(trace, 32.0, 3)  # the design's full training after the screened ones
    assert [ph for ph, _, _ in now["first"]] == ["screen", "screen", "design", "promoted", "strategy", "strategy"]
    assert (now["screen"], now["promoted"], now["strategy"]) == (2, 1, 2)
    text = bench.breakdown(
        {"mlp_digits": {"mfopt": [trace], "random": [[(1.0, 32.0, 0.3)]]}}, "mfopt", {"mlp_digits": 0.2}, [7],
        screen=3, design_first=True,
    )  # fmt: skip
    assert "     7  0.40+1" in text and "2.40 (screen)" in text
