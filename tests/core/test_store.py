"""The SQLite run store: candidates before outcomes, exactly-once completion, reopening."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from mfopt import Candidate, Decision, Observation, Status, StoreError
from mfopt.store import RunStore


def test_candidates_are_pending_until_completed(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path / "run", {"target": "high"})
    recorded = store.add_candidates(
        [Candidate((0.1, 0.2), "high"), Candidate((0.3, 0.4), "low")], {"high": 1, "low": 0.25}
    )
    assert [c.id for c in recorded] == [1, 2]
    assert store.cost_committed() == pytest.approx(1.25)
    assert [c.id for c in store.pending()] == [1, 2]
    store.complete([Observation((0.1, 0.2), "high", 3.5, Status.OK, 1.0, (1.0, -1.0), None, 1)])
    store.close()

    again = RunStore.open(tmp_path / "run")
    obs = again.observations()
    assert len(obs) == 1 and obs[0].value == 3.5 and obs[0].gradient == (1.0, -1.0)
    assert [c.x for c in again.pending()] == [(0.3, 0.4)]
    assert len(again.observations(include_pending=True)) == 2


def test_an_outcome_is_recorded_once(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, {})
    (c,) = store.add_candidates([Candidate((0.5,), "high")], {"high": 1.0})
    outcome = Observation(c.x, "high", None, Status.FAILED, 1.0, None, "ValueError: bad", c.id)
    store.complete([outcome])
    with pytest.raises(StoreError, match="not pending"):
        store.complete([outcome])
    assert store.observations()[0].error == "ValueError: bad"


def test_decisions_round_trip_with_nan_features(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, {})
    d = Decision(False, {"CC": 0.25, "R2": float("nan")}, "toal.cc", "CC 0.25 < 0.7", "low", "high", "toal-cc")
    store.add_decisions(3, [d])
    (record,) = store.decisions()
    assert record.iteration == 3 and record.decision.rule == "toal.cc" and not record.decision.use_low
    assert record.decision.features["CC"] == 0.25 and record.decision.features["R2"] != record.decision.features["R2"]


def test_create_refuses_an_existing_run_and_open_refuses_garbage(tmp_path: Path) -> None:
    RunStore.create(tmp_path, {}).close()
    with pytest.raises(StoreError, match="already holds a run"):
        RunStore.create(tmp_path, {})
    with pytest.raises(StoreError, match="holds no run"):
        RunStore.open(tmp_path / "elsewhere")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "run.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        RunStore.open(bad)


def test_the_file_is_plain_sqlite(tmp_path: Path) -> None:
    store = RunStore.create(tmp_path, {"problem": "p"})
    store.add_candidates([Candidate((1.0,), "high")], {"high": 1.0})
    store.close()
    with sqlite3.connect(tmp_path / "run.sqlite") as db:
        assert db.execute("SELECT status FROM evaluations").fetchall() == [("pending",)]
