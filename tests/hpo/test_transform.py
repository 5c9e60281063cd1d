"""create_study(transform="log"): the models see log values, the user gets the values as told."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from mfopt import ConfigError, MfoptError, create_study

PARAMETERS = {
    "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
    "layers": {"type": "int", "low": 1, "high": 4},
}
FIDELITIES = [{"name": "e4", "level": 4, "cost": 0.1}, {"name": "e32", "level": 32, "cost": 1.0}]


def loss(params: dict, level: float) -> float:
    return 0.02 + (math.log10(params["lr"]) + 2) ** 2 / 10 + (params["layers"] - 2) ** 2 / 20 + 0.5 / level


def test_log_transform_stores_logs_and_gives_back_the_values_as_told(tmp_path: Path) -> None:
    storage = tmp_path / "run"
    told: dict[int, float] = {}
    with create_study(PARAMETERS, FIDELITIES, budget={"max_evaluations": 10}, storage=storage, transform="log") as s:
        while (trial := s.ask()) is not None:
            told[trial.id] = loss(trial.params, trial.level)
            s.tell(trial, told[trial.id])
        stored = {o.id: o.value for o in s.study.dataset.observations}
        assert stored == pytest.approx({i: math.log(v) for i, v in told.items()}, rel=1e-12)
        frame = s.to_dataframe()
        assert dict(zip(frame["id"], frame["value"], strict=True)) == pytest.approx(told, rel=1e-12)
        best = s.best
        assert best is not None
        target = [i for i, o in ((o.id, o) for o in s.study.dataset.observations) if o.fidelity == "e32"]
        assert best["value"] == pytest.approx(min(told[i] for i in target), rel=1e-12)
    # reopened with another transform: refused, the stored values would be misread
    with pytest.raises(ConfigError, match="created with transform='log'"):
        create_study(PARAMETERS, FIDELITIES, budget={"max_evaluations": 10}, storage=storage)
    with create_study(PARAMETERS, FIDELITIES, budget={"max_evaluations": 10}, storage=storage, transform="log") as s:
        assert len(s.to_dataframe()) == len(told)


def test_log_transform_refuses_non_positive_values_and_unknown_transforms() -> None:
    with create_study(PARAMETERS, FIDELITIES, budget=3.0, transform="log") as s:
        trial = s.ask()
        assert trial is not None
        with pytest.raises(MfoptError, match="needs positive values"):
            s.tell(trial, 0.0)
        s.tell(trial, failed="diverged")  # a failed run needs no value
    with pytest.raises(ConfigError, match="transform must be one of"):
        create_study(PARAMETERS, FIDELITIES, budget=3.0, transform="rank")  # type: ignore[arg-type]


def test_a_budget_target_is_logged_with_the_values() -> None:
    with create_study(PARAMETERS, FIDELITIES, budget={"total": 5.0, "target": 0.05}, transform="log") as s:
        assert s.study.config.budget.target == pytest.approx(math.log(0.05))
