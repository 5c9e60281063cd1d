"""mfopt.create_study: ask/tell with named parameters from an external loop, across a SIGKILL."""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mfopt import MfoptError, create_study

DRIVER = textwrap.dedent(
    """
    import json, math, sys, time
    from mfopt.hpo import create_study

    PARAMETERS = {
        "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
        "momentum": {"type": "float", "low": 0.0, "high": 0.99},
        "layers": {"type": "int", "low": 1, "high": 4},
        "activation": {"type": "categorical", "choices": ["relu", "tanh", "gelu"]},
    }
    FIDELITIES = [{"name": "e4", "level": 4, "cost": 0.1}, {"name": "e32", "level": 32, "cost": 1.0}]

    def loss(p, level):
        return ((math.log10(p["lr"]) + 2) ** 2 + (p["layers"] - 2) ** 2 + abs(p["momentum"] - 0.9)
                + {"relu": 0.0, "tanh": 0.3, "gelu": 0.1}[p["activation"]] + 1.0 / level)

    storage, log, tell_limit = sys.argv[1], sys.argv[2], int(sys.argv[3])
    study = create_study(PARAMETERS, FIDELITIES, budget={"max_evaluations": 24}, storage=storage, seed=3)
    told = 0
    with open(log, "a") as out:
        while (trial := study.ask()) is not None:
            if told == tell_limit:
                out.write(json.dumps({"asked_not_told": trial.id}) + "\\n"); out.flush()
                time.sleep(600)  # killed here, with a trial in flight
            value = loss(trial.params, trial.level)
            study.tell(trial, value)
            told += 1
            out.write(json.dumps({"id": trial.id, "value": value, "params": trial.params,
                                  "fidelity": trial.fidelity}) + "\\n"); out.flush()
    best = study.best
    out = open(log, "a"); out.write(json.dumps({"best": best, "n": len(study.to_dataframe())}) + "\\n")
    study.close()
    """
)


