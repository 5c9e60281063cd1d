"""BoTorch's own loops (``benchmarks/peers.py``) on a registered 1-D pair: they run, use the same
design as mfopt's strategies and never spend more than the budget."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import torch

from mfopt import nested_design
from tests.scripts import load_benchmark

PAIR = "SongToalForretal0.00"


peers = load_benchmark("peers")


def test_logei_peer_runs_two_iterations_from_the_design_within_budget() -> None:
    problem = peers.make_problem(PAIR, {"low": 0.1, "high": 1.0})
    row = peers.botorch_logei(problem, n_high=3, budget=5.5, seed=4, num_restarts=2, raw_samples=32)
    (design,) = nested_design(problem.bounds, [3], seed=4)
    design_best = float(problem.evaluate(design, "high").min())
    assert [c for c, _ in row["trace"]] == [1.0, 2.0, 3.0, 4.0, 5.0]  # 3 design points + 2 iterations
    assert row["trace"][2][1] == pytest.approx(design_best)
    assert row["spent"] == {"low": 0.0, "high": 5.0} and row["best"] <= design_best
    assert row["evaluations"] == 5
    assert row["best"] == min(b for _, b in row["trace"])


@pytest.mark.slow
def test_mfkg_peer_runs_two_iterations_from_the_nested_design_within_budget() -> None:
    problem = peers.make_problem(PAIR, {"low": 0.1, "high": 1.0})
    budget = 3 * 1.0 + 6 * 0.1 + 1.05  # design, then room for one HF and then nothing but LF
    row = peers.botorch_mfkg(
        problem, [6, 3], budget, seed=2, num_fantasies=4, num_restarts=2, raw_samples=16, maxiter=20,
        max_iterations=2,
    )  # fmt: skip
    spent = row["spent"]
    assert sum(spent.values()) <= budget + 1e-9
    assert spent["low"] >= 0.6 - 1e-9 and spent["high"] >= 3.0  # the design was evaluated
    assert row["evaluations"] == 9 + 2  # the design, then two proposals
    if spent["high"] > 3.0:  # it chose HF once: what is left pays only for LF
        assert spent["high"] == 4.0 and spent["low"] <= 0.6 + 0.1 + 1e-9
    assert math.isfinite(row["recommended"])
    low, high = nested_design(problem.bounds, [6, 3], seed=2)
    assert row["trace"][2][1] == pytest.approx(float(problem.evaluate(high, "high").min()))
    assert bool(torch.isin(high, low).all())


def test_ledger_refuses_to_overspend() -> None:
    problem = peers.make_problem(PAIR)
    ledger = peers.Ledger(problem, budget=1.5)
    ledger.evaluate(torch.tensor([[0.2]], dtype=torch.float64), "high")
    with pytest.raises(RuntimeError, match="overspend"):
        ledger.evaluate(torch.tensor([[0.4]], dtype=torch.float64), "high")
    assert ledger.total == 1.0 and len(ledger.trace) == 1


def test_hf_only_gap_runs_each_surrogate_column_and_resumes_from_its_rows(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """``--hf-only-gap`` with a surrogate column given as ``NAME:KEY=VALUE``: one row per column and
    seed in the JSON-lines file; a second call reads them back and runs nothing again."""
    out = tmp_path / "gap.jsonl"
    columns = [peers._surrogate("kriging"), peers._surrogate("botorch-gp:noise=none,kernel=matern-5/2")]
    assert columns[1] == ("botorch-gp", {"noise": "none", "kernel": "matern-5/2"})
    peers.hf_only_gap(PAIR, 3, 1, 1, surrogates=columns, out=str(out))
    first = capsys.readouterr().out
    rows = out.read_text(encoding="utf-8").splitlines()
    assert len(rows) == 4 and '"column": "botorch-gp[noise=none,kernel=matern-5/2]+mfopt-logei"' in rows[1]
    peers.hf_only_gap(PAIR, 3, 1, 1, surrogates=columns, out=str(out))
    assert out.read_text(encoding="utf-8").splitlines() == rows
    assert capsys.readouterr().out == first
    assert first.splitlines()[-2].startswith("mean:   kriging+mfopt-logei ")
    assert first.splitlines()[-1].startswith("vs botorch-logei (at least as good on / Wilcoxon p): kriging+mfopt-logei")
