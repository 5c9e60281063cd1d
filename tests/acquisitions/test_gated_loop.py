"""The full gated loop: Co-Kriging + augmented EI behind the low-fidelity gate."""

from __future__ import annotations

from typing import Any

from mfopt import Status, Study


def config(detector: str, total: float, costs: dict[str, float] | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "problem": {"name": "SongToalForretal0.00", "costs": costs or {"low": 0.1, "high": 1.0}},
        "budget": {"total": total},
        "design": {"samples": {"low": 6, "high": 3}, "seed": 0},
        "multi_surrogate": {"name": "cokriging", "n_starts": 4},
        "surrogate": {"name": "kriging", "n_starts": 4},
        "detector": {"name": detector},
        "acquisition": {"name": "augmented-ei", "num_restarts": 4, "raw_samples": 64},
        "run": {"seed": 0, "device": "cpu"},
        **extra,
    }


def lf_spent_after_design(study: Study) -> float:
    return sum(o.cost for o in study.dataset.observations if o.fidelity == "low" and o.iteration > 0)


def test_always_fusing_spends_part_of_the_budget_at_low_fidelity() -> None:
    with Study(config("always", 4.6)) as study:
        result = study.run()
        assert lf_spent_after_design(study) > 0
        assert result.best is not None and result.best.fidelity == "high"
        assert study.cost_committed <= 4.6 + 1e-9
        assert all(d.use_low for d in study.decisions)


def test_gate_closed_spends_nothing_at_low_fidelity_after_the_design() -> None:
    with Study(config("never", 5.6)) as study:
        study.run()
        assert lf_spent_after_design(study) == 0
        new = [o for o in study.dataset.observations if o.iteration > 0]
        assert new and all(o.fidelity == "high" for o in new)


def test_uneven_costs_never_overspend_and_recommend_a_high_fidelity_point() -> None:
    with Study(config("always", 7.45, {"low": 0.3, "high": 1.0}), run_dir=None) as study:
        result = study.run()
        spent = sum(o.cost for o in study.dataset.observations)
        assert spent <= 7.45 + 1e-9
        assert 7.45 - spent < 0.3 + 1e-9  # stopped only when not even a cheap point was affordable
        best = result.best
        assert best is not None and best.fidelity == "high" and best.status is Status.OK
        highs = [o.value for o in study.dataset.observations if o.fidelity == "high" and o.value is not None]
        assert best.value == min(highs)