def _lines(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []


def test_ask_tell_survives_sigkill_and_continues_in_a_new_process(tmp_path: Path) -> None:
    script, storage, log = tmp_path / "driver.py", tmp_path / "study", tmp_path / "log.jsonl"
    script.write_text(DRIVER)
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    first = subprocess.Popen([sys.executable, str(script), str(storage), str(log), "17"], env=env)
    deadline = time.monotonic() + 240
    while not any("asked_not_told" in line for line in _lines(log)):
        assert first.poll() is None and time.monotonic() < deadline, "the driver ended before the kill"
        time.sleep(0.2)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    told_before = [line for line in _lines(log) if "id" in line]
    assert len(told_before) == 17
    # each named kind came through: a log-float in range, an int, a categorical
    for t in told_before:
        p = t["params"]
        assert 1e-4 <= p["lr"] <= 1e-1 and isinstance(p["layers"], int) and p["activation"] in {"relu", "tanh", "gelu"}
    assert {t["fidelity"] for t in told_before} == {"e4", "e32"}

    second = subprocess.run([sys.executable, str(script), str(storage), str(log), "-1"], env=env, timeout=300)
    assert second.returncode == 0
    end = _lines(log)[-1]
    assert end["n"] == 24  # the 17 told before the kill, the lost one asked again, the rest
    # every result told before the kill is in the store unchanged
    with create_study(
        json.loads(json.dumps(_parameters())), _fidelities(), budget={"max_evaluations": 24}, storage=storage, seed=3
    ) as study:
        frame = study.to_dataframe().set_index("id")
        for t in told_before:
            assert frame.loc[t["id"], "value"] == pytest.approx(t["value"])
            assert frame.loc[t["id"], "params_activation"] == t["params"]["activation"]
        assert study.best is not None and study.best["value"] == pytest.approx(end["best"]["value"])
        assert study.ask() is None  # the budget of 24 evaluations is spent


def _parameters() -> dict:
    return {
        "lr": {"type": "float", "low": 1e-4, "high": 1e-1, "log": True},
        "momentum": {"type": "float", "low": 0.0, "high": 0.99},
        "layers": {"type": "int", "low": 1, "high": 4},
        "activation": {"type": "categorical", "choices": ["relu", "tanh", "gelu"]},
    }


def _fidelities() -> list[dict]:
    return [{"name": "e4", "level": 4, "cost": 0.1}, {"name": "e32", "level": 32, "cost": 1.0}]


def test_tell_failed_and_bad_input(tmp_path: Path) -> None:
    with create_study(_parameters(), _fidelities(), budget=12.0, storage=tmp_path / "s") as study:
        trial = study.ask()
        assert trial is not None and set(trial.params) == set(_parameters())
        obs = study.tell(trial, failed="diverged")
        assert obs.error == "diverged"
        other = study.ask()
        assert other is not None
        with pytest.raises(MfoptError, match="needs a value"):
            study.tell(other)
        study.tell(other, math.log(2.0))
        frame = study.to_dataframe()
        assert list(frame["status"][:2]) == ["failed", "ok"]


def test_add_records_an_outside_evaluation_and_drops_it_from_the_design() -> None:
    with create_study(_parameters(), _fidelities(), budget=30.0, seed=5) as first:
        design = [first.ask() for _ in range(3)]
    assert all(t is not None for t in design)
    with create_study(_parameters(), _fidelities(), budget=30.0, seed=5) as study:
        obs = study.add(design[0].params, design[0].fidelity, 0.5)  # type: ignore[union-attr]
        assert obs.value == 0.5 and obs.error is None and obs.cost == 0.1
        asked = study.ask()  # the same seed gives the same design: it goes on from its second point
        assert asked is not None and asked.params == design[1].params  # type: ignore[union-attr]
        failed = study.add(design[2].params, "e32", failed="diverged")  # type: ignore[union-attr]
        assert failed.error == "diverged" and failed.cost == 1.0
        with pytest.raises(MfoptError, match="unknown fidelity"):
            study.add(design[0].params, "e8", 1.0)  # type: ignore[union-attr]
        with pytest.raises(MfoptError, match="needs a value"):
            study.add(design[0].params, "e4")  # type: ignore[union-attr]
        status = study.to_dataframe().set_index("id")["status"]
        assert (status[obs.id], status[asked.id], status[failed.id]) == ("ok", "pending", "failed")


def _loss(p: dict, level: float) -> float:
    return (math.log10(p["lr"]) + 2) ** 2 + (p["layers"] - 2) ** 2 + abs(p["momentum"] - 0.9) + 1.0 / level


def test_the_first_target_points_after_the_design_are_the_best_cheap_runs() -> None:
    """Screening: the cheap design spends an eighth of the budget (30 / 8 / 0.1 = 37 cheap runs;
    at least 2 d + 2 = 14, d = 6 encoded dimensions) and has 1 target point; the best
    max(3, ceil(d / 2)) = 3 cheap runs go to the target first, then the design's own target point
    (chosen before any value was known)."""
    told: list[tuple[str, tuple, float]] = []
    with create_study(_parameters(), _fidelities(), budget=30.0, seed=4) as study:
        while sum(f == "e32" for f, _, _ in told) < 4:
            trial = study.ask()
            assert trial is not None
            value = _loss(trial.params, trial.level)
            study.tell(trial, value)
            told.append((trial.fidelity, tuple(sorted(trial.params.items())), value))
    assert [f for f, _, _ in told] == ["e4"] * 37 + ["e32"] * 4
    design_target = told[40][1]
    assert design_target in [p for _, p, _ in told[:37]]  # a point of the cheap design
    ranked = sorted((v, p) for f, p, v in told[:37] if p != design_target)
    assert [p for _, p, _ in told[37:40]] == [p for _, p in ranked[:3]]
    with create_study(_parameters(), _fidelities(), budget=9.0, seed=4) as small:
        design = [small.ask() for _ in range(14)]  # 9 / 8 / 0.1 = 11 < 2 d + 2: 14 cheap runs
        assert [t.fidelity for t in design if t is not None] == ["e4"] * 14


def test_screen_zero_and_design_share_zero_keep_the_space_filling_design_and_bad_options_are_refused() -> None:
    with create_study(_parameters(), _fidelities(), budget=30.0, seed=4, screen=0, design_share=0.0) as study:
        design = [study.ask() for _ in range(14 + 7)]
        assert [t.fidelity for t in design if t is not None] == ["e4"] * 14 + ["e32"] * 7
    with pytest.raises(MfoptError, match="screen and promote must be >= 0"):
        create_study(_parameters(), _fidelities(), budget=30.0, promote=-1.0)
    with pytest.raises(MfoptError, match="design_share in"):
        create_study(_parameters(), _fidelities(), budget=30.0, design_share=1.0)
